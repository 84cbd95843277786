package where_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/acme/directory/access"
	"github.com/acme/directory/domain"
	"github.com/acme/directory/ent"
	"github.com/acme/directory/ent/schema/schematype"
	"github.com/acme/directory/pgtest"
	"github.com/acme/directory/store"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// fixture is one organization with one directory of seeded users and
// groups, keyed by userName and group displayName.
type fixture struct {
	ctx    context.Context
	client *ent.Client
	org    uuid.UUID
	dir    uuid.UUID
	users  map[string]uuid.UUID
	groups map[string]uuid.UUID
	// displays are the users' membership displays (domain.MemberDisplay).
	displays map[uuid.UUID]string
}

// The seeded userNames, in creation order (so in id order: ids are UUIDv7).
const (
	alice  = "Alice.Smith"
	bob    = "bob"
	carol  = "carol_100%" // LIKE metacharacters in a userName
	dave   = "Dave"
	eve    = "eve"
	carolx = "carolx100" // what an unescaped "carol_100%" pattern would also match
	frank  = "Frank"
	grace  = "grace"
)

var allUsers = []string{alice, bob, carol, dave, eve, carolx, frank, grace}

// The seeded groups.
const (
	engineering = "Engineering"
	sales       = "sales"
	emptyGroup  = "Empty Group"
	admins      = "Admins_%"
)

var allGroups = []string{engineering, sales, emptyGroup, admins}

