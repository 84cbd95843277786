// Package gqldoc fills in the descriptions that entgql leaves out of the
// GraphQL schema it generates (graph/ent.graphql), so that every type,
// field and input field a client sees is described. Node types take theirs
// from the ent schema's schema.Comment annotation and connection edges
// from the edge's Comment, written once in ent/schema; what entgql
// generates on its own (order fields, where-input predicates) gets a
// description built from its name. ent/entc.go runs Hook as an entgql
// schema hook during `make generate`; the output is deterministic.
package gqldoc

import (
	"encoding/json"
	"fmt"
	"strings"

	"entgo.io/contrib/entgql"
	"entgo.io/ent/entc/gen"
	entschema "entgo.io/ent/schema"
	"github.com/vektah/gqlparser/v2/ast"
)

// queryDescription describes the root Query type, which entgql creates.
const queryDescription = `Reads. Every field needs an API key (or an Admin Portal session); an org
key sees its own organization's data only, a platform key every
organization's.`

// Hook describes what entgql left undescribed in s, the schema generated
// from g. It never replaces a description written in ent/schema.
func Hook(g *gen.Graph, s *ast.Schema) error {
	if q := s.Types["Query"]; q != nil && q.Description == "" {
		q.Description = queryDescription
	}
	for _, t := range g.Nodes {
		def := s.Types[t.Name]
		if def == nil {
			continue // not a GraphQL type
		}
		if def.Description == "" {
			def.Description = typeComment(t)
		}
		describeEdges(t, def)
		if err := describeOrderFields(t, def, s.Types[t.Name+"OrderField"]); err != nil {
			return err
		}
		describeWhereInput(t, def, s.Types[t.Name+"WhereInput"])
	}
	return nil
}

// typeComment is the text of t's schema.Comment annotation, or "".
func typeComment(t *gen.Type) string {
	ant := &entschema.CommentAnnotation{}
	raw, ok := t.Annotations[ant.Name()]
	if !ok {
		return ""
	}
	b, err := json.Marshal(raw)
	if err != nil || json.Unmarshal(b, ant) != nil {
		return ""
	}
	return ant.Text
}

// describeEdges gives the edge fields of def without a description (entgql
// writes none on a Relay connection) their edge's Comment.
func describeEdges(t *gen.Type, def *ast.Definition) {
	for _, e := range t.Edges {
		if f := fieldFor(def, e.Name); f != nil && f.Description == "" {
			f.Description = e.Comment()
		}
	}
}

// fieldFor is the field of def that entgql made of the ent field or edge
// called name ("default_role": defaultRole, "profile_url": profileURL).
func fieldFor(def *ast.Definition, name string) *ast.FieldDefinition {
	plain := strings.ReplaceAll(name, "_", "")
	for _, f := range def.Fields {
		if strings.EqualFold(f.Name, plain) {
			return f
		}
	}
	return nil
}

// describeOrderFields describes each value of the order-field enum of t:
// the GraphQL field it orders by.
func describeOrderFields(t *gen.Type, def, enum *ast.Definition) error {
	if enum == nil {
		return nil
	}
	for _, f := range t.Fields {
		var ant entgql.Annotation
		if err := ant.Decode(f.Annotations[ant.Name()]); err != nil {
			return fmt.Errorf("gqldoc: %s.%s: %w", t.Name, f.Name, err)
		}
		v := enum.EnumValues.ForName(ant.OrderField)
		gql := fieldFor(def, f.Name)
		if ant.OrderField == "" || v == nil || gql == nil || v.Description != "" {
			continue
		}
		v.Description = fmt.Sprintf("Order by %s.", gql.Name)
	}
	return nil
}

// describeWhereInput describes every field of t's where input: entgql
// writes "<column> field predicates" on one field of each group and
// nothing on the others.
func describeWhereInput(t *gen.Type, def, where *ast.Definition) {
	if where == nil {
		return
	}
	noun := plural(t.Name)
	for _, f := range where.Fields {
		if d := wherePredicate(t, def, noun, f); d != "" {
			f.Description = d
		}
	}
}

