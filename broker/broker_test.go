package broker_test

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/lib/pq"

	"github.com/acme/directory/access"
	"github.com/acme/directory/broker"
	"github.com/acme/directory/domain"
	"github.com/acme/directory/ent"
	"github.com/acme/directory/events"
	"github.com/acme/directory/pgtest"
	"github.com/acme/directory/store"
	"github.com/acme/directory/store/storetest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// woken reports whether ch holds a wake-up.
func woken(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

func TestWake(t *testing.T) {
	b := broker.New(&store.Store{Dialect: "sqlite3"}, broker.Config{})
	a, other := uuid.New(), uuid.New()
	wa, cancelA := b.Subscribe(a)
	wo, cancelO := b.Subscribe(other)
	defer cancelO()
	b.Wake(a)
	b.Wake(a) // folds into the pending one
	if !woken(wa) || woken(wa) || woken(wo) {
		t.Fatal("Wake(a) must wake a's reader once and no other")
	}
	b.WakeAll()
	if !woken(wa) || !woken(wo) {
		t.Fatal("WakeAll must wake every reader")
	}
	cancelA()
	b.Wake(a)
	if woken(wa) {
		t.Fatal("a cancelled subscription must not be woken")
	}
	var nilBroker *broker.Broker
	if w, cancel := nilBroker.Subscribe(a); w != nil {
		t.Fatal("a nil broker must hand out a channel that never receives")
	} else {
		cancel()
	}
}

// open is a fresh database of the dialect and its PostgreSQL URL.
func open(t *testing.T, dialect string) (*store.Store, string) {
	if dialect == "sqlite" {
		return storetest.Open(t, dialect), ""
	}
	url := pgtest.New(t)
	s, err := store.Open(context.Background(), url, "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, url
}

// TestAnnounce: a transaction that records events announces their
// organizations after it commits (through NOTIFY on PostgreSQL) and not at
// all when it rolls back, also when the operation joins a caller's
// transaction.
func TestAnnounce(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(d, func(t *testing.T) {
			s, url := open(t, d)
			svc := domain.New(s.Client, s.Dialect)
			ctx := access.PlatformContext(context.Background())
			org, err := svc.CreateOrganization(ctx, domain.NewOrganization{Name: "Acme"})
			if err != nil {
				t.Fatal(err)
			}
			var mu sync.Mutex
			var local [][]uuid.UUID
			stop := domain.WatchCommits(func(orgs []uuid.UUID) {
				mu.Lock()
				defer mu.Unlock()
				if slices.Contains(orgs, org.ID) {
					local = append(local, orgs)
				}
			})
			defer stop()
			var notified chan *pq.Notification
			if url != "" {
				l := pq.NewListener(url, time.Second, time.Second, nil)
				defer l.Close()
				if err := l.Listen(domain.NotifyChannel); err != nil {
					t.Fatal(err)
				}
				notified = l.Notify
			}
			expectNotified := func(want bool) {
				t.Helper()
				if notified == nil {
					return
				}
				select {
				case n := <-notified:
					if !want || n == nil || n.Extra != org.ID.String() {
						t.Fatalf("notification %+v, want one: %v", n, want)
					}
				case <-time.After(500 * time.Millisecond):
					if want {
						t.Fatal("no notification")
					}
				}
			}
			// Two operations in a caller's transaction, rolled back.
			for i, commit := range []bool{false, true} {
				// The transaction a GraphQL mutation runs in (entgql's
				// TxOpener is the Service).
				tctx, tx, err := svc.OpenTx(ctx)
				if err != nil {
					t.Fatal(err)
				}
				for j := range 2 {
					key := fmt.Sprintf("r%d-%d", i, j)
					if _, err := svc.CreateRole(tctx, domain.NewRole{OrganizationID: org.ID, Key: key, Name: key}); err != nil {
						t.Fatal(err)
					}
				}
				if commit {
					err = tx.Commit()
				} else {
					err = tx.Rollback()
				}
				if err != nil {
					t.Fatal(err)
				}
				expectNotified(commit)
				mu.Lock()
				n := len(local)
				mu.Unlock()
				if want := i; n != want {
					t.Fatalf("after %d transactions (the first rolled back) the watchers were called %d times", i+1, n)
				}
			}
			// One transaction of its own.
			if _, err := svc.CreateRole(ctx, domain.NewRole{OrganizationID: org.ID, Key: "own", Name: "own"}); err != nil {
				t.Fatal(err)
			}
			expectNotified(true)
			expectNotified(false) // once per transaction
			mu.Lock()
			defer mu.Unlock()
			if len(local) != 2 || !slices.Equal(local[1], []uuid.UUID{org.ID}) {
				t.Fatalf("watchers got %v", local)
			}
		})
	}
}

// TestTailOtherProcess: on SQLite, the writes of another process (here,
// another store on the same file, whose commits the broker ignores) wake
// readers within a few ticks.
func TestTailOtherProcess(t *testing.T) {
	dir := t.TempDir()
	ctx := access.PlatformContext(context.Background())
	s1, err := store.Open(ctx, "", dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s1.Close()
	s2, err := store.Open(ctx, "file:"+filepath.Join(dir, "directory.db"), "")
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	svc2 := domain.New(s2.Client, s2.Dialect)
	org, err := svc2.CreateOrganization(ctx, domain.NewOrganization{Name: "Acme"})
	if err != nil {
		t.Fatal(err)
	}
	b := broker.New(s1, broker.Config{Poll: time.Minute, IgnoreLocalCommits: true})
	rctx, stop := context.WithCancel(ctx)
	defer stop()
	go b.Run(rctx)

	got := make(chan *ent.Event, 10)
	tctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	tailed := make(chan error, 1)
	go func() {
		tailed <- b.Tail(tctx, s1.Client, org.ID, events.Cursor{}, events.Filter{}, func(e *ent.Event) error {
			got <- e
			return nil
		})
	}()
	for i := range 3 {
		key := fmt.Sprintf("r%d", i)
		r, err := svc2.CreateRole(ctx, domain.NewRole{OrganizationID: org.ID, Key: key, Name: key})
		if err != nil {
			t.Fatal(err)
		}
		select {
		case e := <-got:
			if e.SubjectID != r.ID || e.Type != events.TypeRoleCreated {
				t.Fatalf("event %s of %s, want role.created of %s", e.Type, e.SubjectID, r.ID)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("role %d: no event within 5 s (the poll is a minute)", i)
		}
	}
	cancel()
	if err := <-tailed; err != context.Canceled {
		t.Fatalf("Tail returned %v, want context.Canceled", err)
	}
}

// TestFileWatchWakesOnlyItsOrganization: on SQLite, another process's
// write of one organization wakes that organization's readers and no
// other's.
func TestFileWatchWakesOnlyItsOrganization(t *testing.T) {
	dir := t.TempDir()
	ctx := access.PlatformContext(context.Background())
	s1, err := store.Open(ctx, "", dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s1.Close()
	s2, err := store.Open(ctx, "file:"+filepath.Join(dir, "directory.db"), "")
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	svc2 := domain.New(s2.Client, s2.Dialect)
	a, err := svc2.CreateOrganization(ctx, domain.NewOrganization{Name: "A"})
	if err != nil {
		t.Fatal(err)
	}
	other, err := svc2.CreateOrganization(ctx, domain.NewOrganization{Name: "Other"})
	if err != nil {
		t.Fatal(err)
	}
	b := broker.New(s1, broker.Config{Tick: 20 * time.Millisecond, IgnoreLocalCommits: true})
	wa, cancelA := b.Subscribe(a.ID)
	defer cancelA()
	wo, cancelO := b.Subscribe(other.ID)
	defer cancelO()
	rctx, stop := context.WithCancel(ctx)
	defer stop()
	go b.Run(rctx)
	// The first look wakes everyone; let it pass.
	<-wa
	<-wo
	for i := range 3 {
		key := fmt.Sprintf("r%d", i)
		if _, err := svc2.CreateRole(ctx, domain.NewRole{OrganizationID: a.ID, Key: key, Name: key}); err != nil {
			t.Fatal(err)
		}
		select {
		case <-wa:
		case <-time.After(5 * time.Second):
			t.Fatalf("write %d: organization A's reader not woken within 5 s", i)
		}
		if woken(wo) {
			t.Fatalf("write %d of organization A woke another organization's reader", i)
		}
	}
}
