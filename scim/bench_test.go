package scim_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"syscall"
	"testing"
	"time"

	"entgo.io/ent/dialect"
	"github.com/google/uuid"

	"github.com/acme/directory/access"
	"github.com/acme/directory/domain"
	"github.com/acme/directory/ent"
	"github.com/acme/directory/scim"
	"github.com/acme/directory/store"
	"github.com/acme/directory/store/storetest"
)

// seedUsers inserts n users into the env's directory with set-based
// inserts and returns their ids.
func seedUsers(tb testing.TB, e *env, n int) []string {
	tb.Helper()
	ctx := domain.Seeding(access.PlatformContext(context.Background())) // bulk fixtures, written directly
	ids := make([]string, 0, n)
	for start := 0; start < n; start += 2000 {
		batch := make([]*ent.UserCreate, 0, 2000)
		for i := start; i < min(n, start+2000); i++ {
			id := uuid.Must(uuid.NewV7())
			ids = append(ids, id.String())
			batch = append(batch, e.store.Client.User.Create().SetID(id).
				SetOrganizationID(e.org.ID).SetDirectoryID(e.dir.ID).
				SetUserName(fmt.Sprintf("user%06d@example.com", i)))
		}
		e.store.Client.User.CreateBulk(batch...).ExecX(ctx)
	}
	return ids
}

func memberValues(ids []string) []any {
	out := make([]any, len(ids))
	for i, id := range ids {
		out[i] = map[string]any{"value": id}
	}
	return out
}

// BenchmarkPatchMembers10k adds 10,000 members to a group in one PATCH and
// removes them again in another: set-based SQL, a few statements per 2,000
// members. One op is the add plus the remove.
func BenchmarkPatchMembers10k(b *testing.B) {
	for _, d := range storetest.Dialects {
		b.Run(d, func(b *testing.B) {
			e := newEnv(b, storetest.Open(b, d), "generic")
			ids := seedUsers(b, e, 10000)
			g := benchDo(b, e, 201, "POST", "/Groups", groupBody("Big"))
			add := patchBody(op("add", "members", memberValues(ids)))
			remove := patchBody(op("remove", "members", memberValues(ids)))
			b.ResetTimer()
			for b.Loop() {
				benchDo(b, e, 200, "PATCH", "/Groups/"+g+"?excludedAttributes=members", add)
				benchDo(b, e, 200, "PATCH", "/Groups/"+g+"?excludedAttributes=members", remove)
			}
		})
	}
}

// BenchmarkGetGroup50k reads a group of 50,000 members, streamed, and the
// same group with excludedAttributes=members as the baseline.
func BenchmarkGetGroup50k(b *testing.B) {
	for _, d := range storetest.Dialects {
		b.Run(d, func(b *testing.B) {
			e := newEnv(b, storetest.Open(b, d), "generic")
			ids := seedUsers(b, e, 50000)
			g := benchDo(b, e, 201, "POST", "/Groups", groupBody("Huge"))
			benchDo(b, e, 200, "PATCH", "/Groups/"+g+"?excludedAttributes=members",
				patchBody(op("add", "members", memberValues(ids))))
			for _, path := range []string{"/Groups/" + g, "/Groups/" + g + "?excludedAttributes=members"} {
				name := "members"
				if len(path) > 50 {
					name = "excluded"
				}
				b.Run(name, func(b *testing.B) {
					b.ReportAllocs()
					defer reportCPU(b)()
					for b.Loop() {
						benchDo(b, e, 200, "GET", path, nil)
					}
				})
			}
		})
	}
}

