package main

import (
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/acme/directory/auth"
	"github.com/acme/directory/broker"
	"github.com/acme/directory/domain"
	"github.com/acme/directory/events"
	"github.com/acme/directory/graph"
	"github.com/acme/directory/webhook"
)

// config is what every command needs to reach the database and describe
// itself to admins. Flags override the environment.
type config struct {
	databaseURL string
	// listenDatabaseURL is a direct session to the same PostgreSQL
	// database, for LISTEN and the migrations' lock, when databaseURL goes
	// through a transaction-pooling proxy; empty: databaseURL.
	listenDatabaseURL string
	dataDir           string
	addr              string
	publicURL         string
	// graphqlIntrospection serves the GraphQL schema (and GraphiQL); turn
	// it off in production if the schema should not be browsable.
	graphqlIntrospection bool
	// eventRetention is how long events are kept before pruning.
	eventRetention time.Duration
	// requestRetention is how long the SCIM request log keeps a request.
	requestRetention time.Duration
	// graphqlReadOnlyIntrospection serves the schema to read-only keys too.
	graphqlReadOnlyIntrospection bool
	// graphql holds the GraphQL limits; routes adds the rest.
	graphql graph.Config
	// graphqlCORSOrigins are the browser origins allowed to call GraphQL,
	// comma-separated; none by default.
	graphqlCORSOrigins string
	// http is the HTTP server's timeouts and the SCIM limits (httpconfig.go;
	// serve's flags).
	http httpConfig
	// webhook configures the webhook delivery worker.
	webhook webhookConfig
	// metricsToken, when set, is the bearer token /metrics requires.
	metricsToken string
}

// webhookConfig is the delivery worker's configuration.
type webhookConfig struct {
	poll         time.Duration
	schedule     string
	disableAfter time.Duration
	timeout      time.Duration
	allowPrivate bool
}

// databaseFlags registers the flags that choose the database, which every
// command takes, with the environment as defaults.
func (c *config) databaseFlags(fs *pflag.FlagSet) {
	fs.StringVar(&c.databaseURL, "database-url", getenv("DATABASE_URL"),
		"postgres://user:pass@host/db?sslmode=disable for PostgreSQL; empty: SQLite under --data-dir")
	fs.StringVar(&c.listenDatabaseURL, "listen-database-url", getenv("DIRECTORY_LISTEN_DATABASE_URL"),
		"postgres:// URL of a direct session (LISTEN, migrations) when --database-url is a transaction-pooling proxy such as PgBouncer; empty: --database-url")
	fs.StringVar(&c.dataDir, "data-dir", envOr("DIRECTORY_DATA_DIR", "data"), "folder of the embedded SQLite database (directory.db)")
}

// urlFlags registers serve's public URL.
func (c *config) urlFlags(fs *pflag.FlagSet) {
	fs.StringVar(&c.publicURL, "public-url", getenv("DIRECTORY_PUBLIC_URL"),
		"base of the URLs shown to admins (SCIM endpoints, portal links); empty: http://localhost:<port of --addr>")
}

// printedURLFlags registers the public URL of a command that prints URLs.
func (c *config) printedURLFlags(fs *pflag.FlagSet) {
	fs.StringVar(&c.publicURL, "public-url", getenv("DIRECTORY_PUBLIC_URL"),
		"base of the URLs printed; empty: the one serve last started with on this database")
	_ = fs.SetAnnotation("public-url", envAnnotation, []string{"DIRECTORY_PUBLIC_URL"})
}

