package graph

import (
	"context"
	"maps"
	"regexp"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/formatter"

	"github.com/acme/directory/fault"
	"github.com/acme/directory/graph/generated"
	"github.com/acme/directory/graph/model"
)

// hiddenDirectives are directives of the schema files that the served
// schema leaves out. gqlgen's go* directives configure code generation
// and mean nothing to a client. @defer is gqlparser's, but this server
// does not stream incremental responses (no multipart transport), so it
// does not advertise it: a query that uses it fails validation instead of
// silently never receiving its deferred part.
var hiddenDirectives = []string{"goField", "goModel", "goTag", "goExtraField", "goEnum", "defer"}

// servedSchema is the generated schema without hiddenDirectives: what
// introspection shows, what validation checks queries against and what
// GET /graphql/schema.graphql publishes.
func servedSchema() *ast.Schema {
	base := generated.NewExecutableSchema(generated.Config{}).Schema()
	s := *base
	s.Directives = maps.Clone(base.Directives)
	for _, name := range hiddenDirectives {
		delete(s.Directives, name)
	}
	return &s
}

// schemaSDL is the served schema in the GraphQL schema language, with
// descriptions, for code generators; the uses of hidden directives
// (@goModel on a type, @goField on a field) are left out too.
func schemaSDL(s *ast.Schema) string {
	var b strings.Builder
	formatter.NewFormatter(&b, formatter.WithComments()).FormatSchema(s)
	return hiddenUse.ReplaceAllString(b.String(), "")
}

// hiddenUse matches a use of a go* directive in the formatted schema
// (their arguments are strings and booleans, without parentheses).
var hiddenUse = regexp.MustCompile(` ?@go[A-Za-z]+(\([^)]*\))?`)

// checkCursorOrder refuses a connection's after or before cursor that was
// handed out under another orderBy (model.MarshalCursor tags cursors with
// their order): with entgql's id-and-value cursors it would silently
// select the wrong rows, or none. It refuses an events cursor given to
// any other connection too (both are Cursor arguments).
func checkCursorOrder(ctx context.Context, next graphql.Resolver) (any, error) {
	fc := graphql.GetFieldContext(ctx)
	if fc == nil || fc.Field.Field == nil || len(fc.Field.Arguments) == 0 || fc.Field.Definition == nil {
		return next(ctx)
	}
	def := fc.Field.Definition
	ordered := def.Arguments.ForName("orderBy") != nil
	var args map[string]any
	for _, name := range []string{"after", "before"} {
		if fc.Field.Arguments.ForName(name) == nil || isEventsField(def) {
			continue
		}
		if args == nil {
			args = fc.Field.ArgumentMap(graphql.GetOperationContext(ctx).Variables)
		}
		raw, given := args[name].(string)
		if given && model.IsEventsCursor(raw) {
			return nil, fault.FieldErrorf(name, "is an events cursor, or empty: it pages the events connection only")
		}
		tag, ok := model.CursorOrder(raw)
		if !ordered || !ok {
			continue // entgql's own cursor, from before cursors named their order
		}
		if want := model.OrderTag(ctx); tag != want {
			return nil, fault.FieldErrorf(name, "this cursor belongs to another orderBy (%s); start again from the first page", orderName(tag))
		}
	}
	return next(ctx)
}

// isEventsField reports whether a field pages events (the events query and
// subscription), whose cursors are events cursors.
func isEventsField(def *ast.FieldDefinition) bool {
	name := def.Type.Name()
	return name == "EventConnection" || name == "Event"
}

// orderName spells an order tag for a message.
func orderName(tag string) string {
	if tag == "" {
		return "the default order"
	}
	return tag
}
