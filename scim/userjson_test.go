package scim

import (
	"context"
	"encoding/json"
	"reflect"
	"testing"

	"github.com/google/uuid"

	"github.com/acme/directory/access"
	"github.com/acme/directory/domain"
	"github.com/acme/directory/ent"
	"github.com/acme/directory/ent/schema/schematype"
	"github.com/acme/directory/store"
	"github.com/acme/directory/store/storetest"
)

// TestAppendUser: the directly written user is the document userDoc
// renders, with and without groups, for a user holding every attribute,
// one holding few, and values that need escaping.
func TestAppendUser(t *testing.T) {
	full := fixtureUser()
	bare := &ent.User{ID: uuid.New(), UserName: "a@b", Active: true, Version: 1}
	odd := fixtureUser()
	odd.DisplayName, odd.Title = "<Ünï \"cødé\">\n", "a&b\u2028"
	odd.Raw = map[string]any{"urn:x:b": []any{1.5, "x"}, "urn:x:a": map[string]any{"k": nil}, "UrN:ietf:params:scim:schemas:core:2.0:User": 1}
	odd.Department, odd.CostCenter = "", "" // part of the extension only
	noExt := fixtureUser()
	noExt.EmployeeNumber, noExt.CostCenter, noExt.EnterpriseOrganization, noExt.Division, noExt.Department = "", "", "", "", ""
	noExt.ManagerID, noExt.ManagerDisplayName = "", ""
	nameless := fixtureUser()
	nameless.NameFormatted, nameless.FamilyName, nameless.GivenName, nameless.MiddleName = "", "", "", ""
	nameless.HonorificPrefix, nameless.HonorificSuffix = "", ""
	removed := fixtureUser() // active removed by a PATCH: unassigned, not shown
	removed.Active, removed.Raw = false, map[string]any{"active": nil, "userName": "x"}
	groups := []groupRef{{ID: uuid.NewString(), Name: "Eng & Ops"}, {ID: uuid.NewString(), Name: ""}}
	const base = "https://h.example/scim/v2/d<1>"
	for name, u := range map[string]*ent.User{"full": full, "bare": bare, "odd": odd, "noExt": noExt, "nameless": nameless, "removed": removed} {
		for _, gs := range [][]groupRef{nil, groups} {
			got := appendUser(nil, u, gs, base)
			want, err := json.Marshal(userDoc(u, gs, base))
			if err != nil {
				t.Fatal(err)
			}
			var g, w any
			if err := json.Unmarshal(got, &g); err != nil {
				t.Fatalf("%s: not JSON: %v\n%s", name, err, got)
			}
			if err := json.Unmarshal(want, &w); err != nil {
				t.Fatal(err)
			}
			if _, has := g.(map[string]any)["active"]; name == "removed" && has {
				t.Errorf("an unassigned active is shown: %s", got)
			}
			if !reflect.DeepEqual(g, w) {
				t.Errorf("%s with %d groups:\n got %s\nwant %s", name, len(gs), got, want)
			}
		}
	}
}

// TestReadUserIsEntsRead: the one-statement read of a user (by id and by
// userName key) fills the same ent.User that ent's query reads, with the
// same groups as groupsOf, and finds nothing of another directory.
func TestReadUserIsEntsRead(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := access.PlatformContext(context.Background())
		svc := domain.New(st.Client, st.Dialect)
		org, err := svc.CreateOrganization(ctx, domain.NewOrganization{Name: "Acme"})
		if err != nil {
			t.Fatal(err)
		}
		var dirs [2]*ent.Directory
		for i := range dirs {
			d, err := svc.CreateDirectory(ctx, domain.NewDirectory{OrganizationID: org.ID, Provider: schematype.Provider("generic")})
			if err != nil {
				t.Fatal(err)
			}
			dirs[i] = d.Directory
		}
		doc, err := jsonDoc(userDoc(fixtureUser(), nil, ""))
		if err != nil {
			t.Fatal(err)
		}
		delete(doc, "id")
		delete(doc, "meta")
		f, err := userFields(doc)
		if err != nil {
			t.Fatal(err)
		}
		pctx := access.NewContext(ctx, &access.Viewer{Scope: access.Provisioner, OrganizationID: org.ID, DirectoryID: dirs[0].ID})
		u, _, err := svc.ProvisionUser(pctx, dirs[0].ID, f)
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range []string{"B", "A", "C"} {
			_, err := svc.CreateGroup(pctx, dirs[0].ID, domain.GroupFields{"display_name": name},
				[]domain.MemberChange{{Op: domain.AddMembers, IDs: []uuid.UUID{u.ID}}})
			if err != nil {
				t.Fatal(err)
			}
		}
		s := NewHandler(st, Options{})
		want, err := svc.User(pctx, dirs[0].ID, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		wantGroups, err := groupsOf(pctx, st.Client, st.Dialect, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(wantGroups[u.ID]) != 3 {
			t.Fatalf("groupsOf: %v", wantGroups)
		}
		for _, by := range []struct {
			id  bool
			val any
		}{{true, u.ID}, {false, u.UserNameKey}} {
			for _, withGroups := range []bool{true, false} {
				got, groups, err := s.readUser(pctx, by.id, by.val, withGroups)
				if err != nil {
					t.Fatal(err)
				}
				if got == nil {
					t.Fatalf("by %v: no user", by.val)
				}
				sameUser(t, got, want)
				if w := wantGroups[u.ID]; withGroups && !reflect.DeepEqual(groups, w) {
					t.Errorf("groups %v; want %v", groups, w)
				} else if !withGroups && groups != nil {
					t.Errorf("groups %v; want none", groups)
				}
			}
		}
		other := access.NewContext(ctx, &access.Viewer{Scope: access.Provisioner, OrganizationID: org.ID, DirectoryID: dirs[1].ID})
		if got, _, err := s.readUser(other, true, u.ID, true); err != nil || got != nil {
			t.Fatalf("another directory's token reads %v, %v; want nothing", got, err)
		}
	})
}

// sameUser compares the exported fields of two users but their edges.
func sameUser(t *testing.T, got, want *ent.User) {
	t.Helper()
	gv, wv := reflect.ValueOf(got).Elem(), reflect.ValueOf(want).Elem()
	for i := range gv.NumField() {
		f := gv.Type().Field(i)
		if !f.IsExported() || f.Name == "Edges" {
			continue
		}
		if !reflect.DeepEqual(gv.Field(i).Interface(), wv.Field(i).Interface()) {
			t.Errorf("%s: %#v; want %#v", f.Name, gv.Field(i).Interface(), wv.Field(i).Interface())
		}
	}
}
