package domain_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/acme/directory/access"
	"github.com/acme/directory/domain"
	"github.com/acme/directory/ent"
	"github.com/acme/directory/ent/event"
	"github.com/acme/directory/ent/user"
	"github.com/acme/directory/events"
	"github.com/acme/directory/fault"
	"github.com/acme/directory/store"
	"github.com/acme/directory/store/storetest"
)

// outbox reads a tenant's events as a consumer would, from where the
// last read stopped.
type outbox struct {
	t      *testing.T
	client *ent.Client
	org    uuid.UUID
	cursor events.Cursor
	page   int // events per read
}

func newOutbox(t *testing.T, tn *tenant) *outbox {
	o := &outbox{t: t, client: tn.client, org: tn.org.ID, page: events.MaxLimit}
	o.next() // skip the set-up's events
	o.page = 3
	return o
}

// next returns the events written since the last call, paging by o.page.
func (o *outbox) next() []*ent.Event {
	o.t.Helper()
	ctx := access.PlatformContext(context.Background())
	var out []*ent.Event
	for {
		page, more, err := events.After(ctx, o.client, o.org, o.cursor, events.Filter{}, o.page)
		if err != nil {
			o.t.Fatalf("read events: %v", err)
		}
		out = append(out, page...)
		if len(page) > 0 {
			o.cursor = events.Of(page[len(page)-1])
		}
		if !more {
			return out
		}
	}
}

// want is an expected event: its type, subject, and for user.updated or
// *.roles_changed its previous values.
type want struct {
	typ      string
	subject  uuid.UUID
	previous map[string]any // nil: not checked
	roles    []string       // after, for roles_changed / roles in data
}

// expect fails unless the events since the last read are exactly ws, in
// any order.
func (o *outbox) expect(what string, ws ...want) []*ent.Event {
	o.t.Helper()
	got := o.next()
	describe := func() string {
		var b strings.Builder
		for _, e := range got {
			fmt.Fprintf(&b, "\n  %s %s previous=%v", e.Type, e.SubjectID, e.Previous)
		}
		return b.String()
	}
	if len(got) != len(ws) {
		o.t.Fatalf("%s: %d events; want %d:%s", what, len(got), len(ws), describe())
	}
	left := slices.Clone(got)
	for _, w := range ws {
		i := slices.IndexFunc(left, func(e *ent.Event) bool { return e.Type == w.typ && e.SubjectID == w.subject })
		if i < 0 {
			o.t.Fatalf("%s: no %s of %s among:%s", what, w.typ, w.subject, describe())
		}
		e := left[i]
		left = slices.Delete(left, i, i+1)
		if e.OrganizationID != o.org {
			o.t.Errorf("%s: %s of organization %s", what, e.Type, e.OrganizationID)
		}
		if w.previous != nil && fmt.Sprint(e.Previous) != fmt.Sprint(w.previous) {
			o.t.Errorf("%s: %s previous = %v; want %v", what, e.Type, e.Previous, w.previous)
		}
		if w.roles != nil && fmt.Sprint(e.Data["roles"]) != fmt.Sprint(w.roles) {
			o.t.Errorf("%s: %s roles = %v; want %v", what, e.Type, e.Data["roles"], w.roles)
		}
		if e.Data["id"] == nil && e.Data["group"] == nil {
			o.t.Errorf("%s: %s data has no subject: %v", what, e.Type, e.Data)
		}
	}
	return got
}

// rolesChanged is a user.roles_changed of u from before to after.
func rolesChanged(u uuid.UUID, before, after []string) want {
	return want{typ: events.TypeUserRolesChanged, subject: u,
		previous: map[string]any{"roles": toAny(before)}, roles: after}
}

func toAny(s []string) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}

// withCredential is ctx's viewer with a credential id, as auth makes it.
func withCredential(ctx context.Context) (context.Context, uuid.UUID) {
	v := *access.FromContext(ctx)
	v.CredentialID = uuid.New()
	return access.NewContext(ctx, &v), v.CredentialID
}