// at parses an RFC 3339 time for the fixtures; zones other than UTC are on
// purpose: SQLite stores times as text in their own zone.
func at(t testing.TB, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func mv(value, typ string, primary bool) schematype.MultiValue {
	return schematype.MultiValue{Value: value, Type: typ, Primary: primary}
}

// userSeeds configure each seeded user; the fixture sets directory,
// organization and userName. managerID is alice's id, for frank.
func userSeeds(t testing.TB, managerID func() string) map[string]func(*ent.UserCreate) {
	return map[string]func(*ent.UserCreate){
		alice: func(c *ent.UserCreate) {
			c.SetExternalID("EXT-A1").SetGivenName("Alice").SetFamilyName("Smith").
				SetDisplayName("Alice Smith").SetTitle("Engineer").
				SetEmails([]schematype.MultiValue{mv("alice@work.example", "work", true), mv("alice@home.example", "home", false)}).
				SetPrimaryEmail("alice@work.example").
				SetAddresses([]schematype.Address{{Locality: "Paris", Country: "FR", Type: "work", Primary: true}}).
				SetPhoneNumbers([]schematype.MultiValue{mv("+33 1 23 45 67 89", "work", false)}).
				SetScimRoles([]schematype.MultiValue{mv("Admin", "", false)}).
				SetDepartment("R&D").SetEmployeeNumber("1001").SetManagerDisplayName("Bob Jones").
				SetCreatedAt(at(t, "2024-01-10T10:00:00Z"))
		},
		bob: func(c *ent.UserCreate) {
			c.SetExternalID("ext-b2").SetGivenName("Bob").SetFamilyName("Jones").
				SetEmails([]schematype.MultiValue{mv("BOB@Work.Example", "work", false)}).
				SetPrimaryEmail("BOB@Work.Example").
				SetAddresses([]schematype.Address{{Locality: "Berlin", Country: "DE", Type: "home"}}).
				SetDepartment("Sales").
				SetCreatedAt(at(t, "2024-03-05T12:00:00+02:00"))
		},
		carol: func(c *ent.UserCreate) {
			c.SetExternalID("ext-c3").SetFamilyName("O'Brien").SetTitle("").SetActive(false).
				SetEmails([]schematype.MultiValue{mv("carol@home.example", "home", true)}).
				SetPrimaryEmail("carol@home.example").
				SetDepartment("r&d").
				SetCreatedAt(at(t, "2024-06-01T00:00:00Z"))
		},
		dave: func(c *ent.UserCreate) {
			// 12:00 UTC, after alice, though "09:00" sorts before her "10:00" as text.
			c.SetTitle("Senior Engineer").SetCreatedAt(at(t, "2024-01-10T09:00:00-03:00"))
		},
		eve: func(c *ent.UserCreate) {
			c.SetTitle("engineer").
				SetEmails([]schematype.MultiValue{mv("eve@work.example", "work", false), mv("eve@other.example", "other", true)}).
				SetPrimaryEmail("eve@other.example").
				SetCreatedAt(at(t, "2025-02-01T08:00:00.123456789Z"))
		},
		carolx: func(c *ent.UserCreate) {
			c.SetExternalID("EXT-B2").SetTitle("Intern").
				SetEmails([]schematype.MultiValue{{Value: "x@x.example"}}).
				SetPrimaryEmail("x@x.example").
				SetCreatedAt(at(t, "2023-06-01T00:00:00Z"))
		},
		frank: func(c *ent.UserCreate) {
			c.SetTitle("Manager").SetActive(false).SetEmails([]schematype.MultiValue{}).
				SetDepartment("Support").SetManagerID(managerID()).
				SetCreatedAt(at(t, "2025-06-01T00:00:00Z"))
		},
		grace: func(c *ent.UserCreate) {
			c.SetNickName("Gracie").SetLocale("en-US").SetTimezone("Europe/Paris").
				SetEmails([]schematype.MultiValue{{Value: "grace@work.example", Type: "work", Primary: true, Display: "Grace W"}}).
				SetPrimaryEmail("grace@work.example").
				SetEntitlements([]schematype.MultiValue{mv("Premium", "", false)}).
				SetIms([]schematype.MultiValue{mv("grace@chat.example", "xmpp", false)}).
				SetX509Certificates([]schematype.MultiValue{mv("MIIB", "", false)}).
				SetCreatedAt(at(t, "2025-07-01T00:00:00Z"))
		},
	}
}

// groupSeeds are the groups with their members and external ids.
var groupSeeds = []struct {
	name, externalID string
	members          []string
}{
	{engineering, "G-ENG", []string{alice, dave, eve}},
	{sales, "g-sales", []string{bob}},
	{emptyGroup, "", nil},
	{admins, "", []string{alice, frank}},
}

// newOrgDir creates an organization and a directory, and returns them
// with the platform context the fixtures in them are written with: the
// filters are tested on rows no operation makes (chosen timestamps, every
// attribute), written directly (domain.Seeding).
func newOrgDir(t testing.TB, s *store.Store) (context.Context, uuid.UUID, uuid.UUID) {
	t.Helper()
	ctx := access.PlatformContext(context.Background())
	org, err := domain.New(s.Client, s.Dialect).CreateOrganization(ctx, domain.NewOrganization{Name: "Acme"})
	if err != nil {
		t.Fatalf("create organization: %v", err)
	}
	d, err := domain.New(s.Client, s.Dialect).CreateDirectory(ctx, domain.NewDirectory{OrganizationID: org.ID, Provider: "generic"})
	if err != nil {
		t.Fatalf("create directory: %v", err)
	}
	return domain.Seeding(ctx), org.ID, d.Directory.ID
}

// seed fills a fresh store with the fixture's users and groups.
func seed(t testing.TB, s *store.Store) *fixture {
	t.Helper()
	ctx, org, dir := newOrgDir(t, s)
	f := &fixture{ctx: ctx, client: s.Client, org: org, dir: dir,
		users: map[string]uuid.UUID{}, groups: map[string]uuid.UUID{}, displays: map[uuid.UUID]string{}}
	seeds := userSeeds(t, func() string { return f.users[alice].String() })
	for _, name := range allUsers {
		c := s.Client.User.Create().SetOrganizationID(org).SetDirectoryID(dir).SetUserName(name)
		seeds[name](c)
		u, err := c.Save(ctx)
		if err != nil {
			t.Fatalf("create user %s: %v", name, err)
		}
		f.users[name] = u.ID
		f.displays[u.ID] = domain.MemberDisplay(u)
	}
	for _, g := range groupSeeds {
		c := s.Client.Group.Create().SetOrganizationID(org).SetDirectoryID(dir).SetDisplayName(g.name)
		if g.externalID != "" {
			c.SetExternalID(g.externalID)
		}
		grp, err := c.Save(ctx)
		if err != nil {
			t.Fatalf("create group %s: %v", g.name, err)
		}
		f.groups[g.name] = grp.ID
		for _, m := range g.members {
			_, err := s.Client.Membership.Create().SetOrganizationID(org).
				SetGroupID(grp.ID).SetUserID(f.users[m]).SetDisplay(f.displays[f.users[m]]).Save(ctx)
			if err != nil {
				t.Fatalf("add %s to %s: %v", m, g.name, err)
			}
		}
	}
	return f
}

// expand replaces {user:NAME}, {USER:NAME} (upper-case) and {group:NAME}
// in a filter with seeded ids.
func (f *fixture) expand(s string) string {
	for name, id := range f.users {
		s = strings.ReplaceAll(s, "{user:"+name+"}", id.String())
		s = strings.ReplaceAll(s, "{USER:"+name+"}", strings.ToUpper(id.String()))
	}
	for name, id := range f.groups {
		s = strings.ReplaceAll(s, "{group:"+name+"}", id.String())
	}
	return s
}

// except is every seeded user but the given ones.
func except(names ...string) []string {
	var out []string
	for _, u := range allUsers {
		found := false
		for _, n := range names {
			found = found || n == u
		}
		if !found {
			out = append(out, u)
		}
	}
	return out
}
