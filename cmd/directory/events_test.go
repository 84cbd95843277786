package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/acme/directory/events"
)

// syncBuffer is a bytes.Buffer written and read from several goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) lines() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.b.Len() == 0 {
		return nil
	}
	return strings.Split(strings.TrimSuffix(s.b.String(), "\n"), "\n")
}

func TestEventsTail(t *testing.T) {
	for name, db := range databases(t) {
		t.Run(name, func(t *testing.T) {
			exec := func(ctx context.Context, out *syncBuffer, args ...string) error {
				return run(ctx, append(args, db...), out)
			}
			must := func(args ...string) string {
				t.Helper()
				var out syncBuffer
				if err := exec(context.Background(), &out, args...); err != nil {
					t.Fatalf("%s: %v", strings.Join(args, " "), err)
				}
				return strings.TrimSpace(out.lines()[0])
			}
			org := must("org", "create", "--name", "Acme")
			roles := []string{must("role", "create", "--org", org, "--key", "r0", "--name", "R0"),
				must("role", "create", "--org", org, "--key", "r1", "--name", "R1")}

			// tail runs events tail until it has printed n lines (or for
			// d when n is 0) and returns them.
			tail := func(n int, d time.Duration, during func(), args ...string) []string {
				t.Helper()
				ctx, cancel := context.WithTimeout(context.Background(), d)
				defer cancel()
				var out syncBuffer
				done := make(chan error, 1)
				go func() { done <- exec(ctx, &out, append([]string{"events", "tail", "--org", org}, args...)...) }()
				if during != nil {
					during()
				}
				for n > 0 && ctx.Err() == nil && len(out.lines()) < n {
					time.Sleep(20 * time.Millisecond)
				}
				cancel()
				if err := <-done; err != nil {
					t.Fatalf("events tail %v: %v", args, err)
				}
				return out.lines()
			}

			// From the oldest kept: the backlog, then what commits meanwhile.
			lines := tail(4, 20*time.Second, func() {
				time.Sleep(300 * time.Millisecond)
				roles = append(roles, must("role", "create", "--org", org, "--key", "r2", "--name", "R2"),
					must("role", "create", "--org", org, "--key", "r3", "--name", "R3"))
			}, "--after", "")
			if len(lines) != 4 {
				t.Fatalf("printed %d lines, want 4:\n%s", len(lines), strings.Join(lines, "\n"))
			}
			var cursors []string
			for i, l := range lines {
				f := strings.Fields(l)
				if len(f) != 4 || f[1] != "role.created" || f[2] != roles[i] {
					t.Fatalf("line %d = %q; want time, role.created, %s, cursor", i, l, roles[i])
				}
				if _, err := time.Parse(time.RFC3339Nano, f[0]); err != nil {
					t.Errorf("line %d: time: %v", i, err)
				}
				if _, err := events.ParseCursor(f[3]); err != nil {
					t.Errorf("line %d: cursor: %v", i, err)
				}
				cursors = append(cursors, f[3])
			}

			// --output json: one object a line, the same events.
			for i, l := range tail(4, 10*time.Second, nil, "--after", "", "--output", "json") {
				var e eventRecord
				if err := json.Unmarshal([]byte(l), &e); err != nil {
					t.Fatalf("json line %d %q: %v", i, l, err)
				}
				if e.Type != "role.created" || e.Subject.String() != roles[i] || e.Cursor != cursors[i] ||
					e.ActorType == "" || e.Organization.String() != org || len(e.Data) < 10 {
					t.Errorf("json line %d = %+v", i, e)
				}
			}

			// Resuming after a printed cursor prints what follows it, once.
			if got := tail(2, 10*time.Second, nil, "--after", cursors[1]); strings.Join(got, "\n") != strings.Join(lines[2:], "\n") {
				t.Errorf("resumed:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(lines[2:], "\n"))
			}
			// Without --after: only new events; --types filters them.
			// (The writes wait a second for the command to open the database.)
			var r4 string
			got := tail(1, 10*time.Second, func() {
				time.Sleep(time.Second)
				must("scim", "create", "--org", org, "--provider", "okta")
				r4 = must("role", "create", "--org", org, "--key", "r4", "--name", "R4")
			}, "--types", "role.created,role.deleted")
			if len(got) != 1 || !strings.Contains(got[0], " role.created ") || !strings.Contains(got[0], r4) {
				t.Errorf("got %q, want only the role.created of %s", got, r4)
			}

			for _, bad := range [][]string{{"--org", "nope"}, {"--org", org, "--after", "garbled"}} {
				var out syncBuffer
				if err := exec(context.Background(), &out, append([]string{"events", "tail"}, bad...)...); err == nil {
					t.Errorf("events tail %v: no error", bad)
				}
			}
		})
	}
}
