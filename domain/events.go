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
	"reflect"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/acme/directory/access"
	"github.com/acme/directory/ent"
	"github.com/acme/directory/ent/directory"
	"github.com/acme/directory/ent/grouprole"
	"github.com/acme/directory/ent/membership"
	"github.com/acme/directory/ent/user"
	"github.com/acme/directory/roles"
)

// The event types: the catalogue (README, "Events").
const (
	EventDirectoryCreated      = "directory.created"
	EventDirectoryEnabled      = "directory.enabled"
	EventDirectoryDisabled     = "directory.disabled"
	EventDirectoryDeleted      = "directory.deleted"
	EventDirectoryTokenRotated = "directory.token_rotated"
	EventDirectoryTokenRevoked = "directory.token_revoked"
	EventUserCreated           = "user.created"
	EventUserUpdated           = "user.updated"
	EventUserDeactivated       = "user.deactivated"
	EventUserReactivated       = "user.reactivated"
	EventUserDeleted           = "user.deleted"
	EventUserRolesChanged      = "user.roles_changed"
	EventGroupCreated          = "group.created"
	EventGroupUpdated          = "group.updated"
	EventGroupDeleted          = "group.deleted"
	EventGroupUserAdded        = "group.user_added"
	EventGroupUserRemoved      = "group.user_removed"
	EventGroupRolesChanged     = "group.roles_changed"
	EventRoleCreated           = "role.created"
	EventRoleUpdated           = "role.updated"
	EventRoleDeleted           = "role.deleted"
)

// EventTypes is the catalogue, in display order.
var EventTypes = []string{
	EventDirectoryCreated, EventDirectoryEnabled, EventDirectoryDisabled, EventDirectoryDeleted,
	EventDirectoryTokenRotated, EventDirectoryTokenRevoked,
	EventUserCreated, EventUserUpdated, EventUserDeactivated, EventUserReactivated, EventUserDeleted,
	EventUserRolesChanged,
	EventGroupCreated, EventGroupUpdated, EventGroupDeleted, EventGroupUserAdded, EventGroupUserRemoved,
	EventGroupRolesChanged,
	EventRoleCreated, EventRoleUpdated, EventRoleDeleted,
}

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

// change is one event to record.
type change struct {
	typ      string
	org      uuid.UUID
	dir      *uuid.UUID
	subject  uuid.UUID
	data     map[string]any
	previous map[string]any
}

// record inserts events through tx, the transaction of the change, in
// chunked bulk inserts. The actor is the viewer's credential.
func record(ctx context.Context, tx *ent.Client, changes ...change) error {
	if outboxOff(ctx) {
		return nil
	}
	actorType, actorID := actor(ctx)
	now := time.Now()
	for chunk := range slices.Chunk(changes, eventChunk) {
		rows := make([]*ent.EventCreate, len(chunk))
		for i, c := range chunk {
			rows[i] = tx.Event.Create().SetType(c.typ).SetOrganizationID(c.org).
				SetNillableDirectoryID(c.dir).SetSubjectID(c.subject).
				SetActorType(actorType).SetNillableActorID(actorID).
				SetData(c.data).SetCreatedAt(now)
			if c.previous != nil {
				rows[i].SetPrevious(c.previous)
			}
		}
		if err := tx.Event.CreateBulk(rows...).Exec(ctx); err != nil {
			return fmt.Errorf("record %d events: %w", len(rows), err)
		}
	}
	return announce(ctx, tx, changes)
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

// The data of an event: its subject as the GraphQL API shows it, keyed by
// GraphQL field name. Columns GraphQL does not show are left out.

func userData(u *ent.User) map[string]any {
	return entityData(u, "user_name_key", "raw")
}

func groupData(g *ent.Group) map[string]any {
	return entityData(g, "display_name_key", "raw")
}

// directoryData leaves out the maintained totals, which GraphQL shows as
// userCount and groupCount and which move with every user or group.
func directoryData(d *ent.Directory) map[string]any {
	return entityData(d, directory.FieldUserTotal, directory.FieldGroupTotal)
}

func roleData(r *ent.Role) map[string]any { return entityData(r) }

func tokenData(t *ent.DirectoryToken) map[string]any { return entityData(t) }

// entityData is the stored fields of an ent entity (by their json tags),
// but drop, with GraphQL's camel-case names.
func entityData(e any, drop ...string) map[string]any {
	v := reflect.ValueOf(e).Elem()
	t := v.Type()
	out := make(map[string]any, t.NumField())
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if !f.IsExported() || name == "" || name == "-" || name == "edges" || slices.Contains(drop, name) {
			continue
		}
		fv := v.Field(i)
		if fv.Kind() == reflect.Pointer {
			if fv.IsNil() {
				out[camel(name)] = nil
				continue
			}
			fv = fv.Elem()
		}
		out[camel(name)] = fv.Interface()
	}
	return out
}

