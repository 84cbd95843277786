package store_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/acme/directory/access"
	"github.com/acme/directory/auth"
	"github.com/acme/directory/domain"
	"github.com/acme/directory/ent/schema/schematype"
	"github.com/acme/directory/pgtest"
	"github.com/acme/directory/scim"
	"github.com/acme/directory/store"
)

// openPooled opens a migrated store whose queries go through PgBouncer in
// transaction pooling mode, with migrations on a direct session.
func openPooled(t *testing.T) *store.Store {
	t.Helper()
	pooled, direct := pgtest.NewPooled(t)
	s, err := store.OpenConfig(context.Background(), store.Config{DatabaseURL: pooled, DirectURL: direct})
	if err != nil {
		t.Fatalf("open through pgbouncer: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// TestPooledStore runs what broke through PgBouncer 1.18 in transaction
// pooling mode (issue 18: 31 of 110 concurrent requests answered 500):
// concurrent SCIM creates, SCIM filter reads and API-key look-ups, through
// the real SCIM handler and authenticator. Not one may fail.
func TestPooledStore(t *testing.T) {
	s := openPooled(t)
	ctx := access.PlatformContext(context.Background())
	svc := domain.New(s.Client, s.Dialect)
	org, err := svc.CreateOrganization(ctx, domain.NewOrganization{Name: "Acme"})
	if err != nil {
		t.Fatal(err)
	}
	dir, err := svc.CreateDirectory(ctx, domain.NewDirectory{OrganizationID: org.ID, Provider: schematype.Provider("jumpcloud")})
	if err != nil {
		t.Fatal(err)
	}
	key, err := svc.CreateAPIKey(ctx, domain.NewAPIKey{Scope: access.Platform, Name: "look-up"})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(scim.NewHandler(s, scim.Options{Auth: auth.New(svc, auth.Config{})}))
	t.Cleanup(srv.Close)
	base := srv.URL + domain.SCIMPath + dir.Directory.ID.String()

	do := func(method, path, body string) (int, string, error) {
		req, err := http.NewRequest(method, base+path, strings.NewReader(body))
		if err != nil {
			return 0, "", err
		}
		req.Header.Set("Authorization", "Bearer "+dir.BearerToken)
		req.Header.Set("Content-Type", "application/scim+json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return 0, "", err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b), err
	}

	const writers, readers, lookups = 30, 60, 20
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []string
	)
	fail := func(format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		errs = append(errs, fmt.Sprintf(format, args...))
	}
	for i := range writers {
		wg.Go(func() {
			body := fmt.Sprintf(`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"u%d@acme.test",`+
				`"name":{"givenName":"O'Brien \\ %d"},"emails":[{"value":"u%d@acme.test","primary":true}]}`, i, i, i)
			if code, b, err := do("POST", "/Users", body); err != nil || code != http.StatusCreated {
				fail("POST /Users %d: %d %v %s", i, code, err, b)
			}
		})
	}
	for i := range readers {
		wg.Go(func() {
			f := url.QueryEscape(fmt.Sprintf(`userName eq "u%d@acme.test" or name.givenName sw "O'Brien"`, i%writers))
			if code, b, err := do("GET", "/Users?filter="+f, ""); err != nil || code != http.StatusOK {
				fail("GET /Users filter %d: %d %v %s", i, code, err, b)
			}
		})
	}
	for i := range lookups {
		wg.Go(func() {
			// A new authenticator each time: its cache would hide the look-up.
			if _, err := auth.New(svc, auth.Config{}).APIKey(context.Background(), "Bearer "+key.Key); err != nil {
				fail("API-key look-up %d: %v", i, err)
			}
		})
	}
	wg.Wait()
	if len(errs) > 0 {
		t.Fatalf("%d of %d requests failed through pgbouncer:\n%s", len(errs), writers+readers+lookups, strings.Join(errs, "\n"))
	}
	// Every acknowledged create is there, and the filter finds them.
	code, body, err := do("GET", "/Users?filter="+url.QueryEscape(`name.givenName sw "O'Brien \\"`), "")
	if err != nil || code != http.StatusOK || !strings.Contains(body, fmt.Sprintf(`"totalResults":%d`, writers)) {
		t.Fatalf("filter after the writes: %d %v %.300s", code, err, body)
	}
}

// TestPooledArgumentTypes sends every kind of argument the service sends
// (text with quotes, backslashes and non-ASCII, bytea that is and is not
// text, times, booleans, integers, floats, uuids, NULL, jsonb as text and
// as bytes) through PgBouncer outside a transaction, and reads each back
// exactly; a text holding NUL is refused before it is sent.
func TestPooledArgumentTypes(t *testing.T) {
	s := openPooled(t)
	ctx := context.Background()
	db := s.DB
	if _, err := db.ExecContext(ctx, `CREATE TABLE kinds (id bigint PRIMARY KEY, t text, b bytea, ts timestamptz,
		ok boolean, n bigint, f double precision, u uuid, j jsonb, jb jsonb)`); err != nil {
		t.Fatal(err)
	}
	random := make([]byte, 64)
	rand.Read(random)
	when := time.Date(2026, 12, 6, 7, 8, 9, 123456000, time.UTC)
	id := uuid.New()
	rows := []struct {
		t  any
		b  []byte
		j  any
		jb []byte
	}{
		{"plain", []byte("plain bytes"), `{"a":1}`, []byte(`{"a":1}`)},
		{`it's "quoted" \ back\\slash \x41 $1 -- not a comment /* nor this */ $$dollar$$`, random,
			`{"q":"it's \"x\" \\ y"}`, []byte(`{"q":"it's \"x\" \\ y \u003c"}`)},
		{"ünïcödé ✓ E'x'", []byte(`back\slash and 'quote'`), `[]`, []byte("null")},
		{"", []byte{}, nil, nil},
		{nil, nil, nil, nil},
		{"\\", []byte{0, 1, 2, '\\', 0xff}, `"\\\u0041"`, []byte(`"\\"`)},
	}
	for i, r := range rows {
		if _, err := db.ExecContext(ctx, `INSERT INTO kinds VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
			int64(i), r.t, r.b, when, i%2 == 0, int64(-9007199254740993+i), -1.5e-7*float64(i), id, r.j, r.jb); err != nil {
			t.Fatalf("insert row %d: %v", i, err)
		}
	}
	for i, r := range rows {
		var (
			gotT  sql.NullString
			gotB  []byte
			gotTS time.Time
			gotOK bool
			gotN  int64
			gotF  float64
			gotU  uuid.UUID
			gotJ  sql.NullString
			gotJB sql.NullString
		)
		// Arguments in the WHERE clause too, and a $ inside a literal.
		err := db.QueryRowContext(ctx, `SELECT t, b, ts, ok, n, f, u, j::text, jb::text FROM kinds
			WHERE id = $1 AND ts = $2 AND u = $3 AND ok = $4 AND '$1' = '$'||'1' -- $5
			AND (b IS NOT DISTINCT FROM $5) /* $6 */ AND $$ $7 $$ = ' $7 '`,
			int64(i), when, id, i%2 == 0, r.b).Scan(&gotT, &gotB, &gotTS, &gotOK, &gotN, &gotF, &gotU, &gotJ, &gotJB)
		if err != nil {
			t.Fatalf("read row %d: %v", i, err)
		}
		if want, _ := r.t.(string); gotT.Valid != (r.t != nil) || gotT.String != want {
			t.Errorf("row %d text = %q; want %q", i, gotT.String, want)
		}
		if !bytes.Equal(gotB, r.b) || (gotB == nil) != (r.b == nil) {
			t.Errorf("row %d bytea = %q; want %q", i, gotB, r.b)
		}
		if !gotTS.Equal(when) || gotOK != (i%2 == 0) || gotN != int64(-9007199254740993+i) || gotF != -1.5e-7*float64(i) || gotU != id {
			t.Errorf("row %d = %v %v %v %v %v", i, gotTS, gotOK, gotN, gotF, gotU)
		}
		if j, _ := r.j.(string); (r.j != nil) != gotJ.Valid || (gotJ.Valid && !jsonEqual(t, gotJ.String, j)) {
			t.Errorf("row %d jsonb from text = %q; want %q", i, gotJ.String, j)
		}
		if (r.jb != nil) != gotJB.Valid || (gotJB.Valid && !jsonEqual(t, gotJB.String, string(r.jb))) {
			t.Errorf("row %d jsonb from bytes = %q; want %q", i, gotJB.String, r.jb)
		}
	}
	_, err := db.ExecContext(ctx, `INSERT INTO kinds (id, t) VALUES ($1, $2)`, int64(99), "nul\x00inside")
	if !errors.Is(err, store.ErrNULInText) {
		t.Errorf("text with NUL: err = %v; want ErrNULInText", err)
	}
	// An UPDATE's row count comes back as lib/pq reports it.
	res, err := db.ExecContext(ctx, `UPDATE kinds SET n = n + $1 WHERE id < $2`, int64(1), int64(3))
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := res.RowsAffected(); n != 3 {
		t.Errorf("rows affected = %d; want 3", n)
	}
}

// jsonEqual compares two JSON documents as PostgreSQL normalises them.
func jsonEqual(t *testing.T, got, want string) bool {
	t.Helper()
	return strings.ReplaceAll(got, " ", "") == strings.ReplaceAll(normaliseJSON(want), " ", "")
}

// normaliseJSON undoes the escapes jsonb does not keep.
func normaliseJSON(s string) string {
	return strings.NewReplacer(`\u003c`, "<", `\u0041`, "A").Replace(s)
}

// BenchmarkPooledStatement measures one look-up by key with an argument
// outside a transaction, through PgBouncer in transaction pooling mode: as
// one message (what the store sends), and in a transaction of its own
// (BEGIN, Parse/Describe, Bind/Execute, COMMIT: four round trips); and,
// for reference, lib/pq's two exchanges on a direct session (which through
// the pooler would fail).
func BenchmarkPooledStatement(b *testing.B) {
	pooled, direct := pgtest.NewPooled(b)
	s, err := store.OpenConfig(context.Background(), store.Config{DatabaseURL: pooled, DirectURL: direct})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	const q = `SELECT count(*) FROM atlas_schema_revisions WHERE version = $1`
	b.Run("one-message", func(b *testing.B) {
		for b.Loop() {
			var n int
			if err := s.DB.QueryRowContext(ctx, q, "20261123094257").Scan(&n); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("own-transaction", func(b *testing.B) {
		for b.Loop() {
			tx, err := s.DB.BeginTx(ctx, nil)
			if err != nil {
				b.Fatal(err)
			}
			var n int
			if err := tx.QueryRowContext(ctx, q, "20261123094257").Scan(&n); err != nil {
				b.Fatal(err)
			}
			if err := tx.Commit(); err != nil {
				b.Fatal(err)
			}
		}
	})
	db, err := sql.Open("postgres", direct)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	b.Run("lib/pq-direct", func(b *testing.B) {
		for b.Loop() {
			var n int
			if err := db.QueryRowContext(ctx, q, "20261123094257").Scan(&n); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// TestPooledSurvivesPgBouncerRestart restarts PgBouncer (a safe shutdown,
// then a start on the same port) under a store that runs statements
// without pause: the pool drops the connections PgBouncer closed, and a
// connection refused while it is down is tried again, so no statement
// fails.
func TestPooledSurvivesPgBouncerRestart(t *testing.T) {
	direct := pgtest.New(t)
	b, err := pgtest.StartPgBouncer(direct, "transaction")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	t.Cleanup(func() { b.Close() })
	s, err := store.OpenConfig(context.Background(), store.Config{DatabaseURL: b.DSN(direct), DirectURL: direct})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx, stop := context.WithCancel(context.Background())
	var (
		wg     sync.WaitGroup
		mu     sync.Mutex
		errs   []error
		before int
		n      atomic.Int64
	)
	for w := range 8 {
		wg.Go(func() {
			for i := 0; ctx.Err() == nil; i++ {
				var got int
				err := s.DB.QueryRowContext(context.Background(), "SELECT $1::int FROM pg_sleep(0.005)", int64(w*1000+i)).Scan(&got)
				if err != nil {
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
				}
				n.Add(1)
			}
		})
	}
	time.Sleep(300 * time.Millisecond)
	before = int(n.Load())
	sctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := b.Shutdown(sctx); err != nil {
		t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond)
	if err := b.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(500 * time.Millisecond)
	stop()
	wg.Wait()
	if before == 0 || int(n.Load()) <= before {
		t.Fatalf("statements: %d before the restart, %d in all", before, n.Load())
	}
	for _, err := range errs {
		t.Error(err)
	}
}

// cuttingProxy forwards TCP connections to a database server and, when
// armed, resets the next client connection that sends anything instead of
// forwarding it: a pooler going away while a statement waits in its queue.
type cuttingProxy struct {
	ln    net.Listener
	to    string
	armed atomic.Bool
	cuts  atomic.Int64
}

func newCuttingProxy(t *testing.T, to string) *cuttingProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &cuttingProxy{ln: ln, to: to}
	t.Cleanup(func() { ln.Close() })
	go p.serve()
	return p
}

func (p *cuttingProxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		go p.forward(c.(*net.TCPConn))
	}
}

func (p *cuttingProxy) forward(c *net.TCPConn) {
	defer c.Close()
	up, err := net.Dial("tcp", p.to)
	if err != nil {
		return
	}
	defer up.Close()
	go func() { _, _ = io.Copy(c, up); c.Close() }()
	buf := make([]byte, 64<<10)
	for {
		n, err := c.Read(buf)
		if err != nil {
			return
		}
		if p.armed.CompareAndSwap(true, false) {
			p.cuts.Add(1)
			_ = c.SetLinger(0) // close with RST: "connection reset by peer"
			return
		}
		if _, err := up.Write(buf[:n]); err != nil {
			return
		}
	}
}

// TestReadSentAgainWhenConnectionLost: a read outside a transaction whose
// connection is reset before the answer is sent again on a new connection
// and succeeds; a write is never sent twice (whether it ran is unknown), so
// its caller sees the error.
func TestReadSentAgainWhenConnectionLost(t *testing.T) {
	direct := pgtest.New(t)
	u, err := url.Parse(direct)
	if err != nil {
		t.Fatal(err)
	}
	p := newCuttingProxy(t, u.Host)
	via := *u
	via.Host = p.ln.Addr().String()
	s, err := store.OpenConfig(context.Background(), store.Config{DatabaseURL: via.String(), DirectURL: direct})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	if _, err := s.DB.ExecContext(ctx, "CREATE TABLE cut_probe (n int)"); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		"SELECT $1::int",
		"  /* a comment */ SELECT $1::int",
		"-- a comment\n(SELECT $1::int)",
		"VALUES ($1::int)",
	} {
		p.armed.Store(true)
		var got int
		if err := s.DB.QueryRowContext(ctx, q, 7).Scan(&got); err != nil || got != 7 {
			t.Errorf("%q after a reset: %d, %v; want 7 on another connection", q, got, err)
		}
		if p.armed.Load() {
			t.Fatalf("%q: the proxy cut nothing, so the test proves nothing", q)
		}
	}
	for _, q := range []string{
		"INSERT INTO cut_probe (n) VALUES ($1) RETURNING n",
		"WITH x AS (INSERT INTO cut_probe (n) VALUES ($1) RETURNING n) SELECT n FROM x",
		"SELECT $1::int AS n INTO cut_probe_copy",
	} {
		p.armed.Store(true)
		var got int
		err := s.DB.QueryRowContext(ctx, q, 7).Scan(&got)
		if err == nil {
			t.Errorf("%q after a reset succeeded: a write was sent again", q)
		}
	}
	var n int
	if err := s.DB.QueryRowContext(ctx, "SELECT count(*) FROM cut_probe").Scan(&n); err != nil || n != 0 {
		t.Fatalf("rows written by writes that were cut: %d, %v; want 0", n, err)
	}
	if got := p.cuts.Load(); got != 7 {
		t.Fatalf("cuts: %d, want 7", got)
	}
}
