package where_test

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"entgo.io/ent/dialect"
	"entgo.io/ent/dialect/sql"

	"github.com/acme/directory/scim/filter"
	"github.com/acme/directory/scim/where"
	"github.com/acme/directory/store"
	"github.com/acme/directory/store/storetest"
)

// render returns the SELECT a users filter becomes in a dialect, and its
// arguments.
func render(t testing.TB, d, text string) (string, []any) {
	t.Helper()
	e, err := filter.Parse(text)
	if err != nil {
		t.Fatalf("parse %s: %v", text, err)
	}
	p, err := where.Users(e)
	if err != nil {
		t.Fatalf("where.Users(%s): %v", text, err)
	}
	s := sql.Dialect(d).Select("id").From(sql.Table("users"))
	p(s)
	return s.Query()
}

var pgPlaceholder = regexp.MustCompile(`\$(\d+)`)

// TestPlaceholders checks that every argument of every test filter gets
// its own placeholder: $1, $2, ... in order on PostgreSQL, ? on SQLite.
func TestPlaceholders(t *testing.T) {
	for _, tc := range userCases {
		q, args := render(t, dialect.Postgres, tc.filter)
		var got []string
		for _, m := range pgPlaceholder.FindAllStringSubmatch(q, -1) {
			got = append(got, m[1])
		}
		var want []string
		for i := range args {
			want = append(want, strconv.Itoa(i+1))
		}
		if strings.Join(got, ",") != strings.Join(want, ",") || strings.Contains(q, "?") {
			t.Errorf("postgres %s:\n%s\nplaceholders %v for %d arguments", tc.filter, q, got, len(args))
		}
		q, args = render(t, dialect.SQLite, tc.filter)
		if n := strings.Count(q, "?"); n != len(args) || pgPlaceholder.MatchString(q) {
			t.Errorf("sqlite %s:\n%s\n%d placeholders for %d arguments", tc.filter, q, n, len(args))
		}
	}
}

// TestUserNameUsesIndex checks that userName eq is answered from the
// unique (directory_id, user_name_key) index on both databases.
func TestUserNameUsesIndex(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		f := seed(t, s)
		e, _ := filter.Parse(`userName eq "Bob"`)
		p, err := where.Users(e)
		if err != nil {
			t.Fatal(err)
		}
		sel := sql.Dialect(s.Dialect).Select("id").From(sql.Table("users"))
		sel.Where(sql.EQ(sel.C("directory_id"), f.dir))
		p(sel)
		q, args := sel.Query()
		plan := explain(t, s, q, args)
		if !strings.Contains(plan, "user_directory_id_user_name_key") {
			t.Errorf("plan does not use the userName index:\n%s\nfor %s", plan, q)
		}
	})
}

// explain returns the query plan; on PostgreSQL with sequential scans
// discouraged, since the fixture's table is too small for the planner to
// bother with an index otherwise.
func explain(t *testing.T, s *store.Store, q string, args []any) string {
	ctx := context.Background()
	conn, err := s.DB.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	prefix := "EXPLAIN QUERY PLAN "
	if s.Dialect == dialect.Postgres {
		prefix = "EXPLAIN "
		// Statistics first: without them several (directory_id, ...)
		// indexes tie and the planner may take any.
		if _, err := conn.ExecContext(ctx, "ANALYZE users"); err != nil {
			t.Fatal(err)
		}
		if _, err := conn.ExecContext(ctx, "SET enable_seqscan = off"); err != nil {
			t.Fatal(err)
		}
		defer conn.ExecContext(ctx, "RESET enable_seqscan")
	}
	rows, err := conn.QueryContext(ctx, prefix+q, args...)
	if err != nil {
		t.Fatalf("explain: %v", err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var b strings.Builder
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintln(&b, vals[len(vals)-1])
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// Example shows the SQL of a few filters on both databases.
func Example() {
	for _, text := range []string{
		`userName eq "BJensen"`,
		`title ne "x"`,
		`emails[type eq "work" and value co "@example.com"]`,
		`externalId sw "A_"`,
	} {
		e, _ := filter.Parse(text)
		p, _ := where.Users(e)
		fmt.Println(text)
		for _, d := range []string{dialect.SQLite, dialect.Postgres} {
			s := sql.Dialect(d).Select("id").From(sql.Table("users"))
			p(s)
			q, args := s.Query()
			_, cond, _ := strings.Cut(q, " WHERE ")
			fmt.Printf("  %s: %s %q\n", d, cond, args)
		}
	}
	// Output:
	// userName eq "BJensen"
	//   sqlite3: `users`.`user_name_key` = ? ["bjensen"]
	//   postgres: "users"."user_name_key" = $1 ["bjensen"]
	// title ne "x"
	//   sqlite3: (NOT (`users`.`title` IS NOT NULL AND unicode_lower(`users`.`title`) = unicode_lower(?))) ["x"]
	//   postgres: (NOT ("users"."title" IS NOT NULL AND lower("users"."title" COLLATE "und-x-icu") = lower($1 COLLATE "und-x-icu"))) ["x"]
	// emails[type eq "work" and value co "@example.com"]
	//   sqlite3: EXISTS (SELECT 1 FROM json_each(CASE WHEN json_type(`users`.`emails`) = 'array' THEN `users`.`emails` ELSE '[]' END) AS elem WHERE ((json_extract(elem.value, '$.type') IS NOT NULL AND unicode_lower(json_extract(elem.value, '$.type')) = unicode_lower(?)) AND (json_extract(elem.value, '$.value') IS NOT NULL AND unicode_lower(json_extract(elem.value, '$.value')) LIKE unicode_lower(?) ESCAPE '!'))) ["work" "%@example.com%"]
	//   postgres: EXISTS (SELECT 1 FROM jsonb_array_elements(CASE WHEN jsonb_typeof("users"."emails") = 'array' THEN "users"."emails" ELSE '[]'::jsonb END) AS elem(v) WHERE (((elem.v ->> 'type') IS NOT NULL AND lower((elem.v ->> 'type') COLLATE "und-x-icu") = lower($1 COLLATE "und-x-icu")) AND ((elem.v ->> 'value') IS NOT NULL AND lower((elem.v ->> 'value') COLLATE "und-x-icu") LIKE lower($2 COLLATE "und-x-icu") ESCAPE '!'))) ["work" "%@example.com%"]
	// externalId sw "A_"
	//   sqlite3: (`users`.`external_id` IS NOT NULL AND instr(`users`.`external_id`, ?) = 1) ["A_"]
	//   postgres: ("users"."external_id" IS NOT NULL AND "users"."external_id" LIKE $1 ESCAPE '!') ["A!_%"]
}
