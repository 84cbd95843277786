package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"github.com/acme/directory/ent/schema/schematype"
	"github.com/acme/directory/ent/schema/tableid"
)

// Directory is one identity provider's SCIM connection into an
// organization: its endpoint is /scim/v2/{id}, authenticated by one of its
// tokens.
type Directory struct {
	ent.Schema
}

// Mixin of the Directory.
func (Directory) Mixin() []ent.Mixin {
	return []ent.Mixin{DomainWritesMixin{}, IDMixin{Tag: tableid.Directory}, TimeMixin{}, TenantMixin{}}
}

// Fields of the Directory.
func (Directory) Fields() []ent.Field {
	return []ent.Field{
		field.String("name").NotEmpty().MaxLen(200).
			Comment("A name for admins to tell the organization's directories apart, 1 to 200 characters; by default the provider's name.").
			Annotations(entgql.OrderField("NAME")),
		field.Enum("provider").GoType(schematype.Provider("")).
			Comment("The identity provider, for its quirks and the admin's guidance.").
			// graph/directory.graphql declares the GraphQL enum by hand, in
			// upper case with the stored values deprecated.
			Annotations(entgql.OrderField("PROVIDER"), entgql.Skip(entgql.SkipEnumField)),
		field.Bool("enabled").Default(true).
			Comment("A disabled directory refuses every SCIM request."),
		field.Time("last_synced_at").Optional().Nillable().
			Comment("Last authenticated SCIM request, kept to a minute's precision."),
		field.Int("user_total").Default(0).
			Comment("How many users the directory holds, kept by database triggers in the writing transaction: a list's totalResults without counting.").
			Annotations(entgql.Skip(entgql.SkipAll)),
		field.Int("group_total").Default(0).
			Comment("How many groups the directory holds, kept like user_total.").
			Annotations(entgql.Skip(entgql.SkipAll)),
	}
}

// Edges of the Directory.
func (Directory) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("tokens", DirectoryToken.Type).
			Comment("The directory's SCIM bearer tokens, expired ones included (prefix and times only; the secret is shown once, when issued). Empty when it has none.").
			Annotations(entsql.OnDelete(entsql.Cascade)),
		edge.To("users", User.Type).
			Comment("The users the directory's provider provisioned, deactivated ones included.").
			Annotations(entsql.OnDelete(entsql.Cascade), entgql.RelayConnection()),
		edge.To("groups", Group.Type).
			Comment("The groups the directory's provider provisioned.").
			Annotations(entsql.OnDelete(entsql.Cascade), entgql.RelayConnection()),
	}
}

// Indexes of the Directory.
func (Directory) Indexes() []ent.Index {
	return []ent.Index{index.Fields("organization_id")}
}

// Annotations of the Directory.
func (Directory) Annotations() []schema.Annotation {
	return []schema.Annotation{
		schema.Comment("A SCIM endpoint of an organization that one identity provider (Okta, Entra ID, Google, ...) pushes users and groups into, with its own bearer tokens."),
		entgql.QueryField().Description("Directories of every organization the key may read (its own for an org key)."),
		entgql.RelayConnection(),
	}
}

// Policy of the Directory: a directory token sees only its own directory's rows.
func (Directory) Policy() ent.Policy {
	return directoryPolicy(directoryRule{column: "id"})
}
