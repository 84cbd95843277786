package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/spf13/cobra"

	"github.com/acme/directory/access"
	"github.com/acme/directory/domain"
	"github.com/acme/directory/ent"
	"github.com/acme/directory/ent/schema/schematype"
	"github.com/acme/directory/fault"
	"github.com/acme/directory/store"
)

// The administrative commands: each parses its flags, opens the store and
// calls domain operations as the platform. They hold no rules of their
// own: what the API refuses, they refuse with the same words.

// service opens the configured store and runs op with the domain
// operations, as the platform; a domain error becomes a message for the
// terminal.
func (a *cli) service(cmd *cobra.Command, op func(ctx context.Context, svc *domain.Service, s *store.Store) error) error {
	s, err := a.cfg.open(cmd.Context())
	if err != nil {
		return err
	}
	defer s.Close()
	return explain(op(access.PlatformContext(cmd.Context()), domain.New(s.Client, s.Dialect), s))
}

// open opens and migrates the configured store.
func (c *config) open(ctx context.Context) (*store.Store, error) {
	return c.openWith(ctx, nil)
}

// openWith opens the store and runs setup, once migrated, under the
// migrations' lock (see store.Config.Setup).
func (c *config) openWith(ctx context.Context, setup func(context.Context, *store.Store) error) (*store.Store, error) {
	return store.OpenConfig(ctx, store.Config{
		DatabaseURL: c.databaseURL, DirectURL: c.listenDatabaseURL, DataDir: c.dataDir, Setup: setup,
	})
}

// explain turns a domain error into a message for the person at the
// terminal.
func explain(err error) error {
	if err == nil || fault.CodeOf(err) == fault.Internal {
		return err
	}
	return fmt.Errorf("%s", fault.MessageOf(err))
}

// onID is a command that runs one operation on the id one flag gives and
// reports it with done, a format of the id.
func (a *cli) onID(use, short, flagName, flagUsage, done string, op func(*domain.Service, context.Context, uuid.UUID) error) *cobra.Command {
	var id *uuid.UUID
	cmd := leaf(use, short, func(cmd *cobra.Command) error {
		return a.service(cmd, func(ctx context.Context, svc *domain.Service, _ *store.Store) error {
			if err := op(svc, ctx, *id); err != nil {
				return err
			}
			fmt.Fprintf(a.out, done+"\n", *id)
			return nil
		})
	})
	id = idFlag(cmd, flagName, flagUsage)
	return cmd
}

func (a *cli) migrateCmd() *cobra.Command {
	return leaf("migrate", "apply database migrations and exit", func(cmd *cobra.Command) error {
		s, err := a.cfg.open(cmd.Context())
		if err != nil {
			return err
		}
		defer s.Close()
		fmt.Fprintf(a.out, "migrations applied (%s)\n", s.Dialect)
		return nil
	})
}

// orgRecord is an organization as the commands print it.
type orgRecord struct {
	ID         uuid.UUID `json:"id"`
	Slug       string    `json:"slug"`
	Name       string    `json:"name"`
	ExternalID string    `json:"externalID,omitempty"`
}

func orgOf(o *ent.Organization) orgRecord {
	return orgRecord{ID: o.ID, Slug: o.Slug, Name: o.Name, ExternalID: deref(o.ExternalID)}
}

func (a *cli) orgCmd() *cobra.Command {
	var name, slug, ext string
	create := leaf("create", "create an organization (prints its id)", nil)
	outCreate := outputFlag(create)
	create.RunE = func(cmd *cobra.Command, _ []string) error {
		return a.service(cmd, func(ctx context.Context, svc *domain.Service, _ *store.Store) error {
			in := domain.NewOrganization{Name: name, Slug: slug}
			if ext != "" {
				in.ExternalID = &ext
			}
			org, err := svc.CreateOrganization(ctx, in)
			if err != nil {
				return err
			}
			if *outCreate == outputJSON {
				return writeJSON(a.out, orgOf(org))
			}
			fmt.Fprintln(a.out, org.ID)
			return nil
		})
	}
	create.Flags().StringVar(&name, "name", "", "organization name")
	create.Flags().StringVar(&slug, "slug", "", "URL-safe handle; empty: made from the name")
	create.Flags().StringVar(&ext, "external-id", "", "the application's own id for it")
	_ = create.MarkFlagRequired("name")

	list := leaf("list", "list organizations", nil)
	outList := outputFlag(list)
	list.RunE = func(cmd *cobra.Command, _ []string) error {
		return a.service(cmd, func(ctx context.Context, svc *domain.Service, _ *store.Store) error {
			orgs, err := svc.Organizations(ctx)
			if err != nil {
				return err
			}
			recs := make([]orgRecord, len(orgs))
			for i, o := range orgs {
				recs[i] = orgOf(o)
			}
			return emit(a.out, *outList, "ID\tSLUG\tNAME\tEXTERNAL ID", recs, func(o orgRecord) []any {
				return []any{o.ID, o.Slug, o.Name, o.ExternalID}
			})
		})
	}
	return noun("org", "organizations: create, list", create, list)
}

