package main

import (
	"fmt"
	"math"
	"strings"
	"time"
)

// Row ids.
const (
	rowGetUser   = "get_user"
	rowFilter    = "filter"
	rowListFirst = "list_first"
	rowListDeep  = "list_deep"
	// rowCursorFirst and rowCursorDeep are RFC 9865 cursor pages: the
	// first, and the one at 90 % of the directory.
	rowCursorFirst = "cursor_first"
	rowCursorDeep  = "cursor_deep"
	rowGetGroup    = "get_group"
	rowGraphQL     = "graphql"
	rowPost        = "post"
	rowPut         = "put"
	rowDeactivate  = "deactivate"
	rowAddMember   = "add_member"
	rowAdd10k      = "add_10k"
	rowEmpty50k    = "empty_50k"
	rowSync        = "sync"
	rowBareGet     = "bare_get"
	rowBareNarrow  = "bare_get_narrow"
	rowBareWrite   = "bare_write"
	rowRawInsert   = "raw_insert"
)

// rowInfo describes a table row.
type rowInfo struct {
	label string
	chart string // short label for the chart; "" keeps it off the chart
	// baseline is the row this one is divided by, "" for none.
	baseline string
	// perSize: measured once per fixture size (else once per database).
	perSize bool
	// also is a second baseline whose ratio follows the first's, "" for
	// none.
	also string
}

var rows = map[string]rowInfo{
	rowGetUser:     {"GET /Users/{id}", "GET BY ID", rowBareGet, true, rowBareNarrow},
	rowFilter:      {`GET /Users?filter=userName eq "…"`, "FILTER", rowBareGet, true, rowBareNarrow},
	rowListFirst:   {"GET /Users?count=50 (first page)", "LIST 50", "", true, ""},
	rowListDeep:    {"GET /Users?startIndex=90%&count=50", "LIST DEEP", "", true, ""},
	rowCursorFirst: {"GET /Users?count=50&cursor (first page)", "", "", true, ""},
	rowCursorDeep:  {"GET /Users?count=50&cursor=… (position 90%)", "CURSOR DEEP", rowCursorFirst, true, ""},
	rowGetGroup:    {"GET /Groups/{id} (1,000 members)", "GET GROUP", "", true, ""},
	rowGraphQL:     {"GraphQL: 100 users with groups and roles", "GRAPHQL 100", "", true, ""},
	rowPost:        {"POST /Users", "POST", rowBareWrite, true, ""},
	rowPut:         {"PUT /Users/{id}", "PUT", "", true, ""},
	rowDeactivate:  {"PATCH /Users/{id} active=false", "DEACTIVATE", rowBareWrite, true, ""},
	rowAddMember:   {"PATCH /Groups/{id} add 1 member (group of 1,000+)", "ADD MEMBER", "", true, ""},
	rowAdd10k:      {"PATCH /Groups/{id} adding 10,000 members (one request)", "", "", true, ""},
	rowEmpty50k:    {"PATCH /Groups/{id} emptying a 50,000-member group (one request)", "", "", true, ""},
	rowBareGet:     {"baseline: bare net/http handler, GET by id's own SELECT (the user's row with its groups)", "BARE GET", "", true, ""},
	rowBareNarrow:  {"earlier baseline: bare net/http handler, 5 columns of the user's row by id, no groups", "", "", true, ""},
	rowBareWrite:   {"baseline: bare net/http handler, INSERT user + event in one statement (SQLite: two INSERTs, one transaction)", "BARE WRITE", "", true, ""},
	rowRawInsert:   {"ceiling: raw INSERT loop (autocommit), the database's own; no row's baseline", "RAW INSERT", "", false, ""},
	rowSync:        {"initial sync through the simulator (8 in flight)", "", "", false, ""},
}

// rowOrder is the table's order.
var rowOrder = []string{rowGetUser, rowFilter, rowListFirst, rowListDeep, rowCursorFirst, rowCursorDeep, rowGetGroup, rowGraphQL,
	rowPost, rowPut, rowDeactivate, rowAddMember, rowAdd10k, rowEmpty50k, rowBareGet, rowBareNarrow, rowBareWrite, rowRawInsert, rowSync}

