package where_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/acme/directory/ent/user"
	"github.com/acme/directory/scim/filter"
	"github.com/acme/directory/scim/where"
	"github.com/acme/directory/store"
	"github.com/acme/directory/store/storetest"
)

// TestLastModifiedAcrossOffsets filters and sorts by meta.lastModified times
// written in different UTC offsets, whose local clock readings sort in
// another order than the instants: the instants decide. On SQLite the
// stored text is UTC, so the columns compare as text.
func TestLastModifiedAcrossOffsets(t *testing.T) {
	plus1, plus2 := time.FixedZone("CET", 3600), time.FixedZone("CEST", 7200)
	times := []struct {
		name string
		at   time.Time
	}{
		{"before", time.Date(2025, 3, 30, 1, 30, 0, 0, plus1)},                     // 00:30Z
		{"utc", time.Date(2025, 3, 30, 0, 45, 0, 0, time.UTC)},                     // 00:45Z
		{"summer", time.Date(2025, 3, 30, 3, 10, 0, 0, plus2)},                     // 01:10Z
		{"winter", time.Date(2025, 3, 30, 1, 59, 59, 500_000_000, plus1)},          // 00:59:59.5Z
		{"west", time.Date(2025, 3, 29, 22, 0, 0, 0, time.FixedZone("", -3*3600))}, // 01:00Z
	}
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx, org, dir := newOrgDir(t, s)
		for _, tc := range times {
			s.Client.User.Create().SetOrganizationID(org).SetDirectoryID(dir).SetUserName(tc.name).
				SetUpdatedAt(tc.at).ExecX(ctx)
		}
		e, err := filter.Parse(`meta.lastModified gt "2025-03-30T01:40:00+01:00"`)
		if err != nil {
			t.Fatal(err)
		}
		p, err := where.Users(e)
		if err != nil {
			t.Fatalf("where.Users: %v", err)
		}
		order, err := where.UserOrder("meta.lastModified", false)
		if err != nil {
			t.Fatalf("UserOrder: %v", err)
		}
		got := s.Client.User.Query().Where(user.DirectoryID(dir), p).Order(order).
			Select(user.FieldUserName).StringsX(ctx)
		if want := []string{"utc", "winter", "west", "summer"}; !slices.Equal(got, want) {
			t.Errorf("lastModified after 00:40Z, oldest first = %q; want %q", got, want)
		}

		if s.Dialect != "sqlite3" {
			return
		}
		rows, err := s.DB.QueryContext(ctx, "SELECT CAST(updated_at AS TEXT) FROM users ORDER BY updated_at")
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var stored []string
		for rows.Next() {
			var v string
			if err := rows.Scan(&v); err != nil {
				t.Fatal(err)
			}
			stored = append(stored, v)
		}
		want := []string{"2025-03-30 00:30:00+00:00", "2025-03-30 00:45:00+00:00",
			"2025-03-30 00:59:59.5+00:00", "2025-03-30 01:00:00+00:00", "2025-03-30 01:10:00+00:00"}
		if !slices.Equal(stored, want) {
			t.Errorf("stored times, in text order:\n%s\nwant\n%s", strings.Join(stored, "\n"), strings.Join(want, "\n"))
		}
	})
}
