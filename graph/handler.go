package graph

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"os"
	"runtime/debug"
	"strings"
	"time"

	"entgo.io/contrib/entgql"
	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/acme/directory/access"
	"github.com/acme/directory/auth"
	"github.com/acme/directory/broker"
	"github.com/acme/directory/domain"
	"github.com/acme/directory/ent"
	"github.com/acme/directory/fault"
	"github.com/acme/directory/graph/generated"
)

// The defaults of Config's limits.
const (
	DefaultMaxComplexity  = 20000
	DefaultMaxDepth       = 12
	DefaultMaxPageSize    = 100
	DefaultMaxRootFields  = 50
	DefaultMaxAliases     = 100
	DefaultMaxTokens      = 10000
	DefaultMaxBodyBytes   = 1 << 20
	DefaultTimeout        = 30 * time.Second
	DefaultMaxWhereNodes  = 200
	DefaultMaxWhereValues = 1000
	DefaultMaxStringBytes = 4096
	DefaultMaxListValues  = 1000
	// DefaultRateLimitPerSecond is the cost points a key's budget regains
	// a second: about eight pages a second of 100 users with their groups
	// and roles, so an application syncing a large directory is not
	// throttled while a runaway client is.
	DefaultRateLimitPerSecond = 50000
	// DefaultPersistedQueries is how many automatic persisted queries the
	// server keeps.
	DefaultPersistedQueries = 1000
	// DefaultScanRowsPerPoint prices a where test that reads every user
	// or group of the organization at one point per ten rows: a search
	// over 10,000 users costs 1,000.
	DefaultScanRowsPerPoint = 10
	// DefaultExpensiveConcurrency is how many expensive operations of one
	// organization run at once.
	DefaultExpensiveConcurrency = 2
	// DefaultExpensiveCost is the cost above which an operation is
	// expensive even when it does not scan.
	DefaultExpensiveCost = 5000
	// DefaultExpensiveWait is how long an expensive operation waits for a
	// slot of its organization before it is refused.
	DefaultExpensiveWait = 2 * time.Second
)

// maxCachedQueryBytes is the longest query text the parsed-query cache
// keeps, so that its 1,000 entries stay small; longer queries are parsed
// each time.
const maxCachedQueryBytes = 16 << 10

