package scim

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
	"github.com/google/uuid"

	"github.com/acme/directory/access"
	"github.com/acme/directory/ent"
	"github.com/acme/directory/ent/group"
	"github.com/acme/directory/ent/membership"
	"github.com/acme/directory/ent/user"
	"github.com/acme/directory/fault"
	"github.com/acme/directory/store"
)

// The hot reads of one user (GET /Users/{id} and the look-up by userName
// that provisioning clients send before every create) are one statement:
// the user's row joined with its groups, its text built once per dialect
// (so SQLite runs it from the connection's prepared statements and no
// query builder runs per request), read into an ent.User by a scan plan
// derived once from ent's columns. Through ent the same read was two
// statements (the user, then its groups), and building ent's query with
// its privacy filter cost about as much as running it.
//
// On a direct PostgreSQL connection the statements are prepared once per
// connection (store.Prepared): parsing and planning the join was most of
// the database's work per request.
//
// The statement applies what the privacy rules apply to a directory token
// (the only viewer of SCIM): the row's organization and directory are the
// token's.

// userReads are the statement texts of the hot reads of one dialect.
type userReads struct {
	// byID and byKey read a user with its groups (one row a group, in no
	// order), by id or by user_name_key; the plain ones read the user
	// alone, for a request that does not want the groups.
	byID, byKey, plainByID, plainByKey string
	// members reads the first page of a group's members (memberPage),
	// membersAfter the page after a user id.
	members, membersAfter string
}

// newUserReads builds the statements of dialect dia.
func newUserReads(dia string) userReads {
	r := userReads{members: memberPageQuery(dia, false), membersAfter: memberPageQuery(dia, true)}
	build := func(by string, groups bool) string {
		b := entsql.Dialect(dia)
		u := b.Table(user.Table).As("u")
		cols := make([]string, 0, len(user.Columns)+2)
		for _, c := range user.Columns {
			cols = append(cols, u.C(c))
		}
		where := entsql.And(entsql.EQ(u.C(by), ""), entsql.EQ(u.C(user.FieldDirectoryID), ""),
			entsql.EQ(u.C(user.FieldOrganizationID), ""))
		if !groups {
			q, _ := b.Select(cols...).From(u).Where(where).Query()
			return q
		}
		m, g := b.Table(membership.Table).As("m"), b.Table(group.Table).As("g")
		cols = append(cols, g.C(group.FieldID), g.C(group.FieldDisplayName))
		q, _ := b.Select(cols...).From(u).
			LeftJoin(m).On(m.C(membership.FieldUserID), u.C(user.FieldID)).
			LeftJoin(g).On(g.C(group.FieldID), m.C(membership.FieldGroupID)).
			Where(where).Query()
		return q
	}
	r.byID, r.byKey = build(user.FieldID, true), build(user.FieldUserNameKey, true)
	r.plainByID, r.plainByKey = build(user.FieldID, false), build(user.FieldUserNameKey, false)
	return r
}

// memberPageQuery is the statement of a page of a group's members in user
// id order, after a user id when after is set, with one member more to
// tell whether a next page follows (memberPage). It reads memberships
// alone, in the order of their primary key: each keeps its user's display
// (membership.display), where a look-up of the user per member was most
// of the cost of a group GET (issue 17).
//
// The page comes back as one row, its members packed into one string
// (unpackMembers) and their count: read row by row, the drivers' work per
// row and column (on SQLite a dozen library calls, each taking the
// connection's mutex) cost more than the read itself. The subquery picks
// the page; the aggregate is not told its order (on SQLite that sorted the
// page again, in a temporary b-tree), and unpackMembers sorts the page
// when the members did not arrive in order.
func memberPageQuery(dia string, after bool) string {
	b := entsql.Dialect(dia)
	m := b.Table(membership.Table)
	where := entsql.EQ(m.C(membership.FieldGroupID), "")
	if after {
		where = entsql.And(where, entsql.GT(m.C(membership.FieldUserID), ""))
	}
	page, _ := b.Select(m.C(membership.FieldUserID), m.C(membership.FieldDisplay)).From(m).
		Where(where).OrderBy(m.C(membership.FieldUserID)).Limit(memberPageSize + 1).Query()
	agg, id := "group_concat", `"user_id"`
	if dia == dialect.Postgres {
		agg, id = "string_agg", `"user_id"::text`
	}
	return `SELECT count(*), ` + agg + `(` + id + ` || octet_length("display") || ':' || "display", '') FROM (` + page + `) AS p`
}

