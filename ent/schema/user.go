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
	return []ent.Mixin{DomainWritesMixin{}, IDMixin{Tag: tableid.User}, TimeMixin{}, VersionMixin{}, TenantMixin{Provisioned: true, Keyed: true}}
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
		field.UUID("directory_id", uuid.UUID{}).Immutable().
			Comment("The id of the directory that provisioned the user; it never changes."),
		field.String("external_id").Optional().MaxLen(1024).
			Comment("The provider's id for this user (SCIM externalId); null when the provider sent none."),
		field.String("user_name").NotEmpty().MaxLen(1024).
			Comment("Unique within the directory, compared without regard to case.").
			Annotations(entgql.OrderField("USER_NAME")),
		field.String("user_name_key").MaxLen(1024).
			Comment("FoldKey(user_name), kept by a hook: the unique, indexed look-up key.").
			Annotations(entgql.Skip(entgql.SkipAll)),
		field.String("name_formatted").Optional().
			Comment("The full name as the provider formats it for display (SCIM name.formatted), such as \"Ms. Barbara J Jensen, III\"; null when not sent."),
		field.String("family_name").Optional().
			Comment("The family (last) name, SCIM name.familyName; null when not sent.").
			Annotations(entgql.OrderField("FAMILY_NAME")),
		field.String("given_name").Optional().
			Comment("The given (first) name, SCIM name.givenName; null when not sent.").
			Annotations(entgql.OrderField("GIVEN_NAME")),
		field.String("middle_name").Optional().
			Comment("The middle name or names, SCIM name.middleName; null when not sent."),
		field.String("honorific_prefix").Optional().
			Comment("A title before the name, such as \"Dr.\" or \"Ms.\" (SCIM name.honorificPrefix); null when not sent."),
		field.String("honorific_suffix").Optional().
			Comment("A suffix after the name, such as \"III\" or \"PhD\" (SCIM name.honorificSuffix); null when not sent."),
		field.String("display_name").Optional().
			Comment("The name to show for the user, as the provider sent it (SCIM displayName); null when not sent: fall back to the given and family names, then userName.").
			Annotations(entgql.OrderField("DISPLAY_NAME")),
		field.String("nick_name").Optional().
			Comment("A casual name, such as \"Bob\" for Robert (SCIM nickName); null when not sent."),
		field.String("profile_url").Optional().
			Comment("A URL of the user's online profile, as the provider sent it (not checked); null when not sent."),
		field.String("title").Optional().
			Comment("The job title, such as \"Vice President\" (SCIM title); null when not sent."),
		field.String("user_type").Optional().
			Comment("The provider's kind of user, free text such as \"Employee\" or \"Contractor\" (SCIM userType); null when not sent."),
		field.String("preferred_language").Optional().
			Comment("The preferred written or spoken languages, an HTTP Accept-Language value such as \"en-US, fr;q=0.5\"; null when not sent."),
		field.String("locale").Optional().
			Comment("The locale for dates, numbers and currency, a language tag such as \"en-US\"; null when not sent."),
		field.String("timezone").Optional().
			Comment("The time zone, an IANA name such as \"Europe/Paris\"; null when not sent."),
		field.Bool("active").Default(true).
			Comment("False once the provider deactivates the user; the user stays readable."),
		field.String("primary_email").Optional().
			Comment("The primary (or else first) of emails, for look-ups and display; null when the user has no email.").
			Annotations(entgql.OrderField("PRIMARY_EMAIL")),
		field.JSON("emails", []schematype.MultiValue{}).Optional().
			Comment("Every email address the provider sent, in its order, with type and primary flag; null or empty when none was sent."),
		field.JSON("phone_numbers", []schematype.MultiValue{}).Optional().
			Comment("Phone numbers as the provider sent them (often E.164 or tel: URIs, not normalized); null or empty when none was sent."),
		field.JSON("ims", []schematype.MultiValue{}).Optional().
			Comment("Instant messaging addresses, type naming the service (xmpp, skype, ...); null or empty when none was sent."),
		field.JSON("photos", []schematype.MultiValue{}).Optional().
			Comment("URLs of photos of the user, type photo or thumbnail; the server does not fetch them. Null or empty when none was sent."),
		field.JSON("addresses", []schematype.Address{}).Optional().
			Comment("Postal addresses as the provider sent them; null or empty when none was sent."),
		field.JSON("entitlements", []schematype.MultiValue{}).Optional().
			Comment("The SCIM entitlements attribute as sent, free-form values the provider grants; null or empty when none was sent."),
		field.JSON("scim_roles", []schematype.MultiValue{}).Optional().
			Comment("The SCIM roles attribute as sent; effective roles come from groups."),
		field.JSON("x509_certificates", []schematype.MultiValue{}).Optional().
			Comment("X.509 certificates of the user, each value base64 DER as the provider sent it; null or empty when none was sent."),
	}
}

// enterpriseUserFields are the
// urn:ietf:params:scim:schemas:extension:enterprise:2.0:User attributes.
func enterpriseUserFields() []ent.Field {
	return []ent.Field{
		field.String("employee_number").Optional().
			Comment("The organization's employee number, free text (enterprise extension); null when not sent."),
		field.String("cost_center").Optional().
			Comment("The cost center, free text (enterprise extension); null when not sent."),
		field.String("enterprise_organization").Optional().
			Comment("The enterprise extension's organization attribute, free text; null when not sent."),
		field.String("division").Optional().
			Comment("The division, free text (enterprise extension); null when not sent."),
		field.String("department").Optional().
			Comment("The department, free text (enterprise extension); null when not sent."),
		field.String("manager_id").Optional().
			Comment("manager.value: the provider's SCIM id of the user's manager (not a user id of this API); null when not sent."),
		field.String("manager_display_name").Optional().
			Comment("manager.displayName: the manager's name as the provider sent it; null when not sent."),
	}
}

// Edges of the User.
func (User) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("directory", Directory.Type).Ref("users").
			Field("directory_id").Unique().Required().Immutable().
			Comment("The directory that provisioned the user."),
		edge.From("groups", Group.Type).Ref("members").
			Through("memberships", Membership.Type).
			Comment("The groups the user is a member of, directly, as the provider sent them.").
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
	return []schema.Annotation{
		schema.Comment("A person an identity provider provisioned into a directory over SCIM: the core User attributes (RFC 7643 section 4.1) and the enterprise extension's (section 4.3). A deactivated user (active false) stays readable."),
		entgql.QueryField().Description("Users of every organization the key may read (its own for an org key), by id unless orderBy says otherwise; narrow with where, e.g. {organizationID, query}."),
		entgql.RelayConnection(),
	}
}

// Policy of the User: a directory token sees only its own directory's rows.
func (User) Policy() ent.Policy {
	return directoryPolicy(directoryRule{column: "directory_id", keyed: true})
}
