package simulate

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// SCIM schema URNs the simulator sends.
const (
	userSchema  = "urn:ietf:params:scim:schemas:core:2.0:User"
	groupSchema = "urn:ietf:params:scim:schemas:core:2.0:Group"
	patchSchema = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
)

// client is a minimal SCIM client: JSON in, JSON out, every request timed
// and recorded under an operation name.
type client struct {
	base  string // the directory's SCIM base URL, no trailing slash
	token string
	http  *http.Client
	rec   *recorder
}

// NewHTTPClient returns an HTTP client whose transport keeps up to conns
// idle connections to one host, so concurrent workers reuse connections
// instead of opening one per request.
func NewHTTPClient(conns int) *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns = max(conns*2, 100)
	t.MaxIdleConnsPerHost = max(conns, 2)
	return &http.Client{Transport: t, Timeout: 2 * time.Minute}
}

// response is what a request came back with.
type response struct {
	status int
	body   []byte
}

// errStatus is a request answered with an unexpected status.
type errStatus struct {
	op, method, path string
	status           int
	body             string
}

func (e *errStatus) Error() string {
	return fmt.Sprintf("%s: %s %s: status %d: %s", e.op, e.method, e.path, e.status, e.body)
}

// do sends one request, records it under op and returns the response; a
// status outside 2xx is an *errStatus (also recorded), a transport failure
// is recorded with status 0.
func (c *client) do(ctx context.Context, op, method, path string, body any) (*response, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, fmt.Errorf("%s: encode body: %w", op, err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Accept", "application/scim+json")
	if body != nil {
		req.Header.Set("Content-Type", "application/scim+json")
	}
	start := time.Now()
	resp, err := c.http.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err() // stopped, not failed
		}
		c.rec.record(op, 0, time.Since(start))
		return nil, fmt.Errorf("%s: %s %s: %w", op, method, path, err)
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	elapsed := time.Since(start)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		c.rec.record(op, 0, elapsed)
		return nil, fmt.Errorf("%s: %s %s: read response: %w", op, method, path, err)
	}
	c.rec.record(op, resp.StatusCode, elapsed)
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return &response{status: resp.StatusCode, body: b},
			&errStatus{op: op, method: method, path: path, status: resp.StatusCode, body: truncate(string(b), 300)}
	}
	return &response{status: resp.StatusCode, body: b}, nil
}

// resource is the part of a SCIM resource the simulator reads back.
type resource struct {
	ID          string `json:"id"`
	UserName    string `json:"userName"`
	DisplayName string `json:"displayName"`
	Active      *bool  `json:"active"`
	Title       string `json:"title"`
	Name        struct {
		GivenName  string `json:"givenName"`
		FamilyName string `json:"familyName"`
	} `json:"name"`
	Members []struct {
		Value string `json:"value"`
	} `json:"members"`
}

// listResponse is a SCIM ListResponse.
type listResponse struct {
	TotalResults int        `json:"totalResults"`
	StartIndex   int        `json:"startIndex"`
	ItemsPerPage int        `json:"itemsPerPage"`
	Resources    []resource `json:"Resources"`
}

// find looks a resource up by an equality filter, as identity providers do
// before creating; it returns nil when there is none.
func (c *client) find(ctx context.Context, op, kind, attr, value string) (*resource, error) {
	q := url.Values{"filter": {fmt.Sprintf("%s eq %q", attr, value)}}
	resp, err := c.do(ctx, op, http.MethodGet, "/"+kind+"?"+q.Encode(), nil)
	if err != nil {
		return nil, err
	}
	var l listResponse
	if err := json.Unmarshal(resp.body, &l); err != nil {
		return nil, fmt.Errorf("%s: decode list: %w", op, err)
	}
	if len(l.Resources) == 0 {
		return nil, nil
	}
	return &l.Resources[0], nil
}

// create POSTs a resource and returns what the server made of it.
func (c *client) create(ctx context.Context, op, kind string, body any) (*resource, error) {
	resp, err := c.do(ctx, op, http.MethodPost, "/"+kind, body)
	if err != nil {
		return nil, err
	}
	var r resource
	if err := json.Unmarshal(resp.body, &r); err != nil || r.ID == "" {
		return nil, fmt.Errorf("%s: decode created resource (%v): %s", op, err, truncate(string(resp.body), 200))
	}
	return &r, nil
}

// patch sends a PatchOp; a 204 or any 2xx body is accepted.
func (c *client) patch(ctx context.Context, op, path string, ops ...map[string]any) error {
	_, err := c.do(ctx, op, http.MethodPatch, path, map[string]any{
		"schemas": []string{patchSchema}, "Operations": ops,
	})
	return err
}

// get reads one resource.
func (c *client) get(ctx context.Context, op, path string) (*resource, error) {
	resp, err := c.do(ctx, op, http.MethodGet, path, nil)
	if err != nil {
		return nil, err
	}
	var r resource
	if err := json.Unmarshal(resp.body, &r); err != nil {
		return nil, fmt.Errorf("%s: decode %s: %w", op, path, err)
	}
	return &r, nil
}

func truncate(s string, n int) string {
	s = strings.TrimSpace(s)
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