// BenchmarkGetGroup1k reads a group of 1,000 members (issue 17), in a
// directory of 1,000 users and in one of 100,000, with fresh statistics
// (ANALYZE, PRAGMA optimize) as a running server has them: the page's
// cost must not grow with the directory.
func BenchmarkGetGroup1k(b *testing.B) {
	for _, d := range storetest.Dialects {
		b.Run(d, func(b *testing.B) {
			for _, users := range []int{1000, 100000} {
				b.Run(fmt.Sprintf("users=%d", users), func(b *testing.B) {
					st := storetest.Open(b, d)
					e := newEnv(b, st, "generic")
					ids := seedUsers(b, e, users)
					g := benchDo(b, e, 201, "POST", "/Groups", groupBody("Thousand"))
					benchDo(b, e, 200, "PATCH", "/Groups/"+g+"?excludedAttributes=members",
						patchBody(op("add", "members", memberValues(ids[:1000]))))
					analyze(b, st)
					b.ReportAllocs()
					defer reportCPU(b)()
					for b.Loop() {
						benchDo(b, e, 200, "GET", "/Groups/"+g, nil)
					}
				})
			}
		})
	}
}

// analyze refreshes the planner's statistics of st.
func analyze(tb testing.TB, st *store.Store) {
	tb.Helper()
	ctx := context.Background()
	if st.Dialect == dialect.Postgres {
		if _, err := st.DB.ExecContext(ctx, "ANALYZE"); err != nil {
			tb.Fatal(err)
		}
	} else if err := st.Optimize(ctx); err != nil {
		tb.Fatal(err)
	}
}

// reportCPU reports the processor time (user and system) of the whole
// test process per operation, client included: on a shared machine a
// steadier measure than the elapsed time. Call the result when done.
func reportCPU(b *testing.B) func() {
	start := processCPU()
	return func() {
		if b.N > 0 {
			b.ReportMetric(float64((processCPU()-start).Microseconds())/float64(b.N), "cpu-µs/op")
		}
	}
}