// flags registers serve's configuration flags on fs, with the environment
// as defaults.
func (c *config) flags(fs *pflag.FlagSet) {
	fs.StringVar(&c.addr, "addr", envOr("DIRECTORY_ADDR", ":8080"), "listen address")
	c.urlFlags(fs)
	fs.BoolVar(&c.graphqlIntrospection, "graphql-introspection", envBool("DIRECTORY_GRAPHQL_INTROSPECTION", true),
		"serve the GraphQL schema and the browser explorer at /graphql")
	fs.DurationVar(&c.eventRetention, "event-retention", envDuration("DIRECTORY_EVENT_RETENTION", events.DefaultRetention),
		"how long events are kept before pruning")
	fs.DurationVar(&c.requestRetention, "request-log-retention", envDuration("DIRECTORY_REQUEST_LOG_RETENTION", domain.DefaultRequestRetention),
		"how long each directory's SCIM request log keeps a request before pruning")
	fs.BoolVar(&c.graphqlReadOnlyIntrospection, "graphql-introspection-read-only",
		envBool("DIRECTORY_GRAPHQL_INTROSPECTION_READ_ONLY", true),
		"serve the GraphQL schema to read-only (org_read) keys too")
	g := &c.graphql
	fs.IntVar(&g.MaxComplexity, "graphql-max-complexity", envInt("DIRECTORY_GRAPHQL_MAX_COMPLEXITY", graph.DefaultMaxComplexity),
		"GraphQL: most complexity of an operation (one per field, times the page size under connections)")
	fs.IntVar(&g.MaxDepth, "graphql-max-depth", envInt("DIRECTORY_GRAPHQL_MAX_DEPTH", graph.DefaultMaxDepth),
		"GraphQL: deepest nesting of fields")
	fs.IntVar(&g.MaxPageSize, "graphql-max-page-size", envInt("DIRECTORY_GRAPHQL_MAX_PAGE_SIZE", graph.DefaultMaxPageSize),
		"GraphQL: largest first/last of a connection")
	fs.IntVar(&g.MaxRootFields, "graphql-max-root-fields", envInt("DIRECTORY_GRAPHQL_MAX_ROOT_FIELDS", graph.DefaultMaxRootFields),
		"GraphQL: most distinct root fields of an operation")
	fs.IntVar(&g.MaxAliases, "graphql-max-aliases", envInt("DIRECTORY_GRAPHQL_MAX_ALIASES", graph.DefaultMaxAliases),
		"GraphQL: most aliases of an operation, fragments expanded")
	fs.IntVar(&g.MaxTokens, "graphql-max-tokens", envInt("DIRECTORY_GRAPHQL_MAX_TOKENS", graph.DefaultMaxTokens),
		"GraphQL: most tokens of a query document")
	fs.Int64Var(&g.MaxBodyBytes, "graphql-max-body-bytes", int64(envInt("DIRECTORY_GRAPHQL_MAX_BODY_BYTES", graph.DefaultMaxBodyBytes)),
		"GraphQL: largest request body, in bytes (larger: 413)")
	fs.DurationVar(&g.Timeout, "graphql-timeout", envDuration("DIRECTORY_GRAPHQL_TIMEOUT", graph.DefaultTimeout),
		"GraphQL: deadline of a request, its SQL included")
	fs.IntVar(&g.MaxWhereNodes, "graphql-max-where-nodes", envInt("DIRECTORY_GRAPHQL_MAX_WHERE_NODES", graph.DefaultMaxWhereNodes),
		"GraphQL: most conditions of one where argument")
	fs.IntVar(&g.MaxWhereValues, "graphql-max-where-values", envInt("DIRECTORY_GRAPHQL_MAX_WHERE_VALUES", graph.DefaultMaxWhereValues),
		"GraphQL: most values in the In/NotIn lists of one where argument, together")
	fs.IntVar(&g.MaxStringBytes, "graphql-max-string-bytes", envInt("DIRECTORY_GRAPHQL_MAX_STRING_BYTES", graph.DefaultMaxStringBytes),
		"GraphQL: longest string in any argument, in bytes")
	fs.IntVar(&g.MaxListValues, "graphql-max-list-values", envInt("DIRECTORY_GRAPHQL_MAX_LIST_VALUES", graph.DefaultMaxListValues),
		"GraphQL: most values of one list argument (where lists: --graphql-max-where-values)")
	fs.Float64Var(&g.RateLimitPerSecond, "graphql-rate-limit", envFloat("DIRECTORY_GRAPHQL_RATE_LIMIT", graph.DefaultRateLimitPerSecond),
		"GraphQL: cost points an API key's budget regains a second, split between the replicas of the database (negative: no rate limit)")
	fs.IntVar(&g.RateLimitBurst, "graphql-rate-burst", envInt("DIRECTORY_GRAPHQL_RATE_BURST", 0),
		"GraphQL: cost points a full budget holds (0: ten times the max complexity; at least the max complexity)")
	fs.IntVar(&g.ScanRowsPerPoint, "graphql-scan-rows-per-point", envInt("DIRECTORY_GRAPHQL_SCAN_ROWS_PER_POINT", graph.DefaultScanRowsPerPoint),
		"GraphQL: rows a scanning where test (search, substring, or) may read per cost point")
	fs.IntVar(&g.ExpensiveConcurrency, "graphql-expensive-concurrency", envInt("DIRECTORY_GRAPHQL_EXPENSIVE_CONCURRENCY", graph.DefaultExpensiveConcurrency),
		"GraphQL: expensive operations (scans, or cost over --graphql-expensive-cost) one organization runs at once (negative: no cap)")
	fs.IntVar(&g.ExpensiveCost, "graphql-expensive-cost", envInt("DIRECTORY_GRAPHQL_EXPENSIVE_COST", graph.DefaultExpensiveCost),
		"GraphQL: cost above which an operation is expensive")
	fs.DurationVar(&g.ExpensiveWait, "graphql-expensive-wait", envDuration("DIRECTORY_GRAPHQL_EXPENSIVE_WAIT", graph.DefaultExpensiveWait),
		"GraphQL: how long an expensive operation waits for its organization's slot (then 429)")
	fs.IntVar(&g.PersistedQueries, "graphql-persisted-queries", envInt("DIRECTORY_GRAPHQL_PERSISTED_QUERIES", graph.DefaultPersistedQueries),
		"GraphQL: automatic persisted queries kept (least recently used dropped)")
	fs.IntVar(&g.MaxSocketsPerKey, "graphql-ws-max-per-key", envInt("DIRECTORY_GRAPHQL_WS_MAX_PER_KEY", graph.DefaultMaxSocketsPerKey),
		"GraphQL: most WebSockets open with one API key")
	fs.IntVar(&g.MaxSocketsPerAddress, "graphql-ws-max-per-address", envInt("DIRECTORY_GRAPHQL_WS_MAX_PER_ADDRESS", graph.DefaultMaxSocketsPerAddress),
		"GraphQL: most WebSockets open from one client address (behind a load balancer: from the balancer)")
	fs.IntVar(&g.MaxSockets, "graphql-ws-max", envInt("DIRECTORY_GRAPHQL_WS_MAX", graph.DefaultMaxSockets),
		"GraphQL: most WebSockets open on this server")
	fs.IntVar(&g.MaxSubscriptionsPerKey, "graphql-max-subscriptions-per-key",
		envInt("DIRECTORY_GRAPHQL_MAX_SUBSCRIPTIONS_PER_KEY", graph.DefaultMaxSubscriptionsPerKey),
		"GraphQL: most subscriptions running with one API key, on all its WebSockets")
	fs.Float64Var(&g.SubscriptionEventsPerSecond, "graphql-subscription-events-per-second",
		envFloat("DIRECTORY_GRAPHQL_SUBSCRIPTION_EVENTS_PER_SECOND", graph.DefaultSubscriptionEventsPerSecond),
		"GraphQL: events a key's subscriptions receive a second, together (a replay's pace; negative: unpaced)")
	fs.StringVar(&c.graphqlCORSOrigins, "graphql-cors-origins", getenv("DIRECTORY_GRAPHQL_CORS_ORIGINS"),
		"GraphQL: browser origins allowed to call the API from a page, comma-separated (API keys are server-side secrets)")
	fs.DurationVar(&c.webhook.poll, "webhook-poll", envDuration("DIRECTORY_WEBHOOK_POLL", webhook.DefaultPollInterval),
		"how often the webhook worker looks for work when idle")
	fs.StringVar(&c.webhook.schedule, "webhook-schedule", envOr("DIRECTORY_WEBHOOK_SCHEDULE", scheduleString(webhook.DefaultSchedule)),
		"waits after each failed webhook attempt, comma-separated (each ±20% jitter)")
	fs.DurationVar(&c.webhook.disableAfter, "webhook-disable-after", envDuration("DIRECTORY_WEBHOOK_DISABLE_AFTER", webhook.DefaultDisableAfter),
		"disable a webhook endpoint whose attempts have all failed for this long")
	fs.DurationVar(&c.webhook.timeout, "webhook-timeout", envDuration("DIRECTORY_WEBHOOK_TIMEOUT", webhook.DefaultTimeout),
		"timeout of one webhook request")
	fs.StringVar(&c.metricsToken, "metrics-token", getenv("DIRECTORY_METRICS_TOKEN"),
		"bearer token /metrics requires (Authorization: Bearer <token>); empty: /metrics is open")
	fs.BoolVar(&c.webhook.allowPrivate, "webhook-allow-private", envBool("DIRECTORY_WEBHOOK_ALLOW_PRIVATE", false),
		"let webhooks reach loopback and private addresses (link-local stays refused)")
}

