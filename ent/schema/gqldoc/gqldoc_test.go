package gqldoc

import (
	"os"
	"testing"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"
)

// TestGenerated checks a sample of what Hook wrote into the committed
// graph/ent.graphql (make generate): the type comment, a connection edge's
// comment, an order value and where-input predicates of each kind.
func TestGenerated(t *testing.T) {
	src, err := os.ReadFile("../../../graph/ent.graphql")
	if err != nil {
		t.Fatal(err)
	}
	doc, err := parser.ParseSchema(&ast.Source{Name: "ent.graphql", Input: string(src)})
	if err != nil {
		t.Fatal(err)
	}
	field := func(typ, name string) string {
		def := doc.Definitions.ForName(typ)
		if def == nil || def.Fields.ForName(name) == nil {
			t.Fatalf("%s.%s not in ent.graphql", typ, name)
		}
		return def.Fields.ForName(name).Description
	}
	for _, c := range []struct{ got, want string }{
		{doc.Definitions.ForName("Query").Description, queryDescription},
		{field("Group", "members"), "The group's direct members, as the provider sent them."},
		{doc.Definitions.ForName("UserOrderField").EnumValues.ForName("USER_NAME").Description, "Order by userName."},
		{field("UserWhereInput", "userNameHasPrefix"), "Only users whose userName starts with the given text, with regard to case."},
		{field("UserWhereInput", "createdAtGTE"), "Only users whose createdAt is the given value or later than it."},
		{field("UserWhereInput", "displayNameIsNil"), "true: only users without a displayName (null); false: no condition."},
		{field("UserWhereInput", "hasGroups"), "true: only users with one or more groups; false: only users with no groups."},
		{field("OrganizationWhereInput", "hasDefaultRoleWith"), "Only organizations whose defaultRole every one of the given filters matches."},
		{field("DirectoryWhereInput", "or"), "Only directories that at least one of the given filters matches."},
	} {
		if c.got != c.want {
			t.Errorf("description %q, want %q", c.got, c.want)
		}
	}
}

// TestPlural: the nouns of the descriptions.
func TestPlural(t *testing.T) {
	for in, want := range map[string]string{"User": "users", "Directory": "directories", "DirectoryToken": "directory tokens"} {
		if got := plural(in); got != want {
			t.Errorf("plural(%q) = %q, want %q", in, got, want)
		}
	}
}
