package store

import (
	"fmt"
	"slices"
	"strings"

	"ariga.io/atlas/sql/migrate"
	atlas "ariga.io/atlas/sql/schema"
	"entgo.io/ent/dialect"
)

// This file is the one place that declares the database objects that
// hand-written migrations create and the ent schema cannot describe: the
// triggers (and, on PostgreSQL, the functions they run) that keep each
// directory's user_total and group_total, created by migration
// list_indexes_counts. ent and atlas know nothing of them, so nothing in a
// generated migration keeps them:
//
//   - On SQLite, atlas makes most table changes by rebuilding the table
//     (CREATE TABLE new_x, copy the rows, DROP TABLE x, rename new_x to x):
//     dropping the table drops its triggers, silently, and the totals stop
//     following the rows. Rebuilding a table that a trigger's body names
//     (directories) fails outright: SQLite re-checks every trigger when
//     new_directories is renamed, while no directories table exists.
//   - On PostgreSQL, ALTER TABLE keeps a table's triggers and no table is
//     ever rebuilt; only DROP TABLE loses them (functions survive it).
//
// The migration generator (GenerateMigration, KeepHandTriggers) therefore
// drops these triggers at the start of a generated migration that names one
// of their tables, and re-creates them from here, with the totals counted
// again, at its end. TestHandTriggersAreDeclared fails when a migration
// creates a trigger or function not declared here, and
// TestHandTriggersMatchDatabase when a declaration differs from what the
// migrations leave in the database: a new hand-written trigger goes into a
// migration and here, with the same text.

// HandTrigger is a trigger that a hand-written migration creates.
type HandTrigger struct {
	// Name is the trigger's name.
	Name string
	// Table is the table the trigger fires on.
	Table string
	// Create is the CREATE TRIGGER statement, as the migration wrote it
	// (without its final semicolon: SQLite keeps this text in its schema).
	Create string
}

// HandFunction is a PostgreSQL function that hand-written triggers run.
type HandFunction struct {
	// Name is the function's name.
	Name string
	// Create is a CREATE OR REPLACE FUNCTION statement defining it as its
	// migration did.
	Create string
}

// HandObjects are the hand-written triggers of one dialect, with what they
// need and what they maintain.
type HandObjects struct {
	// Dialect is dialect.SQLite or dialect.Postgres.
	Dialect string
	// Functions are the functions the triggers run (PostgreSQL).
	Functions []HandFunction
	// Triggers are the triggers, in the order they are created.
	Triggers []HandTrigger
	// Writes are the tables the triggers' bodies write to, besides the
	// tables they fire on.
	Writes []string
	// Recount sets the values the triggers maintain from the rows, for
	// when the triggers were off while rows changed.
	Recount string
}

// sqliteTriggers are the SQLite triggers of migration
// 20261202001115_list_indexes_counts: one row-level trigger per table and
// operation.
var sqliteTriggers = HandObjects{
	Dialect: dialect.SQLite,
	Triggers: []HandTrigger{
		{Name: "users_total_insert", Table: "users",
			Create: "CREATE TRIGGER `users_total_insert` AFTER INSERT ON `users` BEGIN UPDATE `directories` SET `user_total` = `user_total` + 1 WHERE `id` = NEW.`directory_id`; END"},
		{Name: "users_total_delete", Table: "users",
			Create: "CREATE TRIGGER `users_total_delete` AFTER DELETE ON `users` BEGIN UPDATE `directories` SET `user_total` = `user_total` - 1 WHERE `id` = OLD.`directory_id`; END"},
		{Name: "groups_total_insert", Table: "groups",
			Create: "CREATE TRIGGER `groups_total_insert` AFTER INSERT ON `groups` BEGIN UPDATE `directories` SET `group_total` = `group_total` + 1 WHERE `id` = NEW.`directory_id`; END"},
		{Name: "groups_total_delete", Table: "groups",
			Create: "CREATE TRIGGER `groups_total_delete` AFTER DELETE ON `groups` BEGIN UPDATE `directories` SET `group_total` = `group_total` - 1 WHERE `id` = OLD.`directory_id`; END"},
	},
	Writes:  []string{"directories"},
	Recount: "UPDATE `directories` SET `user_total` = (SELECT count(*) FROM `users` WHERE `users`.`directory_id` = `directories`.`id`), `group_total` = (SELECT count(*) FROM `groups` WHERE `groups`.`directory_id` = `directories`.`id`)",
}

