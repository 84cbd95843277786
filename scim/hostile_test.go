package scim_test

// Hostile and careless callers (issue 8): every bad input a fast 4xx, no
// caller able to stall the service, the same answer on both databases.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/acme/directory/scim"
	"github.com/acme/directory/scim/schema"
	"github.com/acme/directory/store"
	"github.com/acme/directory/store/storetest"
)

// hostileServer serves SCIM with opts and a /healthz like the binary's,
// from a listener whose connections have small send buffers, so a client
// that does not read blocks the server's writes after a few kilobytes.
func hostileServer(t *testing.T, st *store.Store, opts scim.Options) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	mux.Handle("/scim/v2/", scim.NewHandler(st, opts))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok\n") })
	srv := httptest.NewUnstartedServer(mux)
	srv.Listener = smallBufferListener{srv.Listener}
	srv.Start()
	t.Cleanup(srv.Close)
	return srv
}

type smallBufferListener struct{ net.Listener }

func (l smallBufferListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if tc, ok := c.(*net.TCPConn); ok {
		tc.SetWriteBuffer(4096)
	}
	return c, err
}

// dial opens a raw connection to srv with a small receive buffer.
func dial(t *testing.T, srv *httptest.Server) net.Conn {
	t.Helper()
	d := net.Dialer{Control: func(_, _ string, rc syscall.RawConn) error {
		return rc.Control(func(fd uintptr) { syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096) })
	}}
	c, err := d.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// startRequest writes a request head (and the first bytes of a body of
// contentLength bytes, if any) without finishing it.
func startRequest(t *testing.T, c net.Conn, e *env, method, path, token string, contentLength int, first string) {
	t.Helper()
	u, _ := url.Parse(e.base + path)
	head := fmt.Sprintf("%s %s HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\n", method, u.RequestURI(), u.Host, token)
	if contentLength > 0 {
		head += fmt.Sprintf("Content-Type: application/scim+json\r\nContent-Length: %d\r\n", contentLength)
	}
	if _, err := io.WriteString(c, head+"\r\n"+first); err != nil {
		t.Fatalf("write request: %v", err)
	}
}

// trickle sends one byte every interval until the connection fails or
// stop is closed: a slow-loris body.
func trickle(c net.Conn, interval time.Duration, stop <-chan struct{}) {
	for {
		select {
		case <-stop:
			return
		case <-time.After(interval):
		}
		if _, err := c.Write([]byte(" ")); err != nil {
			return
		}
	}
}

// readUntilClosed reads c until the server closes it (or resets it), at
// most for wait, and returns what arrived and whether the connection was
// closed in time.
func readUntilClosed(c net.Conn, wait time.Duration) (string, bool) {
	c.SetReadDeadline(time.Now().Add(wait))
	b, err := io.ReadAll(c)
	var ne net.Error
	return string(b), !(errors.As(err, &ne) && ne.Timeout())
}

func searchBody(filter string) map[string]any {
	return map[string]any{"schemas": []string{schema.SearchRequestURN}, "filter": filter}
}

func clauses(n int, join string, f func(i int) string) string {
	parts := make([]string, n)
	for i := range parts {
		parts[i] = f(i)
	}
	return strings.Join(parts, join)
}

func mustError(t *testing.T, r response, status int, scimType string) {
	t.Helper()
	if r.status != status || r.body["scimType"] != scimType {
		t.Errorf("status %d scimType %v; want %d %s\n%.300s", r.status, r.body["scimType"], status, scimType, r.raw)
	}
}

