package domain

// The SCIM request log (ent/schema/scimrequest.go). The SCIM edge hands
// each request's entry to a RequestLog once the response is written; the
// log keeps entries in a bounded in-process buffer and writes them in the
// background, many at a time, in one multi-row INSERT: a request waits for
// no log write, pays no statement for it, and never fails because the log
// could not be written (an entry that finds the buffer full is dropped and
// counted). Entries still buffered when the process dies are lost: the log
// explains syncs, it is not an audit trail.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	entsql "entgo.io/ent/dialect/sql"
	"github.com/google/uuid"

	"github.com/acme/directory/access"
	"github.com/acme/directory/ent"
	"github.com/acme/directory/ent/revokedtoken"
	"github.com/acme/directory/ent/scimrequest"
)

// Defaults of the RequestLogConfig.
const (
	// DefaultRequestRetention is how long the request log keeps a request.
	DefaultRequestRetention = 7 * 24 * time.Hour
	// DefaultRequestLogBuffer is how many entries may wait to be written.
	DefaultRequestLogBuffer = 10_000
	// DefaultRequestLogBatch is how many entries one INSERT writes, and the
	// count that starts a write before the interval is up.
	DefaultRequestLogBatch = 500
	// DefaultRequestLogInterval is how long an entry waits at most.
	DefaultRequestLogInterval = 250 * time.Millisecond
)

// Refusal reasons of a request whose token belongs to the directory but
// was refused (RequestEntry.Refusal).
const (
	RefusalDirectoryDisabled = "directory_disabled"
	RefusalTokenExpired      = "token_expired"
	RefusalTokenRevoked      = "token_revoked"
)

// RequestEntry is one SCIM request as the log keeps it. Its strings are
// the caller's to redact and truncate: the log stores them as they are.
type RequestEntry struct {
	OrganizationID, DirectoryID uuid.UUID
	At                          time.Time // when the request arrived
	Method, Path                string
	Status                      int
	ScimType, Detail, Refusal   string
	Duration                    time.Duration
	Changes                     map[string]int // events recorded, by type
	UserID                      *uuid.UUID
	UserName                    string
	TokenID                     *uuid.UUID
	RequestBody, ResponseBody   string // failures only
}

// RequestLogConfig configures a RequestLog; zero values are the defaults.
type RequestLogConfig struct {
	Buffer   int           // entries waiting at most; more are dropped
	Batch    int           // entries per INSERT, and the count that starts one
	Interval time.Duration // how long an entry waits at most
}

// RequestLog buffers SCIM request entries and writes them in batches
// (Run). It is safe for concurrent use; a nil *RequestLog logs nothing.
type RequestLog struct {
	svc     *Service
	cfg     RequestLogConfig
	mu      sync.Mutex
	buf     []RequestEntry
	kick    chan struct{}
	writing sync.Mutex // one write at a time, in arrival order
	dropped atomic.Uint64
	written atomic.Uint64
}

// NewRequestLog returns a request log written through s; it writes
// nothing until Run runs (or Flush is called).
func (s *Service) NewRequestLog(cfg RequestLogConfig) *RequestLog {
	if cfg.Buffer <= 0 {
		cfg.Buffer = DefaultRequestLogBuffer
	}
	if cfg.Batch <= 0 {
		cfg.Batch = DefaultRequestLogBatch
	}
	if cfg.Interval <= 0 {
		cfg.Interval = DefaultRequestLogInterval
	}
	return &RequestLog{svc: s, cfg: cfg, kick: make(chan struct{}, 1)}
}

// Add queues e to be written; it never blocks. When the buffer is full, e
// is dropped and counted (Dropped).
func (l *RequestLog) Add(e RequestEntry) {
	if l == nil {
		return
	}
	l.mu.Lock()
	if len(l.buf) >= l.cfg.Buffer {
		l.mu.Unlock()
		l.dropped.Add(1)
		return
	}
	l.buf = append(l.buf, e)
	full := len(l.buf) >= l.cfg.Batch
	l.mu.Unlock()
	if full {
		select {
		case l.kick <- struct{}{}:
		default:
		}
	}
}