func TestEventsOfDirectories(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		tn := newTenant(t, s, "Acme")
		ob := newOutbox(t, tn)
		admin, keyID := withCredential(tn.admin)

		d, err := tn.svc.CreateDirectory(admin, domain.NewDirectory{OrganizationID: tn.org.ID, Provider: "okta"})
		code(t, "create directory", err, "")
		evs := ob.expect("create directory", want{typ: events.TypeDirectoryCreated, subject: d.Directory.ID})
		if e := evs[0]; e.ActorType != "org_admin" || e.ActorID == nil || *e.ActorID != keyID ||
			e.DirectoryID == nil || *e.DirectoryID != d.Directory.ID || e.Data["provider"] != "okta" {
			t.Fatalf("directory.created: actor %s %v, directory %v, data %v", e.ActorType, e.ActorID, e.DirectoryID, e.Data)
		}
		_, err = tn.svc.SetDirectoryEnabled(admin, d.Directory.ID, false)
		code(t, "disable", err, "")
		ob.expect("disable", want{typ: events.TypeDirectoryDisabled, subject: d.Directory.ID})
		_, err = tn.svc.SetDirectoryEnabled(admin, d.Directory.ID, false)
		code(t, "disable again", err, "")
		ob.expect("disable again")
		_, err = tn.svc.SetDirectoryEnabled(admin, d.Directory.ID, true)
		code(t, "enable", err, "")
		ob.expect("enable", want{typ: events.TypeDirectoryEnabled, subject: d.Directory.ID})
		second, err := tn.svc.RotateDirectoryToken(admin, d.Directory.ID, nil)
		code(t, "rotate", err, "")
		evs = ob.expect("rotate", want{typ: events.TypeDirectoryTokenRotated, subject: d.Directory.ID})
		if tok, _ := evs[0].Data["token"].(map[string]any); tok["id"] != second.Token.ID.String() || tok["hash"] != nil {
			t.Fatalf("token_rotated token = %v", tok)
		}
		code(t, "revoke", tn.svc.RevokeDirectoryToken(admin, second.Token.ID), "")
		ob.expect("revoke", want{typ: events.TypeDirectoryTokenRevoked, subject: d.Directory.ID})
		code(t, "revoke again", tn.svc.RevokeDirectoryToken(admin, second.Token.ID), fault.NotFound)
		ob.expect("failed revoke")
		code(t, "delete", tn.svc.DeleteDirectory(admin, d.Directory.ID), "")
		ob.expect("delete", want{typ: events.TypeDirectoryDeleted, subject: d.Directory.ID})
	})
}

