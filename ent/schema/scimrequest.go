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

// ScimRequest is one request an identity provider made to a directory's
// SCIM endpoint and what came of it: the directory's request log, which
// tells an admin why a sync fails. Rows are written in batches after the
// response is sent (domain.RequestLog), never in the request's own
// transaction, and pruned after the request log's retention (7 days by
// default). Bodies are kept only for failures, truncated and with every
// secret redacted; the Authorization header is never kept.
//
// A request refused before its directory is known (a token no directory
// has) belongs to no directory and is not logged here; one refused with a
// token of the directory (the directory disabled, the token expired or
// revoked) is.
type ScimRequest struct {
	ent.Schema
}

// Mixin of the ScimRequest.
func (ScimRequest) Mixin() []ent.Mixin {
	return []ent.Mixin{DomainWritesMixin{}, TenantMixin{}}
}

// Fields of the ScimRequest.
func (ScimRequest) Fields() []ent.Field {
	return []ent.Field{
		field.Int64("id").Immutable().
			Comment("Insertion order: the log is read newest first by id."),
		field.UUID("directory_id", uuid.UUID{}).Immutable().
			Comment("The directory whose endpoint was called."),
		field.Time("created_at").Default(time.Now).Immutable().
			Comment("When the request arrived."),
		field.String("method").NotEmpty().MaxLen(16).Immutable().
			Comment("The HTTP method: GET, POST, PUT, PATCH, DELETE."),
		field.String("path").NotEmpty().MaxLen(1000).Immutable().
			Comment("The path below the directory's endpoint (/Users/{id}) with its query, every parameter that is not a SCIM one redacted."),
		field.Int("status").Immutable().
			Comment("The HTTP status of the response."),
		field.Bool("failed").Immutable().
			Comment("Whether the status is 400 or more: the log's failures-only filter."),
		field.String("scim_type").Optional().Nillable().MaxLen(64).Immutable().
			Comment("The scimType of an error response (uniqueness, invalidFilter, ...), if any."),
		field.String("detail").Optional().Nillable().MaxLen(1000).Immutable().
			Comment("The detail of an error response: what the provider was told."),
		field.String("refusal").Optional().Nillable().MaxLen(32).Immutable().
			Comment("Why the credential was refused, for a token of this directory: directory_disabled, token_expired or token_revoked."),
		field.Int64("duration_us").NonNegative().Immutable().
			Comment("How long the server took, in microseconds, from the request's arrival to its last byte written."),
		field.String("effect").Optional().Nillable().MaxLen(500).Immutable().
			Comment("What the request changed, in words (\"user created\", \"3 members added\"), from the events its operation recorded; empty when it changed nothing."),
		field.JSON("changes", map[string]int{}).Optional().Immutable().
			Comment("How many events of each type the request's operation recorded (user.created: 1, group.user_added: 3)."),
		field.UUID("user_id", uuid.UUID{}).Optional().Nillable().Immutable().
			Comment("The user the request was about: the id in its path, or the user it created."),
		field.String("user_name").Optional().Nillable().MaxLen(300).Immutable().
			Comment("That user's userName, when the request or its effect named it."),
		field.UUID("token_id", uuid.UUID{}).Optional().Nillable().Immutable().
			Comment("The directory token the request presented, when it was one of the directory's."),
		field.String("request_body").Optional().Nillable().MaxLen(4200).Immutable().
			Comment("The start of the request body, failures only, with passwords, tokens and secrets redacted."),
		field.String("response_body").Optional().Nillable().MaxLen(4200).Immutable().
			Comment("The start of the response body, failures only, redacted alike."),
	}
}

// Edges of the ScimRequest.
func (ScimRequest) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("directory", Directory.Type).Field("directory_id").
			Unique().Required().Immutable().
			Annotations(entsql.OnDelete(entsql.Cascade)),
	}
}

// Indexes of the ScimRequest: a directory's log newest first, its
// failures, a user's requests, and the pruning by age.
func (ScimRequest) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("directory_id", "id"),
		index.Fields("directory_id", "failed", "id"),
		index.Fields("directory_id", "user_id", "id"),
		index.Fields("created_at"),
	}
}

// Policy of the ScimRequest: an organization's viewers read their
// directories' logs; a directory token reads at most its own directory's.
func (ScimRequest) Policy() ent.Policy {
	return directoryPolicy(directoryRule{column: "directory_id"})
}

// Annotations of the ScimRequest: graph/directory.graphql declares its
// GraphQL type by hand (Directory.requests).
func (ScimRequest) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip(entgql.SkipAll)}
}