// unpackMembers splits the n members packed by memberPageQuery: each is its
// user id (36 characters), its display's length in bytes, a colon and the
// display. The members' strings share packed's memory.
func unpackMembers(packed string, n int) ([]member, error) {
	page := make([]member, 0, n)
	for len(packed) > 0 {
		if len(packed) < 38 || packed[8] != '-' {
			return nil, errPacked
		}
		id, rest := packed[:36], packed[36:]
		colon := strings.IndexByte(rest, ':')
		if colon < 1 {
			return nil, errPacked
		}
		size, err := strconv.Atoi(rest[:colon])
		if err != nil || size < 0 || size > len(rest)-colon-1 {
			return nil, errPacked
		}
		page = append(page, member{Value: id, Display: rest[colon+1 : colon+1+size]})
		packed = rest[colon+1+size:]
	}
	if len(page) != n {
		return nil, errPacked
	}
	byID := func(a, b member) int { return strings.Compare(a.Value, b.Value) }
	if !slices.IsSortedFunc(page, byID) {
		slices.SortFunc(page, byID)
	}
	return page, nil
}

// errPacked is a page of members that unpackMembers cannot read.
var errPacked = errors.New("malformed page of members")

// readUser reads the user of the caller's directory whose column (id or
// user_name_key) is val, with its groups when groups is set; nil when
// there is none.
func (s *Server) readUser(ctx context.Context, byID bool, val any, groups bool) (*ent.User, []groupRef, error) {
	v := access.FromContext(ctx)
	if v == nil || v.DirectoryID == uuid.Nil {
		return nil, nil, fault.Errorf(fault.Forbidden, "no directory token")
	}
	var q string
	switch {
	case byID && groups:
		q = s.reads.byID
	case byID:
		q = s.reads.plainByID
	case groups:
		q = s.reads.byKey
	default:
		q = s.reads.plainByKey
	}
	rows, err := s.client.QueryContext(store.Prepared(ctx), q, val, v.DirectoryID, v.OrganizationID)
	if err != nil {
		return nil, nil, fmt.Errorf("read user: %w", err)
	}
	defer rows.Close()
	var (
		u    *ent.User
		refs []groupRef
		gid  uuid.NullUUID
		name sql.NullString
	)
	var skip []any // the user's columns of the rows after the first
	for rows.Next() {
		if u == nil {
			u = new(ent.User)
			dest, assign := userScanPlan.dest(u)
			if groups {
				dest = append(dest, &gid, &name)
			}
			if err := rows.Scan(dest...); err != nil {
				return nil, nil, fmt.Errorf("read user: %w", err)
			}
			if err := assign(); err != nil {
				return nil, nil, fmt.Errorf("read user: %w", err)
			}
		} else {
			if skip == nil {
				skip = make([]any, len(user.Columns), len(user.Columns)+2)
				for i := range skip {
					skip[i] = discard{}
				}
				skip = append(skip, &gid, &name)
			}
			if err := rows.Scan(skip...); err != nil {
				return nil, nil, fmt.Errorf("read user: %w", err)
			}
		}
		if gid.Valid {
			refs = append(refs, groupRef{ID: gid.UUID.String(), Name: name.String})
		}
	}
	if err := rows.Err(); err != nil {
		return nil, nil, fmt.Errorf("read user: %w", err)
	}
	// In id order, as groupsOf reads them: sorted here, not by the
	// statement, which would sort on the database (a temporary b-tree on
	// SQLite) what is a handful of rows.
	slices.SortFunc(refs, func(a, b groupRef) int { return strings.Compare(a.ID, b.ID) })
	return u, refs, nil
}