// Item 6: a body sent a byte at a time is cut off at the body deadline,
// authenticated or not, while a large body sent at once is read whole.
func TestHostileSlowBodyIsCutOff(t *testing.T) {
	st := storetest.Open(t, "sqlite")
	srv := hostileServer(t, st, scim.Options{BodyTimeout: time.Second})
	e := newTenant(t, st, srv, "generic")
	u := e.must(http.StatusCreated, "POST", "/Users", userBody("slow@x.com", "Slow", "Loris"))
	for _, tc := range []struct {
		name, token string
		status      string
	}{
		{"authenticated", e.token, "408"},
		{"unauthenticated", "scim_wrong", "401"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := dial(t, srv)
			stop := make(chan struct{})
			defer close(stop)
			startRequest(t, c, e, "PATCH", "/Users/"+id(u), tc.token, 1000, "{")
			go trickle(c, 200*time.Millisecond, stop)
			start := time.Now()
			got, closed := readUntilClosed(c, 5*time.Second)
			if !closed {
				t.Fatalf("connection still open after %v of a slow body; got %q", time.Since(start).Round(time.Millisecond), got)
			}
			if !strings.HasPrefix(got, "HTTP/1.1 "+tc.status) {
				t.Errorf("response %q; want status %s", firstLine(got), tc.status)
			}
		})
	}
	t.Run("large body", func(t *testing.T) {
		g := e.must(http.StatusCreated, "POST", "/Groups", groupBody("big"))
		ids := make([]string, 60000) // unknown ids, skipped: about 3 MB
		for i := range ids {
			ids[i] = fmt.Sprintf("0190a5e2-0000-7000-8000-%012d", i)
		}
		e.must(http.StatusNoContent, "PATCH", "/Groups/"+id(g), patchBody(op("add", "members", memberValues(ids))))
	})
}

func firstLine(s string) string { l, _, _ := strings.Cut(s, "\r\n"); return l }

// Items 6, 7 and the done-when: clients that never read a 5,000-member
// group response and clients that trickle bodies hold no database
// connection; /healthz and another tenant's GET answer within a second; a
// reader too slow for the request deadline is disconnected.
func TestHostileSlowClientsDoNotStallTheService(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		const pool = 4
		st.DB.SetMaxOpenConns(pool)
		requestTimeout := 3 * time.Second
		srv := hostileServer(t, st, scim.Options{BodyTimeout: 2 * time.Second, RequestTimeout: requestTimeout})
		a := newTenant(t, st, srv, "okta")
		b := newTenant(t, st, srv, "entra")
		ids := seedUsers(t, a, 5000)
		g := a.must(http.StatusCreated, "POST", "/Groups", groupBody("everyone"))
		a.must(http.StatusNoContent, "PATCH", "/Groups/"+id(g), patchBody(op("add", "members", memberValues(ids))))
		bu := b.must(http.StatusCreated, "POST", "/Users", userBody("other@tenant.com", "Other", "Tenant"))

		start := time.Now()
		var readers []net.Conn
		for range 2 * pool {
			c := dial(t, srv)
			startRequest(t, c, a, "GET", "/Groups/"+id(g), a.token, 0, "")
			readers = append(readers, c)
		}
		stop := make(chan struct{})
		defer close(stop)
		for range 2 * pool {
			c := dial(t, srv)
			startRequest(t, c, a, "PATCH", "/Groups/"+id(g), a.token, 5000, "{")
			go trickle(c, time.Second, stop)
		}
		time.Sleep(500 * time.Millisecond)

		deadline := time.Now().Add(time.Second)
		for st.DB.Stats().InUse > 0 && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
		}
		if n := st.DB.Stats().InUse; n > 0 {
			t.Errorf("%d database connections held by clients that do not read", n)
		}
		within(t, time.Second, "GET /healthz", func() error {
			res, err := srv.Client().Get(srv.URL + "/healthz")
			if err == nil {
				res.Body.Close()
			}
			return err
		})
		within(t, time.Second, "another tenant's GET", func() error {
			req := b.request(t, "GET", "/Users/"+id(bu), nil)
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			res, err := srv.Client().Do(req.WithContext(ctx))
			if err != nil {
				return err
			}
			defer res.Body.Close()
			if res.StatusCode != http.StatusOK {
				return fmt.Errorf("status %d", res.StatusCode)
			}
			return nil
		})

		// Past the request deadline the server gives up on the readers:
		// what they read now ends early, and the connection is closed.
		time.Sleep(time.Until(start.Add(requestTimeout + 500*time.Millisecond)))
		for i, c := range readers {
			got, closed := readUntilClosed(c, 3*time.Second)
			if !closed {
				t.Fatalf("reader %d: connection still open %v after the request deadline", i, time.Since(start.Add(requestTimeout)))
			}
			if strings.HasSuffix(got, "]}") || strings.HasSuffix(got, "0\r\n\r\n") {
				t.Errorf("reader %d: the whole response (%d bytes) was sent to a client that did not read", i, len(got))
			}
		}
	})
}

