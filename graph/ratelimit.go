package graph

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/google/uuid"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/acme/directory/access"
)

// codeRateLimited is the code of an operation refused because its key has
// spent its budget (HTTP 429 with Retry-After).
const codeRateLimited = "RATE_LIMITED"

// The rate limit. Every API key has a budget of cost points (the same
// cost the complexity limit measures): a token bucket that holds up to
// burst points and refills at rate points a second. An operation takes
// its cost from its key's bucket before it runs; one that finds too few
// points is refused, 429 with Retry-After, and takes nothing.
//
// The buckets live in this process's memory, and the limit is split
// between the servers of the database: with n replicas (as the broker
// counts them by their heartbeats), each one's bucket refills at rate/n
// and holds burst/n (never less than the most one operation may cost), so
// that behind a load balancer that spreads a key's requests, the key's
// budget across the service is the configured one, with no write to the
// database per request. A client whose requests all reach one replica
// gets that replica's share. The split follows replicas as they come and
// go, within three heartbeats.

// buckets are the token buckets of the API keys.
type buckets struct {
	rate  float64 // points a second
	burst float64 // points a full bucket holds
	now   func() time.Time
	// share is how many servers split the limit (nil: one); minBurst is
	// the least a server's share of the burst may be.
	share    func() int
	minBurst float64

	mu   sync.Mutex
	keys map[uuid.UUID]*bucket
}

// bucket is one key's budget as of last.
type bucket struct {
	tokens float64
	last   time.Time
}

// maxIdleBuckets is the count above which take drops the buckets that have
// refilled: a full bucket is the same as none.
const maxIdleBuckets = 10000

// newBuckets returns the buckets of a rate limit.
func newBuckets(rate, burst float64) *buckets {
	return &buckets{rate: rate, burst: burst, now: time.Now, keys: map[uuid.UUID]*bucket{}}
}

// budget is what take tells the caller.
type budget struct {
	cost       int
	limit      int
	remaining  int
	rate       float64
	resetAfter time.Duration // until the bucket is full again
	retryAfter time.Duration // until cost would fit; 0 when it was taken
}

// take takes cost points from key's bucket if it holds them.
func (b *buckets) take(key uuid.UUID, cost int) budget {
	now := b.now()
	rate, burst := b.shared()
	b.mu.Lock()
	defer b.mu.Unlock()
	bk := b.keys[key]
	if bk == nil {
		if len(b.keys) >= maxIdleBuckets {
			b.sweep(now)
		}
		bk = &bucket{tokens: burst, last: now}
		b.keys[key] = bk
	}
	bk.tokens = math.Min(burst, bk.tokens+now.Sub(bk.last).Seconds()*rate)
	bk.last = now
	out := budget{cost: cost, limit: int(burst), rate: rate}
	if float64(cost) <= bk.tokens {
		bk.tokens -= float64(cost)
	} else {
		out.retryAfter = seconds((float64(cost) - bk.tokens) / rate)
	}
	out.remaining = int(bk.tokens)
	out.resetAfter = seconds((burst - bk.tokens) / rate)
	return out
}

// shared returns this server's share of the rate and the burst.
func (b *buckets) shared() (rate, burst float64) {
	n := 1
	if b.share != nil {
		n = max(b.share(), 1)
	}
	return b.rate / float64(n), math.Max(b.burst/float64(n), math.Min(b.minBurst, b.burst))
}

// sweep drops the buckets that are full again by now.
func (b *buckets) sweep(now time.Time) {
	for k, bk := range b.keys {
		if bk.tokens+now.Sub(bk.last).Seconds()*b.rate >= b.burst {
			delete(b.keys, k)
		}
	}
}

// seconds converts a count of seconds to a duration.
func seconds(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }

// requestCost is carried in a request's context from the endpoint to the
// extensions: shapeLimit fills in the operation's cost, rateLimit its
// budget, and the endpoint's writer turns them into headers and the status.
type requestCost struct {
	mu      sync.Mutex
	cost    int
	charged bool // a budget was taken or refused
	budget  budget
}

type requestCostKey struct{}

// withRequestCost returns ctx carrying rc.
func withRequestCost(ctx context.Context, rc *requestCost) context.Context {
	return context.WithValue(ctx, requestCostKey{}, rc)
}

// requestCostOf returns the requestCost of ctx, or nil.
func requestCostOf(ctx context.Context) *requestCost {
	rc, _ := ctx.Value(requestCostKey{}).(*requestCost)
	return rc
}

