package graph

import (
	"testing"

	"github.com/acme/directory/ent"
)

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
