package schema

import (
	"time"

	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
	"github.com/google/uuid"
)

// RevokedToken remembers a directory token after its revocation (which
// deletes the token), so that a provider still presenting it is told it
// was revoked and its requests land in the directory's request log with
// that reason, instead of being refused as an unknown token. Only the
// token's SHA-256 hash is kept, as it was; rows are pruned with the
// request log's retention.
type RevokedToken struct {
	ent.Schema
}

// Mixin of the RevokedToken.
func (RevokedToken) Mixin() []ent.Mixin {
	return []ent.Mixin{DomainWritesMixin{}, IDMixin{}, TenantMixin{}}
}

// Fields of the RevokedToken.
func (RevokedToken) Fields() []ent.Field {
	return []ent.Field{
		field.UUID("directory_id", uuid.UUID{}).Immutable().
			Comment("The directory the token belonged to."),
		field.UUID("token_id", uuid.UUID{}).Immutable().
			Comment("The id the token had."),
		field.Bytes("hash").Sensitive().Unique().Immutable().
			Comment("SHA-256 of the token, as the token kept it."),
		field.String("prefix").Immutable().
			Comment("The token's first characters, as shown while it lived."),
		field.Time("revoked_at").Default(time.Now).Immutable().
			Comment("When it was revoked."),
	}
}

// Edges of the RevokedToken.
func (RevokedToken) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("directory", Directory.Type).Field("directory_id").
			Unique().Required().Immutable().
			Annotations(entsql.OnDelete(entsql.Cascade)),
	}
}

// Indexes of the RevokedToken: pruning by age.
func (RevokedToken) Indexes() []ent.Index {
	return []ent.Index{index.Fields("revoked_at")}
}

// Policy of the RevokedToken: read only by the credential look-up (which
// runs before any viewer) and by admins.
func (RevokedToken) Policy() ent.Policy {
	return adminOnlyPolicy()
}

// Annotations of the RevokedToken: not in the GraphQL API.
func (RevokedToken) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip(entgql.SkipAll)}
}
