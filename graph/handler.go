package graph

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strings"

	"entgo.io/contrib/entgql"
	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/99designs/gqlgen/graphql/playground"
	"github.com/vektah/gqlparser/v2/ast"

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
	DefaultMaxComplexity = 20000
	DefaultMaxDepth      = 12
	DefaultMaxPageSize   = 100
)

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
	// Auth checks the API keys; nil is one with the defaults. Share one
	// with the SCIM handler so last-use writes are throttled once.
	Auth *auth.Authenticator
	// Broker wakes event subscriptions when events commit; nil: they poll.
	Broker *broker.Broker
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
	return c
}

// NewHandler returns the /graphql endpoint: API-key authentication, then
// the GraphQL server. A browser's GET (Accept: text/html) gets GraphiQL
// when introspection is on.
func NewHandler(svc *domain.Service, cfg Config) http.Handler {
	cfg = cfg.withDefaults()
	client := svc.Client()
	if cfg.Auth == nil {
		cfg.Auth = auth.New(client, auth.Config{})
	}
	es := generated.NewExecutableSchema(generated.Config{Resolvers: &Resolver{client: client, domain: svc, cfg: cfg}})
	return &endpoint{
		auth:     cfg.Auth,
		server:   newServer(client, pagedSchema{es}, cfg),
		graphiql: cfg.Introspection,
	}
}

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
func newServer(client *ent.Client, es graphql.ExecutableSchema, cfg Config) *handler.Server {
	srv := handler.New(es)
	srv.AddTransport(transport.GET{})
	srv.AddTransport(transport.POST{})
	srv.AddTransport(websocketTransport(cfg.Auth))
	srv.SetQueryCache(lru.New[*ast.QueryDocument](1000))
	if cfg.Introspection {
		srv.Use(extension.Introspection{})
	} else {
		srv.Use(noIntrospection{})
	}
	srv.Use(depthLimit{max: cfg.MaxDepth})
	srv.Use(pageLimit{max: cfg.MaxPageSize})
	srv.Use(extension.FixedComplexityLimit(cfg.MaxComplexity))
	srv.SetErrorPresenter(presentError)
	srv.SetRecoverFunc(recoverPanic)
	// Extensions added first wrap those added later: the batch is made
	// inside the transaction, so that it reads through it.
	srv.Use(entgql.Transactioner{TxOpener: client})
	srv.AroundResponses(func(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
		return next(withBatch(ctx, clientOf(ctx, client)))
	})
	srv.AroundRootFields(guardMutations)
	srv.AroundFields(observeResults)
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

// endpoint is the HTTP face of the API.
type endpoint struct {
	auth     *auth.Authenticator
	server   http.Handler
	graphiql bool
}

// ServeHTTP authenticates the caller and runs the GraphQL request as it.
func (e *endpoint) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if e.graphiql && wantsGraphiQL(r) {
		playground.Handler("Directory GraphQL", r.URL.Path)(w, r)
		return
	}
	if isWebSocket(r) && r.Header.Get("Authorization") == "" {
		e.server.ServeHTTP(w, r) // the key comes in connection_init: websocketTransport
		return
	}
	v, err := e.auth.APIKey(r.Context(), r.Header.Get("Authorization"))
	if err != nil {
		writeAuthError(w, r, err)
		return
	}
	e.server.ServeHTTP(w, r.WithContext(access.NewContext(r.Context(), v)))
}

// wantsGraphiQL reports whether r is a browser opening the endpoint rather
// than a GraphQL GET request.
func wantsGraphiQL(r *http.Request) bool {
	return r.Method == http.MethodGet && r.URL.Query().Get("query") == "" &&
		strings.Contains(r.Header.Get("Accept"), "text/html")
}
