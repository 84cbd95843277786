package domain_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
	"github.com/google/uuid"

	"github.com/acme/directory/domain"
	"github.com/acme/directory/ent"
	"github.com/acme/directory/ent/event"
	"github.com/acme/directory/ent/group"
	"github.com/acme/directory/ent/membership"
	"github.com/acme/directory/events"
	"github.com/acme/directory/store"
	"github.com/acme/directory/store/storetest"
)

// txCounter is a driver that counts the transactions begun through it.
type txCounter struct {
	dialect.Driver
	n atomic.Int64
}

func (d *txCounter) Tx(ctx context.Context) (dialect.Tx, error) {
	d.n.Add(1)
	return d.Driver.Tx(ctx)
}

// TestGroupCommit: 32 member PATCHes of one group sent at once share
// transactions, and each keeps its own result: its own version, its own
// events (showing the group at that version), its own If-Match failure.
func TestGroupCommit(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		tn := newTenant(t, s, "Acme")
		counter := &txCounter{Driver: entsql.OpenDB(s.Dialect, s.DB)}
		svc := domain.New(ent.NewClient(ent.Driver(counter)), s.Dialect)
		const n = 32
		var users []uuid.UUID
		for i := range n {
			u, _, err := tn.svc.ProvisionUser(tn.provider, tn.dir.ID, userFields("u"+string(rune('a'+i))+"@acme.test", "", true))
			if err != nil {
				t.Fatal(err)
			}
			users = append(users, u.ID)
		}
		g, err := tn.svc.CreateGroup(tn.provider, tn.dir.ID, domain.GroupFields{group.FieldDisplayName: "Engineering"}, nil)
		if err != nil {
			t.Fatal(err)
		}
		role, err := tn.svc.CreateRole(tn.admin, domain.NewRole{OrganizationID: tn.org.ID, Key: "eng", Name: "Eng"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tn.svc.SetGroupRoles(tn.admin, g.ID, []uuid.UUID{role.ID}); err != nil {
			t.Fatal(err)
		}
		counter.n.Store(0)

		stale := errors.New("stale If-Match")
		versionOf := make([]int, n)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range n + 1 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				var guard domain.Guard
				add := []uuid.UUID{users[i%n]}
				if i == n { // a stale If-Match: fails alone
					guard = func(int) error { return stale }
				}
				got, err := svc.UpdateGroup(tn.provider, tn.dir.ID, g.ID, guard,
					func(cur *ent.Group) (domain.GroupFields, []domain.MemberChange, error) {
						return domain.GroupFields{group.FieldDisplayName: cur.DisplayName},
							[]domain.MemberChange{{Op: domain.AddMembers, IDs: add}}, nil
					})
				switch {
				case i == n:
					if !errors.Is(err, stale) {
						t.Errorf("stale update: %v; want its own error", err)
					}
				case err != nil:
					t.Errorf("update %d: %v", i, err)
				default:
					versionOf[i] = got.Version
				}
			}()
		}
		close(start)
		wg.Wait()

		txs := counter.n.Load()
		t.Logf("%d updates in %d transactions", n+1, txs)
		if txs >= n {
			t.Errorf("%d updates took %d transactions: none shared one", n+1, txs)
		}
		sorted := slices.Sorted(slices.Values(versionOf))
		for i, v := range sorted {
			if v != g.Version+1+i {
				t.Fatalf("versions %v; want each of %d..%d once", sorted, g.Version+1, g.Version+n)
			}
		}
		members, err := s.Client.Membership.Query().Where(membership.GroupID(g.ID)).Count(tn.platform)
		if err != nil || members != n {
			t.Fatalf("%d members (%v); want %d", members, err, n)
		}
		evs, err := s.Client.Event.Query().Where(event.OrganizationID(tn.org.ID),
			event.TypeIn(events.TypeGroupUserAdded, events.TypeUserRolesChanged)).Order(event.ByID()).All(tn.platform)
		if err != nil {
			t.Fatal(err)
		}
		added, changed, last := map[string]float64{}, 0, 0.0
		for _, e := range evs {
			if e.Type == events.TypeUserRolesChanged {
				changed++
				continue
			}
			u := e.Data["user"].(map[string]any)["id"].(string)
			v := e.Data["group"].(map[string]any)["version"].(float64)
			if v < last {
				t.Errorf("group.user_added of version %v after one of %v", v, last)
			}
			added[u], last = v, v
		}
		for i := range n {
			if added[users[i].String()] != float64(versionOf[i]) {
				t.Errorf("user %d: added at version %v; its update returned %d", i, added[users[i].String()], versionOf[i])
			}
		}
		if changed != n {
			t.Errorf("%d user.roles_changed; want %d", changed, n)
		}

		// Removing no one removes no one (not "everyone").
		if _, err := svc.UpdateGroup(tn.provider, tn.dir.ID, g.ID, nil,
			func(cur *ent.Group) (domain.GroupFields, []domain.MemberChange, error) {
				return domain.GroupFields{group.FieldDisplayName: cur.DisplayName},
					[]domain.MemberChange{{Op: domain.RemoveMembers}}, nil
			}); err != nil {
			t.Fatal(err)
		}
		if left, err := s.Client.Membership.Query().Where(membership.GroupID(g.ID)).Count(tn.platform); err != nil || left != n {
			t.Fatalf("after removing no one: %d members (%v); want %d", left, err, n)
		}
	})
}

