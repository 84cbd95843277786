package main

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/acme/directory/ent/schema/schematype"
	"github.com/acme/directory/ent/schema/tableid"
)

// millionUsers is the size of the full run's largest fixture, seeded by
// raw multi-row INSERTs (seedRaw): ent's bulk creates would take minutes.
// Only the reads run against it (readRows).
const millionUsers = 1_000_000

// readRows are the rows measured on the million-user fixture, each
// compared with its figure at the smallest size.
var readRows = map[string]bool{rowGetUser: true, rowFilter: true, rowListFirst: true,
	rowCursorFirst: true, rowCursorDeep: true, rowGraphQL: true, rowBareGet: true, rowBareNarrow: true}

// insertRaw inserts users as the server writes them (tableid ids, the
// folded user_name_key, times in UTC) with multi-row INSERTs straight into
// the users table, committed every 50,000 rows, and returns their ids and
// names. The users triggers keep the directory's user_total.
func insertRaw(ctx context.Context, db *sql.DB, postgres bool, f *fixture, n int) error {
	cols := []string{"id", "created_at", "updated_at", "version", "user_name", "user_name_key",
		"given_name", "family_name", "primary_email", "active", "directory_id", "organization_id"}
	now := time.Now().UTC()
	return insertRows(ctx, db, postgres, "users", cols, n, func(i int) []any {
		name := fmt.Sprintf("b%d-u%07d@bench.example", n, i)
		id := tableid.New(tableid.User)
		f.userIDs, f.userNames = append(f.userIDs, id), append(f.userNames, name)
		return []any{id, now, now, 1, name, schematype.FoldKey(name), "Bench", fmt.Sprint("User", i), name, true, f.dirID, f.orgID}
	})
}

// insertMembers adds the first n users of f to group g, raw, each with
// its display: the users have no displayName, so their userName.
func insertMembers(ctx context.Context, db *sql.DB, postgres bool, f *fixture, g uuid.UUID, n int) error {
	now := time.Now().UTC()
	return insertRows(ctx, db, postgres, "memberships", []string{"group_id", "user_id", "organization_id", "created_at", "display"}, n,
		func(i int) []any { return []any{g, f.userIDs[i], f.orgID, now, f.userNames[i]} })
}

// insertRows inserts n rows of cols into table, row(i) giving the i-th,
// 500 rows a statement and 100 statements a transaction.
func insertRows(ctx context.Context, db *sql.DB, postgres bool, table string, cols []string, n int, row func(int) []any) error {
	const perStmt, perTx = 500, 100
	for start := 0; start < n; start += perStmt * perTx {
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return fmt.Errorf("bench: raw insert into %s: %w", table, err)
		}
		for s := start; s < min(n, start+perStmt*perTx); s += perStmt {
			end := min(n, s+perStmt)
			var q strings.Builder
			q.WriteString("INSERT INTO " + table + " (" + strings.Join(cols, ", ") + ") VALUES ")
			args := make([]any, 0, (end-s)*len(cols))
			for i := s; i < end; i++ {
				if i > s {
					q.WriteString(", ")
				}
				q.WriteByte('(')
				for c := range cols {
					if c > 0 {
						q.WriteString(", ")
					}
					if postgres {
						q.WriteString("$" + strconv.Itoa(len(args)+c+1))
					} else {
						q.WriteByte('?')
					}
				}
				q.WriteByte(')')
				args = append(args, row(i)...)
			}
			if _, err := tx.ExecContext(ctx, q.String(), args...); err != nil {
				tx.Rollback()
				return fmt.Errorf("bench: raw insert into %s: %w", table, err)
			}
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("bench: raw insert into %s: %w", table, err)
		}
	}
	return nil
}
