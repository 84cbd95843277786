package schema

import (
	"context"
	"fmt"

	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"github.com/google/uuid"

	gen "github.com/acme/directory/ent"
	"github.com/acme/directory/ent/hook"
	"github.com/acme/directory/ent/role"
	"github.com/acme/directory/ent/schema/tableid"
	"github.com/acme/directory/fault"
)

// Organization is a tenant: one customer of the application, with its own
// directories, users, groups, roles, events and keys.
type Organization struct {
	ent.Schema
}

// Mixin of the Organization.
func (Organization) Mixin() []ent.Mixin {
	return []ent.Mixin{DomainWritesMixin{}, IDMixin{Tag: tableid.Organization}, TimeMixin{}}
}

// Fields of the Organization.
func (Organization) Fields() []ent.Field {
	return []ent.Field{
		field.String("name").NotEmpty().MaxLen(200).
			Comment("The customer's name for display, 1 to 200 characters; not unique.").
			Annotations(entgql.OrderField("NAME")),
		field.String("slug").NotEmpty().MaxLen(100).Unique().
			Match(slugPattern).
			Comment("URL-safe unique handle, lower-case letters, digits and dashes.").
			Annotations(entgql.OrderField("SLUG")),
		field.String("external_id").Optional().Nillable().MaxLen(200).Unique().
			Comment("The application's own id for this organization, unique when set; null when none was given."),
		field.UUID("default_role_id", uuid.UUID{}).Optional().Nillable().
			Comment("The id of the role users hold when none of their groups maps a role; null when there is no default."),
	}
}

// Edges of the Organization.
func (Organization) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("default_role", Role.Type).Field("default_role_id").Unique().
			Comment("The role users hold when none of their groups maps a role; null when there is no default.").
			Annotations(entsql.OnDelete(entsql.SetNull)),
		edge.From("directories", Directory.Type).Ref("organization").
			Comment("The organization's SCIM directories, one per identity provider connection.").
			Annotations(entgql.RelayConnection()),
		edge.From("roles", Role.Type).Ref("organization").
			Comment("The roles the application defines for this organization.").
			Annotations(entgql.RelayConnection()),
	}
}

// Hooks of the Organization.
func (Organization) Hooks() []ent.Hook {
	return []ent.Hook{hook.On(ownDefaultRole, ent.OpCreate|ent.OpUpdateOne|ent.OpUpdate)}
}

// ownDefaultRole refuses a default role of another organization, whoever
// sets it.
func ownDefaultRole(next ent.Mutator) ent.Mutator {
	return hook.OrganizationFunc(func(ctx context.Context, m *gen.OrganizationMutation) (ent.Value, error) {
		roleID, ok := m.DefaultRoleID()
		if !ok {
			return next.Mutate(ctx, m)
		}
		orgs, err := m.IDs(ctx)
		if id, ok := m.ID(); ok && m.Op().Is(ent.OpCreate) {
			orgs, err = []uuid.UUID{id}, nil
		}
		if err != nil {
			return nil, fmt.Errorf("default role: %w", err)
		}
		for _, org := range orgs {
			ok, err := m.Client().Role.Query().Where(role.ID(roleID), role.OrganizationID(org)).Exist(ctx)
			if err != nil {
				return nil, fmt.Errorf("default role: %w", err)
			}
			if !ok {
				return nil, fault.FieldErrorf("roleID", "is not a role of this organization")
			}
		}
		return next.Mutate(ctx, m)
	})
}

// Policy of the Organization.
func (Organization) Policy() ent.Policy { return organizationRule{} }

// Annotations of the Organization.
func (Organization) Annotations() []schema.Annotation {
	return []schema.Annotation{
		schema.Comment("A tenant: one customer of the application, with its own directories, users, groups, roles, events and keys."),
		entgql.QueryField().Description("Organizations the key may read: every one for a platform key, its own alone for an org key."),
		entgql.RelayConnection(),
	}
}
