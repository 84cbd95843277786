package domain_test

import (
	"context"
	"testing"
	"time"

	"github.com/acme/directory/domain"
	"github.com/acme/directory/ent/scimrequest"
	"github.com/acme/directory/events"
	"github.com/acme/directory/store"
	"github.com/acme/directory/store/storetest"
)

// entry is a request log entry of tenant t.
func (t *tenant) entry(method, path string, status int) domain.RequestEntry {
	return domain.RequestEntry{OrganizationID: t.org.ID, DirectoryID: t.dir.ID, At: time.Now(),
		Method: method, Path: path, Status: status, Duration: 1500 * time.Microsecond}
}

func TestRequestLogWritesInBatches(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		a, b := newTenant(t, s, "Acme"), newTenant(t, s, "Globex")
		log := a.svc.NewRequestLog(domain.RequestLogConfig{Batch: 2, Interval: time.Hour})
		created := a.entry("POST", "/Users", 201)
		created.Changes = map[string]int{events.TypeUserCreated: 1}
		created.UserName = "ada@example.com"
		refused := a.entry("POST", "/Users", 409)
		refused.ScimType, refused.Detail = "uniqueness", "userName is taken"
		log.Add(created)
		log.Add(refused)
		log.Add(b.entry("GET", "/Groups", 200))
		if n := a.client.ScimRequest.Query().CountX(a.platform); n != 0 {
			t.Fatalf("%d entries written before a flush; Add must not write", n)
		}
		if err := log.Flush(context.Background()); err != nil {
			t.Fatal(err)
		}
		if log.Written() != 3 || log.Dropped() != 0 {
			t.Fatalf("written %d, dropped %d; want 3, 0", log.Written(), log.Dropped())
		}
		rs, more, err := a.svc.Requests(a.reader, a.dir.ID, domain.RequestFilter{First: 10})
		if err != nil || more || len(rs) != 2 {
			t.Fatalf("Acme's log: %d entries, more %v, %v; want its 2", len(rs), more, err)
		}
		if rs[0].Status != 409 || !rs[0].Failed || *rs[0].ScimType != "uniqueness" || rs[1].Effect == nil ||
			*rs[1].Effect != "user created" || rs[1].Failed || rs[1].DurationUs != 1500 {
			t.Fatalf("entries newest first with their effect: %+v, %+v", rs[0], rs[1])
		}
		// Another organization's viewer reads nothing of Acme's log.
		if rs, _, err := a.svc.Requests(b.admin, a.dir.ID, domain.RequestFilter{First: 10}); err != nil || len(rs) != 0 {
			t.Fatalf("Globex read Acme's log: %d entries, %v", len(rs), err)
		}
		failures, _, _ := a.svc.Requests(a.admin, a.dir.ID, domain.RequestFilter{First: 10, FailuresOnly: true})
		named, _, _ := a.svc.Requests(a.admin, a.dir.ID, domain.RequestFilter{First: 10, UserName: "ADA@example.com"})
		if len(failures) != 1 || failures[0].Status != 409 || len(named) != 1 || named[0].Status != 201 {
			t.Fatalf("failures only: %d; by userName: %d; want 1 and 1", len(failures), len(named))
		}
		// Paging: older than the first page's last.
		page, more, _ := a.svc.Requests(a.admin, a.dir.ID, domain.RequestFilter{First: 1})
		rest, _, _ := a.svc.Requests(a.admin, a.dir.ID, domain.RequestFilter{First: 1, Before: page[0].ID})
		if !more || len(rest) != 1 || rest[0].ID >= page[0].ID {
			t.Fatalf("paging: more %v, next page %d entries", more, len(rest))
		}
	})
}

func TestRequestLogIsBounded(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		a := newTenant(t, s, "Acme")
		log := a.svc.NewRequestLog(domain.RequestLogConfig{Buffer: 2, Interval: time.Hour})
		for range 5 {
			log.Add(a.entry("GET", "/Users", 200))
		}
		if log.Dropped() != 3 {
			t.Fatalf("dropped %d; want the 3 over the buffer", log.Dropped())
		}
		// An entry of a directory deleted meanwhile fails alone.
		gone := newTenant(t, s, "Gone")
		log.Add(gone.entry("GET", "/Users", 200))
		if err := gone.svc.DeleteDirectory(gone.platform, gone.dir.ID); err != nil {
			t.Fatal(err)
		}
		log = a.svc.NewRequestLog(domain.RequestLogConfig{Interval: time.Hour})
		log.Add(a.entry("GET", "/Users", 200))
		log.Add(gone.entry("GET", "/Users", 200))
		log.Add(a.entry("GET", "/Groups", 200))
		if err := log.Flush(context.Background()); err == nil {
			t.Fatalf("no error for an entry of a deleted directory")
		}
		if log.Written() != 2 || log.Dropped() != 1 {
			t.Fatalf("written %d, dropped %d; want 2, 1", log.Written(), log.Dropped())
		}
	})
}

