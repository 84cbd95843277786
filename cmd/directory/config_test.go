package main

import (
	"reflect"
	"testing"
	"time"

	"github.com/spf13/pflag"

	"github.com/acme/directory/graph"
)

// TestGraphQLConfig: every GraphQL limit has a default, an environment
// variable and a flag, the flag winning.
func TestGraphQLConfig(t *testing.T) {
	parse := func(t *testing.T, args ...string) graph.Config {
		t.Helper()
		var c config
		fs := pflag.NewFlagSet("test", pflag.ContinueOnError)
		c.flags(fs)
		if err := fs.Parse(args); err != nil {
			t.Fatal(err)
		}
		return c.graphQL(nil, nil)
	}

	d := parse(t)
	want := graph.Config{MaxComplexity: 20000, MaxDepth: 12, MaxPageSize: 100, MaxRootFields: 50, MaxAliases: 100,
		MaxTokens: 10000, MaxBodyBytes: 1 << 20, Timeout: 30 * time.Second, MaxWhereNodes: 200,
		MaxWhereValues: 1000, MaxStringBytes: 4096, MaxListValues: 1000, Introspection: true, PublicURL: "http://localhost:8080",
		RateLimitPerSecond: graph.DefaultRateLimitPerSecond, PersistedQueries: graph.DefaultPersistedQueries,
		ScanRowsPerPoint: graph.DefaultScanRowsPerPoint, ExpensiveConcurrency: graph.DefaultExpensiveConcurrency,
		ExpensiveCost: graph.DefaultExpensiveCost, ExpensiveWait: graph.DefaultExpensiveWait,
		MaxSocketsPerKey: graph.DefaultMaxSocketsPerKey, MaxSocketsPerAddress: graph.DefaultMaxSocketsPerAddress,
		MaxSockets: graph.DefaultMaxSockets, MaxSubscriptionsPerKey: graph.DefaultMaxSubscriptionsPerKey,
		SubscriptionEventsPerSecond: graph.DefaultSubscriptionEventsPerSecond}
	if !reflect.DeepEqual(d, want) {
		t.Fatalf("defaults:\n%+v\nwant\n%+v", d, want)
	}

	t.Setenv("DIRECTORY_GRAPHQL_MAX_ROOT_FIELDS", "7")
	t.Setenv("DIRECTORY_GRAPHQL_TIMEOUT", "5s")
	t.Setenv("DIRECTORY_GRAPHQL_MAX_BODY_BYTES", "4096")
	t.Setenv("DIRECTORY_GRAPHQL_INTROSPECTION_READ_ONLY", "false")
	t.Setenv("DIRECTORY_GRAPHQL_MAX_STRING_BYTES", "256")
	t.Setenv("DIRECTORY_GRAPHQL_RATE_LIMIT", "-1")
	t.Setenv("DIRECTORY_GRAPHQL_CORS_ORIGINS", "https://a.example")
	g := parse(t, "--graphql-max-body-bytes=2048", "--graphql-max-where-values=10", "--graphql-max-aliases=3",
		"--graphql-cors-origins=https://admin.example, https://b.example", "--graphql-rate-burst=50000",
		"--graphql-expensive-concurrency=3", "--graphql-expensive-wait=500ms")
	if !reflect.DeepEqual(g.CORSOrigins, []string{"https://admin.example", "https://b.example"}) ||
		g.RateLimitPerSecond != -1 || g.RateLimitBurst != 50000 || g.ExpensiveConcurrency != 3 ||
		g.ExpensiveWait != 500*time.Millisecond {
		t.Fatalf("rate limit and CORS flags: %+v", g)
	}
	if g.MaxRootFields != 7 || g.Timeout != 5*time.Second || g.MaxBodyBytes != 2048 || !g.NoReadOnlyIntrospection ||
		g.MaxStringBytes != 256 || g.MaxWhereValues != 10 || g.MaxAliases != 3 || g.MaxTokens != graph.DefaultMaxTokens {
		t.Fatalf("environment and flags: %+v", g)
	}
}