// Config configures the GraphQL handler. Zero limits take the defaults.
type Config struct {
	// PublicURL is the base of the SCIM endpoint URLs shown to admins.
	PublicURL string
	// Introspection enables __schema/__type queries and GraphiQL; turn it
	// off in production if the schema should not be browsable.
	Introspection bool
	// MaxComplexity bounds an operation's cost: one per field, times the
	// page size for the fields under a paginated connection.
	MaxComplexity int
	// MaxDepth bounds how deeply fields may nest (introspection excluded).
	MaxDepth int
	// MaxPageSize bounds first/last on every connection.
	MaxPageSize int
	// NoReadOnlyIntrospection refuses introspection to keys that cannot
	// write (org_read), even with Introspection on.
	NoReadOnlyIntrospection bool
	// MaxRootFields bounds the distinct root fields (response names) of an
	// operation, fragments expanded: each may run queries of its own.
	MaxRootFields int
	// MaxAliases bounds the aliases of an operation, counted with every
	// fragment spread expanded.
	MaxAliases int
	// MaxTokens bounds the tokens of a query document; the parser stops
	// there.
	MaxTokens int
	// MaxBodyBytes bounds a request body; a longer one gets 413.
	MaxBodyBytes int64
	// Timeout bounds a request, reading its body and its SQL included.
	Timeout time.Duration
	// MaxWhereNodes bounds the conditions (fields set, at any depth) of one
	// where argument.
	MaxWhereNodes int
	// MaxWhereValues bounds the values of the lists (In, NotIn) of one
	// where argument, all lists together.
	MaxWhereValues int
	// MaxStringBytes bounds each string of every argument, at any depth of
	// an input object, from a literal or a variable; NUL is refused in all
	// of them (BAD_USER_INPUT naming the field).
	MaxStringBytes int
	// MaxListValues bounds each list argument (and list in an input
	// object) other than a where argument's, which MaxWhereValues bounds.
	MaxListValues int
	// Auth checks the API keys; nil is one with the defaults. Share one
	// with the SCIM handler so last-use writes are throttled once.
	Auth *auth.Authenticator
	// Broker wakes event subscriptions when events commit; nil: they poll.
	Broker *broker.Broker
	// RateLimitPerSecond is the cost points an API key's budget regains a
	// second; negative turns the rate limit off. The servers of one
	// database split it (see ratelimit.go).
	RateLimitPerSecond float64
	// RateLimitBurst is the cost points a full budget holds; at least
	// MaxComplexity, so that every operation the limits allow can run
	// (default: twice MaxComplexity).
	RateLimitBurst int
	// ScanRowsPerPoint prices the where tests that read every row they are
	// scoped to (search box queries, substring, prefix, suffix and
	// case-folded tests, or, not): each costs the organization's users
	// (or groups) divided by this, a tenth of that for a search a trigram
	// index serves on PostgreSQL (see cost.go).
	ScanRowsPerPoint int
	// ExpensiveConcurrency caps the expensive operations (those that scan,
	// or cost more than ExpensiveCost) that one organization (one platform
	// key) runs at once; negative: no cap.
	ExpensiveConcurrency int
	// ExpensiveCost is the cost above which an operation is expensive.
	ExpensiveCost int
	// ExpensiveWait is how long an expensive operation waits for a slot;
	// then it is refused, RATE_LIMITED (HTTP 429 with Retry-After).
	ExpensiveWait time.Duration
	// scan is the scan pricer NewHandler makes for the database.
	scan *scanPricer
	// PersistedQueries is how many automatic persisted queries (by their
	// SHA-256) the server keeps, least recently used dropped first.
	PersistedQueries int
	// SocketInitTimeout is how long a new WebSocket may take to send
	// connection_init; it is then closed with 4408.
	SocketInitTimeout time.Duration
	// SocketIdleTimeout is how long a WebSocket may stay open without a
	// subscription.
	SocketIdleTimeout time.Duration
	// MaxSockets bounds the WebSockets open on this server.
	MaxSockets int
	// MaxSocketsPerAddress bounds the WebSockets open from one client
	// address (the TCP peer: behind a load balancer, its address).
	MaxSocketsPerAddress int
	// MaxPendingSocketsPerAddress bounds the WebSockets of one address
	// that have not sent connection_init yet.
	MaxPendingSocketsPerAddress int
	// MaxSocketsPerKey bounds the WebSockets open with one API key.
	MaxSocketsPerKey int
	// MaxSubscriptionsPerKey bounds the subscriptions running with one
	// API key, on all its sockets together.
	MaxSubscriptionsPerKey int
	// SubscriptionEventsPerSecond is how many events a key's
	// subscriptions receive a second, all together; negative: unpaced.
	SubscriptionEventsPerSecond float64
	// CORSOrigins are the browser origins (https://admin.example.com) that
	// may call the API from a page; none by default. API keys are
	// server-side secrets: allow an origin only for a page that gets its
	// key from the user, never for one that ships a key.
	CORSOrigins []string
}

