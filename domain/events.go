package domain

// The event outbox. Every operation that changes something records its
// events here, through the transaction that makes the change: a change that
// rolls back leaves no event, and an event is never visible before its
// change. Events of many rows are written set-based (chunked bulk inserts),
// and the effective roles of many users are compared with a bounded number
// of statements per chunk (roles.Effective on each chunk).
//
// Readers (the GraphQL events connection, and the subscriptions and
// webhooks to come) read through package events: events.After pages by an
// opaque cursor in commit-safe order.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"time"

	entsql "entgo.io/ent/dialect/sql"
	"github.com/google/uuid"

	"github.com/acme/directory/access"
	"github.com/acme/directory/ent"
	"github.com/acme/directory/ent/event"
	"github.com/acme/directory/ent/grouprole"
	"github.com/acme/directory/ent/membership"
	"github.com/acme/directory/ent/user"
	"github.com/acme/directory/events"
	"github.com/acme/directory/roles"
)

// ActorSystem is the actor type of changes made with no credential (the
// server's own work, the command line).
const ActorSystem = "system"

// eventChunk bounds the rows of one event insert: 3,000 rows of nine
// bound columns stay under SQLite's 32,766 and PostgreSQL's 65,535
// parameters.
const eventChunk = 3000

// roleChunk is how many users are read, and their effective roles
// compared, at once: one IN list of ids, the bound roles.Effective keeps
// to as well.
const roleChunk = 5000

// change is one event to record: its declared payload (package events)
// and, for updates, the previous values of what changed.
type change struct {
	org      uuid.UUID
	dir      *uuid.UUID
	subject  uuid.UUID
	payload  events.Payload
	previous any // nil or what the payload declares (events.WithBefore): events.Roles or events.Changes
}

// eventColumns are the columns record writes; the others (id, txid) are
// the database's.
var eventColumns = []string{event.FieldType, event.FieldOrganizationID, event.FieldDirectoryID,
	event.FieldSubjectID, event.FieldActorType, event.FieldActorID, event.FieldData,
	event.FieldPrevious, event.FieldCreatedAt}

// record inserts events through tx, the transaction of the change, one
// multi-row INSERT per eventChunk events, each payload encoded once. The
// actor is the viewer's credential.
func record(ctx context.Context, tx *opTx, changes ...change) error {
	if len(changes) == 0 || outboxOff(ctx) {
		return nil
	}
	actorType, actorID := actor(ctx)
	now := time.Now()
	for chunk := range slices.Chunk(changes, eventChunk) {
		ins := entsql.Dialect(tx.dialect).Insert(event.Table).Columns(eventColumns...)
		for _, c := range chunk {
			data, err := json.Marshal(c.payload)
			if err != nil {
				return fmt.Errorf("encode %s: %w", c.payload.EventType(), err)
			}
			var previous any
			if c.previous != nil {
				if previous, err = json.Marshal(c.previous); err != nil {
					return fmt.Errorf("encode previous of %s: %w", c.payload.EventType(), err)
				}
			}
			ins.Values(c.payload.EventType(), c.org, orNull(c.dir), c.subject, actorType, orNull(actorID),
				data, previous, now)
		}
		query, args := ins.Query()
		if _, err := tx.ExecContext(ctx, query, args...); err != nil {
			return fmt.Errorf("record %d events: %w", len(chunk), err)
		}
	}
	tx.announce(changes)
	effectOf(ctx).note(changes)
	return nil
}

// orNull is id, or SQL NULL when it is nil.
func orNull(id *uuid.UUID) any {
	if id == nil {
		return nil
	}
	return *id
}

// noOutbox marks a context whose user writes record no events. Only this
// package's benchmarks set it (export_test.go), to measure what the outbox
// costs a write: production code cannot turn events off.
type noOutbox struct{}

func outboxOff(ctx context.Context) bool { return ctx.Value(noOutbox{}) != nil }

// actor is the credential of the viewer: its scope and id.
func actor(ctx context.Context) (string, *uuid.UUID) {
	v := access.FromContext(ctx)
	if v == nil {
		return ActorSystem, nil
	}
	if v.CredentialID == uuid.Nil {
		if v.Scope == access.Platform {
			return ActorSystem, nil // PlatformContext: the server or the command line
		}
		return string(v.Scope), nil
	}
	id := v.CredentialID
	if v.Actor != "" {
		return v.Actor, &id
	}
	return string(v.Scope), &id
}

