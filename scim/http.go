package scim

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
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
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	w.Write(body)
}

// readBody reads a request body as a JSON object, enforcing the media type
// and size limit. Numbers stay json.Number so integers keep their digits.
func (s *Server) readBody(w http.ResponseWriter, r *http.Request) (map[string]any, []byte, error) {
	if err := checkMediaType(r); err != nil {
		return nil, nil, err
	}
	raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.opts.MaxBodyBytes))
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return nil, nil, errorf(http.StatusRequestEntityTooLarge, "",
			fmt.Sprintf("request body exceeds %d bytes", s.opts.MaxBodyBytes))
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
