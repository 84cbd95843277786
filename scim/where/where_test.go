package where_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/acme/directory/ent/group"
	"github.com/acme/directory/ent/user"
	"github.com/acme/directory/fault"
	"github.com/acme/directory/scim/filter"
	"github.com/acme/directory/scim/where"
	"github.com/acme/directory/store"
	"github.com/acme/directory/store/storetest"
)

// userCases are filters with the exact set of userNames each selects from
// the fixture.
var userCases = []struct {
	filter string
	want   []string
}{
	// userName: case-insensitive, on the key column.
	{`userName eq "alice.smith"`, []string{alice}},
	{`USERNAME EQ "ALICE.SMITH"`, []string{alice}},
	{`userName ne "BOB"`, except(bob)},
	{`userName sw "CAROL"`, []string{carol, carolx}},
	{`userName co "_100%"`, []string{carol}},
	{`userName ew "100%"`, []string{carol}},
	{`userName co "ol_"`, []string{carol}},
	{`userName gt "dave"`, []string{eve, frank, grace}},
	{`userName le "BOB"`, []string{alice, bob}},
	{`userName pr`, allUsers},
	{`urn:ietf:params:scim:schemas:core:2.0:User:userName eq "bob"`, []string{bob}},

	// externalId: case-exact on both databases.
	{`externalId eq "ext-b2"`, []string{bob}},
	{`externalId eq "EXT-B2"`, []string{carolx}},
	{`externalId sw "EXT"`, []string{alice, carolx}},
	{`externalId co "B2"`, []string{carolx}},
	{`externalId ew "-b2"`, []string{bob}},
	{`externalId gt "ext"`, []string{bob, carol}},
	{`externalId pr`, []string{alice, bob, carol, carolx}},
	{`not (externalId pr)`, []string{dave, eve, frank, grace}},

	// Absent values: NULL and "".
	{`title eq "ENGINEER"`, []string{alice, eve}},
	{`title ne "engineer"`, except(alice, eve)},
	{`not (title eq "engineer")`, except(alice, eve)},
	{`title pr`, []string{alice, dave, eve, carolx, frank}},
	{`title eq null`, []string{bob, carol, grace}},
	{`title eq ""`, []string{bob, carol, grace}},
	{`title ne null`, []string{alice, dave, eve, carolx, frank}},
	{`title co "Engineer"`, []string{alice, dave, eve}},
	{`title sw "senior"`, []string{dave}},
	{`title ew "GINEER"`, []string{alice, dave, eve}},
	{`title gt "f"`, []string{dave, carolx, frank}},
	{`title lt "f"`, []string{alice, eve}},
	{`not (title lt "f")`, except(alice, eve)},
	{`not (title co "x") and not (title pr)`, []string{bob, carol, grace}},

	// Booleans.
	{`active eq true`, except(carol, frank)},
	{`active eq false`, []string{carol, frank}},
	{`active ne true`, []string{carol, frank}},
	{`not (active eq true) and userName sw "c"`, []string{carol}},
	{`active pr`, allUsers},

	// Complex single-valued attributes.
	{`name.familyName eq "SMITH"`, []string{alice}},
	{`name.givenName sw "b" or name.familyName co "'bri"`, []string{bob, carol}},
	{`name pr`, []string{alice, bob, carol}},
	{`name[givenName eq "alice" or familyName eq "jones"]`, []string{alice, bob}},
	{`nickName eq "gracie" and locale eq "EN-us" and timezone pr`, []string{grace}},

	// Multi-valued attributes.
	{`emails eq "bob@work.example"`, []string{bob}},
	{`emails.value co "@WORK.example"`, []string{alice, bob, eve, grace}},
	{`emails.type eq "home"`, []string{alice, carol}},
	{`emails[type eq "work" and primary eq true]`, []string{alice, grace}},
	{`emails[type eq "work"].value eq "eve@work.example"`, []string{eve}},
	{`emails[type eq "work" and value co "@work"] and not (emails[primary eq true])`, []string{bob}},
	{`emails pr`, []string{alice, bob, carol, eve, carolx, grace}},
	{`not (emails pr)`, []string{dave, frank}},
	{`emails.primary eq false`, []string{alice, bob, eve, carolx}},
	{`emails ne "alice@work.example"`, except(alice)},
	{`emails.type eq null`, []string{dave, carolx, frank}}, // no element has a type
	{`emails[not (type eq "work")]`, []string{alice, carol, eve, carolx}},
	{`emails[display eq "grace w"]`, []string{grace}},
	{`emails.display pr`, []string{grace}},
	{`addresses[country eq "fr" and primary eq true]`, []string{alice}},
	{`addresses.locality eq "BERLIN"`, []string{bob}},
	{`phoneNumbers.value sw "+33"`, []string{alice}},
	{`roles eq "ADMIN"`, []string{alice}},
	{`entitlements.value eq "premium"`, []string{grace}},
	{`ims[type eq "xmpp"]`, []string{grace}},
	{`x509Certificates.value eq "MIIB"`, []string{grace}},
	{`x509Certificates.value eq "miib"`, nil},
	{`groups eq "{group:Engineering}"`, []string{alice, dave, eve}},
	{`groups.value eq "{group:Admins_%}" and not (groups eq "{group:Engineering}")`, []string{frank}},

	// The enterprise extension, qualified and bare.
	{`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq "R&D"`, []string{alice, carol}},
	{`department eq "r&d"`, []string{alice, carol}},
	{`URN:IETF:PARAMS:SCIM:SCHEMAS:EXTENSION:ENTERPRISE:2.0:USER:employeeNumber eq "1001"`, []string{alice}},
	{`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq "{user:Alice.Smith}"`, []string{frank}},
	{`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager eq "{user:Alice.Smith}"`, []string{frank}},
	{`manager.displayName co "jones"`, []string{alice}},

	// Dates compare as instants, whatever zone they were stored in.
	{`meta.created gt "2024-01-10T11:00:00Z"`, except(alice, carolx)},
	{`meta.created lt "2024-01-10T11:00:00Z"`, []string{alice, carolx}},
	{`meta.created eq "2024-03-05T10:00:00Z"`, []string{bob}},
	{`meta.created eq "2024-03-05T11:00:00+01:00"`, []string{bob}},
	{`meta.created ne "2024-03-05T10:00:00Z"`, except(bob)},
	{`meta.created ge "2025-02-01T08:00:00.123456789Z"`, []string{eve, frank, grace}},
	{`meta.created gt "2025-02-01T08:00:00.123456789Z"`, []string{frank, grace}},
	{`meta.created le "2024-01-10T12:00:00Z"`, []string{alice, dave, carolx}},
	{`meta.lastModified pr`, allUsers},
	{`meta.lastModified gt "2000-01-01T00:00:00Z"`, allUsers},

	// ids.
	{`id eq "{user:bob}"`, []string{bob}},
	{`id eq "{USER:bob}"`, []string{bob}},
	{`id eq "not-a-uuid"`, nil},
	{`id ne "not-a-uuid"`, allUsers},
	{`id ne "{user:bob}"`, except(bob)},
	{`id pr`, allUsers},

	// Logic and precedence.
	{`(userName eq "bob" or userName eq "eve") and active eq true`, []string{bob, eve}},
	{`userName eq "bob" or userName eq "eve" and active eq false`, []string{bob}},
	{`not (userName sw "c" or title pr)`, []string{bob, grace}},
	{`not (not (department eq "sales"))`, []string{bob}},
}