// withDefaults fills the zero limits.
func (c Config) withDefaults() Config {
	if c.MaxComplexity <= 0 {
		c.MaxComplexity = DefaultMaxComplexity
	}
	if c.MaxDepth <= 0 {
		c.MaxDepth = DefaultMaxDepth
	}
	if c.MaxPageSize <= 0 {
		c.MaxPageSize = DefaultMaxPageSize
	}
	if c.MaxRootFields <= 0 {
		c.MaxRootFields = DefaultMaxRootFields
	}
	if c.MaxAliases <= 0 {
		c.MaxAliases = DefaultMaxAliases
	}
	if c.MaxTokens <= 0 {
		c.MaxTokens = DefaultMaxTokens
	}
	if c.MaxBodyBytes <= 0 {
		c.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if c.Timeout <= 0 {
		c.Timeout = DefaultTimeout
	}
	if c.MaxWhereNodes <= 0 {
		c.MaxWhereNodes = DefaultMaxWhereNodes
	}
	if c.MaxWhereValues <= 0 {
		c.MaxWhereValues = DefaultMaxWhereValues
	}
	if c.MaxStringBytes <= 0 {
		c.MaxStringBytes = DefaultMaxStringBytes
	}
	if c.MaxListValues <= 0 {
		c.MaxListValues = DefaultMaxListValues
	}
	if c.RateLimitPerSecond == 0 {
		c.RateLimitPerSecond = DefaultRateLimitPerSecond
	}
	if c.RateLimitBurst <= 0 {
		c.RateLimitBurst = 10 * c.MaxComplexity
	}
	c.RateLimitBurst = max(c.RateLimitBurst, c.MaxComplexity)
	if c.PersistedQueries <= 0 {
		c.PersistedQueries = DefaultPersistedQueries
	}
	c.SocketInitTimeout = orDefault(c.SocketInitTimeout, DefaultSocketInitTimeout)
	c.SocketIdleTimeout = orDefault(c.SocketIdleTimeout, DefaultSocketIdleTimeout)
	c.MaxSockets = orDefault(c.MaxSockets, DefaultMaxSockets)
	c.MaxSocketsPerAddress = orDefault(c.MaxSocketsPerAddress, DefaultMaxSocketsPerAddress)
	c.MaxPendingSocketsPerAddress = orDefault(c.MaxPendingSocketsPerAddress, DefaultMaxPendingSocketsPerAddress)
	c.MaxSocketsPerKey = orDefault(c.MaxSocketsPerKey, DefaultMaxSocketsPerKey)
	c.MaxSubscriptionsPerKey = orDefault(c.MaxSubscriptionsPerKey, DefaultMaxSubscriptionsPerKey)
	if c.SubscriptionEventsPerSecond == 0 {
		c.SubscriptionEventsPerSecond = DefaultSubscriptionEventsPerSecond
	}
	if c.ScanRowsPerPoint <= 0 {
		c.ScanRowsPerPoint = DefaultScanRowsPerPoint
	}
	if c.ExpensiveConcurrency == 0 {
		c.ExpensiveConcurrency = DefaultExpensiveConcurrency
	}
	if c.ExpensiveCost <= 0 {
		c.ExpensiveCost = DefaultExpensiveCost
	}
	if c.ExpensiveWait <= 0 {
		c.ExpensiveWait = DefaultExpensiveWait
	}
	return c
}

// orDefault is v, or def when v is not positive.
func orDefault[T int | time.Duration](v, def T) T {
	if v <= 0 {
		return def
	}
	return v
}

// NewHandler returns the /graphql endpoint: API-key authentication, then
// the GraphQL server. A browser's GET (Accept: text/html) gets GraphiQL
// when introspection is on.
func NewHandler(svc *domain.Service, cfg Config) *Handler {
	cfg = cfg.withDefaults()
	client := svc.Client()
	if cfg.Auth == nil {
		cfg.Auth = auth.New(svc, auth.Config{})
	}
	cfg.scan = newScanPricer(svc, cfg.ScanRowsPerPoint)
	schema := servedSchema()
	sockets := newSocketSet(cfg)
	es := generated.NewExecutableSchema(generated.Config{Schema: schema,
		Resolvers: &Resolver{client: client, domain: svc, cfg: cfg, sockets: sockets}})
	e := &endpoint{
		auth:    cfg.Auth,
		sockets: sockets,
		server:  newServer(svc, pagedSchema{es}, cfg),
		timeout: cfg.Timeout,
		maxBody: cfg.MaxBodyBytes,
		cors:    map[string]bool{},
	}
	if cfg.Introspection {
		e.sdl = schemaSDL(schema)
		e.sdlReadOnly = !cfg.NoReadOnlyIntrospection
	}
	for _, o := range cfg.CORSOrigins {
		if o = strings.TrimRight(strings.TrimSpace(o), "/"); o != "" {
			e.cors[o] = true
		}
	}
	return &Handler{e: e}
}

// Handler is the /graphql endpoint (NewHandler).
type Handler struct {
	e *endpoint
}

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.e.ServeHTTP(w, r) }

