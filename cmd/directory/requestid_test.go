package main

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/google/uuid"

	"github.com/acme/directory/store"
	"github.com/acme/directory/store/storetest"
)

// lockedBuffer is a bytes.Buffer for a logger written from handlers.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestRequestIDs: every response carries X-Request-Id (the client's when
// it is sane, else a new one), and the lines logged while serving the
// request carry it too.
func TestRequestIDs(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		var logs lockedBuffer
		prev := slog.Default()
		slog.SetDefault(slog.New(requestIDHandler{slog.NewJSONHandler(&logs, nil)}))
		t.Cleanup(func() { slog.SetDefault(prev) })
		srv := httptest.NewServer(routes(st, &config{publicURL: "http://directory.test"}, nil, nil))
		t.Cleanup(srv.Close)

		get := func(path, id string) *http.Response {
			req, _ := http.NewRequest(http.MethodGet, srv.URL+path, nil)
			if id != "" {
				req.Header.Set(RequestIDHeader, id)
			}
			res, err := srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			return res
		}
		a, b := get("/healthz", "").Header.Get(RequestIDHeader), get("/healthz", "").Header.Get(RequestIDHeader)
		if !regexp.MustCompile(`^[0-9a-f]{32}$`).MatchString(a) || a == b {
			t.Fatalf("generated ids %q, %q", a, b)
		}
		if got := get("/healthz", "lb-7f3a.2").Header.Get(RequestIDHeader); got != "lb-7f3a.2" {
			t.Errorf("the proxy's id became %q", got)
		}
		if got := get("/healthz", "bad id\" level=ERROR").Header.Get(RequestIDHeader); !regexp.MustCompile(`^[0-9a-f]{32}$`).MatchString(got) {
			t.Errorf("an unsafe id was kept: %q", got)
		}

		// A refused SCIM request: its log line carries the request's id.
		res := get("/scim/v2/"+uuid.NewString()+"/Users", "req-42")
		if res.StatusCode != http.StatusUnauthorized {
			t.Fatalf("status %d", res.StatusCode)
		}
		found := false
		for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
			var m map[string]any
			if json.Unmarshal([]byte(line), &m) == nil && m["msg"] == "scim authentication refused" {
				found = true
				if m["request_id"] != "req-42" {
					t.Errorf("refusal logged without the request id: %s", line)
				}
			}
		}
		if !found {
			t.Fatalf("no refusal logged:\n%s", logs.String())
		}
	})
}
