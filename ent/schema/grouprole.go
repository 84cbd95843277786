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

// GroupRole maps a group to a role: every member of the group has the role.
type GroupRole struct {
	ent.Schema
}

// Mixin of the GroupRole.
func (GroupRole) Mixin() []ent.Mixin {
	return []ent.Mixin{TenantMixin{}}
}

// Fields of the GroupRole.
func (GroupRole) Fields() []ent.Field {
	return []ent.Field{
		field.UUID("group_id", uuid.UUID{}).Immutable(),
		field.UUID("role_id", uuid.UUID{}).Immutable(),
		field.Time("created_at").Default(time.Now).Immutable(),
	}
}

// Edges of the GroupRole.
func (GroupRole) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("group", Group.Type).Field("group_id").Unique().Required().Immutable().
			Annotations(entsql.OnDelete(entsql.Cascade)),
		edge.To("role", Role.Type).Field("role_id").Unique().Required().Immutable().
			Annotations(entsql.OnDelete(entsql.Cascade)),
	}
}

// Indexes of the GroupRole.
func (GroupRole) Indexes() []ent.Index {
	return []ent.Index{index.Fields("role_id")}
}

// Annotations of the GroupRole.
func (GroupRole) Annotations() []schema.Annotation {
	return []schema.Annotation{
		field.ID("group_id", "role_id"),
		entgql.Skip(entgql.SkipAll),
	}
}
