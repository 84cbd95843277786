package scim

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/acme/directory/domain"
	"github.com/acme/directory/ent"
	"github.com/acme/directory/ent/directory"
	"github.com/acme/directory/ent/group"
	"github.com/acme/directory/ent/predicate"
	"github.com/acme/directory/scim/attrs"
	"github.com/acme/directory/scim/patch"
	"github.com/acme/directory/scim/schema"
	"github.com/acme/directory/scim/where"
	"github.com/acme/directory/store"
)

// membersAttr is the group attribute that is never held in memory whole:
// PATCH hands its changes over as set-based SQL, GET streams it.
const membersAttr = "members"

// groupDoc renders a group without its members (RFC 7643 §4.2).
func groupDoc(g *ent.Group, base string) map[string]any {
	doc := map[string]any{"schemas": []string{schema.GroupURN}, "id": g.ID.String()}
	renderAttrs(attrs.Group, g, base, doc)
	keepUnknownExtensions(doc, attrs.Group.GetRaw(g))
	doc["meta"] = meta("Group", base+"/Groups/"+g.ID.String(), g.CreatedAt, g.UpdatedAt, g.Version)
	return doc
}

// readGroupDoc reads a POST or PUT body: the canonical document, and the
// member change it asks for (nil when it does not name members).
func (s *Server) readGroupDoc(w http.ResponseWriter, r *http.Request) (map[string]any, []patch.MemberChange, error) {
	body, _, err := s.readBody(w, r)
	if err != nil {
		return nil, nil, err
	}
	if err := checkSchemas(body, schema.GroupURN); err != nil {
		return nil, nil, err
	}
	doc := map[string]any{}
	changes, err := patch.Apply(doc, schema.GroupResource, []patch.Operation{{Op: "replace", Value: body}}, membersAttr)
	if err != nil {
		return nil, nil, err
	}
	return doc, changes, nil
}

// groupChange is the domain form of a group document and its member
// changes.
func groupChange(doc map[string]any, changes []patch.MemberChange) (domain.GroupFields, []domain.MemberChange, error) {
	f, err := groupFields(doc)
	if err != nil {
		return nil, nil, err
	}
	return f, memberChanges(changes), nil
}