// graphQL is the configuration of the GraphQL endpoint.
func (c *config) graphQL(a *auth.Authenticator, b *broker.Broker) graph.Config {
	g := c.graphql
	g.Broker = b
	g.PublicURL = c.base()
	g.Introspection = c.graphqlIntrospection
	g.NoReadOnlyIntrospection = !c.graphqlReadOnlyIntrospection
	g.Auth = a
	for _, o := range strings.Split(c.graphqlCORSOrigins, ",") {
		if o = strings.TrimSpace(o); o != "" {
			g.CORSOrigins = append(g.CORSOrigins, o)
		}
	}
	return g
}

// scheduleString writes a retry schedule as the flag takes it.
func scheduleString(ds []time.Duration) string {
	parts := make([]string, len(ds))
	for i, d := range ds {
		parts[i] = d.String()
	}
	return strings.Join(parts, ",")
}

// base returns the public base URL, derived from the listen address when
// none is configured.
func (c *config) base() string {
	if c.publicURL != "" {
		return strings.TrimRight(c.publicURL, "/")
	}
	host, port, err := net.SplitHostPort(c.addr)
	if err != nil {
		return "http://localhost:8080"
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, port)
}

// getenv reads the environment; the configuration table of the README is
// generated with it returning "" (the built-in defaults).
var getenv = os.Getenv

