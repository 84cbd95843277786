package schema

import (
	"time"

	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
	"github.com/google/uuid"
)

// Event is one change, written in the same transaction as the change: the
// outbox that feeds the events connection, subscriptions and webhooks. Its
// integer id orders events of an organization; consumers page by it.
type Event struct {
	ent.Schema
}

// Mixin of the Event.
func (Event) Mixin() []ent.Mixin {
	return []ent.Mixin{TenantMixin{Provisioned: true}}
}

// Fields of the Event.
func (Event) Fields() []ent.Field {
	return []ent.Field{
		field.Int64("id").Immutable(),
		field.String("type").NotEmpty().Immutable().
			Comment("user.created, group.user_added, directory.disabled, ..."),
		field.UUID("directory_id", uuid.UUID{}).Optional().Nillable().Immutable().
			Comment("The directory the change came through, if any."),
		field.UUID("subject_id", uuid.UUID{}).Immutable().
			Comment("The user, group or directory changed."),
		field.JSON("data", map[string]any{}).Immutable().
			Comment("The subject as it is after the change."),
		field.JSON("previous", map[string]any{}).Optional().Immutable().
			Comment("The previous values of the fields that changed (updates only)."),
		field.Time("created_at").Default(time.Now).Immutable(),
	}
}

// Indexes of the Event.
func (Event) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("organization_id", "id"),
		index.Fields("organization_id", "type", "id"),
	}
}

// Annotations of the Event.
func (Event) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip(entgql.SkipAll)}
}