// within fails the test when f takes longer than limit or fails.
func within(t *testing.T, limit time.Duration, what string, f func() error) {
	t.Helper()
	start := time.Now()
	err := f()
	if d := time.Since(start); err != nil || d > limit {
		t.Errorf("%s: %v after %v; want an answer within %v", what, err, d.Round(time.Millisecond), limit)
	}
}

// Items 8 and 9: filters beyond 100 clauses or 8 KiB are 400 invalidFilter
// on both databases, never a 500 or a long run; at the limits they work.
func TestHostileFilterSizeIsBounded(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st, "generic")
		e.must(http.StatusCreated, "POST", "/Users", userBody("x1@example.com", "X", "One"))
		long := strings.Repeat("x", 50)
		for name, f := range map[string]string{
			"or of 1,000":       clauses(1000, " or ", func(i int) string { return fmt.Sprintf(`userName eq "u%d"`, i) }),
			"or of 10,000":      clauses(10000, " or ", func(i int) string { return fmt.Sprintf(`userName eq "u%d"`, i) }),
			"and of 101 co":     clauses(101, " and ", func(i int) string { return `emails[value co "` + long + `"]` }),
			"101 clauses":       clauses(101, " or ", func(i int) string { return fmt.Sprintf(`title eq "%d"`, i) }),
			"brackets of 101":   `emails[` + clauses(101, " or ", func(i int) string { return fmt.Sprintf(`value eq "%d"`, i) }) + `]`,
			"one value of 9 KB": `userName eq "` + strings.Repeat("a", 9<<10) + `"`,
		} {
			t.Run(name, func(t *testing.T) {
				start := time.Now()
				mustError(t, e.do("POST", "/Users/.search", searchBody(f)), http.StatusBadRequest, "invalidFilter")
				mustError(t, e.do("POST", "/.search", searchBody(f)), http.StatusBadRequest, "invalidFilter")
				if len(f) < 6000 {
					mustError(t, e.do("GET", "/Groups?filter="+url.QueryEscape(f), nil), http.StatusBadRequest, "invalidFilter")
				}
				if d := time.Since(start); d > 2*time.Second {
					t.Errorf("refusing took %v", d)
				}
			})
		}
		for name, f := range map[string]string{
			"or of 100 co":  clauses(100, " or ", func(i int) string { return fmt.Sprintf(`emails[value co "x%d"]`, i) }),
			"and of 100 co": clauses(100, " and ", func(i int) string { return `emails[value co "` + long + `"]` }),
		} {
			t.Run(name, func(t *testing.T) {
				start := time.Now()
				if r := e.do("POST", "/Users/.search", searchBody(f)); r.status != http.StatusOK {
					t.Errorf("a filter of %d bytes at the limits: status %d\n%.300s", len(f), r.status, r.raw)
				}
				if d := time.Since(start); d > 2*time.Second {
					t.Errorf("a filter at the limits took %v", d)
				}
			})
		}
	})
}

