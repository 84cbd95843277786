package graph

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
)

// emptyAsNull answers null for a nullable String field whose value is the
// empty string. ent reads an unset optional string column (a user's
// displayName, a role's description, ...) as "", and the domain stores
// nothing for "" (an update given "" clears the field), so "" and null
// mean the same: unset. Clients generated from the schema type these
// fields `string | null` and test for null; this is the one place that
// keeps that promise for every such field, present and future.
func emptyAsNull(ctx context.Context, next graphql.Resolver) (any, error) {
	res, err := next(ctx)
	if s, ok := res.(string); !ok || s != "" || err != nil {
		return res, err
	}
	if fc := graphql.GetFieldContext(ctx); fc != nil && fc.Field.Definition != nil {
		if t := fc.Field.Definition.Type; t.NamedType == "String" && !t.NonNull {
			return nil, nil
		}
	}
	return res, err
}
