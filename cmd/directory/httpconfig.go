package main

import (
	"net/http"
	"time"

	"github.com/spf13/pflag"

	"github.com/acme/directory/scim"
)

// httpConfig holds the HTTP server's timeouts and the SCIM endpoint's
// limits. Flags override the environment; zero values are the defaults.
type httpConfig struct {
	// readHeaderTimeout is how long a client may take to send a request's
	// headers; idleTimeout how long a kept-alive connection may wait for
	// the next request.
	readHeaderTimeout time.Duration
	idleTimeout       time.Duration
	// drain is how long a stopping server keeps serving, with /healthz
	// failing, before it stops accepting connections: the load balancer's
	// health check takes it out of rotation meanwhile.
	drain time.Duration
	// shutdownGrace is how long in-flight requests then get to finish.
	shutdownGrace time.Duration
	scim          scim.Options
}

// Defaults of the HTTP server.
const (
	defaultReadHeaderTimeout = 10 * time.Second
	defaultIdleTimeout       = 2 * time.Minute
	defaultDrain             = 3 * time.Second
	defaultShutdownGrace     = 15 * time.Second
)

// flags registers the HTTP and SCIM limit flags on fs.
func (h *httpConfig) flags(fs *pflag.FlagSet) {
	fs.DurationVar(&h.readHeaderTimeout, "http-read-header-timeout",
		envDuration("DIRECTORY_HTTP_READ_HEADER_TIMEOUT", defaultReadHeaderTimeout), "time a client has to send request headers")
	fs.DurationVar(&h.idleTimeout, "http-idle-timeout",
		envDuration("DIRECTORY_HTTP_IDLE_TIMEOUT", defaultIdleTimeout), "time a kept-alive connection may wait for its next request")
	fs.DurationVar(&h.drain, "shutdown-drain", envDurationOrZero("DIRECTORY_SHUTDOWN_DRAIN", defaultDrain),
		"on SIGTERM, how long to keep serving with /healthz failing (503) before closing the listener, "+
			"so a load balancer's health check takes the server out first (0: no wait)")
	fs.DurationVar(&h.shutdownGrace, "shutdown-grace", envDuration("DIRECTORY_SHUTDOWN_GRACE", defaultShutdownGrace),
		"on SIGTERM, after the drain, how long in-flight requests get to finish")
	fs.DurationVar(&h.scim.BodyTimeout, "scim-body-timeout",
		envDuration("DIRECTORY_SCIM_BODY_TIMEOUT", scim.DefaultBodyTimeout), "time a SCIM request body has to arrive (408 after)")
	fs.DurationVar(&h.scim.RequestTimeout, "scim-request-timeout",
		envDuration("DIRECTORY_SCIM_REQUEST_TIMEOUT", scim.DefaultRequestTimeout), "time a SCIM request may take, its SQL and response included")
	fs.Int64Var(&h.scim.MaxBodyBytes, "scim-max-body-bytes",
		int64(envInt("DIRECTORY_SCIM_MAX_BODY_BYTES", scim.DefaultMaxBodyBytes)), "largest SCIM request body (413 above)")
	fs.IntVar(&h.scim.MaxFilterBytes, "scim-max-filter-bytes",
		envInt("DIRECTORY_SCIM_MAX_FILTER_BYTES", scim.DefaultMaxFilterBytes), "longest SCIM filter (400 invalidFilter above)")
	fs.IntVar(&h.scim.MaxFilterClauses, "scim-max-filter-clauses",
		envInt("DIRECTORY_SCIM_MAX_FILTER_CLAUSES", scim.DefaultMaxFilterClauses), "most comparisons in a SCIM filter (400 invalidFilter above)")
	fs.IntVar(&h.scim.MemberReadsPerDirectory, "scim-member-reads-per-directory",
		envInt("DIRECTORY_SCIM_MEMBER_READS_PER_DIRECTORY", scim.DefaultMemberReadsPerDirectory),
		"pages of group members one directory's requests read at once")
}

// server is the HTTP server of handler with the configured timeouts. It has
// no overall read or write timeout: those are per handler (SCIM sets its own
// with http.ResponseController), so a large legitimate upload or a long
// subscription is not cut off by a limit meant for slow-loris clients.
func (h *httpConfig) server(handler http.Handler) *http.Server {
	return &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: positive(h.readHeaderTimeout, defaultReadHeaderTimeout),
		IdleTimeout:       positive(h.idleTimeout, defaultIdleTimeout),
		MaxHeaderBytes:    64 << 10,
	}
}

func positive(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}
