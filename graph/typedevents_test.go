package graph

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/acme/directory/access"
	"github.com/acme/directory/broker"
	"github.com/acme/directory/domain"
	"github.com/acme/directory/ent"
	"github.com/acme/directory/ent/group"
	"github.com/acme/directory/ent/user"
	"github.com/acme/directory/events"
	"github.com/acme/directory/store"
	"github.com/acme/directory/store/storetest"
)

// playCatalogue writes at least one event of every type of the catalogue
// in organization org, through the domain, as a directory's life does.
func playCatalogue(t *testing.T, svc *domain.Service, org uuid.UUID) {
	t.Helper()
	platform := access.PlatformContext(context.Background())
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	d, err := svc.CreateDirectory(platform, domain.NewDirectory{OrganizationID: org, Provider: "okta"})
	must(err)
	dir := d.Directory.ID
	provider := access.NewContext(context.Background(), &access.Viewer{Scope: access.Provisioner,
		OrganizationID: org, DirectoryID: dir, CredentialID: d.Token.ID})
	tok, err := svc.RotateDirectoryToken(platform, dir, nil)
	must(err)
	must(svc.RevokeDirectoryToken(platform, tok.Token.ID))
	_, err = svc.SetDirectoryEnabled(platform, dir, false)
	must(err)
	_, err = svc.SetDirectoryEnabled(platform, dir, true)
	must(err)
	viewer, err := svc.CreateRole(platform, domain.NewRole{OrganizationID: org, Key: "viewer", Name: "Viewer"})
	must(err)
	admin, err := svc.CreateRole(platform, domain.NewRole{OrganizationID: org, Key: "admin", Name: "Admin"})
	must(err)
	_, err = svc.SetDefaultRole(platform, org, &viewer.ID)
	must(err)
	fields := func(active bool, title string) domain.UserFields {
		return domain.UserFields{user.FieldUserName: "ada@acme.test", user.FieldExternalID: "ext-ada",
			user.FieldActive: active, user.FieldGivenName: "Ada", user.FieldFamilyName: "Lovelace", user.FieldTitle: title}
	}
	ada, _, err := svc.ProvisionUser(provider, dir, fields(true, ""))
	must(err)
	update := func(f domain.UserFields) {
		t.Helper()
		_, err := svc.UpdateUser(provider, dir, ada.ID, nil, func(*ent.User) (domain.UserFields, error) { return f, nil })
		must(err)
	}
	update(fields(true, "Engineer"))
	g, err := svc.CreateGroup(provider, dir, domain.GroupFields{group.FieldDisplayName: "Engineering"},
		[]domain.MemberChange{{Op: domain.AddMembers, IDs: []uuid.UUID{ada.ID}}})
	must(err)
	_, err = svc.SetGroupRoles(platform, g.ID, []uuid.UUID{admin.ID})
	must(err)
	_, err = svc.UpdateGroup(provider, dir, g.ID, nil, func(*ent.Group) (domain.GroupFields, []domain.MemberChange, error) {
		return domain.GroupFields{group.FieldDisplayName: "Engineering (all)"},
			[]domain.MemberChange{{Op: domain.RemoveMembers, IDs: []uuid.UUID{ada.ID}}}, nil
	})
	must(err)
	update(fields(false, "Engineer"))
	update(fields(true, "Engineer"))
	name := "Administrator"
	_, err = svc.UpdateRole(platform, admin.ID, domain.RoleChange{Name: &name})
	must(err)
	must(svc.DeleteRole(platform, admin.ID))
	must(svc.DeleteGroup(provider, dir, g.ID, nil))
	must(svc.DeleteUser(provider, dir, ada.ID, nil))
	must(svc.DeleteDirectory(platform, dir))
	ep, err := svc.CreateWebhookEndpoint(platform, domain.NewWebhookEndpoint{OrganizationID: org,
		URL: "https://app.example/hooks", EventTypes: []string{events.TypeUserCreated}})
	must(err)
	_, err = svc.TestWebhookEndpoint(platform, ep.Endpoint.ID)
	must(err)
	_, err = svc.DisableWebhookEndpoint(platform, ep.Endpoint.ID, "failing since 2026-01-01T12:00:00Z (HTTP 503)")
	must(err)
}

