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

	"github.com/acme/directory/ent/schema/tableid"
)

// WebhookDelivery is the delivery of one event to one endpoint, with its
// retries: workers claim due rows with FOR UPDATE SKIP LOCKED. A pending
// delivery holds back the later deliveries of its subject to its endpoint
// (event order is (event_txid, event_id)), so a receiver sees each
// subject's events in order.
type WebhookDelivery struct {
	ent.Schema
}

// Mixin of the WebhookDelivery.
func (WebhookDelivery) Mixin() []ent.Mixin {
	return []ent.Mixin{DomainWritesMixin{}, IDMixin{Tag: tableid.WebhookDelivery}, TimeMixin{}, TenantMixin{Provisioned: true}}
}

// Fields of the WebhookDelivery.
func (WebhookDelivery) Fields() []ent.Field {
	return []ent.Field{
		field.UUID("endpoint_id", uuid.UUID{}).Immutable(),
		field.Int64("event_id").Immutable(),
		field.Int64("event_txid").Default(0).Immutable().
			Comment("The event's transaction: (event_txid, event_id) is the event order."),
		field.String("event_type").Default("").Immutable(),
		field.UUID("subject_id", uuid.UUID{}).Immutable().
			Comment("The event's subject: deliveries of one subject to one endpoint go in order."),
		field.Enum("status").Values("pending", "succeeded", "failed").Default("pending"),
		field.Int("attempt_count").Default(0).NonNegative(),
		field.Time("next_attempt_at").Default(time.Now).
			Comment("When the delivery is due (again)."),
		field.Time("lease_expires_at").Optional().Nillable().
			Comment("While an attempt runs, when its worker's lease ends: the worker extends it while the request runs, and another worker may claim the delivery once it has passed (its holder died)."),
		field.Time("last_attempt_at").Optional().Nillable(),
		field.Int("last_response_status").Optional().Nillable(),
		field.String("last_error").Optional().MaxLen(2000),
		field.Time("delivered_at").Optional().Nillable(),
	}
}

// Edges of the WebhookDelivery.
func (WebhookDelivery) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("endpoint", WebhookEndpoint.Type).Ref("deliveries").
			Field("endpoint_id").Unique().Required().Immutable(),
		edge.To("attempts", WebhookAttempt.Type).
			Annotations(entsql.OnDelete(entsql.Cascade)),
	}
}

// Indexes of the WebhookDelivery.
func (WebhookDelivery) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("status", "next_attempt_at"),
		index.Fields("endpoint_id", "event_id").Unique(),
		index.Fields("endpoint_id", "subject_id", "status"),
		// The deliveries in flight: a claim counts them per endpoint.
		index.Fields("lease_expires_at"),
		// An endpoint's oldest due deliveries: a claim reads them in order.
		index.Fields("endpoint_id", "status", "next_attempt_at"),
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