// directoryRecord is a directory (a SCIM endpoint) as the commands print
// it.
type directoryRecord struct {
	ID           uuid.UUID  `json:"id"`
	Organization uuid.UUID  `json:"organizationID"`
	Provider     string     `json:"provider"`
	Name         string     `json:"name"`
	Enabled      bool       `json:"enabled"`
	LastSyncedAt *time.Time `json:"lastSyncedAt"`
	SCIMEndpoint string     `json:"scimEndpoint"`
}

// issuedRecord is a new directory token with the one view of its secret.
type issuedRecord struct {
	Directory    uuid.UUID `json:"directoryID"`
	SCIMEndpoint string    `json:"scimEndpoint"`
	TokenID      uuid.UUID `json:"tokenID"`
	BearerToken  string    `json:"bearerToken"`
}

// printToken shows a new token once, with the endpoint it is for.
func (a *cli) printToken(format, base string, t *domain.IssuedToken) error {
	rec := issuedRecord{Directory: t.Directory.ID, SCIMEndpoint: domain.SCIMEndpoint(base, t.Directory.ID),
		BearerToken: t.BearerToken}
	if t.Token != nil {
		rec.TokenID = t.Token.ID
	}
	if format == outputJSON {
		return writeJSON(a.out, rec)
	}
	fmt.Fprintf(a.out, "directory:     %s\nSCIM endpoint: %s\nbearer token:  %s\n(the token is shown only now: store it in your identity provider)\n",
		rec.Directory, rec.SCIMEndpoint, rec.BearerToken)
	return nil
}