// typedSelection is, from the served schema, a selection of every event
// type's typed fields: for each object implementing Event, a fragment with
// its payload and before, every leaf selected; plus the common and
// deprecated fields, to compare with.
func typedSelection(t *testing.T) string {
	t.Helper()
	s := servedSchema()
	var b strings.Builder
	b.WriteString("__typename cursor type kind organizationID subjectID data previous")
	for _, def := range s.PossibleTypes["Event"] {
		fmt.Fprintf(&b, " ... on %s {", def.Name)
		for _, name := range []string{"payload", "before"} {
			if f := def.Fields.ForName(name); f != nil {
				fmt.Fprintf(&b, " %s %s", name, leaves(s, s.Types[f.Type.Name()]))
			}
		}
		b.WriteString(" }")
	}
	return b.String()
}

// leaves selects every field of an object, objects' fields recursively.
func leaves(s *ast.Schema, def *ast.Definition) string {
	var parts []string
	for _, f := range def.Fields {
		if strings.HasPrefix(f.Name, "__") {
			continue
		}
		inner := s.Types[f.Type.Name()]
		if inner.Kind == ast.Object {
			parts = append(parts, f.Name+" "+leaves(s, inner))
			continue
		}
		parts = append(parts, f.Name)
	}
	return "{ " + strings.Join(parts, " ") + " }"
}

// typedEvent is an event as the typed selection returns it.
type typedEvent struct {
	Typename  string          `json:"__typename"`
	Cursor    string          `json:"cursor"`
	Type      string          `json:"type"`
	Kind      string          `json:"kind"`
	SubjectID string          `json:"subjectID"`
	Data      map[string]any  `json:"data"`
	Previous  map[string]any  `json:"previous"`
	Payload   map[string]any  `json:"payload"`
	Before    json.RawMessage `json:"before"`
}

// checkTyped fails unless e comes back as the object of its type, with
// its payload equal to its (deprecated) data and its before to previous.
func checkTyped(t *testing.T, e typedEvent) {
	t.Helper()
	var payload events.Payload
	for _, p := range events.Catalogue {
		if p.EventType() == e.Type {
			payload = p
		}
	}
	if payload == nil {
		t.Fatalf("event of undeclared type %q", e.Type)
	}
	goName := fmt.Sprintf("%T", payload)[len("events."):]
	if e.Typename != goName+"Event" || e.Kind != events.Upper(e.Type) {
		t.Errorf("%s came back as %s, kind %s; want %sEvent, %s", e.Type, e.Typename, e.Kind, goName, events.Upper(e.Type))
	}
	if e.Payload == nil || e.Data == nil {
		t.Fatalf("%s: payload %v, data %v", e.Type, e.Payload, e.Data)
	}
	sameValue(t, e.Type+".payload", e.Data, e.Payload)
	wb, declared := payload.(events.WithBefore)
	before := string(e.Before)
	switch {
	case !declared:
		if before != "" {
			t.Errorf("%s has a before field: %s", e.Type, before)
		}
	case e.Previous == nil:
		if before != "null" {
			t.Errorf("%s: before %s without previous", e.Type, before)
		}
	default:
		var got map[string]any
		if err := json.Unmarshal(e.Before, &got); err != nil || got == nil {
			t.Fatalf("%s: before %s: %v", e.Type, before, err)
		}
		if _, ok := wb.Before().(events.Changes); ok {
			changed := slices.Sorted(maps.Keys(e.Previous))
			if fmt.Sprint(got["changed"]) != fmt.Sprint(changed) {
				t.Errorf("%s: before.changed %v; want %v", e.Type, got["changed"], changed)
			}
			delete(got, "changed")
			for k, v := range got {
				if _, ok := e.Previous[k]; !ok && v != nil {
					t.Errorf("%s: before.%s = %v, but it did not change", e.Type, k, v)
				}
			}
			for k := range got {
				if _, ok := e.Previous[k]; !ok {
					delete(got, k)
				}
			}
		}
		sameValue(t, e.Type+".before", e.Previous, got)
	}
}

