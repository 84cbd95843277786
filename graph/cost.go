package graph

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"math"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"entgo.io/ent/dialect"
	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/google/uuid"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/acme/directory/access"
	"github.com/acme/directory/domain"
	"github.com/acme/directory/ent"
)

// Cost that follows SQL. A where argument on users or groups that the
// database cannot answer from an index (a search box query, a substring,
// prefix, suffix or case-folded test, an or, a not) reads every row of the
// table it is scoped to: such a field costs, on top of its complexity, the
// rows it may read (the organization's users or groups, from the totals
// the database maintains per directory) divided by ScanRowsPerPoint, once
// per scanning test. On PostgreSQL, a search box query that holds a
// trigram is served by the trigram indexes (domain.IndexedSearch) and
// costs a tenth of that. The cost multiplies under paginated parents like
// every other, so 50 aliases of an or of 4 searches over 10,000 users cost
// what 200 scans of 10,000 rows cost, and the complexity limit refuses
// them. Operations that scan, or cost more than ExpensiveCost, also take
// one of a few slots of their organization (expensiveSlots).

// indexedScanDivisor is how much less a search served by the trigram
// indexes costs than one that reads every row.
const indexedScanDivisor = 10

// scanPricer prices the scans of where arguments in rows.
type scanPricer struct {
	client *ent.Client
	// postgres: the trigram indexes exist (migration user_search_trigrams).
	postgres     bool
	rowsPerPoint int
}

// opScan is what shapeLimit learns of an operation for the extensions
// after it (expensiveSlots): its cost and whether it scans.
type opScan struct {
	cost  int
	scans bool
}

// opScanExtension is the key of opScan in the operation's Stats.
const opScanExtension = "directory.scan"

// totals are the rows the viewer's scans may read.
type totals struct {
	// users and groups: of the viewer's organization; for a platform key,
	// of the largest organization (nested fields read one organization's
	// rows), and allUsers, allGroups of every organization (root fields).
	users, groups, allUsers, allGroups int
}

// rowsFor returns the totals of the viewer of ctx, read once per
// operation (memo) and only when a where argument scans.
func (p *scanPricer) rowsFor(ctx context.Context) totals {
	var out totals
	v := access.FromContext(ctx)
	if v == nil {
		return out
	}
	query := `SELECT organization_id, COALESCE(SUM(user_total), 0), COALESCE(SUM(group_total), 0) FROM directories`
	var args []any
	if !v.IsPlatform() {
		query += ` WHERE organization_id = $1`
		args = append(args, v.OrganizationID)
	}
	query += ` GROUP BY organization_id`
	rows, err := p.client.QueryContext(ctx, query, args...)
	if err != nil {
		slog.WarnContext(ctx, "graph: read the totals that price scans", "err", err)
		return out
	}
	defer rows.Close()
	for rows.Next() {
		var org uuid.UUID
		var u, g int64
		if err := rows.Scan(&org, &u, &g); err != nil {
			slog.WarnContext(ctx, "graph: read the totals that price scans", "err", err)
			return out
		}
		out.users, out.groups = max(out.users, int(u)), max(out.groups, int(g))
		out.allUsers, out.allGroups = safeAdd(out.allUsers, int(u)), safeAdd(out.allGroups, int(g))
	}
	if err := rows.Err(); err != nil {
		slog.WarnContext(ctx, "graph: read the totals that price scans", "err", err)
	}
	return out
}

