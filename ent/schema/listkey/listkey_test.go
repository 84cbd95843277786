package listkey

import (
	"context"
	"testing"

	"entgo.io/ent/dialect"
	"entgo.io/ent/dialect/sql"
	"github.com/google/uuid"
)

// TestStatements: SQLite gets the plain equality and order; PostgreSQL the
// one-value array and the order led by the column, in the given direction.
func TestStatements(t *testing.T) {
	v := uuid.New()
	for _, c := range []struct {
		dialect    string
		descending bool
		want       string
	}{
		{dialect.SQLite, false, "SELECT `id` FROM `users` WHERE `users`.`directory_id` = ? ORDER BY `users`.`id` DESC"},
		{dialect.Postgres, false, `SELECT "id" FROM "users" WHERE "users"."directory_id" = ANY(ARRAY[$1]::uuid[]) ORDER BY "users"."directory_id" ASC, "users"."id" DESC`},
		{dialect.Postgres, true, `SELECT "id" FROM "users" WHERE "users"."directory_id" = ANY(ARRAY[$1]::uuid[]) ORDER BY "users"."directory_id" DESC, "users"."id" DESC`},
	} {
		s := sql.Dialect(c.dialect).Select("id").From(sql.Table("users"))
		Is("directory_id", v)(s)
		Lead("directory_id", c.descending)(s)
		s.OrderBy(sql.Desc(s.C("id")))
		query, args := s.Query()
		if query != c.want {
			t.Errorf("%s: %s\nwant %s", c.dialect, query, c.want)
		}
		if len(args) != 1 || args[0] != v {
			t.Errorf("%s: arguments %v; want only %v", c.dialect, args, v)
		}
	}
}

// TestContext: only a context made by NewContext is a list's.
func TestContext(t *testing.T) {
	if FromContext(context.Background()) {
		t.Error("a plain context is a list's")
	}
	if !FromContext(NewContext(context.Background())) {
		t.Error("NewContext's context is not a list's")
	}
}
