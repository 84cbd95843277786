package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/acme/directory/access"
	"github.com/acme/directory/domain"
	"github.com/acme/directory/ent/group"
	"github.com/acme/directory/ent/user"
	"github.com/acme/directory/store"
)

// find is the command of a path in a fresh tree.
func find(t *testing.T, path ...string) *cobra.Command {
	t.Helper()
	c, _, err := newRoot(&bytes.Buffer{}).Find(path)
	if err != nil {
		t.Fatalf("find %v: %v", path, err)
	}
	return c
}

// TestHelpListsEveryFlag: serve --help names every flag it takes (its own
// and the global ones), each with its environment variable and default;
// "help" lists every command.
func TestHelpListsEveryFlag(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), []string{"serve", "--help"}, &out); err != nil {
		t.Fatal(err)
	}
	help := out.String()
	serve := find(t, "serve")
	n := 0
	check := func(f *pflag.Flag) {
		if f.Name == "help" {
			return
		}
		n++
		// The flag's own line: its name in the flag column, not a mention
		// in another flag's description.
		line := regexp.MustCompile(`(?m)^\s*(?:-\w, )?--` + regexp.QuoteMeta(f.Name) + `\b[^-].*$`).FindString(help)
		if line == "" {
			t.Errorf("serve --help does not list --%s", f.Name)
			return
		}
		if env := "env " + envName(f.Name); !strings.Contains(line, env) {
			t.Errorf("--%s: %q lacks %q", f.Name, line, env)
		}
		if def := "default " + showDefault(f); !strings.Contains(line, def) {
			t.Errorf("--%s: %q lacks %q", f.Name, line, def)
		}
	}
	serve.LocalFlags().VisitAll(check)
	serve.InheritedFlags().VisitAll(check)
	if n < 40 {
		t.Fatalf("serve has %d flags; want them all (over 40)", n)
	}
	for _, want := range []string{`--addr string`, `(env DIRECTORY_ADDR, default ":8080")`, `--database-url string`, `env DATABASE_URL`,
		`--log-level string`, `--scim-max-body-bytes int64`} {
		if !strings.Contains(help, want) {
			t.Errorf("serve --help lacks %q", want)
		}
	}

	out.Reset()
	if err := run(context.Background(), []string{"help"}, &out); err != nil {
		t.Fatal(err)
	}
	for _, c := range newRoot(&bytes.Buffer{}).Commands() {
		if !strings.Contains(out.String(), "\n  "+c.Name()+" ") {
			t.Errorf("help does not list %s:\n%s", c.Name(), out.String())
		}
	}
	out.Reset()
	if err := run(context.Background(), []string{"simulate", "--help"}, &out); err != nil ||
		!strings.Contains(out.String(), "env SCIM_URL") || !strings.Contains(out.String(), "--users int") {
		t.Errorf("simulate --help: %v\n%s", err, out.String())
	}
}

// TestFlagsEnvironment: the environment variable each flag's help names
// is the one its default is read from.
func TestFlagsEnvironment(t *testing.T) {
	var flags []*pflag.Flag
	serve := find(t, "serve")
	serve.LocalFlags().VisitAll(func(f *pflag.Flag) { flags = append(flags, f) })
	serve.InheritedFlags().VisitAll(func(f *pflag.Flag) { flags = append(flags, f) })
	for _, f := range flags {
		env := f.Annotations[envAnnotation]
		if f.Name == "help" {
			continue
		}
		if len(env) != 1 {
			t.Errorf("--%s has no environment variable", f.Name)
			continue
		}
		var v string
		switch f.Value.Type() {
		case "bool":
			v = fmt.Sprint(f.DefValue != "true")
		case "duration":
			v = "17s"
		case "int", "int64", "float64":
			v = "17"
		default:
			v = "x17"
			switch f.Name {
			case "log-level":
				v = "debug"
			case "log-format":
				v = "json"
			}
		}
		t.Run(f.Name, func(t *testing.T) {
			t.Setenv(env[0], v)
			c := find(t, "serve")
			g := c.Flags().Lookup(f.Name)
			if g == nil {
				g = c.InheritedFlags().Lookup(f.Name)
			}
			if g.DefValue != v {
				t.Errorf("with %s=%s, --%s defaults to %q", env[0], v, f.Name, g.DefValue)
			}
		})
	}
}