func TestRequestLogRunsAndPrunes(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		a := newTenant(t, s, "Acme")
		log := a.svc.NewRequestLog(domain.RequestLogConfig{Interval: 10 * time.Millisecond})
		ctx, stop := context.WithCancel(a.platform)
		done := make(chan struct{})
		go func() { log.Run(ctx); close(done) }()
		old := a.entry("GET", "/Users", 200)
		old.At = time.Now().Add(-8 * 24 * time.Hour)
		log.Add(old)
		log.Add(a.entry("GET", "/Groups", 200))
		deadline := time.Now().Add(5 * time.Second)
		for log.Written() < 2 && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		log.Add(a.entry("DELETE", "/Users/x", 204)) // written when Run stops
		stop()
		<-done
		if log.Written() != 3 {
			t.Fatalf("written %d; want 3 (the last when Run stopped)", log.Written())
		}
		n, err := a.svc.PruneRequests(a.platform, 0)
		if err != nil || n != 1 {
			t.Fatalf("pruned %d, %v; want the one older than 7 days", n, err)
		}
		if left := a.client.ScimRequest.Query().Where(scimrequest.DirectoryID(a.dir.ID)).CountX(a.platform); left != 2 {
			t.Fatalf("%d entries left; want 2", left)
		}
	})
}

func TestSyncStatus(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		a := newTenant(t, s, "Acme")
		state := func(want domain.SyncState) *domain.SyncStatus {
			t.Helper()
			d := a.client.Directory.GetX(a.platform, a.dir.ID)
			st, err := a.svc.SyncStatus(a.reader, d)
			if err != nil || st.State != want {
				t.Fatalf("state %+v, %v; want %s", st, err, want)
			}
			return st
		}
		state(domain.SyncNeverSynced)
		log := a.svc.NewRequestLog(domain.RequestLogConfig{})
		logged := func(e domain.RequestEntry) {
			log.Add(e)
			if err := log.Flush(context.Background()); err != nil {
				t.Fatal(err)
			}
		}
		logged(a.entry("GET", "/Users", 200))
		if st := state(domain.SyncOK); st.LastSuccessAt == nil || st.LastFailure != nil {
			t.Fatalf("after a success: %+v", st)
		}
		bad := a.entry("POST", "/Users", 400)
		bad.ScimType = "invalidValue"
		logged(bad)
		if st := state(domain.SyncFailing); st.LastFailure == nil || st.LastFailure.Status != 400 {
			t.Fatalf("after a failure: %+v", st)
		}
		logged(a.entry("GET", "/Users", 200))
		state(domain.SyncOK)

		past := time.Now().Add(-time.Minute)
		a.client.DirectoryToken.Update().SetExpiresAt(past).ExecX(domain.Seeding(a.platform))
		state(domain.SyncTokenExpired)
		if _, err := a.svc.SetDirectoryEnabled(a.platform, a.dir.ID, false); err != nil {
			t.Fatal(err)
		}
		state(domain.SyncDisabled)
		if _, err := a.svc.SetDirectoryEnabled(a.platform, a.dir.ID, true); err != nil {
			t.Fatal(err)
		}
		for _, tok := range a.client.DirectoryToken.Query().AllX(a.platform) {
			if tok.DirectoryID == a.dir.ID {
				if err := a.svc.RevokeDirectoryToken(a.platform, tok.ID); err != nil {
					t.Fatal(err)
				}
			}
		}
		state(domain.SyncNoToken)
	})
}

func TestEffectWords(t *testing.T) {
	cases := []struct {
		changes map[string]int
		want    string
	}{
		{nil, ""},
		{map[string]int{events.TypeUserCreated: 1}, "user created"},
		{map[string]int{events.TypeGroupUserAdded: 3}, "3 members added"},
		{map[string]int{events.TypeUserRolesChanged: 2, events.TypeGroupUserRemoved: 1, events.TypeGroupUserAdded: 2},
			"2 members added, member removed, 2 users' roles changed"},
		{map[string]int{events.TypeUserDeactivated: 1, events.TypeUserRolesChanged: 1}, "user deactivated, user's roles changed"},
	}
	for _, c := range cases {
		if got := domain.EffectWords(c.changes); got != c.want {
			t.Errorf("EffectWords(%v) = %q; want %q", c.changes, got, c.want)
		}
	}
}

func TestEffectTalliesTheOperationsEvents(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		a := newTenant(t, s, "Acme")
		ctx, effect := domain.WithEffect(a.provider)
		u, _, err := a.svc.ProvisionUser(ctx, a.dir.ID, userFields("ada@example.com", "1", true))
		if err != nil {
			t.Fatal(err)
		}
		id, name := effect.User()
		if got := effect.Changes(); got[events.TypeUserCreated] != 1 || id == nil || *id != u.ID || name != "ada@example.com" {
			t.Fatalf("tally %v, user %v %q; want user.created of %s", got, id, name, u.ID)
		}
	})
}
