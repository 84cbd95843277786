package scim

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	entsql "entgo.io/ent/dialect/sql"
	"github.com/google/uuid"

	"github.com/acme/directory/ent/schema/listkey"
	"github.com/acme/directory/scim/filter"
	"github.com/acme/directory/scim/schema"
)

// listQuery is a list or search request (RFC 7644 §3.4.2, §3.4.3).
type listQuery struct {
	filter     filter.Expr // nil: everything
	sortBy     string
	descending bool
	startIndex int // 1-based
	count      int // 0 returns only totalResults
	proj       projection
	// anyType: a search across resource types (POST /.search at the root),
	// where an attribute a type lacks matches none of its resources.
	anyType bool
	// cursor is the requested position of cursor paging (cursor.go); nil
	// under startIndex paging. digest names the query for its cursors;
	// page sets next and prev, the cursors of the pages around this one.
	cursor     *pageCursor
	digest     string
	next, prev *pageCursor
}

// listResponse is the ListResponse message.
// Under cursor paging it has no startIndex, and the cursors of the pages
// around it (RFC 9865 §2).
type listResponse struct {
	Schemas        []string `json:"schemas"`
	TotalResults   int      `json:"totalResults"`
	StartIndex     int      `json:"startIndex,omitempty"`
	ItemsPerPage   int      `json:"itemsPerPage"`
	NextCursor     string   `json:"nextCursor,omitempty"`
	PreviousCursor string   `json:"previousCursor,omitempty"`
	Resources      []any    `json:"Resources"`
}

func newListResponse(q *listQuery, total int, resources []any) listResponse {
	if resources == nil {
		resources = []any{}
	}
	out := listResponse{
		Schemas: []string{schema.ListResponseURN}, TotalResults: total,
		StartIndex: q.startIndex, ItemsPerPage: len(resources), Resources: resources,
	}
	if q.cursor != nil {
		now := time.Now()
		out.StartIndex = 0
		if q.next != nil {
			out.NextCursor = q.next.encode(q.digest, now)
		}
		if q.prev != nil {
			out.PreviousCursor = q.prev.encode(q.digest, now)
		}
	}
	return out
}

// finder counts the resources matching q and renders a page of them from
// offset, at most limit.
type finder func(r *http.Request, q *listQuery, offset, limit int) (total int, docs []any, err error)

// lister answers GET list requests (RFC 7644 §3.4.2) with find.
func (s *Server) lister(find finder) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		q, err := s.parseListQuery(r)
		if err != nil {
			writeError(w, r, err)
			return
		}
		s.respondList(w, r, q, find)
	}
}

// searcher answers POST .search requests (RFC 7644 §3.4.3) with find.
func (s *Server) searcher(find finder) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		q, err := s.parseSearch(w, r)
		if err != nil {
			writeError(w, r, err)
			return
		}
		s.respondList(w, r, q, find)
	}
}

func (s *Server) respondList(w http.ResponseWriter, r *http.Request, q *listQuery, find finder) {
	total, docs, err := find(r, q, q.startIndex-1, q.count)
	if err != nil {
		writeError(w, r, err)
		return
	}
	s.writeList(w, r, q, total, docs)
}

// queryParam reads a query parameter, its name in any letter case.
func queryParam(r *http.Request, name string) string {
	for k, vals := range r.URL.Query() {
		if strings.EqualFold(k, name) && len(vals) > 0 {
			return vals[0]
		}
	}
	return ""
}

// requestProjection is the attributes / excludedAttributes selection of a
// request for one resource (RFC 7644 §3.9). It cannot fail, so a write is
// never answered with an error after it committed.
func requestProjection(r *http.Request) projection {
	return newProjection(queryParam(r, "attributes"), queryParam(r, "excludedAttributes"))
}

// parseListQuery reads a GET list request's query parameters.
func (s *Server) parseListQuery(r *http.Request) (*listQuery, error) {
	get := func(name string) string { return queryParam(r, name) }
	p := searchParams{
		Filter: get("filter"), SortBy: get("sortBy"), SortOrder: get("sortOrder"),
		StartIndex: get("startIndex"), Count: get("count"),
		Attributes: get("attributes"), ExcludedAttributes: get("excludedAttributes"),
	}
	for k := range r.URL.Query() {
		if strings.EqualFold(k, "cursor") { // "?cursor" alone asks for the first page
			c := get("cursor")
			p.Cursor = &c
		}
	}
	return s.newListQuery(r, p)
}

