package graph

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/google/uuid"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/acme/directory/access"
	"github.com/acme/directory/auth"
	"github.com/acme/directory/broker"
	"github.com/acme/directory/fault"
)

// The WebSocket's rules. A socket carries subscriptions only (queries and
// mutations go over HTTP, where the portal and every client library send
// them), and it passes the checks an HTTP request passes, per operation:
//
//   - The credential is checked at connection_init, again for every
//     operation, and again while a subscription runs: at once when this
//     process writes a credential, directory or organization
//     (auth.Authenticator.Changes), and every second otherwise (which the
//     credential cache answers, reading the database every CacheTTL). A
//     refused credential closes the socket with 4403, ending its
//     subscriptions.
//   - Each operation's cost is charged to its key's rate limit, and the
//     document, shape and argument limits apply as they do over HTTP (they
//     are the server's extensions, which every transport runs).
//   - Each subscription's reads of events are paced per key
//     (Config.SubscriptionEventsPerSecond), one read at a time per key and
//     a few at a time on the server, so one key's replays cannot take more
//     than their share of the database.
//   - A key starts at most socketOpsPerSecond operations a second on its
//     sockets (after a burst of socketOpsBurst): past it, its sockets are
//     read more slowly.
//   - Counts are capped: sockets in all, per client address, awaiting
//     connection_init per address, per key; subscriptions per key.
//
// graphql-transport-ws's close codes are used as the protocol defines
// them: 4400 for a malformed message (connection_init included), 4401 for
// a subscribe before connection_init, 4403 for a refused credential, 4408
// when connection_init does not arrive in time, 4409 for a second
// subscribe with an id in use, 4429 for a second connection_init, and
// also for a key over its socket cap.

// The defaults of Config's WebSocket limits.
const (
	DefaultSocketInitTimeout           = 5 * time.Second
	DefaultSocketIdleTimeout           = 5 * time.Minute
	DefaultMaxSockets                  = 10000
	DefaultMaxSocketsPerAddress        = 1000
	DefaultMaxPendingSocketsPerAddress = 64
	DefaultMaxSocketsPerKey            = 64
	DefaultMaxSubscriptionsPerKey      = 100
	// DefaultSubscriptionEventsPerSecond is the events a key's
	// subscriptions receive a second, all together: a replay of a large
	// backlog takes its time instead of the database's.
	DefaultSubscriptionEventsPerSecond = 5000
)

// The close codes of graphql-transport-ws this server sends.
const (
	wsCloseBadRequest   = 4400
	wsCloseUnauthorized = 4401
	wsCloseForbidden    = 4403
	wsCloseInitTimeout  = 4408
	wsCloseDuplicateID  = 4409
	wsCloseTooMany      = 4429
	wsCloseNormal       = 1000
	wsCloseGoingAway    = 1001
)

// maxOperationIDBytes bounds a subscription's id.
const maxOperationIDBytes = 128

// recheckInterval is how often an open socket's credential is checked when
// nothing changed in this process.
const recheckInterval = time.Second

// socketLimits are the WebSocket limits of Config, defaults filled in.
type socketLimits struct {
	initTimeout, idleTimeout time.Duration
	total, perAddress        int
	pendingPerAddress        int
	perKey, subsPerKey       int
}

// socketOpsPerSecond and socketOpsBurst bound how fast one key starts
// operations on its sockets, all together.
const (
	socketOpsPerSecond = 20
	socketOpsBurst     = 100
)

// maxSubscriptionReads is how many reads of events the subscriptions of
// all keys run at once: the rest of the database's connections stay free
// for requests.
const maxSubscriptionReads = 4

// socketSet is the server's open sockets: their counts by address and by
// key, and each key's subscriptions with the pace of their reads.
type socketSet struct {
	lim   socketLimits
	auth  *auth.Authenticator
	rate  float64       // events a second per key; 0: unpaced
	reads chan struct{} // the server's subscription read slots
	ops   *buckets      // operations started, by key

	mu      sync.Mutex
	open    map[*socket]struct{}
	total   int
	byAddr  map[string]int
	pending map[string]int // awaiting connection_init
	byKey   map[uuid.UUID]int
	subs    map[uuid.UUID]*keySubs
}