func (a *cli) scimCmd() *cobra.Command {
	providers := schematype.Provider("").Values()

	create := leaf("create", "create a directory (a SCIM endpoint) and its first bearer token, shown once", nil)
	org := idFlag(create, "org", "organization id")
	var provider, name string
	enumVar(create.Flags(), &provider, "provider", "generic", "identity provider", providers...)
	completeFrom(create, "provider", providers)
	create.Flags().StringVar(&name, "name", "", "directory name; empty: the provider's name")
	a.cfg.printedURLFlags(create.Flags())
	outCreate := outputFlag(create)
	create.RunE = func(cmd *cobra.Command, _ []string) error {
		return a.service(cmd, func(ctx context.Context, svc *domain.Service, s *store.Store) error {
			d, err := svc.CreateDirectory(ctx, domain.NewDirectory{OrganizationID: *org,
				Provider: schematype.Provider(provider), Name: name})
			if err != nil {
				return err
			}
			return a.printToken(*outCreate, a.publicURL(ctx, s), d)
		})
	}

	list := leaf("list", "list an organization's directories: endpoints, last sync", nil)
	listOrg := idFlag(list, "org", "organization id")
	a.cfg.printedURLFlags(list.Flags())
	outList := outputFlag(list)
	list.RunE = func(cmd *cobra.Command, _ []string) error {
		return a.service(cmd, func(ctx context.Context, svc *domain.Service, s *store.Store) error {
			ds, err := svc.Directories(ctx, *listOrg)
			if err != nil {
				return err
			}
			base := a.publicURL(ctx, s)
			recs := make([]directoryRecord, len(ds))
			for i, d := range ds {
				recs[i] = directoryRecord{ID: d.ID, Organization: d.OrganizationID, Provider: string(d.Provider), Name: d.Name,
					Enabled: d.Enabled, LastSyncedAt: d.LastSyncedAt, SCIMEndpoint: domain.SCIMEndpoint(base, d.ID)}
			}
			return emit(a.out, *outList, "ID\tPROVIDER\tNAME\tENABLED\tLAST SYNC\tSCIM ENDPOINT", recs, func(d directoryRecord) []any {
				return []any{d.ID, d.Provider, d.Name, d.Enabled, timeOrDash(d.LastSyncedAt), d.SCIMEndpoint}
			})
		})
	}

	rotate := leaf("rotate", "add a second bearer token to a directory, shown once", nil)
	dir := idFlag(rotate, "dir", "directory id")
	expiresIn := rotate.Flags().Duration("expires-in", 0, "lifetime of the new token (0: no expiry)")
	a.cfg.printedURLFlags(rotate.Flags())
	outRotate := outputFlag(rotate)
	rotate.RunE = func(cmd *cobra.Command, _ []string) error {
		return a.service(cmd, func(ctx context.Context, svc *domain.Service, s *store.Store) error {
			var exp *time.Time
			if *expiresIn != 0 {
				t := time.Now().Add(*expiresIn)
				exp = &t
			}
			t, err := svc.RotateDirectoryToken(ctx, *dir, exp)
			if err != nil {
				return err
			}
			if err := a.printToken(*outRotate, a.publicURL(ctx, s), t); err != nil || *outRotate == outputJSON {
				return err
			}
			fmt.Fprintln(a.out, "the previous token keeps working until you revoke it: directory scim revoke --token <id>")
			return nil
		})
	}

	tokens := leaf("tokens", "list a directory's bearer tokens (never their secrets)", nil)
	tokDir := idFlag(tokens, "dir", "directory id")
	outTokens := outputFlag(tokens)
	tokens.RunE = func(cmd *cobra.Command, _ []string) error {
		return a.service(cmd, func(ctx context.Context, svc *domain.Service, _ *store.Store) error {
			ts, err := svc.DirectoryTokens(ctx, *tokDir)
			if err != nil {
				return err
			}
			type tokenRecord struct {
				ID         uuid.UUID  `json:"id"`
				Prefix     string     `json:"prefix"`
				CreatedAt  time.Time  `json:"createdAt"`
				ExpiresAt  *time.Time `json:"expiresAt"`
				LastUsedAt *time.Time `json:"lastUsedAt"`
			}
			recs := make([]tokenRecord, len(ts))
			for i, t := range ts {
				recs[i] = tokenRecord{t.ID, t.Prefix, t.CreatedAt.UTC(), t.ExpiresAt, t.LastUsedAt}
			}
			return emit(a.out, *outTokens, "ID\tPREFIX\tCREATED\tEXPIRES\tLAST USED", recs, func(t tokenRecord) []any {
				return []any{t.ID, t.Prefix, t.CreatedAt.Format(time.RFC3339), timeOrDash(t.ExpiresAt), timeOrDash(t.LastUsedAt)}
			})
		})
	}

	return noun("scim", "directories (SCIM endpoints) and their bearer tokens", create, list,
		a.onID("enable", "enable a directory", "dir", "directory id", "directory %s enabled",
			func(svc *domain.Service, ctx context.Context, id uuid.UUID) error {
				_, err := svc.SetDirectoryEnabled(ctx, id, true)
				return err
			}),
		a.onID("disable", "disable a directory: its tokens stop working at once", "dir", "directory id", "directory %s disabled",
			func(svc *domain.Service, ctx context.Context, id uuid.UUID) error {
				_, err := svc.SetDirectoryEnabled(ctx, id, false)
				return err
			}),
		a.onID("delete", "delete a directory with its users and groups", "dir", "directory id",
			"directory %s deleted with its users and groups", (*domain.Service).DeleteDirectory),
		rotate, tokens,
		a.onID("revoke", "revoke a bearer token: it stops working at once", "token", "token id", "token %s revoked",
			(*domain.Service).RevokeDirectoryToken))
}