// TestCommandLineRefusals: an unknown command, flag or value is refused at
// once with the command's usage line, and exits 2.
func TestCommandLineRefusals(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"org", "list", "--bogus"}, []string{"unknown flag: --bogus", "usage: directory org list [flags]"}},
		{[]string{"scim", "frobnicate"}, []string{`unknown command "frobnicate"`, "usage: directory scim <command>"}},
		{[]string{"nope"}, []string{`unknown command "nope"`}},
		{[]string{"org", "list", "extra"}, []string{`unexpected argument "extra"`}},
		{[]string{"events", "tail", "--org", uuid.NewString(), "--types", "user.created,user.nonsense"},
			[]string{`"user.nonsense" is not one of`, "user.roles_changed", "usage: directory events tail [flags]"}},
		{[]string{"scim", "create", "--org", uuid.NewString(), "--provider", "myspace"}, []string{"must be one of", "jumpcloud"}},
		{[]string{"scim", "list", "--org", "acme"}, []string{"must be an id"}},
		{[]string{"scim", "list"}, []string{`required flag(s) "org" not set`, "usage: directory scim list"}},
		{[]string{"org", "list", "--output", "yaml"}, []string{"must be one of table, json"}},
		{[]string{"serve", "--log-level", "loud"}, []string{"must be one of debug, info, warn, error"}},
	} {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		start := time.Now()
		err := run(ctx, append(tc.args, "--data-dir", dir), &bytes.Buffer{})
		cancel()
		if err == nil {
			t.Errorf("%v: accepted", tc.args)
			continue
		}
		if time.Since(start) > 3*time.Second {
			t.Errorf("%v: refused only after %v", tc.args, time.Since(start))
		}
		var ue usageError
		if !errors.As(err, &ue) || exitCode(err) != exitUsage {
			t.Errorf("%v: %v is not a usage error", tc.args, err)
		}
		for _, w := range tc.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%v: error %q lacks %q", tc.args, err, w)
			}
		}
	}
}

