package graph

import (
	"context"
	"errors"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/google/uuid"

	"github.com/acme/directory/domain"
	"github.com/acme/directory/ent"
	"github.com/acme/directory/fault"
	"github.com/acme/directory/graph/model"
)

// The translations between GraphQL's input shapes and the domain's. The
// operations themselves live in package domain.

// deref returns *s, or "" for nil.
func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// nullable is the domain form of an optional, nullable input field.
func nullable[T any](o graphql.Omittable[*T]) domain.Nullable[T] {
	v, set := o.ValueOK()
	if !set {
		return domain.Nullable[T]{}
	}
	return domain.Nullable[T]{Set: true, Value: v}
}

// directoryStatus is what the admin sees of a directory's state.
func directoryStatus(d *ent.Directory) model.DirectoryStatus {
	switch {
	case !d.Enabled:
		return model.DirectoryStatusDisabled
	case d.LastSyncedAt == nil:
		return model.DirectoryStatusPending
	}
	return model.DirectoryStatusActive
}

// mutate runs one mutation of the new form: op is a domain operation,
// which runs under a savepoint of the operation's transaction (each domain
// operation is one transaction, and store.WithTx joins the caller's), so
// that an expected failure undoes op alone. It returns the payload's
// userErrors: empty when
// op succeeded, the failure when it is an expected one (fault.Invalid,
// NotFound, Conflict), with err nil so the operation's other mutations
// commit. Any other failure comes back as err, a top-level error that
// rolls back the whole operation. prefix is the argument the failure's
// field is under ("input").
func (r *mutationResolver) mutate(ctx context.Context, prefix string, op func(ctx context.Context) error) ([]*model.UserError, error) {
	return userErrors(prefix, op(ctx))
}

// userErrors sorts err into an expected failure, returned as the payload's
// userErrors, and the others, returned as err. No error: an empty list.
func userErrors(prefix string, err error) ([]*model.UserError, error) {
	if err == nil {
		return []*model.UserError{}, nil
	}
	var fe *fault.Error
	if !errors.As(inputError(prefix, err), &fe) {
		return nil, err
	}
	code, ok := userErrorCodes[fe.Code]
	if !ok {
		return nil, err
	}
	ue := &model.UserError{Code: code, Message: fe.Message, Field: fieldPath(fe.Field)}
	return []*model.UserError{ue}, nil
}

// userErrorCodes are the fault codes reported as userErrors.
var userErrorCodes = map[fault.Code]model.UserErrorCode{
	fault.Invalid:  model.UserErrorCodeBadUserInput,
	fault.NotFound: model.UserErrorCodeNotFound,
	fault.Conflict: model.UserErrorCodeConflict,
}

// fieldPath splits a dotted input path ("input.roleIDs[1]") into the
// elements of UserError.field (["input", "roleIDs", "1"]); nil for "".
func fieldPath(field string) []string {
	if field == "" {
		return nil
	}
	var out []string
	for _, part := range strings.Split(field, ".") {
		name, rest, _ := strings.Cut(part, "[")
		if name != "" {
			out = append(out, name)
		}
		for rest != "" {
			var idx string
			idx, rest, _ = strings.Cut(rest, "]")
			out = append(out, idx)
			rest = strings.TrimPrefix(rest, "[")
		}
	}
	return out
}

// unless returns v, or nil when the mutation reported userErrors.
func unless[T any](v *T, ue []*model.UserError) *T {
	if len(ue) > 0 {
		return nil
	}
	return v
}

// deleted is a delete payload's deletedID: id, or nil when the mutation
// reported userErrors.
func deleted(id uuid.UUID, ue []*model.UserError) *uuid.UUID {
	if len(ue) > 0 {
		return nil
	}
	return &id
}
