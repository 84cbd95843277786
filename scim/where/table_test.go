package where_test

import (
	"errors"
	"strings"
	"testing"

	"entgo.io/ent/dialect"
	"entgo.io/ent/dialect/sql"

	"github.com/acme/directory/fault"
	"github.com/acme/directory/scim/attrs"
	"github.com/acme/directory/scim/filter"
	"github.com/acme/directory/scim/where"
)

// TestTableResolves: every attribute of the tables in package attrs can be
// filtered by its path (bare and qualified with its schema URN) unless the
// table says NoFilter, and sorted by exactly when the table says Sort; the
// SQL names the attribute's column.
func TestTableResolves(t *testing.T) {
	checkTable(t, attrs.User, where.Users, where.UserOrder)
	checkTable(t, attrs.Group, where.Groups, where.GroupOrder)
}

func checkTable[E any, P ~func(*sql.Selector)](t *testing.T, tab *attrs.Table[E], pred func(filter.Expr) (P, error),
	order func(string, bool) (func(*sql.Selector), error)) {
	t.Helper()
	for i := range tab.Attrs {
		a := &tab.Attrs[i]
		paths := []string{a.Path}
		if a.Schema != "" {
			paths = append(paths, a.Schema+":"+a.Path)
		}
		column := a.Field
		if a.Key != "" {
			column = a.Key
		}
		for _, p := range paths {
			e, err := filter.Parse(p + " " + comparisons[a.Kind])
			if err != nil {
				t.Fatalf("parse %s: %v", p, err)
			}
			w, err := pred(e)
			switch {
			case a.NoFilter:
				if !isInvalid(err) {
					t.Errorf("filter %s: %v; want fault.Invalid (NoFilter)", e, err)
				}
			case err != nil:
				t.Errorf("filter %s: %v", e, err)
			default:
				s := sql.Dialect(dialect.Postgres).Select("id").From(sql.Table("t"))
				w(s)
				if q, _ := s.Query(); !strings.Contains(q, `"t"."`+column+`"`) {
					t.Errorf("filter %s: %s does not read %s", e, q, column)
				}
			}
		}
		if a.Sort && a.Multi() {
			column = a.Primary
		}
		o, err := order(a.Path, false)
		if !a.Sort {
			if !isInvalid(err) {
				t.Errorf("sortBy %s: %v; want fault.Invalid", a.Path, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("sortBy %s: %v", a.Path, err)
			continue
		}
		s := sql.Dialect(dialect.Postgres).Select("id").From(sql.Table("t"))
		o(s)
		if q, _ := s.Query(); !strings.Contains(q, `"t"."`+column+`"`) {
			t.Errorf("sortBy %s: %s does not order by %s", a.Path, q, column)
		}
	}
}

// comparisons is a comparison each kind of attribute accepts.
var comparisons = map[attrs.Kind]string{
	attrs.String: `eq "x"`, attrs.Bool: "eq true", attrs.MultiValued: "pr", attrs.Addresses: "pr",
	attrs.ID: `eq "6f3c1b0e-2f4a-4c55-9a3e-0d1f2e3a4b5c"`, attrs.Time: `gt "2024-01-01T00:00:00Z"`, attrs.Version: `eq "1"`,
}

func isInvalid(err error) bool {
	var fe *fault.Error
	return errors.As(err, &fe) && fe.Code == fault.Invalid
}
