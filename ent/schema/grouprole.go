package schema

import (
	"context"
	"fmt"
	"time"

	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
	"github.com/google/uuid"

	gen "github.com/acme/directory/ent"
	"github.com/acme/directory/ent/group"
	"github.com/acme/directory/ent/hook"
	"github.com/acme/directory/ent/privacy"
	"github.com/acme/directory/ent/role"
	"github.com/acme/directory/fault"
)

// GroupRole maps a group to a role: every member of the group has the role.
type GroupRole struct {
	ent.Schema
}

// Mixin of the GroupRole.
func (GroupRole) Mixin() []ent.Mixin {
	return []ent.Mixin{DomainWritesMixin{}, TenantMixin{}}
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

// Hooks of the GroupRole.
func (GroupRole) Hooks() []ent.Hook {
	return []ent.Hook{hook.On(sameOrganization, ent.OpCreate)}
}

// sameOrganization refuses a mapping whose group or role belongs to another
// organization than the mapping: a mapping never crosses organizations,
// whoever writes it, a platform key included. The look-ups bypass privacy
// (the privacy rules have already judged the viewer) so the answer depends
// on the data alone.
func sameOrganization(next ent.Mutator) ent.Mutator {
	return hook.GroupRoleFunc(func(ctx context.Context, m *gen.GroupRoleMutation) (ent.Value, error) {
		org, ok := m.OrganizationID()
		if !ok {
			return nil, fault.FieldErrorf("organizationID", "is required")
		}
		gid, _ := m.GroupID()
		rid, _ := m.RoleID()
		sys := privacy.DecisionContext(ctx, privacy.Allow)
		g, err := m.Client().Group.Query().Where(group.ID(gid)).
			Select(group.FieldOrganizationID).Only(sys)
		if err != nil {
			return nil, orgLookup(err, "groupID", "group")
		}
		if g.OrganizationID != org {
			return nil, fault.FieldErrorf("groupID", "belongs to another organization")
		}
		r, err := m.Client().Role.Query().Where(role.ID(rid)).
			Select(role.FieldOrganizationID).Only(sys)
		if err != nil {
			return nil, orgLookup(err, "roleID", "role")
		}
		if r.OrganizationID != org {
			return nil, fault.FieldErrorf("roleID", "belongs to another organization")
		}
		return next.Mutate(ctx, m)
	})
}

// orgLookup words a failed organization look-up of a mapping's group or role.
func orgLookup(err error, field, what string) error {
	if gen.IsNotFound(err) {
		return fault.FieldErrorf(field, "no such %s", what)
	}
	return fmt.Errorf("read the %s's organization: %w", what, err)
}
