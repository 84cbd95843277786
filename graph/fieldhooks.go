package graph

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
)

// fieldHooks is the server's one field middleware. It runs, for each
// field, only those of observeResults, checkCursorOrder and emptyAsNull
// that can change or learn anything from that field, chosen once per
// field of the schema (hooksFor), in that order, the first outermost.
//
// Installed as three gqlgen field middlewares they wrapped every field of
// every answer in three layers of closures, each looking up the field's
// context; a page of 100 users with their groups and roles has some 3,500
// fields, and those layers cost about as much as the page's SQL. Most
// fields (an id, a Boolean, a non-null String) need none of them and now
// run as if there were no middleware.
type fieldHooks struct {
	schema *ast.Schema
	sets   map[*ast.FieldDefinition]hookSet
}

// hookSet is a set of the three hooks.
type hookSet uint8

const (
	hookObserve hookSet = 1 << iota // observeResults
	hookCursor                      // checkCursorOrder
	hookNull                        // emptyAsNull

	allHooks = hookObserve | hookCursor | hookNull
)

// hookChains holds, for each set, its hooks composed in order; nil for
// the empty set.
var hookChains = func() (chains [allHooks + 1]graphql.FieldMiddleware) {
	for set := range chains {
		var hooks []graphql.FieldMiddleware
		for i, h := range []graphql.FieldMiddleware{observeResults, checkCursorOrder, emptyAsNull} {
			if set&(1<<i) != 0 {
				hooks = append(hooks, h)
			}
		}
		chains[set] = chainHooks(hooks...)
	}
	return chains
}()

// newFieldHooks decides, for every field of s, which hooks it needs.
func newFieldHooks(s *ast.Schema) *fieldHooks {
	h := &fieldHooks{schema: s, sets: map[*ast.FieldDefinition]hookSet{}}
	for _, t := range s.Types {
		for _, def := range t.Fields {
			h.sets[def] = hooksFor(s, def)
		}
	}
	return h
}

// intercept is the field middleware.
func (h *fieldHooks) intercept(ctx context.Context, next graphql.Resolver) (any, error) {
	set := h.setOf(graphql.GetFieldContext(ctx))
	if set == 0 {
		return next(ctx)
	}
	return hookChains[set](ctx, next)
}

// setOf is the hooks a field needs.
func (h *fieldHooks) setOf(fc *graphql.FieldContext) hookSet {
	if fc == nil || fc.Field.Definition == nil {
		return allHooks // let each decide, as when each wrapped every field
	}
	if set, ok := h.sets[fc.Field.Definition]; ok {
		return set
	}
	// A definition the validator makes (__typename, __schema, __type).
	return hooksFor(h.schema, fc.Field.Definition)
}

// hooksFor is the set of hooks that can act on a field def.
func hooksFor(s *ast.Schema, def *ast.FieldDefinition) hookSet {
	var set hookSet
	if mayHoldUsers(s, def.Type) {
		set |= hookObserve
	}
	if pagesByCursor(def) {
		set |= hookCursor
	}
	if t := def.Type; t.NamedType == "String" && !t.NonNull {
		set |= hookNull // the one type emptyAsNull changes
	}
	return set
}

// mayHoldUsers reports whether a field of type t can answer the values in
// which observeResults finds users: a User, a list of them, a
// UserConnection, or an interface or union User is one of (the node and
// nodes queries answer ent.Noder). Fields of other types answer other Go
// types (a UserEdge is read through its node field), which it ignores.
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