// unchanging are the fields every update moves; they are not "changed
// fields" of an update event.
var unchanging = []string{"updatedAt", "version"}

// previousOf is the before-values of the fields whose encoded values differ
// between the payloads before and after, but ignore and the bookkeeping
// fields; nil when none do. Both payloads are encoded by their declared
// types, so a field is compared exactly as events show it.
func previousOf(before, after events.Payload, ignore ...string) (events.Changes, error) {
	b, err := fieldsOf(before)
	if err != nil {
		return nil, err
	}
	a, err := fieldsOf(after)
	if err != nil {
		return nil, err
	}
	var prev events.Changes
	for k, v := range b {
		if slices.Contains(unchanging, k) || slices.Contains(ignore, k) || bytes.Equal(v, a[k]) {
			continue
		}
		if prev == nil {
			prev = events.Changes{}
		}
		prev[k] = v
	}
	return prev, nil
}

// fieldsOf is a payload's fields, each as encoded.
func fieldsOf(p events.Payload) (map[string]json.RawMessage, error) {
	raw, err := json.Marshal(p)
	if err != nil {
		return nil, fmt.Errorf("encode %s: %w", p.EventType(), err)
	}
	var out map[string]json.RawMessage
	if err := json.Unmarshal(raw, &out); err != nil {
		return nil, fmt.Errorf("decode %s: %w", p.EventType(), err)
	}
	return out, nil
}

// The events of each kind of subject.

// userEvent is an event about u.
func userEvent(u *ent.User, p events.Payload, previous any) change {
	dir := u.DirectoryID
	return change{org: u.OrganizationID, dir: &dir, subject: u.ID, payload: p, previous: previous}
}

// groupEvent is an event about g.
func groupEvent(g *ent.Group, p events.Payload, previous any) change {
	dir := g.DirectoryID
	return change{org: g.OrganizationID, dir: &dir, subject: g.ID, payload: p, previous: previous}
}

// directoryEvent is an event about d.
func directoryEvent(d *ent.Directory, p events.Payload) change {
	dir := d.ID
	return change{org: d.OrganizationID, dir: &dir, subject: d.ID, payload: p}
}

// roleEvent is an event about r.
func roleEvent(r *ent.Role, p events.Payload, previous any) change {
	return change{org: r.OrganizationID, subject: r.ID, payload: p, previous: previous}
}

// rolesChanged is user.roles_changed: the user with its effective role
// keys after the change, and previous.roles before it.
func rolesChanged(u *ent.User, before, after []string) change {
	return userEvent(u, events.UserRolesChanged{User: events.UserOf(u), Roles: nonNil(after)},
		events.Roles{Roles: nonNil(before)})
}

func nonNil(keys []string) []string {
	if keys == nil {
		return []string{}
	}
	return keys
}

// keysOf is the keys of roles, in their (key) order.
func keysOf(rs []*ent.Role) []string {
	keys := make([]string, len(rs))
	for i, r := range rs {
		keys[i] = r.Key
	}
	return keys
}

// userCreated records user.created, with the user's effective roles,
// eff (roles.OfNewUser, read before the insert).
func userCreated(ctx context.Context, tx *opTx, u *ent.User, eff []*ent.Role) error {
	return record(ctx, tx, userCreatedEvent(u, eff))
}

// userCreatedEvent is user.created of u, whose effective roles are eff.
func userCreatedEvent(u *ent.User, eff []*ent.Role) change {
	return userEvent(u, events.UserCreated{User: events.UserOf(u), Roles: nonNil(keysOf(eff))}, nil)
}

