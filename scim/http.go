package scim

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"os"
	"strconv"
	"strings"
)

// contentType is what every SCIM response is sent as.
const contentType = "application/scim+json; charset=utf-8"

// writeJSON sends v as a SCIM JSON response.
func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		body = []byte(`{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":"500","detail":"internal error"}`)
	}
	writeBody(w, status, body)
}

// writeBody sends body, a JSON document, as a SCIM response.
func writeBody(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	w.Write(body)
}

// readBody reads a request body as a JSON object, enforcing the media type,
// the size limit and the string limits of checkStrings. Numbers stay
// json.Number so integers keep their digits.
func (s *Server) readBody(w http.ResponseWriter, r *http.Request) (map[string]any, []byte, error) {
	doc, raw, err := s.readJSON(w, r)
	if err != nil {
		return nil, nil, err
	}
	if err := checkStrings(doc, ""); err != nil {
		return nil, nil, err
	}
	return doc, raw, nil
}

// readJSON is readBody without the string limits, for bodies whose strings
// are checked by what reads them (search requests: the filter).
func (s *Server) readJSON(w http.ResponseWriter, r *http.Request) (map[string]any, []byte, error) {
	if err := checkMediaType(r); err != nil {
		return nil, nil, err
	}
	raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.opts.MaxBodyBytes))
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return nil, nil, errorf(http.StatusRequestEntityTooLarge, "",
			fmt.Sprintf("request body exceeds %d bytes", s.opts.MaxBodyBytes))
	}
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return nil, nil, errorf(http.StatusRequestTimeout, "",
			fmt.Sprintf("the request body did not arrive within %v", s.opts.BodyTimeout))
	}
	if err != nil {
		return nil, nil, errorf(http.StatusBadRequest, invalidSyntax, "cannot read request body")
	}
	doc, err := decodeObject(raw)
	if err != nil {
		return nil, nil, err
	}
	return doc, raw, nil
}

// MaxStringBytes is the most bytes any string of a request body (a value or
// an object key) may hold; attributes the database indexes allow
// attrs.IndexedMaxBytes.
const MaxStringBytes = 64 << 10

// checkStrings refuses, with 400 invalidValue, a body holding a string
// PostgreSQL cannot store (a NUL byte; JSON decoding has already replaced
// invalid UTF-8) or one longer than MaxStringBytes, so both databases answer
// alike and before any SQL. at is the path of v, for the message.
func checkStrings(v any, at string) error {
	switch x := v.(type) {
	case string:
		return checkString(x, at)
	case map[string]any:
		for k, e := range x {
			p := k
			if at != "" {
				p = at + "." + k
			}
			if err := checkString(k, p+" (the key)"); err != nil {
				return err
			}
			if err := checkStrings(e, p); err != nil {
				return err
			}
		}
	case []any:
		for i, e := range x {
			if err := checkStrings(e, fmt.Sprintf("%s[%d]", at, i)); err != nil {
				return err
			}
		}
	}
	return nil
}

func checkString(s, at string) error {
	if len(s) > MaxStringBytes {
		return errorf(http.StatusBadRequest, invalidValue,
			fmt.Sprintf("%s: %d bytes; strings hold at most %d", at, len(s), MaxStringBytes))
	}
	if strings.IndexByte(s, 0) >= 0 {
		return errorf(http.StatusBadRequest, invalidValue, at+": strings may not contain NUL (\\u0000)")
	}
	return nil
}

// decodeObject parses a JSON object, rejecting anything else.
func decodeObject(raw []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var doc map[string]any
	if err := dec.Decode(&doc); err != nil || doc == nil {
		return nil, errorf(http.StatusBadRequest, invalidSyntax, "request body must be a JSON object")
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errorf(http.StatusBadRequest, invalidSyntax, "unexpected data after the JSON object")
	}
	return doc, nil
}

// checkMediaType accepts application/scim+json and application/json (and
// a missing Content-Type, which some clients omit); anything else is 415.
func checkMediaType(r *http.Request) error {
	ct := r.Header.Get("Content-Type")
	if ct == "" {
		return nil
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err == nil && (mt == "application/scim+json" || mt == "application/json") {
		return nil
	}
	return errorf(http.StatusUnsupportedMediaType, "",
		"Content-Type must be application/scim+json or application/json, not "+ct)
}

// etag is the weak entity tag of a resource version.
func etag(version int) string { return `W/"` + strconv.Itoa(version) + `"` }

// checkIfMatch enforces an If-Match precondition against the current
// version: a stale ETag is 412 (RFC 7644 §3.14).
func checkIfMatch(r *http.Request, version int) error {
	im := strings.TrimSpace(r.Header.Get("If-Match"))
	if im == "" || im == "*" {
		return nil
	}
	want := etag(version)
	for _, tag := range strings.Split(im, ",") {
		tag = strings.TrimSpace(tag)
		if tag == want || "W/"+tag == want {
			return nil
		}
	}
	return errorf(http.StatusPreconditionFailed, "", "the resource has changed: its version is "+want)
}

// checkSchemas requires a request body's "schemas" to hold want, in any
// letter case (RFC 7644 §3.3: unknown schemas are the client's error).
func checkSchemas(doc map[string]any, want string) error {
	list, ok := lookup(doc, "schemas").([]any)
	if !ok {
		return errorf(http.StatusBadRequest, invalidSyntax, `"schemas" must list `+want)
	}
	for _, v := range list {
		if s, ok := v.(string); ok && strings.EqualFold(s, want) {
			return nil
		}
	}
	return errorf(http.StatusBadRequest, invalidSyntax, `"schemas" must list `+want)
}

// lookup reads a key of a JSON object in any letter case: attribute names
// are case-insensitive (RFC 7643 §2.1).
func lookup(doc map[string]any, key string) any {
	if v, ok := doc[key]; ok {
		return v
	}
	for k, v := range doc {
		if strings.EqualFold(k, key) {
			return v
		}
	}
	return nil
}
