package schema

import (
	"regexp"
	"time"

	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
	"github.com/google/uuid"

	"github.com/acme/directory/access"
	"github.com/acme/directory/ent/schema/tableid"
)

// slugPattern is the shape of organization slugs and role keys.
var slugPattern = regexp.MustCompile(`^[a-z0-9]+(?:[-_][a-z0-9]+)*$`)

// APIKey is a key of the GraphQL API (dk_...). Platform keys belong to no
// organization; organization keys read, or administer, one organization.
type APIKey struct {
	ent.Schema
}

// Mixin of the APIKey.
func (APIKey) Mixin() []ent.Mixin {
	return []ent.Mixin{DomainWritesMixin{}, IDMixin{Tag: tableid.APIKey}}
}

// Fields of the APIKey.
func (APIKey) Fields() []ent.Field {
	return []ent.Field{
		field.UUID("organization_id", uuid.UUID{}).Optional().Nillable().Immutable().
			Comment("Unset for platform keys."),
		field.String("name").Optional().MaxLen(200),
		field.Enum("scope").GoType(access.Scope("")).Immutable(),
		field.Bytes("hash").Sensitive().Unique().Immutable().
			Comment("SHA-256 of the key."),
		field.String("prefix").Immutable().
			Comment("The key's first characters, to tell keys apart."),
		field.Time("created_at").Default(time.Now).Immutable(),
		field.Time("expires_at").Optional().Nillable(),
		field.Time("last_used_at").Optional().Nillable(),
	}
}

// Edges of the APIKey.
func (APIKey) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("organization", Organization.Type).Field("organization_id").Unique().Immutable().
			Annotations(entsql.OnDelete(entsql.Cascade)),
	}
}

// Indexes of the APIKey.
func (APIKey) Indexes() []ent.Index {
	return []ent.Index{index.Fields("organization_id")}
}

// Policy of the APIKey.
func (APIKey) Policy() ent.Policy { return apiKeyRule{} }

// Annotations of the APIKey.
func (APIKey) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip(entgql.SkipAll)}
}
