package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"

	"github.com/acme/directory/ent/schema/tableid"
)

// WebhookEndpoint is a URL of the application that receives an
// organization's events, signed the Standard Webhooks way. The delivery
// worker (package webhook) fans the organization's events out to it from
// its stored cursor (last_event_txid, last_event_id).
type WebhookEndpoint struct {
	ent.Schema
}

// Mixin of the WebhookEndpoint.
func (WebhookEndpoint) Mixin() []ent.Mixin {
	return []ent.Mixin{DomainWritesMixin{}, IDMixin{Tag: tableid.WebhookEndpoint}, TimeMixin{}, TenantMixin{}}
}

// Fields of the WebhookEndpoint.
func (WebhookEndpoint) Fields() []ent.Field {
	return []ent.Field{
		field.String("url").NotEmpty().MaxLen(2048),
		field.String("description").Optional().MaxLen(2000),
		field.String("secret").Sensitive().
			Comment("Signing secret (whsec_...): needed in clear to sign, never returned after creation."),
		field.String("previous_secret").Sensitive().Optional().Nillable().
			Comment("The secret before the last rotation: it signs too until previous_secret_expires_at."),
		field.Time("previous_secret_expires_at").Optional().Nillable(),
		field.Strings("event_types").Optional().
			Comment("Event types to deliver; empty means all."),
		field.Bool("enabled").Default(true),
		field.Int64("last_event_txid").Default(0).
			Comment("The dispatch cursor: the last event (txid, id) fanned out to deliveries."),
		field.Int64("last_event_id").Default(0),
		field.Time("failing_since").Optional().Nillable().
			Comment("The first failed attempt since the last success; the endpoint is disabled when it is too old."),
		field.Int("consecutive_failures").Default(0).NonNegative().
			Comment("Failed attempts since the last success: the circuit breaker opens at a threshold."),
		field.Time("breaker_open_until").Optional().Nillable().
			Comment("While the circuit breaker is open, when it ends: no delivery to the endpoint is claimed before."),
	}
}

// Edges of the WebhookEndpoint.
func (WebhookEndpoint) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("deliveries", WebhookDelivery.Type).
			Annotations(entsql.OnDelete(entsql.Cascade)),
	}
}

// Policy of the WebhookEndpoint: endpoints and their secrets are for admins.
func (WebhookEndpoint) Policy() ent.Policy {
	return adminOnlyPolicy()
}

// Annotations of the WebhookEndpoint.
func (WebhookEndpoint) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip(entgql.SkipAll)}
}