// sameValue fails unless got (typed, from GraphQL) shows want (stored
// JSON): the same fields and values, enums in upper case, times as
// instants, an absent list as an empty one.
func sameValue(t *testing.T, path string, want, got any) {
	t.Helper()
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			t.Errorf("%s = %v; want an object", path, got)
			return
		}
		for k := range g {
			if _, ok := w[k]; !ok {
				t.Errorf("%s.%s is not in the stored event", path, k)
			}
		}
		for k, v := range w {
			if _, ok := g[k]; !ok {
				t.Errorf("%s.%s is missing", path, k)
				continue
			}
			sameValue(t, path+"."+k, v, g[k])
		}
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			t.Errorf("%s = %v; want %v", path, got, want)
			return
		}
		for i := range w {
			sameValue(t, fmt.Sprintf("%s[%d]", path, i), w[i], g[i])
		}
	case nil:
		if g, ok := got.([]any); got != nil && !(ok && len(g) == 0) {
			t.Errorf("%s = %v; want null", path, got)
		}
	case string:
		g, _ := got.(string)
		wt, err1 := time.Parse(time.RFC3339Nano, w)
		gt, err2 := time.Parse(time.RFC3339Nano, g)
		if g != w && !strings.EqualFold(g, w) && !(err1 == nil && err2 == nil && wt.Equal(gt)) {
			t.Errorf("%s = %q; want %q", path, g, w)
		}
	default:
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s = %v; want %v", path, got, want)
		}
	}
}

// TestEventsTyped: every type of the catalogue comes back as its own
// object, with its payload and before typed and equal to the stored data
// and previous (which still answer, deprecated), through the events query
// and the subscription, on both databases.
func TestEventsTyped(t *testing.T) {
	eachDatabase(t, func(t *testing.T, s *store.Store, url string) {
		b := startBroker(t, s, broker.Config{DatabaseURL: url, Poll: 50 * time.Millisecond})
		a := newAPI(t, s.Client, s.Dialect, Config{Broker: b})
		svc := domain.New(s.Client, s.Dialect)
		org, err := svc.CreateOrganization(access.PlatformContext(context.Background()), domain.NewOrganization{Name: "Acme"})
		if err != nil {
			t.Fatal(err)
		}
		playCatalogue(t, svc, org.ID)
		reader := newOrgKey(t, s.Client, access.OrgRead, org.ID)
		sel := typedSelection(t)

		var page struct {
			Events struct {
				Edges []struct {
					Cursor string     `json:"cursor"`
					Node   typedEvent `json:"node"`
				} `json:"edges"`
				PageInfo struct{ EndCursor string } `json:"pageInfo"`
			} `json:"events"`
		}
		a.ok(reader, `query($org: ID!) { events(organizationID: $org, first: 100) { edges { cursor node { `+sel+` } } pageInfo { endCursor } } }`,
			map[string]any{"org": org.ID}, &page)
		seen := map[string]bool{}
		var queried []typedEvent
		for _, edge := range page.Events.Edges {
			if edge.Cursor != edge.Node.Cursor {
				t.Errorf("edge cursor %s, node cursor %s", edge.Cursor, edge.Node.Cursor)
			}
			checkTyped(t, edge.Node)
			seen[edge.Node.Type] = true
			queried = append(queried, edge.Node)
		}
		for _, typ := range events.Types() {
			if !seen[typ] {
				t.Errorf("the scenario wrote no %s", typ)
			}
		}

		ws := dialWS(t, a.srv.URL)
		if m, err := ws.init(map[string]any{"Authorization": "Bearer " + reader}); err != nil || m.Type != "connection_ack" {
			t.Fatalf("connection_init: %+v, %v", m, err)
		}
		p, _ := json.Marshal(map[string]any{"query": `subscription($org: ID!, $after: Cursor) { events(organizationID: $org, after: $after) { ` + sel + ` } }`,
			"variables": map[string]any{"org": org.ID, "after": ""}})
		ws.send(wsMsg{ID: "typed", Type: "subscribe", Payload: p})
		for i, want := range queried {
			m, err := ws.read(10 * time.Second)
			if err != nil || m.Type != "next" {
				t.Fatalf("event %d: %s %s, %v", i, m.Type, m.Payload, err)
			}
			var next struct {
				Data struct {
					Events typedEvent `json:"events"`
				} `json:"data"`
			}
			if err := json.Unmarshal(m.Payload, &next); err != nil {
				t.Fatal(err)
			}
			got := next.Data.Events
			checkTyped(t, got)
			if got.Cursor != want.Cursor || fmt.Sprint(got.Payload) != fmt.Sprint(want.Payload) {
				t.Errorf("subscription's event %d: %s %v; the query's: %s %v", i, got.Cursor, got.Payload, want.Cursor, want.Payload)
			}
		}

		// The kinds filter, on the subscription too.
		p, _ = json.Marshal(map[string]any{"query": `subscription($org: ID!) { events(organizationID: $org, after: "", kinds: [ROLE_DELETED, USER_CREATED]) { kind } }`,
			"variables": map[string]any{"org": org.ID}})
		ws.send(wsMsg{ID: "kinds", Type: "subscribe", Payload: p})
		var kinds []string
		for range 2 {
			m, err := ws.read(10 * time.Second)
			if err != nil || m.Type != "next" || m.ID != "kinds" {
				t.Fatalf("kinds: %s %s %s, %v", m.ID, m.Type, m.Payload, err)
			}
			var next struct {
				Data struct {
					Events struct{ Kind string } `json:"events"`
				} `json:"data"`
			}
			if err := json.Unmarshal(m.Payload, &next); err != nil {
				t.Fatal(err)
			}
			kinds = append(kinds, next.Data.Events.Kind)
		}
		if !slices.Equal(kinds, []string{"USER_CREATED", "ROLE_DELETED"}) {
			t.Errorf("subscription with kinds [ROLE_DELETED, USER_CREATED]: %v", kinds)
		}
		ws.quiet(300 * time.Millisecond)
	})
}

