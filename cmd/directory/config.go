package main

import (
	"flag"
	"net"
	"os"
	"strconv"
	"strings"
)

// config is what every command needs to reach the database and describe
// itself to admins. Flags override the environment.
type config struct {
	databaseURL string
	dataDir     string
	addr        string
	publicURL   string
	// graphqlIntrospection serves the GraphQL schema (and GraphiQL); turn
	// it off in production if the schema should not be browsable.
	graphqlIntrospection bool
	// http is the HTTP server's timeouts and the SCIM limits (httpconfig.go;
	// serve's flags).
	http httpConfig
}

// flags registers the shared configuration flags on fs, with the
// environment as defaults.
func (c *config) flags(fs *flag.FlagSet) {
	fs.StringVar(&c.databaseURL, "database-url", os.Getenv("DATABASE_URL"), "postgres:// URL; empty: SQLite under -data-dir")
	fs.StringVar(&c.dataDir, "data-dir", envOr("DIRECTORY_DATA_DIR", "data"), "folder of the embedded SQLite database")
	fs.StringVar(&c.addr, "addr", envOr("DIRECTORY_ADDR", ":8080"), "listen address")
	fs.StringVar(&c.publicURL, "public-url", os.Getenv("DIRECTORY_PUBLIC_URL"), "base URL shown to admins")
	fs.BoolVar(&c.graphqlIntrospection, "graphql-introspection", envBool("DIRECTORY_GRAPHQL_INTROSPECTION", true),
		"serve the GraphQL schema and GraphiQL (env DIRECTORY_GRAPHQL_INTROSPECTION=false turns it off)")
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

// envBool reads a boolean variable (true/false, 1/0, ...); unset or
// unreadable, it is def.
func envBool(key string, def bool) bool {
	b, err := strconv.ParseBool(os.Getenv(key))
	if err != nil {
		return def
	}
	return b
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}