func TestUsers(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		f := seed(t, s)
		for _, tc := range userCases {
			t.Run(tc.filter, func(t *testing.T) {
				e, err := filter.Parse(f.expand(tc.filter))
				if err != nil {
					t.Fatalf("parse: %v", err)
				}
				p, err := where.Users(e)
				if err != nil {
					t.Fatalf("where.Users: %v", err)
				}
				got, err := s.Client.User.Query().Where(user.DirectoryID(f.dir), p).
					Select(user.FieldUserName).Strings(f.ctx)
				if err != nil {
					t.Fatalf("query: %v", err)
				}
				assertSet(t, got, tc.want)
				// The handler counts, then lists, with the same predicate.
				n, err := s.Client.User.Query().Where(user.DirectoryID(f.dir), p).Count(f.ctx)
				if err != nil || n != len(tc.want) {
					t.Errorf("count = %d, %v; want %d", n, err, len(tc.want))
				}
			})
		}
	})
}

// groupCases are filters with the exact set of group names each selects.
var groupCases = []struct {
	filter string
	want   []string
}{
	{`displayName eq "ENGINEERING"`, []string{engineering}},
	{`DisplayName sw "e"`, []string{engineering, emptyGroup}},
	{`displayName co "_%"`, []string{admins}},
	{`displayName ne "sales"`, []string{engineering, emptyGroup, admins}},
	{`urn:ietf:params:scim:schemas:core:2.0:Group:displayName eq "Sales"`, []string{sales}},
	{`members eq "{user:Alice.Smith}"`, []string{engineering, admins}},
	{`members.value eq "{user:bob}"`, []string{sales}},
	{`members[value eq "{user:Frank}"]`, []string{admins}},
	{`members eq "{user:Alice.Smith}" and members eq "{user:Dave}"`, []string{engineering}},
	{`members ne "{user:Alice.Smith}"`, []string{sales, emptyGroup}},
	{`members eq "not-a-uuid"`, nil},
	{`members pr`, []string{engineering, sales, admins}},
	{`not (members pr)`, []string{emptyGroup}},
	{`externalId eq "G-ENG"`, []string{engineering}},
	{`externalId eq "g-eng"`, nil},
	{`externalId sw "g-"`, []string{sales}},
	{`externalId eq null`, []string{emptyGroup, admins}},
	{`id eq "{group:sales}"`, []string{sales}},
	{`meta.created pr`, allGroups},
	{`meta.created gt "2000-01-01T00:00:00Z" and displayName gt "f"`, []string{sales}},
}