// camel turns an ent field name into entgql's GraphQL name:
// organization_id -> organizationID, profile_url -> profileURL.
func camel(name string) string {
	parts := strings.Split(name, "_")
	for i, p := range parts {
		switch {
		case i == 0:
		case p == "id" || p == "url":
			parts[i] = strings.ToUpper(p)
		default:
			parts[i] = strings.ToUpper(p[:1]) + p[1:]
		}
	}
	return strings.Join(parts, "")
}

// unchanging are the fields every update moves; they are not "changed
// fields" of an update event.
var unchanging = []string{"updatedAt", "version"}

// previousOf is the before-values of the fields whose values differ
// between before and after (compared as JSON), but ignore and the
// bookkeeping fields; nil when none do.
func previousOf(before, after map[string]any, ignore ...string) map[string]any {
	var prev map[string]any
	for k, b := range before {
		if slices.Contains(unchanging, k) || slices.Contains(ignore, k) || jsonEqual(b, after[k]) {
			continue
		}
		if prev == nil {
			prev = map[string]any{}
		}
		prev[k] = b
	}
	return prev
}

// jsonEqual compares two values as they would be stored.
func jsonEqual(a, b any) bool {
	x, errA := json.Marshal(a)
	y, errB := json.Marshal(b)
	return errA == nil && errB == nil && bytes.Equal(x, y)
}

// The events of each kind of subject.

func userEvent(typ string, u *ent.User, data map[string]any, previous map[string]any) change {
	if data == nil {
		data = userData(u)
	}
	dir := u.DirectoryID
	return change{typ: typ, org: u.OrganizationID, dir: &dir, subject: u.ID, data: data, previous: previous}
}

func groupEvent(typ string, g *ent.Group, data, previous map[string]any) change {
	if data == nil {
		data = groupData(g)
	}
	dir := g.DirectoryID
	return change{typ: typ, org: g.OrganizationID, dir: &dir, subject: g.ID, data: data, previous: previous}
}

func directoryEvent(typ string, d *ent.Directory, data map[string]any) change {
	if data == nil {
		data = directoryData(d)
	}
	dir := d.ID
	return change{typ: typ, org: d.OrganizationID, dir: &dir, subject: d.ID, data: data}
}

func roleEvent(typ string, r *ent.Role, previous map[string]any) change {
	return change{typ: typ, org: r.OrganizationID, subject: r.ID, data: roleData(r), previous: previous}
}

// tokenEvent is directory.token_rotated or _revoked: the directory, with
// the token (its id, prefix and times; never its secret).
func tokenEvent(typ string, d *ent.Directory, t *ent.DirectoryToken) change {
	data := directoryData(d)
	data["token"] = tokenData(t)
	return directoryEvent(typ, d, data)
}

