package main

import (
	"context"
	"database/sql"
	"fmt"

	"entgo.io/ent/dialect"

	"github.com/google/uuid"

	"github.com/acme/directory/access"
	"github.com/acme/directory/domain"
	"github.com/acme/directory/ent"
	"github.com/acme/directory/ent/schema/schematype"
	"github.com/acme/directory/store"
)

// fixture is one organization with one directory of a given size, seeded
// by direct inserts, and the credentials to reach it.
type fixture struct {
	users     int
	orgID     uuid.UUID
	dirID     uuid.UUID
	token     string // SCIM bearer token
	readKey   string // organization read key, for GraphQL
	userIDs   []uuid.UUID
	userNames []string
	// group1000 has the first min(1000, users) users; group10k is empty
	// (a PATCH adds up to 10,000 members); group50k has the first
	// min(50000, users) users (a PATCH empties it).
	group1000, group10k, group50k uuid.UUID
	size1000, size10k, size50k    int
}

// newOrg makes an organization with a directory, its token and an
// organization read key.
func newOrg(ctx context.Context, svc *domain.Service, name string) (orgID, dirID uuid.UUID, token, readKey string, err error) {
	org, err := svc.CreateOrganization(ctx, domain.NewOrganization{Name: name})
	if err != nil {
		return orgID, dirID, "", "", fmt.Errorf("bench: create organization: %w", err)
	}
	d, err := svc.CreateDirectory(ctx, domain.NewDirectory{OrganizationID: org.ID, Provider: schematype.Provider("jumpcloud")})
	if err != nil {
		return orgID, dirID, "", "", fmt.Errorf("bench: create directory: %w", err)
	}
	k, err := svc.CreateAPIKey(ctx, domain.NewAPIKey{Scope: access.Scope("org_read"), OrganizationID: &org.ID, Name: "bench"})
	if err != nil {
		return orgID, dirID, "", "", fmt.Errorf("bench: create read key: %w", err)
	}
	return org.ID, d.Directory.ID, d.BearerToken, k.Key, nil
}

// seed makes a fixture of n users with direct inserts (ent bulk creates,
// bypassing the API and the domain's operations: domain.Seeding, the load
// tool's escape hatch; or, when raw is set, multi-row INSERTs through it,
// for the million users), its three groups and their memberships, and maps
// the 1,000-member group to a role so the GraphQL page has roles to
// resolve.
func seed(ctx context.Context, st *store.Store, n int, raw *sql.DB) (*fixture, error) {
	ctx = access.PlatformContext(ctx)
	svc := domain.New(st.Client, st.Dialect)
	f := &fixture{users: n}
	var err error
	f.orgID, f.dirID, f.token, f.readKey, err = newOrg(ctx, svc, fmt.Sprintf("Bench %d", n))
	if err != nil {
		return nil, err
	}
	const batch = 500
	if raw != nil {
		if err := insertRaw(ctx, raw, st.Dialect == dialect.Postgres, f, n); err != nil {
			return nil, err
		}
	}
	for start := 0; start < n && raw == nil; start += batch {
		end := min(start+batch, n)
		bs := make([]*ent.UserCreate, 0, end-start)
		for i := start; i < end; i++ {
			name := fmt.Sprintf("b%d-u%07d@bench.example", n, i)
			f.userNames = append(f.userNames, name)
			bs = append(bs, st.Client.User.Create().SetOrganizationID(f.orgID).SetDirectoryID(f.dirID).
				SetUserName(name).SetGivenName("Bench").SetFamilyName(fmt.Sprint("User", i)).
				SetPrimaryEmail(name).SetActive(true))
		}
		us, err := st.Client.User.CreateBulk(bs...).Save(domain.Seeding(ctx))
		if err != nil {
			return nil, fmt.Errorf("bench: insert users %d-%d: %w", start, end, err)
		}
		for _, u := range us {
			f.userIDs = append(f.userIDs, u.ID)
		}
	}
	group := func(name string, members int) (uuid.UUID, error) {
		g, err := st.Client.Group.Create().SetOrganizationID(f.orgID).SetDirectoryID(f.dirID).
			SetDisplayName(name).Save(domain.Seeding(ctx))
		if err != nil {
			return uuid.Nil, fmt.Errorf("bench: create group %s: %w", name, err)
		}
		if raw != nil {
			return g.ID, insertMembers(ctx, raw, st.Dialect == dialect.Postgres, f, g.ID, members)
		}
		for start := 0; start < members; start += batch {
			end := min(start+batch, members)
			bs := make([]*ent.MembershipCreate, 0, end-start)
			for i := start; i < end; i++ { // the users have no displayName: their display is their userName
				bs = append(bs, st.Client.Membership.Create().SetOrganizationID(f.orgID).SetGroupID(g.ID).
					SetUserID(f.userIDs[i]).SetDisplay(f.userNames[i]))
			}
			if err := st.Client.Membership.CreateBulk(bs...).Exec(domain.Seeding(ctx)); err != nil {
				return uuid.Nil, fmt.Errorf("bench: add members to %s: %w", name, err)
			}
		}
		return g.ID, nil
	}
	f.size1000, f.size10k, f.size50k = min(1000, n), min(10000, n), min(50000, n)
	if f.group1000, err = group("Bench 1000", f.size1000); err != nil {
		return nil, err
	}
	if f.group10k, err = group("Bench 10000", 0); err != nil {
		return nil, err
	}
	if f.group50k, err = group("Bench 50000", f.size50k); err != nil {
		return nil, err
	}
	role, err := svc.CreateRole(ctx, domain.NewRole{OrganizationID: f.orgID, Key: "member", Name: "Member"})
	if err != nil {
		return nil, fmt.Errorf("bench: create role: %w", err)
	}
	if _, err := svc.SetGroupRoles(ctx, f.group1000, []uuid.UUID{role.ID}); err != nil {
		return nil, fmt.Errorf("bench: map role: %w", err)
	}
	return f, nil
}
