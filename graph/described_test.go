package graph

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"
)

// TestSchemaDescribed fails when a type, field, argument or enum value of
// the hand-written schema (graph/*.graphql but the generated ent.graphql)
// has no description: GraphiQL and generated clients show them to the
// people who use the API.
func TestSchemaDescribed(t *testing.T) {
	files, err := filepath.Glob("*.graphql")
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, name := range files {
		if name == "ent.graphql" {
			continue
		}
		src, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		doc, err := parser.ParseSchema(&ast.Source{Name: name, Input: string(src)})
		if err != nil {
			t.Fatalf("parse %s: %v", name, err)
		}
		missing := func(what string, pos *ast.Position) {
			t.Helper()
			t.Errorf("%s:%d: %s has no description", name, pos.Line, what)
		}
		for _, defs := range []struct {
			list     ast.DefinitionList
			extended bool // an extension has no description of its own
		}{{doc.Definitions, false}, {doc.Extensions, true}} {
			for _, def := range defs.list {
				checked++
				if !defs.extended && def.Description == "" {
					missing(string(def.Kind)+" "+def.Name, def.Position)
				}
				for _, f := range def.Fields {
					checked++
					if f.Description == "" {
						missing(def.Name+"."+f.Name, f.Position)
					}
					for _, a := range f.Arguments {
						checked++
						if a.Description == "" {
							missing(def.Name+"."+f.Name+"("+a.Name+")", a.Position)
						}
					}
				}
				for _, v := range def.EnumValues {
					checked++
					if v.Description == "" {
						missing(def.Name+"."+v.Name, v.Position)
					}
				}
			}
		}
	}
	if checked < 100 {
		t.Fatalf("checked only %d definitions: are the schema files where the test looks?", checked)
	}
}
