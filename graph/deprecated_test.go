package graph

import (
	"bytes"
	"log/slog"
	"os"
	"strings"
	"testing"

	"github.com/acme/directory/store/storetest"
)

// TestDeprecatedUseLoggedOnce: the first use of a deprecated mutation, or
// of a deprecated enum value (written in or passed as a variable), by a
// credential is logged with its replacement; later uses by the same
// credential, and uses of the current forms, are not.
func TestDeprecatedUseLoggedOnce(t *testing.T) {
	s := storetest.Open(t, "sqlite")
	a := newAPI(t, s.Client, s.Dialect, Config{})
	var logs bytes.Buffer
	prev := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(&logs, nil)))
	t.Cleanup(func() { slog.SetDefault(prev) })

	var org struct{ CreateOrganization struct{ ID string } }
	for _, name := range []string{"Old", "Older", "Oldest"} {
		a.ok(a.platform, `mutation($n: String!) { createOrganization(input: {name: $n}) { id } }`,
			map[string]any{"n": name}, &org)
	}
	a.ok(a.platform, `mutation { organizationCreate(input: {name: "New"}) { organization { id } } }`, nil, nil)
	for range 2 {
		a.ok(a.platform, `mutation($o: ID!, $p: DirectoryProvider!) {
			directoryCreate(input: {organizationID: $o, provider: $p}) { directory { id } } }`,
			map[string]any{"o": org.CreateOrganization.ID, "p": "okta"}, nil)
	}
	a.ok(a.platform, `mutation($o: ID!) { directoryCreate(input: {organizationID: $o, provider: okta}) { directory { id } } }`,
		map[string]any{"o": org.CreateOrganization.ID}, nil)
	a.ok(a.platform, `mutation($o: ID!) { directoryCreate(input: {organizationID: $o, provider: OKTA}) { directory { id } } }`,
		map[string]any{"o": org.CreateOrganization.ID}, nil)

	lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
	var deprecated []string
	for _, l := range lines {
		if strings.Contains(l, "graphql: deprecated use") {
			deprecated = append(deprecated, l)
		}
	}
	if len(deprecated) != 2 {
		t.Fatalf("%d deprecated-use lines; want 2 (createOrganization, okta), once each:\n%s", len(deprecated), strings.Join(deprecated, "\n"))
	}
	for i, want := range []string{"what=Mutation.createOrganization", "what=DirectoryProvider.okta"} {
		if !strings.Contains(deprecated[i], want) || !strings.Contains(deprecated[i], "instead=") ||
			!strings.Contains(deprecated[i], "credential=platform:") {
			t.Errorf("line %d: %q; want %s with its replacement and credential", i, deprecated[i], want)
		}
	}
}

// TestDeprecationsListedInREADME: every deprecated field of the served
// schema, and every enum with deprecated values, is in the README's table
// of what goes away, and the table names nothing that is not deprecated.
func TestDeprecationsListedInREADME(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	text := string(readme)
	start := strings.Index(text, "**What goes away, and when.**")
	end := strings.Index(text, "So that you know who still calls them")
	if start < 0 || end < start {
		t.Fatal("README: no section \"What goes away, and when\"")
	}
	table := text[start:end]
	schema := servedSchema()
	deprecated := map[string]bool{}
	for _, def := range schema.Types {
		for _, f := range def.Fields {
			if f.Directives.ForName("deprecated") != nil {
				deprecated[f.Name] = true
			}
		}
		for _, v := range def.EnumValues {
			if v.Directives.ForName("deprecated") != nil {
				deprecated[def.Name] = true
			}
		}
	}
	if len(deprecated) == 0 {
		t.Fatal("no deprecated field or value found in the schema")
	}
	for name := range deprecated {
		if !strings.Contains(table, "`"+name+"`") {
			t.Errorf("README's table of what goes away does not name `%s`", name)
		}
	}
	for _, row := range strings.Split(table, "\n") {
		cells := strings.Split(row, "|")
		if len(cells) < 3 || !strings.Contains(cells[1], "`") || strings.Contains(cells[1], "lower-case") {
			continue
		}
		for _, name := range strings.Split(cells[1], ",") {
			name = strings.Trim(strings.TrimSpace(name), "`")
			if !deprecated[name] {
				t.Errorf("README lists `%s` as going away, but the schema does not deprecate it", name)
			}
		}
	}
}