func (a *cli) roleCmd() *cobra.Command {
	create := leaf("create", "create a role (prints its id)", nil)
	org := idFlag(create, "org", "organization id")
	key := create.Flags().String("key", "", "the identifier the application checks")
	name := create.Flags().String("name", "", "display name")
	_ = create.MarkFlagRequired("key")
	_ = create.MarkFlagRequired("name")
	create.RunE = func(cmd *cobra.Command, _ []string) error {
		return a.service(cmd, func(ctx context.Context, svc *domain.Service, _ *store.Store) error {
			r, err := svc.CreateRole(ctx, domain.NewRole{OrganizationID: *org, Key: *key, Name: *name})
			if err == nil {
				fmt.Fprintln(a.out, r.ID)
			}
			return err
		})
	}

	list := leaf("list", "list an organization's roles", nil)
	listOrg := idFlag(list, "org", "organization id")
	outList := outputFlag(list)
	list.RunE = func(cmd *cobra.Command, _ []string) error {
		return a.service(cmd, func(ctx context.Context, svc *domain.Service, _ *store.Store) error {
			rs, err := svc.Roles(ctx, *listOrg)
			if err != nil {
				return err
			}
			type roleRecord struct {
				ID   uuid.UUID `json:"id"`
				Key  string    `json:"key"`
				Name string    `json:"name"`
			}
			recs := make([]roleRecord, len(rs))
			for i, r := range rs {
				recs[i] = roleRecord{r.ID, r.Key, r.Name}
			}
			return emit(a.out, *outList, "ID\tKEY\tNAME", recs, func(r roleRecord) []any { return []any{r.ID, r.Key, r.Name} })
		})
	}

	def := leaf("default", "set (or, without --role, clear) an organization's default role", nil)
	defOrg := idFlag(def, "org", "organization id")
	var defRole uuid.UUID
	def.Flags().Var(uuidValue{&defRole}, "role", "role id; omitted: clear the default role")
	def.RunE = func(cmd *cobra.Command, _ []string) error {
		return a.service(cmd, func(ctx context.Context, svc *domain.Service, _ *store.Store) error {
			var roleID *uuid.UUID
			if defRole != uuid.Nil {
				roleID = &defRole
			}
			if _, err := svc.SetDefaultRole(ctx, *defOrg, roleID); err != nil {
				return err
			}
			fmt.Fprintln(a.out, "default role set")
			return nil
		})
	}

	mapCmd := leaf("map", "set the roles a group gives its members (directory group list shows group ids)", nil)
	groupID := idFlag(mapCmd, "group", "group id")
	var roles []uuid.UUID
	mapCmd.Flags().Var(idsValue{&roles}, "role", "a role the group gives its members (repeat; none: unmap all)")
	mapCmd.RunE = func(cmd *cobra.Command, _ []string) error {
		return a.service(cmd, func(ctx context.Context, svc *domain.Service, _ *store.Store) error {
			g, err := svc.SetGroupRoles(ctx, *groupID, roles)
			if err == nil {
				fmt.Fprintf(a.out, "group %q maps to %d role(s)\n", g.DisplayName, len(roles))
			}
			return err
		})
	}
	return noun("role", "roles, the default role and group-to-role mappings", create, list, def, mapCmd)
}

func (a *cli) apikeyCmd() *cobra.Command {
	scopes := strings.Split(strings.ReplaceAll(strings.Join(access.Scope("").Values(), ","), "_", "-"), ",")
	create := leaf("create", "create an API key for the GraphQL API (shown once)", nil)
	var scope string
	enumVar(create.Flags(), &scope, "scope", "", "what the key may do", scopes...)
	completeFrom(create, "scope", scopes)
	_ = create.MarkFlagRequired("scope")
	var org uuid.UUID
	create.Flags().Var(uuidValue{&org}, "org", "organization id (org-admin and org-read keys)")
	name := create.Flags().String("name", "", "a note to tell keys apart")
	create.RunE = func(cmd *cobra.Command, _ []string) error {
		return a.service(cmd, func(ctx context.Context, svc *domain.Service, _ *store.Store) error {
			in := domain.NewAPIKey{Scope: access.Scope(strings.ReplaceAll(scope, "-", "_")), Name: *name}
			if org != uuid.Nil {
				in.OrganizationID = &org
			}
			k, err := svc.CreateAPIKey(ctx, in)
			if err == nil {
				fmt.Fprintln(a.out, k.Key)
			}
			return err
		})
	}

	list := leaf("list", "list API keys (never their secrets)", nil)
	outList := outputFlag(list)
	list.RunE = func(cmd *cobra.Command, _ []string) error {
		return a.service(cmd, func(ctx context.Context, svc *domain.Service, _ *store.Store) error {
			ks, err := svc.APIKeys(ctx)
			if err != nil {
				return err
			}
			type keyRecord struct {
				ID           uuid.UUID  `json:"id"`
				Prefix       string     `json:"prefix"`
				Scope        string     `json:"scope"`
				Organization *uuid.UUID `json:"organizationID"`
				Name         string     `json:"name"`
				LastUsedAt   *time.Time `json:"lastUsedAt"`
			}
			recs := make([]keyRecord, len(ks))
			for i, k := range ks {
				recs[i] = keyRecord{k.ID, k.Prefix, string(k.Scope), k.OrganizationID, k.Name, k.LastUsedAt}
			}
			return emit(a.out, *outList, "ID\tPREFIX\tSCOPE\tORGANIZATION\tNAME\tLAST USED", recs, func(k keyRecord) []any {
				org := "-"
				if k.Organization != nil {
					org = k.Organization.String()
				}
				return []any{k.ID, k.Prefix, k.Scope, org, k.Name, timeOrDash(k.LastUsedAt)}
			})
		})
	}
	return noun("apikey", "API keys of the GraphQL API", create, list,
		a.onID("revoke", "revoke an API key: it stops working at once", "key", "API key id", "API key %s revoked",
			(*domain.Service).RevokeAPIKey))
}