func TestEventsOfUsersAndGroups(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		tn := newTenant(t, s, "Acme")
		ob := newOutbox(t, tn)
		scim, tokenID := withCredential(tn.provider)

		ada, created, err := tn.svc.ProvisionUser(scim, tn.dir.ID, userFields("ada@acme.test", "a1", true))
		code(t, "provision", err, "")
		if !created {
			t.Fatal("not created")
		}
		evs := ob.expect("provision", want{typ: events.TypeUserCreated, subject: ada.ID, roles: []string{}})
		if e := evs[0]; e.ActorType != "provisioner" || e.ActorID == nil || *e.ActorID != tokenID ||
			e.Data["userName"] != "ada@acme.test" || e.Data["givenName"] != "Ada" || e.Data["active"] != true {
			t.Fatalf("user.created: actor %s %v, data %v", e.ActorType, e.ActorID, e.Data)
		}
		_, _, err = tn.svc.ProvisionUser(scim, tn.dir.ID, userFields("ADA@acme.test", "other", true))
		code(t, "provision a taken userName", err, fault.Conflict)
		ob.expect("failed provision")

		// An update: previous holds exactly the changed fields.
		_, err = tn.svc.UpdateUser(scim, tn.dir.ID, ada.ID, nil, func(u *ent.User) (domain.UserFields, error) {
			f := userFields(u.UserName, u.ExternalID, true)
			f[user.FieldGivenName] = "Augusta"
			f[user.FieldTitle] = "Countess"
			return f, nil
		})
		code(t, "update", err, "")
		ob.expect("update", want{typ: events.TypeUserUpdated, subject: ada.ID,
			previous: map[string]any{"givenName": "Ada", "title": ""}})
		_, err = tn.svc.UpdateUser(scim, tn.dir.ID, ada.ID, nil, func(*ent.User) (domain.UserFields, error) {
			return nil, fault.FieldErrorf("name", "nope")
		})
		code(t, "failed update", err, fault.Invalid)
		ob.expect("failed update")
		_, err = tn.svc.UpdateUser(scim, tn.dir.ID, ada.ID, nil, func(u *ent.User) (domain.UserFields, error) {
			f := userFields(u.UserName, u.ExternalID, true)
			f[user.FieldGivenName], f[user.FieldTitle] = u.GivenName, u.Title
			return f, nil
		})
		code(t, "update to the same", err, "")
		ob.expect("update to the same")

		bob, _, err := tn.svc.ProvisionUser(scim, tn.dir.ID, userFields("bob@acme.test", "b1", true))
		code(t, "provision bob", err, "")
		ob.expect("provision bob", want{typ: events.TypeUserCreated, subject: bob.ID})

		// Groups and members: set-based, exactly the memberships that moved.
		g, err := tn.svc.CreateGroup(scim, tn.dir.ID, domain.GroupFields{"display_name": "Staff"},
			[]domain.MemberChange{{Op: domain.AddMembers, IDs: []uuid.UUID{ada.ID, bob.ID, uuid.New()}}})
		code(t, "create group", err, "")
		evs = ob.expect("create group", want{typ: events.TypeGroupCreated, subject: g.ID},
			want{typ: events.TypeGroupUserAdded, subject: g.ID}, want{typ: events.TypeGroupUserAdded, subject: g.ID})
		var added []string
		for _, e := range evs[1:] {
			added = append(added, fmt.Sprint(e.Data["user"].(map[string]any)["userName"]))
		}
		if slices.Sort(added); !slices.Equal(added, []string{"ada@acme.test", "bob@acme.test"}) {
			t.Fatalf("user_added users = %v", added)
		}
		_, err = tn.svc.UpdateGroup(scim, tn.dir.ID, g.ID, nil, func(*ent.Group) (domain.GroupFields, []domain.MemberChange, error) {
			return domain.GroupFields{"display_name": "Everyone"},
				[]domain.MemberChange{{Op: domain.ReplaceMembers, IDs: []uuid.UUID{bob.ID}}}, nil
		})
		code(t, "rename and replace members", err, "")
		ob.expect("rename and replace", want{typ: events.TypeGroupUpdated, subject: g.ID,
			previous: map[string]any{"displayName": "Staff"}},
			want{typ: events.TypeGroupUserRemoved, subject: g.ID})
		_, err = tn.svc.UpdateGroup(scim, tn.dir.ID, g.ID, nil, func(*ent.Group) (domain.GroupFields, []domain.MemberChange, error) {
			return domain.GroupFields{"display_name": "Everyone"},
				[]domain.MemberChange{{Op: domain.AddMembers, IDs: []uuid.UUID{bob.ID}}}, nil
		})
		code(t, "add an existing member", err, "")
		ob.expect("add an existing member")

		code(t, "delete bob", tn.svc.DeleteUser(scim, tn.dir.ID, bob.ID, nil), "")
		ob.expect("delete bob", want{typ: events.TypeUserDeleted, subject: bob.ID},
			want{typ: events.TypeGroupUserRemoved, subject: g.ID})
		code(t, "delete group", tn.svc.DeleteGroup(scim, tn.dir.ID, g.ID, nil), "")
		ob.expect("delete group", want{typ: events.TypeGroupDeleted, subject: g.ID})

		// Deactivation without roles: no roles_changed.
		_, err = tn.svc.UpdateUser(scim, tn.dir.ID, ada.ID, nil, func(u *ent.User) (domain.UserFields, error) {
			f := userFields(u.UserName, u.ExternalID, false)
			f[user.FieldGivenName], f[user.FieldTitle] = u.GivenName, u.Title
			return f, nil
		})
		code(t, "deactivate", err, "")
		ob.expect("deactivate", want{typ: events.TypeUserDeactivated, subject: ada.ID})
		// Re-provisioning a deactivated userName reactivates it.
		_, _, err = tn.svc.ProvisionUser(scim, tn.dir.ID, userFields("ada@acme.test", "a2", true))
		code(t, "reprovision", err, "")
		ob.expect("reprovision", want{typ: events.TypeUserReactivated, subject: ada.ID},
			want{typ: events.TypeUserUpdated, subject: ada.ID,
				previous: map[string]any{"externalID": "a1", "givenName": "Augusta"}})
	})
}

