package generated

// Not generated: the generator (graph/gqlgen) points the executor's list
// marshallers here. gqlgen deletes and rewrites generated.go only.

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
)

// marshalSliceInOrder is graphql.MarshalSliceConcurrently without the
// goroutines: it marshals a list's elements one after another, each under
// a field context holding its index, and a panic while marshalling one
// becomes an error on that element, which is then null, as there. The
// elements of a page read what the page loaded, so a goroutine each
// (hundreds a page) would only add the cost of starting them and growing
// their stacks (see graph/gqlgen).
func marshalSliceInOrder(ctx context.Context, length int, marshalElement func(ctx context.Context, i int) graphql.Marshaler) graphql.Array {
	ret := make(graphql.Array, length)
	for i := range length {
		ret[i] = marshalElement1(ctx, i, marshalElement)
	}
	return ret
}

// marshalElement1 marshals element i of a list, recovering a panic.
func marshalElement1(ctx context.Context, i int, marshalElement func(ctx context.Context, i int) graphql.Marshaler) (ret graphql.Marshaler) {
	ctx = graphql.WithFieldContext(ctx, &graphql.FieldContext{Index: &i})
	defer func() {
		if r := recover(); r != nil {
			graphql.AddError(ctx, graphql.Recover(ctx, r))
			ret = graphql.Null
		}
	}()
	return marshalElement(ctx, i)
}