type key struct {
	row     string
	users   int
	db      string
	clients int
}

type memKey struct {
	db    string
	users int
}

// results are every measurement of a run.
type results struct {
	p        plan
	m        map[key]measurement
	memory   map[memKey][2]int64
	failures int
	total    time.Duration
	hostile  []hostileResult
}

func newResults(p plan) *results {
	return &results{p: p, m: map[key]measurement{}, memory: map[memKey][2]int64{}}
}

func (r *results) put(row string, users int, db string, clients int, m measurement) {
	if m.errors > 0 {
		r.failures++
		progress("  %d failed requests; first: %s", m.errors, m.firstErr)
	}
	r.m[key{row, users, db, clients}] = m
}

var dbTitle = map[string]string{"sqlite": "SQLite", "postgres": "PostgreSQL"}

// markdown renders the table with its heading.
func (r *results) markdown() string {
	var b strings.Builder
	mode := fmt.Sprintf("full run: %s users", joinInts(r.p.sizes))
	if r.p.quick {
		mode = "**BENCH_QUICK=1 (a placeholder: short runs at 1,000 users; the full run is `make bench`)**"
	}
	fmt.Fprintf(&b, "# make bench\n\n%s, %s per measurement, %s total.\n\nMachine: %s. Run %s.\n\n",
		mode, r.p.dur, r.total.Round(time.Second), machine(), time.Now().UTC().Format("2006-01-02 15:04 UTC"))
	b.WriteString("Each cell: requests/s · p50 / p99 latency; single operations: their duration. " +
		"A ratio compares with the baseline measured in the same run on the same database and clients " +
		"(GET and filter: the bare GET handler, which runs GET by id's own statement, the user's row joined with its groups, " +
		"and writes it with encoding/json; then the earlier bare handler, which read 5 columns of the user's row; POST and PATCH active=false: the bare write handler, which inserts the user " +
		"and its event in one statement, a data-modifying CTE on PostgreSQL and one transaction of two INSERTs on SQLite; " +
		"lists at the largest size: the same list at the smallest). The raw insert loop is the database's own ceiling, " +
		"no row's baseline.\n\n")
	b.WriteString("| request | users |")
	for _, db := range r.p.dbs {
		for _, c := range r.p.clients {
			fmt.Fprintf(&b, " %s, %d client%s |", dbTitle[db], c, plural(c))
		}
	}
	b.WriteString("\n|---|---:|")
	for range len(r.p.dbs) * len(r.p.clients) {
		b.WriteString("---|")
	}
	b.WriteString("\n")
	for _, id := range rowOrder {
		info := rows[id]
		sizes := r.p.sizes
		if !info.perSize {
			sizes = []int{0}
		}
		for _, n := range sizes {
			label := info.label
			switch id {
			case rowSync:
				label = fmt.Sprintf("initial sync through the simulator: %s users, %d groups (8 in flight)", comma(r.p.syncUsers), r.p.syncGroups)
			case rowListDeep:
				label = fmt.Sprintf("GET /Users?startIndex=%s&count=50", comma(max(1, n*9/10)))
			case rowCursorDeep:
				label = fmt.Sprintf("GET /Users?count=50&cursor=… (position %s)", comma(max(1, n*9/10)))
			case rowAdd10k:
				label = fmt.Sprintf("PATCH /Groups/{id} adding %s members (one request)", comma(min(10000, n)))
			case rowEmpty50k:
				label = fmt.Sprintf("PATCH /Groups/{id} emptying a %s-member group (one request)", comma(min(50000, n)))
			}
			users := "—"
			if n > 0 {
				users = comma(n)
			}
			fmt.Fprintf(&b, "| %s | %s |", label, users)
			for _, db := range r.p.dbs {
				for _, c := range r.p.clients {
					fmt.Fprintf(&b, " %s |", r.cell(id, n, db, c))
				}
			}
			b.WriteString("\n")
		}
	}
	for _, n := range r.p.sizes {
		fmt.Fprintf(&b, "| server memory after the %s-user runs (RSS / peak) | %s |", comma(n), comma(n))
		for _, db := range r.p.dbs {
			mem := r.memory[memKey{db, n}]
			for i := range r.p.clients {
				if i == 0 {
					fmt.Fprintf(&b, " %s / %s |", mib(mem[0]), mib(mem[1]))
				} else {
					b.WriteString(" — |")
				}
			}
		}
		b.WriteString("\n")
	}
	b.WriteString(r.hostileMarkdown())
	return b.String()
}