// scanCost is the cost of the scans of field f's where arguments, and
// whether it has any. rows reads the totals (memoised by the caller).
func (p *scanPricer) scanCost(f *ast.Field, args map[string]any, root bool, rows func() totals) (int, bool) {
	if p == nil || f.Definition == nil {
		return 0, false
	}
	cost, scans := 0, false
	for _, def := range f.Definition.Arguments {
		var table func(totals) int
		switch def.Type.Name() {
		case "UserWhereInput":
			table = func(t totals) int { return pick(root, t.allUsers, t.users) }
		case "GroupWhereInput":
			table = func(t totals) int { return pick(root, t.allGroups, t.groups) }
		default:
			continue
		}
		w, _ := args[def.Name].(map[string]any)
		full, indexed := p.countScans(w)
		if full == 0 && indexed == 0 {
			continue
		}
		scans = true
		n := table(rows())
		per := float64(n) / float64(p.rowsPerPoint)
		c := per*float64(full) + per/indexedScanDivisor*float64(indexed)
		if c >= math.MaxInt32 {
			c = math.MaxInt32
		}
		cost = safeAdd(cost, max(1, int(math.Ceil(c))))
	}
	return cost, scans
}

// pick is a if root, else b.
func pick(root bool, a, b int) int {
	if root {
		return a
	}
	return b
}

// countScans counts the tests of a where input that read every row they
// are scoped to (full), and the search box queries the trigram indexes
// serve (indexed). Equality, range and In tests of the generated inputs
// are not counted: the tenant's indexes or the other tests of the same
// level narrow them, or they are cheap per row.
func (p *scanPricer) countScans(w map[string]any) (full, indexed int) {
	for _, k := range slices.Sorted(maps.Keys(w)) {
		switch v := w[k].(type) {
		case string:
			switch {
			case k == "query":
				if strings.TrimSpace(v) == "" {
					continue
				}
				if p.postgres && domain.IndexedSearch(v) {
					indexed++
				} else {
					full++
				}
			case scanningTest(k):
				full++
			}
		case map[string]any: // not: no index serves a negation
			f, i := p.countScans(v)
			full += max(f+i, 1)
		case []any: // or, and, has...With
			bf, bi := 0, 0
			for _, e := range v {
				if m, ok := e.(map[string]any); ok {
					f, i := p.countScans(m)
					bf, bi = bf+f, bi+i
				}
			}
			if k == "or" && len(v) > 1 && bf == 0 && bi == 0 {
				bf = 1 // an or over several columns reads every row
			}
			full, indexed = full+bf, indexed+bi
		}
	}
	return full, indexed
}

// scanningTest reports whether a generated where field is a substring,
// prefix, suffix or case-folded test, which no index of ours serves.
func scanningTest(field string) bool {
	for _, s := range []string{"Contains", "ContainsFold", "HasPrefix", "HasSuffix", "EqualFold"} {
		if strings.HasSuffix(field, s) {
			return true
		}
	}
	return false
}

// expensiveSlots caps the expensive operations (those that scan or cost
// more than cost) running at once per organization (per key for platform
// keys) at per: one that finds no free slot within wait is refused with
// RATE_LIMITED (HTTP 429 with Retry-After), so one key or organization
// cannot occupy the database while other tenants wait. Subscriptions are
// not counted.
type expensiveSlots struct {
	per  int
	cost int
	wait time.Duration

	mu    sync.Mutex
	slots map[uuid.UUID]*slot
}

// slot is the semaphore of one organization, dropped when no operation
// holds or waits for it.
type slot struct {
	sem   chan struct{}
	users int
}

var _ interface {
	graphql.HandlerExtension
	graphql.ResponseInterceptor
} = &expensiveSlots{}

// newExpensiveSlots returns the cap.
func newExpensiveSlots(per, cost int, wait time.Duration) *expensiveSlots {
	return &expensiveSlots{per: per, cost: cost, wait: wait, slots: map[uuid.UUID]*slot{}}
}

// ExtensionName implements graphql.HandlerExtension.
func (*expensiveSlots) ExtensionName() string { return "ExpensiveSlots" }

// Validate implements graphql.HandlerExtension.
func (*expensiveSlots) Validate(graphql.ExecutableSchema) error { return nil }

