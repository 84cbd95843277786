package graph

import (
	"context"
	"encoding/json"
	"math"
	"slices"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// The operation limits run after validation and before any resolver:
// depthLimit and pageLimit here, gqlgen's FixedComplexityLimit with the
// page-aware costs of pagedSchema.

// depthLimit refuses operations whose fields nest deeper than max.
// Introspection fields do not count: GraphiQL's schema query is deep by
// nature and is switched off with introspection.
type depthLimit struct{ max int }

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = depthLimit{}

// ExtensionName implements graphql.HandlerExtension.
func (depthLimit) ExtensionName() string { return "DepthLimit" }

// Validate implements graphql.HandlerExtension.
func (depthLimit) Validate(graphql.ExecutableSchema) error { return nil }

// MutateOperationContext measures the operation and refuses it when too
// deep.
func (d depthLimit) MutateOperationContext(_ context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	depth := selectionDepth(oc.Operation.SelectionSet, map[string]int{})
	if depth <= d.max {
		return nil
	}
	err := gqlerror.ErrorPosf(oc.Operation.Position,
		"operation nests fields %d deep, more than the limit of %d", depth, d.max)
	errcode.Set(err, "DEPTH_LIMIT_EXCEEDED")
	return err
}

// selectionDepth is the depth of the deepest field under set. Fragments
// are measured once each (memo), so a fragment used many times costs
// nothing more; validation has already ruled out cycles.
func selectionDepth(set ast.SelectionSet, memo map[string]int) int {
	deepest := 0
	for _, sel := range set {
		var d int
		switch s := sel.(type) {
		case *ast.Field:
			if strings.HasPrefix(s.Name, "__") {
				continue
			}
			d = 1 + selectionDepth(s.SelectionSet, memo)
		case *ast.InlineFragment:
			d = selectionDepth(s.SelectionSet, memo)
		case *ast.FragmentSpread:
			if s.Definition == nil {
				continue
			}
			var ok bool
			if d, ok = memo[s.Name]; !ok {
				d = selectionDepth(s.Definition.SelectionSet, memo)
				memo[s.Name] = d
			}
		}
		deepest = max(deepest, d)
	}
	return deepest
}

// pageLimit checks every connection of an operation before it runs: first
// and last within [0, max], not both, and one of them whenever the
// connection's edges are selected, so no response holds an unbounded list.
type pageLimit struct{ max int }

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = pageLimit{}

// ExtensionName implements graphql.HandlerExtension.
func (pageLimit) ExtensionName() string { return "PageLimit" }

// Validate implements graphql.HandlerExtension.
func (pageLimit) Validate(graphql.ExecutableSchema) error { return nil }

// MutateOperationContext refuses the operation at its first bad connection.
func (p pageLimit) MutateOperationContext(_ context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	return p.check(oc.Operation.SelectionSet, oc.Variables, map[string]bool{})
}

func (p pageLimit) check(set ast.SelectionSet, vars map[string]any, seen map[string]bool) *gqlerror.Error {
	for _, sel := range set {
		var err *gqlerror.Error
		switch s := sel.(type) {
		case *ast.Field:
			if err = p.checkField(s, vars); err == nil {
				err = p.check(s.SelectionSet, vars, seen)
			}
		case *ast.InlineFragment:
			err = p.check(s.SelectionSet, vars, seen)
		case *ast.FragmentSpread:
			if s.Definition != nil && !seen[s.Name] {
				seen[s.Name] = true
				err = p.check(s.Definition.SelectionSet, vars, seen)
			}
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// checkField checks one field's pagination arguments, if it is a
// connection.
func (p pageLimit) checkField(f *ast.Field, vars map[string]any) *gqlerror.Error {
	if !isConnection(f.Definition) {
		return nil
	}
	args := f.ArgumentMap(vars)
	first, hasFirst := intArg(args["first"])
	last, hasLast := intArg(args["last"])
	switch {
	case hasFirst && hasLast:
		return limitError(f.Position, "last", "%s: pass first or last, not both", f.Alias)
	case hasFirst && (first < 0 || first > int64(p.max)):
		return limitError(f.Position, "first", "%s: first must be between 0 and %d", f.Alias, p.max)
	case hasLast && (last < 0 || last > int64(p.max)):
		return limitError(f.Position, "last", "%s: last must be between 0 and %d", f.Alias, p.max)
	case !hasFirst && !hasLast && selectsField(f.SelectionSet, "edges"):
		return limitError(f.Position, "first",
			"%s: first or last (at most %d) is required to list edges", f.Alias, p.max)
	}
	return nil
}

// isConnection reports whether a field is a Relay connection with first
// and last arguments.
func isConnection(def *ast.FieldDefinition) bool {
	return def != nil && def.Arguments.ForName("first") != nil && def.Arguments.ForName("last") != nil &&
		strings.HasSuffix(def.Type.Name(), "Connection")
}

// selectsField reports whether set selects name, directly or through
// fragments.
func selectsField(set ast.SelectionSet, name string) bool {
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			if s.Name == name {
				return true
			}
		case *ast.InlineFragment:
			if selectsField(s.SelectionSet, name) {
				return true
			}
		case *ast.FragmentSpread:
			if s.Definition != nil && selectsField(s.Definition.SelectionSet, name) {
				return true
			}
		}
	}
	return false
}

// intArg reads an Int argument as given inline (int64) or through a
// variable (json.Number or a Go integer); absent or null is not given.
func intArg(v any) (int64, bool) {
	switch n := v.(type) {
	case int:
		return int64(n), true
	case int32:
		return int64(n), true
	case int64:
		return n, true
	case float64:
		return int64(math.Round(n)), true
	case json.Number:
		i, err := n.Int64()
		return i, err == nil
	}
	return 0, false
}

// pagedSchema prices a paginated field as its page size times the cost of
// one element, so the complexity limit sees what a query really loads.
// Everything else keeps gqlgen's default of one plus the children.
type pagedSchema struct {
	graphql.ExecutableSchema
}

// Complexity implements graphql.ExecutableSchema.
func (s pagedSchema) Complexity(ctx context.Context, typeName, field string, child int, args map[string]any) (int, bool) {
	n, ok := intArg(args["first"])
	if !ok {
		n, ok = intArg(args["last"])
	}
	if ok && n > 1 {
		if child > 0 && n > int64(math.MaxInt32/child) {
			return math.MaxInt32, true // saturate rather than overflow
		}
		return 1 + int(n)*child, true
	}
	return s.ExecutableSchema.Complexity(ctx, typeName, field, child, args)
}

// noIntrospection refuses schema queries (__schema, __type) up front when
// introspection is off, with a code the caller can act on; gqlgen alone
// would fail them with an uncoded error at execution. __typename stays
// allowed: clients need it to read unions and interfaces.
type noIntrospection struct{}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = noIntrospection{}

// ExtensionName implements graphql.HandlerExtension.
func (noIntrospection) ExtensionName() string { return "NoIntrospection" }

// Validate implements graphql.HandlerExtension.
func (noIntrospection) Validate(graphql.ExecutableSchema) error { return nil }

// MutateOperationContext refuses the operation if it introspects.
func (noIntrospection) MutateOperationContext(_ context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	if f := findField(oc.Operation.SelectionSet, map[string]bool{}, "__schema", "__type"); f != nil {
		err := gqlerror.ErrorPosf(f.Position, "introspection is disabled on this server")
		errcode.Set(err, "INTROSPECTION_DISABLED")
		return err
	}
	return nil
}

// findField returns the first field under set named one of names.
func findField(set ast.SelectionSet, seen map[string]bool, names ...string) *ast.Field {
	for _, sel := range set {
		var found *ast.Field
		switch s := sel.(type) {
		case *ast.Field:
			if slices.Contains(names, s.Name) {
				return s
			}
			found = findField(s.SelectionSet, seen, names...)
		case *ast.InlineFragment:
			found = findField(s.SelectionSet, seen, names...)
		case *ast.FragmentSpread:
			if s.Definition != nil && !seen[s.Name] {
				seen[s.Name] = true
				found = findField(s.Definition.SelectionSet, seen, names...)
			}
		}
		if found != nil {
			return found
		}
	}
	return nil
}