// wherePredicate is the description of the where-input field f of t, or
// "" when its name is not one entgql makes.
func wherePredicate(t *gen.Type, def *ast.Definition, noun string, f *ast.FieldDefinition) string {
	switch f.Name {
	case "not":
		return fmt.Sprintf("Only %s the given filter does not match.", noun)
	case "and":
		return fmt.Sprintf("Only %s that every one of the given filters matches.", noun)
	case "or":
		return fmt.Sprintf("Only %s that at least one of the given filters matches.", noun)
	}
	for _, e := range t.Edges {
		name, edge := "has"+strings.ReplaceAll(e.Name, "_", ""), e.Name
		if gql := fieldFor(def, e.Name); gql != nil {
			edge = gql.Name
		}
		switch {
		case strings.EqualFold(f.Name, name) && e.Unique:
			return fmt.Sprintf("true: only %s with a %s; false: only %s without one.", noun, edge, noun)
		case strings.EqualFold(f.Name, name):
			return fmt.Sprintf("true: only %s with one or more %s; false: only %s with no %s.", noun, edge, noun, edge)
		case strings.EqualFold(f.Name, name+"With") && e.Unique:
			return fmt.Sprintf("Only %s whose %s every one of the given filters matches.", noun, edge)
		case strings.EqualFold(f.Name, name+"With"):
			return fmt.Sprintf("Only %s with one or more %s that every one of the given filters matches.", noun, edge)
		}
	}
	field, suffix := splitPredicate(def, f.Name)
	if field == "" {
		return ""
	}
	text, ok := predicates[suffix]
	if !ok {
		return ""
	}
	after, before, note := order(f.Type.Name())
	return strings.NewReplacer("{noun}", noun, "{field}", field, "{after}", after, "{before}", before, "{note}", note).Replace(text)
}

// splitPredicate splits a where-input field name into the field of def it
// filters on (the longest that is a prefix) and the predicate's suffix.
func splitPredicate(def *ast.Definition, name string) (field, suffix string) {
	for _, f := range def.Fields {
		if strings.HasPrefix(name, f.Name) && len(f.Name) > len(field) {
			field = f.Name
		}
	}
	return field, strings.TrimPrefix(name, field)
}

// predicates are the descriptions of entgql's field predicates by suffix.
var predicates = map[string]string{
	"":             "Only {noun} whose {field} is the given value.",
	"NEQ":          "Only {noun} whose {field} is not the given value.",
	"In":           "Only {noun} whose {field} is one of the given values.",
	"NotIn":        "Only {noun} whose {field} is none of the given values.",
	"GT":           "Only {noun} whose {field} is {after} the given value{note}.",
	"GTE":          "Only {noun} whose {field} is the given value or {after} it{note}.",
	"LT":           "Only {noun} whose {field} is {before} the given value{note}.",
	"LTE":          "Only {noun} whose {field} is the given value or {before} it{note}.",
	"Contains":     "Only {noun} whose {field} contains the given text, with regard to case.",
	"HasPrefix":    "Only {noun} whose {field} starts with the given text, with regard to case.",
	"HasSuffix":    "Only {noun} whose {field} ends with the given text, with regard to case.",
	"EqualFold":    "Only {noun} whose {field} equals the given text without regard to case.",
	"ContainsFold": "Only {noun} whose {field} contains the given text without regard to case.",
	"IsNil":        "true: only {noun} without a {field} (null); false: no condition.",
	"NotNil":       "true: only {noun} with a {field} (not null); false: no condition.",
}

// order words the comparisons of a value of the GraphQL type named typ.
func order(typ string) (after, before, note string) {
	switch typ {
	case "Time":
		return "later than", "earlier than", ""
	case "Int", "Float":
		return "greater than", "less than", ""
	case "ID":
		return "after", "before", " (ids sort by creation time)"
	}
	return "after", "before", " in the database's text order"
}

// plural is the noun for several nodes of the type named name, for the
// descriptions: "users", "directory tokens".
func plural(name string) string {
	var b strings.Builder
	for i, r := range name {
		if i > 0 && r >= 'A' && r <= 'Z' {
			b.WriteByte(' ')
		}
		b.WriteRune(r)
	}
	s := strings.ToLower(b.String())
	if strings.HasSuffix(s, "y") {
		return strings.TrimSuffix(s, "y") + "ies"
	}
	return s + "s"
}
