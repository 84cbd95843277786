package simulate

import (
	"fmt"
	"io"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"text/tabwriter"
	"time"
)

// recorder collects every request's outcome by operation.
type recorder struct {
	mu    sync.Mutex
	ops   map[string]*opRecord
	total atomic.Int64
	fails atomic.Int64
}

type opRecord struct {
	latencies []time.Duration
	statuses  map[int]int
}

func newRecorder() *recorder { return &recorder{ops: map[string]*opRecord{}} }

// record notes one request of op that ended with status (0: no response)
// after d.
func (r *recorder) record(op string, status int, d time.Duration) {
	r.total.Add(1)
	if status < 200 || status > 299 {
		r.fails.Add(1)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	o := r.ops[op]
	if o == nil {
		o = &opRecord{statuses: map[int]int{}}
		r.ops[op] = o
	}
	o.latencies = append(o.latencies, d)
	o.statuses[status]++
}

// OpStats is what happened to one kind of request.
type OpStats struct {
	// Op names the request, e.g. "create_user" or "patch_add_members".
	Op string
	// Count is how many were sent, failures included.
	Count int
	// Failures counts the requests that got no 2xx, by status (0: no
	// response at all).
	Failures map[int]int
	// P50 and P99 are latency percentiles over every request of the kind.
	P50, P99 time.Duration
}

// Failed is the number of failed requests.
func (s OpStats) Failed() int {
	n := 0
	for _, c := range s.Failures {
		n += c
	}
	return n
}

// Report is what a simulation did.
type Report struct {
	// Users and Groups are the sizes simulated.
	Users, Groups int
	// Sync is how long the initial sync took; Churn how long churn ran.
	Sync, Churn time.Duration
	// Ops holds one entry per kind of request, sorted by name.
	Ops []OpStats
}

// Requests is the number of requests sent.
func (r *Report) Requests() int {
	n := 0
	for _, o := range r.Ops {
		n += o.Count
	}
	return n
}

// Failures is the number of requests that failed.
func (r *Report) Failures() int {
	n := 0
	for _, o := range r.Ops {
		n += o.Failed()
	}
	return n
}

// Op returns the statistics of one operation (zero when none was sent).
func (r *Report) Op(name string) OpStats {
	for _, o := range r.Ops {
		if o.Op == name {
			return o
		}
	}
	return OpStats{Op: name}
}

// snapshot summarises the recorder.
func (r *recorder) snapshot() []OpStats {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]OpStats, 0, len(r.ops))
	for name, o := range r.ops {
		s := OpStats{Op: name, Count: len(o.latencies), Failures: map[int]int{}}
		for st, n := range o.statuses {
			if st < 200 || st > 299 {
				s.Failures[st] = n
			}
		}
		lat := slices.Clone(o.latencies)
		slices.Sort(lat)
		s.P50, s.P99 = Percentile(lat, 0.50), Percentile(lat, 0.99)
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Op < out[j].Op })
	return out
}

// Percentile returns the q-quantile (0..1) of sorted durations, by the
// nearest-rank method; zero for none.
func Percentile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(float64(len(sorted))*q+0.999999) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

// Print writes the report as an aligned table for a terminal.
func (r *Report) Print(w io.Writer) error {
	fmt.Fprintf(w, "initial sync: %d users, %d groups in %s\n", r.Users, r.Groups, r.Sync.Round(time.Millisecond))
	if r.Churn > 0 {
		fmt.Fprintf(w, "churn:        %s\n", r.Churn.Round(time.Millisecond))
	}
	fmt.Fprintf(w, "requests:     %d, failed %d\n\n", r.Requests(), r.Failures())
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "operation\tcount\tfailed\tp50\tp99\tfailures by status\t")
	for _, o := range r.Ops {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%s\t%s\t%s\t\n", o.Op, o.Count, o.Failed(),
			fmtDuration(o.P50), fmtDuration(o.P99), statusList(o.Failures))
	}
	return tw.Flush()
}

// statusList formats failures by status as "409×2 500×1".
func statusList(m map[int]int) string {
	if len(m) == 0 {
		return "-"
	}
	codes := make([]int, 0, len(m))
	for c := range m {
		codes = append(codes, c)
	}
	sort.Ints(codes)
	parts := make([]string, len(codes))
	for i, c := range codes {
		name := strconv.Itoa(c)
		if c == 0 {
			name = "network"
		}
		parts[i] = fmt.Sprintf("%s×%d", name, m[c])
	}
	return strings.Join(parts, " ")
}

// fmtDuration shows a latency in milliseconds with sensible precision.
func fmtDuration(d time.Duration) string {
	ms := float64(d) / float64(time.Millisecond)
	switch {
	case ms >= 100:
		return fmt.Sprintf("%.0fms", ms)
	case ms >= 10:
		return fmt.Sprintf("%.1fms", ms)
	default:
		return fmt.Sprintf("%.2fms", ms)
	}
}
