package domain_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/acme/directory/access"
	"github.com/acme/directory/domain"
	"github.com/acme/directory/ent"
	"github.com/acme/directory/ent/group"
	"github.com/acme/directory/ent/user"
	"github.com/acme/directory/events"
	"github.com/acme/directory/events/eventdoc"
	"github.com/acme/directory/store/storetest"
)

var update = flag.Bool("update", false, "rewrite events/catalogue.md from the scenario")

// catalogueFile is the event catalogue with one real example of each
// event type, written by TestEventCatalogue.
const catalogueFile = "../events/catalogue.md"

// TestEventCatalogue plays a directory's life through the domain
// operations, takes the first event of each type, and checks that
// events/catalogue.md shows exactly those examples (ids and times
// replaced by stable placeholders), so the documented payloads cannot
// drift from what the code writes. Run with -update to rewrite it.
func TestEventCatalogue(t *testing.T) {
	st := storetest.Open(t, "sqlite")
	a := newTenant(t, st, "Acme")
	ctx := withProvider(a)
	svc, admin := a.svc, a.admin
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	tok, err := svc.RotateDirectoryToken(admin, a.dir.ID, nil)
	must(err)
	must(svc.RevokeDirectoryToken(admin, tok.Token.ID))
	_, err = svc.SetDirectoryEnabled(admin, a.dir.ID, false)
	must(err)
	_, err = svc.SetDirectoryEnabled(admin, a.dir.ID, true)
	must(err)
	viewer, err := svc.CreateRole(admin, domain.NewRole{OrganizationID: a.org.ID, Key: "viewer", Name: "Viewer"})
	must(err)
	adminRole, err := svc.CreateRole(admin, domain.NewRole{OrganizationID: a.org.ID, Key: "admin", Name: "Admin"})
	must(err)
	_, err = svc.SetDefaultRole(admin, a.org.ID, &viewer.ID)
	must(err)
	f := userFields("ada@acme.test", "jc-5f1e", true)
	f[user.FieldFamilyName] = "Lovelace"
	ada, _, err := svc.ProvisionUser(ctx, a.dir.ID, f)
	must(err)
	f[user.FieldTitle] = "Engineer"
	_, err = svc.UpdateUser(ctx, a.dir.ID, ada.ID, nil, func(*ent.User) (domain.UserFields, error) { return f, nil })
	must(err)
	g, err := svc.CreateGroup(ctx, a.dir.ID, domain.GroupFields{group.FieldDisplayName: "Engineering"},
		[]domain.MemberChange{{Op: domain.AddMembers, IDs: []uuid.UUID{ada.ID}}})
	must(err)
	_, err = svc.SetGroupRoles(admin, g.ID, []uuid.UUID{adminRole.ID})
	must(err)
	_, err = svc.UpdateGroup(ctx, a.dir.ID, g.ID, nil, func(*ent.Group) (domain.GroupFields, []domain.MemberChange, error) {
		return domain.GroupFields{group.FieldDisplayName: "Engineering (all)"},
			[]domain.MemberChange{{Op: domain.RemoveMembers, IDs: []uuid.UUID{ada.ID}}}, nil
	})
	must(err)
	off := userFields("ada@acme.test", "jc-5f1e", false)
	_, err = svc.UpdateUser(ctx, a.dir.ID, ada.ID, nil, func(*ent.User) (domain.UserFields, error) { return off, nil })
	must(err)
	_, err = svc.UpdateUser(ctx, a.dir.ID, ada.ID, nil, func(*ent.User) (domain.UserFields, error) { return f, nil })
	must(err)
	name := "Administrator"
	_, err = svc.UpdateRole(admin, adminRole.ID, domain.RoleChange{Name: &name})
	must(err)
	must(svc.DeleteRole(admin, adminRole.ID))
	must(svc.DeleteGroup(ctx, a.dir.ID, g.ID, nil))
	must(svc.DeleteUser(ctx, a.dir.ID, ada.ID, nil))
	must(svc.DeleteDirectory(admin, a.dir.ID))
	ep, err := svc.CreateWebhookEndpoint(admin, domain.NewWebhookEndpoint{OrganizationID: a.org.ID,
		URL: "https://app.example/hooks", EventTypes: []string{events.TypeUserCreated}})
	must(err)
	_, err = svc.TestWebhookEndpoint(admin, ep.Endpoint.ID)
	must(err)
	_, err = svc.DisableWebhookEndpoint(a.platform, ep.Endpoint.ID, "failing since 2026-01-01T12:00:00Z (HTTP 503)")
	must(err)

	all, _, err := events.After(a.platform, a.client, a.org.ID, events.Cursor{}, events.Filter{}, events.MaxLimit)
	must(err)
	first := map[string]*ent.Event{}
	declared := map[string]events.Payload{}
	for _, p := range events.Catalogue {
		declared[p.EventType()] = p
	}
	for _, e := range all {
		// What previous holds is declared with the payload (events.WithBefore).
		_, before := declared[e.Type].(events.WithBefore)
		if before != (e.Previous != nil) {
			t.Errorf("%s has previous %v; its payload declares previous values: %v", e.Type, e.Previous, before)
		}
		if first[e.Type] == nil {
			first[e.Type] = e
		}
	}
	var missing []string
	for _, typ := range events.Types() {
		if first[typ] == nil {
			missing = append(missing, typ)
		}
	}
	if len(missing) > 0 {
		t.Fatalf("the scenario writes no %v: extend it", missing)
	}
	got := catalogue(t, first)
	if *update {
		must(os.WriteFile(catalogueFile, got, 0o644))
	}
	want, err := os.ReadFile(catalogueFile)
	must(err)
	if !bytes.Equal(got, want) {
		t.Fatalf("%s is stale: run go test ./domain -run TestEventCatalogue -update", catalogueFile)
	}
}