// parseSearch reads a POST .search request body (RFC 7644 §3.4.3).
func (s *Server) parseSearch(w http.ResponseWriter, r *http.Request) (*listQuery, error) {
	doc, _, err := s.readJSON(w, r) // the filter's bounds are parseFilter's
	if err != nil {
		return nil, err
	}
	if err := checkSchemas(doc, schema.SearchRequestURN); err != nil {
		return nil, err
	}
	var p searchParams
	for k, val := range doc {
		if err := p.set(k, val); err != nil {
			return nil, err
		}
	}
	return s.newListQuery(r, p)
}

// searchParams are the list parameters as text, from a query string or a
// search body.
type searchParams struct {
	Filter, SortBy, SortOrder, StartIndex, Count, Attributes, ExcludedAttributes string
	Cursor                                                                       *string // nil: not cursor paging
}

func (p *searchParams) set(key string, val any) error {
	text := func() (string, error) {
		switch x := val.(type) {
		case string:
			return x, nil
		case json.Number:
			return x.String(), nil
		case []any:
			parts := make([]string, 0, len(x))
			for _, e := range x {
				s, ok := e.(string)
				if !ok {
					return "", errorf(http.StatusBadRequest, invalidValue, key+" must list attribute names")
				}
				parts = append(parts, s)
			}
			return strings.Join(parts, ","), nil
		case nil:
			return "", nil
		}
		return "", errorf(http.StatusBadRequest, invalidValue, "unexpected type for "+key)
	}
	var dst *string
	switch strings.ToLower(key) {
	case "schemas":
		return nil
	case "filter":
		dst = &p.Filter
	case "sortby":
		dst = &p.SortBy
	case "sortorder":
		dst = &p.SortOrder
	case "startindex":
		dst = &p.StartIndex
	case "count":
		dst = &p.Count
	case "attributes":
		dst = &p.Attributes
	case "excludedattributes":
		dst = &p.ExcludedAttributes
	case "cursor":
		var c string
		p.Cursor, dst = &c, &c
	default:
		return errorf(http.StatusBadRequest, invalidSyntax, "unknown search request attribute "+strconv.Quote(key))
	}
	t, err := text()
	*dst = t
	return err
}

func (s *Server) newListQuery(r *http.Request, p searchParams) (*listQuery, error) {
	q := &listQuery{startIndex: 1, count: s.opts.DefaultCount, sortBy: p.SortBy}
	if p.Filter != "" {
		e, err := s.parseFilter(p.Filter)
		if err != nil {
			return nil, err
		}
		q.filter = e
	}
	switch strings.ToLower(p.SortOrder) {
	case "", "ascending":
	case "descending":
		q.descending = true
	default:
		return nil, errorf(http.StatusBadRequest, invalidValue, `sortOrder must be "ascending" or "descending"`)
	}
	var err error
	if q.startIndex, err = intParam("startIndex", p.StartIndex, 1); err != nil {
		return nil, err
	}
	q.startIndex = max(q.startIndex, 1) // RFC 7644 §3.4.2.4: less than 1 means 1
	if q.count, err = intParam("count", p.Count, q.count); err != nil {
		return nil, err
	}
	if p.Cursor != nil {
		if err := s.cursorPaging(r, q, p); err != nil {
			return nil, err
		}
	}
	q.count = min(max(q.count, 0), s.opts.MaxResults)
	q.proj = newProjection(p.Attributes, p.ExcludedAttributes)
	return q, nil
}

// cursorPaging sets q up for cursor paging (cursor.go): startIndex is the
// other way to page, so not both; count is at least 1 and at most the
// largest page.
func (s *Server) cursorPaging(r *http.Request, q *listQuery, p searchParams) error {
	if p.StartIndex != "" {
		return errorf(http.StatusBadRequest, invalidValue, "startIndex and cursor are two ways to page: send one of them")
	}
	if p.Count != "" && (q.count < 1 || q.count > s.opts.MaxResults) {
		return errorf(http.StatusBadRequest, invalidCount,
			"count must be between 1 and "+strconv.Itoa(s.opts.MaxResults)+" under cursor paging")
	}
	q.digest = queryDigest(r, p)
	c, err := decodeCursor(*p.Cursor, q.digest, time.Now())
	if err != nil {
		return err
	}
	if c.Offset > 0 && p.SortBy == "" || (c.After != nil || c.Before != nil) && p.SortBy != "" {
		return errorf(http.StatusBadRequest, invalidCursor, "the cursor belongs to another query: send the same filter and sort as the request that returned it")
	}
	q.cursor = c
	return nil
}