// setCost records an operation's cost, when the request carries a
// requestCost.
func setCost(ctx context.Context, cost int) {
	if rc := requestCostOf(ctx); rc != nil {
		rc.mu.Lock()
		rc.cost = cost
		rc.mu.Unlock()
	}
}

// rateLimit charges each operation's cost to its API key (see buckets). It
// runs after shapeLimit, which measures the cost, over every transport: a
// subscription started on a WebSocket is charged as a query is (its
// socket's context carries the requestCost).
type rateLimit struct {
	buckets *buckets
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
	graphql.ResponseInterceptor
} = rateLimit{}

// ExtensionName implements graphql.HandlerExtension.
func (rateLimit) ExtensionName() string { return "RateLimit" }

// Validate implements graphql.HandlerExtension.
func (rateLimit) Validate(graphql.ExecutableSchema) error { return nil }

// MutateOperationContext implements graphql.OperationContextMutator.
func (l rateLimit) MutateOperationContext(ctx context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	rc := requestCostOf(ctx)
	v := access.FromContext(ctx)
	if rc == nil || v == nil || l.buckets == nil {
		return nil
	}
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.budget = l.buckets.take(v.CredentialID, max(rc.cost, 1))
	rc.charged = true
	if rc.budget.retryAfter == 0 {
		return nil
	}
	err := gqlerror.ErrorPosf(oc.Operation.Position,
		"this API key has spent its budget: the operation costs %d, %d remain, %g come back a second; retry in %s",
		rc.budget.cost, rc.budget.remaining, rc.budget.rate, retryAfter(rc.budget.retryAfter)+"s")
	errcode.Set(err, codeRateLimited)
	return err
}

// InterceptResponse implements graphql.ResponseInterceptor: it reports
// the cost and the budget left in extensions.cost.
func (l rateLimit) InterceptResponse(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	resp := next(ctx)
	rc := requestCostOf(ctx)
	if resp == nil || rc == nil || isSubscription(ctx) {
		return resp
	}
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if !rc.charged {
		return resp
	}
	if resp.Extensions == nil {
		resp.Extensions = map[string]any{}
	}
	resp.Extensions["cost"] = map[string]any{
		"requestedQueryCost": rc.budget.cost,
		"limit":              rc.budget.limit,
		"remaining":          rc.budget.remaining,
		"restoreRate":        rc.budget.rate,
		"resetSeconds":       math.Ceil(rc.budget.resetAfter.Seconds()),
	}
	return resp
}

// isSubscription reports whether ctx runs a subscription, whose events
// carry no cost report.
func isSubscription(ctx context.Context) bool {
	if !graphql.HasOperationContext(ctx) {
		return false
	}
	op := graphql.GetOperationContext(ctx).Operation
	return op != nil && op.Operation == ast.Subscription
}

// retryAfter is a Retry-After value: whole seconds, at least 1.
func retryAfter(d time.Duration) string {
	return strconv.Itoa(max(1, int(math.Ceil(d.Seconds()))))
}

// costWriter sets the RateLimit-* headers (and, when the budget was
// spent, the status 429 and Retry-After) before the response's header
// is written, and turns gqlgen's 406 for a mutation over GET into 405.
type costWriter struct {
	http.ResponseWriter
	rc    *requestCost
	get   bool // the request is a GET
	wrote bool
}

// WriteHeader implements http.ResponseWriter.
func (w *costWriter) WriteHeader(code int) {
	if w.wrote {
		w.ResponseWriter.WriteHeader(code)
		return
	}
	w.wrote = true
	w.rc.mu.Lock()
	charged, b := w.rc.charged, w.rc.budget
	w.rc.mu.Unlock()
	if w.get && code == http.StatusNotAcceptable {
		// gqlgen's GET transport refuses a mutation with 406; the
		// GraphQL-over-HTTP specification says 405 with Allow.
		w.Header().Set("Allow", "POST")
		code = http.StatusMethodNotAllowed
	}
	if charged {
		h := w.Header()
		h.Set("RateLimit-Limit", strconv.Itoa(b.limit))
		h.Set("RateLimit-Remaining", strconv.Itoa(b.remaining))
		h.Set("RateLimit-Reset", fmt.Sprint(int(math.Ceil(b.resetAfter.Seconds()))))
		if b.retryAfter > 0 {
			h.Set("Retry-After", retryAfter(b.retryAfter))
			code = http.StatusTooManyRequests
		}
	}
	w.ResponseWriter.WriteHeader(code)
}

// Write implements http.ResponseWriter.
func (w *costWriter) Write(p []byte) (int, error) {
	if !w.wrote {
		w.WriteHeader(http.StatusOK)
	}
	return w.ResponseWriter.Write(p)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *costWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