// userChanged records the events of an update of a user from before to
// after: user.updated with the previous values of the fields that changed
// (active aside), user.deactivated or user.reactivated, and, when that
// moves the user's effective roles, user.roles_changed.
func userChanged(ctx context.Context, tx *opTx, before, after *ent.User) error {
	if outboxOff(ctx) {
		return nil
	}
	var evs []change
	was, is := events.UserOf(before), events.UserOf(after)
	prev, err := previousOf(events.UserUpdated{User: was}, events.UserUpdated{User: is}, "active")
	if err != nil {
		return err
	}
	if prev != nil {
		evs = append(evs, userEvent(after, events.UserUpdated{User: is}, prev))
	}
	if before.Active != after.Active {
		// Only active users have roles: the roles of the user that is
		// active (before or after) are what moved.
		active := before
		if after.Active {
			active = after
		}
		eff, err := roles.Effective(ctx, tx.Client, []*ent.User{active})
		if err != nil {
			return err
		}
		keys := nonNil(keysOf(eff[active.ID]))
		from, to := keys, []string{}
		var p events.Payload = events.UserDeactivated{User: is, Roles: to}
		if after.Active {
			from, to = []string{}, keys
			p = events.UserReactivated{User: is, Roles: to}
		}
		// The roles lost or regained ride on the event itself, so a
		// consumer of user.deactivated needs no second read.
		evs = append(evs, userEvent(after, p, events.Roles{Roles: from}))
		if len(keys) > 0 {
			evs = append(evs, rolesChanged(after, from, to))
		}
	}
	return record(ctx, tx, evs...)
}

// userDeleted records user.deleted and group.user_removed for each group
// the user was in; call it before the delete.
func userDeleted(ctx context.Context, tx *opTx, u *ent.User) error {
	gs, err := tx.Membership.Query().Where(membership.UserID(u.ID)).QueryGroup().All(ctx)
	if err != nil {
		return fmt.Errorf("groups of deleted user: %w", err)
	}
	evs := []change{userEvent(u, events.UserDeleted{User: events.UserOf(u)}, nil)}
	for _, g := range gs {
		evs = append(evs, memberEvent(false, g, u))
	}
	return record(ctx, tx, evs...)
}

// memberEvent is group.user_added (added) or group.user_removed: its
// subject is the group; its payload names the group and the user.
func memberEvent(added bool, g *ent.Group, u *ent.User) change {
	gp, up := events.GroupOf(g), events.UserSummaryOf(u)
	if added {
		return groupEvent(g, events.GroupUserAdded{Group: gp, User: up}, nil)
	}
	return groupEvent(g, events.GroupUserRemoved{Group: gp, User: up}, nil)
}

// groupChanged records group.updated when a field of the group changed.
func groupChanged(ctx context.Context, tx *opTx, before, after *ent.Group) error {
	is := events.GroupUpdated{Group: events.GroupOf(after)}
	prev, err := previousOf(events.GroupUpdated{Group: events.GroupOf(before)}, is)
	if err != nil || prev == nil {
		return err
	}
	return record(ctx, tx, groupEvent(after, is, prev))
}

// roleWatch holds users' effective role keys before a change, to record
// user.roles_changed for those whose keys differ after it.
type roleWatch struct {
	ids    []uuid.UUID
	before map[uuid.UUID][]string
}

// watchRoles reads the effective roles of the users ids (once each) before
// a change: per roleChunk users, one read of the users and roles.Effective.
func watchRoles(ctx context.Context, tx *opTx, ids []uuid.UUID) (*roleWatch, error) {
	w := &roleWatch{ids: distinct(ids), before: map[uuid.UUID][]string{}}
	for chunk := range slices.Chunk(w.ids, roleChunk) {
		us, err := tx.User.Query().Where(user.IDIn(chunk...)).
			Select(user.FieldID, user.FieldOrganizationID, user.FieldActive).All(ctx)
		if err != nil {
			return nil, fmt.Errorf("users before the change: %w", err)
		}
		eff, err := roles.Effective(ctx, tx.Client, us)
		if err != nil {
			return nil, err
		}
		for id, rs := range eff {
			w.before[id] = keysOf(rs)
		}
	}
	return w, nil
}

// watchOrganization watches every user of an organization.
func watchOrganization(ctx context.Context, tx *opTx, org uuid.UUID) (*roleWatch, error) {
	ids, err := tx.User.Query().Where(user.OrganizationID(org)).IDs(ctx)
	if err != nil {
		return nil, fmt.Errorf("users of the organization: %w", err)
	}
	return watchRoles(ctx, tx, ids)
}