// envBool reads a boolean variable (true/false, 1/0, ...); unset or
// unreadable, it is def.
func envBool(key string, def bool) bool {
	b, err := strconv.ParseBool(getenv(key))
	if err != nil {
		return def
	}
	return b
}

// envFloat reads a number variable; unset or unreadable, it is def.
func envFloat(key string, def float64) float64 {
	f, err := strconv.ParseFloat(getenv(key), 64)
	if err != nil {
		return def
	}
	return f
}

// envInt reads an integer variable; unset or unreadable, it is def.
func envInt(key string, def int) int {
	n, err := strconv.Atoi(getenv(key))
	if err != nil {
		return def
	}
	return n
}

// envDuration reads a duration variable ("30s", "2m"); unset or
// unreadable or not positive, it is def.
func envDuration(key string, def time.Duration) time.Duration {
	d, err := time.ParseDuration(getenv(key))
	if err != nil || d <= 0 {
		return def
	}
	return d
}

// envDurationOrZero reads a duration variable that may be 0; unset,
// unreadable or negative, it is def.
func envDurationOrZero(key string, def time.Duration) time.Duration {
	d, err := time.ParseDuration(os.Getenv(key))
	if err != nil || d < 0 {
		return def
	}
	return d
}

// envOr reads a string variable; unset or empty, it is def.
func envOr(key, def string) string {
	if v := getenv(key); v != "" {
		return v
	}
	return def
}
