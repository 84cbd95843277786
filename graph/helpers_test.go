package graph

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"

	"github.com/google/uuid"

	"github.com/acme/directory/access"
	"github.com/acme/directory/domain"
	"github.com/acme/directory/ent"
	"github.com/acme/directory/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// testPublicURL is the public URL the test handlers are configured with.
const testPublicURL = "https://directory.example"

// api is the GraphQL endpoint over real HTTP, with a platform key.
type api struct {
	t        testing.TB
	client   *ent.Client
	srv      *httptest.Server
	platform string // a platform API key
}

// newAPI serves NewHandler(domain.New(client, dialect), cfg) and makes a
// platform key.
func newAPI(t testing.TB, client *ent.Client, dialect string, cfg Config) *api {
	t.Helper()
	if cfg.PublicURL == "" {
		cfg.PublicURL = testPublicURL
	}
	svc := domain.New(client, dialect, loopbackWebhooks)
	srv := httptest.NewServer(NewHandler(svc, cfg))
	t.Cleanup(srv.Close)
	k, err := svc.CreateAPIKey(access.PlatformContext(context.Background()), domain.NewAPIKey{Scope: access.Platform, Name: "test"})
	if err != nil {
		t.Fatalf("create platform key: %v", err)
	}
	return &api{t: t, client: client, srv: srv, platform: k.Key}
}

// with returns a copy of a reporting to t, for subtests.
func (a *api) with(t testing.TB) *api {
	c := *a
	c.t = t
	return &c
}

// gqlError is one error of a GraphQL response.
type gqlError struct {
	Message    string `json:"message"`
	Path       []any  `json:"path"`
	Extensions struct {
		Code  string `json:"code"`
		Field string `json:"field"`
	} `json:"extensions"`
}

// result is a GraphQL response.
type result struct {
	status int
	Data   json.RawMessage `json:"data"`
	Errors []gqlError      `json:"errors"`
	raw    string
}

// do POSTs a query with key (none when empty) and decodes the response.
func (a *api) do(key, query string, vars map[string]any) result {
	a.t.Helper()
	body, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	if err != nil {
		a.t.Fatalf("encode request: %v", err)
	}
	req, err := http.NewRequest(http.MethodPost, a.srv.URL, bytes.NewReader(body))
	if err != nil {
		a.t.Fatalf("new request: %v", err)
	}
	req.Header.Set("Content-Type", "application/json")
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	return a.send(req)
}

// send sends req and decodes the GraphQL response.
func (a *api) send(req *http.Request) result {
	a.t.Helper()
	res, err := a.srv.Client().Do(req)
	if err != nil {
		a.t.Fatalf("send: %v", err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		a.t.Fatalf("read response: %v", err)
	}
	out := result{status: res.StatusCode, raw: string(raw)}
	if err := json.Unmarshal(raw, &out); err != nil {
		a.t.Fatalf("status %d, response is not JSON: %v\n%s", res.StatusCode, err, raw)
	}
	return out
}

// ok runs a query that must succeed and decodes its data into v.
func (a *api) ok(key, query string, vars map[string]any, v any) {
	a.t.Helper()
	r := a.do(key, query, vars)
	if len(r.Errors) > 0 || r.status != http.StatusOK {
		a.t.Fatalf("status %d, errors: %s\nquery: %s", r.status, r.raw, query)
	}
	if v != nil {
		if err := json.Unmarshal(r.Data, v); err != nil {
			a.t.Fatalf("decode data: %v\n%s", err, r.Data)
		}
	}
}

// fails runs a query that must fail with code (and field, when not
// empty).
func (a *api) fails(key, query string, vars map[string]any, code, field string) result {
	a.t.Helper()
	r := a.do(key, query, vars)
	if len(r.Errors) == 0 {
		a.t.Fatalf("no error; want %s\nresponse: %s", code, r.raw)
	}
	e := r.Errors[0]
	if e.Extensions.Code != code || (field != "" && e.Extensions.Field != field) {
		a.t.Fatalf("error %q code %q field %q; want code %q field %q\nresponse: %s",
			e.Message, e.Extensions.Code, e.Extensions.Field, code, field, r.raw)
	}
	if code == "INTERNAL_SERVER_ERROR" {
		a.t.Fatalf("internal error: %s", r.raw)
	}
	return r
}

// sorted returns a sorted copy of s.
func sorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}

// seeded is what an identity provider would have pushed over SCIM,
// written directly with ent.
type seeded struct {
	users  map[string]*ent.User  // by userName
	groups map[string]*ent.Group // by displayName
}

// seedDirectory creates users and groups in a directory, with members
// given as group -> userNames.
func seedDirectory(t testing.TB, c *ent.Client, dir *ent.Directory, userNames []string, members map[string][]string) seeded {
	t.Helper()
	ctx := domain.Seeding(access.PlatformContext(context.Background())) // a fixture, written directly
	out := seeded{users: map[string]*ent.User{}, groups: map[string]*ent.Group{}}
	for _, name := range userNames {
		u, err := c.User.Create().SetOrganizationID(dir.OrganizationID).SetDirectoryID(dir.ID).
			SetUserName(name).SetPrimaryEmail(name).Save(ctx)
		if err != nil {
			t.Fatalf("seed user %s: %v", name, err)
		}
		out.users[name] = u
	}
	for _, gname := range slices.Sorted(maps.Keys(members)) {
		g, err := c.Group.Create().SetOrganizationID(dir.OrganizationID).SetDirectoryID(dir.ID).
			SetDisplayName(gname).Save(ctx)
		if err != nil {
			t.Fatalf("seed group %s: %v", gname, err)
		}
		out.groups[gname] = g
		for _, un := range members[gname] {
			err := c.Membership.Create().SetOrganizationID(dir.OrganizationID).
				SetGroupID(g.ID).SetUserID(out.users[un].ID).SetDisplay(domain.MemberDisplay(out.users[un])).Exec(ctx)
			if err != nil {
				t.Fatalf("seed membership %s in %s: %v", un, gname, err)
			}
		}
	}
	return out
}

// newOrgKey makes an API key of scope for an organization, directly.
// CreateAPIKey records no event: the client's dialect does not matter here.
func newOrgKey(t testing.TB, c *ent.Client, scope access.Scope, org uuid.UUID) string {
	t.Helper()
	k, err := domain.New(c, "").CreateAPIKey(access.PlatformContext(context.Background()),
		domain.NewAPIKey{Scope: scope, OrganizationID: &org, Name: string(scope)})
	if err != nil {
		t.Fatalf("create %s key: %v", scope, err)
	}
	return k.Key
}
