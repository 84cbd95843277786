package where_test

import (
	"fmt"
	"testing"

	"entgo.io/ent/dialect"
	"entgo.io/ent/dialect/sql"

	"github.com/acme/directory/ent"
	"github.com/acme/directory/ent/user"
	"github.com/acme/directory/scim/filter"
	"github.com/acme/directory/scim/where"
	"github.com/acme/directory/store/storetest"
)

// benchUsers is the size of the benchmark directory.
const benchUsers = 5000

// BenchmarkUserNameEq filters a SQLite directory of 5,000 users the way
// the SCIM handler does (parse, translate, query within the directory) by
// userName, which the unique (directory_id, user_name_key) index answers,
// and, for comparison, by title, which has no index and is scanned.
func BenchmarkUserNameEq(b *testing.B) {
	st := storetest.Open(b, "sqlite")
	ctx, org, dir := newOrgDir(b, st)
	const batch = 500
	for i := 0; i < benchUsers; i += batch {
		creates := make([]*ent.UserCreate, batch)
		for j := range creates {
			n := i + j
			creates[j] = st.Client.User.Create().SetOrganizationID(org).SetDirectoryID(dir).
				SetUserName(fmt.Sprintf("User%04d@example.com", n)).SetTitle(fmt.Sprintf("Title %04d", n))
		}
		if err := st.Client.User.CreateBulk(creates...).Exec(ctx); err != nil {
			b.Fatalf("seed: %v", err)
		}
	}
	for _, bc := range []struct{ name, filter string }{
		{"userName", `userName eq "user4242@EXAMPLE.com"`},
		{"title", `title eq "title 4242"`},
	} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				e, err := filter.Parse(bc.filter)
				if err != nil {
					b.Fatal(err)
				}
				p, err := where.Users(e)
				if err != nil {
					b.Fatal(err)
				}
				got, err := st.Client.User.Query().Where(user.DirectoryID(dir), p).All(ctx)
				if err != nil || len(got) != 1 {
					b.Fatalf("got %d users, %v; want 1", len(got), err)
				}
			}
		})
	}
}

// BenchmarkTranslate measures parsing a typical Entra filter and building
// its PostgreSQL statement, without a database.
func BenchmarkTranslate(b *testing.B) {
	const text = `userName eq "bjensen@example.com" or emails[type eq "work"].value eq "bjensen@example.com"`
	for b.Loop() {
		e, err := filter.Parse(text)
		if err != nil {
			b.Fatal(err)
		}
		p, err := where.Users(e)
		if err != nil {
			b.Fatal(err)
		}
		s := sql.Dialect(dialect.Postgres).Select("id").From(sql.Table("users"))
		p(s)
		if q, _ := s.Query(); q == "" {
			b.Fatal("empty query")
		}
	}
}