// parseFilter parses a list filter within the Options' bounds: at most
// MaxFilterBytes long and MaxFilterClauses comparisons, valid UTF-8 without
// NUL. Anything else is 400 invalidFilter, before any SQL: a large filter
// becomes a large statement, which SQLite refuses ("Expression tree is too
// large") and PostgreSQL may spend seconds planning.
func (s *Server) parseFilter(text string) (filter.Expr, error) {
	if len(text) > s.opts.MaxFilterBytes {
		return nil, errorf(http.StatusBadRequest, invalidFilter,
			fmt.Sprintf("the filter is %d bytes long; at most %d are accepted", len(text), s.opts.MaxFilterBytes))
	}
	if !utf8.ValidString(text) {
		return nil, errorf(http.StatusBadRequest, invalidFilter, "the filter is not valid UTF-8")
	}
	e, err := filter.Parse(text)
	if err != nil {
		return nil, errorf(http.StatusBadRequest, invalidFilter, err.Error())
	}
	n, nul := clauses(e)
	if n > s.opts.MaxFilterClauses {
		return nil, errorf(http.StatusBadRequest, invalidFilter,
			fmt.Sprintf("the filter has %d comparisons; at most %d are accepted", n, s.opts.MaxFilterClauses))
	}
	if nul {
		return nil, errorf(http.StatusBadRequest, invalidFilter, "filter values may not contain NUL (\\u0000)")
	}
	return e, nil
}

// clauses counts the comparisons and presence tests of e, and reports
// whether a compared string holds a NUL byte.
func clauses(e filter.Expr) (n int, nul bool) {
	switch x := e.(type) {
	case *filter.Compare:
		return 1, x.Value.Kind == filter.KindString && strings.IndexByte(x.Value.Str, 0) >= 0
	case *filter.Present:
		return 1, false
	case *filter.Not:
		return clauses(x.X)
	case *filter.ValuePath:
		return clauses(x.Filter)
	case *filter.And:
		l, ln := clauses(x.Left)
		r, rn := clauses(x.Right)
		return l + r, ln || rn
	case *filter.Or:
		l, ln := clauses(x.Left)
		r, rn := clauses(x.Right)
		return l + r, ln || rn
	}
	return 0, false
}

func intParam(name, text string, def int) (int, error) {
	if text == "" {
		return def, nil
	}
	n, err := strconv.Atoi(strings.TrimSpace(text))
	if err != nil {
		return 0, errorf(http.StatusBadRequest, invalidValue, fmt.Sprintf("%s must be an integer, not %q", name, text))
	}
	return n, nil
}

// projection is the attributes / excludedAttributes selection (RFC 7644
// §3.4.2.5), as lower-cased attribute paths.
type projection struct {
	include map[string]bool // empty: the default set
	exclude map[string]bool
}

func newProjection(attributes, excluded string) projection {
	return projection{include: pathSet(attributes), exclude: pathSet(excluded)}
}

func pathSet(list string) map[string]bool {
	if strings.TrimSpace(list) == "" {
		return nil
	}
	set := map[string]bool{}
	for _, p := range strings.Split(list, ",") {
		if p = strings.ToLower(strings.TrimSpace(p)); p != "" {
			set[stripCoreURN(p)] = true
		}
	}
	return set
}

// stripCoreURN turns "urn:...:core:2.0:user:username" into "username";
// extension attributes keep their URN.
func stripCoreURN(p string) string {
	for _, urn := range []string{schema.UserURN, schema.GroupURN} {
		prefix := strings.ToLower(urn) + ":"
		if strings.HasPrefix(p, prefix) {
			return p[len(prefix):]
		}
	}
	return p
}