// Item 10: NUL bytes and over-long strings are 400 invalidValue on both
// databases, before any SQL; at the limits the values are stored.
func TestHostileStringsAreInvalidValue(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st, "generic")
		withEmail := func(email string) map[string]any {
			b := userBody("e"+fmt.Sprint(len(email))+"@x.com", "E", "Mail")
			b["emails"] = []any{map[string]any{"value": email}}
			return b
		}
		n := 0
		withExt := func(ext map[string]any) map[string]any {
			n++
			b := userBody(fmt.Sprintf("ext%d@x.com", n), "E", "Xt")
			b["schemas"] = []string{schema.UserURN, "urn:acme:params:ext:1.0:User"}
			b["urn:acme:params:ext:1.0:User"] = ext
			return b
		}
		withTitle := func(title string) map[string]any {
			b := userBody("title"+fmt.Sprint(len(title))+"@x.com", "T", "Itle")
			b["title"] = title
			return b
		}
		for name, body := range map[string]map[string]any{
			"NUL in userName":             userBody("a\x00b@x.com", "A", "B"),
			"NUL in a name":               userBody("nul@x.com", "A\x00", "B"),
			"NUL in an email":             withEmail("a\x00@x.com"),
			"NUL in an unknown extension": withExt(map[string]any{"note": "a\x00b"}),
			"NUL in a key":                withExt(map[string]any{"no\x00te": "x"}),
			"email over the index limit":  withEmail(strings.Repeat("e", 3000) + "@x.com"),
			"userName over the limit":     userBody(strings.Repeat("u", 1020)+"@x.com", "U", "Long"),
			"externalId over the limit": func() map[string]any {
				b := userBody("xid@x.com", "X", "Id")
				b["externalId"] = strings.Repeat("i", 1025)
				return b
			}(),
			"string over the limit":            withTitle(strings.Repeat("t", 64<<10+1)),
			"unknown extension over the limit": withExt(map[string]any{"note": strings.Repeat("n", 64<<10+1)}),
		} {
			t.Run(name, func(t *testing.T) {
				mustError(t, e.do("POST", "/Users", body), http.StatusBadRequest, "invalidValue")
			})
		}
		u := e.must(http.StatusCreated, "POST", "/Users", userBody("ok@x.com", "O", "K"))
		mustError(t, e.do("PATCH", "/Users/"+id(u), patchBody(op("replace", "displayName", "a\x00b"))), http.StatusBadRequest, "invalidValue")
		mustError(t, e.do("PATCH", "/Users/"+id(u), patchBody(op("add", "emails", []any{map[string]any{"value": strings.Repeat("e", 3000)}}))), http.StatusBadRequest, "invalidValue")
		mustError(t, e.do("PUT", "/Users/"+id(u), userBody("ok\x00@x.com", "O", "K")), http.StatusBadRequest, "invalidValue")
		g := e.must(http.StatusCreated, "POST", "/Groups", groupBody("g"))
		mustError(t, e.do("PATCH", "/Groups/"+id(g), patchBody(op("replace", "displayName", "g\x00"))), http.StatusBadRequest, "invalidValue")
		mustError(t, e.do("GET", "/Users?filter="+url.QueryEscape(`userName eq "a\u0000b"`), nil), http.StatusBadRequest, "invalidFilter")
		mustError(t, e.do("GET", "/Users?filter=userName%20eq%20%22a%00b%22", nil), http.StatusBadRequest, "invalidFilter")
		mustError(t, e.do("GET", "/Users?filter=userName%20eq%20%22a%ffb%22", nil), http.StatusBadRequest, "invalidFilter")

		// At the limits.
		email := strings.Repeat("e", 1024-len("@x.com")) + "@x.com"
		r := e.must(http.StatusCreated, "POST", "/Users", withEmail(email))
		if got := e.user(id(r)).PrimaryEmail; got != email {
			t.Errorf("primary email of %d bytes stored as %d bytes", len(email), len(got))
		}
		e.must(http.StatusCreated, "POST", "/Users", withTitle(strings.Repeat("t", 64<<10)))
	})
}

