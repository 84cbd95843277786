package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/acme/directory/store/storetest"
)

// TestExplorer: a browser opening /graphql gets the embedded explorer,
// which loads nothing from another host, while introspection is on; with
// it off, no page is served.
func TestExplorer(t *testing.T) {
	st := storetest.Open(t, "sqlite")
	for _, on := range []bool{true, false} {
		srv := httptest.NewServer(routes(st, &config{graphqlIntrospection: on}, nil, nil))
		req, _ := http.NewRequest(http.MethodGet, srv.URL+"/graphql", nil)
		req.Header.Set("Accept", "text/html,application/xhtml+xml")
		res, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		srv.Close()
		html := strings.HasPrefix(res.Header.Get("Content-Type"), "text/html")
		switch {
		case on && (res.StatusCode != http.StatusOK || !html):
			t.Fatalf("introspection on: status %d, %s; want the explorer", res.StatusCode, res.Header.Get("Content-Type"))
		case on && regexp.MustCompile(`(src|href)="https?://`).Match(body):
			t.Fatalf("the explorer loads from another host:\n%s", body)
		case !on && html:
			t.Fatalf("introspection off: the explorer was served")
		}
	}
}