// wants reports whether the attribute (lower-case top-level name, or
// extension URN) is returned: id and schemas always are.
func (p projection) wants(attr string) bool {
	attr = strings.ToLower(attr)
	if attr == "id" || attr == "schemas" {
		return true
	}
	if p.exclude[attr] {
		return false
	}
	if len(p.include) == 0 {
		return true
	}
	if p.include[attr] {
		return true
	}
	for k := range p.include { // "name.givenname" or "urn:...:department" selects its parent
		if strings.HasPrefix(k, attr+".") || strings.HasPrefix(k, attr+":") {
			return true
		}
	}
	return false
}

// selects reports whether the request names attributes or excluded
// attributes (else every attribute returned by default is).
func (p projection) selects() bool { return len(p.include) > 0 || len(p.exclude) > 0 }

// apply trims a resource document to the selection. Sub-attribute
// selections ("name.givenName") keep only those sub-attributes.
func (p projection) apply(doc map[string]any) map[string]any {
	if len(p.include) == 0 && len(p.exclude) == 0 {
		return doc
	}
	for k, v := range doc {
		lk := strings.ToLower(k)
		if !p.wants(lk) {
			delete(doc, k)
			continue
		}
		sub, ok := v.(map[string]any)
		if !ok {
			continue
		}
		keepAll := len(p.include) == 0 || p.include[lk]
		for sk := range sub {
			full := lk + "." + strings.ToLower(sk)
			if strings.HasPrefix(lk, "urn:") {
				full = lk + ":" + strings.ToLower(sk)
			}
			if p.exclude[full] || (!keepAll && !p.include[full]) {
				delete(sub, sk)
			}
		}
	}
	return doc
}

// resourceQuery is what a generated ent query (UserQuery, GroupQuery)
// offers that a list needs.
type resourceQuery[Q any, P, O ~func(*entsql.Selector), E any] interface {
	Where(...P) Q
	Count(context.Context) (int, error)
	Offset(int) Q
	Limit(int) Q
	Order(...O) Q
	All(context.Context) ([]E, error)
}

// listKind is how one resource type compiles filters and sort orders.
type listKind[P, O ~func(*entsql.Selector)] struct {
	compile    func(filter.Expr) (P, error)
	compileAny func(filter.Expr) (P, error) // for searches across resource types
	order      func(sortBy string, descending bool) (func(*entsql.Selector), error)
	byID       O // the default order: stable, and creation order for UUIDv7 ids
}

// page counts the resources in scope that match q and reads those from
// offset, at most limit of them. It costs one SELECT of the page, plus:
//   - without a filter, the total is the directory's maintained total
//     (total, one row read), never a count;
//   - with one, a COUNT only when the page does not tell the total (a
//     short page from a known position ends the list: a look-up by
//     userName is one statement);
//   - in the default order (by id), a deep page starts at the id found at
//     offset by an index-only subquery, and reads only its rows: keyset
//     paging under startIndex, so page 1,800 costs what page 1 costs but
//     for walking the index.
//
// The resources in scope are those of directory dir, selected and ordered
// as package listkey says, so that PostgreSQL reads every page from the
// directory's (directory_id, ...) indexes.
func page[Q resourceQuery[Q, P, O, E], P, O ~func(*entsql.Selector), E any](
	ctx context.Context, query func() Q, dir uuid.UUID, kind listKind[P, O], q *listQuery, offset, limit int,
	total func(context.Context) (int, error), idOf func(E) uuid.UUID,
) (int, []E, error) {
	ctx = listkey.NewContext(ctx)
	preds := []P{P(listkey.Is(directoryColumn, dir))}
	if q.filter != nil {
		compile := kind.compile
		if q.anyType {
			compile = kind.compileAny
		}
		p, err := compile(q.filter)
		if err != nil {
			return 0, nil, errorf(http.StatusBadRequest, invalidFilter, err.Error())
		}
		preds = append(preds, p)
	}
	count := func() (int, error) {
		if q.filter == nil && total != nil {
			return total(ctx)
		}
		return query().Where(preds...).Count(ctx)
	}
	if limit <= 0 {
		n, err := count()
		return n, nil, err
	}
	order, byID := inDirectory(kind.byID, false), true
	if q.sortBy != "" {
		o, err := kind.order(q.sortBy, q.descending)
		if err != nil {
			return 0, nil, errorf(http.StatusBadRequest, invalidValue, err.Error())
		}
		order, byID = inDirectory(O(o), q.descending), false
	}
	if q.cursor != nil {
		rows, err := cursorPage(ctx, query().Where(preds...), q, order, byID, limit, idOf)
		if err != nil {
			return 0, nil, err
		}
		n, err := count()
		return n, rows, err
	}
	pq := query().Where(preds...)
	if byID && offset > 0 {
		pq = pq.Where(P(fromPosition(preds, offset)))
	} else if offset > 0 {
		pq = pq.Offset(offset)
	}
	rows, err := pq.Limit(limit).Order(order).All(ctx)
	if err != nil {
		return 0, nil, err
	}
	if q.filter != nil && len(rows) < limit && (offset == 0 || len(rows) > 0) {
		return offset + len(rows), rows, nil
	}
	n, err := count()
	return n, rows, err
}

