package main

import (
	"strings"
	"testing"
	"time"
)

func TestComma(t *testing.T) {
	for n, want := range map[int]string{0: "0", 999: "999", 1000: "1,000", 100000: "100,000", 1234567: "1,234,567", -4500: "-4,500"} {
		if got := comma(n); got != want {
			t.Errorf("comma(%d) = %q; want %q", n, got, want)
		}
	}
}

func TestGlyphs(t *testing.T) {
	for r, g := range glyphs {
		if len(g) != 15 {
			t.Errorf("glyph %q has %d cells; want 15", r, len(g))
		}
	}
	for _, id := range rowOrder {
		for _, r := range rows[id].chart {
			if _, ok := glyphs[r]; !ok {
				t.Errorf("chart label %q of %s needs glyph %q", rows[id].chart, id, r)
			}
		}
	}
}

// TestTable: ratios are computed against the baseline of the same
// database and clients, the quick run is marked, and the chart encodes.
func TestTable(t *testing.T) {
	p := plan{quick: true, dbs: []string{"sqlite"}, sizes: []int{1000}, clients: []int{1, 16}, dur: time.Second, syncUsers: 1000, syncGroups: 10}
	r := newResults(p)
	r.put(rowBareGet, 1000, "sqlite", 16, measurement{requests: 10000, elapsed: time.Second})
	r.put(rowGetUser, 1000, "sqlite", 16, measurement{requests: 2500, elapsed: time.Second})
	r.put(rowRawInsert, 0, "sqlite", 1, measurement{requests: 4000, elapsed: time.Second})
	r.put(rowBareWrite, 1000, "sqlite", 1, measurement{requests: 2000, elapsed: time.Second})
	r.put(rowPost, 1000, "sqlite", 1, measurement{requests: 1000, elapsed: time.Second, errors: 2})
	r.put(rowDeactivate, 1000, "sqlite", 1, measurement{requests: 300, elapsed: time.Second})
	r.put(rowAdd10k, 1000, "sqlite", 1, measurement{requests: 1, elapsed: 840 * time.Millisecond, once: true})
	md := r.markdown()
	for _, want := range []string{"BENCH_QUICK=1", "2,500/s", "**0.25×** bare |", "**0.50×** bare write |",
		"**0.15×** bare write |", "| 4,000/s", "**2 failed**",
		"| PATCH /Groups/{id} adding 1,000 members (one request) | 1,000 | 840 ms |"} {
		if !strings.Contains(md, want) {
			t.Errorf("table lacks %q:\n%s", want, md)
		}
	}
	// The raw insert loop is a ceiling shown on its own: no row is divided by it.
	if strings.Contains(md, "× raw") {
		t.Errorf("a row still has the raw insert loop as its baseline:\n%s", md)
	}
	for id, info := range rows {
		if info.baseline == rowRawInsert {
			t.Errorf("row %s has the raw insert loop as its baseline", id)
		}
		if info.baseline != "" && baseName[info.baseline] == "" {
			t.Errorf("row %s: baseline %s has no name for its ratio", id, info.baseline)
		}
	}
	if r.failures != 1 {
		t.Errorf("failures = %d; want 1", r.failures)
	}
	png, err := r.chart()
	if err != nil || len(png) < 100 || string(png[1:4]) != "PNG" {
		t.Fatalf("chart: %d bytes, %v", len(png), err)
	}
}

// TestMillionRatios: at a million users the reads compare with their
// figure at 1,000 users, and those with a baseline with it too (of the
// same size); the cursor's deep page with its first page.
func TestMillionRatios(t *testing.T) {
	p := plan{dbs: []string{"sqlite"}, sizes: []int{1000, 100000, millionUsers}, clients: []int{1}, dur: time.Second}
	r := newResults(p)
	for _, n := range p.sizes {
		r.put(rowBareGet, n, "sqlite", 1, measurement{requests: 4000, elapsed: time.Second})
		r.put(rowCursorFirst, n, "sqlite", 1, measurement{requests: 500, elapsed: time.Second})
	}
	r.put(rowGetUser, 1000, "sqlite", 1, measurement{requests: 2000, elapsed: time.Second})
	r.put(rowGetUser, millionUsers, "sqlite", 1, measurement{requests: 1800, elapsed: time.Second})
	r.put(rowCursorDeep, millionUsers, "sqlite", 1, measurement{requests: 450, elapsed: time.Second})
	for id, want := range map[string]string{
		rowGetUser:    "**0.90×** of 1,000 users · **0.45×** bare",
		rowCursorDeep: "**0.90×** of the first page",
	} {
		if got := r.cell(id, millionUsers, "sqlite", 1); !strings.HasSuffix(got, want) {
			t.Errorf("%s: %q; want it to end %q", id, got, want)
		}
	}
	if got := r.cell(rowGetUser, 100000, "sqlite", 1); strings.Contains(got, "of 1,000") {
		t.Errorf("GET at 100,000 users compares with 1,000: %q", got)
	}
}
