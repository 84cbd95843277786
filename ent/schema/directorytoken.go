package schema

import (
	"context"
	"fmt"
	"time"

	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
	"github.com/google/uuid"

	gen "github.com/acme/directory/ent"
	"github.com/acme/directory/ent/directorytoken"
	"github.com/acme/directory/ent/hook"
	"github.com/acme/directory/ent/schema/tableid"
	"github.com/acme/directory/fault"
)

// MaxActiveTokens is how many unexpired tokens a directory may hold: two, so
// a token can be rotated without downtime.
const MaxActiveTokens = 2

// DirectoryToken is a bearer token of a directory. Only its SHA-256 hash is
// kept; the token itself is shown once when it is made.
type DirectoryToken struct {
	ent.Schema
}

// Mixin of the DirectoryToken.
func (DirectoryToken) Mixin() []ent.Mixin {
	return []ent.Mixin{IDMixin{Tag: tableid.DirectoryToken}, TenantMixin{}}
}

// Fields of the DirectoryToken.
func (DirectoryToken) Fields() []ent.Field {
	return []ent.Field{
		field.UUID("directory_id", uuid.UUID{}).Immutable(),
		field.Bytes("hash").Sensitive().Unique().Immutable().
			Comment("SHA-256 of the token.").
			Annotations(entgql.Skip(entgql.SkipAll)),
		field.String("prefix").Immutable().
			Comment("The token's first characters, to tell tokens apart."),
		field.Time("created_at").Default(time.Now).Immutable(),
		field.Time("expires_at").Optional().Nillable(),
		field.Time("last_used_at").Optional().Nillable(),
	}
}

// Edges of the DirectoryToken.
func (DirectoryToken) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("directory", Directory.Type).Ref("tokens").
			Field("directory_id").Unique().Required().Immutable(),
	}
}

// Indexes of the DirectoryToken.
func (DirectoryToken) Indexes() []ent.Index {
	return []ent.Index{index.Fields("directory_id")}
}

// Hooks of the DirectoryToken.
func (DirectoryToken) Hooks() []ent.Hook {
	return []ent.Hook{hook.On(limitActiveTokens, ent.OpCreate)}
}

// Annotations of the DirectoryToken: the GraphQL API lists a directory's
// tokens (prefix and times, never the hash) but neither filters, orders nor
// writes them generically; rotation and revocation are dedicated mutations.
func (DirectoryToken) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip(entgql.SkipWhereInput,
		entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput)}
}

// limitActiveTokens refuses a third unexpired token for a directory. It
// counts with the mutation's own client, inside the caller's transaction.
func limitActiveTokens(next ent.Mutator) ent.Mutator {
	return hook.DirectoryTokenFunc(func(ctx context.Context, m *gen.DirectoryTokenMutation) (ent.Value, error) {
		dir, ok := m.DirectoryID()
		if !ok {
			return nil, fault.FieldErrorf("directoryID", "is required")
		}
		n, err := m.Client().DirectoryToken.Query().
			Where(directorytoken.DirectoryID(dir), directorytoken.Or(
				directorytoken.ExpiresAtIsNil(), directorytoken.ExpiresAtGT(time.Now()))).
			Count(ctx)
		if err != nil {
			return nil, fmt.Errorf("count active tokens: %w", err)
		}
		if n >= MaxActiveTokens {
			return nil, fault.Errorf(fault.Conflict,
				"the directory already has %d active tokens: revoke one first", n)
		}
		return next.Mutate(ctx, m)
	})
}