// Dropped is how many entries were lost: the buffer was full, or their
// write failed.
func (l *RequestLog) Dropped() uint64 {
	if l == nil {
		return 0
	}
	return l.dropped.Load()
}

// Written is how many entries were written.
func (l *RequestLog) Written() uint64 {
	if l == nil {
		return 0
	}
	return l.written.Load()
}

// Run writes the buffered entries every Interval, or as soon as a batch
// is waiting, until ctx ends; then it writes what is left, for at most
// five seconds. A nil log returns at once.
func (l *RequestLog) Run(ctx context.Context) {
	if l == nil {
		return
	}
	t := time.NewTicker(l.cfg.Interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			l.flushDetached(ctx)
			return
		case <-t.C:
		case <-l.kick:
		}
		l.flushDetached(ctx)
	}
}

// flushDetached flushes with a context of its own, bounded in time: a
// write under way when Run is stopped completes rather than failing and
// dropping the entries it holds.
func (l *RequestLog) flushDetached(ctx context.Context) {
	flush, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	l.flushLogged(flush)
}

// flushLogged flushes, logging a failure (the entries are counted as
// dropped by Flush).
func (l *RequestLog) flushLogged(ctx context.Context) {
	if err := l.Flush(ctx); err != nil && ctx.Err() == nil {
		slog.ErrorContext(ctx, "request log: write failed", "err", err)
	}
}

// Flush writes every entry buffered now, Batch at a time. Entries that
// cannot be written are dropped and counted, and the first error is
// returned.
func (l *RequestLog) Flush(ctx context.Context) error {
	if l == nil {
		return nil
	}
	l.writing.Lock()
	defer l.writing.Unlock()
	l.mu.Lock()
	buf := l.buf
	l.buf = nil
	l.mu.Unlock()
	var first error
	for len(buf) > 0 {
		n := min(len(buf), l.cfg.Batch)
		if err := l.write(ctx, buf[:n]); err != nil && first == nil {
			first = err
		}
		buf = buf[n:]
	}
	return first
}

// write inserts batch in one statement. If that fails (a directory was
// deleted meanwhile, say), each entry is written on its own, so one bad
// entry costs only itself.
func (l *RequestLog) write(ctx context.Context, batch []RequestEntry) error {
	err := l.svc.LogRequests(ctx, batch)
	if err == nil {
		l.written.Add(uint64(len(batch)))
		return nil
	}
	if len(batch) == 1 {
		l.dropped.Add(1)
		return err
	}
	var errs []error
	for i := range batch {
		if err := l.svc.LogRequests(ctx, batch[i:i+1]); err != nil {
			l.dropped.Add(1)
			errs = append(errs, err)
			continue
		}
		l.written.Add(1)
	}
	return errors.Join(errs...)
}

// LogRequests writes entries into the request log in one multi-row INSERT
// (keep them to a few hundred), as the platform: entries of many
// organizations share a batch. The INSERT is built here, not through
// ent's bulk create, for the same reason as the events' (record): a log
// entry is written for every SCIM request, and ent's per-row builders,
// hooks and RETURNING of the ids cost a fifth of the write, for ids no
// one reads back.
func (s *Service) LogRequests(ctx context.Context, entries []RequestEntry) error {
	if len(entries) == 0 {
		return nil
	}
	ctx = access.PlatformContext(ctx)
	err := s.inTx(ctx, func(ctx context.Context, tx *opTx) error {
		ins := entsql.Dialect(tx.dialect).Insert(scimrequest.Table).Columns(requestColumns...)
		now := time.Now()
		for _, e := range entries {
			vals, err := requestValues(e, now)
			if err != nil {
				return err
			}
			ins.Values(vals...)
		}
		query, args := ins.Query()
		_, err := tx.ExecContext(ctx, query, args...)
		return err
	})
	return wrap(fmt.Sprintf("log %d requests", len(entries)), err)
}

