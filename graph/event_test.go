package graph

import (
	"slices"
	"testing"

	"github.com/acme/directory/access"
	"github.com/acme/directory/store"
	"github.com/acme/directory/store/storetest"
	"github.com/google/uuid"
)

const eventsQuery = `query($org: ID!, $after: String, $first: Int, $types: [String!], $subject: ID, $dir: ID) {
	events(organizationID: $org, after: $after, first: $first, types: $types, subjectID: $subject, directoryID: $dir) {
		edges { cursor node { type subjectID directoryID actorType actorID data previous } }
		pageInfo { hasNextPage endCursor }
	}
}`

// eventPage is an events query's data.
type eventPage struct {
	Events struct {
		Edges []struct {
			Cursor string `json:"cursor"`
			Node   struct {
				Type        string         `json:"type"`
				SubjectID   string         `json:"subjectID"`
				DirectoryID *string        `json:"directoryID"`
				ActorType   string         `json:"actorType"`
				ActorID     *string        `json:"actorID"`
				Data        map[string]any `json:"data"`
				Previous    map[string]any `json:"previous"`
			} `json:"node"`
		} `json:"edges"`
		PageInfo struct {
			HasNextPage bool   `json:"hasNextPage"`
			EndCursor   string `json:"endCursor"`
		} `json:"pageInfo"`
	} `json:"events"`
}

func (p eventPage) types() []string {
	var out []string
	for _, e := range p.Events.Edges {
		out = append(out, e.Node.Type)
	}
	return out
}

func TestEventsConnection(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		a := newAPI(t, s.Client, s.Dialect, Config{})
		var org struct {
			CreateOrganization struct{ ID string } `json:"createOrganization"`
		}
		a.ok(a.platform, createOrgMutation, map[string]any{"name": "Acme"}, &org)
		orgID := org.CreateOrganization.ID
		var dir struct {
			CreateDirectory struct {
				Directory struct{ ID string } `json:"directory"`
			} `json:"createDirectory"`
		}
		a.ok(a.platform, createDirectoryMutation, map[string]any{"org": orgID}, &dir)
		dirID := dir.CreateDirectory.Directory.ID
		var role struct {
			CreateRole struct{ ID string } `json:"createRole"`
		}
		admin := newOrgKey(t, s.Client, access.OrgAdmin, uuid.MustParse(orgID))
		a.ok(admin, createRoleMutation, map[string]any{"org": orgID, "key": "viewer"}, &role)
		a.ok(admin, `mutation($id: ID!) { updateRole(id: $id, input: {name: "Viewers"}) { id } }`,
			map[string]any{"id": role.CreateRole.ID}, nil)
		reader := newOrgKey(t, s.Client, access.OrgRead, uuid.MustParse(orgID))

		// Everything, in order, for the organization's read key.
		var all eventPage
		a.ok(reader, eventsQuery, map[string]any{"org": orgID}, &all)
		if got, want := all.types(), []string{"directory.created", "role.created", "role.updated"}; !slices.Equal(got, want) {
			t.Fatalf("events %v; want %v", got, want)
		}
		upd := all.Events.Edges[2].Node
		if upd.ActorType != "org_admin" || upd.ActorID == nil || upd.SubjectID != role.CreateRole.ID ||
			upd.Data["name"] != "Viewers" || upd.Previous["name"] != "viewer" {
			t.Fatalf("role.updated = %+v", upd)
		}
		if d := all.Events.Edges[0].Node; d.DirectoryID == nil || *d.DirectoryID != dirID || d.ActorType != "platform" || d.ActorID == nil {
			t.Fatalf("directory.created = %+v; want the platform key as actor", d)
		}

		// Paging: two, then the rest, then nothing new.
		var p1, p2, p3 eventPage
		a.ok(reader, eventsQuery, map[string]any{"org": orgID, "first": 2}, &p1)
		if len(p1.Events.Edges) != 2 || !p1.Events.PageInfo.HasNextPage {
			t.Fatalf("first page: %+v", p1.Events)
		}
		a.ok(reader, eventsQuery, map[string]any{"org": orgID, "first": 2, "after": p1.Events.PageInfo.EndCursor}, &p2)
		if got := p2.types(); !slices.Equal(got, []string{"role.updated"}) || p2.Events.PageInfo.HasNextPage {
			t.Fatalf("second page: %v %+v", got, p2.Events.PageInfo)
		}
		a.ok(reader, eventsQuery, map[string]any{"org": orgID, "after": p2.Events.PageInfo.EndCursor}, &p3)
		if len(p3.Events.Edges) != 0 || p3.Events.PageInfo.EndCursor != p2.Events.PageInfo.EndCursor {
			t.Fatalf("third page: %+v", p3.Events)
		}

		// Filters.
		for _, tc := range []struct {
			name string
			vars map[string]any
			want []string
		}{
			{"types", map[string]any{"types": []string{"role.created", "role.deleted"}}, []string{"role.created"}},
			{"subject", map[string]any{"subject": role.CreateRole.ID}, []string{"role.created", "role.updated"}},
			{"directory", map[string]any{"dir": dirID}, []string{"directory.created"}},
		} {
			tc.vars["org"] = orgID
			var p eventPage
			a.ok(reader, eventsQuery, tc.vars, &p)
			if got := p.types(); !slices.Equal(got, tc.want) {
				t.Errorf("%s: %v; want %v", tc.name, got, tc.want)
			}
		}

		// Another organization's read key sees none of them.
		var other struct {
			CreateOrganization struct{ ID string } `json:"createOrganization"`
		}
		a.ok(a.platform, createOrgMutation, map[string]any{"name": "Globex"}, &other)
		stranger := newOrgKey(t, s.Client, access.OrgRead, uuid.MustParse(other.CreateOrganization.ID))
		var none eventPage
		a.ok(stranger, eventsQuery, map[string]any{"org": orgID}, &none)
		if len(none.Events.Edges) != 0 {
			t.Fatalf("another organization's key read %v", none.types())
		}
		a.fails(reader, eventsQuery, map[string]any{"org": orgID, "after": "garbage"}, "BAD_USER_INPUT", "")
	})
}