func TestEventsOfRoles(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		tn := newTenant(t, s, "Acme")
		admin, scim := tn.admin, tn.provider
		var ids []uuid.UUID
		for _, n := range []string{"ada", "bob", "cy"} {
			u, _, err := tn.svc.ProvisionUser(scim, tn.dir.ID, userFields(n, n, true))
			code(t, "provision "+n, err, "")
			ids = append(ids, u.ID)
		}
		ada, bob, cy := ids[0], ids[1], ids[2]
		g, err := tn.svc.CreateGroup(scim, tn.dir.ID, domain.GroupFields{"display_name": "Admins"},
			[]domain.MemberChange{{Op: domain.AddMembers, IDs: []uuid.UUID{ada}}})
		code(t, "create group", err, "")
		ob := newOutbox(t, tn)

		viewer, err := tn.svc.CreateRole(admin, domain.NewRole{OrganizationID: tn.org.ID, Key: "viewer", Name: "Viewer"})
		code(t, "create role", err, "")
		ob.expect("create role", want{typ: events.TypeRoleCreated, subject: viewer.ID})
		_, err = tn.svc.CreateRole(admin, domain.NewRole{OrganizationID: tn.org.ID, Key: "viewer", Name: "Again"})
		code(t, "create a taken key", err, fault.Conflict)
		ob.expect("failed create role")
		adm, err := tn.svc.CreateRole(admin, domain.NewRole{OrganizationID: tn.org.ID, Key: "admin", Name: "Admin"})
		code(t, "create admin", err, "")
		ob.expect("create admin", want{typ: events.TypeRoleCreated, subject: adm.ID})
		name := "Administrator"
		_, err = tn.svc.UpdateRole(admin, adm.ID, domain.RoleChange{Name: &name})
		code(t, "update role", err, "")
		ob.expect("update role", want{typ: events.TypeRoleUpdated, subject: adm.ID, previous: map[string]any{"name": "Admin"}})

		// Default role change: every active user without mapped roles.
		_, err = tn.svc.SetDefaultRole(admin, tn.org.ID, &viewer.ID)
		code(t, "set default", err, "")
		ob.expect("set default", rolesChanged(ada, nil, []string{"viewer"}),
			rolesChanged(bob, nil, []string{"viewer"}), rolesChanged(cy, nil, []string{"viewer"}))
		_, err = tn.svc.SetDefaultRole(admin, tn.org.ID, &viewer.ID)
		code(t, "set the same default", err, "")
		ob.expect("same default")

		// Mapping set and unset: the group's members.
		_, err = tn.svc.SetGroupRoles(admin, g.ID, []uuid.UUID{adm.ID})
		code(t, "map", err, "")
		ob.expect("map", want{typ: events.TypeGroupRolesChanged, subject: g.ID,
			previous: map[string]any{"roles": []any{}}, roles: []string{"admin"}},
			rolesChanged(ada, []string{"viewer"}, []string{"admin"}))
		_, err = tn.svc.AssignRoleToGroup(admin, g.ID, adm.ID)
		code(t, "map again", err, "")
		ob.expect("map again")

		// Membership add and remove.
		_, err = tn.svc.UpdateGroup(scim, tn.dir.ID, g.ID, nil, func(*ent.Group) (domain.GroupFields, []domain.MemberChange, error) {
			return domain.GroupFields{"display_name": "Admins"}, []domain.MemberChange{{Op: domain.AddMembers, IDs: []uuid.UUID{bob}}}, nil
		})
		code(t, "add bob", err, "")
		ob.expect("add bob", want{typ: events.TypeGroupUserAdded, subject: g.ID},
			rolesChanged(bob, []string{"viewer"}, []string{"admin"}))
		_, err = tn.svc.UpdateGroup(scim, tn.dir.ID, g.ID, nil, func(*ent.Group) (domain.GroupFields, []domain.MemberChange, error) {
			return domain.GroupFields{"display_name": "Admins"}, []domain.MemberChange{{Op: domain.RemoveMembers, IDs: []uuid.UUID{bob}}}, nil
		})
		code(t, "remove bob", err, "")
		ob.expect("remove bob", want{typ: events.TypeGroupUserRemoved, subject: g.ID},
			rolesChanged(bob, []string{"admin"}, []string{"viewer"}))

		// Deactivation: no roles at all; reactivation gives them back.
		deactivate := func(active bool) {
			_, err := tn.svc.UpdateUser(scim, tn.dir.ID, ada, nil, func(u *ent.User) (domain.UserFields, error) {
				return userFields(u.UserName, u.ExternalID, active), nil
			})
			code(t, "set active", err, "")
		}
		deactivate(false)
		ob.expect("deactivate", want{typ: events.TypeUserDeactivated, subject: ada,
			previous: map[string]any{"roles": toAny([]string{"admin"})}, roles: []string{}},
			rolesChanged(ada, []string{"admin"}, []string{}))
		deactivate(true)
		ob.expect("reactivate", want{typ: events.TypeUserReactivated, subject: ada,
			previous: map[string]any{"roles": toAny([]string{})}, roles: []string{"admin"}},
			rolesChanged(ada, nil, []string{"admin"}))

		_, err = tn.svc.UnassignRoleFromGroup(admin, g.ID, adm.ID)
		code(t, "unmap", err, "")
		ob.expect("unmap", want{typ: events.TypeGroupRolesChanged, subject: g.ID,
			previous: map[string]any{"roles": []any{"admin"}}, roles: []string{}},
			rolesChanged(ada, []string{"admin"}, []string{"viewer"}))

		// Role deletion: those who held it (here, by default).
		_, err = tn.svc.SetGroupRoles(admin, g.ID, []uuid.UUID{adm.ID})
		code(t, "map again", err, "")
		ob.next()
		code(t, "delete viewer", tn.svc.DeleteRole(admin, viewer.ID), "")
		ob.expect("delete default role", want{typ: events.TypeRoleDeleted, subject: viewer.ID},
			rolesChanged(bob, []string{"viewer"}, nil), rolesChanged(cy, []string{"viewer"}, nil))
		code(t, "delete admin", tn.svc.DeleteRole(admin, adm.ID), "")
		ob.expect("delete mapped role", want{typ: events.TypeRoleDeleted, subject: adm.ID},
			rolesChanged(ada, []string{"admin"}, nil))
		code(t, "delete again", tn.svc.DeleteRole(admin, adm.ID), fault.NotFound)
		ob.expect("failed delete")
	})
}

