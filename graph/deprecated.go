package graph

import (
	"context"
	"log/slog"
	"sync"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/acme/directory/access"
)

// Deprecated fields and enum values keep working for the one release the
// README announces. So that an operator knows who still calls them before
// they go, the first use of each by each credential is logged (a warning
// naming the field or value, its replacement and the credential), and
// later uses by the same credential are not: a client calling
// createOrganization a million times writes one line.

// deprecatedSeenMax bounds the (credential, field) pairs remembered; when
// it is reached the memory starts again, so a pair may be logged again.
const deprecatedSeenMax = 10_000

// deprecationLog is the handler extension that logs deprecated uses.
type deprecationLog struct {
	schema *ast.Schema
	mu     sync.Mutex
	seen   map[deprecatedUse]bool
}

// deprecatedUse is one deprecated field or value used by one credential.
type deprecatedUse struct {
	credential string
	what       string
}

var (
	_ graphql.HandlerExtension     = (*deprecationLog)(nil)
	_ graphql.OperationInterceptor = (*deprecationLog)(nil)
)

func newDeprecationLog(schema *ast.Schema) *deprecationLog {
	return &deprecationLog{schema: schema, seen: map[deprecatedUse]bool{}}
}

// ExtensionName names the extension.
func (*deprecationLog) ExtensionName() string { return "DeprecationLog" }

// Validate accepts any schema.
func (*deprecationLog) Validate(graphql.ExecutableSchema) error { return nil }

// InterceptOperation logs the deprecated fields and enum values the
// operation uses, then runs it.
func (d *deprecationLog) InterceptOperation(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
	if oc := graphql.GetOperationContext(ctx); oc != nil && oc.Operation != nil {
		d.selections(ctx, oc, oc.Operation.SelectionSet, map[string]bool{})
	}
	return next(ctx)
}

// selections looks at the fields of a selection set, fragments included
// (each named fragment once).
func (d *deprecationLog) selections(ctx context.Context, oc *graphql.OperationContext, set ast.SelectionSet, fragments map[string]bool) {
	for _, s := range set {
		switch s := s.(type) {
		case *ast.Field:
			if s.Definition != nil {
				if dep := s.Definition.Directives.ForName("deprecated"); dep != nil {
					d.use(ctx, s.ObjectDefinition.Name+"."+s.Name, reasonOf(dep))
				}
			}
			for _, a := range s.Arguments {
				if stringCursor(a.Value) {
					d.use(ctx, "String variable for "+s.ObjectDefinition.Name+"."+s.Name+"("+a.Name+": Cursor)",
						"Declare the variable as Cursor.")
				}
				if a.Value != nil && a.Value.Definition != nil {
					v, err := a.Value.Value(oc.Variables)
					if err == nil {
						d.value(ctx, a.Value.Definition, v)
					}
				}
			}
			d.selections(ctx, oc, s.SelectionSet, fragments)
		case *ast.InlineFragment:
			d.selections(ctx, oc, s.SelectionSet, fragments)
		case *ast.FragmentSpread:
			if s.Definition != nil && !fragments[s.Name] {
				fragments[s.Name] = true
				d.selections(ctx, oc, s.Definition.SelectionSet, fragments)
			}
		}
	}
}

// value looks for deprecated enum values in an argument's value v, of the
// type def: an enum, or an input object whose fields it walks (lists are
// walked element by element).
func (d *deprecationLog) value(ctx context.Context, def *ast.Definition, v any) {
	switch v := v.(type) {
	case []any:
		for _, e := range v {
			d.value(ctx, def, e)
		}
	case string:
		if def.Kind != ast.Enum {
			return
		}
		if ev := def.EnumValues.ForName(v); ev != nil {
			if dep := ev.Directives.ForName("deprecated"); dep != nil {
				d.use(ctx, def.Name+"."+v, reasonOf(dep))
			}
		}
	case map[string]any:
		if def.Kind != ast.InputObject {
			return
		}
		for name, fv := range v {
			f := def.Fields.ForName(name)
			if f == nil {
				continue
			}
			if dep := f.Directives.ForName("deprecated"); dep != nil {
				d.use(ctx, def.Name+"."+name, reasonOf(dep))
			}
			if t := d.schema.Types[f.Type.Name()]; t != nil {
				d.value(ctx, t, fv)
			}
		}
	}
}

// stringCursor reports whether an argument's value is a variable declared
// String where a Cursor is expected: accepted for one release (compat.go).
func stringCursor(v *ast.Value) bool {
	return v != nil && v.Kind == ast.Variable && v.VariableDefinition != nil && v.ExpectedType != nil &&
		v.VariableDefinition.Type.Name() == "String" && v.ExpectedType.Name() == "Cursor"
}

// reasonOf is a @deprecated directive's reason.
func reasonOf(dep *ast.Directive) string {
	if a := dep.Arguments.ForName("reason"); a != nil && a.Value != nil {
		return a.Value.Raw
	}
	return ""
}

// use logs the first use of what by the viewer's credential, with what to
// use instead.
func (d *deprecationLog) use(ctx context.Context, what, instead string) {
	credential := "none"
	if v := access.FromContext(ctx); v != nil {
		credential = string(v.Scope) + ":" + v.CredentialID.String()
	}
	u := deprecatedUse{credential: credential, what: what}
	d.mu.Lock()
	if d.seen[u] {
		d.mu.Unlock()
		return
	}
	if len(d.seen) >= deprecatedSeenMax {
		clear(d.seen)
	}
	d.seen[u] = true
	d.mu.Unlock()
	slog.WarnContext(ctx, "graphql: deprecated use", "what", what, "instead", instead, "credential", credential)
}
