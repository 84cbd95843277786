package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"github.com/acme/directory/ent/schema/tableid"
)

// Role is an application role of an organization ("admin", "member"). Users
// get the roles mapped to their groups, or the organization's default role.
type Role struct {
	ent.Schema
}

// Mixin of the Role.
func (Role) Mixin() []ent.Mixin {
	return []ent.Mixin{DomainWritesMixin{}, IDMixin{Tag: tableid.Role}, TimeMixin{}, TenantMixin{}}
}

// Fields of the Role.
func (Role) Fields() []ent.Field {
	return []ent.Field{
		field.String("key").NotEmpty().MaxLen(100).Match(slugPattern).
			Comment("Stable identifier the application checks, such as \"admin\": unique per organization, lower-case letters, digits, dashes and underscores.").
			Annotations(entgql.OrderField("KEY")),
		field.String("name").NotEmpty().MaxLen(200).
			Comment("The role's name for display, 1 to 200 characters.").
			Annotations(entgql.OrderField("NAME")),
		field.String("description").Optional().MaxLen(2000).
			Comment("What the role allows, for admins choosing roles, up to 2000 characters; null when none was given."),
	}
}

// Edges of the Role.
func (Role) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("groups", Group.Type).Ref("roles").Through("group_mappings", GroupRole.Type).
			Comment("The groups the role is mapped to, whose active members hold it; empty when none."),
	}
}

// Indexes of the Role.
func (Role) Indexes() []ent.Index {
	return []ent.Index{index.Fields("organization_id", "key").Unique()}
}

// Annotations of the Role.
func (Role) Annotations() []schema.Annotation {
	return []schema.Annotation{
		schema.Comment("A role the application defines for an organization: users hold it through a group mapped to it, or as the organization's default role. The application checks its key."),
		entgql.QueryField().Description("Roles of every organization the key may read (its own for an org key); narrow with where, e.g. {organizationID, key}."),
		entgql.RelayConnection(),
	}
}
