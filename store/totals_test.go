package store_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/acme/directory/access"
	"github.com/acme/directory/domain"
	"github.com/acme/directory/ent"
	"github.com/acme/directory/ent/user"
	"github.com/acme/directory/store"
	"github.com/acme/directory/store/storetest"
)

// TestDirectoryTotals: the triggers keep each directory's user and group
// totals exact, inside the writing transaction and after it, for bulk
// inserts, deletes by predicate and rolled-back writes.
func TestDirectoryTotals(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		// The triggers are tested on writes no operation makes (bulk, by
		// predicate): written directly.
		ctx := domain.Seeding(access.PlatformContext(context.Background()))
		c := s.Client
		org := c.Organization.Create().SetName("Acme").SetSlug("acme").SaveX(ctx)
		dir := c.Directory.Create().SetOrganizationID(org.ID).SetName("A").SetProvider("okta").SaveX(ctx)
		other := c.Directory.Create().SetOrganizationID(org.ID).SetName("B").SetProvider("okta").SaveX(ctx)
		users := func(c *ent.Client, d *ent.Directory, n int, prefix string) {
			bs := make([]*ent.UserCreate, n)
			for i := range bs {
				bs[i] = c.User.Create().SetOrganizationID(org.ID).SetDirectoryID(d.ID).SetUserName(fmt.Sprintf("%s%d", prefix, i))
			}
			c.User.CreateBulk(bs...).ExecX(ctx)
		}
		check := func(c *ent.Client, what string, wantA, wantGroups, wantB int) {
			t.Helper()
			a, b := c.Directory.GetX(ctx, dir.ID), c.Directory.GetX(ctx, other.ID)
			if a.UserTotal != wantA || a.GroupTotal != wantGroups || b.UserTotal != wantB {
				t.Fatalf("%s: totals A users %d groups %d, B users %d; want %d %d %d",
					what, a.UserTotal, a.GroupTotal, b.UserTotal, wantA, wantGroups, wantB)
			}
		}
		users(c, dir, 30, "a")
		users(c, other, 5, "b")
		check(c, "after bulk inserts", 30, 0, 5)
		c.Group.Create().SetOrganizationID(org.ID).SetDirectoryID(dir.ID).SetDisplayName("G1").ExecX(ctx)
		c.Group.Create().SetOrganizationID(org.ID).SetDirectoryID(dir.ID).SetDisplayName("G2").ExecX(ctx)
		check(c, "after groups", 30, 2, 5)
		c.User.Delete().Where(user.DirectoryID(dir.ID), user.UserNameIn("a1", "a2", "a3")).ExecX(ctx)
		check(c, "after deleting 3", 27, 2, 5)

		tx, err := c.Tx(ctx)
		if err != nil {
			t.Fatal(err)
		}
		users(tx.Client(), dir, 4, "tx")
		check(tx.Client(), "inside the transaction", 31, 2, 5)
		if err := tx.Rollback(); err != nil {
			t.Fatal(err)
		}
		check(c, "after a rollback", 27, 2, 5)
		if got := c.User.Query().Where(user.DirectoryID(dir.ID)).CountX(ctx); got != 27 {
			t.Fatalf("count = %d; the total says 27", got)
		}
	})
}
