package where_test

import (
	"testing"

	"github.com/acme/directory/ent/group"
	"github.com/acme/directory/ent/user"
	"github.com/acme/directory/scim/filter"
	"github.com/acme/directory/scim/where"
	"github.com/acme/directory/store"
	"github.com/acme/directory/store/storetest"
)

// TestAny: in a search across resource types, an attribute a type lacks
// matches none of its resources (but "ne" matches all), while the other
// type's part of the filter still applies.
func TestAny(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		f := seed(t, s)
		cases := []struct {
			filter        string
			users, groups []string
		}{
			{`userName eq "bob" or displayName eq "Sales"`, []string{bob}, []string{sales}},
			{`userName eq "bob"`, []string{bob}, nil},
			{`displayName eq "Sales" and members pr`, nil, []string{sales}},
			{`userName ne "bob"`, except(bob), allGroups},
			{`shoeSize pr`, nil, nil},
		}
		for _, tc := range cases {
			t.Run(tc.filter, func(t *testing.T) {
				e, err := filter.Parse(tc.filter)
				if err != nil {
					t.Fatal(err)
				}
				up, err := where.AnyUsers(e)
				if err != nil {
					t.Fatalf("AnyUsers: %v", err)
				}
				gp, err := where.AnyGroups(e)
				if err != nil {
					t.Fatalf("AnyGroups: %v", err)
				}
				users := s.Client.User.Query().Where(user.DirectoryID(f.dir), up).Select(user.FieldUserName).StringsX(f.ctx)
				groups := s.Client.Group.Query().Where(group.DirectoryID(f.dir), gp).Select(group.FieldDisplayName).StringsX(f.ctx)
				assertSet(t, users, tc.users)
				assertSet(t, groups, tc.groups)
			})
		}
		e, _ := filter.Parse(`active eq "yes"`)
		if _, err := where.AnyUsers(e); err == nil {
			t.Fatalf("a type error is still an error in a search across types")
		}
	})
}
