// Package broker wakes readers when events commit, so that the GraphQL
// events subscription and `directory events tail` show an event as soon as
// it is readable rather than at their next poll.
//
// A wake-up carries no event and no position: it only says "events of this
// organization may have committed". The reader then reads through
// events.After from its own cursor, as it would when polling, so the order
// and the no-gap rule of package events hold whatever happens to the
// wake-ups: a lost one only adds latency (readers also re-read every Poll),
// a spurious one costs one read.
//
// Where the wake-ups come from:
//
//   - In this process: domain.WatchCommits, called after the commit of
//     every transaction that recorded events through package domain.
//   - On PostgreSQL, from every server: the writing transaction sends
//     NOTIFY on domain.NotifyChannel with the organization's id, which the
//     database delivers on commit; Run listens through lib/pq's Listener on
//     a session of its own. After the listener reconnects (it may have
//     missed notifications) every reader is woken.
//   - On SQLite, from other processes on the same file (the command line):
//     Run looks at the newest event id every Tick and, when it moved,
//     wakes the readers of the organizations whose events are new.
package broker

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"entgo.io/ent/dialect"
	"github.com/google/uuid"
	"github.com/lib/pq"

	"github.com/acme/directory/domain"
	"github.com/acme/directory/ent"
	"github.com/acme/directory/events"
	"github.com/acme/directory/store"
)

// The defaults of Config.
const (
	DefaultTick      = 200 * time.Millisecond
	DefaultPoll      = 2 * time.Second
	DefaultHeartbeat = 5 * time.Second
)

// heartbeatPrefix starts the payload of a server's heartbeat on
// domain.NotifyChannel; its id follows.
const heartbeatPrefix = "replica:"

// pageSize is how many events a reader reads at once.
const pageSize = 100

// settleFirst is the first re-read delay after a wake-up found nothing on
// PostgreSQL (see Tail).
const settleFirst = 50 * time.Millisecond

// pingInterval is how often the PostgreSQL listener checks its session
// when nothing arrives.
const pingInterval = 90 * time.Second

// Config configures a Broker. Zero durations take the defaults.
type Config struct {
	// DatabaseURL is the PostgreSQL connection string the listener opens
	// its own session with: a direct session, not one through a
	// transaction-pooling proxy, which does not keep LISTEN. Unused on
	// SQLite.
	DatabaseURL string
	// Tick is how often, on SQLite, the newest event id is checked for
	// writes made by other processes.
	Tick time.Duration
	// Poll is how often a reader re-reads when nothing woke it.
	Poll time.Duration
	// IgnoreLocalCommits leaves out the wake-ups of this process's
	// commits, for tests that run several servers in one process and must
	// see that the database's notifications alone reach each of them.
	IgnoreLocalCommits bool
	// Heartbeat is how often, on PostgreSQL, the broker tells the other
	// servers of the database that this one is alive (a notification,
	// nothing written); Replicas counts the servers heard within three
	// heartbeats.
	Heartbeat time.Duration
}

// Broker hands out wake-ups to the readers of one database's events.
// Subscribe and Tail work before and without Run, but then only wake-ups
// from this process arrive (and none before Run registers for them); a nil
// *Broker is valid too and makes Tail poll.
type Broker struct {
	dialect string
	db      *sql.DB
	cfg     Config

	id      uuid.UUID // this server, in heartbeats
	mu      sync.Mutex
	waiters map[uuid.UUID]map[chan struct{}]struct{}
	onCreds []func()
	seen    map[uuid.UUID]time.Time // the servers heard, when last
}

// Replicas is how many servers share the database: those whose heartbeat
// arrived within three heartbeats, this one included; 1 on SQLite, before
// Run has heard anything, and for a nil broker.
func (b *Broker) Replicas() int {
	if b == nil {
		return 1
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	n, since := 0, time.Now().Add(-3*b.cfg.Heartbeat)
	for id, at := range b.seen {
		if at.After(since) {
			n++
		} else {
			delete(b.seen, id)
		}
	}
	return max(n, 1)
}

// heard records a heartbeat of server id.
func (b *Broker) heard(id uuid.UUID) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.seen[id] = time.Now()
}

