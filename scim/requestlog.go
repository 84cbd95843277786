package scim

// The directory's request log (domain.RequestLog): each request's entry is
// put together while it is served, from what the request already did, and
// handed to the log once the response is written. Nothing here reads or
// writes the database: the entry costs the request no statement.
//
// What an entry keeps: the method, the path below the directory's endpoint
// with its SCIM query parameters (any other parameter's value redacted),
// the status, scimType and detail sent, the time taken, what the request
// changed (the events its operations recorded, tallied by domain.Effect)
// and the user it was about. Bodies are kept only for failures, their
// start, with every password, token and secret redacted (redactBody);
// headers, the Authorization header above all, are never kept.

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/acme/directory/access"
	"github.com/acme/directory/auth"
	"github.com/acme/directory/domain"
)

// Bounds of what an entry keeps of a failed request's bodies: captureMax
// bytes are read aside (enough to redact a JSON document structurally),
// bodyMax kept after redaction.
const (
	captureMax = 16 << 10
	bodyMax    = 4096
	pathMax    = 1000
	detailMax  = 1000
)

// scimParams are the query parameters of SCIM (RFC 7644 §3.4.2, RFC 9865),
// kept in a logged path; any other parameter's value is redacted.
var scimParams = map[string]bool{
	"filter": true, "startindex": true, "count": true, "attributes": true,
	"excludedattributes": true, "sortby": true, "sortorder": true, "cursor": true,
}

// requestRecord is what is known of a request as it is served: its
// directory once authenticated (or refused with a token of the directory),
// the user in its path, the error it was answered with.
type requestRecord struct {
	start    time.Time
	effect   *domain.Effect
	org, dir uuid.UUID
	token    *uuid.UUID
	refusal  string
	userID   *uuid.UUID
	scimType string
	detail   string
}

type recordKey struct{}

// recordOf is the request's record, or nil when nothing is logged.
func recordOf(ctx context.Context) *requestRecord {
	rec, _ := ctx.Value(recordKey{}).(*requestRecord)
	return rec
}

// authenticated notes the directory and token of an accepted request, and
// the user in its path.
func (rec *requestRecord) authenticated(r *http.Request, v *access.Viewer) {
	if rec == nil {
		return
	}
	rec.org, rec.dir = v.OrganizationID, v.DirectoryID
	id := v.CredentialID
	rec.token = &id
	if strings.Contains(r.Pattern, "/Users/{id}") {
		if uid, err := uuid.Parse(r.PathValue("id")); err == nil {
			rec.userID = &uid
		}
	}
}

// refused notes a refusal of a token of the directory (auth.Refusal):
// such a request is logged to the directory with its reason; any other
// refusal belongs to no directory.
func (rec *requestRecord) refused(err error) {
	var r *auth.Refusal
	if rec == nil || !errors.As(err, &r) {
		return
	}
	rec.org, rec.dir, rec.refusal = r.OrganizationID, r.DirectoryID, r.Reason
	id := r.TokenID
	rec.token = &id
}

// answered notes the error a request was answered with.
func (rec *requestRecord) answered(e *scimError) {
	if rec != nil {
		rec.scimType, rec.detail = e.scimType, e.detail
	}
}

// logged serves r through next and hands its entry to the request log,
// if the request was attributed to a directory.
func (s *Server) logged(w http.ResponseWriter, r *http.Request, next http.Handler) {
	if s.opts.Requests == nil {
		next.ServeHTTP(w, r)
		return
	}
	ctx, effect := domain.WithEffect(r.Context())
	rec := &requestRecord{start: time.Now(), effect: effect}
	ctx = context.WithValue(ctx, recordKey{}, rec)
	body := &capturingBody{ReadCloser: r.Body}
	r = r.WithContext(ctx)
	if r.Body != nil && r.Body != http.NoBody {
		r.Body = body
	}
	cw := &capturingWriter{ResponseWriter: w}
	next.ServeHTTP(cw, r)
	if rec.dir == uuid.Nil {
		return
	}
	s.opts.Requests.Add(rec.entry(r, cw, body))
}

// entry is the request's log entry.
func (rec *requestRecord) entry(r *http.Request, cw *capturingWriter, body *capturingBody) domain.RequestEntry {
	status := cw.status
	if status == 0 {
		status = http.StatusOK
	}
	e := domain.RequestEntry{
		OrganizationID: rec.org, DirectoryID: rec.dir, At: rec.start,
		Method: r.Method, Path: loggedPath(r.URL, rec.dir), Status: status,
		ScimType: rec.scimType, Detail: truncate(rec.detail, detailMax), Refusal: rec.refusal,
		Duration: time.Since(rec.start), TokenID: rec.token, UserID: rec.userID,
	}
	if status < 400 {
		e.Changes = rec.effect.Changes()
		if id, name := rec.effect.User(); id != nil {
			if e.UserID == nil {
				e.UserID = id
			}
			if *e.UserID == *id {
				e.UserName = name
			}
		}
		return e
	}
	e.RequestBody = redactBody(body.buf.Bytes(), body.cut, bodyMax)
	e.ResponseBody = redactBody(cw.buf.Bytes(), cw.cut, bodyMax)
	e.UserName = truncate(userNameIn(body.buf.Bytes()), 300)
	return e
}

// loggedPath is u's path below the directory's endpoint, with its query's
// non-SCIM parameters redacted.
func loggedPath(u *url.URL, dir uuid.UUID) string {
	p := strings.TrimPrefix(u.Path, domain.SCIMPath+dir.String())
	if p == "" {
		p = "/"
	}
	if u.RawQuery == "" {
		return truncate(p, pathMax)
	}
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return truncate(p+"?"+redacted, pathMax)
	}
	for k := range q {
		if !scimParams[strings.ToLower(k)] {
			q[k] = []string{redacted}
		}
	}
	return truncate(p+"?"+q.Encode(), pathMax)
}

// capturingBody keeps the start of a request body as it is read.
type capturingBody struct {
	io.ReadCloser
	buf bytes.Buffer
	cut bool // more was read than kept
}

func (b *capturingBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	keep(&b.buf, &b.cut, p[:n])
	return n, err
}

// capturingWriter notes a response's status and keeps the start of a
// failure's body.
type capturingWriter struct {
	http.ResponseWriter
	status int
	buf    bytes.Buffer
	cut    bool
}

func (w *capturingWriter) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
	w.ResponseWriter.WriteHeader(status)
}

func (w *capturingWriter) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	if w.status >= 400 {
		keep(&w.buf, &w.cut, p)
	}
	return w.ResponseWriter.Write(p)
}

// Unwrap lets http.ResponseController reach the connection's writer
// (deadlines, flushes).
func (w *capturingWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// keep appends p to buf up to captureMax bytes, noting in cut whether
// anything was left out.
func keep(buf *bytes.Buffer, cut *bool, p []byte) {
	room := captureMax - buf.Len()
	if len(p) > room {
		*cut = true
		p = p[:max(room, 0)]
	}
	buf.Write(p)
}
