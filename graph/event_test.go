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

// TestEventsBackwards: last and before read the newest events first,
// paging back in time, each page oldest first; the newest page's
// endCursor is where after follows on; last does not mix with first.
func TestEventsBackwards(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		a := newAPI(t, s.Client, s.Dialect, Config{})
		var org struct {
			CreateOrganization struct{ ID string } `json:"createOrganization"`
		}
		a.ok(a.platform, createOrgMutation, map[string]any{"name": "Acme"}, &org)
		orgID := org.CreateOrganization.ID
		admin := newOrgKey(t, s.Client, access.OrgAdmin, uuid.MustParse(orgID))
		for _, k := range []string{"a", "b", "c", "d", "e"} {
			a.ok(admin, createRoleMutation, map[string]any{"org": orgID, "key": k}, nil)
		}
		const back = `query($org: ID!, $last: Int, $before: String, $types: [String!]) {
			events(organizationID: $org, last: $last, before: $before, types: $types) {
				edges { cursor node { type data } }
				pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }`
		type page struct {
			Events struct {
				Edges []struct {
					Node struct {
						Data map[string]any `json:"data"`
					} `json:"node"`
				} `json:"edges"`
				PageInfo struct {
					HasPreviousPage bool   `json:"hasPreviousPage"`
					StartCursor     string `json:"startCursor"`
					EndCursor       string `json:"endCursor"`
				} `json:"pageInfo"`
			} `json:"events"`
		}
		keys := func(p page) (out []string) {
			for _, e := range p.Events.Edges {
				out = append(out, e.Node.Data["key"].(string))
			}
			return out
		}
		var p1, p2, p3 page
		a.ok(admin, back, map[string]any{"org": orgID, "last": 2}, &p1)
		if got := keys(p1); !slices.Equal(got, []string{"d", "e"}) || !p1.Events.PageInfo.HasPreviousPage {
			t.Fatalf("the newest page: %v (older before it: %v); want [d e], true", got, p1.Events.PageInfo.HasPreviousPage)
		}
		a.ok(admin, back, map[string]any{"org": orgID, "last": 2, "before": p1.Events.PageInfo.StartCursor}, &p2)
		a.ok(admin, back, map[string]any{"org": orgID, "last": 2, "before": p2.Events.PageInfo.StartCursor}, &p3)
		if got := append(keys(p3), keys(p2)...); !slices.Equal(got, []string{"a", "b", "c"}) || p3.Events.PageInfo.HasPreviousPage {
			t.Fatalf("older pages: %v (more before: %v); want [a b c], false", got, p3.Events.PageInfo.HasPreviousPage)
		}
		// The newest page's end is where reading forwards follows on.
		var next eventPage
		a.ok(admin, eventsQuery, map[string]any{"org": orgID, "after": p1.Events.PageInfo.EndCursor}, &next)
		if len(next.Events.Edges) != 0 {
			t.Errorf("after the newest page: %v; want nothing", next.types())
		}
		var none page
		a.ok(admin, back, map[string]any{"org": orgID, "types": []string{"user.created"}}, &none)
		if len(none.Events.Edges) != 0 || none.Events.PageInfo.StartCursor == "" || none.Events.PageInfo.EndCursor == "" {
			t.Errorf("an empty backwards page: %+v", none.Events.PageInfo)
		}
		a.fails(admin, `query($org: ID!) { events(organizationID: $org, first: 1, last: 1) { edges { cursor } } }`,
			map[string]any{"org": orgID}, "BAD_USER_INPUT", "last")
		a.fails(admin, `query($org: ID!) { events(organizationID: $org, last: -1) { edges { cursor } } }`,
			map[string]any{"org": orgID}, "BAD_USER_INPUT", "last")
		a.fails(admin, `query($org: ID!) { events(organizationID: $org, before: "x") { edges { cursor } } }`,
			map[string]any{"org": orgID}, "BAD_USER_INPUT", "before")
	})
}