// TestEventsLargeGroup: emptying a large mapped group writes its events
// set-based, one per member and one roles_changed each.
func TestEventsLargeGroup(t *testing.T) {
	const n = 3000
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		tn := newTenant(t, s, "Acme")
		ctx := tn.platform
		creates := make([]*ent.UserCreate, n)
		for i := range creates {
			creates[i] = s.Client.User.Create().SetOrganizationID(tn.org.ID).SetDirectoryID(tn.dir.ID).
				SetUserName(fmt.Sprintf("u%05d", i))
		}
		var ids []uuid.UUID
		for chunk := range slices.Chunk(creates, 1000) {
			us, err := s.Client.User.CreateBulk(chunk...).Save(domain.Seeding(ctx)) // 3000 users: a fixture
			if err != nil {
				t.Fatal(err)
			}
			for _, u := range us {
				ids = append(ids, u.ID)
			}
		}
		r, err := tn.svc.CreateRole(ctx, domain.NewRole{OrganizationID: tn.org.ID, Key: "member", Name: "Member"})
		code(t, "role", err, "")
		g, err := tn.svc.CreateGroup(tn.provider, tn.dir.ID, domain.GroupFields{"display_name": "All"},
			[]domain.MemberChange{{Op: domain.AddMembers, IDs: ids}})
		code(t, "create group", err, "")
		_, err = tn.svc.SetGroupRoles(ctx, g.ID, []uuid.UUID{r.ID})
		code(t, "map", err, "")
		ob := newOutbox(t, tn)
		ob.page = events.MaxLimit
		start := time.Now()
		_, err = tn.svc.UpdateGroup(tn.provider, tn.dir.ID, g.ID, nil, func(*ent.Group) (domain.GroupFields, []domain.MemberChange, error) {
			return domain.GroupFields{"display_name": "All"}, []domain.MemberChange{{Op: domain.ReplaceMembers}}, nil
		})
		code(t, "empty the group", err, "")
		t.Logf("emptying a mapped group of %d members with its events: %v", n, time.Since(start))
		count := map[string]int{}
		for _, e := range ob.next() {
			count[e.Type]++
		}
		if count[events.TypeGroupUserRemoved] != n || count[events.TypeUserRolesChanged] != n || len(count) != 2 {
			t.Fatalf("events = %v; want %d removals and %d roles changes", count, n, n)
		}
	})
}

