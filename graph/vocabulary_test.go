package graph

import (
	"slices"
	"testing"

	"github.com/acme/directory/access"
	"github.com/acme/directory/ent/schema/schematype"
	"github.com/acme/directory/graph/generated"
)

// TestEnumsFollowTheirGoTypes: the GraphQL enums of the two vocabularies
// declared once in Go (key scopes, providers) list exactly the Go values,
// in the same order, so the schema cannot drift from them.
func TestEnumsFollowTheirGoTypes(t *testing.T) {
	schema := generated.NewExecutableSchema(generated.Config{}).Schema()
	for enum, want := range map[string][]string{
		"APIKeyScope":       access.Scope("").Values(),
		"DirectoryProvider": schematype.Provider("").Values(),
	} {
		def := schema.Types[enum]
		if def == nil {
			t.Fatalf("no enum %s in the schema", enum)
		}
		var got []string
		for _, v := range def.EnumValues {
			got = append(got, v.Name)
		}
		if !slices.Equal(got, want) {
			t.Errorf("enum %s = %v; want %v", enum, got, want)
		}
	}
}
