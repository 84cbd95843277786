package scim_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/acme/directory/access"
	"github.com/acme/directory/domain"
	"github.com/acme/directory/ent"
	"github.com/acme/directory/ent/schema/schematype"
	"github.com/acme/directory/pgtest"
	"github.com/acme/directory/scim"
	"github.com/acme/directory/store"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// env is one organization with one directory, served over real HTTP.
type env struct {
	t      testing.TB
	store  *store.Store
	srv    *httptest.Server
	org    *ent.Organization
	dir    *ent.Directory
	token  string
	base   string // the directory's SCIM base URL
	header http.Header
}

func newEnv(t testing.TB, st *store.Store, provider string) *env {
	t.Helper()
	mux := http.NewServeMux()
	mux.Handle("/scim/v2/", scim.NewHandler(st, scim.Options{}))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return newTenant(t, st, srv, provider)
}

// newTenant makes an organization with one directory on st, whose SCIM
// endpoint srv serves.
func newTenant(t testing.TB, st *store.Store, srv *httptest.Server, provider string) *env {
	t.Helper()
	ctx := access.PlatformContext(context.Background())
	svc := domain.New(st.Client, st.Dialect)
	org, err := svc.CreateOrganization(ctx, domain.NewOrganization{Name: "Acme " + provider + " " + uuid.NewString()[:8]})
	if err != nil {
		t.Fatalf("create organization: %v", err)
	}
	d, err := svc.CreateDirectory(ctx, domain.NewDirectory{OrganizationID: org.ID, Provider: schematype.Provider(provider)})
	if err != nil {
		t.Fatalf("create directory: %v", err)
	}
	return &env{t: t, store: st, srv: srv, org: org, dir: d.Directory, token: d.BearerToken,
		base: srv.URL + "/scim/v2/" + d.Directory.ID.String(), header: http.Header{}}
}

// response is a decoded SCIM response.
type response struct {
	status int
	header http.Header
	body   map[string]any
	raw    string
}

// do sends a request with the directory's token; body may be a string of
// JSON or any value to marshal.
func (e *env) do(method, path string, body any) response {
	e.t.Helper()
	req := e.request(e.t, method, path, body)
	res, err := e.srv.Client().Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	out := response{status: res.StatusCode, header: res.Header, raw: string(raw)}
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &out.body); err != nil {
			e.t.Fatalf("%s %s: status %d, body is not a JSON object: %v\n%s", method, path, res.StatusCode, err, raw)
		}
		if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/scim+json") {
			e.t.Errorf("%s %s: Content-Type %q; want application/scim+json", method, path, ct)
		}
	}
	return out
}

// request builds a request with the directory's token and extra headers.
func (e *env) request(tb testing.TB, method, path string, body any) *http.Request {
	tb.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		buf, err := json.Marshal(b)
		if err != nil {
			tb.Fatalf("marshal: %v", err)
		}
		rd = bytes.NewReader(buf)
	}
	req, err := http.NewRequest(method, e.base+path, rd)
	if err != nil {
		tb.Fatalf("request: %v", err)
	}
	req.Header.Set("Authorization", "Bearer "+e.token)
	if rd != nil {
		req.Header.Set("Content-Type", "application/scim+json")
	}
	for k, v := range e.header {
		req.Header[k] = v
	}
	return req
}

// must sends a request and fails the test unless the status is want.
func (e *env) must(want int, method, path string, body any) response {
	e.t.Helper()
	r := e.do(method, path, body)
	if r.status != want {
		e.t.Fatalf("%s %s: status %d; want %d\n%s", method, path, r.status, want, r.raw)
	}
	return r
}

// user reads a user straight from the database.
func (e *env) user(id string) *ent.User {
	e.t.Helper()
	ctx := access.PlatformContext(context.Background())
	for _, u := range e.store.Client.User.Query().AllX(ctx) {
		if u.ID.String() == id {
			return u
		}
	}
	return nil
}

// memberIDs reads a group's members straight from the database.
func (e *env) memberIDs(groupID string) []string {
	e.t.Helper()
	ctx := access.PlatformContext(context.Background())
	var ids []string
	for _, m := range e.store.Client.Membership.Query().AllX(ctx) {
		if m.GroupID.String() == groupID {
			ids = append(ids, m.UserID.String())
		}
	}
	return ids
}

func userBody(userName, given, family string) map[string]any {
	return map[string]any{
		"schemas":  []string{"urn:ietf:params:scim:schemas:core:2.0:User"},
		"userName": userName,
		"name":     map[string]any{"givenName": given, "familyName": family},
		"emails":   []any{map[string]any{"value": userName, "type": "work", "primary": true}},
		"active":   true,
	}
}

func groupBody(name string, members ...string) map[string]any {
	ms := make([]any, len(members))
	for i, m := range members {
		ms[i] = map[string]any{"value": m}
	}
	return map[string]any{
		"schemas":     []string{"urn:ietf:params:scim:schemas:core:2.0:Group"},
		"displayName": name,
		"members":     ms,
	}
}

func patchBody(ops ...map[string]any) map[string]any {
	return map[string]any{
		"schemas":    []string{"urn:ietf:params:scim:api:messages:2.0:PatchOp"},
		"Operations": ops,
	}
}

func op(kind, path string, value any) map[string]any {
	o := map[string]any{"op": kind}
	if path != "" {
		o["path"] = path
	}
	if value != nil {
		o["value"] = value
	}
	return o
}

func sameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	seen := map[string]int{}
	for _, x := range a {
		seen[x]++
	}
	for _, x := range b {
		seen[x]--
	}
	for _, n := range seen {
		if n != 0 {
			return false
		}
	}
	return true
}

func id(r response) string { s, _ := r.body["id"].(string); return s }

func total(r response) int { n, _ := r.body["totalResults"].(float64); return int(n) }
