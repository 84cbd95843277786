// Package eventdoc reads the doc comments of the event payloads declared
// in events/payloads.go, for the generators that publish them: the event
// catalogue (events/catalogue.md) and the GraphQL event types
// (graph/events.graphql). One reader, so both say the same.
package eventdoc

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"strings"
)

// Docs holds doc comments on one line each: of each declared type by its
// name, and of each struct field by "Type.Field".
type Docs map[string]string

// Read reads the doc comments of the type declarations in the Go file at
// path.
func Read(path string) (Docs, error) {
	f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ParseComments)
	if err != nil {
		return nil, fmt.Errorf("eventdoc: parse %s: %w", path, err)
	}
	out := Docs{}
	for _, d := range f.Decls {
		g, ok := d.(*ast.GenDecl)
		if !ok || g.Tok != token.TYPE {
			continue
		}
		for _, spec := range g.Specs {
			ts := spec.(*ast.TypeSpec)
			c := ts.Doc
			if c == nil {
				c = g.Doc // a lone declaration's comment sits on the GenDecl
			}
			out[ts.Name.Name] = oneLine(c.Text())
			st, ok := ts.Type.(*ast.StructType)
			if !ok {
				continue
			}
			for _, fd := range st.Fields.List {
				for _, n := range fd.Names {
					out[ts.Name.Name+"."+n.Name] = oneLine(fd.Doc.Text())
				}
			}
		}
	}
	return out, nil
}

// oneLine joins a comment's lines with single spaces.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