// InterceptResponse implements graphql.ResponseInterceptor: an expensive
// query or mutation runs holding a slot of its organization.
func (s *expensiveSlots) InterceptResponse(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	if !graphql.HasOperationContext(ctx) {
		return next(ctx)
	}
	oc := graphql.GetOperationContext(ctx)
	v := access.FromContext(ctx)
	sc, _ := oc.Stats.GetExtension(opScanExtension).(opScan)
	if v == nil || oc.Operation == nil || oc.Operation.Operation == ast.Subscription || (!sc.scans && sc.cost <= s.cost) {
		return next(ctx)
	}
	key := v.OrganizationID
	if key == uuid.Nil {
		key = v.CredentialID
	}
	release, ok := s.acquire(ctx, key)
	if !ok {
		retry := max(time.Second, s.wait)
		markBusy(ctx, retry)
		err := gqlerror.ErrorPosf(oc.Operation.Position,
			"%d expensive operations (searches, scans, or costs over %d) of this organization are running; retry in %ss",
			s.per, s.cost, retryAfter(retry))
		errcode.Set(err, codeRateLimited)
		return &graphql.Response{Errors: gqlerror.List{err}}
	}
	defer release()
	return next(ctx)
}

// acquire takes a slot of key, waiting up to s.wait, and returns its
// release.
func (s *expensiveSlots) acquire(ctx context.Context, key uuid.UUID) (func(), bool) {
	s.mu.Lock()
	sl := s.slots[key]
	if sl == nil {
		sl = &slot{sem: make(chan struct{}, s.per)}
		s.slots[key] = sl
	}
	sl.users++
	s.mu.Unlock()
	done := func() {
		s.mu.Lock()
		if sl.users--; sl.users == 0 {
			delete(s.slots, key)
		}
		s.mu.Unlock()
	}
	select {
	case sl.sem <- struct{}{}:
		return func() { <-sl.sem; done() }, true
	default:
	}
	t := time.NewTimer(s.wait)
	defer t.Stop()
	select {
	case sl.sem <- struct{}{}:
		return func() { <-sl.sem; done() }, true
	case <-t.C:
	case <-ctx.Done():
	}
	done()
	return nil, false
}

// busyWriter answers 429 with Retry-After when expensiveSlots refused the
// request's operation (markBusy), whatever status the transport writes.
type busyWriter struct {
	http.ResponseWriter
	mu    sync.Mutex
	retry time.Duration
	wrote bool
}

type busyKey struct{}

// withBusy returns ctx carrying w, for markBusy.
func withBusy(ctx context.Context, w *busyWriter) context.Context {
	return context.WithValue(ctx, busyKey{}, w)
}

// markBusy records that the request's operation was refused for want of
// a slot, to be retried after retry.
func markBusy(ctx context.Context, retry time.Duration) {
	if w, ok := ctx.Value(busyKey{}).(*busyWriter); ok {
		w.mu.Lock()
		w.retry = retry
		w.mu.Unlock()
	}
}

// WriteHeader implements http.ResponseWriter.
func (w *busyWriter) WriteHeader(code int) {
	w.mu.Lock()
	retry, first := w.retry, !w.wrote
	w.wrote = true
	w.mu.Unlock()
	if first && retry > 0 && code == http.StatusOK {
		w.Header().Set("Retry-After", retryAfter(retry))
		code = http.StatusTooManyRequests
	}
	w.ResponseWriter.WriteHeader(code)
}

// Write implements http.ResponseWriter.
func (w *busyWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	wrote := w.wrote
	w.mu.Unlock()
	if !wrote {
		w.WriteHeader(http.StatusOK)
	}
	return w.ResponseWriter.Write(p)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *busyWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// newScanPricer returns the pricer of the scans of svc's database.
func newScanPricer(svc *domain.Service, rowsPerPoint int) *scanPricer {
	return &scanPricer{client: svc.Client(), postgres: svc.Dialect() == dialect.Postgres, rowsPerPoint: rowsPerPoint}
}

// describeScan is the message suffix naming an operation's scan cost.
func describeScan(scan int) string {
	if scan == 0 {
		return ""
	}
	return fmt.Sprintf(" (%d of it for where arguments that read every user or group of the organization)", scan)
}