// discard is a scan destination that keeps nothing.
type discard struct{}

// Scan drops the value.
func (discard) Scan(any) error { return nil }

// scanPlan reads the columns of user.Columns, in that order, into an
// ent.User: each column into the field whose json tag is its name (ent
// generates them so), as ent's own scanning does (NULL leaves the zero
// value; JSON columns are decoded).
type scanPlan struct {
	fields []scanField
}

// scanField is one column's field and how it is scanned.
type scanField struct {
	index int
	kind  reflect.Kind // String, Bool, Int, Struct (time or UUID), Slice or Map (JSON)
	uuid  bool
}

var (
	timeType = reflect.TypeFor[time.Time]()
	uuidType = reflect.TypeFor[uuid.UUID]()
)

// userScanPlan is the plan of ent.User.
var userScanPlan = newScanPlan(reflect.TypeFor[ent.User](), user.Columns)

// newScanPlan derives the plan of the columns cols of struct t. A column
// without a field, or a field of a type it cannot scan, is a programming
// error found when the package loads.
func newScanPlan(t reflect.Type, cols []string) scanPlan {
	byTag := map[string]int{}
	for i := range t.NumField() {
		f := t.Field(i)
		if tag := f.Tag.Get("json"); tag != "" {
			name, _, _ := cutComma(tag)
			byTag[name] = i
		}
	}
	var p scanPlan
	for _, c := range cols {
		i, ok := byTag[c]
		if !ok {
			panic("scim: no field of " + t.Name() + " for column " + c)
		}
		ft := t.Field(i).Type
		f := scanField{index: i, kind: ft.Kind()}
		switch {
		case ft == uuidType:
			f.uuid = true
		case ft == timeType, f.kind == reflect.String, f.kind == reflect.Bool, f.kind == reflect.Int,
			f.kind == reflect.Slice, f.kind == reflect.Map:
		default:
			panic("scim: cannot scan column " + c + " of type " + ft.String())
		}
		p.fields = append(p.fields, f)
	}
	return p
}

func cutComma(s string) (string, string, bool) {
	for i := range len(s) {
		if s[i] == ',' {
			return s[:i], s[i+1:], true
		}
	}
	return s, "", false
}

// dest returns the scan destinations of one row into e (a pointer to the
// plan's struct), and assign, which moves the scanned values into e's
// fields once the row is scanned.
func (p scanPlan) dest(e any) (dest []any, assign func() error) {
	v := reflect.ValueOf(e).Elem()
	dest = make([]any, len(p.fields), len(p.fields)+2)
	for i, f := range p.fields {
		switch {
		case f.uuid:
			dest[i] = v.Field(f.index).Addr().Interface()
		case f.kind == reflect.String:
			dest[i] = new(sql.NullString)
		case f.kind == reflect.Bool:
			dest[i] = new(sql.NullBool)
		case f.kind == reflect.Int:
			dest[i] = new(sql.NullInt64)
		case f.kind == reflect.Struct:
			dest[i] = new(sql.NullTime)
		default:
			dest[i] = new([]byte)
		}
	}
	return dest, func() error {
		for i, f := range p.fields {
			fv := v.Field(f.index)
			switch d := dest[i].(type) {
			case *sql.NullString:
				fv.SetString(d.String)
			case *sql.NullBool:
				fv.SetBool(d.Bool)
			case *sql.NullInt64:
				fv.SetInt(d.Int64)
			case *sql.NullTime:
				fv.Set(reflect.ValueOf(d.Time))
			case *[]byte:
				if len(*d) > 0 {
					if err := json.Unmarshal(*d, fv.Addr().Interface()); err != nil {
						return fmt.Errorf("column %d: %w", i, err)
					}
				}
			}
		}
		return nil
	}
}