// postgresTriggers are the PostgreSQL functions and statement-level
// triggers of migrations 20261202001116_list_indexes_counts and
// 20261206084500_events_notify.
var postgresTriggers = HandObjects{
	Dialect: dialect.Postgres,
	Functions: []HandFunction{
		{Name: "directory_user_total", Create: `CREATE OR REPLACE FUNCTION "directory_user_total"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    UPDATE "directories" d SET "user_total" = d."user_total" + n.c
      FROM (SELECT "directory_id", count(*) AS c FROM new_rows GROUP BY "directory_id") n WHERE d."id" = n."directory_id";
  ELSE
    UPDATE "directories" d SET "user_total" = d."user_total" - o.c
      FROM (SELECT "directory_id", count(*) AS c FROM old_rows GROUP BY "directory_id") o WHERE d."id" = o."directory_id";
  END IF;
  RETURN NULL;
END $$`},
		{Name: "directory_group_total", Create: `CREATE OR REPLACE FUNCTION "directory_group_total"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    UPDATE "directories" d SET "group_total" = d."group_total" + n.c
      FROM (SELECT "directory_id", count(*) AS c FROM new_rows GROUP BY "directory_id") n WHERE d."id" = n."directory_id";
  ELSE
    UPDATE "directories" d SET "group_total" = d."group_total" - o.c
      FROM (SELECT "directory_id", count(*) AS c FROM old_rows GROUP BY "directory_id") o WHERE d."id" = o."directory_id";
  END IF;
  RETURN NULL;
END $$`},
		{Name: "directory_events_notify", Create: `CREATE OR REPLACE FUNCTION "directory_events_notify"() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  org uuid;
BEGIN
  FOR org IN SELECT DISTINCT "organization_id" FROM new_rows LOOP
    PERFORM pg_notify('directory_events', org::text);
  END LOOP;
  RETURN NULL;
END $$`},
	},
	Triggers: []HandTrigger{
		{Name: "users_total_insert", Table: "users",
			Create: `CREATE TRIGGER "users_total_insert" AFTER INSERT ON "users" REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION "directory_user_total"()`},
		{Name: "users_total_delete", Table: "users",
			Create: `CREATE TRIGGER "users_total_delete" AFTER DELETE ON "users" REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION "directory_user_total"()`},
		{Name: "groups_total_insert", Table: "groups",
			Create: `CREATE TRIGGER "groups_total_insert" AFTER INSERT ON "groups" REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION "directory_group_total"()`},
		{Name: "groups_total_delete", Table: "groups",
			Create: `CREATE TRIGGER "groups_total_delete" AFTER DELETE ON "groups" REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION "directory_group_total"()`},
		// Migration 20261206084500_events_notify: the NOTIFY of a
		// transaction that records events (domain.NotifyChannel).
		{Name: "events_notify", Table: "events",
			Create: `CREATE TRIGGER "events_notify" AFTER INSERT ON "events" REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION "directory_events_notify"()`},
	},
	Writes:  []string{"directories"},
	Recount: `UPDATE "directories" SET "user_total" = (SELECT count(*) FROM "users" WHERE "users"."directory_id" = "directories"."id"), "group_total" = (SELECT count(*) FROM "groups" WHERE "groups"."directory_id" = "directories"."id")`,
}

// HandTriggers returns the hand-written triggers of the dialect.
func HandTriggers(dia string) HandObjects {
	if dia == dialect.Postgres {
		return postgresTriggers
	}
	return sqliteTriggers
}

// Tables lists, sorted, the tables the triggers fire on or write to: a
// change to any of them may lose the triggers or break them.
func (h HandObjects) Tables() []string {
	tables := slices.Clone(h.Writes)
	for _, t := range h.Triggers {
		tables = append(tables, t.Table)
	}
	slices.Sort(tables)
	return slices.Compact(tables)
}

// DropStatements drop the triggers if they exist.
func (h HandObjects) DropStatements() []string {
	out := make([]string, len(h.Triggers))
	for i, t := range h.Triggers {
		out[i] = "DROP TRIGGER IF EXISTS " + h.quote(t.Name)
		if h.Dialect == dialect.Postgres {
			out[i] += " ON " + h.quote(t.Table)
		}
	}
	return out
}

