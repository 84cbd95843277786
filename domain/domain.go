// Package domain holds every operation on the directory's data: organizations,
// directories and their tokens, users, groups and their members, roles, the
// default role, group-role mappings and API keys. Each operation is one
// transaction, runs as the viewer in its context (the data layer's privacy
// rules decide what it may touch) and returns the errors of package fault.
//
// SCIM, GraphQL and the command line are translators: they turn their
// protocol into these calls and the results back. Nothing here knows either
// protocol. The rules that must hold whoever writes (tenant scoping, token
// limits, version bumps, folded keys) live one layer below, in ent/schema;
// the rules of an operation (take-over on re-provisioning, set-based member
// changes, which field a conflict is about) live here, once.
package domain

import (
	"errors"
	"fmt"

	"entgo.io/ent/dialect"

	"github.com/acme/directory/egress"
	"github.com/acme/directory/ent"
	"github.com/acme/directory/fault"
	"github.com/acme/directory/store"
)

// Service runs the operations against one database.
type Service struct {
	client *ent.Client
	// rowLocks: SELECT ... FOR UPDATE before a read-modify-write. Only
	// PostgreSQL needs (and has) them: SQLite write transactions start
	// IMMEDIATE and run one at a time.
	rowLocks bool
	dialect  string
	// webhookTargets is where webhook endpoints may point.
	webhookTargets egress.Policy
	// groupUpdates are the group updates waiting to share a transaction.
	groupUpdates groupCommit[*groupUpdate]
	// provisions are the new users waiting to share a transaction.
	provisions groupCommit[*provisioning]
}

// Option configures a Service.
type Option func(*Service)

// WebhookTargets sets where webhook endpoint URLs may point, checked when
// an endpoint is created or its URL changed (the delivery worker checks
// again at connect time). Without it, private and loopback targets are
// refused.
func WebhookTargets(p egress.Policy) Option {
	return func(s *Service) { s.webhookTargets = p }
}

// New returns the operations over client, whose database speaks the ent
// dialect dia (dialect.SQLite or dialect.Postgres).
func New(client *ent.Client, dia string, opts ...Option) *Service {
	s := &Service{client: client, rowLocks: dia == dialect.Postgres, dialect: dia}
	for _, o := range opts {
		o(s)
	}
	return s
}

// Dialect is the ent dialect of the database, as given to New.
func (s *Service) Dialect() string { return s.dialect }

// Client is the client reads go through; writes go through the operations.
func (s *Service) Client() *ent.Client { return s.client }

// conflictOn names the field of a unique-constraint violation with a
// message that names nothing of another tenant; other errors pass through.
func conflictOn(err error, field, message string) error {
	if ent.IsConstraintError(err) {
		return &fault.Error{Code: fault.Conflict, Field: field, Message: message}
	}
	return err
}

// notFoundOn names the argument of a not-found error; other errors pass
// through.
func notFoundOn(err error, field, message string) error {
	if ent.IsNotFound(err) {
		return &fault.Error{Code: fault.NotFound, Field: field, Message: message}
	}
	return err
}

// wrap adds the operation's name to an internal error and leaves domain
// errors as they are, so callers see the caller-safe message.
func wrap(op string, err error) error {
	var fe *fault.Error
	if err == nil || errors.As(err, &fe) {
		return err
	}
	return fmt.Errorf("%s: %w", op, store.Classify(err))
}

// Nullable is a change of an optional field: Set false leaves the field
// alone; Set with a nil Value clears it.
type Nullable[T any] struct {
	Set   bool
	Value *T
}
