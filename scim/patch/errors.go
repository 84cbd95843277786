package patch

import (
	"errors"
	"github.com/acme/directory/fault"
)

// The scimType values (RFC 7644 §3.12) Parse and Apply report.
const (
	InvalidSyntax = "invalidSyntax" // the request body is not a PatchOp message
	InvalidPath   = "invalidPath"   // a path is malformed or names no attribute
	NoTarget      = "noTarget"      // a path selects nothing to operate on
	InvalidValue  = "invalidValue"  // a value is of the wrong type or names no attribute
	Mutability    = "mutability"    // the operation would change a readOnly or immutable attribute
)

// Error is a PATCH error: a fault.Invalid error and the scimType a SCIM
// response should carry.
type Error struct {
	ScimType string
	Err      *fault.Error
}

// Error returns the caller-safe message, prefixed by the attribute path it
// is about, if any.
func (e *Error) Error() string { return e.Err.Error() }

// Unwrap returns the *fault.Error, for fault.CodeOf and errors.As.
func (e *Error) Unwrap() error { return e.Err }

// ScimTypeOf returns the scimType of the first *Error in err's chain, or ""
// when err is nil or no PATCH error.
func ScimTypeOf(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.ScimType
	}
	return ""
}

// errorf returns an *Error about field (an attribute path, or "").
func errorf(scimType, field, format string, args ...any) *Error {
	return &Error{ScimType: scimType, Err: fault.FieldErrorf(field, format, args...)}
}

// asError turns an error of another package (a schema lookup, a filter
// parse) into an *Error with the given scimType, keeping its message.
func asError(scimType string, err error) *Error {
	var pe *Error
	if errors.As(err, &pe) {
		return pe
	}
	var fe *fault.Error
	if errors.As(err, &fe) {
		return &Error{ScimType: scimType, Err: &fault.Error{Code: fault.Invalid, Message: fe.Message, Field: fe.Field}}
	}
	return &Error{ScimType: scimType, Err: fault.Errorf(fault.Invalid, "%s", err.Error())}
}

// at returns e with its field set to path when it has none yet.
func (e *Error) at(path string) *Error {
	if e.Err.Field == "" {
		e.Err.Field = path
	}
	return e
}
