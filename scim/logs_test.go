package scim_test

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/google/uuid"

	"github.com/acme/directory/store"
	"github.com/acme/directory/store/storetest"
)

// logLines captures the default logger's lines, as JSON objects, for the
// rest of the test.
type logLines struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logLines) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

// take returns the lines logged since the last take whose msg is msg.
func (l *logLines) take(t *testing.T, msg string) (lines []map[string]any, raw string) {
	t.Helper()
	l.mu.Lock()
	raw = l.buf.String()
	l.buf.Reset()
	l.mu.Unlock()
	for _, s := range strings.Split(strings.TrimSpace(raw), "\n") {
		if s == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(s), &m); err != nil {
			t.Fatalf("log line is not JSON: %q", s)
		}
		if m["msg"] == msg {
			lines = append(lines, m)
		}
	}
	return lines, raw
}

func captureLogs(t *testing.T) *logLines {
	l := &logLines{}
	prev := slog.Default()
	slog.SetDefault(slog.New(slog.NewJSONHandler(l, &slog.HandlerOptions{Level: slog.LevelDebug})))
	t.Cleanup(func() { slog.SetDefault(prev) })
	return l
}

// TestRefusalLogs: each refused SCIM request writes one structured line
// saying which credential kind, which directory and why, never the
// credential; every other error response one line with its status and
// scimType.
func TestRefusalLogs(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st, "generic")
		logs := captureLogs(t)
		dir := e.dir.ID.String()
		apiKey := "dk_" + strings.Repeat("K", 43)
		unknown := "scim_" + strings.Repeat("U", 43)
		for _, c := range []struct {
			name, base, header         string
			credential, directory, why string
		}{
			{"no header", e.base, "", "none", dir, "missing"},
			{"basic scheme", e.base, "Basic " + e.token, "unknown", dir, "malformed"},
			{"an API key", e.base, "Bearer " + apiKey, "api_key", dir, "wrong_kind"},
			{"unknown token", e.base, "Bearer " + unknown, "directory_token", dir, "refused"},
			{"another directory", e.srv.URL + "/scim/v2/" + uuid.NewString(), "Bearer " + e.token, "directory_token", "", "refused"},
			{"directory id not a UUID", e.srv.URL + "/scim/v2/nope", "Bearer " + e.token, "directory_token", "", "bad_directory_id"},
		} {
			req, _ := http.NewRequest(http.MethodGet, c.base+"/Users?filter=userName%20eq%20%22secret-person%22", nil)
			if c.header != "" {
				req.Header.Set("Authorization", c.header)
			}
			res, err := e.srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode != http.StatusUnauthorized {
				t.Fatalf("%s: status %d", c.name, res.StatusCode)
			}
			lines, raw := logs.take(t, "scim authentication refused")
			if len(lines) != 1 {
				t.Fatalf("%s: %d refusal lines; want 1:\n%s", c.name, len(lines), raw)
			}
			l := lines[0]
			if l["level"] != "WARN" || l["credential"] != c.credential || l["reason"] != c.why {
				t.Errorf("%s: logged %v; want credential %s, reason %s", c.name, l, c.credential, c.why)
			}
			if want := c.directory; want != "" && l["directory"] != want {
				t.Errorf("%s: directory %v; want %s", c.name, l["directory"], want)
			}
			for _, s := range []string{e.token, apiKey, unknown, "secret-person"} {
				if strings.Contains(raw, s) {
					t.Errorf("%s: the log holds %q:\n%s", c.name, s, raw)
				}
			}
			if strings.Contains(raw, `"msg":"scim request refused"`) {
				t.Errorf("%s: a 401 logged twice:\n%s", c.name, raw)
			}
		}

		// Other errors: one line each, with the status and scimType.
		e.must(http.StatusCreated, http.MethodPost, "/Users", userBody("ada@acme.test", "Ada", "L"))
		logs.take(t, "")
		for _, c := range []struct {
			method, path string
			body         any
			status       float64
			scimType     string
		}{
			{http.MethodPost, "/Users", userBody("ada@acme.test", "Ada", "L"), 409, "uniqueness"},
			{http.MethodGet, "/Users?filter=userName%20zz%20%22x%22", nil, 400, "invalidFilter"},
			{http.MethodGet, "/Users/" + uuid.NewString(), nil, 404, ""},
		} {
			r := e.do(c.method, c.path, c.body)
			if float64(r.status) != c.status {
				t.Fatalf("%s %s: status %d", c.method, c.path, r.status)
			}
			lines, raw := logs.take(t, "scim request refused")
			if len(lines) != 1 || lines[0]["status"] != c.status || (c.scimType != "" && lines[0]["scim_type"] != c.scimType) {
				t.Fatalf("%s %s: logged\n%s\nwant one line of status %v, scimType %q", c.method, c.path, raw, c.status, c.scimType)
			}
			if strings.Contains(raw, "?filter") {
				t.Errorf("the query was logged:\n%s", raw)
			}
		}
	})
}