// Item 12: case-insensitive comparisons fold non-ASCII letters the same
// way on both databases.
func TestHostileUnicodeCaseFolding(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st, "generic")
		b := userBody("emile", "Émile", "Zola")
		b["emails"] = []any{map[string]any{"value": "émile@x.com", "type": "work"}}
		b["title"] = "Ingénieur"
		u := e.must(http.StatusCreated, "POST", "/Users", b)
		e.must(http.StatusCreated, "POST", "/Users", userBody("other", "Other", "User"))
		for _, f := range []string{
			`emails.value eq "ÉMILE@X.COM"`,
			`emails eq "Émile@x.com"`,
			`emails[value sw "ÉMI"]`,
			`emails co "ÉMILE@"`,
			`title eq "INGÉNIEUR"`,
			`name.givenName eq "ÉMILE"`,
			`title ew "ÉNIEUR"`,
		} {
			r := e.must(http.StatusOK, "GET", "/Users?filter="+url.QueryEscape(f), nil)
			res, _ := r.body["Resources"].([]any)
			if total(r) != 1 || len(res) != 1 || res[0].(map[string]any)["id"] != id(u) {
				t.Errorf("%s: %d results; want the one user", f, total(r))
			}
		}
	})
}

// Item 15: removing active leaves it unassigned (RFC 7644 §3.5.2.2): no
// response shows it, and the user is inactive for access and roles, so a
// removal never enables a deactivated user. Removing it again changes
// nothing; setting it again shows it again.
func TestHostileRemoveActiveUnassigns(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st, "generic")
		for i, path := range []string{"active", "urn:ietf:params:scim:schemas:core:2.0:User:active"} {
			for _, before := range []bool{false, true} {
				u := e.must(http.StatusCreated, "POST", "/Users", userBody(fmt.Sprintf("act%d%v@x.com", i, before), "A", "Ct"))
				e.must(http.StatusOK, "PATCH", "/Users/"+id(u), patchBody(op("replace", "active", before)))
				r := e.must(http.StatusOK, "PATCH", "/Users/"+id(u), patchBody(op("remove", path, nil)))
				if v, ok := r.body["active"]; ok {
					t.Errorf("remove %s (active was %v): the response shows active %v; want it unassigned", path, before, v)
				}
				if e.user(id(u)).Active {
					t.Errorf("remove %s (active was %v): stored active; want inactive for access", path, before)
				}
				got := e.must(http.StatusOK, "GET", "/Users/"+id(u), nil)
				if v, ok := got.body["active"]; ok {
					t.Errorf("GET after remove %s: active %v; want it unassigned", path, v)
				}
				version := e.user(id(u)).Version
				again := e.must(http.StatusOK, "PATCH", "/Users/"+id(u), patchBody(op("remove", path, nil)))
				if _, ok := again.body["active"]; ok || e.user(id(u)).Version != version {
					t.Errorf("remove %s twice: active %v, version %d → %d; want a no-op", path, again.body["active"], version, e.user(id(u)).Version)
				}
				found := e.must(http.StatusOK, "GET", "/Users?filter="+url.QueryEscape(`userName eq "`+got.body["userName"].(string)+`" and active eq false`), nil)
				if total(found) != 1 {
					t.Errorf("filter active eq false after remove %s: %d results; want the inactive user", path, total(found))
				}
				back := e.must(http.StatusOK, "PATCH", "/Users/"+id(u), patchBody(op("replace", "active", true)))
				if back.body["active"] != true || !e.user(id(u)).Active {
					t.Errorf("replace active true after remove %s: %v; want true", path, back.body["active"])
				}
			}
		}
	})
}

// Item 16: an extension value carrying its own "schemas" key (as some
// client libraries send) is accepted; the key is ignored.
func TestHostileExtensionValueWithSchemas(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st, "generic")
		u := e.must(http.StatusCreated, "POST", "/Users", userBody("ent@x.com", "E", "Nt"))
		ext := schema.EnterpriseUserURN
		r := e.must(http.StatusOK, "PATCH", "/Users/"+id(u), patchBody(op("add", ext,
			map[string]any{"schemas": []string{ext}, "employeeNumber": "7"})))
		if got := e.user(id(u)).EmployeeNumber; got != "7" {
			t.Errorf("employeeNumber %q; want 7\n%s", got, r.raw)
		}
		e.must(http.StatusOK, "PATCH", "/Users/"+id(u), patchBody(op("replace", "", map[string]any{
			ext: map[string]any{"Schemas": []string{ext}, "department": "R&D"}})))
		if got := e.user(id(u)).Department; got != "R&D" {
			t.Errorf("department %q; want R&D", got)
		}
		b := userBody("ent2@x.com", "E", "Nt")
		b["schemas"] = []string{schema.UserURN, ext}
		b[ext] = map[string]any{"schemas": []string{ext}, "costCenter": "42"}
		r = e.must(http.StatusCreated, "POST", "/Users", b)
		if got := e.user(id(r)).CostCenter; got != "42" {
			t.Errorf("costCenter %q; want 42", got)
		}
	})
}

