package graph

import (
	"context"
	"testing"
	"time"

	"github.com/acme/directory/access"
	"github.com/acme/directory/domain"
	"github.com/acme/directory/events"
	"github.com/acme/directory/store"
	"github.com/acme/directory/store/storetest"
)

const requestsQuery = `query($id: ID!, $first: Int, $after: Cursor, $failures: Boolean, $userName: String) {
  node(id: $id) { ... on Directory {
    requests(first: $first, after: $after, failuresOnly: $failures, userName: $userName) {
      edges { cursor node { method path status failed scimType detail refusal durationMs effect
        eventCounts { type count } userID userName requestBody responseBody } }
      pageInfo { hasNextPage endCursor }
    }
    syncStatus { state summary lastSuccessAt lastFailureAt lastError }
  } } }`

// requestsPage is requestsQuery's answer.
type requestsPage struct {
	Node *struct {
		Requests struct {
			Edges []struct {
				Cursor string
				Node   struct {
					Method, Path, Effect, UserName, RequestBody string
					Status                                      int
					Failed                                      bool
					ScimType, Detail, Refusal                   *string
					DurationMs                                  float64
					EventCounts                                 []struct {
						Type  string
						Count int
					}
				}
			}
			PageInfo struct {
				HasNextPage bool
				EndCursor   *string
			}
		}
		SyncStatus struct {
			State, Summary               string
			LastSuccessAt, LastFailureAt *time.Time
			LastError                    *string
		}
	}
}

func TestDirectoryRequests(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		a := newAPI(t, s.Client, s.Dialect, Config{})
		svc := domain.New(s.Client, s.Dialect)
		ctx := access.PlatformContext(context.Background())
		org, err := svc.CreateOrganization(ctx, domain.NewOrganization{Name: "Acme"})
		if err != nil {
			t.Fatal(err)
		}
		other, err := svc.CreateOrganization(ctx, domain.NewOrganization{Name: "Globex"})
		if err != nil {
			t.Fatal(err)
		}
		d, err := svc.CreateDirectory(ctx, domain.NewDirectory{OrganizationID: org.ID, Provider: "jumpcloud"})
		if err != nil {
			t.Fatal(err)
		}
		readKey, err := svc.CreateAPIKey(ctx, domain.NewAPIKey{Scope: access.OrgRead, OrganizationID: &org.ID, Name: "read"})
		if err != nil {
			t.Fatal(err)
		}
		otherKey, err := svc.CreateAPIKey(ctx, domain.NewAPIKey{Scope: access.OrgAdmin, OrganizationID: &other.ID, Name: "other"})
		if err != nil {
			t.Fatal(err)
		}

		log := svc.NewRequestLog(domain.RequestLogConfig{})
		at := time.Now().Add(-time.Hour)
		entry := func(method, path string, status int) domain.RequestEntry {
			at = at.Add(time.Minute)
			return domain.RequestEntry{OrganizationID: org.ID, DirectoryID: d.Directory.ID, At: at,
				Method: method, Path: path, Status: status, Duration: 2500 * time.Microsecond}
		}
		created := entry("POST", "/Users", 201)
		created.Changes, created.UserName = map[string]int{events.TypeUserCreated: 1}, "ada@acme.test"
		conflict := entry("POST", "/Users", 409)
		conflict.ScimType, conflict.Detail, conflict.UserName = "uniqueness", "a user with userName ada@acme.test already exists", "ada@acme.test"
		conflict.RequestBody = `{"password":"[REDACTED]","userName":"ada@acme.test"}`
		expired := entry("GET", "/Users", 401)
		expired.Refusal, expired.Detail = domain.RefusalTokenExpired, "this bearer token has expired"
		for _, e := range []domain.RequestEntry{created, entry("GET", "/Users", 200), conflict,
			entry("PATCH", "/Groups/x", 204), expired} {
			log.Add(e)
		}
		if err := log.Flush(context.Background()); err != nil {
			t.Fatal(err)
		}
		dirID := d.Directory.ID.String()

		// Newest first, two at a time, through the cursors.
		var seen []string
		var after any
		for range 5 {
			var p requestsPage
			a.ok(readKey.Key, requestsQuery, map[string]any{"id": dirID, "first": 2, "after": after}, &p)
			for _, e := range p.Node.Requests.Edges {
				seen = append(seen, e.Node.Method+" "+e.Node.Path)
			}
			if !p.Node.Requests.PageInfo.HasNextPage {
				break
			}
			after = *p.Node.Requests.PageInfo.EndCursor
		}
		want := []string{"GET /Users", "PATCH /Groups/x", "POST /Users", "GET /Users", "POST /Users"}
		if len(seen) != len(want) {
			t.Fatalf("paged through %v; want %v", seen, want)
		}
		for i := range want {
			if seen[i] != want[i] {
				t.Fatalf("paged through %v; want %v", seen, want)
			}
		}

		// Failures only, with what the provider was told, and the status.
		var p requestsPage
		a.ok(readKey.Key, requestsQuery, map[string]any{"id": dirID, "failures": true}, &p)
		es := p.Node.Requests.Edges
		if len(es) != 2 || es[0].Node.Status != 401 || *es[0].Node.Refusal != "TOKEN_EXPIRED" ||
			es[1].Node.Status != 409 || *es[1].Node.ScimType != "uniqueness" || es[1].Node.RequestBody == "" || es[1].Node.DurationMs != 2.5 {
			t.Fatalf("failures only: %+v", es)
		}
		st := p.Node.SyncStatus
		if st.State != "FAILING" || st.LastError == nil || *st.LastError != "401 token_expired: this bearer token has expired" ||
			st.Summary != "The last push failed: 401 token_expired: this bearer token has expired." || st.LastSuccessAt == nil {
			t.Fatalf("sync status: %+v", st)
		}

		// By userName, ignoring case; with the effect in words and counts.
		a.ok(readKey.Key, requestsQuery, map[string]any{"id": dirID, "userName": "ADA@acme.test"}, &p)
		es = p.Node.Requests.Edges
		if len(es) != 2 || es[1].Node.Effect != "user created" || len(es[1].Node.EventCounts) != 1 ||
			es[1].Node.EventCounts[0].Type != events.TypeUserCreated || es[1].Node.EventCounts[0].Count != 1 {
			t.Fatalf("by userName: %+v", es)
		}

		// Another organization's key sees no directory, so no log.
		if r := a.fails(otherKey.Key, requestsQuery, map[string]any{"id": dirID}, "NOT_FOUND", ""); string(r.Data) != `{"node":null}` {
			t.Fatalf("another organization read the request log: %s", r.Data)
		}
		// A cursor of another connection is refused, not read.
		var dirs struct {
			Directories struct{ Edges []struct{ Cursor string } }
		}
		a.ok(readKey.Key, `{ directories(first: 1) { edges { cursor } } }`, nil, &dirs)
		a.fails(readKey.Key, requestsQuery, map[string]any{"id": dirID, "after": dirs.Directories.Edges[0].Cursor}, "BAD_USER_INPUT", "after")
		a.fails(readKey.Key, requestsQuery, map[string]any{"id": dirID, "first": -1}, "BAD_USER_INPUT", "first")
	})
}
