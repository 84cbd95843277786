package schema

import (
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

// Group is a SCIM group (RFC 7643 §4.2) provisioned into a directory. Its
// members are Membership rows, so adding or removing thousands of them is a
// set-based insert or delete, never a rewrite of the group.
type Group struct {
	ent.Schema
}

// Mixin of the Group.
func (Group) Mixin() []ent.Mixin {
	return []ent.Mixin{DomainWritesMixin{}, IDMixin{Tag: tableid.Group}, TimeMixin{}, VersionMixin{}, TenantMixin{Provisioned: true, Keyed: true}}
}

// Fields of the Group.
func (Group) Fields() []ent.Field {
	return []ent.Field{
		field.UUID("directory_id", uuid.UUID{}).Immutable().
			Comment("The id of the directory that provisioned the group; it never changes."),
		field.String("external_id").Optional().MaxLen(1024).
			Comment("The provider's id for this group (SCIM externalId); null when the provider sent none."),
		field.String("display_name").NotEmpty().MaxLen(1024).
			Comment("The group's name as the provider sent it (SCIM displayName), unique within the directory without regard to case.").
			Annotations(entgql.OrderField("DISPLAY_NAME")),
		field.String("display_name_key").MaxLen(1024).
			Comment("FoldKey(display_name), kept by a hook, for look-ups by name.").
			Annotations(entgql.Skip(entgql.SkipAll)),
		field.JSON("raw", map[string]any{}).Optional().
			Comment("The SCIM resource as last received, without members.").
			Annotations(entgql.Skip(entgql.SkipAll)),
	}
}

// Edges of the Group.
func (Group) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("directory", Directory.Type).Ref("groups").
			Field("directory_id").Unique().Required().Immutable().
			Comment("The directory that provisioned the group."),
		edge.To("members", User.Type).Through("memberships", Membership.Type).
			Comment("The group's direct members, as the provider sent them.").
			Annotations(entsql.OnDelete(entsql.Cascade), entgql.RelayConnection()),
		edge.To("roles", Role.Type).Through("role_mappings", GroupRole.Type).
			Comment("The roles mapped to the group: every active member holds them. Empty when none is mapped.").
			Annotations(entsql.OnDelete(entsql.Cascade)),
	}
}

// Indexes of the Group.
func (Group) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("directory_id", "display_name_key").Unique(),
		// The default list order (by id) and deep pages (keyset on id).
		index.Fields("directory_id", "id"),
		// The time sort keys (meta.created, meta.lastModified).
		index.Fields("directory_id", "created_at"),
		index.Fields("directory_id", "updated_at"),
		index.Fields("directory_id", "external_id"),
		// GraphQL's organization-wide connections, ordered by id: a page
		// reads its own rows, not every group of the organization.
		index.Fields("organization_id", "id"),
	}
}

// Hooks of the Group.
func (Group) Hooks() []ent.Hook {
	return []ent.Hook{keyHook("display_name", "display_name_key")}
}

// Annotations of the Group.
func (Group) Annotations() []schema.Annotation {
	return []schema.Annotation{
		schema.Comment("A group an identity provider provisioned into a directory over SCIM (RFC 7643 section 4.2). Map roles to it (groupRolesSet) to give its members those roles."),
		entgql.QueryField().Description("Groups of every organization the key may read (its own for an org key); narrow with where, e.g. {organizationID, displayNameContainsFold}."),
		entgql.RelayConnection(),
	}
}

// Policy of the Group: a directory token sees only its own directory's rows.
func (Group) Policy() ent.Policy {
	return directoryPolicy(directoryRule{column: "directory_id", keyed: true})
}