// Item 17: multi-valued sub-attributes come back as sent: "primary": false
// stays, and an element sent without primary stays without.
func TestHostilePrimaryFalseRoundTrips(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st, "generic")
		emails := []any{
			map[string]any{"value": "a@x.com", "type": "work", "primary": true},
			map[string]any{"value": "b@x.com", "type": "home", "primary": false},
			map[string]any{"value": "c@x.com", "type": "other"},
		}
		phones := []any{map[string]any{"value": "+1 555", "type": "work", "primary": false}}
		addresses := []any{map[string]any{"locality": "Paris", "type": "work", "primary": false}}
		b := userBody("a@x.com", "A", "X")
		b["emails"], b["phoneNumbers"], b["addresses"] = emails, phones, addresses
		created := e.must(http.StatusCreated, "POST", "/Users", b)
		got := e.must(http.StatusOK, "GET", "/Users/"+id(created), nil)
		list := e.must(http.StatusOK, "GET", "/Users?filter="+url.QueryEscape(`userName eq "a@x.com"`), nil)
		listed := list.body["Resources"].([]any)[0].(map[string]any)
		for name, doc := range map[string]map[string]any{"POST": created.body, "GET": got.body, "list": listed} {
			for attr, want := range map[string][]any{"emails": emails, "phoneNumbers": phones, "addresses": addresses} {
				if !reflect.DeepEqual(doc[attr], want) {
					t.Errorf("%s %s = %v; want %v as sent", name, attr, doc[attr], want)
				}
			}
		}
		// A PUT of the same document changes nothing.
		put := e.must(http.StatusOK, "PUT", "/Users/"+id(created), b)
		if put.header.Get("ETag") != created.header.Get("ETag") {
			t.Errorf("PUT of the document as sent bumped the version: %s -> %s", created.header.Get("ETag"), put.header.Get("ETag"))
		}
		if !reflect.DeepEqual(put.body["emails"], emails) {
			t.Errorf("PUT emails = %v", put.body["emails"])
		}
	})
}

// Item 18: a group without members renders the same in a GET and in a list:
// without "members".
func TestHostileEmptyGroupRendersAlike(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st, "generic")
		g := e.must(http.StatusCreated, "POST", "/Groups", groupBody("empty"))
		one := e.must(http.StatusOK, "GET", "/Groups/"+id(g), nil)
		list := e.must(http.StatusOK, "GET", "/Groups", nil)
		listed := list.body["Resources"].([]any)[0].(map[string]any)
		for name, doc := range map[string]map[string]any{"POST": g.body, "GET": one.body, "list": listed} {
			if m, ok := doc["members"]; ok {
				t.Errorf("%s renders members %v for a group without members; want it omitted", name, m)
			}
		}
		if !reflect.DeepEqual(one.body, listed) {
			t.Errorf("GET %v\nlist %v", one.body, listed)
		}
		// With members, both still agree.
		u := e.must(http.StatusCreated, "POST", "/Users", userBody("m@x.com", "M", "Ember"))
		e.must(http.StatusNoContent, "PATCH", "/Groups/"+id(g), patchBody(op("add", "members", []any{map[string]any{"value": id(u)}})))
		one = e.must(http.StatusOK, "GET", "/Groups/"+id(g), nil)
		listed = e.must(http.StatusOK, "GET", "/Groups", nil).body["Resources"].([]any)[0].(map[string]any)
		if !reflect.DeepEqual(one.body, listed) {
			t.Errorf("GET %v\nlist %v", one.body, listed)
		}
	})
}
