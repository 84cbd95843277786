package scim_test

import (
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/acme/directory/access"
	"github.com/acme/directory/domain"
	"github.com/acme/directory/ent"
	"github.com/acme/directory/ent/scimrequest"
	"github.com/acme/directory/scim"
	"github.com/acme/directory/store"
	"github.com/acme/directory/store/storetest"
)

// loggedEnv is newEnv with a request log the test flushes.
func loggedEnv(t *testing.T, st *store.Store) (*env, *domain.RequestLog) {
	t.Helper()
	log := domain.New(st.Client, st.Dialect).NewRequestLog(domain.RequestLogConfig{Interval: time.Hour})
	mux := http.NewServeMux()
	mux.Handle("/scim/v2/", scim.NewHandler(st, scim.Options{Requests: log}))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return newTenant(t, st, srv, "jumpcloud"), log
}

// logged flushes log and returns e's directory's entries, oldest first.
func (e *env) logged(log *domain.RequestLog) []*ent.ScimRequest {
	e.t.Helper()
	if err := log.Flush(context.Background()); err != nil {
		e.t.Fatalf("flush the request log: %v", err)
	}
	ctx := access.PlatformContext(context.Background())
	return e.store.Client.ScimRequest.Query().Where(scimrequest.DirectoryID(e.dir.ID)).
		Order(ent.Asc(scimrequest.FieldID)).AllX(ctx)
}

func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func TestRequestLog(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e, log := loggedEnv(t, st)
		password := "Pw-" + uuid.NewString()
		querySecret := "qs-" + uuid.NewString()

		ada := e.must(201, "POST", "/Users", userBody("ada@example.com", "Ada", "Lovelace"))
		var members []string
		for i := range 3 {
			members = append(members, id(e.must(201, "POST", "/Users", userBody(fmt.Sprintf("m%d@example.com", i), "M", "M"))))
		}
		g := e.must(201, "POST", "/Groups", groupBody("Admins"))
		if r := e.do("PATCH", "/Groups/"+id(g), patchBody(op("add", "members", memberValues(members)))); r.status >= 300 {
			t.Fatalf("add members: %d %s", r.status, r.raw)
		}
		e.must(200, "PATCH", "/Users/"+id(ada), patchBody(op("replace", "active", false)))
		e.must(200, "GET", `/Users?filter=userName+eq+"ada@example.com"&access_token=`+querySecret, nil)
		// Failures, with secrets in their bodies.
		taken := userBody("m0@example.com", "Someone", "Else")
		taken["externalId"], taken["password"] = "another-person", password
		e.must(409, "POST", "/Users", taken)
		e.must(404, "PATCH", "/Users/"+uuid.NewString(), patchBody(op("replace", "password", password)))
		e.must(400, "POST", "/Users", `{"userName": "x", "password": "`+password+`", `)

		rows := e.logged(log)
		want := []struct {
			method, path string
			status       int
			effect       string
		}{
			{"POST", "/Users", 201, "user created"},
			{"POST", "/Users", 201, "user created"},
			{"POST", "/Users", 201, "user created"},
			{"POST", "/Users", 201, "user created"},
			{"POST", "/Groups", 201, "group created"},
			{"PATCH", "/Groups/" + id(g), 204, "3 members added"},
			{"PATCH", "/Users/" + id(ada), 200, "user deactivated"},
			{"GET", "/Users?access_token=%5BREDACTED%5D&filter=userName+eq+%22ada%40example.com%22", 200, ""},
			{"POST", "/Users", 409, ""},
			{"PATCH", "/Users/", 404, ""},
			{"POST", "/Users", 400, ""},
		}
		if len(rows) != len(want) {
			t.Fatalf("%d entries; want %d", len(rows), len(want))
		}
		for i, w := range want {
			r := rows[i]
			if r.Method != w.method || !strings.HasPrefix(r.Path, w.path) || r.Status != w.status || str(r.Effect) != w.effect ||
				r.Failed != (w.status >= 400) || r.TokenID == nil {
				t.Errorf("entry %d: %s %s %d %q; want %s %s %d %q", i, r.Method, r.Path, r.Status, str(r.Effect), w.method, w.path, w.status, w.effect)
			}
		}
		if r := rows[0]; r.UserID == nil || r.UserID.String() != id(ada) || str(r.UserName) != "ada@example.com" || r.RequestBody != nil {
			t.Errorf("a success: user %v %q, body kept %v; want Ada, no body", r.UserID, str(r.UserName), r.RequestBody != nil)
		}
		if r := rows[6]; r.UserID == nil || r.UserID.String() != id(ada) {
			t.Errorf("the deactivation is not Ada's: %v", r.UserID)
		}
		conflict := rows[8]
		if str(conflict.ScimType) != "uniqueness" || str(conflict.Detail) == "" || str(conflict.UserName) != "m0@example.com" ||
			!strings.Contains(str(conflict.RequestBody), `"password":"[REDACTED]"`) || !strings.Contains(str(conflict.ResponseBody), "uniqueness") {
			t.Errorf("the conflict: %s %q %q body %q response %q", str(conflict.ScimType), str(conflict.Detail), str(conflict.UserName),
				str(conflict.RequestBody), str(conflict.ResponseBody))
		}
		if body := str(rows[9].RequestBody); !strings.Contains(body, `"value":"[REDACTED]"`) {
			t.Errorf("a PATCH of the password kept %q", body)
		}
		if body := str(rows[10].RequestBody); !strings.HasSuffix(body, "[REDACTED]") || str(rows[10].ScimType) != "invalidSyntax" {
			t.Errorf("a malformed body kept %q (%s)", body, str(rows[10].ScimType))
		}

		// By user: Ada's requests.
		ctx := access.PlatformContext(context.Background())
		adaID := uuid.MustParse(id(ada))
		mine, _, err := domain.New(st.Client, st.Dialect).Requests(ctx, e.dir.ID, domain.RequestFilter{UserID: &adaID, First: 10})
		if err != nil || len(mine) != 2 {
			t.Errorf("Ada's requests: %d, %v; want her creation and deactivation", len(mine), err)
		}

		// A wrong token belongs to no directory; a disabled directory's
		// and an expired token are logged to the directory, with why.
		saved := e.token
		e.token = "scim_" + strings.Repeat("A", 43)
		e.must(401, "GET", "/Users", nil)
		e.token = saved
		svc := domain.New(st.Client, st.Dialect)
		if _, err := svc.SetDirectoryEnabled(ctx, e.dir.ID, false); err != nil {
			t.Fatal(err)
		}
		e.must(403, "GET", "/Users", nil)
		if _, err := svc.SetDirectoryEnabled(ctx, e.dir.ID, true); err != nil {
			t.Fatal(err)
		}
		st.Client.DirectoryToken.Update().SetExpiresAt(time.Now().Add(-time.Minute)).ExecX(domain.Seeding(ctx))
		e.must(401, "POST", "/Users", userBody("late@example.com", "L", "L"))
		rotated, err := svc.RotateDirectoryToken(ctx, e.dir.ID, nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := svc.RevokeDirectoryToken(ctx, *rows[0].TokenID); err != nil {
			t.Fatal(err)
		}
		e.must(401, "DELETE", "/Users/"+id(ada), nil)
		e.token = rotated.BearerToken
		e.must(200, "GET", "/Groups", nil)
		rows = e.logged(log)
		if len(rows) != len(want)+4 {
			t.Fatalf("%d entries after the refusals; want %d (the wrong token unattributed)", len(rows), len(want)+4)
		}
		disabled, expired, revoked := rows[len(want)], rows[len(want)+1], rows[len(want)+2]
		if revoked.Status != 401 || str(revoked.Refusal) != domain.RefusalTokenRevoked || !strings.Contains(str(revoked.Detail), "revoked") {
			t.Errorf("the revoked token's request: %d %q %q", revoked.Status, str(revoked.Refusal), str(revoked.Detail))
		}
		if disabled.Status != 403 || str(disabled.Refusal) != domain.RefusalDirectoryDisabled || !strings.Contains(str(disabled.Detail), "disabled") {
			t.Errorf("the disabled directory's request: %d %q %q", disabled.Status, str(disabled.Refusal), str(disabled.Detail))
		}
		if expired.Status != 401 || str(expired.Refusal) != domain.RefusalTokenExpired || !strings.Contains(str(expired.Detail), "expired") {
			t.Errorf("the expired token's request: %d %q %q", expired.Status, str(expired.Refusal), str(expired.Detail))
		}

		// No secret is stored anywhere in the log: not the token, not the
		// password, not the query's secret.
		for _, s := range []string{saved, rotated.BearerToken, password, querySecret} {
			if where := storedAnywhere(t, st.DB, s); where != "" {
				t.Errorf("a secret is stored in the request log: %s", where)
			}
		}
	})
}

