// Package metrics exposes the server's Prometheus metrics at /metrics:
// HTTP requests by route pattern, method and status with their durations,
// SQL statements per request, the database pool, SCIM operations per
// directory, the webhook queue (read from the database at each scrape),
// and the Go runtime and process.
//
// Wiring: wrap the mux with [Metrics.Middleware], wrap the ent driver with
// [CountStatements], register the pool with [Metrics.WatchDB] and the
// webhook queue with [Metrics.WatchWebhooks], and serve [Metrics.Handler].
package metrics

import (
	"bufio"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/acme/directory/domain"
)

// MaxDirectories bounds the directory label of the SCIM operation counter:
// directories seen after this many are counted under "other".
const MaxDirectories = 1000

// Metrics is one registry of the server's metrics.
type Metrics struct {
	reg        *prometheus.Registry
	requests   *prometheus.CounterVec
	duration   *prometheus.HistogramVec
	statements *prometheus.HistogramVec
	scimOps    *prometheus.CounterVec
	live       liveMetrics

	mu   sync.Mutex
	dirs map[string]bool // directory label values in use
}

// New returns a registry with the HTTP, SQL, SCIM, Go runtime and process
// metrics registered.
func New() *Metrics {
	m := &Metrics{
		reg:  prometheus.NewRegistry(),
		dirs: map[string]bool{},
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "directory_http_requests_total",
			Help: "HTTP requests by route pattern, method and status code.",
		}, []string{"route", "method", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "directory_http_request_duration_seconds",
			Help:    "Time to answer an HTTP request, by route pattern, method and status code.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"route", "method", "status"}),
		statements: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "directory_sql_statements_per_request",
			Help:    "SQL round trips (statements, BEGIN, COMMIT, ROLLBACK) one HTTP request made, by route pattern and method.",
			Buckets: []float64{0, 1, 2, 3, 4, 5, 6, 8, 10, 15, 20, 30, 50, 100, 250},
		}, []string{"route", "method"}),
		scimOps: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "directory_scim_operations_total",
			Help: "SCIM operations by directory, operation and outcome (ok: 2xx, client_error: 4xx, server_error: 5xx).",
		}, []string{"directory", "operation", "outcome"}),
	}
	m.live = newLiveMetrics()
	m.reg.MustRegister(m.requests, m.duration, m.statements, m.scimOps, m.live.deliveries, m.live.deliveryLag,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// WatchRequestLog registers the SCIM request log's counts: the entries it
// wrote, and those it dropped (its buffer was full, or a write failed).
func (m *Metrics) WatchRequestLog(written, dropped func() uint64) {
	counter := func(name, help string, f func() uint64) prometheus.Collector {
		return prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help},
			func() float64 { return float64(f()) })
	}
	m.reg.MustRegister(
		counter("directory_scim_request_log_written_total", "SCIM requests written to the directories' request logs.", written),
		counter("directory_scim_request_log_dropped_total", "SCIM requests the request log dropped: its buffer was full, or their write failed.", dropped))
}

// Registry is the registry, for tests and extra collectors.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// WatchDB registers the statistics of a connection pool (open, in use,
// idle, waits, closes) as go_sql_* metrics labelled db_name=name.
func (m *Metrics) WatchDB(db *sql.DB, name string) error {
	if err := m.reg.Register(collectors.NewDBStatsCollector(db, name)); err != nil {
		return fmt.Errorf("metrics: register database pool %s: %w", name, err)
	}
	return nil
}

// Handler serves the metrics in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// Middleware measures every request next serves: count and duration by
// the pattern the mux matched (r.Pattern, so label values are bounded by
// the routes), method and status; the SQL statements it made; and, for
// SCIM requests, the operation on its directory.
func (m *Metrics) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		ctx, stmts := withCounter(r.Context())
		r = r.WithContext(ctx)
		rw := &statusWriter{ResponseWriter: w}
		defer func() {
			// r.Pattern is set by the muxes that routed r (the SCIM
			// handler's own mux refines the outer "/scim/v2/").
			route := routeLabel(r.Pattern)
			method := methodLabel(r.Method)
			status := rw.status
			if status == 0 {
				status = http.StatusOK
			}
			code := strconv.Itoa(status)
			m.requests.WithLabelValues(route, method, code).Inc()
			m.duration.WithLabelValues(route, method, code).Observe(time.Since(start).Seconds())
			m.statements.WithLabelValues(route, method).Observe(float64(stmts.Load()))
			if op := scimOperation(route, r.Method); op != "" && status != http.StatusUnauthorized && status != http.StatusForbidden {
				m.scimOps.WithLabelValues(m.directoryLabel(pathValue(route, r.URL.Path, "dir")), op, outcome(status)).Inc()
			}
		}()
		next.ServeHTTP(rw, r)
	})
}