// beat sends this server's heartbeat (delivered at once: no transaction).
// The payload is built, not bound, so the statement has no parameters
// (one message, whatever pools the connection).
func (b *Broker) beat(ctx context.Context) {
	q := fmt.Sprintf("SELECT pg_notify('%s', '%s%s')", domain.NotifyChannel, heartbeatPrefix, b.id)
	if _, err := b.db.ExecContext(ctx, q); err != nil && ctx.Err() == nil {
		slog.WarnContext(ctx, "events broker: heartbeat", "err", err)
	}
}

// OnCredentialsChanged calls f whenever another server announces that a
// credential, directory or organization changed (domain.NotifyCredentials),
// and after the listener reconnects (an announcement may have been
// missed). Only on PostgreSQL.
func (b *Broker) OnCredentialsChanged(f func()) {
	if b == nil {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.onCreds = append(b.onCreds, f)
}

// credentialsChanged calls the OnCredentialsChanged functions.
func (b *Broker) credentialsChanged() {
	b.mu.Lock()
	fs := slices.Clone(b.onCreds)
	b.mu.Unlock()
	for _, f := range fs {
		f()
	}
}

// New returns a broker for the events of s. Call Run to receive
// wake-ups.
func New(s *store.Store, cfg Config) *Broker {
	if cfg.Tick <= 0 {
		cfg.Tick = DefaultTick
	}
	if cfg.Poll <= 0 {
		cfg.Poll = DefaultPoll
	}
	if cfg.Heartbeat <= 0 {
		cfg.Heartbeat = DefaultHeartbeat
	}
	return &Broker{dialect: s.Dialect, db: s.DB, cfg: cfg, id: uuid.New(),
		waiters: map[uuid.UUID]map[chan struct{}]struct{}{}, seen: map[uuid.UUID]time.Time{}}
}

// Subscribe returns a channel that receives a value when events of org may
// have committed since the last receive (several wake-ups fold into one),
// and the function that ends the subscription. A nil broker's channel
// never receives.
func (b *Broker) Subscribe(org uuid.UUID) (wake <-chan struct{}, cancel func()) {
	if b == nil {
		return nil, func() {}
	}
	ch := make(chan struct{}, 1)
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.waiters[org] == nil {
		b.waiters[org] = map[chan struct{}]struct{}{}
	}
	b.waiters[org][ch] = struct{}{}
	return ch, func() {
		b.mu.Lock()
		defer b.mu.Unlock()
		delete(b.waiters[org], ch)
		if len(b.waiters[org]) == 0 {
			delete(b.waiters, org)
		}
	}
}

// Wake wakes the readers of orgs.
func (b *Broker) Wake(orgs ...uuid.UUID) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, org := range orgs {
		for ch := range b.waiters[org] {
			signal(ch)
		}
	}
}

// WakeAll wakes every reader.
func (b *Broker) WakeAll() {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, ws := range b.waiters {
		for ch := range ws {
			signal(ch)
		}
	}
}

// readers is how many readers are subscribed.
func (b *Broker) readers() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	n := 0
	for _, ws := range b.waiters {
		n += len(ws)
	}
	return n
}

