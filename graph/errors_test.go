package graph

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"entgo.io/contrib/entgql"
	"github.com/google/uuid"

	"github.com/acme/directory/ent"
	"github.com/acme/directory/ent/privacy"
	"github.com/acme/directory/fault"
)

func TestPresentError(t *testing.T) {
	cases := []struct {
		name        string
		err         error
		code, field string
		message     string // "" skips the check
	}{
		{"unclassified", errors.New("pq: connection reset"), "INTERNAL_SERVER_ERROR", "", "internal error"},
		{"field error", fmt.Errorf("create: %w", fault.FieldErrorf("input.key", "must be a slug")),
			"BAD_USER_INPUT", "input.key", "input.key: must be a slug"},
		{"ent not found", fmt.Errorf("get: %w", &ent.NotFoundError{}), "NOT_FOUND", "", "not found"},
		{"ent constraint", &ent.ConstraintError{}, "CONFLICT", "", ""},
		{"privacy denial", fmt.Errorf("update: %w", privacy.Deny), "FORBIDDEN", "", "not allowed"},
		{"coded GraphQL error", entgql.ErrNodeNotFound(uuid.Nil), "NOT_FOUND", "", ""},
		{"internal fault", fault.Errorf(fault.Internal, "secret detail"), "INTERNAL_SERVER_ERROR", "", "internal error"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := presentError(context.Background(), c.err)
			code, _ := got.Extensions["code"].(string)
			field, _ := got.Extensions["field"].(string)
			if code != c.code || field != c.field || (c.message != "" && got.Message != c.message) {
				t.Fatalf("presentError = %q code %q field %q; want %q code %q field %q",
					got.Message, code, field, c.message, c.code, c.field)
			}
		})
	}
}
