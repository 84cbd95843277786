package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/google/uuid"
	"github.com/spf13/cobra"

	"github.com/acme/directory/domain"
	"github.com/acme/directory/ent"
	"github.com/acme/directory/ent/group"
	"github.com/acme/directory/ent/user"
	"github.com/acme/directory/fault"
	"github.com/acme/directory/roles"
	"github.com/acme/directory/store"
)

// userRecord is a user as the commands print it.
type userRecord struct {
	ID           uuid.UUID `json:"id"`
	Directory    uuid.UUID `json:"directoryID"`
	UserName     string    `json:"userName"`
	DisplayName  string    `json:"displayName,omitempty"`
	PrimaryEmail string    `json:"primaryEmail,omitempty"`
	ExternalID   string    `json:"externalID,omitempty"`
	Active       bool      `json:"active"`
	Groups       []string  `json:"groups,omitempty"`
	Roles        []string  `json:"roles,omitempty"`
}

func userOf(u *ent.User) userRecord {
	return userRecord{ID: u.ID, Directory: u.DirectoryID, UserName: u.UserName, DisplayName: u.DisplayName,
		PrimaryEmail: u.PrimaryEmail, ExternalID: u.ExternalID, Active: u.Active}
}

// showUser prints one user with its groups and effective roles.
func (a *cli) showUser(ctx context.Context, c *ent.Client, format string, u *ent.User) error {
	rec := userOf(u)
	gs, err := u.QueryGroups().Order(ent.Asc(group.FieldDisplayName)).All(ctx)
	if err != nil {
		return fmt.Errorf("user groups: %w", err)
	}
	for _, g := range gs {
		rec.Groups = append(rec.Groups, g.DisplayName)
	}
	eff, err := roles.Effective(ctx, c, []*ent.User{u})
	if err != nil {
		return fmt.Errorf("user roles: %w", err)
	}
	for _, r := range eff[u.ID] {
		rec.Roles = append(rec.Roles, r.Key)
	}
	if format == outputJSON {
		return writeJSON(a.out, rec)
	}
	fmt.Fprintf(a.out, "id:            %s\ndirectory:     %s\nuserName:      %s\ndisplayName:   %s\nprimaryEmail:  %s\nexternalId:    %s\nactive:        %t\ngroups:        %s\nroles:         %s\n",
		rec.ID, rec.Directory, rec.UserName, rec.DisplayName, rec.PrimaryEmail, rec.ExternalID, rec.Active,
		strings.Join(rec.Groups, ", "), strings.Join(rec.Roles, ", "))
	return nil
}

func (a *cli) userCmd() *cobra.Command {
	list := leaf("list", "list an organization's users (or one directory's)", nil)
	org := idFlag(list, "org", "organization id")
	var dir uuid.UUID
	list.Flags().Var(uuidValue{&dir}, "dir", "only this directory's users")
	query := list.Flags().String("query", "", "only users whose userName, name or primary email contains this (any case)")
	limit := list.Flags().Int("limit", 100, "most users printed")
	outList := outputFlag(list)
	list.RunE = func(cmd *cobra.Command, _ []string) error {
		return a.service(cmd, func(ctx context.Context, svc *domain.Service, _ *store.Store) error {
			q := svc.Client().User.Query().Where(user.OrganizationID(*org))
			if dir != uuid.Nil {
				q.Where(user.DirectoryID(dir))
			}
			if *query != "" {
				q.Where(user.Or(user.UserNameContainsFold(*query), user.DisplayNameContainsFold(*query),
					user.PrimaryEmailContainsFold(*query)))
			}
			us, err := q.Order(ent.Asc(user.FieldUserName), ent.Asc(user.FieldID)).Limit(*limit).All(ctx)
			if err != nil {
				return fmt.Errorf("list users: %w", err)
			}
			recs := make([]userRecord, len(us))
			for i, u := range us {
				recs[i] = userOf(u)
			}
			return emit(a.out, *outList, "ID\tUSERNAME\tDISPLAY NAME\tPRIMARY EMAIL\tACTIVE\tDIRECTORY", recs, func(u userRecord) []any {
				return []any{u.ID, u.UserName, u.DisplayName, u.PrimaryEmail, u.Active, u.Directory}
			})
		})
	}

	show := leaf("show", "show a user with its groups and effective roles", nil)
	id := idFlag(show, "user", "user id")
	outShow := outputFlag(show)
	show.RunE = func(cmd *cobra.Command, _ []string) error {
		return a.service(cmd, func(ctx context.Context, svc *domain.Service, _ *store.Store) error {
			u, err := svc.Client().User.Get(ctx, *id)
			if ent.IsNotFound(err) {
				return fault.Errorf(fault.NotFound, "no such user: %s", *id)
			}
			if err != nil {
				return fmt.Errorf("show user: %w", err)
			}
			return a.showUser(ctx, svc.Client(), *outShow, u)
		})
	}

	find := leaf("find", "find an organization's user by any of its emails (any case)", nil)
	findOrg := idFlag(find, "org", "organization id")
	email := find.Flags().String("email", "", "an email of the user, primary or not")
	_ = find.MarkFlagRequired("email")
	outFind := outputFlag(find)
	find.RunE = func(cmd *cobra.Command, _ []string) error {
		return a.service(cmd, func(ctx context.Context, svc *domain.Service, _ *store.Store) error {
			u, err := svc.UserBy(ctx, *findOrg, domain.UserKey{Email: *email})
			if err != nil {
				return err
			}
			if u == nil {
				return fault.Errorf(fault.NotFound, "no user of organization %s has the email %q", *findOrg, *email)
			}
			return a.showUser(ctx, svc.Client(), *outFind, u)
		})
	}
	return noun("user", "users the identity providers pushed: list, show, find by email", list, show, find)
}

