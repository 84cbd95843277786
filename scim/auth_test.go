package scim_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/acme/directory/auth"
	"github.com/acme/directory/scim"
	"github.com/acme/directory/store"
	"github.com/acme/directory/store/storetest"
)

// TestAuthenticationWire checks the SCIM edge of package auth: every
// refusal is the same SCIM 401 with a Bearer challenge, and a token that
// cannot be checked is a plain 500 without one.
func TestAuthenticationWire(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st, "generic")
		cases := []struct {
			name, base, header string
			status             int
		}{
			{"valid", e.base, "Bearer " + e.token, http.StatusOK},
			{"no token", e.base, "", http.StatusUnauthorized},
			{"basic scheme", e.base, "Basic " + e.token, http.StatusUnauthorized},
			{"unknown token", e.base, "Bearer scim_" + strings.Repeat("A", 43), http.StatusUnauthorized},
			{"directory id not a UUID", e.srv.URL + "/scim/v2/nope", "Bearer " + e.token, http.StatusUnauthorized},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				req, err := http.NewRequest(http.MethodGet, c.base+"/Users", nil)
				if err != nil {
					t.Fatal(err)
				}
				if c.header != "" {
					req.Header.Set("Authorization", c.header)
				}
				res, err := e.srv.Client().Do(req)
				if err != nil {
					t.Fatal(err)
				}
				defer res.Body.Close()
				var body map[string]any
				if err := json.NewDecoder(res.Body).Decode(&body); err != nil {
					t.Fatalf("body: %v", err)
				}
				if res.StatusCode != c.status {
					t.Fatalf("status %d %v; want %d", res.StatusCode, body, c.status)
				}
				challenge := res.Header.Get("WWW-Authenticate")
				if c.status == http.StatusOK {
					if challenge != "" {
						t.Fatalf("WWW-Authenticate %q on success", challenge)
					}
					return
				}
				if challenge != `Bearer realm="SCIM"` {
					t.Fatalf("WWW-Authenticate %q; want the SCIM Bearer challenge", challenge)
				}
				if body["status"] != "401" || body["detail"] != auth.ErrDirectoryToken.Message || body["scimType"] != nil {
					t.Fatalf("body %v; want the SCIM 401 %q", body, auth.ErrDirectoryToken.Message)
				}
			})
		}

		t.Run("not checkable", func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			req := httptest.NewRequestWithContext(ctx, http.MethodGet, e.base+"/Users", nil)
			req.Header.Set("Authorization", "Bearer "+e.token)
			rec := httptest.NewRecorder()
			scim.NewHandler(st, scim.Options{}).ServeHTTP(rec, req)
			if rec.Code != http.StatusInternalServerError || rec.Header().Get("WWW-Authenticate") != "" {
				t.Fatalf("status %d, WWW-Authenticate %q; want a 500 without a challenge\n%s",
					rec.Code, rec.Header().Get("WWW-Authenticate"), rec.Body)
			}
		})
	})
}