// CloseSockets closes every open WebSocket with 1001 Going Away, ending
// their subscriptions, for a server that stops: their clients reconnect
// (to another replica) and resume from their cursors. Sockets opened
// afterwards are not affected; stop taking connections first.
func (h *Handler) CloseSockets() {
	h.e.sockets.closeAll(wsCloseGoingAway, "Going away: the server is stopping")
}

// OpenSockets is how many WebSockets are open on this handler.
func (h *Handler) OpenSockets() int { return h.e.sockets.counts().sockets }

// OpenSubscriptions is how many event subscriptions run on its sockets.
func (h *Handler) OpenSubscriptions() int { return h.e.sockets.counts().subscriptions }

// newServer assembles the gqlgen server: transports, limits, error
// handling, the per-operation batch loader and mutation transactions.
//
// Every mutation operation runs in one transaction (entgql.Transactioner):
// its resolvers run one after another with the transaction's client in
// their context (Resolver.ent), and store.WithTx joins that transaction
// rather than opening its own. The transaction commits only when the whole
// response has no error. Any error (a failing mutation field, a failing
// field of a payload, a refused key) rolls back every mutation of the
// operation, also those that ran before it, and the response carries the
// errors and no data. So, unlike gqlgen's default, where one field's error
// leaves the fields beside it standing, an operation of several mutations
// is all or nothing: a client may retry it as a whole. Queries run without
// a transaction.
func newServer(svc *domain.Service, es graphql.ExecutableSchema, cfg Config) *handler.Server {
	srv := handler.New(es)
	srv.AddTransport(transport.GET{})
	srv.AddTransport(transport.POST{})
	srv.AddTransport(websocketTransport(cfg.Auth, cfg.MaxBodyBytes))
	cache := boundedCache[*ast.QueryDocument]{lru.New[*ast.QueryDocument](1000)}
	srv.SetQueryCache(cache)
	srv.SetParserTokenLimit(cfg.MaxTokens)
	srv.SetValidationRulesFn(validationRules)
	// Automatic persisted queries: a client sends a query's SHA-256 alone
	// and the query only when the server does not know it yet. First, so
	// the limits below see the query text.
	srv.Use(extension.AutomaticPersistedQuery{Cache: boundedCache[string]{lru.New[string](cfg.PersistedQueries)}})
	// An operation sent on a WebSocket: its credential again, first.
	srv.Use(socketGuard{auth: cfg.Auth})
	// The limits, cheapest and most fundamental first; see limits.go.
	srv.Use(documentLimit{tokens: cfg.MaxTokens, cache: cache})
	srv.Use(&shapeLimit{maxComplexity: cfg.MaxComplexity, maxRootFields: cfg.MaxRootFields, maxAliases: cfg.MaxAliases,
		scan: cfg.scan})
	switch {
	case !cfg.Introspection:
		srv.Use(noIntrospection{})
	case cfg.NoReadOnlyIntrospection:
		srv.Use(extension.Introspection{})
		srv.Use(noIntrospection{readOnly: true})
	default:
		srv.Use(extension.Introspection{})
	}
	srv.Use(depthLimit{max: cfg.MaxDepth})
	srv.Use(pageLimit{max: cfg.MaxPageSize})
	srv.Use(argLimit{nodes: cfg.MaxWhereNodes, values: cfg.MaxWhereValues, bytes: cfg.MaxStringBytes, list: cfg.MaxListValues})
	srv.Use(newDeprecationLog(es.Schema()))
	if cfg.RateLimitPerSecond > 0 {
		// After shapeLimit, which measures the cost it charges.
		b := newBuckets(cfg.RateLimitPerSecond, float64(cfg.RateLimitBurst))
		b.share, b.minBurst = cfg.Broker.Replicas, float64(cfg.MaxComplexity)
		srv.Use(rateLimit{buckets: b})
	}
	if cfg.ExpensiveConcurrency > 0 {
		// Before the Transactioner: an operation waits for its slot
		// holding no transaction (see cost.go).
		srv.Use(newExpensiveSlots(cfg.ExpensiveConcurrency, cfg.ExpensiveCost, cfg.ExpensiveWait))
	}
	srv.SetErrorPresenter(presentError)
	srv.SetRecoverFunc(recoverPanic)
	// A request refused before it has an operation (a body that is not a
	// GraphQL request) is answered here: the extensions below need one.
	srv.AroundResponses(func(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
		if !graphql.HasOperationContext(ctx) {
			return &graphql.Response{Errors: graphql.GetErrors(ctx), Extensions: graphql.GetExtensions(ctx)}
		}
		return next(ctx)
	})
	// Extensions added first wrap those added later: the batch is made
	// inside the transaction, so that it reads through it.
	srv.Use(entgql.Transactioner{TxOpener: svc})
	srv.AroundResponses(func(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
		return next(withBatch(ctx, clientOf(ctx, svc.Client())))
	})
	srv.AroundRootFields(guardMutations)
	srv.AroundFields(newFieldHooks(es.Schema()).intercept)
	return srv
}

