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

	"github.com/acme/directory/ent/schema/tableid"
)

// WebhookDelivery is the delivery of one event to one endpoint, with its
// retries: workers claim due rows with FOR UPDATE SKIP LOCKED.
type WebhookDelivery struct {
	ent.Schema
}

// Mixin of the WebhookDelivery.
func (WebhookDelivery) Mixin() []ent.Mixin {
	return []ent.Mixin{IDMixin{Tag: tableid.WebhookDelivery}, TimeMixin{}, TenantMixin{Provisioned: true}}
}

// Fields of the WebhookDelivery.
func (WebhookDelivery) Fields() []ent.Field {
	return []ent.Field{
		field.UUID("endpoint_id", uuid.UUID{}).Immutable(),
		field.Int64("event_id").Immutable(),
		field.Enum("status").Values("pending", "succeeded", "failed").Default("pending"),
		field.Int("attempts").Default(0).NonNegative(),
		field.Time("next_attempt_at").Default(time.Now),
		field.Time("last_attempt_at").Optional().Nillable(),
		field.Int("last_response_status").Optional().Nillable(),
		field.String("last_error").Optional().MaxLen(2000),
	}
}

// Edges of the WebhookDelivery.
func (WebhookDelivery) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("endpoint", WebhookEndpoint.Type).Ref("deliveries").
			Field("endpoint_id").Unique().Required().Immutable(),
	}
}

// Indexes of the WebhookDelivery.
func (WebhookDelivery) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("status", "next_attempt_at"),
		index.Fields("endpoint_id", "event_id").Unique(),
	}
}

// Policy of the WebhookDelivery: delivery logs are for admins.
func (WebhookDelivery) Policy() ent.Policy {
	return adminOnlyPolicy()
}

// Annotations of the WebhookDelivery.
func (WebhookDelivery) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip(entgql.SkipAll)}
}
