// Package fault is the small vocabulary of domain errors shared by every
// layer. The data layer and the protocol handlers return these codes; each
// edge (SCIM, GraphQL, plain HTTP) translates them into its own protocol, so a
// rule such as "this name is taken" is decided once and spoken many ways.
package fault

import (
	"errors"
	"fmt"
)

// Code classifies an error by what the caller can do about it.
type Code string

// The codes. Anything else is an internal error.
const (
	Invalid      Code = "invalid"      // the request is malformed or breaks a rule
	NotFound     Code = "not_found"    // the thing does not exist or is not visible
	Conflict     Code = "conflict"     // the request collides with existing state
	Unauthorized Code = "unauthorized" // no valid credentials
	Forbidden    Code = "forbidden"    // valid credentials, not allowed
	Internal     Code = "internal"     // a bug or an outage; details stay in the log
)

// Error is a domain error: a code, a message safe to show to the caller and,
// optionally, the field it is about.
type Error struct {
	Code    Code
	Message string
	Field   string // dotted path of the offending input field, if any
}

// Error implements the error interface.
func (e *Error) Error() string {
	if e.Field != "" {
		return fmt.Sprintf("%s: %s", e.Field, e.Message)
	}
	return e.Message
}

// Errorf returns an *Error with the given code and a formatted message.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// FieldErrorf returns an Invalid *Error about one input field.
func FieldErrorf(field, format string, args ...any) *Error {
	return &Error{Code: Invalid, Field: field, Message: fmt.Sprintf(format, args...)}
}

// CodeOf returns the code of the first *Error in err's chain, Internal when
// there is none and "" for a nil error.
func CodeOf(err error) Code {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return Internal
}

// MessageOf returns the caller-safe message of err: the *Error's message, or
// a generic text for internal errors, whose details belong in the log only.
func MessageOf(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Error()
	}
	return "internal error"
}

// Is reports whether err carries the given code.
func Is(err error, code Code) bool { return err != nil && CodeOf(err) == code }
