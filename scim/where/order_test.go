package where_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/acme/directory/ent/group"
	"github.com/acme/directory/ent/user"
	"github.com/acme/directory/scim/where"
	"github.com/acme/directory/store"
	"github.com/acme/directory/store/storetest"
)

// A sort case lists the expected order as tiers: names within a tier sort
// equal and so must come out in id order (ascending, or descending when
// the sort is), which the test works out from the seeded ids.
var userSorts = []struct {
	sortBy string
	desc   bool
	tiers  [][]string
}{
	{"userName", false, tiersOf(alice, bob, carol, carolx, dave, eve, frank, grace)},
	{"USERNAME", true, tiersOf(grace, frank, eve, dave, carolx, carol, bob, alice)},
	{"title", false, [][]string{{alice, eve}, {carolx}, {frank}, {dave}, {bob, carol, grace}}},
	{"title", true, [][]string{{dave}, {frank}, {carolx}, {alice, eve}, {bob, carol, grace}}},
	{"meta.created", false, tiersOf(carolx, alice, dave, bob, carol, eve, frank, grace)},
	{"meta.created", true, tiersOf(grace, frank, eve, carol, bob, dave, alice, carolx)},
	{"emails.value", false, [][]string{{alice}, {bob}, {carol}, {eve}, {grace}, {carolx}, {dave, frank}}},
	{"emails", false, [][]string{{alice}, {bob}, {carol}, {eve}, {grace}, {carolx}, {dave, frank}}},
	{"name.familyName", false, [][]string{{bob}, {carol}, {alice}, {dave, eve, carolx, frank, grace}}},
	{"active", false, [][]string{{carol, frank}, {alice, bob, dave, eve, carolx, grace}}},
	{"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department", false,
		[][]string{{alice, carol}, {bob}, {frank}, {dave, eve, carolx, grace}}},
	{"manager", false, [][]string{{frank}, {alice, bob, carol, dave, eve, carolx, grace}}},
	{"id", true, [][]string{allUsers}},
}

func tiersOf(names ...string) [][]string {
	out := make([][]string, len(names))
	for i, n := range names {
		out[i] = []string{n}
	}
	return out
}

// flatten orders each tier by id and concatenates the tiers.
func flatten(tiers [][]string, ids map[string]uuid.UUID, desc bool) []string {
	var out []string
	for _, tier := range tiers {
		tier = slices.Clone(tier)
		slices.SortFunc(tier, func(a, b string) int {
			c := strings.Compare(ids[a].String(), ids[b].String())
			if desc {
				return -c
			}
			return c
		})
		out = append(out, tier...)
	}
	return out
}

func TestUserOrder(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		f := seed(t, s)
		for _, tc := range userSorts {
			name := tc.sortBy
			if tc.desc {
				name += " descending"
			}
			t.Run(name, func(t *testing.T) {
				order, err := where.UserOrder(tc.sortBy, tc.desc)
				if err != nil {
					t.Fatalf("UserOrder: %v", err)
				}
				got, err := s.Client.User.Query().Where(user.DirectoryID(f.dir)).Order(order).
					Select(user.FieldUserName).Strings(f.ctx)
				if err != nil {
					t.Fatalf("query: %v", err)
				}
				if want := flatten(tc.tiers, f.users, tc.desc); !slices.Equal(got, want) {
					t.Errorf("got  %q\nwant %q", got, want)
				}
			})
		}
	})
}

func TestGroupOrder(t *testing.T) {
	cases := []struct {
		sortBy string
		desc   bool
		tiers  [][]string
	}{
		{"displayName", false, tiersOf(admins, emptyGroup, engineering, sales)},
		{"displayName", true, tiersOf(sales, engineering, emptyGroup, admins)},
		{"externalId", false, [][]string{{engineering}, {sales}, {emptyGroup, admins}}},
	}
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		f := seed(t, s)
		for _, tc := range cases {
			t.Run(tc.sortBy, func(t *testing.T) {
				order, err := where.GroupOrder(tc.sortBy, tc.desc)
				if err != nil {
					t.Fatalf("GroupOrder: %v", err)
				}
				got, err := s.Client.Group.Query().Where(group.DirectoryID(f.dir)).Order(order).
					Select(group.FieldDisplayName).Strings(f.ctx)
				if err != nil {
					t.Fatalf("query: %v", err)
				}
				if want := flatten(tc.tiers, f.groups, tc.desc); !slices.Equal(got, want) {
					t.Errorf("got  %q\nwant %q", got, want)
				}
			})
		}
	})
}

func TestOrderInvalid(t *testing.T) {
	for _, tc := range []struct {
		groups bool
		sortBy string
		want   string
	}{
		{false, "emails.type", `cannot be sorted`},
		{false, "phoneNumbers", `cannot be sorted`},
		{false, "addresses", `cannot be sorted`},
		{false, "name", `cannot be sorted`},
		{false, "groups", `cannot be sorted`},
		{false, `emails[type eq "work"]`, `value path`},
		{false, "meta.version", `"meta.version" cannot be filtered`},
		{false, "foo", `unknown attribute "foo"`},
		{false, "", `sortBy ""`},
		{false, "userName eq", `sortBy "userName eq"`},
		{true, "members", `cannot be sorted`},
		{true, "userName", `unknown attribute "userName"`},
	} {
		t.Run(tc.sortBy, func(t *testing.T) {
			var err error
			if tc.groups {
				_, err = where.GroupOrder(tc.sortBy, false)
			} else {
				_, err = where.UserOrder(tc.sortBy, false)
			}
			assertInvalid(t, err, tc.want)
		})
	}
}