// storedAnywhere searches every column of every row of the request log
// for s and says where it found it.
func storedAnywhere(t *testing.T, db *sql.DB, s string) string {
	t.Helper()
	rows, err := db.Query("SELECT * FROM scim_requests")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	n := 0
	for rows.Next() {
		n++
		vals := make([]sql.RawBytes, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		for i, v := range vals {
			if strings.Contains(string(v), s) {
				return cols[i] + " = " + string(v)
			}
		}
	}
	if err := rows.Err(); err != nil || n == 0 {
		t.Fatalf("read the request log: %d rows, %v", n, err)
	}
	return ""
}

// TestRequestLogConcurrentWrites: writes of one group, or of new users,
// that arrive together share a transaction (package domain's group
// commit), yet each request's entry says what it did itself.
func TestRequestLogConcurrentWrites(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e, log := loggedEnv(t, st)
		const n = 12
		ids := make([]string, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				ids[i] = id(e.must(201, "POST", "/Users", userBody(fmt.Sprintf("c%02d@example.com", i), "C", "C")))
			})
		}
		wg.Wait()
		g := e.must(201, "POST", "/Groups", groupBody("Crowd"))
		for i := range n {
			wg.Go(func() {
				if r := e.do("PATCH", "/Groups/"+id(g), patchBody(op("add", "members", memberValues(ids[i:i+1])))); r.status >= 300 {
					t.Errorf("add member %d: %d %s", i, r.status, r.raw)
				}
			})
		}
		wg.Wait()
		effects := map[string]int{}
		for _, r := range e.logged(log) {
			effects[r.Method+" "+str(r.Effect)]++
		}
		if effects["POST user created"] != n || effects["PATCH member added"] != n || len(effects) != 3 {
			t.Fatalf("effects %v; want each of the %d creations and %d additions to say its own", effects, n, n)
		}
	})
}