// rolesChanged is user.roles_changed: the user with its effective role
// keys after the change, and previous.roles before it.
func rolesChanged(u *ent.User, before, after []string) change {
	data := userData(u)
	data["roles"] = nonNil(after)
	return userEvent(EventUserRolesChanged, u, data, map[string]any{"roles": nonNil(before)})
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

// userCreated records user.created, with the user's effective roles.
func userCreated(ctx context.Context, tx *ent.Client, u *ent.User) error {
	if outboxOff(ctx) {
		return nil
	}
	eff, err := roles.OfNewUser(ctx, tx, u)
	if err != nil {
		return err
	}
	data := userData(u)
	data["roles"] = nonNil(keysOf(eff))
	return record(ctx, tx, userEvent(EventUserCreated, u, data, nil))
}

// userChanged records the events of an update of a user from before to
// after: user.updated with the previous values of the fields that changed
// (active aside), user.deactivated or user.reactivated, and, when that
// moves the user's effective roles, user.roles_changed.
func userChanged(ctx context.Context, tx *ent.Client, before, after *ent.User) error {
	if outboxOff(ctx) {
		return nil
	}
	var evs []change
	if prev := previousOf(userData(before), userData(after), "active"); prev != nil {
		evs = append(evs, userEvent(EventUserUpdated, after, nil, prev))
	}
	if before.Active != after.Active {
		typ := EventUserDeactivated
		if after.Active {
			typ = EventUserReactivated
		}
		evs = append(evs, userEvent(typ, after, nil, nil))
		// Only active users have roles: the roles of the user that is
		// active (before or after) are what moved.
		active := before
		if after.Active {
			active = after
		}
		eff, err := roles.Effective(ctx, tx, []*ent.User{active})
		if err != nil {
			return err
		}
		if keys := keysOf(eff[active.ID]); len(keys) > 0 {
			from, to := keys, []string(nil)
			if after.Active {
				from, to = nil, keys
			}
			evs = append(evs, rolesChanged(after, from, to))
		}
	}
	return record(ctx, tx, evs...)
}

// userDeleted records user.deleted and group.user_removed for each group
// the user was in; call it before the delete.
func userDeleted(ctx context.Context, tx *ent.Client, u *ent.User) error {
	gs, err := tx.Membership.Query().Where(membership.UserID(u.ID)).QueryGroup().All(ctx)
	if err != nil {
		return fmt.Errorf("groups of deleted user: %w", err)
	}
	evs := []change{userEvent(EventUserDeleted, u, nil, nil)}
	for _, g := range gs {
		evs = append(evs, memberEvent(EventGroupUserRemoved, g, u))
	}
	return record(ctx, tx, evs...)
}

// memberEvent is group.user_added or group.user_removed: its subject is
// the group; data holds the group and the user.
func memberEvent(typ string, g *ent.Group, u *ent.User) change {
	return groupEvent(typ, g, map[string]any{"group": groupData(g), "user": userSummary(u)}, nil)
}

// userSummary is the fields that name a user, for events about another
// subject (a membership's group): set-based changes write many of them.
func userSummary(u *ent.User) map[string]any {
	return map[string]any{"id": u.ID, "userName": u.UserName, "externalID": u.ExternalID,
		"displayName": u.DisplayName, "primaryEmail": u.PrimaryEmail, "active": u.Active}
}

// groupChanged records group.updated when a field of the group changed.
func groupChanged(ctx context.Context, tx *ent.Client, before, after *ent.Group) error {
	prev := previousOf(groupData(before), groupData(after))
	if prev == nil {
		return nil
	}
	return record(ctx, tx, groupEvent(EventGroupUpdated, after, nil, prev))
}

// roleWatch holds users' effective role keys before a change, to record
// user.roles_changed for those whose keys differ after it.
type roleWatch struct {
	ids    []uuid.UUID
	before map[uuid.UUID][]string
}

// watchRoles reads the effective roles of the users ids (once each) before
// a change: per roleChunk users, one read of the users and roles.Effective.
func watchRoles(ctx context.Context, tx *ent.Client, ids []uuid.UUID) (*roleWatch, error) {
	w := &roleWatch{ids: distinct(ids), before: map[uuid.UUID][]string{}}
	for chunk := range slices.Chunk(w.ids, roleChunk) {
		us, err := tx.User.Query().Where(user.IDIn(chunk...)).
			Select(user.FieldID, user.FieldOrganizationID, user.FieldActive).All(ctx)
		if err != nil {
			return nil, fmt.Errorf("users before the change: %w", err)
		}
		eff, err := roles.Effective(ctx, tx, us)
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
func watchOrganization(ctx context.Context, tx *ent.Client, org uuid.UUID) (*roleWatch, error) {
	ids, err := tx.User.Query().Where(user.OrganizationID(org)).IDs(ctx)
	if err != nil {
		return nil, fmt.Errorf("users of the organization: %w", err)
	}
	return watchRoles(ctx, tx, ids)
}

// watchMembers watches the members of groups.
func watchMembers(ctx context.Context, tx *ent.Client, groups ...uuid.UUID) (*roleWatch, error) {
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
func (w *roleWatch) record(ctx context.Context, tx *ent.Client) error {
	if w == nil {
		return nil
	}
	for chunk := range slices.Chunk(w.ids, roleChunk) {
		us, err := tx.User.Query().Where(user.IDIn(chunk...)).All(ctx)
		if err != nil {
			return fmt.Errorf("users after the change: %w", err)
		}
		eff, err := roles.Effective(ctx, tx, us)
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

// memberWatch holds a group's members among the users a member change
// names (or all of them, for a replace) before the change.
type memberWatch struct {
	g      *ent.Group
	all    bool
	ids    []uuid.UUID
	before map[uuid.UUID]bool
	roles  *roleWatch // nil when the group maps no role
}

// watchGroupMembers reads what a member change may move: the memberships
// among the users it names, and, when the group maps a role, their
// effective roles.
func watchGroupMembers(ctx context.Context, tx *ent.Client, g *ent.Group, changes []MemberChange) (*memberWatch, error) {
	w := &memberWatch{g: g}
	for _, ch := range changes {
		w.all = w.all || ch.Op == ReplaceMembers
		w.ids = append(w.ids, ch.IDs...)
	}
	w.ids = distinct(w.ids)
	var err error
	if w.before, err = w.members(ctx, tx); err != nil {
		return nil, err
	}
	mapped, err := tx.GroupRole.Query().Where(grouprole.GroupID(g.ID)).Exist(ctx)
	if err != nil {
		return nil, fmt.Errorf("roles of group: %w", err)
	}
	if mapped {
		cand := slices.Clone(w.ids)
		for id := range w.before {
			cand = append(cand, id)
		}
		if w.roles, err = watchRoles(ctx, tx, cand); err != nil {
			return nil, err
		}
	}
	return w, nil
}

// members is the group's members among the watched users.
func (w *memberWatch) members(ctx context.Context, tx *ent.Client) (map[uuid.UUID]bool, error) {
	out := map[uuid.UUID]bool{}
	add := func(q *ent.MembershipQuery) error {
		ms, err := q.Select(membership.FieldUserID).All(ctx)
		if err != nil {
			return fmt.Errorf("members of group: %w", err)
		}
		for _, m := range ms {
			out[m.UserID] = true
		}
		return nil
	}
	if w.all {
		return out, add(tx.Membership.Query().Where(membership.GroupID(w.g.ID)))
	}
	for chunk := range slices.Chunk(w.ids, roleChunk) {
		if err := add(tx.Membership.Query().Where(membership.GroupID(w.g.ID), membership.UserIDIn(chunk...))); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// record records group.user_added and group.user_removed for the
// memberships the change made and ended, and user.roles_changed for those
// of their users whose effective roles moved.
func (w *memberWatch) record(ctx context.Context, tx *ent.Client) error {
	after, err := w.members(ctx, tx)
	if err != nil {
		return err
	}
	var moved []uuid.UUID
	added := map[uuid.UUID]bool{}
	for id := range w.before {
		if !after[id] {
			moved = append(moved, id)
		}
	}
	for id := range after {
		if !w.before[id] {
			added[id] = true
			moved = append(moved, id)
		}
	}
	slices.SortFunc(moved, func(a, b uuid.UUID) int { return bytes.Compare(a[:], b[:]) })
	for chunk := range slices.Chunk(moved, roleChunk) {
		us, err := tx.User.Query().Where(user.IDIn(chunk...)).All(ctx)
		if err != nil {
			return fmt.Errorf("moved members: %w", err)
		}
		evs := make([]change, 0, len(us))
		for _, u := range us {
			typ := EventGroupUserRemoved
			if added[u.ID] {
				typ = EventGroupUserAdded
			}
			evs = append(evs, memberEvent(typ, w.g, u))
		}
		if w.roles != nil {
			eff, err := roles.Effective(ctx, tx, us)
			if err != nil {
				return err
			}
			for _, u := range us {
				before, after := w.roles.before[u.ID], keysOf(eff[u.ID])
				if !slices.Equal(before, after) {
					evs = append(evs, rolesChanged(u, before, after))
				}
			}
		}
		if err := record(ctx, tx, evs...); err != nil {
			return err
		}
	}
	return nil
}

// groupRoleKeys is the keys of the roles mapped to a group, by key.
func groupRoleKeys(ctx context.Context, tx *ent.Client, g uuid.UUID) ([]string, error) {
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
// broker) are woken when a transaction that recorded some commits. On
// PostgreSQL the transaction itself sends NOTIFY on NotifyChannel, once per
// organization, which the database delivers to every server on commit
// (and never when it rolls back); in this process, WatchCommits observers
// are called after the commit. A wake-up carries no event: readers re-read
// from their own cursor through package events, so a lost one only delays.

// NotifyChannel is the PostgreSQL channel on which a transaction that
// records events of an organization notifies, with the organization's id
// as payload.
const NotifyChannel = "directory_events"

// NotifyCredentials is the payload a transaction sends on NotifyChannel
// when it changes what a credential decides (a credential, a directory or
// an organization written): every server then drops its cached
// credentials at once (package auth writes it, package broker hears it).
const NotifyCredentials = "credentials"

// txNote is what a transaction has announced so far.
type txNote struct {
	postgres bool
	mu       sync.Mutex
	orgs     []uuid.UUID
}

// notes holds the note of each open transaction opened or joined by an
// operation, by the transaction's client (ent.Tx.Client returns the same
// client every time); its commit or rollback removes it.
var notes sync.Map // *ent.Client -> *txNote

// announcing is tx's client, noted so that the events recorded through it
// are announced (inTx passes it to each operation).
func (s *Service) announcing(tx *ent.Tx) *ent.Client {
	c := tx.Client()
	if _, loaded := notes.LoadOrStore(c, &txNote{postgres: s.rowLocks}); loaded {
		return c
	}
	tx.OnCommit(func(next ent.Committer) ent.Committer {
		return ent.CommitFunc(func(ctx context.Context, t *ent.Tx) error {
			err := next.Commit(ctx, t)
			if n, ok := notes.LoadAndDelete(c); ok && err == nil {
				committed(n.(*txNote).orgs)
			}
			return err
		})
	})
	tx.OnRollback(func(next ent.Rollbacker) ent.Rollbacker {
		return ent.RollbackFunc(func(ctx context.Context, t *ent.Tx) error {
			notes.Delete(c)
			return next.Rollback(ctx, t)
		})
	})
	return c
}

// announce notes the organizations of changes in tx's note and, on
// PostgreSQL, notifies each one not notified yet in this transaction
// (delivered on commit). A transaction not opened through an operation has
// no note and announces nothing: its readers find its events by polling.
func announce(ctx context.Context, tx *ent.Client, changes []change) error {
	v, ok := notes.Load(tx)
	if !ok {
		return nil
	}
	n := v.(*txNote)
	n.mu.Lock()
	defer n.mu.Unlock()
	for _, c := range changes {
		if slices.Contains(n.orgs, c.org) {
			continue
		}
		if n.postgres {
			if _, err := tx.ExecContext(ctx, "SELECT pg_notify($1, $2)", NotifyChannel, c.org.String()); err != nil {
				return fmt.Errorf("notify events of organization %s: %w", c.org, err)
			}
		}
		n.orgs = append(n.orgs, c.org)
	}
	return nil
}

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
