package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
	"github.com/google/uuid"

	"github.com/acme/directory/ent/schema/schematype"
	"github.com/acme/directory/ent/schema/tableid"
)

// User is a person provisioned into a directory: every attribute of the SCIM
// core User schema (RFC 7643 §4.1) and of the enterprise extension (§4.3),
// plus the resource exactly as the provider last sent it, so nothing a
// provider sends is lost.
type User struct {
	ent.Schema
}

// Mixin of the User.
func (User) Mixin() []ent.Mixin {
	return []ent.Mixin{DomainWritesMixin{}, IDMixin{Tag: tableid.User}, TimeMixin{}, VersionMixin{}, TenantMixin{Provisioned: true}}
}

// Fields of the User.
func (User) Fields() []ent.Field {
	return append(append(coreUserFields(), enterpriseUserFields()...),
		field.JSON("raw", map[string]any{}).Optional().
			Comment("The SCIM resource as last received, extensions included.").
			Annotations(entgql.Skip(entgql.SkipAll)),
	)
}

// coreUserFields are the urn:ietf:params:scim:schemas:core:2.0:User
// attributes.
func coreUserFields() []ent.Field {
	return []ent.Field{
		field.UUID("directory_id", uuid.UUID{}).Immutable(),
		field.String("external_id").Optional().MaxLen(1024).
			Comment("The provider's id for this user."),
		field.String("user_name").NotEmpty().MaxLen(1024).
			Comment("Unique within the directory, compared without regard to case.").
			Annotations(entgql.OrderField("USER_NAME")),
		field.String("user_name_key").MaxLen(1024).
			Comment("FoldKey(user_name), kept by a hook: the unique, indexed look-up key.").
			Annotations(entgql.Skip(entgql.SkipAll)),
		field.String("name_formatted").Optional(),
		field.String("family_name").Optional().
			Annotations(entgql.OrderField("FAMILY_NAME")),
		field.String("given_name").Optional().
			Annotations(entgql.OrderField("GIVEN_NAME")),
		field.String("middle_name").Optional(),
		field.String("honorific_prefix").Optional(),
		field.String("honorific_suffix").Optional(),
		field.String("display_name").Optional().
			Annotations(entgql.OrderField("DISPLAY_NAME")),
		field.String("nick_name").Optional(),
		field.String("profile_url").Optional(),
		field.String("title").Optional(),
		field.String("user_type").Optional(),
		field.String("preferred_language").Optional(),
		field.String("locale").Optional(),
		field.String("timezone").Optional(),
		field.Bool("active").Default(true).
			Comment("False once the provider deactivates the user; the user stays readable."),
		field.String("primary_email").Optional().
			Comment("The primary (or first) of emails, for look-ups and display.").
			Annotations(entgql.OrderField("PRIMARY_EMAIL")),
		field.JSON("emails", []schematype.MultiValue{}).Optional(),
		field.JSON("phone_numbers", []schematype.MultiValue{}).Optional(),
		field.JSON("ims", []schematype.MultiValue{}).Optional(),
		field.JSON("photos", []schematype.MultiValue{}).Optional(),
		field.JSON("addresses", []schematype.Address{}).Optional(),
		field.JSON("entitlements", []schematype.MultiValue{}).Optional(),
		field.JSON("scim_roles", []schematype.MultiValue{}).Optional().
			Comment("The SCIM roles attribute as sent; effective roles come from groups."),
		field.JSON("x509_certificates", []schematype.MultiValue{}).Optional(),
	}
}

// enterpriseUserFields are the
// urn:ietf:params:scim:schemas:extension:enterprise:2.0:User attributes.
func enterpriseUserFields() []ent.Field {
	return []ent.Field{
		field.String("employee_number").Optional(),
		field.String("cost_center").Optional(),
		field.String("enterprise_organization").Optional().
			Comment("The enterprise extension's organization attribute."),
		field.String("division").Optional(),
		field.String("department").Optional(),
		field.String("manager_id").Optional().
			Comment("manager.value: the SCIM id of the user's manager."),
		field.String("manager_display_name").Optional(),
	}
}

// Edges of the User.
func (User) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("directory", Directory.Type).Ref("users").
			Field("directory_id").Unique().Required().Immutable(),
		edge.From("groups", Group.Type).Ref("members").
			Through("memberships", Membership.Type).
			Annotations(entgql.RelayConnection()),
	}
}

// Indexes of the User.
func (User) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("directory_id", "user_name_key").Unique(),
		// The default list order (by id) and deep pages (keyset on id).
		index.Fields("directory_id", "id"),
		// The time sort keys (meta.created, meta.lastModified).
		index.Fields("directory_id", "created_at"),
		index.Fields("directory_id", "updated_at"),
		index.Fields("directory_id", "external_id"),
		index.Fields("directory_id", "primary_email"),
		// GraphQL's organization-wide connections, ordered by id: a page
		// reads its own rows, not every user of the organization.
		index.Fields("organization_id", "id"),
	}
}

// Hooks of the User.
func (User) Hooks() []ent.Hook {
	return []ent.Hook{keyHook("user_name", "user_name_key")}
}

// Annotations of the User.
func (User) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.QueryField(), entgql.RelayConnection()}
}

// Policy of the User: a directory token sees only its own directory's rows.
func (User) Policy() ent.Policy {
	return directoryPolicy(directoryRule{column: "directory_id"})
}
