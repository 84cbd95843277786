package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/acme/directory/access"
	"github.com/acme/directory/ent/event"
	"github.com/acme/directory/events"
	"github.com/acme/directory/pgtest"
	"github.com/acme/directory/store"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// TestBareWrite: the bare write handler inserts a user and its
// user.created event that the server reads back through ent like its own
// rows (same id tag, folded key, time format), and the users trigger
// counts the user in its directory.
func TestBareWrite(t *testing.T) {
	for _, db := range []string{"sqlite", "postgres"} {
		t.Run(db, func(t *testing.T) {
			ctx := context.Background()
			var dbURL, dataDir string
			if db == "postgres" {
				dbURL = pgtest.New(t)
			} else {
				dataDir = t.TempDir()
			}
			st, err := store.Open(ctx, dbURL, dataDir)
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			f, err := seed(ctx, st, 1, nil)
			if err != nil {
				t.Fatal(err)
			}
			raw, err := openRaw(dbURL, dataDir)
			if err != nil {
				t.Fatal(err)
			}
			defer raw.Close()
			srv, bareURL, err := serveBare(raw, db == "postgres")
			if err != nil {
				t.Fatal(err)
			}
			defer srv.Close()

			before := time.Now()
			body, _ := json.Marshal(map[string]any{"userName": "Bare-1@Bench.Example", "givenName": "Bare", "familyName": "User"})
			res, err := http.Post(fmt.Sprintf("%s/organizations/%s/directories/%s/users", bareURL, f.orgID, f.dirID),
				"application/json", bytes.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			var out struct{ ID uuid.UUID }
			err = json.NewDecoder(res.Body).Decode(&out)
			res.Body.Close()
			if res.StatusCode != http.StatusCreated || err != nil {
				t.Fatalf("POST: %d, %v", res.StatusCode, err)
			}

			pctx := access.PlatformContext(ctx)
			u, err := st.Client.User.Get(pctx, out.ID)
			if err != nil {
				t.Fatalf("the written user through ent: %v", err)
			}
			if u.UserName != "Bare-1@Bench.Example" || u.UserNameKey != "bare-1@bench.example" || !u.Active ||
				u.Version != 1 || u.DirectoryID != f.dirID || u.OrganizationID != f.orgID || u.GivenName != "Bare" {
				t.Errorf("user = %+v", u)
			}
			if u.CreatedAt.Before(before.Add(-time.Second)) || u.CreatedAt.After(time.Now().Add(time.Second)) {
				t.Errorf("created_at = %s; want about %s", u.CreatedAt, before)
			}
			evs, err := st.Client.Event.Query().Where(event.SubjectID(out.ID)).All(pctx)
			if err != nil {
				t.Fatal(err)
			}
			if len(evs) != 1 || evs[0].Type != events.TypeUserCreated || evs[0].Data["userName"] != u.UserName ||
				evs[0].DirectoryID == nil || *evs[0].DirectoryID != f.dirID || evs[0].OrganizationID != f.orgID {
				t.Fatalf("events of the user = %+v", evs)
			}
			d, err := st.Client.Directory.Get(pctx, f.dirID)
			if err != nil {
				t.Fatal(err)
			}
			if d.UserTotal != 2 {
				t.Errorf("user_total = %d; want 2 (the seeded user and the bare one)", d.UserTotal)
			}
			if db == "sqlite" {
				// SQLite keeps times as text: the bare row's must have the
				// form of the seeded (ent-written) row's, or ordering breaks.
				form := regexp.MustCompile(`^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d+)?\+00:00$`)
				for _, id := range []uuid.UUID{f.userIDs[0], out.ID} {
					var created string
					if err := raw.QueryRowContext(ctx, `SELECT CAST(created_at AS TEXT) FROM users WHERE id = ?`, id).Scan(&created); err != nil {
						t.Fatal(err)
					}
					if !form.MatchString(created) {
						t.Errorf("user %s: created_at %q is not UTC text of the store's form", id, created)
					}
				}
			}

			// A second request with the same userName conflicts: no silent
			// upsert, and nothing half-written on SQLite.
			res, err = http.Post(fmt.Sprintf("%s/organizations/%s/directories/%s/users", bareURL, f.orgID, f.dirID),
				"application/json", bytes.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode != http.StatusInternalServerError {
				t.Errorf("duplicate userName: %d; want 500", res.StatusCode)
			}
			var n int
			if err := raw.QueryRowContext(ctx, `SELECT count(*) FROM events WHERE type = 'user.created'`).Scan(&n); err != nil {
				t.Fatal(err)
			}
			if n != 1 {
				t.Errorf("user.created events = %d; want 1", n)
			}
		})
	}
}

// TestRawSeed: the million-user fixture's raw inserts write users and
// memberships that the server reads through ent like its own (ids, folded
// keys, times), and the directory's user total follows them.
func TestRawSeed(t *testing.T) {
	for _, db := range []string{"sqlite", "postgres"} {
		t.Run(db, func(t *testing.T) {
			ctx := context.Background()
			var dbURL, dataDir string
			if db == "postgres" {
				dbURL = pgtest.New(t)
			} else {
				dataDir = t.TempDir()
			}
			st, err := store.Open(ctx, dbURL, dataDir)
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			raw, err := openRaw(dbURL, dataDir)
			if err != nil {
				t.Fatal(err)
			}
			defer raw.Close()
			f, err := seed(ctx, st, 1203, raw)
			if err != nil {
				t.Fatal(err)
			}
			pctx := access.PlatformContext(ctx)
			d := st.Client.Directory.GetX(pctx, f.dirID)
			if d.UserTotal != 1203 {
				t.Errorf("user_total %d; want 1203", d.UserTotal)
			}
			u := st.Client.User.GetX(pctx, f.userIDs[1202])
			if u.UserName != f.userNames[1202] || u.UserNameKey != u.UserName || !u.Active || u.CreatedAt.IsZero() || u.Version != 1 {
				t.Errorf("user as read: %+v", u)
			}
			g := st.Client.Group.GetX(pctx, f.group1000)
			if n := g.QueryMemberships().CountX(pctx); n != 1000 {
				t.Errorf("the 1,000-member group has %d members", n)
			}
		})
	}
}
