package graph

import (
	"context"
	"maps"
	"slices"
	"testing"

	"github.com/acme/directory/access"
	"github.com/acme/directory/admin"
	"github.com/acme/directory/ent"
	"github.com/acme/directory/store"
	"github.com/acme/directory/store/storetest"
)

func TestEffectiveRoles(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		c := s.Client
		ctx := access.PlatformContext(context.Background())
		org, err := admin.CreateOrganization(ctx, c, "Acme", "")
		if err != nil {
			t.Fatal(err)
		}
		dir, err := admin.CreateDirectory(ctx, c, org.ID, "okta", "")
		if err != nil {
			t.Fatal(err)
		}
		seed := seedDirectory(t, c, dir.Directory,
			[]string{"both", "admins", "twice", "unmapped", "alone"},
			map[string][]string{
				"Admins":   {"both", "admins", "twice"},
				"Editors":  {"both", "twice"},
				"Admins2":  {"twice"},
				"Unmapped": {"unmapped"},
			})
		role := map[string]*ent.Role{}
		for _, key := range []string{"admin", "editor", "viewer"} {
			role[key] = c.Role.Create().SetOrganizationID(org.ID).SetKey(key).SetName(key).SaveX(ctx)
		}
		mapping := map[string][]string{"Admins": {"editor", "admin"}, "Editors": {"editor"}, "Admins2": {"admin"}}
		for g, keys := range mapping {
			for _, k := range keys {
				c.GroupRole.Create().SetOrganizationID(org.ID).SetGroupID(seed.groups[g].ID).
					SetRoleID(role[k].ID).ExecX(ctx)
			}
		}
		users := slices.Collect(maps.Values(seed.users))

		cases := []struct {
			name       string
			defaultKey string // the organization's default role, "" for none
			want       map[string][]string
		}{
			{"without a default role", "", map[string][]string{
				"both":   {"admin", "editor"}, // union, ordered by key
				"admins": {"admin", "editor"},
				"twice":  {"admin", "editor"}, // admin through two groups, once
			}},
			{"with a default role", "viewer", map[string][]string{
				"both":     {"admin", "editor"},
				"admins":   {"admin", "editor"},
				"twice":    {"admin", "editor"},
				"unmapped": {"viewer"}, // in a group that maps no role
				"alone":    {"viewer"}, // in no group
			}},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				u := c.Organization.UpdateOne(org).ClearDefaultRoleID()
				if tc.defaultKey != "" {
					u.SetDefaultRoleID(role[tc.defaultKey].ID)
				}
				u.ExecX(ctx)
				got, err := EffectiveRoles(ctx, c, users)
				if err != nil {
					t.Fatal(err)
				}
				for _, usr := range users {
					var keys []string
					for _, r := range got[usr.ID] {
						keys = append(keys, r.Key)
					}
					if want := tc.want[usr.UserName]; !slices.Equal(keys, want) {
						t.Errorf("%s: roles %v; want %v", usr.UserName, keys, want)
					}
				}
			})
		}

		t.Run("as another organization", func(t *testing.T) {
			other, err := admin.CreateOrganization(ctx, c, "Globex", "")
			if err != nil {
				t.Fatal(err)
			}
			as := access.NewContext(context.Background(), &access.Viewer{Scope: access.OrgRead, OrganizationID: other.ID})
			got, err := EffectiveRoles(as, c, users)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 0 {
				t.Fatalf("another organization's viewer got roles: %v", got)
			}
		})
	})
}

func TestDirectoryStatus(t *testing.T) {
	synced := ent.Directory{Enabled: true}
	now := synced.CreatedAt
	synced.LastSyncedAt = &now
	cases := []struct {
		d    ent.Directory
		want string
	}{
		{ent.Directory{Enabled: true}, "PENDING"},
		{synced, "ACTIVE"},
		{ent.Directory{Enabled: false, LastSyncedAt: &now}, "DISABLED"},
	}
	for _, c := range cases {
		if got := directoryStatus(&c.d); string(got) != c.want {
			t.Errorf("status(enabled %v, synced %v) = %s; want %s", c.d.Enabled, c.d.LastSyncedAt != nil, got, c.want)
		}
	}
}

func TestGraphQLName(t *testing.T) {
	cases := map[string]string{
		"name":            "name",
		"external_id":     "externalID",
		"organization_id": "organizationID",
		"display_name":    "displayName",
		"organizationID":  "organizationID",
	}
	for in, want := range cases {
		if got := graphQLName(in); got != want {
			t.Errorf("graphQLName(%q) = %q; want %q", in, got, want)
		}
	}
}