func (s *Server) createGroup(w http.ResponseWriter, r *http.Request) {
	doc, changes, err := s.readGroupDoc(w, r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	f, members, err := groupChange(doc, changes)
	if err != nil {
		writeError(w, r, err)
		return
	}
	g, err := s.domain.CreateGroup(r.Context(), directoryOf(r.Context()), f, members)
	if err != nil {
		writeError(w, r, err)
		return
	}
	s.sendGroup(w, r, http.StatusCreated, g)
}

func (s *Server) replaceGroup(w http.ResponseWriter, r *http.Request) {
	doc, changes, err := s.readGroupDoc(w, r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	proj := requestProjection(r)
	s.updateGroup(w, r, &proj, func(*ent.Group) (map[string]any, []patch.MemberChange, error) {
		return doc, changes, nil
	})
}

func (s *Server) patchGroup(w http.ResponseWriter, r *http.Request) {
	_, raw, err := s.readBody(w, r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	ops, err := patch.Parse(raw)
	if err != nil {
		writeError(w, r, err)
		return
	}
	s.updateGroup(w, r, patchProjection(r), func(g *ent.Group) (map[string]any, []patch.MemberChange, error) {
		doc, err := jsonDoc(groupDoc(g, ""))
		if err != nil {
			return nil, nil, err
		}
		changes, err := patch.Apply(doc, schema.GroupResource, ops, membersAttr)
		return doc, changes, err
	})
}

// updateGroup replaces a group with what next computes from it, members
// included, in one transaction, honouring If-Match, and answers with the
// group as proj selects it, or 204 No Content when proj is nil.
func (s *Server) updateGroup(w http.ResponseWriter, r *http.Request, proj *projection,
	next func(*ent.Group) (map[string]any, []patch.MemberChange, error)) {
	id, err := resourceID(r, "group")
	if err != nil {
		writeError(w, r, err)
		return
	}
	g, err := s.domain.UpdateGroup(r.Context(), directoryOf(r.Context()), id, ifMatch(r),
		func(cur *ent.Group) (domain.GroupFields, []domain.MemberChange, error) {
			doc, changes, err := next(cur)
			if err != nil {
				return nil, nil, err
			}
			return groupChange(doc, changes)
		})
	if err != nil {
		writeError(w, r, err)
		return
	}
	if proj == nil {
		w.Header().Set("ETag", etag(g.Version))
		w.WriteHeader(http.StatusNoContent)
		return
	}
	s.sendGroupAs(w, r, http.StatusOK, g, *proj)
}

func (s *Server) getGroup(w http.ResponseWriter, r *http.Request) {
	id, err := resourceID(r, "group")
	if err != nil {
		writeError(w, r, err)
		return
	}
	g, err := s.domain.Group(r.Context(), directoryOf(r.Context()), id)
	if err != nil {
		writeError(w, r, err)
		return
	}
	s.sendGroup(w, r, http.StatusOK, g)
}

// memberPageSize is how many members a group response reads at a time.
const memberPageSize = 1000

// sendGroup answers with one group, streaming its members from the
// database so a group of 50,000 members is never held in memory whole.
// Members are read a page at a time (keyset by user id) and each page is
// written with no rows open, so a client that reads slowly, or not at all,
// never holds a database connection; the request's write deadline ends it.
// The pages are separate statements: a member added or removed while a
// large group is sent may be missed or seen. A group without members has
// no "members" attribute, as in lists. The request's attributes /
// excludedAttributes apply; excluding members skips their query entirely.
func (s *Server) sendGroup(w http.ResponseWriter, r *http.Request, status int, g *ent.Group) {
	s.sendGroupAs(w, r, status, g, requestProjection(r))
}

// patchProjection is the selection of a PATCH response: the request's,
// or nil — 204 No Content — when it names no attributes. RFC 7644 §3.5.2
// allows a PATCH either a 200 with the whole resource (members included:
// /Schemas marks them returned by default) or a 204; reading and sending a
// large group's members after every change is what made member PATCHes
// slow, and no provider reads the body (Okta and Entra expect 204 or
// ignore it, JumpCloud reads the group back). A client that wants the
// group asks with attributes or excludedAttributes
// (excludedAttributes=members: the group without its members).
func patchProjection(r *http.Request) *projection {
	p := requestProjection(r)
	if len(p.include) == 0 && len(p.exclude) == 0 {
		return nil
	}
	return &p
}

// sendGroupAs is sendGroup with the selection proj.
func (s *Server) sendGroupAs(w http.ResponseWriter, r *http.Request, status int, g *ent.Group, proj projection) {
	base := s.baseURL(r)
	head, err := json.Marshal(proj.apply(groupDoc(g, base)))
	if err != nil {
		writeError(w, r, err)
		return
	}
	var first members
	if proj.wants(membersAttr) {
		// Read before the status is sent, so a failure is still an error
		// response.
		if first, err = s.memberPage(r.Context(), g.ID, ""); err != nil {
			writeError(w, r, err)
			return
		}
	}
	w.Header().Set("ETag", etag(g.Version))
	if status == http.StatusCreated {
		w.Header().Set("Location", base+"/Groups/"+g.ID.String())
	}
	w.Header().Set("Content-Type", contentType)
	body := newBody(w, status)
	defer body.release()
	if body.appendStreamed(s, r, head, g.ID, first, base) {
		body.finish()
	}
}

// A response that carries members is built in a body. Up to holdMax
// bytes are held, so a document that fits (a group of up to about 1,500
// members, a list of small groups) is sent with a Content-Length in one
// write: with chunked encoding every write costs two system calls. Past
// holdMax the status is sent and the body streams, written whenever it
// passes streamChunk bytes, each next page of members read once the one
// before is written. Once the status is sent an error can only be logged,
// and the response is aborted so the client cannot take it for complete.
const (
	holdMax     = 256 << 10
	streamChunk = 64 << 10
)

// body is a response body under construction (see holdMax).
type body struct {
	w      http.ResponseWriter
	status int
	sent   bool // the status is sent: the body streams
	buf    []byte
}

// bodyBufs are the buffers of bodies, reused: a group GET would otherwise
// allocate its whole document every time.
var bodyBufs = sync.Pool{New: func() any { b := make([]byte, 0, holdMax+streamChunk); return &b }}

// newBody returns a body answering w with status.
func newBody(w http.ResponseWriter, status int) *body {
	return &body{w: w, status: status, buf: (*bodyBufs.Get().(*[]byte))[:0]}
}

// release returns the body's buffer for reuse, unless it grew far past
// its size (a member with a huge display).
func (b *body) release() {
	if cap(b.buf) <= 4*(holdMax+streamChunk) {
		buf := b.buf[:0]
		bodyBufs.Put(&buf)
	}
	b.buf = nil
}

// flush writes the body out when it is due (see holdMax); false when the
// client is gone or too slow: the connection is then closed.
func (b *body) flush() bool {
	switch {
	case b.sent && len(b.buf) > streamChunk:
	case !b.sent && len(b.buf) > holdMax:
		b.w.WriteHeader(b.status)
		b.sent = true
	default:
		return true
	}
	_, err := b.w.Write(b.buf)
	b.buf = b.buf[:0]
	return err == nil
}

// finish writes the rest of the body: all of it, with its length, when
// none was sent.
func (b *body) finish() {
	if !b.sent {
		b.w.Header().Set("Content-Length", strconv.Itoa(len(b.buf)))
		b.w.WriteHeader(b.status)
	}
	b.w.Write(b.buf)
}

// appendStreamed appends the group document head with its members, from
// the page first on (no "members" attribute when first is empty), reading
// each next page once the one before is written (or held). ok is false
// when the client is gone; a page that fails to read aborts the response.
func (b *body) appendStreamed(s *Server, r *http.Request, head []byte, gid uuid.UUID, first members, base string) (ok bool) {
	if len(first.page) == 0 {
		b.buf = append(b.buf, head...)
		return b.flush()
	}
	b.buf = append(b.buf, head[:len(head)-1]...)
	b.buf = append(b.buf, `,"members":[`...)
	ref := appendJSONString(nil, base+"/Users/")
	ref = ref[:len(ref)-1] // the id and the closing quote follow
	for ms, n := first, 0; ; {
		for _, m := range ms.page {
			if n > 0 {
				b.buf = append(b.buf, ',')
			}
			n++
			b.buf = appendMember(b.buf, m, ref)
			if len(b.buf) > streamChunk && !b.flush() {
				return false
			}
		}
		if !ms.more {
			break
		}
		var err error
		if ms, err = s.memberPage(r.Context(), gid, ms.page[len(ms.page)-1].Value); err != nil {
			logStreamError(r, err)
			panic(http.ErrAbortHandler)
		}
	}
	b.buf = append(b.buf, "]}"...)
	return true
}

// appendMember appends the JSON of one member, by hand (a group of 50,000
// members encoded by reflection spent most of its time there). ref is the
// opening of the "$ref" string: the quote and the escaped base URL up to
// the user id.
func appendMember(buf []byte, m member, ref []byte) []byte {
	buf = append(buf, `{"value":`...)
	buf = appendJSONString(buf, m.Value)
	if m.Display != "" {
		buf = append(buf, `,"display":`...)
		buf = appendJSONString(buf, m.Display)
	}
	buf = append(buf, `,"$ref":`...)
	buf = append(buf, ref...)
	buf = append(buf, m.Value...) // a UUID read from the database: nothing to escape
	return append(buf, `","type":"User"}`...)
}

// appendJSONString appends s as a JSON string, as encoding/json writes it
// (invalid UTF-8 as U+FFFD, control characters, <, >, &, U+2028 and
// U+2029 escaped).
func appendJSONString(buf []byte, s string) []byte {
	const hex = "0123456789abcdef"
	buf = append(buf, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			buf = append(buf, s[start:i]...)
			switch c {
			case '"', '\\':
				buf = append(buf, '\\', c)
			case '\n':
				buf = append(buf, '\\', 'n')
			case '\r':
				buf = append(buf, '\\', 'r')
			case '\t':
				buf = append(buf, '\\', 't')
			default:
				buf = append(buf, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			buf = append(buf, s[start:i]...)
			buf = append(buf, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			buf = append(buf, s[start:i]...)
			buf = append(buf, '\\', 'u', '2', '0', '2', hex[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	buf = append(buf, s[start:]...)
	return append(buf, '"')
}

// members is a page of a group's members, and whether more follow it.
type members struct {
	page []member
	more bool
}

// memberPage reads up to memberPageSize members of a group (the caller has
// read the group through the privacy rules), in user id order, after the
// user id after ("" from the first). The statement reads one member more,
// to know whether a next page is to be read; prepared once per connection
// on a direct PostgreSQL connection (store.Prepared). The rows are closed before it
// returns, so no connection is held between pages.
func (s *Server) memberPage(ctx context.Context, gid uuid.UUID, after string) (members, error) {
	release, err := s.memberReads.acquire(ctx, directoryOf(ctx))
	if err != nil {
		return members{}, err
	}
	defer release()
	query, args := s.reads.members, []any{gid}
	if after != "" {
		query, args = s.reads.membersAfter, []any{gid, after}
	}
	rows, err := s.client.QueryContext(store.Prepared(ctx), query, args...)
	if err != nil {
		return members{}, fmt.Errorf("read members: %w", err)
	}
	defer rows.Close()
	var (
		n      int
		packed sql.NullString
	)
	if rows.Next() {
		if err := rows.Scan(&n, &packed); err != nil {
			return members{}, fmt.Errorf("read members: %w", err)
		}
	}
	if err := rows.Err(); err != nil {
		return members{}, fmt.Errorf("read members: %w", err)
	}
	page, err := unpackMembers(packed.String, n)
	if err != nil {
		return members{}, fmt.Errorf("read members: %w", err)
	}
	if len(page) > memberPageSize {
		return members{page: page[:memberPageSize], more: true}, nil
	}
	return members{page: page}, nil
}

// member is one value of a group's members attribute, as read: its
// "$ref" and "type" are written by appendMember.
type member struct {
	Value   string
	Display string
}

// logStreamError records a failure after the response has started.
func logStreamError(r *http.Request, err error) {
	slog.ErrorContext(r.Context(), "scim: streaming group members", "path", r.URL.Path, "err", err)
}

// findGroups counts the groups matching q and renders a page of them; the
// members of each, unless excluded, are streamed when the page is written
// (writeList).
func (s *Server) findGroups(r *http.Request, q *listQuery, offset, limit int) (int, []any, error) {
	ctx := r.Context()
	dir := directoryOf(ctx)
	total, groups, err := page[*ent.GroupQuery, predicate.Group, group.OrderOption, *ent.Group](
		ctx, s.client.Group.Query, dir, groupKind, q, offset, limit,
		func(ctx context.Context) (int, error) {
			d, err := s.client.Directory.Query().Where(directory.ID(dir)).Select(directory.FieldGroupTotal).Only(ctx)
			if err != nil {
				return 0, err
			}
			return d.GroupTotal, nil
		}, func(g *ent.Group) uuid.UUID { return g.ID })
	if err != nil || len(groups) == 0 {
		return total, nil, err
	}
	base := s.baseURL(r)
	out := make([]any, len(groups))
	for i, g := range groups {
		doc := q.proj.apply(groupDoc(g, base))
		if !q.proj.wants(membersAttr) {
			out[i] = doc
			continue
		}
		head, err := json.Marshal(doc)
		if err != nil {
			return 0, nil, err
		}
		out[i] = &streamedGroup{head: head, id: g.ID}
	}
	return total, out, nil
}

// streamedGroup is a group of a list page whose members are read and
// written when the page is sent (writeList), a page of members at a time
// as a single group's are: a page of large groups is never held in
// memory whole. head is the group's document without its members.
type streamedGroup struct {
	head []byte
	id   uuid.UUID
}

// writeList answers with a ListResponse of total and docs, streaming the
// members of the groups among them. The first member page of the first
// such group is read before the status is sent, so that a database that
// fails at once still gets an error response; a failure later aborts it.
func (s *Server) writeList(w http.ResponseWriter, r *http.Request, q *listQuery, total int, docs []any) {
	first := -1
	for i, d := range docs {
		if _, ok := d.(*streamedGroup); ok {
			first = i
			break
		}
	}
	if first < 0 {
		writeJSON(w, http.StatusOK, newListResponse(q, total, docs))
		return
	}
	env := newListResponse(q, total, docs)
	env.Resources = []any{}
	head, err := json.Marshal(env) // ... "Resources":[]}
	if err != nil {
		writeError(w, r, err)
		return
	}
	page, err := s.memberPage(r.Context(), docs[first].(*streamedGroup).id, "")
	if err != nil {
		writeError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", contentType)
	base := s.baseURL(r)
	body := newBody(w, http.StatusOK)
	defer body.release()
	body.buf = append(body.buf, head[:len(head)-2]...)
	for i, d := range docs {
		if i > 0 {
			body.buf = append(body.buf, ',')
		}
		g, ok := d.(*streamedGroup)
		if !ok {
			b, err := json.Marshal(d)
			if err != nil {
				logStreamError(r, err)
				panic(http.ErrAbortHandler)
			}
			body.buf = append(body.buf, b...)
			continue
		}
		if i != first {
			if page, err = s.memberPage(r.Context(), g.id, ""); err != nil {
				logStreamError(r, err)
				panic(http.ErrAbortHandler)
			}
		}
		if !body.appendStreamed(s, r, g.head, g.id, page, base) {
			return
		}
	}
	body.buf = append(body.buf, "]}"...)
	body.finish()
}

// groupKind is how group lists filter and sort.
var groupKind = listKind[predicate.Group, group.OrderOption]{
	compile: where.Groups, compileAny: where.AnyGroups, order: where.GroupOrder, byID: ent.Asc(group.FieldID),
}