func TestGroups(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		f := seed(t, s)
		for _, tc := range groupCases {
			t.Run(tc.filter, func(t *testing.T) {
				e, err := filter.Parse(f.expand(tc.filter))
				if err != nil {
					t.Fatalf("parse: %v", err)
				}
				p, err := where.Groups(e)
				if err != nil {
					t.Fatalf("where.Groups: %v", err)
				}
				got, err := s.Client.Group.Query().Where(group.DirectoryID(f.dir), p).
					Select(group.FieldDisplayName).Strings(f.ctx)
				if err != nil {
					t.Fatalf("query: %v", err)
				}
				assertSet(t, got, tc.want)
			})
		}
	})
}

// invalidCases are filters that parse but cannot be applied; the error must
// be fault.Invalid and mention the text in want.
var invalidCases = []struct {
	groups bool
	filter string
	want   string
}{
	{false, `foo eq "x"`, `"foo"`},
	{false, `name eq "x"`, `"name" is complex`},
	{false, `active eq "yes"`, `active is a boolean`},
	{false, `active gt true`, `only eq, ne and pr`},
	{false, `userName gt true`, `userName is a string`},
	{false, `title eq 1`, `not a number`},
	{false, `title gt null`, `null can only be compared with eq or ne`},
	{false, `meta.created gt "yesterday"`, `not an RFC 3339 dateTime`},
	{false, `meta.created co "2024"`, `meta.created is a dateTime`},
	{false, `meta.created eq true`, `meta.created is a dateTime string`},
	{false, `meta.version eq "W/\"1\""`, `"meta.version" cannot be filtered`},
	{false, `addresses eq "x"`, `"addresses" has no value`},
	{false, `emails[foo eq "x"]`, `"emails.foo"`},
	{false, `emails.foo eq "x"`, `"emails.foo"`},
	{false, `emails[primary eq "yes"]`, `emails.primary is a boolean`},
	{false, `emails[primary co "t"]`, `only eq, ne and pr`},
	{false, `title[value eq "x"]`, `"title" is neither multi-valued nor complex`},
	{false, `userName.foo eq "x"`, `"userName.foo"`},
	{false, `urn:example:params:foo:bar eq "x"`, `unknown schema "urn:example:params:foo"`},
	{false, `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:userName eq "x"`, `unknown attribute`},
	{false, `urn:ietf:params:scim:schemas:core:2.0:User:department eq "x"`, `unknown attribute`},
	{false, `id gt 5`, `id is an id string`},
	{false, `emails[type eq "work"] and foo pr`, `"foo"`},
	{true, `members.display eq "x"`, `"members.display"`},
	{true, `members eq 5`, `members.value is an id string`},
	{true, `userName eq "x"`, `"userName"`},
	{true, `urn:ietf:params:scim:schemas:core:2.0:User:displayName eq "x"`, `unknown schema`},
}

func TestInvalid(t *testing.T) {
	for _, tc := range invalidCases {
		t.Run(tc.filter, func(t *testing.T) {
			e, err := filter.Parse(tc.filter)
			if err != nil {
				t.Fatalf("parse: %v", err)
			}
			if tc.groups {
				_, err = where.Groups(e)
			} else {
				_, err = where.Users(e)
			}
			assertInvalid(t, err, tc.want)
		})
	}
	t.Run("nil", func(t *testing.T) {
		_, err := where.Users(nil)
		assertInvalid(t, err, "empty filter")
	})
}

func assertInvalid(t *testing.T, err error, want string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want one mentioning %q", want)
	}
	if fault.CodeOf(err) != fault.Invalid {
		t.Errorf("code %q (%v), want %q", fault.CodeOf(err), err, fault.Invalid)
	}
	if !strings.Contains(err.Error(), want) {
		t.Errorf("error %q does not mention %q", err, want)
	}
}

// assertSet compares as sets, printing both sides sorted.
func assertSet(t *testing.T, got, want []string) {
	t.Helper()
	got, want = slices.Sorted(slices.Values(got)), slices.Sorted(slices.Values(want))
	if !slices.Equal(got, want) {
		t.Errorf("got  %q\nwant %q", got, want)
	}
}

// TestHandBuilt checks trees the parser never produces but a caller could
// build: they are refused, not turned into broken SQL.
func TestHandBuilt(t *testing.T) {
	title := filter.AttrPath{Name: "title"}
	for name, e := range map[string]filter.Expr{
		"unknown operator": &filter.Compare{Attr: title, Op: "xx", Value: filter.StringValue("a")},
		"zero value":       &filter.Compare{Attr: title, Op: filter.OpEq},
		"nil operand":      &filter.And{Left: &filter.Present{Attr: title}},
		"nil bracket":      &filter.ValuePath{Attr: filter.AttrPath{Name: "emails"}},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := where.Users(e)
			if fault.CodeOf(err) != fault.Invalid {
				t.Errorf("err = %v, want a fault.Invalid error", err)
			}
		})
	}
}