// keySubs are one key's running subscriptions. They read events one read
// at a time, and at most rate events a second together: a read may
// overdraw the budget, and the next one waits until it is repaid.
type keySubs struct {
	n      int
	slot   chan struct{} // held during a read
	tokens float64       // events the key may still read; negative: owed
	last   time.Time     // when tokens was last refilled
}

// newSocketSet returns the socket registry of cfg (defaults filled in).
func newSocketSet(cfg Config) *socketSet {
	ss := &socketSet{
		lim: socketLimits{
			initTimeout: cfg.SocketInitTimeout, idleTimeout: cfg.SocketIdleTimeout,
			total: cfg.MaxSockets, perAddress: cfg.MaxSocketsPerAddress,
			pendingPerAddress: cfg.MaxPendingSocketsPerAddress,
			perKey:            cfg.MaxSocketsPerKey, subsPerKey: cfg.MaxSubscriptionsPerKey,
		},
		auth:    cfg.Auth,
		rate:    max(cfg.SubscriptionEventsPerSecond, 0),
		reads:   make(chan struct{}, maxSubscriptionReads),
		ops:     newBuckets(socketOpsPerSecond, socketOpsBurst),
		open:    map[*socket]struct{}{},
		byAddr:  map[string]int{},
		pending: map[string]int{},
		byKey:   map[uuid.UUID]int{},
		subs:    map[uuid.UUID]*keySubs{},
	}
	return ss
}

// socketCounts is what counts() reports.
type socketCounts struct{ sockets, subscriptions int }

// counts is how many sockets are open and subscriptions run, now.
func (ss *socketSet) counts() socketCounts {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	out := socketCounts{sockets: ss.total}
	for _, ks := range ss.subs {
		out.subscriptions += ks.n
	}
	return out
}

// closeAll closes every open socket with code and reason.
func (ss *socketSet) closeAll(code int, reason string) {
	ss.mu.Lock()
	open := make([]*socket, 0, len(ss.open))
	for s := range ss.open {
		open = append(open, s)
	}
	ss.mu.Unlock()
	for _, s := range open {
		s.close(code, reason)
	}
}

// admit counts a new socket from addr, or refuses it with the reason.
func (ss *socketSet) admit(addr string) (string, bool) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	switch {
	case ss.total >= ss.lim.total:
		return "the server has as many WebSockets open as it allows", false
	case ss.byAddr[addr] >= ss.lim.perAddress:
		return "this address has as many WebSockets open as it may", false
	case ss.pending[addr] >= ss.lim.pendingPerAddress:
		return "this address has as many WebSockets awaiting connection_init as it may", false
	}
	ss.total++
	ss.byAddr[addr]++
	ss.pending[addr]++
	return "", true
}

// initialized moves a socket of addr out of the pending count.
func (ss *socketSet) initialized(addr string) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	decrement(ss.pending, addr)
}

// admitKey counts an authenticated socket of key, or refuses it.
func (ss *socketSet) admitKey(key uuid.UUID) bool {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if ss.byKey[key] >= ss.lim.perKey {
		return false
	}
	ss.byKey[key]++
	return true
}

// release uncounts socket s of addr: still pending, or of key when it
// was admitted for one.
func (ss *socketSet) release(s *socket, addr string, pending bool, key *uuid.UUID) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	delete(ss.open, s)
	ss.total--
	decrement(ss.byAddr, addr)
	if pending {
		decrement(ss.pending, addr)
	}
	if key != nil {
		decrement(ss.byKey, *key)
	}
}

