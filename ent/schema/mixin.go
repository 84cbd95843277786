package schema

import (
	"context"
	"fmt"
	"time"

	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/mixin"
	"github.com/google/uuid"

	"github.com/acme/directory/ent/schema/schematype"
	"github.com/acme/directory/ent/schema/tableid"
)

// IDMixin gives a row an opaque, time-ordered UUID id, so ids sort by
// creation and B-tree inserts stay local. With a Tag the id also names its
// table (a UUID version 8 laid out like version 7, see package tableid),
// so node(id:) finds a row in one statement; without one it is a plain
// version 7 UUID.
type IDMixin struct {
	mixin.Schema
	// Tag is the table's entry in the tableid registry; every schema with
	// a GraphQL node type must have one.
	Tag tableid.Tag
}

// Fields of the IDMixin.
func (m IDMixin) Fields() []ent.Field {
	return []ent.Field{
		field.UUID("id", uuid.UUID{}).Default(newID(m.Tag)).Immutable().
			Comment("An opaque UUID, unique across every type (node(id:) finds it); ids sort by creation time."),
	}
}

// newID returns the id generator of a table tagged t.
func newID(t tableid.Tag) func() uuid.UUID {
	return func() uuid.UUID { return tableid.New(t) }
}

// TimeMixin records when a row was created and last changed.
type TimeMixin struct{ mixin.Schema }

// Fields of the TimeMixin.
func (TimeMixin) Fields() []ent.Field {
	return []ent.Field{
		field.Time("created_at").Default(time.Now).Immutable().
			Comment("When this was first stored here (not when the provider created it).").
			Annotations(entgql.OrderField("CREATED_AT")),
		field.Time("updated_at").Default(time.Now).UpdateDefault(time.Now).
			Comment("When it was last changed here (its creation time if it never was).").
			Annotations(entgql.OrderField("UPDATED_AT")),
	}
}

// VersionMixin keeps a counter that every update bumps: the SCIM ETag.
type VersionMixin struct{ mixin.Schema }

// Fields of the VersionMixin.
func (VersionMixin) Fields() []ent.Field {
	return []ent.Field{
		field.Int("version").Default(1).Positive().
			Comment("Bumped by every update; the SCIM ETag is W/\"<version>\"."),
	}
}

// Hooks of the VersionMixin.
func (VersionMixin) Hooks() []ent.Hook {
	return []ent.Hook{bumpVersion}
}

// bumpVersion adds one to the version of every row an update touches, so no
// writer can forget it and a stale If-Match always fails.
func bumpVersion(next ent.Mutator) ent.Mutator {
	return ent.MutateFunc(func(ctx context.Context, m ent.Mutation) (ent.Value, error) {
		if m.Op().Is(ent.OpUpdate) || m.Op().Is(ent.OpUpdateOne) {
			v, ok := m.(interface{ AddVersion(int) })
			if !ok {
				return nil, fmt.Errorf("version mixin on %s: mutation has no AddVersion", m.Type())
			}
			v.AddVersion(1)
		}
		return next.Mutate(ctx, m)
	})
}

// TenantMixin stamps a row with the organization it belongs to. Its privacy
// policy keeps every organization's rows away from every other organization's
// viewer: queries are filtered, writes outside the viewer's organization are
// refused. Only a platform viewer crosses organizations.
type TenantMixin struct {
	mixin.Schema
	// Provisioned marks data that identity providers write over SCIM (users,
	// groups, memberships); a provisioner may write nothing else.
	Provisioned bool
	// Keyed marks rows that lists page through in (organization_id, id)
	// order, from an index: in a list's statements the policy's condition
	// is written as package listkey says, so PostgreSQL reads a page from
	// that index. Keyed rows have a keyed directoryRule too, which alone
	// narrows a provisioner's lists (see tenantRule.EvalQuery).
	Keyed bool
}

// Fields of the TenantMixin.
func (TenantMixin) Fields() []ent.Field {
	return []ent.Field{
		field.UUID("organization_id", uuid.UUID{}).Immutable().
			Comment("The id of the organization it belongs to; it never changes."),
	}
}

// Edges of the TenantMixin.
func (TenantMixin) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("organization", Organization.Type).
			Field("organization_id").Unique().Required().Immutable().
			Comment("The organization it belongs to.").
			Annotations(entsql.OnDelete(entsql.Cascade), entgql.Skip(entgql.SkipWhereInput)),
	}
}

// Policy of the TenantMixin.
func (m TenantMixin) Policy() ent.Policy {
	return tenantPolicy(m.Provisioned, m.Keyed)
}

// keyHook copies a case-insensitive field into its folded key column
// whenever the field is set, so uniqueness and look-ups ignore case.
func keyHook(src, dst string) ent.Hook {
	return func(next ent.Mutator) ent.Mutator {
		return ent.MutateFunc(func(ctx context.Context, m ent.Mutation) (ent.Value, error) {
			if v, ok := m.Field(src); ok {
				s, _ := v.(string)
				if err := m.SetField(dst, schematype.FoldKey(s)); err != nil {
					return nil, fmt.Errorf("set %s: %w", dst, err)
				}
			}
			return next.Mutate(ctx, m)
		})
	}
}