// cursorPage reads the page of q's cursor from pq, the resources that
// match: in id order, the ids after or before the cursor's (keyset, one
// read of limit+1 rows); under sortBy, from the cursor's offset. It sets
// q.next and q.prev.
func cursorPage[Q resourceQuery[Q, P, O, E], P, O ~func(*entsql.Selector), E any](
	ctx context.Context, pq Q, q *listQuery, order O, byID bool, limit int, idOf func(E) uuid.UUID,
) ([]E, error) {
	c := q.cursor
	if !byID {
		rows, err := pq.Offset(c.Offset).Limit(limit + 1).Order(order).All(ctx)
		if err != nil {
			return nil, err
		}
		if len(rows) > limit {
			rows = rows[:limit]
			q.next = &pageCursor{Offset: c.Offset + limit}
		}
		if c.Offset > 0 {
			q.prev = &pageCursor{Offset: max(0, c.Offset-limit)}
		}
		return rows, nil
	}
	backward := c.Before != nil
	switch {
	case c.After != nil:
		after := *c.After
		pq = pq.Where(P(func(s *entsql.Selector) { s.Where(entsql.GT(s.C("id"), after)) }))
	case backward:
		before := *c.Before
		pq = pq.Where(P(func(s *entsql.Selector) { s.Where(entsql.LT(s.C("id"), before)) }))
		order = inDirectory(O(func(s *entsql.Selector) { s.OrderBy(entsql.Desc(s.C("id"))) }), true)
	}
	rows, err := pq.Limit(limit + 1).Order(order).All(ctx)
	if err != nil {
		return nil, err
	}
	more := len(rows) > limit
	rows = rows[:min(len(rows), limit)]
	hasNext, hasPrev := more, c.After != nil
	if backward {
		slices.Reverse(rows)
		hasNext, hasPrev = true, more
	}
	if len(rows) == 0 {
		return rows, nil
	}
	if hasNext {
		last := idOf(rows[len(rows)-1])
		q.next = &pageCursor{After: &last}
	}
	if hasPrev {
		first := idOf(rows[0])
		q.prev = &pageCursor{Before: &first}
	}
	return rows, nil
}

// directoryColumn is the column of the directory of users and groups, which
// leads the indexes the lists read.
const directoryColumn = "directory_id"

// inDirectory is order within the directory: led by the directory column
// on PostgreSQL (package listkey), in the same direction.
func inDirectory[O ~func(*entsql.Selector)](order O, descending bool) O {
	lead := listkey.Lead(directoryColumn, descending)
	return func(s *entsql.Selector) {
		lead(s)
		order(s)
	}
}

// fromPosition selects the rows from the offset-th (0-based) in id order
// among those matching preds: id >= the id at that position, found by a
// subquery that walks the (directory_id, id) index without reading rows.
// Past the end the subquery is NULL and nothing matches.
func fromPosition[P ~func(*entsql.Selector)](preds []P, offset int) func(*entsql.Selector) {
	return func(s *entsql.Selector) {
		sub := entsql.Dialect(s.Dialect()).Select(entsql.Table(s.TableName()).C("id")).From(entsql.Table(s.TableName()))
		for _, p := range preds {
			p(sub)
		}
		listkey.Lead(directoryColumn, false)(sub)
		sub.OrderBy(entsql.Table(s.TableName()).C("id")).Offset(offset).Limit(1)
		s.Where(entsql.P(func(b *entsql.Builder) {
			b.Ident(s.C("id")).WriteString(" >= ").Wrap(func(b *entsql.Builder) { b.Join(sub) })
		}))
	}
}
