package keyrange

import (
	"testing"

	"entgo.io/ent/dialect"
	"entgo.io/ent/dialect/sql"
)

// TestStatements: SQLite gets the plain equality and order; PostgreSQL the
// closed range and the order led by the column, in the given direction.
func TestStatements(t *testing.T) {
	for _, c := range []struct {
		dialect    string
		descending bool
		want       string
	}{
		{dialect.SQLite, false, "SELECT `id` FROM `users` WHERE `users`.`directory_id` = ? ORDER BY `users`.`id` DESC"},
		{dialect.Postgres, false, `SELECT "id" FROM "users" WHERE "users"."directory_id" >= $1 AND "users"."directory_id" <= $2 ORDER BY "users"."directory_id" ASC, "users"."id" DESC`},
		{dialect.Postgres, true, `SELECT "id" FROM "users" WHERE "users"."directory_id" >= $1 AND "users"."directory_id" <= $2 ORDER BY "users"."directory_id" DESC, "users"."id" DESC`},
	} {
		s := sql.Dialect(c.dialect).Select("id").From(sql.Table("users"))
		Is("directory_id", 7)(s)
		Lead("directory_id", c.descending)(s)
		s.OrderBy(sql.Desc(s.C("id")))
		query, args := s.Query()
		if query != c.want {
			t.Errorf("%s: %s\nwant %s", c.dialect, query, c.want)
		}
		for _, a := range args {
			if a != 7 {
				t.Errorf("%s: arguments %v; want only 7", c.dialect, args)
			}
		}
	}
}
