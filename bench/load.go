package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/acme/directory/simulate"
)

// measurement is one load run: how many requests completed, how fast,
// and with what latency.
type measurement struct {
	requests int
	errors   int
	elapsed  time.Duration
	p50, p99 time.Duration
	firstErr string
	// once marks a single timed operation (elapsed is its duration).
	once bool
}

// rate is completed requests per second.
func (m measurement) rate() float64 {
	if m.elapsed <= 0 {
		return 0
	}
	return float64(m.requests) / m.elapsed.Seconds()
}

// request builds the i-th request of worker w.
type request func(w, i int) (*http.Request, error)

// load runs clients workers sending requests back to back for d and
// measures them. A response outside 2xx is an error; onBody, when set,
// sees every successful response body.
func load(ctx context.Context, hc *http.Client, clients int, d time.Duration, mk request, onBody func([]byte) error) measurement {
	var (
		mu       sync.Mutex
		lat      []time.Duration
		errs     int
		firstErr string
	)
	deadline := time.Now().Add(d)
	start := time.Now()
	var wg sync.WaitGroup
	for w := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			local := make([]time.Duration, 0, 1024)
			lerr := 0
			var lfirst string
			for i := 0; time.Now().Before(deadline) && ctx.Err() == nil; i++ {
				req, err := mk(w, i)
				if err != nil {
					lerr++
					lfirst = err.Error()
					break
				}
				t0 := time.Now()
				res, err := hc.Do(req.WithContext(ctx))
				if err != nil {
					lerr++
					if lfirst == "" {
						lfirst = err.Error()
					}
					continue
				}
				var body []byte
				if onBody != nil || res.StatusCode > 299 {
					body, _ = io.ReadAll(res.Body)
				} else {
					io.Copy(io.Discard, res.Body)
				}
				res.Body.Close()
				elapsed := time.Since(t0)
				if res.StatusCode < 200 || res.StatusCode > 299 {
					lerr++
					if lfirst == "" {
						lfirst = fmt.Sprintf("%s %s: %d %s", req.Method, req.URL.Path, res.StatusCode, truncate(string(body), 200))
					}
					continue
				}
				if onBody != nil {
					if err := onBody(body); err != nil {
						lerr++
						if lfirst == "" {
							lfirst = err.Error()
						}
						continue
					}
				}
				local = append(local, elapsed)
			}
			mu.Lock()
			lat = append(lat, local...)
			errs += lerr
			if firstErr == "" {
				firstErr = lfirst
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	m := measurement{requests: len(lat), errors: errs, elapsed: time.Since(start), firstErr: firstErr}
	slices.Sort(lat)
	m.p50, m.p99 = simulate.Percentile(lat, 0.5), simulate.Percentile(lat, 0.99)
	return m
}

// once times a single request.
func once(ctx context.Context, hc *http.Client, req *http.Request) measurement {
	t0 := time.Now()
	res, err := hc.Do(req.WithContext(ctx))
	if err != nil {
		return measurement{errors: 1, firstErr: err.Error(), once: true}
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	d := time.Since(t0)
	m := measurement{requests: 1, elapsed: d, p50: d, p99: d, once: true}
	if res.StatusCode < 200 || res.StatusCode > 299 {
		m.requests, m.errors = 0, 1
		m.firstErr = fmt.Sprintf("%s %s: %d %s", req.Method, req.URL.Path, res.StatusCode, truncate(string(body), 200))
	}
	return m
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