// CreateStatements (re)define the functions, create the triggers (which
// must not exist: run DropStatements first) and count the totals again.
func (h HandObjects) CreateStatements() []string {
	var out []string
	for _, f := range h.Functions {
		out = append(out, f.Create)
	}
	for _, t := range h.Triggers {
		out = append(out, t.Create)
	}
	return append(out, h.Recount)
}

// quote quotes an identifier as atlas writes it in the dialect.
func (h HandObjects) quote(name string) string {
	if h.Dialect == dialect.Postgres {
		return `"` + name + `"`
	}
	return "`" + name + "`"
}

// KeepHandTriggers wraps the formatter of generated migrations (ent's
// schema.WithFormatter) so that a migration of dia that names a table of
// the hand-written triggers (HandObjects.Tables) drops them first and
// re-creates them last, with the totals counted again.
//
// The rule is "names the table", not "rebuilds the table": which changes
// SQLite's planner makes by a rebuild is atlas's choice and varies with its
// version, so a rule that guessed it could miss one; re-creating the
// triggers after a change that kept them costs a few statements in the
// migration's transaction. A statement names a table when it holds the
// table's identifier quoted as atlas writes it; a mere reference (a foreign
// key to users) counts too, which makes the re-creation needless there, not
// wrong. The triggers are dropped before the generated
// statements, not only re-created after, because on SQLite rebuilding a
// table that a trigger's body names fails while the trigger exists. On
// PostgreSQL, where only DROP TABLE loses triggers, the same rule applies:
// there it is redundant for an ALTER TABLE but harmless, and one rule for
// both dialects is one rule to test.
//
// A migration that drops one of these tables without creating it again is
// refused: the triggers would then have nothing to be re-created on, and
// the hand-written objects (here and in a migration) must go first.
func KeepHandTriggers(dia string, next migrate.Formatter) migrate.Formatter {
	return handTriggerFormatter{h: HandTriggers(dia), next: next}
}

type handTriggerFormatter struct {
	h    HandObjects
	next migrate.Formatter
}

// Format formats the plan with the triggers' statements added when it
// names one of their tables.
func (f handTriggerFormatter) Format(plan *migrate.Plan) ([]migrate.File, error) {
	kept, err := f.h.keep(plan)
	if err != nil {
		return nil, err
	}
	return f.next.Format(kept)
}

// keep returns plan with the drops of the triggers before its changes and
// their re-creation after, when a statement of plan names one of their
// tables; otherwise plan itself.
func (h HandObjects) keep(plan *migrate.Plan) (*migrate.Plan, error) {
	tables := h.Tables()
	added, dropped := map[string]bool{}, map[string]bool{}
	var named []string
	for _, c := range plan.Changes {
		switch s := c.Source.(type) {
		case *atlas.AddTable:
			added[s.T.Name] = true
		case *atlas.DropTable:
			dropped[s.T.Name] = true
		}
		for _, t := range tables {
			if !slices.Contains(named, t) && strings.Contains(c.Cmd, h.quote(t)) {
				named = append(named, t)
			}
		}
	}
	for _, t := range tables {
		if dropped[t] && !added[t] {
			return nil, fmt.Errorf("store: migration %q drops table %q, which the hand-written triggers "+
				"of store/triggers.go fire on or write to: drop those triggers in a migration and "+
				"remove them from store/triggers.go first", plan.Name, t)
		}
	}
	if len(named) == 0 {
		return plan, nil
	}
	slices.Sort(named)
	changes := make([]*migrate.Change, 0, len(h.Triggers)+len(plan.Changes)+len(h.Functions)+len(h.Triggers)+1)
	for i, stmt := range h.DropStatements() {
		c := &migrate.Change{Cmd: stmt}
		if i == 0 {
			c.Comment = fmt.Sprintf("drop the hand-written triggers of store/triggers.go while this migration changes %s",
				strings.Join(named, ", "))
		}
		changes = append(changes, c)
	}
	changes = append(changes, plan.Changes...)
	for i, stmt := range h.CreateStatements() {
		c := &migrate.Change{Cmd: stmt}
		if i == 0 {
			c.Comment = "create the hand-written triggers of store/triggers.go again, then count the totals they keep"
		}
		changes = append(changes, c)
	}
	out := *plan
	out.Changes = changes
	return &out, nil
}