// groupRecord is a group as the commands print it.
type groupRecord struct {
	ID          uuid.UUID `json:"id"`
	Directory   uuid.UUID `json:"directoryID"`
	DisplayName string    `json:"displayName"`
	ExternalID  string    `json:"externalID,omitempty"`
	Members     int       `json:"members"`
	Roles       []string  `json:"roles"`
}

// groupOf is the printed form of a group: its member count and the keys
// of the roles it maps to.
func groupOf(ctx context.Context, g *ent.Group) (groupRecord, error) {
	n, err := g.QueryMembers().Count(ctx)
	if err != nil {
		return groupRecord{}, fmt.Errorf("group members: %w", err)
	}
	rs, err := g.QueryRoles().All(ctx)
	if err != nil {
		return groupRecord{}, fmt.Errorf("group roles: %w", err)
	}
	rec := groupRecord{ID: g.ID, Directory: g.DirectoryID, DisplayName: g.DisplayName, ExternalID: g.ExternalID,
		Members: n, Roles: []string{}}
	for _, r := range rs {
		rec.Roles = append(rec.Roles, r.Key)
	}
	return rec, nil
}

func (a *cli) groupCmd() *cobra.Command {
	list := leaf("list", "list an organization's groups (or one directory's), with member counts and roles", nil)
	org := idFlag(list, "org", "organization id")
	var dir uuid.UUID
	list.Flags().Var(uuidValue{&dir}, "dir", "only this directory's groups")
	limit := list.Flags().Int("limit", 100, "most groups printed")
	outList := outputFlag(list)
	list.RunE = func(cmd *cobra.Command, _ []string) error {
		return a.service(cmd, func(ctx context.Context, svc *domain.Service, _ *store.Store) error {
			q := svc.Client().Group.Query().Where(group.OrganizationID(*org))
			if dir != uuid.Nil {
				q.Where(group.DirectoryID(dir))
			}
			gs, err := q.Order(ent.Asc(group.FieldDisplayName), ent.Asc(group.FieldID)).Limit(*limit).All(ctx)
			if err != nil {
				return fmt.Errorf("list groups: %w", err)
			}
			recs := make([]groupRecord, len(gs))
			for i, g := range gs {
				if recs[i], err = groupOf(ctx, g); err != nil {
					return err
				}
			}
			return emit(a.out, *outList, "ID\tNAME\tMEMBERS\tROLES\tDIRECTORY", recs, func(g groupRecord) []any {
				return []any{g.ID, g.DisplayName, g.Members, strings.Join(g.Roles, ","), g.Directory}
			})
		})
	}

	show := leaf("show", "show a group with its member count and roles", nil)
	id := idFlag(show, "group", "group id")
	outShow := outputFlag(show)
	show.RunE = func(cmd *cobra.Command, _ []string) error {
		return a.service(cmd, func(ctx context.Context, svc *domain.Service, _ *store.Store) error {
			g, err := svc.Client().Group.Get(ctx, *id)
			if ent.IsNotFound(err) {
				return fault.Errorf(fault.NotFound, "no such group: %s", *id)
			}
			if err != nil {
				return fmt.Errorf("show group: %w", err)
			}
			rec, err := groupOf(ctx, g)
			if err != nil {
				return err
			}
			if *outShow == outputJSON {
				return writeJSON(a.out, rec)
			}
			fmt.Fprintf(a.out, "id:           %s\ndirectory:    %s\ndisplayName:  %s\nexternalId:   %s\nmembers:      %d\nroles:        %s\n",
				rec.ID, rec.Directory, rec.DisplayName, rec.ExternalID, rec.Members, strings.Join(rec.Roles, ", "))
			return nil
		})
	}
	return noun("group", "groups the identity providers pushed: list, show", list, show)
}