// TestEventsConcurrentWriters: on PostgreSQL a consumer paging while 16
// writers commit misses nothing and sees nothing twice.
func TestEventsConcurrentWriters(t *testing.T) {
	s := storetest.Open(t, "postgres")
	tn := newTenant(t, s, "Acme")
	const writers, perWriter = 16, 25
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range perWriter {
				name := fmt.Sprintf("w%02d-%03d", w, i)
				u, _, err := tn.svc.ProvisionUser(tn.provider, tn.dir.ID, userFields(name, name, true))
				if err == nil {
					_, err = tn.svc.UpdateUser(tn.provider, tn.dir.ID, u.ID, nil, func(u *ent.User) (domain.UserFields, error) {
						f := userFields(u.UserName, u.ExternalID, true)
						f[user.FieldTitle] = "t"
						return f, nil
					})
				}
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()

	ctx := access.PlatformContext(context.Background())
	seen := map[int64]int{}
	var cursor events.Cursor
	read := func() int {
		page, _, err := events.After(ctx, s.Client, tn.org.ID, cursor, events.Filter{}, 5)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range page {
			seen[e.ID]++
			cursor = events.Of(e)
		}
		return len(page)
	}
	for finished := false; !finished; {
		select {
		case <-done:
			finished = true
		default:
			read()
		}
	}
	for read() > 0 {
	}
	close(errs)
	for err := range errs {
		t.Fatalf("writer: %v", err)
	}
	all, err := s.Client.Event.Query().Where(event.OrganizationID(tn.org.ID)).IDs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) < writers*perWriter*2 {
		t.Fatalf("%d events in the table; want at least %d", len(all), writers*perWriter*2)
	}
	for _, id := range all {
		if seen[id] != 1 {
			t.Errorf("event %d seen %d times", id, seen[id])
		}
	}
	if len(seen) != len(all) {
		t.Fatalf("consumer saw %d events; the table holds %d", len(seen), len(all))
	}
}
