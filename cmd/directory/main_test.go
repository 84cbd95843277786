package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/acme/directory/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// databases are the two configurations the binary runs on.
func databases(t *testing.T) map[string][]string {
	return map[string][]string{
		"sqlite":   {"--data-dir", t.TempDir()},
		"postgres": {"--database-url", pgtest.New(t)},
	}
}

func TestCommands(t *testing.T) {
	for name, db := range databases(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			exec := func(args ...string) (string, error) {
				var out bytes.Buffer
				err := run(ctx, append(args, db...), &out)
				return out.String(), err
			}
			out, err := exec("migrate")
			if err != nil || !strings.Contains(out, "migrations applied") {
				t.Fatalf("migrate: %q, %v", out, err)
			}
			orgID, err := exec("org", "create", "--name", "Acme, Inc.")
			if err != nil {
				t.Fatalf("org create: %v", err)
			}
			orgID = strings.TrimSpace(orgID)
			if _, err := exec("org", "create", "--name", "Acme Inc"); err == nil || !strings.Contains(err.Error(), "taken") {
				t.Fatalf("second org with the same slug: err = %v; want a 'taken' error", err)
			}
			out, err = exec("scim", "create", "--org", orgID, "--provider", "jumpcloud", "--public-url", "https://dir.example.com")
			if err != nil {
				t.Fatalf("scim create: %v", err)
			}
			if !regexp.MustCompile(`SCIM endpoint: https://dir\.example\.com/scim/v2/[0-9a-f-]{36}\n`).MatchString(out) ||
				!regexp.MustCompile(`bearer token:\s+scim_[A-Za-z0-9_-]{43}\n`).MatchString(out) {
				t.Fatalf("scim create printed:\n%s", out)
			}
			if _, err := exec("scim", "create", "--org", orgID, "--provider", "myspace"); err == nil {
				t.Fatalf("unknown provider accepted")
			}
			key, err := exec("apikey", "create", "--scope", "org-read", "--org", orgID)
			if err != nil || !regexp.MustCompile(`^dk_[A-Za-z0-9_-]{43}\n$`).MatchString(key) {
				t.Fatalf("apikey create: %q, %v", key, err)
			}
			if _, err := exec("apikey", "create", "--scope", "org-admin"); err == nil {
				t.Fatalf("an organization key without --org was accepted")
			}
			operate(t, exec, orgID)
		})
	}
}