// routeLabel is the route label of a mux pattern: its path alone, in one
// form whether the route was registered with a method ("GET /healthz")
// or without ("/graphql"), since the method is a label of its own.
func routeLabel(pattern string) string {
	if _, p, ok := strings.Cut(pattern, " "); ok {
		pattern = p
	}
	if pattern == "" {
		return "unmatched"
	}
	return pattern
}

// pathValue is the segment of path that the wildcard {name} of pattern
// matched. Read from the pattern rather than r.PathValue: an inner handler
// may have routed a copy of the request, whose values r does not hold.
func pathValue(pattern, path, name string) string {
	if _, p, ok := strings.Cut(pattern, " "); ok {
		pattern = p // "GET /x" patterns
	}
	want := "{" + name + "}"
	segs := strings.Split(strings.Trim(path, "/"), "/")
	for i, seg := range strings.Split(strings.Trim(pattern, "/"), "/") {
		if seg == want && i < len(segs) {
			return segs[i]
		}
	}
	return ""
}

// directoryLabel bounds the directory label: the first MaxDirectories
// directories keep their id, later ones are "other".
func (m *Metrics) directoryLabel(dir string) string {
	if dir == "" {
		return "unknown"
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.dirs[dir] {
		return dir
	}
	if len(m.dirs) >= MaxDirectories {
		return "other"
	}
	m.dirs[dir] = true
	return dir
}

// methodLabel keeps the standard methods and folds anything else.
func methodLabel(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions:
		return m
	}
	return "OTHER"
}

func outcome(status int) string {
	switch {
	case status < 400:
		return "ok"
	case status < 500:
		return "client_error"
	}
	return "server_error"
}

// scimOperation names the SCIM operation of a routed request, or "" for
// a request that is not one.
func scimOperation(pattern, method string) string {
	rest, ok := strings.CutPrefix(pattern, domain.SCIMPath+"{dir}")
	if !ok {
		return ""
	}
	var kind string
	switch {
	case strings.HasPrefix(rest, "/Users"):
		kind = "user"
	case strings.HasPrefix(rest, "/Groups"):
		kind = "group"
	case rest == "/.search":
		return "search"
	case rest == "/" || rest == "":
		return ""
	default:
		return "discovery"
	}
	switch {
	case strings.HasSuffix(rest, "/.search"):
		return "search_" + kind + "s"
	case strings.HasSuffix(rest, "/{id}"):
		switch method {
		case http.MethodGet, http.MethodHead:
			return "get_" + kind
		case http.MethodPut:
			return "replace_" + kind
		case http.MethodPatch:
			return "patch_" + kind
		case http.MethodDelete:
			return "delete_" + kind
		}
	default:
		switch method {
		case http.MethodGet, http.MethodHead:
			return "list_" + kind + "s"
		case http.MethodPost:
			return "create_" + kind
		}
	}
	return ""
}

// statusWriter records the status a handler sends. It keeps the optional
// interfaces streaming responses and WebSockets need.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Flush implements http.Flusher when the underlying writer does.
func (w *statusWriter) Flush() {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	http.NewResponseController(w.ResponseWriter).Flush()
}

// Hijack implements http.Hijacker (WebSocket upgrades); a hijacked
// connection is recorded as 101.
func (w *statusWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	h, ok := w.ResponseWriter.(http.Hijacker)
	if !ok {
		return nil, nil, errors.New("metrics: the response writer cannot be hijacked")
	}
	if w.status == 0 {
		w.status = http.StatusSwitchingProtocols
	}
	return h.Hijack()
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