// subscribe counts a subscription of key and returns the gate of its
// reads and its release, or refuses it with a RATE_LIMITED error.
func (ss *socketSet) subscribe(key uuid.UUID) (broker.Gate, func(), error) {
	if ss == nil {
		return nil, func() {}, nil
	}
	ss.mu.Lock()
	defer ss.mu.Unlock()
	ks := ss.subs[key]
	if ks == nil {
		ks = &keySubs{slot: make(chan struct{}, 1), tokens: ss.rate, last: time.Now()}
		ss.subs[key] = ks
	}
	if ks.n >= ss.lim.subsPerKey {
		err := gqlerror.Errorf("this API key has %d subscriptions open, the most it may: end one first", ks.n)
		errcode.Set(err, codeRateLimited)
		return nil, nil, err
	}
	ks.n++
	var once sync.Once
	release := func() {
		once.Do(func() {
			ss.mu.Lock()
			defer ss.mu.Unlock()
			if ks.n--; ks.n == 0 && ss.subs[key] == ks {
				delete(ss.subs, key)
			}
		})
	}
	return ss.gate(ks), release, nil
}

// gate is the gate of a key's reads: its one read slot, then its debt
// repaid, then one of the server's read slots.
func (ss *socketSet) gate(ks *keySubs) broker.Gate {
	return func(ctx context.Context) (func(int), error) {
		select {
		case ks.slot <- struct{}{}:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		for {
			wait := ss.owed(ks)
			if wait == 0 {
				break
			}
			t := time.NewTimer(wait)
			select {
			case <-ctx.Done():
				t.Stop()
				<-ks.slot
				return nil, ctx.Err()
			case <-t.C:
			}
		}
		select {
		case ss.reads <- struct{}{}:
		case <-ctx.Done():
			<-ks.slot
			return nil, ctx.Err()
		}
		return func(read int) {
			ss.charge(ks, read)
			<-ss.reads
			<-ks.slot
		}, nil
	}
}

// owed refills ks's budget and returns how long until it is out of debt.
func (ss *socketSet) owed(ks *keySubs) time.Duration {
	if ss.rate <= 0 {
		return 0
	}
	ss.mu.Lock()
	defer ss.mu.Unlock()
	now := time.Now()
	ks.tokens = min(ss.rate, ks.tokens+now.Sub(ks.last).Seconds()*ss.rate)
	ks.last = now
	if ks.tokens >= 0 {
		return 0
	}
	return seconds(-ks.tokens / ss.rate)
}

// charge takes n events from ks's budget.
func (ss *socketSet) charge(ks *keySubs, n int) {
	ss.mu.Lock()
	ks.tokens -= float64(n)
	ss.mu.Unlock()
}

// decrement lowers m[k], dropping it at zero.
func decrement[K comparable](m map[K]int, k K) {
	if m[k] <= 1 {
		delete(m, k)
		return
	}
	m[k]--
}

// clientAddr is the address a request came from: its TCP peer's host.
func clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// socket is one open WebSocket: its state as the protocol sees it, and
// its credential.
type socket struct {
	set  *socketSet
	addr string
	done chan struct{} // closed when the socket's handler returns

	mu        sync.Mutex
	conn      transport.WebsocketConn // nil until accepted
	initTimer *time.Timer
	closed    bool
	initDone  bool
	pending   bool   // counted as awaiting connection_init
	header    string // the Authorization value the viewer came from
	portal    string // without one, the portal session token of the upgrade's cookie
	viewer    *access.Viewer
	keyed     *uuid.UUID // the key it is counted for
	active    map[string]struct{}
	idleSince time.Time // when its last subscription ended, or it opened
}

type socketKey struct{}

// socketOf returns the socket ctx runs on, or nil.
func socketOf(ctx context.Context) *socket {
	s, _ := ctx.Value(socketKey{}).(*socket)
	return s
}

// serveSocket serves a WebSocket: admitted by address, authenticated by
// the upgrade request's Authorization header when it has one (browsers
// cannot set it: they send the key in connection_init), then handed to
// gqlgen's transport. It lives as long as the socket, under no request
// deadline; when it returns, the connection is closed whatever happened.
func (e *endpoint) serveSocket(w http.ResponseWriter, r *http.Request) {
	addr := clientAddr(r)
	if reason, ok := e.sockets.admit(addr); !ok {
		w.Header().Set("Retry-After", "5")
		writeError(w, r, http.StatusTooManyRequests, codeRateLimited, reason)
		return
	}
	s := &socket{set: e.sockets, addr: addr, done: make(chan struct{}), pending: true,
		active: map[string]struct{}{}, idleSince: time.Now()}
	e.sockets.mu.Lock()
	e.sockets.open[s] = struct{}{}
	e.sockets.mu.Unlock()
	defer s.finish()
	ctx := context.WithValue(r.Context(), socketKey{}, s)
	if h := r.Header.Get("Authorization"); h != "" {
		v, err := e.auth.APIKey(ctx, h)
		if err != nil {
			writeAuthError(w, r, err)
			return
		}
		s.header = h
		ctx = access.NewContext(ctx, v)
	} else if c, err := r.Cookie(auth.PortalCookie); err == nil && c.Value != "" {
		s.portal = c.Value // checked at connection_init, with the CSRF token
	}
	e.server.ServeHTTP(w, r.WithContext(ctx))
}

// attach records the accepted connection and starts the wait for
// connection_init.
func (s *socket) attach(c transport.WebsocketConn) transport.WebsocketConn {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.conn = c
	s.initTimer = time.AfterFunc(s.set.lim.initTimeout, func() {
		s.mu.Lock()
		late := !s.initDone
		s.mu.Unlock()
		if late {
			s.close(wsCloseInitTimeout, "Connection initialisation timeout")
		}
	})
	return &socketConn{WebsocketConn: c, s: s}
}

// close sends a close frame with code and reason, once; the transport's
// reads then fail and it ends the socket's subscriptions.
func (s *socket) close(code int, reason string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed || s.conn == nil {
		return
	}
	s.closed = true
	if err := s.conn.WriteClose(code, reason); err != nil {
		slog.Debug("graphql: websocket close", "err", err)
	}
}

// finish ends the socket when its handler returns: the connection is
// closed (gqlgen's transport leaves some failed handshakes open), the
// watch stops and the counts go.
func (s *socket) finish() {
	s.close(wsCloseNormal, "Closed")
	s.mu.Lock()
	conn, pending, keyed := s.conn, s.pending, s.keyed
	s.pending, s.keyed = false, nil
	if s.initTimer != nil {
		s.initTimer.Stop()
	}
	s.mu.Unlock()
	close(s.done)
	if conn != nil {
		_ = conn.Close()
	}
	s.set.release(s, s.addr, pending, keyed)
}

// received checks a message the client sent against the protocol before
// the transport reads it. A non-zero code closes the socket with reason.
func (s *socket) received(data []byte) (code int, reason string, op bool) {
	var m struct {
		Type    string          `json:"type"`
		ID      string          `json:"id"`
		Payload json.RawMessage `json:"payload"`
	}
	if err := json.Unmarshal(data, &m); err != nil {
		return wsCloseBadRequest, "Invalid message: not a JSON object with a type", false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	switch m.Type {
	case "connection_init":
		if s.initDone {
			return wsCloseTooMany, "Too many initialisation requests", false
		}
		s.initDone = true
		if s.pending {
			s.pending = false
			s.set.initialized(s.addr)
		}
		if p := bytes.TrimSpace(m.Payload); len(p) > 0 && p[0] != '{' && string(p) != "null" {
			return wsCloseBadRequest, "Invalid connection_init: its payload must be an object", false
		}
	case "subscribe", "start":
		if !s.initDone {
			return wsCloseUnauthorized, "Unauthorized", false
		}
		if m.ID == "" || len(m.ID) > maxOperationIDBytes {
			return wsCloseBadRequest, "Invalid subscribe: its id must be 1 to 128 bytes", false
		}
		if _, dup := s.active[m.ID]; dup {
			return wsCloseDuplicateID, "Subscriber for " + m.ID + " already exists", false
		}
		s.active[m.ID] = struct{}{}
		return 0, "", true
	case "complete", "stop":
		// The id is free once the server's complete for it is sent
		// (sent): the transport answers every stop with one.
	case "ping", "pong", "connection_terminate":
	default:
		return wsCloseBadRequest, "Invalid message type: " + m.Type, false
	}
	return 0, "", false
}

// paced waits until the socket's key may start another operation: a key
// starts at most socketOpsPerSecond a second on all its sockets (after a
// burst), and a socket that sends faster is simply read more slowly, so a
// flood of subscribe messages costs the server nothing but a wait. It
// reports false when the socket ended meanwhile.
func (s *socket) paced() bool {
	s.mu.Lock()
	v := s.viewer
	s.mu.Unlock()
	if v == nil {
		return true
	}
	for {
		b := s.set.ops.take(v.CredentialID, 1)
		if b.retryAfter == 0 {
			return true
		}
		t := time.NewTimer(b.retryAfter)
		select {
		case <-s.done:
			t.Stop()
			return false
		case <-t.C:
		}
	}
}

// sent notes a message the server sent: an operation's complete or error
// frees its id.
func (s *socket) sent(data []byte) {
	if !bytes.HasSuffix(data, []byte(`"type":"complete"}`)) && !bytes.HasSuffix(data, []byte(`"type":"error"}`)) {
		return
	}
	var m struct {
		ID string `json:"id"`
	}
	if json.Unmarshal(data, &m) != nil {
		return
	}
	s.mu.Lock()
	s.ended(m.ID)
	s.mu.Unlock()
}

// ended frees the id of an operation that ended; s.mu is held.
func (s *socket) ended(id string) {
	if _, ok := s.active[id]; !ok {
		return
	}
	delete(s.active, id)
	if len(s.active) == 0 {
		s.idleSince = time.Now()
	}
}

// authenticate checks connection_init's key (or, without one, the upgrade
// request's, or the portal session of its cookie with connection_init's
// CSRF token), counts the socket for it, and starts watching it.
func (s *socket) authenticate(ctx context.Context, a *auth.Authenticator, header, csrf string) (*access.Viewer, int, error) {
	s.mu.Lock()
	if header == "" {
		header = s.header
	}
	portal := s.portal
	s.mu.Unlock()
	var v *access.Viewer
	var err error
	if header == "" && portal != "" {
		v, err = a.PortalSocket(ctx, portal, csrf)
	} else {
		portal = ""
		v, err = a.APIKey(ctx, header)
	}
	if err != nil {
		return nil, wsCloseForbidden, err
	}
	if !s.set.admitKey(v.CredentialID) {
		return nil, wsCloseTooMany, fault.Errorf(fault.Forbidden, "this API key has as many WebSockets open as it may")
	}
	s.mu.Lock()
	s.header, s.portal, s.viewer, s.keyed = header, portal, v, &v.CredentialID
	s.mu.Unlock()
	go s.watch(a)
	return v, 0, nil
}

// valid checks the socket's credential again (through the cache): false
// when it is refused now, or is another credential than the one the
// socket opened with. A check that fails to run keeps the socket.
func (s *socket) valid(ctx context.Context, a *auth.Authenticator) bool {
	s.mu.Lock()
	header, portal, was := s.header, s.portal, s.viewer
	s.mu.Unlock()
	if was == nil {
		return false
	}
	var v *access.Viewer
	var err error
	if portal != "" {
		v, _, err = a.PortalViewer(ctx, portal)
	} else {
		v, err = a.APIKey(ctx, header)
	}
	var f *fault.Error
	switch {
	case err == nil:
		return v.CredentialID == was.CredentialID && v.Scope == was.Scope
	case errors.As(err, &f):
		return false
	default:
		slog.WarnContext(ctx, "graphql: websocket credential check failed", "err", err)
		return true
	}
}

// watch closes the socket with 4403 as soon as its credential is refused,
// and with 1000 when it has held no subscription for the idle timeout.
func (s *socket) watch(a *auth.Authenticator) {
	tick := time.NewTicker(recheckInterval)
	defer tick.Stop()
	for {
		select {
		case <-s.done:
			return
		case <-tick.C:
		case <-a.Changes():
			// Many sockets wake at once: spread their checks, so that the
			// first one's read fills the cache for the rest.
			select {
			case <-s.done:
				return
			case <-time.After(rand.N(200 * time.Millisecond)):
			}
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		ok := s.valid(ctx, a)
		cancel()
		if !ok {
			s.close(wsCloseForbidden, "Forbidden")
			return
		}
		s.mu.Lock()
		idle := len(s.active) == 0 && time.Since(s.idleSince) >= s.set.lim.idleTimeout
		s.mu.Unlock()
		if idle {
			s.close(wsCloseNormal, "Idle: no subscription for "+s.set.lim.idleTimeout.String())
			return
		}
	}
}

// socketAcceptor accepts WebSockets with coder/websocket and wraps each in
// a socketConn, so the socket's rules see every message.
type socketAcceptor struct {
	transport.CoderWebsocketImplementation
}

// Accept implements transport.WebsocketImplementation.
func (a socketAcceptor) Accept(w http.ResponseWriter, r *http.Request, opts transport.WebsocketAcceptOptions) (transport.WebsocketConn, error) {
	c, err := a.CoderWebsocketImplementation.Accept(w, r, opts)
	if err != nil {
		return nil, err
	}
	if s := socketOf(r.Context()); s != nil {
		return s.attach(c), nil
	}
	return c, nil
}

// socketConn is an accepted connection whose messages pass the socket's
// protocol checks.
type socketConn struct {
	transport.WebsocketConn
	s *socket
}

var (
	_ transport.WebsocketReadLimiter   = (*socketConn)(nil)
	_ transport.WebsocketReadDeadliner = (*socketConn)(nil)
)

// NextReader implements transport.WebsocketConn: a message that breaks the
// protocol closes the socket with its code instead of reaching the
// transport.
func (c *socketConn) NextReader() (int, io.Reader, error) {
	typ, r, err := c.WebsocketConn.NextReader()
	if err != nil {
		return typ, r, err
	}
	data, err := io.ReadAll(r)
	if err != nil {
		return typ, nil, err
	}
	code, reason, op := c.s.received(data)
	if code != 0 {
		c.s.close(code, reason)
		return typ, nil, transport.ErrWebsocketClosed
	}
	if op && !c.s.paced() {
		return typ, nil, transport.ErrWebsocketClosed
	}
	return typ, bytes.NewReader(data), nil
}

// WriteJSON implements transport.WebsocketConn.
func (c *socketConn) WriteJSON(v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	c.s.sent(data)
	return c.WebsocketConn.WriteJSON(json.RawMessage(data))
}

// WriteClose implements transport.WebsocketConn: the first close wins.
func (c *socketConn) WriteClose(code int, reason string) error {
	c.s.close(code, reason)
	return nil
}

// SetReadLimit implements transport.WebsocketReadLimiter.
func (c *socketConn) SetReadLimit(n int64) {
	if l, ok := c.WebsocketConn.(transport.WebsocketReadLimiter); ok {
		l.SetReadLimit(n)
	}
}

// SetReadDeadline implements transport.WebsocketReadDeadliner.
func (c *socketConn) SetReadDeadline(t time.Time) error {
	if d, ok := c.WebsocketConn.(transport.WebsocketReadDeadliner); ok {
		return d.SetReadDeadline(t)
	}
	return nil
}

// socketGuard is the first check of every operation sent on a socket: its
// credential again, and that it is a subscription.
type socketGuard struct {
	auth *auth.Authenticator
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = socketGuard{}

// ExtensionName implements graphql.HandlerExtension.
func (socketGuard) ExtensionName() string { return "SocketGuard" }

// Validate implements graphql.HandlerExtension.
func (socketGuard) Validate(graphql.ExecutableSchema) error { return nil }

// MutateOperationContext implements graphql.OperationContextMutator.
func (g socketGuard) MutateOperationContext(ctx context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	s := socketOf(ctx)
	if s == nil {
		return nil
	}
	if !s.valid(ctx, g.auth) {
		s.close(wsCloseForbidden, "Forbidden")
		err := gqlerror.Errorf("%s", auth.ErrAPIKey.Error())
		errcode.Set(err, codes[fault.Unauthorized])
		return err
	}
	if oc.Operation.Operation != ast.Subscription {
		err := gqlerror.ErrorPosf(oc.Operation.Position,
			"this WebSocket carries subscriptions only: send queries and mutations as HTTP POST requests")
		errcode.Set(err, codeBadRequest)
		return err
	}
	return nil
}
