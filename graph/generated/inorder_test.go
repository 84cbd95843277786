package generated

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/99designs/gqlgen/graphql"
)

// TestMarshalSliceInOrder: the elements are marshalled in order, each
// under a field context holding its index; one that panics is null and
// reported as an error on its own path, the others are unaffected.
func TestMarshalSliceInOrder(t *testing.T) {
	ctx := graphql.WithResponseContext(context.Background(), graphql.DefaultErrorPresenter,
		func(_ context.Context, v any) error { return fmt.Errorf("recovered: %v", v) })
	ctx = graphql.WithFieldContext(ctx, &graphql.FieldContext{Field: graphql.CollectedField{}})
	var order []int
	got := marshalSliceInOrder(ctx, 3, func(ctx context.Context, i int) graphql.Marshaler {
		order = append(order, *graphql.GetFieldContext(ctx).Index)
		if i == 1 {
			panic("element 1")
		}
		return graphql.MarshalInt(i)
	})
	var b bytes.Buffer
	got.MarshalGQL(&b)
	if b.String() != "[0,null,2]" {
		t.Errorf("marshalled %s; want [0,null,2]", b.String())
	}
	if fmt.Sprint(order) != "[0 1 2]" {
		t.Errorf("indexes seen in order %v; want [0 1 2]", order)
	}
	errs := graphql.GetErrors(ctx)
	if len(errs) != 1 || errs[0].Message != "recovered: element 1" || errs[0].Path.String() != "[1]" {
		t.Errorf("errors %v; want one, recovered, at path 1", errs)
	}
}

// TestExecutorInOrder: the committed executor is graph/gqlgen's: no object
// resolves its fields concurrently but the root ones, no list is
// marshalled concurrently and no object makes a @defer group (make
// generate and CI's check keep it current).
func TestExecutorInOrder(t *testing.T) {
	src, err := os.ReadFile("generated.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, call := range []string{".ResolveConcurrently(", "MarshalSliceConcurrently(", "NewDeferredGroup("} {
		if n := strings.Count(string(src), call); n != 0 {
			t.Errorf("generated.go calls %s %d times; want none (regenerate with make generate)", call, n)
		}
	}
	if !strings.Contains(string(src), "marshalSliceInOrder(ctx, len(v), ") {
		t.Error("generated.go never calls marshalSliceInOrder")
	}
}
