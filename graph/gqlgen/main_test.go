package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/99designs/gqlgen/codegen"
)

// TestInOrderPlugin: every object but the root ones loses gqlgen's
// concurrent field resolution.
func TestInOrderPlugin(t *testing.T) {
	user, query := &codegen.Object{}, &codegen.Object{Root: true}
	if err := (inOrder{}).GenerateCode(&codegen.Data{Objects: codegen.Objects{user, query}}); err != nil {
		t.Fatal(err)
	}
	if !user.DisableConcurrency || query.DisableConcurrency {
		t.Errorf("DisableConcurrency: object %v, root %v; want true, false", user.DisableConcurrency, query.DisableConcurrency)
	}
}

// executor is a shape of what gqlgen writes, with its list marshaller and
// @defer group.
const executor = `package generated

func (ec *executionContext) _User(ctx context.Context, sel ast.SelectionSet, obj *ent.User) graphql.Marshaler {
	deferred := graphql.NewDeferredGroup(ctx)
	_ = deferred
	return graphql.MarshalSliceConcurrently(ctx, len(v), 0, false, func(ctx context.Context, i int) graphql.Marshaler {
		return nil
	})
}
`

// TestRewriteExecutor: the executor's list marshallers and @defer groups
// are rewritten; one written in a form the generator does not know, or a
// field still resolved concurrently, fails the generation.
func TestRewriteExecutor(t *testing.T) {
	for name, tc := range map[string]struct {
		src, wantErr string
	}{
		"known":             {src: executor},
		"worker limit":      {src: strings.Replace(executor, "len(v), 0, false", "len(v), 4, false", 1), wantErr: "MarshalSliceConcurrently"},
		"concurrent fields": {src: executor + "\nfunc f() { out.ResolveConcurrently(nil) }\n", wantErr: "concurrently"},
		"no list":           {src: strings.Replace(executor, "MarshalSliceConcurrently", "MarshalSlice", 1), wantErr: "0 of 0"},
	} {
		t.Run(name, func(t *testing.T) {
			file := filepath.Join(t.TempDir(), "generated.go")
			if err := os.WriteFile(file, []byte(tc.src), 0o644); err != nil {
				t.Fatal(err)
			}
			err := rewriteExecutor(file)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v; want one saying %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			out, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			for _, gone := range []string{"MarshalSliceConcurrently", "NewDeferredGroup"} {
				if strings.Contains(string(out), gone) {
					t.Errorf("%s left in\n%s", gone, out)
				}
			}
			if !strings.Contains(string(out), "marshalSliceInOrder(ctx, len(v), func(") ||
				!strings.Contains(string(out), "var deferred graphql.DeferredGroup") {
				t.Errorf("not rewritten:\n%s", out)
			}
		})
	}
}
