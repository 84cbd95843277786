package schema

import (
	"context"
	"errors"
	"fmt"
	"time"

	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/dialect"
	"entgo.io/ent/dialect/sql"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
	"github.com/google/uuid"

	gen "github.com/acme/directory/ent"
	"github.com/acme/directory/ent/directory"
	"github.com/acme/directory/ent/directorytoken"
	"github.com/acme/directory/ent/hook"
	"github.com/acme/directory/ent/privacy"
	"github.com/acme/directory/ent/schema/tableid"
	"github.com/acme/directory/fault"
)

// MaxActiveTokens is how many unexpired tokens a directory may hold: two, so
// a token can be rotated without downtime.
const MaxActiveTokens = 2

// DirectoryToken is a bearer token of a directory. Only its SHA-256 hash is
// kept; the token itself is shown once when it is made.
type DirectoryToken struct {
	ent.Schema
}

// Mixin of the DirectoryToken.
func (DirectoryToken) Mixin() []ent.Mixin {
	return []ent.Mixin{DomainWritesMixin{}, IDMixin{Tag: tableid.DirectoryToken}, TenantMixin{}}
}

// Fields of the DirectoryToken.
func (DirectoryToken) Fields() []ent.Field {
	return []ent.Field{
		field.UUID("directory_id", uuid.UUID{}).Immutable().
			Comment("The id of the directory the token opens."),
		field.Bytes("hash").Sensitive().Unique().Immutable().
			Comment("SHA-256 of the token.").
			Annotations(entgql.Skip(entgql.SkipAll)),
		field.String("prefix").Immutable().
			Comment("The token's first characters, to tell tokens apart."),
		field.Time("created_at").Default(time.Now).Immutable().
			Comment("When the token was issued."),
		field.Time("expires_at").Optional().Nillable().
			Comment("When the token stops working; null when it never expires."),
		field.Time("last_used_at").Optional().Nillable().
			Comment("When a SCIM request last authenticated with the token (written at most once a minute by default, so it may lag by that much); null when never used."),
	}
}

// Edges of the DirectoryToken.
func (DirectoryToken) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("directory", Directory.Type).Ref("tokens").
			Field("directory_id").Unique().Required().Immutable().
			Comment("The directory the token opens."),
	}
}

// Indexes of the DirectoryToken.
func (DirectoryToken) Indexes() []ent.Index {
	return []ent.Index{index.Fields("directory_id")}
}

// Hooks of the DirectoryToken.
func (DirectoryToken) Hooks() []ent.Hook {
	return []ent.Hook{hook.On(limitActiveTokens, ent.OpCreate)}
}

// Annotations of the DirectoryToken: the GraphQL API lists a directory's
// tokens (prefix and times, never the hash) but neither filters, orders nor
// writes them generically; rotation and revocation are dedicated mutations.
func (DirectoryToken) Annotations() []schema.Annotation {
	return []schema.Annotation{
		schema.Comment("A SCIM bearer token of a directory, as listed: its prefix and times. The secret itself is shown once, when the token is issued; a directory holds at most two unexpired tokens, so one can be rotated without downtime."),
		entgql.Skip(entgql.SkipWhereInput, entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput),
	}
}

// limitActiveTokens refuses a third unexpired token for a directory, and a
// token of another organization than its directory's. It is atomic: inside
// the writer's transaction it first locks the directory's row (SELECT ...
// FOR UPDATE on PostgreSQL; SQLite transactions begin IMMEDIATE and so hold
// the database's write lock already), so concurrent creates for one
// directory count one after the other. A create outside a transaction is
// run in a transaction of its own. Tokens are created one at a time: a
// CreateBulk outside a transaction is not supported.
func limitActiveTokens(next ent.Mutator) ent.Mutator {
	return hook.DirectoryTokenFunc(func(ctx context.Context, m *gen.DirectoryTokenMutation) (ent.Value, error) {
		dir, ok := m.DirectoryID()
		if !ok {
			return nil, fault.FieldErrorf("directoryID", "is required")
		}
		if _, err := m.Tx(); err != nil {
			return createTokenInTx(ctx, m)
		}
		// The privacy rules have judged the viewer; what follows must see
		// every row to count right.
		sys := privacy.DecisionContext(ctx, privacy.Allow)
		d, err := m.Client().Directory.Query().
			Where(directory.ID(dir), lockForUpdate).
			Select(directory.FieldOrganizationID).Only(sys)
		if gen.IsNotFound(err) {
			return nil, fault.FieldErrorf("directoryID", "no such directory")
		}
		if err != nil {
			return nil, fmt.Errorf("lock directory: %w", err)
		}
		if org, _ := m.OrganizationID(); org != d.OrganizationID {
			return nil, fault.FieldErrorf("organizationID", "is not the directory's organization")
		}
		n, err := m.Client().DirectoryToken.Query().
			Where(directorytoken.DirectoryID(dir), directorytoken.Or(
				directorytoken.ExpiresAtIsNil(), directorytoken.ExpiresAtGT(time.Now()))).
			Count(sys)
		if err != nil {
			return nil, fmt.Errorf("count active tokens: %w", err)
		}
		if n >= MaxActiveTokens {
			return nil, fault.Errorf(fault.Conflict,
				"the directory already has %d active tokens: revoke one first", n)
		}
		return next.Mutate(ctx, m)
	})
}

// lockForUpdate makes a directory query lock the rows it reads until the
// transaction ends, on PostgreSQL. SQLite has no row locks (and refuses the
// clause); its write transactions are serialised as a whole. It is a
// predicate only because a predicate sees the query's dialect.
func lockForUpdate(s *sql.Selector) {
	if s.Dialect() == dialect.Postgres {
		s.ForUpdate()
	}
}

// createTokenInTx runs a token create that came without a transaction in a
// transaction of its own, so the count and the insert stay atomic: the
// mutation's fields are copied onto a create of the transaction, which runs
// every hook again, this one now inside the transaction.
func createTokenInTx(ctx context.Context, m *gen.DirectoryTokenMutation) (*gen.DirectoryToken, error) {
	tx, err := m.Client().Tx(ctx)
	if err != nil {
		return nil, fmt.Errorf("begin token transaction: %w", err)
	}
	c := tx.DirectoryToken.Create()
	for _, name := range m.Fields() {
		v, _ := m.Field(name)
		if err := c.Mutation().SetField(name, v); err != nil {
			return nil, errors.Join(fmt.Errorf("copy token field %s: %w", name, err), tx.Rollback())
		}
	}
	if id, ok := m.ID(); ok {
		c.SetID(id)
	}
	t, err := c.Save(ctx)
	if err != nil {
		if rerr := tx.Rollback(); rerr != nil {
			return nil, errors.Join(err, fmt.Errorf("roll back: %w", rerr))
		}
		return nil, err
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("commit token: %w", err)
	}
	return t.Unwrap(), nil
}

// Policy of the DirectoryToken: a directory token sees only its own directory's rows.
func (DirectoryToken) Policy() ent.Policy {
	return directoryPolicy(directoryRule{column: "directory_id"})
}
