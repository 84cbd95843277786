// Package where translates parsed SCIM filters (package scim/filter) into SQL
// predicates for ent queries of users and groups, and SCIM sortBy paths into
// ORDER BY terms, so that a directory is filtered and sorted by the database
// and never loaded into memory.
//
// The same predicate runs on SQLite (ent dialect "sqlite3") and PostgreSQL:
// the SQL is chosen when the query is built, from the selector's dialect, and
// every value is a bound argument.
//
// The attributes, their columns, how each compares and whether it sorts
// come from the tables of package scim/attrs (attrs.User, attrs.Group);
// only the memberships behind a user's groups and a group's members are
// described here.
//
// # Semantics
//
// The operators are those of RFC 7644 §3.4.2.2. Every predicate this package
// writes is two-valued (TRUE or FALSE, never NULL), so "not" and "ne" are
// exact complements of what they negate:
//
//   - An absent attribute (NULL or "") never matches eq, co, sw, ew, gt, ge,
//     lt or le, and always matches ne: a user without a title is "not equal"
//     to "x". `x eq null` and `x eq ""` mean "x is not present".
//   - co, sw and ew are LIKE patterns with the value's %, _ and the escape
//     character matched literally; case-exact attributes (externalId) use
//     instr and substr on SQLite, whose LIKE ignores ASCII case.
//   - Case-insensitive attributes compare lower(column) with lower(value),
//     lower-casing all of Unicode on both databases (a Go function
//     registered with SQLite, whose own lower() folds ASCII only; ICU's
//     root collation on PostgreSQL, whatever the database's locale);
//     userName and group displayName compare their folded key columns with
//     schematype.FoldKey(value), so eq uses the unique index.
//   - gt, ge, lt and le compare strings by code point on both databases
//     (COLLATE "C" on PostgreSQL), meta.created and meta.lastModified as
//     instants (the value must be an RFC 3339 dateTime). Booleans accept eq,
//     ne and pr only.
//   - Multi-valued attributes (emails, phoneNumbers, ims, photos,
//     entitlements, roles, x509Certificates, addresses, group members, user
//     groups) are EXISTS subqueries over their elements: emails eq "x" and
//     emails.value eq "x" mean "some element's value is x", and
//     emails[type eq "work" and primary eq true] means one element satisfying
//     the whole bracket. "emails ne x" is the complement of "emails eq x" (no
//     element is x), while inside brackets ne applies to each element.
//     "emails pr" is a non-empty array.
//   - id and members.value are UUIDs: eq with a value that is not a UUID
//     matches nothing; co, sw, ew and the ordering operators compare the
//     canonical lower-case text.
//
// Errors are *fault.Error with code fault.Invalid, naming the attribute and
// the reason; the SCIM layer answers 400 with scimType "invalidFilter".
//
// Time columns on SQLite are text: the store opens SQLite with modernc's
// _time_format=sqlite and _timezone=UTC (store.SQLiteDSN), so every time,
// stored or passed as an argument, is "2006-01-02 15:04:05.999999999+00:00"
// in UTC, and text order is time order (a trimmed fraction still sorts
// right: '+' sorts before '.' and the digits). This package compares and
// sorts the columns as they are. A store DSN that changes either option
// breaks that (the tests fail if it does).
package where