// watchMembers watches the members of groups.
func watchMembers(ctx context.Context, tx *opTx, groups ...uuid.UUID) (*roleWatch, error) {
	ms, err := tx.Membership.Query().Where(membership.GroupIDIn(groups...)).
		Select(membership.FieldUserID).All(ctx)
	if err != nil {
		return nil, fmt.Errorf("members: %w", err)
	}
	uids := make([]uuid.UUID, len(ms))
	for i, m := range ms {
		uids[i] = m.UserID
	}
	return watchRoles(ctx, tx, uids)
}

// record records user.roles_changed for the watched users whose effective
// roles moved: per roleChunk users, one read of the users, roles.Effective
// and the bulk insert of their events.
func (w *roleWatch) record(ctx context.Context, tx *opTx) error {
	if w == nil {
		return nil
	}
	for chunk := range slices.Chunk(w.ids, roleChunk) {
		us, err := tx.User.Query().Where(user.IDIn(chunk...)).All(ctx)
		if err != nil {
			return fmt.Errorf("users after the change: %w", err)
		}
		eff, err := roles.Effective(ctx, tx.Client, us)
		if err != nil {
			return err
		}
		var evs []change
		for _, u := range us {
			before, after := w.before[u.ID], keysOf(eff[u.ID])
			if !slices.Equal(before, after) {
				evs = append(evs, rolesChanged(u, before, after))
			}
		}
		if err := record(ctx, tx, evs...); err != nil {
			return err
		}
	}
	return nil
}

// groupRoleKeys is the keys of the roles mapped to a group, by key.
func groupRoleKeys(ctx context.Context, tx *opTx, g uuid.UUID) ([]string, error) {
	rs, err := tx.GroupRole.Query().Where(grouprole.GroupID(g)).QueryRole().All(ctx)
	if err != nil {
		return nil, fmt.Errorf("roles of group: %w", err)
	}
	keys := keysOf(rs)
	slices.Sort(keys)
	return keys, nil
}

// distinct is ids, each once, in first-seen order.
func distinct(ids []uuid.UUID) []uuid.UUID {
	seen := make(map[uuid.UUID]bool, len(ids))
	out := make([]uuid.UUID, 0, len(ids))
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

// Announcing events: readers that wait for events (subscriptions, package
// broker, the webhook worker) are woken when a transaction that recorded
// some commits. On PostgreSQL the events table's trigger (migration
// events_notify) sends NOTIFY on NotifyChannel, once per organization per
// transaction, which the database delivers to every server on commit and
// never on rollback: no statement of the write path is spent on it. In this
// process, WatchCommits observers are called after the commit with the
// organizations the transaction noted (opTx.announce). A wake-up carries no
// event: readers re-read from their own cursor through package events, so
// a lost one only delays.

// NotifyChannel is the PostgreSQL channel on which a transaction that
// records events of an organization notifies, with the organization's id
// as payload.
const NotifyChannel = "directory_events"

// NotifyCredentials is the payload a transaction sends on NotifyChannel
// when it changes what a credential decides (a credential, a directory or
// an organization written): every server then drops its cached
// credentials at once (package auth writes it, package broker hears it).
const NotifyCredentials = "credentials"

// watchers are the WatchCommits observers.
var watchers struct {
	sync.Mutex
	next int
	fs   map[int]func([]uuid.UUID)
}

// WatchCommits calls f after each commit, in this process, of a
// transaction that recorded events, with the organizations it recorded
// events of, until the returned stop is called. f runs on the committing
// goroutine and must not block.
func WatchCommits(f func(orgs []uuid.UUID)) (stop func()) {
	watchers.Lock()
	defer watchers.Unlock()
	if watchers.fs == nil {
		watchers.fs = map[int]func([]uuid.UUID){}
	}
	id := watchers.next
	watchers.next++
	watchers.fs[id] = f
	return func() {
		watchers.Lock()
		defer watchers.Unlock()
		delete(watchers.fs, id)
	}
}

// committed tells the watchers that events of orgs committed.
func committed(orgs []uuid.UUID) {
	if len(orgs) == 0 {
		return
	}
	watchers.Lock()
	fs := make([]func([]uuid.UUID), 0, len(watchers.fs))
	for _, f := range watchers.fs {
		fs = append(fs, f)
	}
	watchers.Unlock()
	for _, f := range fs {
		f(orgs)
	}
}
