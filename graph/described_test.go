package graph

import (
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2/ast"
)

// TestSchemaDescribed fails when a type, field, argument, input field or
// enum value of the served schema has no description, whichever file it
// comes from, the generated ent.graphql included: GraphiQL and generated
// clients show them to the people who use the API.
func TestSchemaDescribed(t *testing.T) {
	for _, m := range undescribed(servedSchema()) {
		t.Error(m)
	}
	files, err := filepath.Glob("*.graphql")
	if err != nil {
		t.Fatal(err)
	}
	seen := schemaFiles(servedSchema())
	for _, f := range files {
		if !seen[f] {
			t.Errorf("no definition of the served schema comes from %s: is the test looking at the right schema?", f)
		}
	}
}

// TestSchemaDescribedCatchesAGap checks the check: a schema missing one
// description of each kind is reported once for each.
func TestSchemaDescribedCatchesAGap(t *testing.T) {
	s := servedSchema()
	user := *s.Types["User"]
	user.Fields = slices.Clone(user.Fields)
	f := *user.Fields.ForName("displayName")
	f.Description = ""
	user.Fields[slices.Index(user.Fields, user.Fields.ForName("displayName"))] = &f
	where := *s.Types["UserWhereInput"]
	where.Fields = slices.Clone(where.Fields)
	p := *where.Fields.ForName("userNameHasPrefix")
	p.Description = ""
	where.Fields[slices.Index(where.Fields, where.Fields.ForName("userNameHasPrefix"))] = &p
	types := make(map[string]*ast.Definition, len(s.Types))
	for k, v := range s.Types {
		types[k] = v
	}
	types["User"], types["UserWhereInput"] = &user, &where
	s.Types = types
	got := undescribed(s)
	if len(got) != 2 {
		t.Fatalf("undescribed = %q, want User.displayName and UserWhereInput.userNameHasPrefix", got)
	}
}

// undescribed lists, sorted, what of s's own definitions has no
// description, as "file:line: what".
func undescribed(s *ast.Schema) []string {
	var out []string
	missing := func(what string, pos *ast.Position) {
		name, line := "?", 0
		if pos != nil && pos.Src != nil {
			name, line = pos.Src.Name, pos.Line
		}
		out = append(out, name+":"+strconv.Itoa(line)+": "+what+" has no description")
	}
	for _, def := range s.Types {
		if builtin(def.Position) {
			continue
		}
		if def.Description == "" {
			missing(string(def.Kind)+" "+def.Name, def.Position)
		}
		for _, f := range def.Fields {
			if strings.HasPrefix(f.Name, "__") {
				continue // introspection: __schema, __type
			}
			if f.Description == "" {
				missing(def.Name+"."+f.Name, f.Position)
			}
			for _, a := range f.Arguments {
				if a.Description == "" {
					missing(def.Name+"."+f.Name+"("+a.Name+")", a.Position)
				}
			}
		}
		for _, v := range def.EnumValues {
			if v.Description == "" {
				missing(def.Name+"."+v.Name, v.Position)
			}
		}
	}
	slices.Sort(out)
	return out
}

// schemaFiles are the files the definitions of s come from.
func schemaFiles(s *ast.Schema) map[string]bool {
	seen := map[string]bool{}
	for _, def := range s.Types {
		if def.Position != nil && def.Position.Src != nil {
			seen[filepath.Base(def.Position.Src.Name)] = true
		}
		for _, f := range def.Fields {
			if f.Position != nil && f.Position.Src != nil {
				seen[filepath.Base(f.Position.Src.Name)] = true
			}
		}
	}
	return seen
}

// builtin reports whether pos is in gqlparser's prelude (String, __Type, ...).
func builtin(pos *ast.Position) bool { return pos != nil && pos.Src != nil && pos.Src.BuiltIn }
