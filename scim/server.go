package scim

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/acme/directory/auth"
	"github.com/acme/directory/domain"
	"github.com/acme/directory/ent"
	"github.com/acme/directory/store"
)

// Options configure the SCIM handler.
type Options struct {
	// PublicURL is the base of the URLs in Location headers and meta
	// (".../scim/v2/{dir}" is appended). Empty: taken from the request.
	PublicURL string
	// MaxBodyBytes limits request bodies; advertised as bulk.maxPayloadSize.
	MaxBodyBytes int64
	// MaxResults caps count in list responses; advertised as filter.maxResults.
	MaxResults int
	// DefaultCount is the page size when a list request gives no count.
	DefaultCount int
	// MaxFilterBytes and MaxFilterClauses bound a filter: its length, and
	// its comparisons and presence tests (those inside value-path brackets
	// included). A larger filter is 400 invalidFilter before any SQL.
	MaxFilterBytes   int
	MaxFilterClauses int
	// BodyTimeout is how long a request body may take to arrive, from the
	// moment the handler starts: a body trickled in (slow-loris) is cut off
	// with 408, authenticated or not, while a large body sent at a normal
	// pace is read whole. It does not apply to the other endpoints.
	BodyTimeout time.Duration
	// RequestTimeout bounds a whole request: its context (so its SQL is
	// cancelled) and the writing of its response, so a client that stops
	// reading is disconnected. Member lists are read in pages between
	// writes, so such a client never holds a database connection.
	RequestTimeout time.Duration
	// MemberReadsPerDirectory bounds the pages of group members that one
	// directory's requests read at once (see memberReads), so that clients
	// that never read a large group cannot take the database and the CPU
	// from other tenants.
	MemberReadsPerDirectory int
	// Requests is the directory request log each request's entry is
	// handed to (requestlog.go); nil logs nothing.
	Requests *domain.RequestLog
	// Auth checks the directory tokens; nil is one with the defaults. Share
	// one with the GraphQL handler so last-use writes are throttled once.
	Auth *auth.Authenticator
}

// Defaults of the Options.
const (
	DefaultMaxBodyBytes     = 8 << 20
	DefaultMaxResults       = 1000
	DefaultDefaultCount     = 100
	DefaultMaxFilterBytes   = 8 << 10
	DefaultMaxFilterClauses = 100
	DefaultBodyTimeout      = 30 * time.Second
	DefaultRequestTimeout   = 60 * time.Second
	// DefaultMemberReadsPerDirectory is the default of
	// Options.MemberReadsPerDirectory.
	DefaultMemberReadsPerDirectory = 2
)

// Server serves SCIM for every directory.
type Server struct {
	client  *ent.Client     // reads
	domain  *domain.Service // writes
	dialect string
	opts    Options
	auth    *auth.Authenticator
	mux     *http.ServeMux
	// memberReads bounds each directory's member pages read at once.
	memberReads *memberReads
	// reads are the statements of the one-user reads (userread.go).
	reads userReads
}