// clientOf is the client ctx carries (a mutation's transaction), or c.
func clientOf(ctx context.Context, c *ent.Client) *ent.Client {
	if tc := ent.FromContext(ctx); tc != nil {
		return tc
	}
	return c
}

// guardMutations refuses every mutation to keys that cannot write, before
// any resolver runs (the data layer would refuse the write too), and drops
// what the batch loader has cached, since a mutation may change it.
func guardMutations(ctx context.Context, next graphql.RootResolver) graphql.Marshaler {
	oc := graphql.GetOperationContext(ctx)
	if oc.Operation.Operation != ast.Mutation {
		return next(ctx)
	}
	if !access.FromContext(ctx).CanWrite() {
		graphql.AddError(ctx, fault.Errorf(fault.Forbidden, "this API key is read-only"))
		return graphql.Null
	}
	batchFrom(ctx).reset()
	return next(ctx)
}

// recoverPanic turns a resolver's panic into an internal error, logged
// with its value.
func recoverPanic(ctx context.Context, v any) error {
	slog.ErrorContext(ctx, "graphql: panic in resolver", "panic", v,
		"path", graphql.GetPath(ctx).String(), "stack", string(debug.Stack()))
	return fmt.Errorf("panic: %v", v)
}

// boundedCache is a cache by query text (parsed queries, persisted
// queries) that keeps no query longer than maxCachedQueryBytes, so that
// its entries stay small.
type boundedCache[T any] struct {
	graphql.Cache[T]
}

// Add implements graphql.Cache.
func (c boundedCache[T]) Add(ctx context.Context, key string, v T) {
	if len(key) <= maxCachedQueryBytes && sizeOf(v) <= maxCachedQueryBytes {
		c.Cache.Add(ctx, key, v)
	}
}

// sizeOf is the length of a cached string (a persisted query's text; its
// key is the hash), and 0 for other values, whose key is the text.
func sizeOf(v any) int {
	if s, ok := v.(string); ok {
		return len(s)
	}
	return 0
}

