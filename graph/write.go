package graph

import (
	"github.com/99designs/gqlgen/graphql"

	"github.com/acme/directory/domain"
	"github.com/acme/directory/ent"
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