func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// benchDo sends a request and discards the body, returning the created id
// for 201s.
func benchDo(b *testing.B, e *env, want int, method, path string, body any) string {
	b.Helper()
	req := e.request(b, method, path, body)
	res, err := e.srv.Client().Do(req)
	if err != nil {
		b.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	if res.StatusCode != want {
		raw, _ := io.ReadAll(res.Body)
		b.Fatalf("%s %s: status %d; want %d: %s", method, path, res.StatusCode, want, raw)
	}
	if want == http.StatusCreated {
		return res.Header.Get("Location")[len(e.base+"/Groups/"):]
	}
	io.Copy(io.Discard, res.Body)
	return ""
}

// BenchmarkHotPaths is the hot requests of issue 9 through the whole
// handler (authentication with a warm credential cache, SQL, encoding):
// GET of a user by id, POST of a new user, and PATCH adding one member to
// a group of 1,000. Profile one with -cpuprofile, e.g.
//
//	go test -run '^$' -bench 'HotPaths/postgres/post' -cpuprofile cpu.out ./scim/
func BenchmarkHotPaths(b *testing.B) {
	for _, d := range storetest.Dialects {
		b.Run(d, func(b *testing.B) {
			e := newEnv(b, storetest.Open(b, d), "okta")
			ids := seedUsers(b, e, 1000)
			g := benchDo(b, e, 201, "POST", "/Groups", groupBody("Thousand"))
			benchDo(b, e, 200, "PATCH", "/Groups/"+g+"?excludedAttributes=members",
				patchBody(op("add", "members", memberValues(ids))))
			b.Run("get", func(b *testing.B) {
				defer reportCPU(b)()
				for i := 0; b.Loop(); i++ {
					benchDo(b, e, 200, "GET", "/Users/"+ids[i%len(ids)], nil)
				}
			})
			b.Run("filter", func(b *testing.B) {
				defer reportCPU(b)()
				for i := 0; b.Loop(); i++ {
					benchDo(b, e, 200, "GET", "/Users?filter="+url.QueryEscape(fmt.Sprintf(`userName eq "user%06d@example.com"`, i%len(ids))), nil)
				}
			})
			b.Run("post", func(b *testing.B) {
				for i := 0; b.Loop(); i++ {
					benchDo(b, e, 201, "POST", "/Users", userBody(fmt.Sprintf("new%07d@example.com", i), "New", "User"))
				}
			})
			// One member out, then back in: each PATCH a real change of a
			// group of about 1,000.
			b.Run("member", func(b *testing.B) {
				for i := 0; b.Loop(); i++ {
					kind := map[bool]string{true: "remove", false: "add"}[i%2 == 0]
					benchDo(b, e, 200, "PATCH", "/Groups/"+g+"?excludedAttributes=members",
						patchBody(op(kind, "members", memberValues([]string{ids[(i/2)%len(ids)]}))))
				}
			})
		})
	}
}

// BenchmarkListLargeGroups lists a page of four groups of 5,000 members
// each: the members are streamed per group, a page of 1,000 at a time, so
// the bytes allocated per list stay far below the response's size.
func BenchmarkListLargeGroups(b *testing.B) {
	for _, d := range storetest.Dialects {
		b.Run(d, func(b *testing.B) {
			e := newEnv(b, storetest.Open(b, d), "generic")
			ids := seedUsers(b, e, 20000)
			for i := range 4 {
				benchDo(b, e, 201, "POST", "/Groups", groupBody(fmt.Sprint("Large ", i), ids[i*5000:(i+1)*5000]...))
			}
			b.ReportAllocs()
			defer reportCPU(b)()
			for b.Loop() {
				benchDo(b, e, 200, "GET", "/Groups?count=10", nil)
			}
		})
	}
}

// BenchmarkRequestLog is GET of a user by id without the request log and
// with it (running, as in the server: written in the background every
// DefaultRequestLogInterval), to show the log adds no work a request
// waits for.
func BenchmarkRequestLog(b *testing.B) {
	for _, d := range storetest.Dialects {
		b.Run(d, func(b *testing.B) {
			st := storetest.Open(b, d)
			plain := newEnv(b, st, "okta")
			log := domain.New(st.Client, st.Dialect).NewRequestLog(domain.RequestLogConfig{})
			ctx, stop := context.WithCancel(context.Background())
			b.Cleanup(stop)
			go log.Run(ctx)
			srv := httptest.NewServer(scim.NewHandler(st, scim.Options{Requests: log}))
			b.Cleanup(srv.Close)
			logged := newTenant(b, st, srv, "okta")
			for _, c := range []struct {
				name string
				e    *env
			}{{"off", plain}, {"on", logged}} {
				ids := seedUsers(b, c.e, 200)
				b.Run(c.name, func(b *testing.B) {
					for i := 0; b.Loop(); i++ {
						benchDo(b, c.e, 200, "GET", "/Users/"+ids[i%len(ids)], nil)
					}
				})
			}
			if log.Dropped() != 0 {
				b.Fatalf("the request log dropped %d entries", log.Dropped())
			}
		})
	}
}

// BenchmarkSkewedPages lists a directory of 60,000 users whose ids all
// come after the 20,000 of another directory, as the bench's million-user
// directory's come after 100,000 of others: its first page, by startIndex
// and by cursor, a cursor page and a startIndex page 54,000 users in, a
// page in meta.created order, and, as the baseline, the first page of the
// other directory, whose rows come first. PostgreSQL once walked the
// primary key past the other directory's rows for the first pages.
func BenchmarkSkewedPages(b *testing.B) {
	for _, d := range storetest.Dialects {
		b.Run(d, func(b *testing.B) {
			st := storetest.Open(b, d)
			other := newEnv(b, st, "generic") // made and filled first, as a directory is
			e := newEnv(b, st, "generic")
			seedUsers(b, other, 20_000)
			seedUsers(b, e, 60_000)
			analyze(b, st)
			deep := ""
			for range 54 {
				deep = e.must(200, "GET", "/Users?attributes=id&count=1000&cursor="+deep, nil).body["nextCursor"].(string)
			}
			for _, c := range []struct {
				name string
				env  *env
				path string
			}{
				{"baseline", other, "/Users?count=50"},
				{"first", e, "/Users?count=50"},
				{"cursorFirst", e, "/Users?count=50&cursor"},
				{"cursorDeep", e, "/Users?count=50&cursor=" + deep},
				{"startIndexDeep", e, "/Users?count=50&startIndex=54001"},
				{"created", e, "/Users?count=50&sortBy=meta.created"},
			} {
				b.Run(c.name, func(b *testing.B) {
					for b.Loop() {
						benchDo(b, c.env, 200, "GET", c.path, nil)
					}
				})
			}
		})
	}
}