// endpoint is the HTTP face of the API.
type endpoint struct {
	auth    *auth.Authenticator
	sockets *socketSet
	server  http.Handler
	timeout time.Duration // of the whole request; none if zero
	maxBody int64         // bytes of a request body; DefaultMaxBodyBytes if zero
	// sdl is the schema served at <endpoint>/schema.graphql; empty when
	// introspection is off. sdlReadOnly: read-only keys may fetch it.
	sdl         string
	sdlReadOnly bool
	cors        map[string]bool // the allowed browser origins
}

// ServeHTTP authenticates the caller and runs the GraphQL request as it,
// under the request deadline (which cancels its SQL) and with its body
// read in full, up to the limit, before GraphQL sees it. Around it: the
// CORS policy, the published schema (GET <endpoint>/schema.graphql) and
// the status codes of the GraphQL-over-HTTP specification (405 with
// Allow: POST for a mutation over GET, 415 for a body that is not JSON,
// 429 with Retry-After for a spent rate-limit budget).
func (e *endpoint) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !e.applyCORS(w, r) {
		return
	}
	if strings.HasSuffix(r.URL.Path, "/schema.graphql") {
		e.serveSchema(w, r)
		return
	}
	if isWebSocket(r) {
		e.serveSocket(w, r)
		return
	}
	switch r.Method {
	case http.MethodGet:
	case http.MethodPost:
		if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
			writeError(w, r, http.StatusUnsupportedMediaType, codeBadRequest,
				"a GraphQL request is a POST of Content-Type: application/json")
			return
		}
	default:
		w.Header().Set("Allow", "GET, POST")
		writeError(w, r, http.StatusMethodNotAllowed, codeBadRequest, "a GraphQL request is a GET or a POST")
		return
	}
	ctx := r.Context()
	if e.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, e.timeout)
		defer cancel()
		r = r.WithContext(ctx)
	}
	v, err := e.authenticate(r)
	if err != nil {
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			writeError(w, r, http.StatusServiceUnavailable, codeTimeout, timeoutMessage)
			return
		}
		writeAuthError(w, r, err)
		return
	}
	if !e.readBody(w, r) {
		return
	}
	rc := &requestCost{}
	bw := &busyWriter{ResponseWriter: w}
	cw := &costWriter{ResponseWriter: bw, rc: rc, get: r.Method == http.MethodGet}
	e.server.ServeHTTP(cw, r.WithContext(withBusy(withRequestCost(access.NewContext(ctx, v), rc), bw)))
}

// applyCORS answers for the browser policy: an Origin on the allow-list
// gets the CORS headers (a preflight OPTIONS is answered here, 204); any
// other origin gets none, so a browser keeps the page from reading the
// response (a preflight gets 403). It reports whether to go on.
func (e *endpoint) applyCORS(w http.ResponseWriter, r *http.Request) bool {
	origin := r.Header.Get("Origin")
	preflight := r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != ""
	if origin == "" || !e.cors[origin] {
		if preflight {
			w.WriteHeader(http.StatusForbidden)
			return false
		}
		return true
	}
	h := w.Header()
	h.Add("Vary", "Origin")
	h.Set("Access-Control-Allow-Origin", origin)
	h.Set("Access-Control-Expose-Headers", "RateLimit-Limit, RateLimit-Remaining, RateLimit-Reset, Retry-After")
	if preflight {
		h.Set("Access-Control-Allow-Methods", "GET, POST")
		h.Set("Access-Control-Allow-Headers", "Authorization, Content-Type")
		h.Set("Access-Control-Max-Age", "600")
		w.WriteHeader(http.StatusNoContent)
		return false
	}
	return true
}