// signal sends on ch unless a wake-up is already pending there.
func signal(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

// Run receives wake-ups until ctx ends: this process's commits, and the
// PostgreSQL notifications of every server or, on SQLite, the writes of
// other processes. It returns nil when ctx ends, or an error when the
// listener cannot start.
func (b *Broker) Run(ctx context.Context) error {
	if !b.cfg.IgnoreLocalCommits {
		stop := domain.WatchCommits(func(orgs []uuid.UUID) { b.Wake(orgs...) })
		defer stop()
	}
	if b.dialect == dialect.Postgres {
		return b.listen(ctx)
	}
	return b.watchFile(ctx)
}

// listen wakes readers on the notifications of domain.NotifyChannel.
func (b *Broker) listen(ctx context.Context) error {
	if b.cfg.DatabaseURL == "" {
		return errors.New("broker: PostgreSQL needs Config.DatabaseURL for its listener")
	}
	l := pq.NewListener(b.cfg.DatabaseURL, time.Second, 30*time.Second, func(ev pq.ListenerEventType, err error) {
		switch ev {
		case pq.ListenerEventDisconnected, pq.ListenerEventConnectionAttemptFailed:
			slog.WarnContext(ctx, "events broker: listener connection lost", "event", ev.String(), "err", err)
		case pq.ListenerEventReconnected:
			slog.InfoContext(ctx, "events broker: listener reconnected")
		}
	})
	defer l.Close()
	listening := make(chan error, 1)
	go func() { listening <- l.Listen(domain.NotifyChannel) }()
	select {
	case err := <-listening:
		if err != nil {
			return fmt.Errorf("broker: listen on %s: %w", domain.NotifyChannel, err)
		}
	case <-ctx.Done():
		return nil
	}
	// Whatever committed before LISTEN took effect was not notified.
	b.WakeAll()
	ping := time.NewTicker(pingInterval)
	defer ping.Stop()
	heartbeat := time.NewTicker(b.cfg.Heartbeat)
	defer heartbeat.Stop()
	b.beat(ctx)
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-heartbeat.C:
			b.beat(ctx)
		case n := <-l.Notify:
			if n == nil { // reconnected: notifications may have been lost
				b.credentialsChanged()
				b.WakeAll()
				continue
			}
			if n.Extra == domain.NotifyCredentials {
				b.credentialsChanged()
				continue
			}
			if id, ok := strings.CutPrefix(n.Extra, heartbeatPrefix); ok {
				if rid, err := uuid.Parse(id); err == nil {
					b.heard(rid)
				}
				continue
			}
			org, err := uuid.Parse(n.Extra)
			if err != nil {
				slog.WarnContext(ctx, "events broker: notification without an organization id", "payload", n.Extra)
				b.WakeAll()
				continue
			}
			b.Wake(org)
		case <-ping.C:
			go func() {
				if err := l.Ping(); err != nil && ctx.Err() == nil {
					slog.WarnContext(ctx, "events broker: listener ping failed", "err", err)
				}
			}()
		}
	}
}

// watchFile wakes every reader when the newest event id of a SQLite
// database moves, which catches the writes of other processes.
func (b *Broker) watchFile(ctx context.Context) error {
	t := time.NewTicker(b.cfg.Tick)
	defer t.Stop()
	var last int64 = -1
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		if b.readers() == 0 {
			last = -1
			continue
		}
		var newest int64
		if err := b.db.QueryRowContext(ctx, "SELECT COALESCE(MAX(id), 0) FROM events").Scan(&newest); err != nil {
			if ctx.Err() == nil {
				slog.WarnContext(ctx, "events broker: read newest event", "err", err)
			}
			continue
		}
		switch {
		case newest == last:
		case last < 0:
			// The first look after readers came has nothing to compare
			// with: wake them, as an event may have committed since they
			// last read.
			b.WakeAll()
		default:
			// Only the organizations whose events moved: a write of one
			// tenant wakes no other tenant's readers.
			orgs, err := b.orgsBetween(ctx, last, newest)
			if err != nil {
				if ctx.Err() == nil {
					slog.WarnContext(ctx, "events broker: read organizations of new events", "err", err)
				}
				b.WakeAll()
				break
			}
			b.Wake(orgs...)
		}
		last = newest
	}
}

