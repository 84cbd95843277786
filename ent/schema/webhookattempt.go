package schema

import (
	"time"

	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
	"github.com/google/uuid"
)

// WebhookAttempt is one HTTP request of a delivery and what came of it.
// It is no GraphQL node (its id carries no table tag): it is read
// through its delivery.
type WebhookAttempt struct {
	ent.Schema
}

// Mixin of the WebhookAttempt.
func (WebhookAttempt) Mixin() []ent.Mixin {
	return []ent.Mixin{DomainWritesMixin{}, IDMixin{}, TenantMixin{}}
}

// Fields of the WebhookAttempt.
func (WebhookAttempt) Fields() []ent.Field {
	return []ent.Field{
		field.UUID("delivery_id", uuid.UUID{}).Immutable(),
		field.Int("number").Positive().Immutable().Comment("1 for the first attempt of the delivery."),
		field.Time("created_at").Default(time.Now).Immutable().Comment("When the request was sent."),
		field.Bool("succeeded").Immutable(),
		field.Int("response_status").Optional().Nillable().Immutable(),
		field.Int64("latency_ms").NonNegative().Immutable(),
		field.String("response_body").Optional().MaxLen(4096).Immutable().
			Comment("The start of the response body, truncated."),
		field.String("error").Optional().MaxLen(2000).Immutable(),
	}
}

// Edges of the WebhookAttempt.
func (WebhookAttempt) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("delivery", WebhookDelivery.Type).Ref("attempts").
			Field("delivery_id").Unique().Required().Immutable(),
	}
}

// Indexes of the WebhookAttempt.
func (WebhookAttempt) Indexes() []ent.Index {
	return []ent.Index{index.Fields("delivery_id", "number")}
}

// Policy of the WebhookAttempt: delivery logs are for admins.
func (WebhookAttempt) Policy() ent.Policy {
	return adminOnlyPolicy()
}

// Annotations of the WebhookAttempt.
func (WebhookAttempt) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip(entgql.SkipAll)}
}