// serveSchema publishes the schema in the GraphQL schema language, for
// code generators, to the keys that may introspect it.
func (e *endpoint) serveSchema(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		writeError(w, r, http.StatusMethodNotAllowed, codeBadRequest, "the schema is read with GET")
		return
	}
	if e.sdl == "" {
		writeError(w, r, http.StatusNotFound, codes[fault.NotFound], "introspection is off on this server")
		return
	}
	v, err := e.auth.APIKey(r.Context(), r.Header.Get("Authorization"))
	if err != nil {
		writeAuthError(w, r, err)
		return
	}
	if !e.sdlReadOnly && !v.CanWrite() {
		writeError(w, r, http.StatusForbidden, codes[fault.Forbidden], "introspection is refused to read-only keys")
		return
	}
	w.Header().Set("Content-Type", "application/graphql; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	if _, err := io.WriteString(w, e.sdl); err != nil {
		slog.DebugContext(r.Context(), "graphql: write schema", "err", err)
	}
}

// authenticate returns the caller's viewer: the API key of the
// Authorization header or, without one, the Admin Portal's session cookie
// (with its CSRF header on anything but GET).
func (e *endpoint) authenticate(r *http.Request) (*access.Viewer, error) {
	if r.Header.Get("Authorization") == "" && auth.HasPortalCookie(r) {
		return e.auth.PortalRequest(r)
	}
	return e.auth.APIKey(r.Context(), r.Header.Get("Authorization"))
}

// readBody reads r's body, at most maxBody bytes and before the request's
// deadline, and puts it back for the transport to read. Over the limit it
// answers 413 and returns false, as it does when the body cannot be read.
func (e *endpoint) readBody(w http.ResponseWriter, r *http.Request) bool {
	if r.Body == nil || r.Body == http.NoBody {
		return true
	}
	limit := e.maxBody
	if limit <= 0 {
		limit = DefaultMaxBodyBytes
	}
	if r.ContentLength > limit {
		writeError(w, r, http.StatusRequestEntityTooLarge, codeTooLarge, tooLarge(limit))
		return false
	}
	if d, ok := r.Context().Deadline(); ok {
		// A body trickled in a byte at a time must not hold the handler
		// past its deadline. Not every ResponseWriter can (httptest's
		// recorder cannot): then the server's own timeouts apply.
		if err := http.NewResponseController(w).SetReadDeadline(d); err != nil && !errors.Is(err, http.ErrNotSupported) {
			slog.DebugContext(r.Context(), "graphql: set read deadline", "err", err)
		}
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	var overLimit *http.MaxBytesError
	switch {
	case errors.As(err, &overLimit):
		writeError(w, r, http.StatusRequestEntityTooLarge, codeTooLarge, tooLarge(limit))
		return false
	case errors.Is(err, os.ErrDeadlineExceeded):
		writeError(w, r, http.StatusRequestTimeout, codeTimeout, "the request body did not arrive in time")
		return false
	case err != nil:
		slog.DebugContext(r.Context(), "graphql: read body", "err", err)
		writeError(w, r, http.StatusBadRequest, codeBadRequest, "could not read the request body")
		return false
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	r.ContentLength = int64(len(body))
	return true
}

// tooLarge is the message of a 413.
func tooLarge(limit int64) string {
	return fmt.Sprintf("the request body is larger than the limit of %d bytes", limit)
}

// writeError answers a request refused before GraphQL ran with a
// GraphQL-shaped body.
func writeError(w http.ResponseWriter, r *http.Request, status int, code, msg string) {
	body := struct {
		Errors gqlerror.List `json:"errors"`
	}{gqlerror.List{{Message: msg, Extensions: map[string]any{"code": code}}}}
	w.Header().Set("Content-Type", "application/json")
	if status == http.StatusRequestEntityTooLarge {
		w.Header().Set("Connection", "close") // the rest of the body is not read
	}
	w.WriteHeader(status)
	if err := json.NewEncoder(w).Encode(body); err != nil {
		slog.DebugContext(r.Context(), "graphql: write error", "err", err)
	}
}
