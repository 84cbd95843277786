package scim_test

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/acme/directory/access"
	"github.com/acme/directory/auth"
	"github.com/acme/directory/domain"
	"github.com/acme/directory/ent/directorytoken"
	"github.com/acme/directory/fault"
	"github.com/acme/directory/store"
	"github.com/acme/directory/store/storetest"
)

func TestBadInput(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st, "generic")
		u := e.must(201, "POST", "/Users", userBody("keep@example.com", "Keep", "Me"))
		g := e.must(201, "POST", "/Groups", groupBody("Keep", id(u)))
		before := e.user(id(u)).Version

		tests := []struct {
			name, method, path string
			body               any
			status             int
			scimType           string
		}{
			{"malformed JSON", "POST", "/Users", `{"userName": `, 400, "invalidSyntax"},
			{"not an object", "POST", "/Users", `["a"]`, 400, "invalidSyntax"},
			{"trailing data", "POST", "/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"x"} {}`, 400, "invalidSyntax"},
			{"wrong schema", "POST", "/Users", map[string]any{"schemas": []string{"urn:ietf:params:scim:schemas:core:2.0:Group"}, "userName": "x"}, 400, "invalidSyntax"},
			{"no schemas", "POST", "/Users", map[string]any{"userName": "x"}, 400, "invalidSyntax"},
			{"missing userName", "POST", "/Users", map[string]any{"schemas": []string{"urn:ietf:params:scim:schemas:core:2.0:User"}}, 400, "invalidValue"},
			{"userName of wrong type", "POST", "/Users", map[string]any{"schemas": []string{"urn:ietf:params:scim:schemas:core:2.0:User"}, "userName": 42}, 400, "invalidValue"},
			{"active not a boolean", "POST", "/Users", map[string]any{"schemas": []string{"urn:ietf:params:scim:schemas:core:2.0:User"}, "userName": "x", "active": "maybe"}, 400, "invalidValue"},
			{"unknown attribute", "POST", "/Users", map[string]any{"schemas": []string{"urn:ietf:params:scim:schemas:core:2.0:User"}, "userName": "x", "favouriteColour": "blue"}, 400, "invalidValue"},
			{"emails not a list", "PUT", "/Users/" + id(u), map[string]any{"schemas": []string{"urn:ietf:params:scim:schemas:core:2.0:User"}, "userName": "keep@example.com", "emails": "x"}, 400, "invalidValue"},
			{"invalid filter", "GET", "/Users?filter=userName+eq", nil, 400, "invalidFilter"},
			{"filter on unknown attribute", "GET", "/Users?filter=shoeSize+eq+%2242%22", nil, 400, "invalidFilter"},
			{"bad count", "GET", "/Users?count=many", nil, 400, "invalidValue"},
			{"patch without PatchOp schema", "PATCH", "/Users/" + id(u), map[string]any{"Operations": []any{op("replace", "title", "x")}}, 400, "invalidSyntax"},
			{"patch unknown op", "PATCH", "/Users/" + id(u), patchBody(op("frobnicate", "title", "x")), 400, "invalidSyntax"},
			{"patch invalid path", "PATCH", "/Users/" + id(u), patchBody(op("replace", "emails[type eq", "x")), 400, "invalidPath"},
			{"patch remove without path", "PATCH", "/Users/" + id(u), patchBody(op("remove", "", nil)), 400, "noTarget"},
			{"patch read-only id", "PATCH", "/Users/" + id(u), patchBody(op("replace", "id", "new")), 400, "mutability"},
			{"patch second op bad", "PATCH", "/Users/" + id(u), patchBody(op("replace", "title", "Changed"), op("replace", "active", "maybe")), 400, "invalidValue"},
			{"group members filter unsupported", "PATCH", "/Groups/" + id(g), patchBody(op("remove", `members[display co "x"]`, nil)), 400, "invalidPath"},
			{"search without schema", "POST", "/Users/.search", map[string]any{"filter": `userName eq "x"`}, 400, "invalidSyntax"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				r := e.do(tt.method, tt.path, tt.body)
				if r.status != tt.status || r.body["scimType"] != tt.scimType {
					t.Fatalf("status %d scimType %v; want %d %s\n%s", r.status, r.body["scimType"], tt.status, tt.scimType, r.raw)
				}
				if r.body["status"] != "400" || r.body["detail"] == "" {
					t.Fatalf("error body lacks status or detail: %s", r.raw)
				}
			})
		}
		if got := e.user(id(u)); got.Version != before || got.Title != "" {
			t.Fatalf("a rejected request changed the user: version %d title %q", got.Version, got.Title)
		}
		if n := len(e.memberIDs(id(g))); n != 1 {
			t.Fatalf("a rejected request changed the group: %d members", n)
		}
		lst := e.must(200, "GET", "/Users", nil)
		if total(lst) != 1 {
			t.Fatalf("rejected creates left %d users; want 1", total(lst))
		}
	})
}