// withProvider is the tenant's directory-token context with a credential
// id, as a real token's requests carry.
func withProvider(a *tenant) context.Context {
	v := *access.FromContext(a.provider)
	v.CredentialID = uuid.MustParse("00000000-0000-8000-8000-00000000c0de")
	return access.NewContext(context.Background(), &v)
}

var (
	uuidPattern = regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`)
	timePattern = regexp.MustCompile(`"\d{4}-\d\d-\d\dT[0-9:.]+(Z|[+-]\d\d:\d\d)"`)
	tokenPrefix = regexp.MustCompile(`"scim_[A-Za-z0-9_-]+"`)
)

// catalogue renders, for each declared payload (events.Catalogue), its
// doc comment and fields, read from the declarations in
// events/payloads.go, and one real example, with ids and times replaced by
// placeholders that are stable from run to run.
func catalogue(t *testing.T, first map[string]*ent.Event) []byte {
	docs := payloadDocs(t)
	var b bytes.Buffer
	b.WriteString("# The event catalogue\n\n" +
		"Each event type has one declared payload, a Go type in `events/payloads.go`: its `data` is that type as JSON. " +
		"For each type: the declaration's comment, its fields, and one real example as the `events` query, the subscription " +
		"and webhooks carry it (webhooks wrap the same fields in their payload). Written by " +
		"`go test ./domain -run TestEventCatalogue -update` from the declarations and a scripted directory's life; " +
		"ids and times are placeholders. GraphQL types the same fields: each type's object (`UserCreatedEvent`, ...) has " +
		"them as `payload`, and `before` for the types with previous values (`graph/events.graphql`, generated from the same " +
		"declarations by `make generate`).\n")
	ids := map[string]string{}
	for _, p := range events.Catalogue {
		typ := p.EventType()
		e := first[typ]
		name := reflect.TypeOf(p).Name()
		fmt.Fprintf(&b, "\n## `%s`\n\n%s\n\n| field of `data` | type | meaning |\n|---|---|---|\n", typ, docs[name])
		for _, f := range jsonFields(reflect.TypeOf(p), docs) {
			fmt.Fprintf(&b, "| `%s` | %s | %s |\n", f[0], f[1], f[2])
		}
		doc := map[string]any{"type": e.Type, "subjectID": e.SubjectID, "directoryID": e.DirectoryID,
			"actorType": e.ActorType, "actorID": e.ActorID, "createdAt": e.CreatedAt, "data": e.Data}
		if e.Previous != nil {
			doc["previous"] = e.Previous
		}
		raw, _ := json.MarshalIndent(doc, "", "  ")
		text := uuidPattern.ReplaceAllStringFunc(string(raw), func(id string) string {
			if _, ok := ids[id]; !ok {
				ids[id] = fmt.Sprintf("id-%02d", len(ids)+1)
			}
			return ids[id]
		})
		text = timePattern.ReplaceAllString(text, `"2026-01-01T12:00:00Z"`)
		text = tokenPrefix.ReplaceAllString(text, `"scim_AbCd"`)
		fmt.Fprintf(&b, "\nExample:\n\n```json\n%s\n```\n", text)
	}
	return b.Bytes()
}

// payloadDocs is the doc comment of each type declared in
// events/payloads.go, and of each of their fields (by "Type.Field"), on
// one line: read as the GraphQL event types' generator reads them.
func payloadDocs(t *testing.T) map[string]string {
	docs, err := eventdoc.Read("../events/payloads.go")
	if err != nil {
		t.Fatal(err)
	}
	return docs
}

// jsonFields is the fields of a payload type as JSON shows them, embedded
// structs inlined: name, type and doc comment.
func jsonFields(t reflect.Type, docs map[string]string) [][3]string {
	var out [][3]string
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if f.Anonymous && name == "" {
			out = append(out, jsonFields(f.Type, docs)...)
			continue
		}
		out = append(out, [3]string{name, jsonType(f.Type), docs[t.Name()+"."+f.Name]})
	}
	return out
}

// jsonType names the JSON type of a Go type.
func jsonType(t reflect.Type) string {
	switch {
	case t == reflect.TypeOf(uuid.UUID{}):
		return "ID"
	case t == reflect.TypeOf(time.Time{}):
		return "time (RFC 3339)"
	case t.Kind() == reflect.Pointer:
		return jsonType(t.Elem()) + " or null"
	case t.Kind() == reflect.Slice:
		return "list of " + jsonType(t.Elem())
	case t.Kind() == reflect.Struct:
		return "object (`" + t.Name() + "`)"
	case t.Kind() == reflect.Bool:
		return "boolean"
	case t.Kind() == reflect.Int || t.Kind() == reflect.Int64:
		return "number"
	default:
		return "string"
	}
}