// NewHandler returns the SCIM handler for the store, to be mounted at
// /scim/v2/.
func NewHandler(st *store.Store, opts Options) *Server {
	client := st.Client
	if opts.MaxBodyBytes <= 0 {
		opts.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if opts.MaxResults <= 0 {
		opts.MaxResults = DefaultMaxResults
	}
	if opts.DefaultCount <= 0 {
		opts.DefaultCount = min(DefaultDefaultCount, opts.MaxResults)
	}
	if opts.MaxFilterBytes <= 0 {
		opts.MaxFilterBytes = DefaultMaxFilterBytes
	}
	if opts.MaxFilterClauses <= 0 {
		opts.MaxFilterClauses = DefaultMaxFilterClauses
	}
	if opts.BodyTimeout <= 0 {
		opts.BodyTimeout = DefaultBodyTimeout
	}
	if opts.RequestTimeout <= 0 {
		opts.RequestTimeout = DefaultRequestTimeout
	}
	if opts.MemberReadsPerDirectory <= 0 {
		opts.MemberReadsPerDirectory = DefaultMemberReadsPerDirectory
	}
	svc := domain.New(client, st.Dialect)
	if opts.Auth == nil {
		opts.Auth = auth.New(svc, auth.Config{})
	}
	s := &Server{client: client, domain: svc, opts: opts,
		dialect: st.Dialect, auth: opts.Auth, memberReads: newMemberReads(opts.MemberReadsPerDirectory),
		reads: newUserReads(st.Dialect)}
	s.routes()
	return s
}

// ServeHTTP authenticates the request for its directory and dispatches it,
// under the body and request deadlines of the Options.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	// The read deadline also covers a body no handler reads (a refused
	// request), which the server would otherwise wait for to reuse the
	// connection. Servers that cannot set deadlines (ErrNotSupported) go
	// without.
	rc := http.NewResponseController(w)
	_ = rc.SetReadDeadline(start.Add(s.opts.BodyTimeout))
	_ = rc.SetWriteDeadline(start.Add(s.opts.RequestTimeout))
	defer func() {
		// The connection may serve another request, of another handler:
		// send what is buffered under this request's deadline, then lift it.
		_ = rc.Flush()
		_ = rc.SetWriteDeadline(time.Time{})
	}()
	ctx, cancel := context.WithDeadline(r.Context(), start.Add(s.opts.RequestTimeout))
	defer cancel()
	w.Header().Set("Cache-Control", "no-store")
	// The request is served as a copy carrying the deadline: name the
	// route on the original too, for whoever wraps this handler (metrics).
	if _, pattern := s.mux.Handler(r); pattern != "" {
		r.Pattern = pattern
	}
	s.logged(w, r.WithContext(ctx), s.mux)
}

// route is one resource path with a handler per method; other methods get a
// SCIM 405 rather than the mux's plain-text one.
type route map[string]http.HandlerFunc

func (rt route) serve(w http.ResponseWriter, r *http.Request) {
	h, ok := rt[r.Method]
	if !ok && r.Method == http.MethodHead {
		h, ok = rt[http.MethodGet]
	}
	if !ok {
		methods := make([]string, 0, len(rt))
		for m := range rt {
			methods = append(methods, m)
		}
		w.Header().Set("Allow", strings.Join(methods, ", "))
		writeError(w, r, errorf(http.StatusMethodNotAllowed, "", r.Method+" is not supported here"))
		return
	}
	h(w, r)
}

func (s *Server) routes() {
	s.mux = http.NewServeMux()
	const base = domain.SCIMPath + "{dir}"
	handle := func(path string, rt route) {
		s.mux.Handle(base+path, s.authenticate(http.HandlerFunc(rt.serve)))
	}
	handle("/Users", route{"GET": s.lister(s.findUsers), "POST": s.createUser})
	handle("/Users/.search", route{"POST": s.searcher(s.findUsers)})
	handle("/Users/{id}", route{"GET": s.getUser, "PUT": s.replaceUser, "PATCH": s.patchUser, "DELETE": s.deleter("user", s.domain.DeleteUser)})
	handle("/Groups", route{"GET": s.lister(s.findGroups), "POST": s.createGroup})
	handle("/Groups/.search", route{"POST": s.searcher(s.findGroups)})
	handle("/Groups/{id}", route{"GET": s.getGroup, "PUT": s.replaceGroup, "PATCH": s.patchGroup, "DELETE": s.deleter("group", s.domain.DeleteGroup)})
	handle("/.search", route{"POST": s.searchAll})
	handle("/ServiceProviderConfig", route{"GET": s.serviceProviderConfig})
	handle("/ResourceTypes", route{"GET": s.resourceTypes})
	handle("/ResourceTypes/{id}", route{"GET": s.resourceType})
	handle("/Schemas", route{"GET": s.schemas})
	handle("/Schemas/{id}", route{"GET": s.schema})
	s.mux.Handle(base+"/", s.authenticate(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeError(w, r, errorf(http.StatusNotFound, "", "no SCIM endpoint at "+r.URL.Path))
	})))
	s.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, r, errorf(http.StatusNotFound, "", "SCIM endpoints live at "+domain.SCIMPath+"{directoryID}"))
	})
}

// baseURL is the directory's SCIM base URL as the client should see it.
func (s *Server) baseURL(r *http.Request) string {
	root := strings.TrimRight(s.opts.PublicURL, "/")
	if root == "" {
		scheme := "http"
		if r.TLS != nil || strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https") {
			scheme = "https"
		}
		root = scheme + "://" + r.Host
	}
	return root + domain.SCIMPath + r.PathValue("dir")
}
