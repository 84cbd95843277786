package domain

// Group commit of new users. An initial sync POSTs every user of a
// directory, several at a time; on PostgreSQL each insert locks the
// directory's row (the trigger that keeps its user_total) until its commit,
// so on their own the POSTs of a directory queue behind each other's round
// trips. Instead, the provisioning requests of a directory that arrive
// while one is being written are written together (commit.go): one read of
// which userNames exist, one read of the default role, one INSERT of the
// new users, one insert of their events, one commit. A request for a
// userName that exists (a take-over: Okta's re-assignment, a retry) or that
// another request of the batch names too is written on its own after the
// batch, as ProvisionUser writes it alone; so is every request of a batch
// whose transaction fails (a concurrent insert of the same userName), so
// one conflict fails alone.

import (
	"context"

	"github.com/google/uuid"

	"github.com/acme/directory/ent"
	"github.com/acme/directory/ent/schema/schematype"
	"github.com/acme/directory/ent/user"
	"github.com/acme/directory/events"
	"github.com/acme/directory/roles"
	"github.com/acme/directory/store"
)

// provisioning is one ProvisionUser call and, once written, its result.
type provisioning struct {
	dirID    uuid.UUID
	userName string
	f        UserFields
	u        *ent.User
	created  bool
	err      error
}

func (p *provisioning) fail(err error) { p.u, p.created, p.err = nil, false, err }

// directoryKey is the key of provisioning requests that may share a
// transaction: of one directory, by one credential.
type directoryKey struct {
	dir   uuid.UUID
	actor actorKey
}

// provisionBatched writes p with the provisioning requests of its
// directory that arrive while one is being written.
func (s *Service) provisionBatched(ctx context.Context, p *provisioning) {
	s.provisions.do(ctx, directoryKey{dir: p.dirID, actor: actorOf(ctx)}, p, s.writeProvisions)
}

// writeProvisions writes batch: its new users in one transaction, the
// others each on its own.
func (s *Service) writeProvisions(batch []*queued[*provisioning]) {
	alone := func(q *queued[*provisioning]) {
		p := q.w
		p.u, p.created, p.err = s.provisionAlone(q.ctx, p.dirID, p.userName, p.f)
	}
	if len(batch) == 1 {
		alone(batch[0])
		return
	}
	ctx, cancel := batchContext(batch)
	defer cancel()
	var later []*queued[*provisioning]
	err := s.inTx(ctx, func(ctx context.Context, tx *opTx) (err error) {
		later, err = s.createUsers(ctx, tx, batch)
		return err
	})
	if err != nil {
		later = batch
	}
	for _, q := range batch {
		if q.w.u != nil && err == nil {
			q.w.u = store.Release(q.ctx, q.w.u)
			if q.w.created {
				effectOf(q.ctx).note([]change{{payload: events.UserCreated{User: events.User{ID: q.w.u.ID, UserName: q.w.u.UserName}}}})
			}
		}
	}
	for _, q := range later {
		q.w.u, q.w.created, q.w.err = nil, false, nil
		alone(q)
	}
}

// createUsers inserts, in tx, the users of batch whose userName no user of
// the directory has and no earlier request of batch names, with their
// user.created events, and returns the other requests.
func (s *Service) createUsers(ctx context.Context, tx *opTx, batch []*queued[*provisioning]) ([]*queued[*provisioning], error) {
	dirID := batch[0].w.dirID
	keys := make([]string, len(batch))
	for i, q := range batch {
		keys[i] = schematype.FoldKey(q.w.userName)
	}
	taken, err := tx.User.Query().Where(user.DirectoryID(dirID), user.UserNameKeyIn(keys...)).
		Select(user.FieldUserNameKey).Strings(ctx)
	if err != nil {
		return nil, err
	}
	org, err := organizationOf(ctx, tx.Client, dirID)
	if err != nil {
		return nil, err
	}
	named := make(map[string]bool, len(batch))
	for _, k := range taken {
		named[k] = true
	}
	var (
		later   []*queued[*provisioning]
		fresh   []*provisioning
		creates []*ent.UserCreate
		active  = map[bool][]*ent.Role{}
	)
	for i, q := range batch {
		if named[keys[i]] {
			later = append(later, q)
			continue
		}
		named[keys[i]] = true
		c := tx.User.Create().SetOrganizationID(org).SetDirectoryID(dirID)
		if err := setFields(c.Mutation(), q.w.f, false); err != nil {
			q.w.err = err
			continue
		}
		a, set := c.Mutation().Active()
		if !set {
			a = user.DefaultActive
		}
		if _, read := active[a]; !read && !outboxOff(ctx) {
			// The new users' roles, read before their insert (see
			// provisionUser).
			if active[a], err = roles.OfNewUser(ctx, tx.Client, &ent.User{OrganizationID: org, Active: a}); err != nil {
				return nil, err
			}
		}
		fresh, creates = append(fresh, q.w), append(creates, c)
	}
	if len(creates) == 0 {
		return later, nil
	}
	us, err := tx.User.CreateBulk(creates...).Save(ctx)
	if err != nil {
		return nil, userConflict(err)
	}
	evs := make([]change, len(us))
	for i, u := range us {
		fresh[i].u, fresh[i].created = u, true
		evs[i] = userCreatedEvent(u, active[u.Active])
	}
	return later, record(ctx, tx, evs...)
}