// orgsBetween returns the organizations of the events with ids in
// (after, upTo]. SQLite has one writer, so its event ids commit in order.
func (b *Broker) orgsBetween(ctx context.Context, after, upTo int64) ([]uuid.UUID, error) {
	rows, err := b.db.QueryContext(ctx,
		"SELECT DISTINCT organization_id FROM events WHERE id > ? AND id <= ?", after, upTo)
	if err != nil {
		return nil, fmt.Errorf("broker: organizations of new events: %w", err)
	}
	defer rows.Close()
	var orgs []uuid.UUID
	for rows.Next() {
		var org uuid.UUID
		if err := rows.Scan(&org); err != nil {
			return nil, fmt.Errorf("broker: organizations of new events: %w", err)
		}
		orgs = append(orgs, org)
	}
	return orgs, rows.Err()
}

// Tail calls emit with each event of org after from that matches f, in
// order, as it becomes readable, until ctx ends (it then returns ctx's
// error) or emit or a read fails. It reads through events.After with c
// as the viewer in ctx (the privacy rules apply): the backlog first, page
// by page, then again from the last event it emitted each time it is
// woken, and every Poll. It subscribes before its first read, so an event
// that commits while the backlog is read wakes it, and no event is
// skipped or emitted twice.
//
// On PostgreSQL an event is readable only once every transaction older
// than its own has ended (package events): when a wake-up finds nothing,
// Tail re-reads after 50 ms, then twice as long each time, up to Poll.
func (b *Broker) Tail(ctx context.Context, c *ent.Client, org uuid.UUID, from events.Cursor, f events.Filter, emit func(*ent.Event) error) error {
	return b.TailGated(ctx, c, org, from, f, nil, emit)
}

// Gate is passed before each read of events: it may make the reader wait
// (its turn among readers that share a budget, its pace) and returns what
// to call once the read is done, with the number of events it read.
type Gate func(ctx context.Context) (done func(read int), err error)

// TailGated is Tail with each read of events passing gate first (nil: no
// gate), so that a reader with a long backlog reads at the pace the
// caller sets, not at the database's.
func (b *Broker) TailGated(ctx context.Context, c *ent.Client, org uuid.UUID, from events.Cursor, f events.Filter, gate Gate, emit func(*ent.Event) error) error {
	wake, cancel := b.Subscribe(org)
	defer cancel()
	poll := DefaultPoll
	settles := false
	if b != nil {
		poll = b.cfg.Poll
		settles = b.dialect == dialect.Postgres
	}
	timer := time.NewTimer(poll)
	defer timer.Stop()
	cur := from
	woke := false
	var backoff time.Duration // > 0 while waiting for a notified event to become readable
	for {
		n, err := drain(ctx, c, org, &cur, f, gate, emit)
		if err != nil {
			return err
		}
		switch {
		case n > 0:
			backoff = 0
		case woke && settles:
			backoff = settleFirst
		case backoff > 0:
			if backoff *= 2; backoff >= poll {
				backoff = 0
			}
		}
		wait := poll
		if backoff > 0 {
			wait = backoff
		}
		timer.Reset(wait)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-wake:
			woke = true
		case <-timer.C:
			woke = false
		}
		if !timer.Stop() {
			select {
			case <-timer.C:
			default:
			}
		}
	}
}

// drain emits every event readable now after *cur and moves *cur past
// each one emitted, each read passing gate; it returns how many.
func drain(ctx context.Context, c *ent.Client, org uuid.UUID, cur *events.Cursor, f events.Filter, gate Gate, emit func(*ent.Event) error) (int, error) {
	n := 0
	for {
		done := func(int) {}
		if gate != nil {
			var err error
			if done, err = gate(ctx); err != nil {
				return n, err
			}
		}
		evs, more, err := events.After(ctx, c, org, *cur, f, pageSize)
		done(len(evs))
		if err != nil && ctx.Err() != nil {
			// Cancelled mid-read: the driver's error (PostgreSQL's 57014,
			// say) is the cancellation's.
			return n, ctx.Err()
		}
		if err != nil {
			return n, err
		}
		for _, e := range evs {
			if err := emit(e); err != nil {
				return n, err
			}
			*cur = events.Of(e)
			n++
		}
		if !more || len(evs) == 0 {
			return n, nil
		}
	}
}
