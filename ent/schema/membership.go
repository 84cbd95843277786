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

// Membership says a user is a member of a group. Its key is the pair, so a
// member is added at most once and look-ups run both ways on an index.
type Membership struct {
	ent.Schema
}

// Mixin of the Membership.
func (Membership) Mixin() []ent.Mixin {
	return []ent.Mixin{DomainWritesMixin{}, TenantMixin{Provisioned: true}}
}

// Fields of the Membership.
func (Membership) Fields() []ent.Field {
	return []ent.Field{
		field.UUID("group_id", uuid.UUID{}).Immutable(),
		field.UUID("user_id", uuid.UUID{}).Immutable(),
		field.Time("created_at").Default(time.Now).Immutable(),
		// A copy of the user's name as a group shows it, so a page of a
		// group's members reads memberships alone: one look-up of the
		// user per member was most of the cost of a group GET (issue 17).
		field.String("display").
			Comment("The user's displayName, or its userName when that is empty: the display a group's members show. Written with the membership and rewritten when the user's names change."),
	}
}

// Edges of the Membership.
func (Membership) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("group", Group.Type).Field("group_id").Unique().Required().Immutable().
			Annotations(entsql.OnDelete(entsql.Cascade)),
		edge.To("user", User.Type).Field("user_id").Unique().Required().Immutable().
			Annotations(entsql.OnDelete(entsql.Cascade)),
	}
}

// Indexes of the Membership.
func (Membership) Indexes() []ent.Index {
	return []ent.Index{index.Fields("user_id")}
}

// Annotations of the Membership.
func (Membership) Annotations() []schema.Annotation {
	return []schema.Annotation{
		field.ID("group_id", "user_id"),
		entgql.Skip(entgql.SkipAll),
	}
}

// Policy of the Membership: a directory token sees only its own directory's rows.
func (Membership) Policy() ent.Policy {
	return directoryPolicy(directoryRule{edge: "group"})
}