// cell renders one measurement with its ratio.
func (r *results) cell(id string, n int, db string, c int) string {
	m, ok := r.m[key{id, n, db, c}]
	if !ok {
		return "—"
	}
	var s string
	if m.once {
		s = fmtDur(m.elapsed)
		if id == rowSync {
			s = fmt.Sprintf("%s (%s requests, create p50 %s / p99 %s)", fmtDur(m.elapsed), comma(m.requests), fmtDur(m.p50), fmtDur(m.p99))
		}
	} else {
		s = fmt.Sprintf("%s/s · %s / %s", comma(int(math.Round(m.rate()))), fmtDur(m.p50), fmtDur(m.p99))
	}
	if m.errors > 0 {
		s += fmt.Sprintf(" · **%d failed**", m.errors)
	}
	info := rows[id]
	baseKey := key{info.baseline, n, db, c}
	if info.baseline != "" && !rows[info.baseline].perSize {
		baseKey.users = 0
	}
	// The lists at 100,000 users, and the reads at a million, against
	// the same request at the smallest size.
	if len(r.p.sizes) > 1 && n > r.p.sizes[0] && (n >= millionUsers && readRows[id] && id != rowBareGet && id != rowBareNarrow ||
		(id == rowListFirst || id == rowListDeep) && n == r.p.sizes[len(r.p.sizes)-1] && n < millionUsers) {
		if b, ok := r.m[key{id, r.p.sizes[0], db, c}]; ok && b.rate() > 0 {
			s += fmt.Sprintf(" · **%.2f×** of %s users", m.rate()/b.rate(), comma(r.p.sizes[0]))
		}
		if info.baseline == "" {
			return s
		}
	}
	if info.baseline != "" {
		if b, ok := r.m[baseKey]; ok && b.rate() > 0 {
			s += fmt.Sprintf(" · **%.2f×** %s", m.rate()/b.rate(), baseName[info.baseline])
		}
	}
	if info.also != "" {
		if b, ok := r.m[key{info.also, n, db, c}]; ok && b.rate() > 0 {
			s += fmt.Sprintf(" · %.2f× %s", m.rate()/b.rate(), baseName[info.also])
		}
	}
	return s
}

// baseName names a baseline after a ratio.
var baseName = map[string]string{rowBareGet: "bare", rowBareNarrow: "bare 5 columns", rowBareWrite: "bare write", rowCursorFirst: "of the first page"}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

func joinInts(xs []int) string {
	s := make([]string, len(xs))
	for i, x := range xs {
		s[i] = comma(x)
	}
	return strings.Join(s, " and ")
}

// comma formats 12345 as 12,345.
func comma(n int) string {
	s := fmt.Sprint(n)
	if n < 0 {
		return "-" + comma(-n)
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

func fmtDur(d time.Duration) string {
	ms := float64(d) / float64(time.Millisecond)
	switch {
	case ms >= 1000:
		return fmt.Sprintf("%.2f s", ms/1000)
	case ms >= 100:
		return fmt.Sprintf("%.0f ms", ms)
	case ms >= 10:
		return fmt.Sprintf("%.1f ms", ms)
	}
	return fmt.Sprintf("%.2f ms", ms)
}

func mib(b int64) string {
	if b == 0 {
		return "?"
	}
	return fmt.Sprintf("%.0f MiB", float64(b)/(1<<20))
}