// kindsPage is an events query's types, kinds and cursors.
type kindsPage struct {
	Events struct {
		Edges []struct {
			Cursor string `json:"cursor"`
			Node   struct {
				Type string `json:"type"`
				Kind string `json:"kind"`
			} `json:"node"`
		} `json:"edges"`
		PageInfo struct {
			EndCursor string `json:"endCursor"`
		} `json:"pageInfo"`
	} `json:"events"`
}

func (p kindsPage) kinds() []string {
	var out []string
	for _, e := range p.Events.Edges {
		if events.Upper(e.Node.Type) != e.Node.Kind {
			out = append(out, "type "+e.Node.Type+" kind "+e.Node.Kind)
			continue
		}
		out = append(out, e.Node.Kind)
	}
	return out
}

// TestEventKindsAndCursors: the kinds filter takes EventType values (and
// adds to types); the events cursors are Cursor scalars with their old
// text, accepted from variables declared Cursor or, as before, String; an
// events cursor is refused by other connections and theirs by events.
func TestEventKindsAndCursors(t *testing.T) {
	eachDatabase(t, func(t *testing.T, s *store.Store, _ string) {
		a := newAPI(t, s.Client, s.Dialect, Config{})
		svc := domain.New(s.Client, s.Dialect)
		ctx := access.PlatformContext(context.Background())
		org, err := svc.CreateOrganization(ctx, domain.NewOrganization{Name: "Acme"})
		if err != nil {
			t.Fatal(err)
		}
		makeRoles(t, svc, org.ID, "r", 3)
		r, err := s.Client.Role.Query().First(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if err := svc.DeleteRole(ctx, r.ID); err != nil {
			t.Fatal(err)
		}
		reader := newOrgKey(t, s.Client, access.OrgRead, org.ID)
		const q = `query($org: ID!, $kinds: [EventType!], $types: [String!], $after: Cursor, $first: Int) {
			events(organizationID: $org, kinds: $kinds, types: $types, after: $after, first: $first) {
				edges { cursor node { type kind } } pageInfo { endCursor } } }`

		var p kindsPage
		a.ok(reader, q, map[string]any{"org": org.ID, "kinds": []string{"ROLE_DELETED"}}, &p)
		if got := p.kinds(); !slices.Equal(got, []string{"ROLE_DELETED"}) {
			t.Errorf("kinds [ROLE_DELETED]: %v", got)
		}
		a.ok(reader, `query($org: ID!) { events(organizationID: $org, kinds: [ROLE_DELETED], types: ["role.created"]) {
			edges { cursor node { type kind } } } }`, map[string]any{"org": org.ID}, &p)
		if got := p.kinds(); !slices.Equal(got, []string{"ROLE_CREATED", "ROLE_CREATED", "ROLE_CREATED", "ROLE_DELETED"}) {
			t.Errorf("kinds [ROLE_DELETED] with types [role.created]: %v", got)
		}
		a.fails(reader, q, map[string]any{"org": org.ID, "kinds": []string{"role.deleted"}}, "GRAPHQL_VALIDATION_FAILED", "")

		// Cursors: the text events.Cursor has always had, read back from a
		// Cursor variable and from a String one (the old declaration).
		var all, first kindsPage
		a.ok(reader, q, map[string]any{"org": org.ID}, &all)
		a.ok(reader, q, map[string]any{"org": org.ID, "first": 2}, &first)
		last, _, err := events.After(ctx, s.Client, org.ID, events.Cursor{}, events.Filter{}, 2)
		if err != nil {
			t.Fatal(err)
		}
		if want := events.Of(last[1]).String(); first.Events.PageInfo.EndCursor != want || first.Events.Edges[1].Cursor != want {
			t.Fatalf("endCursor %q; want the events cursor %q", first.Events.PageInfo.EndCursor, want)
		}
		for _, decl := range []string{"Cursor", "String"} {
			var rest kindsPage
			a.ok(reader, strings.Replace(q, "$after: Cursor", "$after: "+decl, 1),
				map[string]any{"org": org.ID, "after": first.Events.PageInfo.EndCursor}, &rest)
			if got, want := rest.kinds(), all.kinds()[2:]; !slices.Equal(got, want) {
				t.Errorf("after the first page ($after: %s): %v; want %v", decl, got, want)
			}
		}
		var users struct {
			Users struct {
				PageInfo struct{ EndCursor string } `json:"pageInfo"`
			} `json:"users"`
		}
		seeded := newOrgKey(t, s.Client, access.OrgAdmin, org.ID)
		d, err := svc.CreateDirectory(ctx, domain.NewDirectory{OrganizationID: org.ID, Provider: "okta"})
		if err != nil {
			t.Fatal(err)
		}
		seedDirectory(t, s.Client, d.Directory, []string{"ada", "bob"}, nil)
		a.ok(seeded, `{ users(first: 1) { edges { cursor } pageInfo { endCursor } } }`, nil, &users)
		if users.Users.PageInfo.EndCursor == "" {
			t.Fatal("no users cursor")
		}
		a.fails(reader, q, map[string]any{"org": org.ID, "after": users.Users.PageInfo.EndCursor}, "BAD_USER_INPUT", "after")
		for _, c := range []string{first.Events.PageInfo.EndCursor, ""} {
			a.fails(seeded, `query($after: Cursor) { users(first: 1, after: $after) { totalCount } }`,
				map[string]any{"after": c}, "BAD_USER_INPUT", "after")
		}
	})
}

// TestStringCursorLoggedOnce: an events cursor variable still declared
// String works and is logged as a deprecated use, once per credential;
// one declared Cursor is not.
func TestStringCursorLoggedOnce(t *testing.T) {
	s := storetest.Open(t, "sqlite")
	a := newAPI(t, s.Client, s.Dialect, Config{})
	var logs bytes.Buffer
	prev := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(&logs, nil)))
	t.Cleanup(func() { slog.SetDefault(prev) })
	org, err := domain.New(s.Client, s.Dialect).CreateOrganization(access.PlatformContext(context.Background()),
		domain.NewOrganization{Name: "Acme"})
	if err != nil {
		t.Fatal(err)
	}
	for _, decl := range []string{"String", "String", "Cursor"} {
		a.ok(a.platform, `query($org: ID!, $after: `+decl+`) { events(organizationID: $org, after: $after) { pageInfo { endCursor } } }`,
			map[string]any{"org": org.ID, "after": ""}, nil)
	}
	var lines []string
	for _, l := range strings.Split(logs.String(), "\n") {
		if strings.Contains(l, "graphql: deprecated use") {
			lines = append(lines, l)
		}
	}
	if len(lines) != 1 || !strings.Contains(lines[0], `what="String variable for Query.events(after: Cursor)"`) ||
		!strings.Contains(lines[0], "instead=") {
		t.Errorf("deprecated-use lines %q; want one for the String variable", lines)
	}
}
