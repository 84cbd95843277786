package schema

import (
	"time"

	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/dialect"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
	"github.com/google/uuid"
)

// Event is one change, written in the same transaction as the change: the
// outbox that feeds the events connection, subscriptions and webhooks.
//
// Events are ordered by (txid, id). On PostgreSQL txid is the id of the
// writing transaction (pg_current_xact_id(), set by the column default), and
// readers see only events whose transaction is older than every transaction
// still running (pg_snapshot_xmin), so an event can never commit behind a
// position a reader has passed. On SQLite writers run one at a time, txid is
// 0 and id order is commit order. Package events reads them.
type Event struct {
	ent.Schema
}

// Mixin of the Event.
func (Event) Mixin() []ent.Mixin {
	return []ent.Mixin{DomainWritesMixin{}, TenantMixin{Provisioned: true}}
}

// Fields of the Event.
func (Event) Fields() []ent.Field {
	return []ent.Field{
		field.Int64("id").Immutable(),
		field.Int64("txid").Optional().Immutable().
			Comment("The writing transaction (PostgreSQL xid8; 0 on SQLite), set by the database.").
			Annotations(entsql.DefaultExprs(map[string]string{
				dialect.Postgres: "(pg_current_xact_id())::text::bigint",
				dialect.SQLite:   "0",
			})),
		field.String("type").NotEmpty().Immutable().
			Comment("user.created, group.user_added, directory.disabled, ..."),
		field.UUID("directory_id", uuid.UUID{}).Optional().Nillable().Immutable().
			Comment("The directory the change came through, if any."),
		field.UUID("subject_id", uuid.UUID{}).Immutable().
			Comment("The user, group, role or directory changed."),
		field.String("actor_type").Default("system").Immutable().
			Comment("The kind of credential that caused the change: platform, org_admin, provisioner, or system."),
		field.UUID("actor_id", uuid.UUID{}).Optional().Nillable().Immutable().
			Comment("The API key or directory token that caused the change; unset for the server's own work."),
		field.JSON("data", map[string]any{}).Immutable().
			Comment("The subject as the GraphQL API shows it after the change."),
		field.JSON("previous", map[string]any{}).Optional().Immutable().
			Comment("The previous values of the fields that changed (updates only)."),
		field.Time("created_at").Default(time.Now).Immutable(),
	}
}

// Indexes of the Event.
func (Event) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("organization_id", "txid", "id"),
		index.Fields("organization_id", "subject_id"),
		index.Fields("created_at"),
	}
}

// Annotations of the Event.
func (Event) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip(entgql.SkipAll)}
}
