package store

import (
	"errors"

	"github.com/acme/directory/ent"
	"github.com/acme/directory/ent/privacy"
	"github.com/acme/directory/fault"
)

// Classify translates the data layer's errors into the domain vocabulary of
// package fault, so each protocol edge maps one set of codes: a failed
// validation is Invalid, a unique or foreign key violation a Conflict, a
// missing row NotFound, a privacy denial Forbidden. Domain errors pass
// through unchanged; anything else stays an internal error.
func Classify(err error) error {
	var fe *fault.Error
	switch {
	case err == nil:
		return nil
	case errors.As(err, &fe):
		return err
	case ent.IsNotFound(err):
		return &fault.Error{Code: fault.NotFound, Message: "not found"}
	case ent.IsValidationError(err):
		var ve *ent.ValidationError
		errors.As(err, &ve)
		return &fault.Error{Code: fault.Invalid, Field: ve.Name, Message: validationMessage(ve)}
	case ent.IsConstraintError(err):
		return &fault.Error{Code: fault.Conflict, Message: "conflicts with an existing record"}
	case errors.Is(err, privacy.Deny):
		return &fault.Error{Code: fault.Forbidden, Message: "not allowed"}
	}
	return err
}

// validationMessage strips ent's `validator failed for field "x":` prefix,
// which names the field a second time.
func validationMessage(ve *ent.ValidationError) string {
	if u := errors.Unwrap(ve); u != nil {
		return u.Error()
	}
	return ve.Error()
}
