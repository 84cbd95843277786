package scim

import (
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"unicode/utf8"

	"github.com/acme/directory/auth"
	"github.com/acme/directory/fault"
	"github.com/acme/directory/scim/patch"
	"github.com/acme/directory/scim/schema"
	"github.com/acme/directory/store"
)

// The scimType values of RFC 7644 §3.12 this server sends.
const (
	invalidFilter = "invalidFilter"
	invalidSyntax = "invalidSyntax"
	invalidValue  = "invalidValue"
	invalidPath   = "invalidPath"
	uniqueness    = "uniqueness"
	mutability    = "mutability"
	tooMany       = "tooMany"
	noTarget      = "noTarget"
)

// errorBody is the SCIM error response (RFC 7644 §3.12).
type errorBody struct {
	Schemas  []string `json:"schemas"`
	Status   string   `json:"status"`
	ScimType string   `json:"scimType,omitempty"`
	Detail   string   `json:"detail,omitempty"`
}

// scimError is an error that already knows its HTTP status and scimType.
type scimError struct {
	status   int
	scimType string
	detail   string
}

func (e *scimError) Error() string { return e.detail }

// errorf returns a *scimError.
func errorf(status int, scimType, detail string) error {
	return &scimError{status: status, scimType: scimType, detail: detail}
}

// writeError answers a request with the SCIM form of err: domain codes
// become statuses, parse errors keep their scimType, and anything unknown
// is logged and answered with a bare 500.
//
// Every error response is logged once, with its status and scimType: a
// 5xx at ERROR with the underlying error, a 4xx at INFO with its detail; a
// refused credential (401, or 403 for a disabled directory) was logged by
// authenticate, with more to say. The answer is noted for the request log.
func writeError(w http.ResponseWriter, r *http.Request, err error) {
	e := toSCIMError(err)
	recordOf(r.Context()).answered(e)
	switch {
	case e.status >= 500:
		slog.ErrorContext(r.Context(), "scim request failed", "status", e.status, "scim_type", e.scimType,
			"method", r.Method, "path", logPath(r), "err", err)
	case e.status != http.StatusUnauthorized && !errors.Is(err, auth.ErrDirectoryDisabled):
		slog.InfoContext(r.Context(), "scim request refused", "status", e.status, "scim_type", e.scimType,
			"method", r.Method, "path", logPath(r), "detail", truncate(e.detail, 300))
	}
	writeJSON(w, e.status, errorBody{
		Schemas: []string{schema.ErrorURN}, Status: strconv.Itoa(e.status),
		ScimType: e.scimType, Detail: e.detail,
	})
}

// toSCIMError classifies err into a status and scimType.
func toSCIMError(err error) *scimError {
	var se *scimError
	if errors.As(err, &se) {
		return se
	}
	if t := patch.ScimTypeOf(err); t != "" {
		return &scimError{status: http.StatusBadRequest, scimType: t, detail: fault.MessageOf(err)}
	}
	err = store.Classify(err)
	msg := fault.MessageOf(err)
	switch fault.CodeOf(err) {
	case fault.Invalid:
		return &scimError{status: http.StatusBadRequest, scimType: invalidValue, detail: msg}
	case fault.NotFound:
		return &scimError{status: http.StatusNotFound, detail: msg}
	case fault.Conflict:
		return &scimError{status: http.StatusConflict, scimType: uniqueness, detail: msg}
	case fault.Unauthorized:
		return &scimError{status: http.StatusUnauthorized, detail: msg}
	case fault.Forbidden:
		return &scimError{status: http.StatusForbidden, detail: msg}
	}
	return &scimError{status: http.StatusInternalServerError, detail: "internal error"}
}

// logPath is the request's path as logged: never its query, whose filter
// may hold personal data.
func logPath(r *http.Request) string { return truncate(r.URL.Path, 300) }

// truncate shortens s to at most n bytes for a log line, on a rune
// boundary.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "..."
}
