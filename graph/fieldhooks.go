package graph

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
)

// fieldHooks is the server's one field middleware. It runs, for each
// field, only those of observeResults, checkCursorOrder and emptyAsNull
// that can change or learn anything from that field, chosen once per
// field of the schema (fieldHooksFor), in that order, the first outermost.
//
// Installed as three gqlgen field middlewares they wrapped every field of
// every answer in three layers of closures, each looking up the field's
// context; a page of 100 users with their groups and roles has some 3,500
// fields, and those layers cost more than the page's SQL. Most fields (an
// id, a Boolean, a non-null String) need none of them and now run as if
// there were no middleware.
type fieldHooks struct {
	schema *ast.Schema
	hooks  map[*ast.FieldDefinition]graphql.FieldMiddleware // nil: none
}

// newFieldHooks decides, for every field of s, which hooks it needs.
func newFieldHooks(s *ast.Schema) *fieldHooks {
	h := &fieldHooks{schema: s, hooks: map[*ast.FieldDefinition]graphql.FieldMiddleware{}}
	for _, t := range s.Types {
		for _, def := range t.Fields {
			h.hooks[def] = fieldHooksFor(s, def)
		}
	}
	return h
}

// intercept is the field middleware.
func (h *fieldHooks) intercept(ctx context.Context, next graphql.Resolver) (any, error) {
	fc := graphql.GetFieldContext(ctx)
	if fc == nil || fc.Field.Definition == nil {
		// Not a field of the schema: let each hook decide, as they did
		// before there was a table.
		return allHooks(ctx, next)
	}
	hook, known := h.hooks[fc.Field.Definition]
	if !known {
		// A definition made while validating (__typename, __schema).
		hook = fieldHooksFor(h.schema, fc.Field.Definition)
	}
	if hook == nil {
		return next(ctx)
	}
	return hook(ctx, next)
}

// allHooks runs all three, for a field whose definition is unknown.
var allHooks = chainHooks(observeResults, checkCursorOrder, emptyAsNull)

// fieldHooksFor is the middleware def needs, nil for none.
func fieldHooksFor(s *ast.Schema, def *ast.FieldDefinition) graphql.FieldMiddleware {
	var hooks []graphql.FieldMiddleware
	if mayHoldUsers(s, def.Type) {
		hooks = append(hooks, observeResults)
	}
	if pagesByCursor(def) {
		hooks = append(hooks, checkCursorOrder)
	}
	if t := def.Type; t.NamedType == "String" && !t.NonNull {
		hooks = append(hooks, emptyAsNull)
	}
	return chainHooks(hooks...)
}

// mayHoldUsers reports whether a field of type t can answer the values in
// which observeResults finds users: a User, a list of them, a
// UserConnection, or an interface or union User is one of (the node and
// nodes queries answer ent.Noder). Fields of other types answer other Go
// types (ent.UserEdge is read through its node field), which it ignores.
func mayHoldUsers(s *ast.Schema, t *ast.Type) bool {
	name := t.Name()
	if name == "User" || name == "UserConnection" {
		return true
	}
	def := s.Types[name]
	if def == nil || !def.IsAbstractType() {
		return false
	}
	for _, p := range s.GetPossibleTypes(def) {
		if p.Name == "User" {
			return true
		}
	}
	return false
}

// pagesByCursor reports whether checkCursorOrder has cursors of def to
// check: an after or before argument of a connection other than the
// events'.
func pagesByCursor(def *ast.FieldDefinition) bool {
	return (def.Arguments.ForName("after") != nil || def.Arguments.ForName("before") != nil) && !isEventsField(def)
}

// chainHooks composes field middlewares, the first outermost; nil for
// none.
func chainHooks(hooks ...graphql.FieldMiddleware) graphql.FieldMiddleware {
	switch len(hooks) {
	case 0:
		return nil
	case 1:
		return hooks[0]
	}
	outer, inner := hooks[0], chainHooks(hooks[1:]...)
	return func(ctx context.Context, next graphql.Resolver) (any, error) {
		return outer(ctx, func(ctx context.Context) (any, error) { return inner(ctx, next) })
	}
}