func TestTransportErrors(t *testing.T) {
	st := storetest.Open(t, "sqlite")
	e := newEnv(t, st, "generic")

	e.header.Set("Content-Type", "text/plain")
	if r := e.do("POST", "/Users", `{}`); r.status != http.StatusUnsupportedMediaType {
		t.Fatalf("text/plain body: status %d; want 415", r.status)
	}
	e.header.Set("Content-Type", "application/json")
	if r := e.do("POST", "/Users", userBody("json@example.com", "J", "S")); r.status != 201 {
		t.Fatalf("application/json body: status %d; want 201", r.status)
	}
	e.header.Del("Content-Type")

	big := `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"` + strings.Repeat("x", 9<<20) + `"}`
	if r := e.do("POST", "/Users", big); r.status != http.StatusRequestEntityTooLarge {
		t.Fatalf("9 MiB body: status %d; want 413", r.status)
	}
	if r := e.do("DELETE", "/Users", nil); r.status != http.StatusMethodNotAllowed || r.body["status"] != "405" {
		t.Fatalf("DELETE /Users: %d %s; want a SCIM 405", r.status, r.raw)
	}
	if r := e.do("GET", "/Nope", nil); r.status != 404 || r.body["status"] != "404" {
		t.Fatalf("unknown endpoint: %d %s; want a SCIM 404", r.status, r.raw)
	}
	if r := e.do("GET", "/Users/not-a-uuid", nil); r.status != 404 {
		t.Fatalf("GET of a non-UUID id: %d; want 404", r.status)
	}
}