// requestColumns are the columns LogRequests writes, in requestValues'
// order; the id is the database's.
var requestColumns = []string{scimrequest.FieldOrganizationID, scimrequest.FieldDirectoryID,
	scimrequest.FieldCreatedAt, scimrequest.FieldMethod, scimrequest.FieldPath, scimrequest.FieldStatus,
	scimrequest.FieldFailed, scimrequest.FieldScimType, scimrequest.FieldDetail, scimrequest.FieldRefusal,
	scimrequest.FieldDurationUs, scimrequest.FieldEffect, scimrequest.FieldChanges, scimrequest.FieldUserID,
	scimrequest.FieldUserName, scimrequest.FieldTokenID, scimrequest.FieldRequestBody, scimrequest.FieldResponseBody}

// requestValues are e's values of requestColumns: an empty optional
// string is NULL, as is a nil id or no changes; a zero time is now.
func requestValues(e RequestEntry, now time.Time) ([]any, error) {
	at := e.At
	if at.IsZero() {
		at = now
	}
	var changes any
	if len(e.Changes) > 0 {
		b, err := json.Marshal(e.Changes)
		if err != nil {
			return nil, fmt.Errorf("encode the changes of %s %s: %w", e.Method, e.Path, err)
		}
		changes = b
	}
	return []any{e.OrganizationID, e.DirectoryID, at, e.Method, e.Path, e.Status, e.Status >= 400,
		nullString(e.ScimType), nullString(e.Detail), nullString(e.Refusal), max(e.Duration.Microseconds(), 0),
		nullString(EffectWords(e.Changes)), changes, orNull(e.UserID), nullString(e.UserName), orNull(e.TokenID),
		nullString(e.RequestBody), nullString(e.ResponseBody)}, nil
}

// nullString is s, or SQL NULL when it is empty.
func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// PruneRequests deletes the request log's entries created before now
// minus retention (zero or less: DefaultRequestRetention), and the
// revoked tokens remembered for it revoked before then, every
// organization's as far as the viewer in ctx may (run it as the
// platform), in two statements, and returns how many entries.
func (s *Service) PruneRequests(ctx context.Context, retention time.Duration) (int, error) {
	if retention <= 0 {
		retention = DefaultRequestRetention
	}
	before := time.Now().Add(-retention)
	var n int
	err := s.inTx(ctx, func(ctx context.Context, tx *opTx) (err error) {
		if n, err = tx.ScimRequest.Delete().Where(scimrequest.CreatedAtLT(before)).Exec(ctx); err != nil {
			return err
		}
		_, err = tx.RevokedToken.Delete().Where(revokedtoken.RevokedAtLT(before)).Exec(ctx)
		return err
	})
	if err != nil {
		return 0, wrap("prune request log", err)
	}
	return n, nil
}

// RequestFilter narrows a directory's request log (Requests).
type RequestFilter struct {
	FailuresOnly bool
	UserID       *uuid.UUID // requests about this user
	UserName     string     // requests naming this userName (exactly, ignoring case)
	// Before is the cursor: only entries older than (with ids below) it;
	// zero reads from the newest.
	Before int64
	// First is the page size; zero or less: DefaultRequestPage.
	First int
}

// DefaultRequestPage is the page size of Requests when the filter gives
// none.
const DefaultRequestPage = 100

// Requests reads a page of directory dirID's request log, newest first,
// and whether older entries follow. The viewer's privacy rules apply: a
// viewer of another organization reads nothing.
func (s *Service) Requests(ctx context.Context, dirID uuid.UUID, f RequestFilter) ([]*ent.ScimRequest, bool, error) {
	if f.First <= 0 {
		f.First = DefaultRequestPage
	}
	q := s.db(ctx).ScimRequest.Query().Where(scimrequest.DirectoryID(dirID))
	if f.FailuresOnly {
		q.Where(scimrequest.Failed(true))
	}
	if f.UserID != nil {
		q.Where(scimrequest.UserID(*f.UserID))
	}
	if f.UserName != "" {
		q.Where(scimrequest.UserNameEqualFold(f.UserName))
	}
	if f.Before > 0 {
		q.Where(scimrequest.IDLT(f.Before))
	}
	rs, err := q.Order(ent.Desc(scimrequest.FieldID)).Limit(f.First + 1).All(ctx)
	if err != nil {
		return nil, false, wrap("read request log", err)
	}
	more := len(rs) > f.First
	if more {
		rs = rs[:f.First]
	}
	return rs, more, nil
}