// TestProvisionGroupCommit: users provisioned at once into one directory
// share transactions; a userName named twice, or one that exists, is taken
// over as it would be alone; totals and events follow.
func TestProvisionGroupCommit(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		tn := newTenant(t, s, "Acme")
		counter := &txCounter{Driver: entsql.OpenDB(s.Dialect, s.DB)}
		svc := domain.New(ent.NewClient(ent.Driver(counter)), s.Dialect)
		if _, _, err := tn.svc.ProvisionUser(tn.provider, tn.dir.ID, userFields("old@acme.test", "x-old", false)); err != nil {
			t.Fatal(err)
		}
		counter.n.Store(0)
		type req struct {
			name, externalID string
		}
		var reqs []req
		for i := range 24 {
			reqs = append(reqs, req{name: fmt.Sprintf("u%02d@acme.test", i), externalID: fmt.Sprintf("x-%02d", i)})
		}
		reqs = append(reqs, req{"dup@acme.test", "x-dup"}, req{"DUP@acme.test", "x-dup"}, req{"old@acme.test", "x-old"})
		created := make([]bool, len(reqs))
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i, r := range reqs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				u, c, err := svc.ProvisionUser(tn.provider, tn.dir.ID, userFields(r.name, r.externalID, true))
				if err != nil || !u.Active {
					t.Errorf("provision %s: %v, %v", r.name, u, err)
					return
				}
				created[i] = c
			}()
		}
		close(start)
		wg.Wait()
		txs := counter.n.Load()
		t.Logf("%d provisionings in %d transactions", len(reqs), txs)
		if txs >= int64(len(reqs)) {
			t.Errorf("%d provisionings took %d transactions: none shared one", len(reqs), txs)
		}
		n := 0
		for _, c := range created {
			if c {
				n++
			}
		}
		if n != 25 || created[len(reqs)-1] {
			t.Errorf("%d created (%v); want 25, and old@ taken over", n, created)
		}
		d, err := s.Client.Directory.Get(tn.platform, tn.dir.ID)
		if err != nil || d.UserTotal != 26 {
			t.Fatalf("user_total %d (%v); want 26", d.UserTotal, err)
		}
		evs, err := s.Client.Event.Query().Where(event.OrganizationID(tn.org.ID), event.Type(events.TypeUserCreated)).Count(tn.platform)
		if err != nil || evs != 26 {
			t.Fatalf("%d user.created (%v); want 26", evs, err)
		}
	})
}