func TestAuthentication(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st, "jumpcloud")
		other := newEnv(t, st, "okta")
		ctx := access.PlatformContext(context.Background())

		// want is the status and detail the refusal sends; a caller
		// without a token of the directory learns nothing more than that.
		refusal := func(name, token string, status int, detail string) {
			t.Helper()
			saved := e.token
			e.token = token
			r := e.do("GET", "/Users", nil)
			e.token = saved
			if r.status != status || r.body["status"] != strconv.Itoa(status) || r.body["detail"] != detail {
				t.Errorf("%s: status %d %s; want a SCIM %d saying %q", name, r.status, r.raw, status, detail)
			}
			if challenge := r.header.Get("WWW-Authenticate"); (status == 401) != (challenge != "") {
				t.Errorf("%s: WWW-Authenticate %q with status %d", name, challenge, status)
			}
		}
		check := func(name, token string) {
			t.Helper()
			refusal(name, token, 401, fault.MessageOf(auth.ErrDirectoryToken))
		}
		check("no token", "")
		check("wrong token", "scim_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
		check("another directory's token", other.token)
		check("an API key", "dk_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")

		// The sync time and the token's last use are recorded, once per interval.
		e.must(200, "GET", "/Users", nil)
		d := st.Client.Directory.GetX(ctx, e.dir.ID)
		if d.LastSyncedAt == nil {
			t.Fatalf("directory last sync time not recorded")
		}
		e.must(200, "GET", "/Groups", nil)
		if again := st.Client.Directory.GetX(ctx, e.dir.ID); !again.LastSyncedAt.Equal(*d.LastSyncedAt) {
			t.Fatalf("last sync time written again within the interval")
		}
		if tok := st.Client.DirectoryToken.Query().Where(directorytoken.DirectoryID(e.dir.ID)).OnlyX(ctx); tok.LastUsedAt == nil {
			t.Fatalf("token last use not recorded")
		}

		// Rotation: both tokens work until the old one is revoked.
		rotated, err := domain.New(st.Client, st.Dialect).RotateDirectoryToken(ctx, e.dir.ID, nil)
		if err != nil {
			t.Fatalf("rotate: %v", err)
		}
		e.must(200, "GET", "/Users", nil)
		first := e.token
		e.token = rotated.BearerToken
		e.must(200, "GET", "/Users", nil)
		e.token = first

		// Expired tokens and disabled directories are refused.
		past := time.Now().Add(-time.Minute)
		// (No operation sets a token's expiry after it is made: a fixture.)
		st.Client.DirectoryToken.Update().SetExpiresAt(past).ExecX(domain.Seeding(ctx))
		refusal("expired token", first, 401, fault.MessageOf(auth.ErrTokenExpired))
		st.Client.DirectoryToken.Update().ClearExpiresAt().ExecX(domain.Seeding(ctx))
		e.must(200, "GET", "/Users", nil)
		if _, err := domain.New(st.Client, st.Dialect).SetDirectoryEnabled(ctx, e.dir.ID, false); err != nil {
			t.Fatal(err)
		}
		refusal("disabled directory", first, 403, fault.MessageOf(auth.ErrDirectoryDisabled))
		// Another directory's caller learns nothing of this one's state.
		saved := other.token
		other.token = first
		if r := other.do("GET", "/Users", nil); r.status != 401 || r.body["detail"] != fault.MessageOf(auth.ErrDirectoryToken) {
			t.Errorf("a disabled directory's token on another directory: %d %s; want the plain 401", r.status, r.raw)
		}
		other.token = saved
		if _, err := domain.New(st.Client, st.Dialect).SetDirectoryEnabled(ctx, e.dir.ID, true); err != nil {
			t.Fatal(err)
		}

		// A user of another directory is not found through this one.
		ou := other.must(201, "POST", "/Users", userBody("other@example.com", "O", "T"))
		e.must(404, "GET", "/Users/"+id(ou), nil)
		e.must(404, "PATCH", "/Users/"+id(ou), patchBody(op("replace", "title", "x")))
		e.must(404, "DELETE", "/Users/"+id(ou), nil)
		if u := other.user(id(ou)); u == nil || u.Title != "" {
			t.Fatalf("another directory's user was changed")
		}
	})
}

func TestETags(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st, "generic")
		u := e.must(201, "POST", "/Users", userBody("etag@example.com", "E", "T"))
		tag := u.header.Get("ETag")
		e.header.Set("If-Match", tag)
		first := e.must(200, "PATCH", "/Users/"+id(u), patchBody(op("replace", "title", "One")))
		if first.header.Get("ETag") == tag {
			t.Fatalf("ETag unchanged after an update")
		}
		stale := e.do("PATCH", "/Users/"+id(u), patchBody(op("replace", "title", "Two")))
		if stale.status != http.StatusPreconditionFailed {
			t.Fatalf("stale If-Match: status %d; want 412", stale.status)
		}
		if got := e.user(id(u)).Title; got != "One" {
			t.Fatalf("stale write applied: title %q", got)
		}
		e.header.Set("If-Match", first.header.Get("ETag"))
		e.must(204, "DELETE", "/Users/"+id(u), nil)
	})
}