func TestVersionAndCompletion(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), []string{"--version"}, &out); err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^directory \S.*, commit \S+.*, built \S+\n$`).MatchString(out.String()) {
		t.Errorf("--version = %q", out.String())
	}
	for shell, want := range map[string]string{"bash": "__start_directory", "zsh": "#compdef directory", "fish": "complete -c directory"} {
		out.Reset()
		if err := run(context.Background(), []string{"completion", shell}, &out); err != nil || !strings.Contains(out.String(), want) {
			t.Errorf("completion %s: %v, %d bytes, want %q", shell, err, out.Len(), want)
		}
	}
	// Flag values complete from their fixed lists.
	out.Reset()
	if err := run(context.Background(), []string{"__complete", "events", "tail", "--types", "user.ro"}, &out); err != nil ||
		!strings.Contains(out.String(), "user.roles_changed") {
		t.Errorf("completing --types: %v\n%s", err, out.String())
	}
}

// openDB opens the database a test's command-line arguments name.
func openDB(t *testing.T, db []string) *store.Store {
	t.Helper()
	var url, dir string
	for i := 0; i+1 < len(db); i += 2 {
		switch db[i] {
		case "--database-url":
			url = db[i+1]
		case "--data-dir":
			dir = db[i+1]
		}
	}
	s, err := store.Open(context.Background(), url, dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// TestRecordsCommands: the commands for webhooks, portal links, users and
// groups, and --output json of every command that prints records, on
// both databases.
func TestRecordsCommands(t *testing.T) {
	for name, db := range databases(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			exec := func(args ...string) (string, error) {
				var out bytes.Buffer
				err := run(ctx, append(args, db...), &out)
				return out.String(), err
			}
			must := func(args ...string) string {
				t.Helper()
				out, err := exec(args...)
				if err != nil {
					t.Fatalf("%s: %v", strings.Join(args, " "), err)
				}
				return out
			}
			// asJSON runs a command with --output json and decodes what it printed.
			asJSON := func(v any, args ...string) {
				t.Helper()
				out := must(append(args, "--output", "json")...)
				if err := json.Unmarshal([]byte(out), v); err != nil {
					t.Fatalf("%s --output json: %v\n%s", strings.Join(args, " "), err, out)
				}
			}
			var org orgRecord
			asJSON(&org, "org", "create", "--name", "Acme")
			var orgs []orgRecord
			asJSON(&orgs, "org", "list")
			if len(orgs) != 1 || orgs[0] != org || org.Slug != "acme" {
				t.Fatalf("org list = %+v; want [%+v]", orgs, org)
			}
			o := org.ID.String()
			var issued issuedRecord
			asJSON(&issued, "scim", "create", "--org", o, "--provider", "okta", "--public-url", "https://id.example.net/")
			if issued.SCIMEndpoint != "https://id.example.net/scim/v2/"+issued.Directory.String() || !strings.HasPrefix(issued.BearerToken, "scim_") {
				t.Fatalf("scim create: %+v", issued)
			}
			var dirs []directoryRecord
			asJSON(&dirs, "scim", "list", "--org", o, "--public-url", "https://id.example.net")
			if len(dirs) != 1 || dirs[0].ID != issued.Directory || dirs[0].SCIMEndpoint != issued.SCIMEndpoint || !dirs[0].Enabled {
				t.Fatalf("scim list: %+v", dirs)
			}
			var tokens []map[string]any
			asJSON(&tokens, "scim", "tokens", "--dir", issued.Directory.String())
			if len(tokens) != 1 || tokens[0]["id"] != issued.TokenID.String() {
				t.Fatalf("scim tokens: %+v", tokens)
			}

			// What an identity provider pushed.
			s := openDB(t, db)
			svc := domain.New(s.Client, s.Dialect)
			pctx := access.PlatformContext(ctx)
			ada, _, err := svc.ProvisionUser(pctx, issued.Directory, domain.UserFields{user.FieldUserName: "ada@acme.test",
				user.FieldActive: true, user.FieldPrimaryEmail: "Ada.Lovelace@acme.test", user.FieldDisplayName: "Ada Lovelace"})
			if err != nil {
				t.Fatal(err)
			}
			if _, _, err := svc.ProvisionUser(pctx, issued.Directory, domain.UserFields{user.FieldUserName: "bob@acme.test", user.FieldActive: true}); err != nil {
				t.Fatal(err)
			}
			g, err := svc.CreateGroup(pctx, issued.Directory, domain.GroupFields{group.FieldDisplayName: "YourApp Admins"},
				[]domain.MemberChange{{Op: domain.AddMembers, IDs: []uuid.UUID{ada.ID}}})
			if err != nil {
				t.Fatal(err)
			}

			var users []userRecord
			asJSON(&users, "user", "list", "--org", o)
			if len(users) != 2 || users[0].UserName != "ada@acme.test" || users[1].UserName != "bob@acme.test" {
				t.Fatalf("user list: %+v", users)
			}
			asJSON(&users, "user", "list", "--org", o, "--query", "LOVELACE")
			if len(users) != 1 || users[0].ID != ada.ID {
				t.Fatalf("user list --query: %+v", users)
			}
			var groups []groupRecord
			asJSON(&groups, "group", "list", "--org", o)
			if len(groups) != 1 || groups[0].ID != g.ID || groups[0].Members != 1 {
				t.Fatalf("group list: %+v", groups)
			}
			// The group id the listing shows is what role map takes.
			role := strings.TrimSpace(must("role", "create", "--org", o, "--key", "admin", "--name", "Admin"))
			must("role", "map", "--group", groups[0].ID.String(), "--role", role)
			var shown userRecord
			asJSON(&shown, "user", "find", "--org", o, "--email", "ada.lovelace@ACME.test")
			if shown.ID != ada.ID || strings.Join(shown.Groups, ",") != "YourApp Admins" || strings.Join(shown.Roles, ",") != "admin" {
				t.Fatalf("user find: %+v", shown)
			}
			asJSON(&shown, "user", "show", "--user", ada.ID.String())
			if shown.UserName != "ada@acme.test" || strings.Join(shown.Roles, ",") != "admin" {
				t.Fatalf("user show: %+v", shown)
			}
			if out := must("user", "show", "--user", ada.ID.String()); !strings.Contains(out, "roles:         admin") {
				t.Errorf("user show:\n%s", out)
			}
			if _, err := exec("user", "find", "--org", o, "--email", "nobody@acme.test"); err == nil || !strings.Contains(err.Error(), "no user") {
				t.Errorf("user find of a missing email: %v", err)
			}
			var shownGroup groupRecord
			asJSON(&shownGroup, "group", "show", "--group", g.ID.String())
			if shownGroup.Members != 1 || strings.Join(shownGroup.Roles, ",") != "admin" {
				t.Fatalf("group show: %+v", shownGroup)
			}
			var roleList []map[string]any
			asJSON(&roleList, "role", "list", "--org", o)
			if len(roleList) != 1 || roleList[0]["key"] != "admin" {
				t.Fatalf("role list: %+v", roleList)
			}

			// Webhooks.
			var hook webhookRecord
			asJSON(&hook, "webhook", "create", "--org", o, "--url", "https://hooks.example.com/in", "--types", "user.created,user.deleted")
			if !strings.HasPrefix(hook.Secret, domain.WebhookSecretPrefix) || !hook.Enabled || len(hook.EventTypes) != 2 {
				t.Fatalf("webhook create: %+v", hook)
			}
			h := hook.ID.String()
			must("webhook", "disable", "--endpoint", h)
			var hooks []webhookRecord
			asJSON(&hooks, "webhook", "list", "--org", o)
			if len(hooks) != 1 || hooks[0].Enabled || hooks[0].Secret != "" {
				t.Fatalf("webhook list after disable: %+v", hooks)
			}
			must("webhook", "enable", "--endpoint", h)
			var rotated webhookRecord
			asJSON(&rotated, "webhook", "rotate", "--endpoint", h, "--overlap", "1h")
			if rotated.Secret == "" || rotated.Secret == hook.Secret {
				t.Fatalf("webhook rotate: %+v", rotated)
			}
			if !strings.Contains(must("webhook", "delete", "--endpoint", h), "deleted") {
				t.Fatal("webhook delete printed no confirmation")
			}
			asJSON(&hooks, "webhook", "list", "--org", o)
			if len(hooks) != 0 {
				t.Fatalf("webhook list after delete: %+v", hooks)
			}

			// Portal links.
			var link struct {
				URL       string    `json:"url"`
				ExpiresAt time.Time `json:"expiresAt"`
			}
			asJSON(&link, "portal", "link", "--org", o, "--expires-in", "30m", "--public-url", "https://id.example.net")
			if !strings.HasPrefix(link.URL, "https://id.example.net/portal/login?token=dpl_") ||
				time.Until(link.ExpiresAt) < 29*time.Minute || time.Until(link.ExpiresAt) > 31*time.Minute {
				t.Fatalf("portal link: %+v", link)
			}
			if _, err := exec("portal", "link", "--org", o, "--expires-in", "720h"); err == nil {
				t.Error("a portal link of 30 days was made")
			}
			var keys []map[string]any
			must("apikey", "create", "--scope", "org-read", "--org", o)
			asJSON(&keys, "apikey", "list")
			if len(keys) != 1 || keys[0]["scope"] != "org_read" {
				t.Fatalf("apikey list: %+v", keys)
			}
		})
	}
}