// operate runs the commands an operator scripts, in the order of a token
// rotation and a role set-up.
func operate(t *testing.T, exec func(args ...string) (string, error), orgID string) {
	t.Helper()
	must := func(want string, args ...string) string {
		t.Helper()
		out, err := exec(args...)
		if err != nil || !strings.Contains(out, want) {
			t.Fatalf("%s: %q, %v; want output containing %q", strings.Join(args, " "), out, err, want)
		}
		return out
	}
	fails := func(want string, args ...string) {
		t.Helper()
		if _, err := exec(args...); err == nil || !strings.Contains(err.Error(), want) {
			t.Fatalf("%s: err = %v; want an error containing %q", strings.Join(args, " "), err, want)
		}
	}
	idOf := regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f-]{27}`)
	must("acme-inc", "org", "list")
	dirID := idOf.FindString(must("jumpcloud", "scim", "list", "--org", orgID))
	must("bearer token:", "scim", "rotate", "--dir", dirID, "--expires-in", "24h")
	fails("active tokens", "scim", "rotate", "--dir", dirID)
	tokens := idOf.FindAllString(must("PREFIX", "scim", "tokens", "--dir", dirID), -1)
	if len(tokens) != 2 {
		t.Fatalf("scim tokens listed %d tokens; want 2", len(tokens))
	}
	must("revoked", "scim", "revoke", "--token", tokens[0])
	fails("no such token", "scim", "revoke", "--token", tokens[0])
	must("disabled", "scim", "disable", "--dir", dirID)
	must("false", "scim", "list", "--org", orgID)
	must("enabled", "scim", "enable", "--dir", dirID)
	roleID := strings.TrimSpace(must("-", "role", "create", "--org", orgID, "--key", "admin", "--name", "Admin"))
	fails("already has a role", "role", "create", "--org", orgID, "--key", "admin", "--name", "Again")
	must("admin", "role", "list", "--org", orgID)
	must("default role set", "role", "default", "--org", orgID, "--role", roleID)
	fails("no such group", "role", "map", "--group", dirID, "--role", roleID)
	keyID := idOf.FindString(must("org_read", "apikey", "list"))
	must("revoked", "apikey", "revoke", "--key", keyID)
	must("deleted", "scim", "delete", "--dir", dirID)
	fails("no such directory", "scim", "delete", "--dir", dirID)
	fails("must be an id", "scim", "list", "--org", "acme")
}

func TestServe(t *testing.T) {
	for name, db := range databases(t) {
		t.Run(name, func(t *testing.T) {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			addr := ln.Addr().String()
			ln.Close()
			ctx, cancel := context.WithCancel(context.Background())
			var out bytes.Buffer
			done := make(chan error, 1)
			t.Setenv("DIRECTORY_PUBLIC_URL", "")
			const public = "https://dir.example.org:8443"
			go func() {
				done <- run(ctx, append([]string{"serve", "--addr", addr, "--public-url", public + "/"}, db...), &out)
			}()

			body := waitFor(t, "http://"+addr+"/healthz")
			if body != "ok\n" {
				t.Fatalf("/healthz = %q", body)
			}
			if body := waitFor(t, "http://"+addr+"/readyz"); body != "ready\n" {
				t.Fatalf("/readyz = %q", body)
			}
			var hc bytes.Buffer
			if err := run(context.Background(), []string{"healthcheck", "--url", "http://" + addr + "/healthz"}, &hc); err != nil || hc.String() != "ok\n" {
				t.Fatalf("healthcheck: %v, %q", err, hc.String())
			}
			if name == "sqlite" {
				// An online backup works; a restore over the running server is refused.
				backup := filepath.Join(t.TempDir(), "b.db")
				if err := run(context.Background(), append([]string{"backup", "--to", backup}, db...), io.Discard); err != nil {
					t.Fatalf("backup while serving: %v", err)
				}
				err := run(context.Background(), append([]string{"restore", "--from", backup}, db...), io.Discard)
				if err == nil || !strings.Contains(err.Error(), "a server is running") {
					t.Fatalf("restore while serving: %v; want it refused", err)
				}
			}
			cancel() // as SIGTERM does
			select {
			case err := <-done:
				if err != nil {
					t.Fatalf("serve returned %v after shutdown", err)
				}
			case <-time.After(20 * time.Second):
				t.Fatalf("serve did not stop")
			}
			if !regexp.MustCompile(`dk_[A-Za-z0-9_-]{43}`).MatchString(out.String()) {
				t.Fatalf("first start printed no platform key:\n%s", out.String())
			}
			// The banner's commands run as written from the repository's root,
			// and it shows the portal.
			for _, want := range []string{"Admin Portal:  " + public + "/portal/", "go run ./cmd/directory", "org create --name"} {
				if !strings.Contains(out.String(), want) {
					t.Errorf("banner lacks %q:\n%s", want, out.String())
				}
			}
			// The commands print the URL the server ran with, though this
			// shell has no DIRECTORY_PUBLIC_URL.
			var cmdOut bytes.Buffer
			if err := run(context.Background(), append([]string{"org", "create", "--name", "Acme"}, db...), &cmdOut); err != nil {
				t.Fatal(err)
			}
			org := strings.TrimSpace(cmdOut.String())
			cmdOut.Reset()
			if err := run(context.Background(), append([]string{"scim", "create", "--org", org, "--provider", "jumpcloud"}, db...), &cmdOut); err != nil {
				t.Fatal(err)
			}
			if !regexp.MustCompile(`SCIM endpoint: https://dir\.example\.org:8443/scim/v2/[0-9a-f-]{36}\n`).MatchString(cmdOut.String()) {
				t.Errorf("scim create after serve --public-url %s printed:\n%s", public, cmdOut.String())
			}
			cmdOut.Reset()
			if err := run(context.Background(), append([]string{"portal", "link", "--org", org}, db...), &cmdOut); err != nil ||
				!strings.HasPrefix(cmdOut.String(), public+"/portal/login?token=dpl_") {
				t.Errorf("portal link: %v\n%s", err, cmdOut.String())
			}
			// The environment still wins, as for the server.
			t.Setenv("DIRECTORY_PUBLIC_URL", "https://other.example")
			cmdOut.Reset()
			if err := run(context.Background(), append([]string{"scim", "list", "--org", org}, db...), &cmdOut); err != nil ||
				!strings.Contains(cmdOut.String(), "https://other.example/scim/v2/") {
				t.Errorf("scim list with DIRECTORY_PUBLIC_URL set: %v\n%s", err, cmdOut.String())
			}
		})
	}
}

// waitFor polls url until it answers 200 and returns the body.
func waitFor(t *testing.T, url string) string {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		res, err := http.Get(url)
		if err == nil {
			b, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode == 200 {
				return string(b)
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not answer 200: %v", url, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
