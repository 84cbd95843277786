package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/google/uuid"

	"github.com/acme/directory/access"
	"github.com/acme/directory/domain"
	"github.com/acme/directory/ent/schema/schematype"
	"github.com/acme/directory/fault"
	"github.com/acme/directory/store"
)

// The administrative commands: each parses its flags, opens the store and
// calls one domain operation as the platform. They hold no rules of their
// own: what the API refuses, they refuse with the same words.

// command is one "noun verb" of the command line.
type command struct {
	name  string // "org create"
	usage string // its flags, for the usage text
	run   func(ctx context.Context, args []string, out io.Writer) error
}

// adminCommands are the commands besides serve and migrate, in usage order.
var adminCommands = []command{
	{"org create", "--name NAME [--slug SLUG] [--external-id ID]", createOrg},
	{"org list", "", listOrgs},
	{"scim create", "--org ID --provider P [--name NAME]", createDirectory},
	{"scim list", "--org ID", listDirectories},
	{"scim enable", "--dir ID", onID("scim enable", "dir", "directory %s enabled",
		func(svc *domain.Service, ctx context.Context, id uuid.UUID) error {
			_, err := svc.SetDirectoryEnabled(ctx, id, true)
			return err
		})},
	{"scim disable", "--dir ID", onID("scim disable", "dir", "directory %s disabled",
		func(svc *domain.Service, ctx context.Context, id uuid.UUID) error {
			_, err := svc.SetDirectoryEnabled(ctx, id, false)
			return err
		})},
	{"scim delete", "--dir ID", onID("scim delete", "dir", "directory %s deleted with its users and groups",
		(*domain.Service).DeleteDirectory)},
	{"scim rotate", "--dir ID [--expires-in DURATION]", rotateToken},
	{"scim tokens", "--dir ID", listTokens},
	{"scim revoke", "--token ID", onID("scim revoke", "token", "token %s revoked", (*domain.Service).RevokeDirectoryToken)},
	{"role create", "--org ID --key KEY --name NAME", createRole},
	{"role list", "--org ID", listRoles},
	{"role default", "--org ID [--role ID]", setDefaultRole},
	{"role map", "--group ID [--role ID]...", mapGroupRoles},
	{"apikey create", "--scope S [--org ID] [--name NAME]", createAPIKey},
	{"apikey list", "", listAPIKeys},
	{"apikey revoke", "--key ID", onID("apikey revoke", "key", "API key %s revoked", (*domain.Service).RevokeAPIKey)},
	{"events tail", "--org ID [--types a,b] [--after CURSOR]", eventsTail},
}

// admin is one administrative command's flags and, once parsed, its store.
type admin struct {
	config
	fs *flag.FlagSet
}

// newAdmin starts the flags of the named command.
func newAdmin(name string) *admin {
	a := &admin{fs: flag.NewFlagSet(name, flag.ContinueOnError)}
	a.flags(a.fs)
	return a
}

// do parses args, opens the store and runs op with the domain operations,
// as the platform; a domain error becomes a message for the terminal.
func (a *admin) do(ctx context.Context, args []string, op func(ctx context.Context, svc *domain.Service) error) error {
	if err := parse(a.fs, args); err != nil {
		return err
	}
	s, err := a.open(ctx)
	if err != nil {
		return err
	}
	defer s.Close()
	return explain(op(access.PlatformContext(ctx), domain.New(s.Client, s.Dialect)))
}

// id registers a required id flag and returns a parser of it.
func (a *admin) id(name, usage string) func() (uuid.UUID, error) {
	v := a.fs.String(name, "", usage+" (required)")
	return func() (uuid.UUID, error) {
		id, err := uuid.Parse(*v)
		if err != nil {
			return uuid.Nil, fmt.Errorf("%s: --%s must be an id: %q", a.fs.Name(), name, *v)
		}
		return id, nil
	}
}

// onID is a command that runs one operation on the id given by one flag
// and reports it with done, a format of the id.
func onID(name, flagName, done string, op func(*domain.Service, context.Context, uuid.UUID) error) func(context.Context, []string, io.Writer) error {
	return func(ctx context.Context, args []string, out io.Writer) error {
		a := newAdmin(name)
		id := a.id(flagName, flagName+" id")
		return a.do(ctx, args, func(ctx context.Context, svc *domain.Service) error {
			v, err := id()
			if err == nil {
				err = op(svc, ctx, v)
			}
			if err == nil {
				fmt.Fprintf(out, done+"\n", v)
			}
			return err
		})
	}
}

// parse parses a command's flags; extra positional arguments are an error.
func parse(fs *flag.FlagSet, args []string) error {
	fs.SetOutput(io.Discard)
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%s: %w", fs.Name(), err)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%s: unexpected argument %q", fs.Name(), fs.Arg(0))
	}
	return nil
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

func migrate(ctx context.Context, args []string, out io.Writer) error {
	var c config
	fs := flag.NewFlagSet("migrate", flag.ContinueOnError)
	c.flags(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	s, err := c.open(ctx)
	if err != nil {
		return err
	}
	defer s.Close()
	fmt.Fprintf(out, "migrations applied (%s)\n", s.Dialect)
	return nil
}

func createOrg(ctx context.Context, args []string, out io.Writer) error {
	a := newAdmin("org create")
	name := a.fs.String("name", "", "organization name (required)")
	slug := a.fs.String("slug", "", "URL-safe handle (default: from the name)")
	ext := a.fs.String("external-id", "", "the application's own id for it")
	return a.do(ctx, args, func(ctx context.Context, svc *domain.Service) error {
		in := domain.NewOrganization{Name: *name, Slug: *slug}
		if *ext != "" {
			in.ExternalID = ext
		}
		org, err := svc.CreateOrganization(ctx, in)
		if err == nil {
			fmt.Fprintln(out, org.ID)
		}
		return err
	})
}

func listOrgs(ctx context.Context, args []string, out io.Writer) error {
	a := newAdmin("org list")
	return a.do(ctx, args, func(ctx context.Context, svc *domain.Service) error {
		orgs, err := svc.Organizations(ctx)
		if err != nil {
			return err
		}
		return table(out, "ID\tSLUG\tNAME\tEXTERNAL ID", len(orgs), func(i int) []any {
			o := orgs[i]
			return []any{o.ID, o.Slug, o.Name, deref(o.ExternalID)}
		})
	})
}

func createDirectory(ctx context.Context, args []string, out io.Writer) error {
	a := newAdmin("scim create")
	org := a.id("org", "organization id")
	provider := a.fs.String("provider", "generic", strings.Join(schematype.Provider("").Values(), ", "))
	name := a.fs.String("name", "", "directory name (default: the provider's name)")
	return a.do(ctx, args, func(ctx context.Context, svc *domain.Service) error {
		orgID, err := org()
		if err != nil {
			return err
		}
		d, err := svc.CreateDirectory(ctx, domain.NewDirectory{OrganizationID: orgID,
			Provider: schematype.Provider(*provider), Name: *name})
		if err != nil {
			return err
		}
		printToken(out, a.base(), d)
		return nil
	})
}

// printToken shows a new token once, with the endpoint it is for.
func printToken(out io.Writer, base string, t *domain.IssuedToken) {
	fmt.Fprintf(out, "directory:     %s\nSCIM endpoint: %s\nbearer token:  %s\n(the token is shown only now: store it in your identity provider)\n",
		t.Directory.ID, domain.SCIMEndpoint(base, t.Directory.ID), t.BearerToken)
}

func listDirectories(ctx context.Context, args []string, out io.Writer) error {
	a := newAdmin("scim list")
	org := a.id("org", "organization id")
	return a.do(ctx, args, func(ctx context.Context, svc *domain.Service) error {
		orgID, err := org()
		if err != nil {
			return err
		}
		ds, err := svc.Directories(ctx, orgID)
		if err != nil {
			return err
		}
		return table(out, "ID\tPROVIDER\tNAME\tENABLED\tLAST SYNC\tSCIM ENDPOINT", len(ds), func(i int) []any {
			d := ds[i]
			return []any{d.ID, d.Provider, d.Name, d.Enabled, timeOrDash(d.LastSyncedAt), domain.SCIMEndpoint(a.base(), d.ID)}
		})
	})
}

func rotateToken(ctx context.Context, args []string, out io.Writer) error {
	a := newAdmin("scim rotate")
	dir := a.id("dir", "directory id")
	expiresIn := a.fs.Duration("expires-in", 0, "lifetime of the new token (default: no expiry)")
	return a.do(ctx, args, func(ctx context.Context, svc *domain.Service) error {
		id, err := dir()
		if err != nil {
			return err
		}
		var exp *time.Time
		if *expiresIn != 0 {
			t := time.Now().Add(*expiresIn)
			exp = &t
		}
		t, err := svc.RotateDirectoryToken(ctx, id, exp)
		if err != nil {
			return err
		}
		printToken(out, a.base(), t)
		fmt.Fprintln(out, "the previous token keeps working until you revoke it: directory scim revoke --token <id>")
		return nil
	})
}

func listTokens(ctx context.Context, args []string, out io.Writer) error {
	a := newAdmin("scim tokens")
	dir := a.id("dir", "directory id")
	return a.do(ctx, args, func(ctx context.Context, svc *domain.Service) error {
		id, err := dir()
		if err != nil {
			return err
		}
		ts, err := svc.DirectoryTokens(ctx, id)
		if err != nil {
			return err
		}
		return table(out, "ID\tPREFIX\tCREATED\tEXPIRES\tLAST USED", len(ts), func(i int) []any {
			t := ts[i]
			return []any{t.ID, t.Prefix, t.CreatedAt.UTC().Format(time.RFC3339), timeOrDash(t.ExpiresAt), timeOrDash(t.LastUsedAt)}
		})
	})
}

func createRole(ctx context.Context, args []string, out io.Writer) error {
	a := newAdmin("role create")
	org := a.id("org", "organization id")
	key := a.fs.String("key", "", "the identifier the application checks (required)")
	name := a.fs.String("name", "", "display name (required)")
	return a.do(ctx, args, func(ctx context.Context, svc *domain.Service) error {
		orgID, err := org()
		if err != nil {
			return err
		}
		r, err := svc.CreateRole(ctx, domain.NewRole{OrganizationID: orgID, Key: *key, Name: *name})
		if err == nil {
			fmt.Fprintln(out, r.ID)
		}
		return err
	})
}

func listRoles(ctx context.Context, args []string, out io.Writer) error {
	a := newAdmin("role list")
	org := a.id("org", "organization id")
	return a.do(ctx, args, func(ctx context.Context, svc *domain.Service) error {
		orgID, err := org()
		if err != nil {
			return err
		}
		rs, err := svc.Roles(ctx, orgID)
		if err != nil {
			return err
		}
		return table(out, "ID\tKEY\tNAME", len(rs), func(i int) []any { return []any{rs[i].ID, rs[i].Key, rs[i].Name} })
	})
}

func setDefaultRole(ctx context.Context, args []string, out io.Writer) error {
	a := newAdmin("role default")
	org := a.id("org", "organization id")
	role := a.fs.String("role", "", "role id; empty clears the default role")
	return a.do(ctx, args, func(ctx context.Context, svc *domain.Service) error {
		orgID, err := org()
		if err != nil {
			return err
		}
		var roleID *uuid.UUID
		if *role != "" {
			id, err := uuid.Parse(*role)
			if err != nil {
				return fmt.Errorf("role default: --role must be an id: %q", *role)
			}
			roleID = &id
		}
		if _, err := svc.SetDefaultRole(ctx, orgID, roleID); err != nil {
			return err
		}
		fmt.Fprintln(out, "default role set")
		return nil
	})
}

func mapGroupRoles(ctx context.Context, args []string, out io.Writer) error {
	a := newAdmin("role map")
	group := a.id("group", "group id")
	var roles idList
	a.fs.Var(&roles, "role", "a role the group gives its members (repeat; none: unmap all)")
	return a.do(ctx, args, func(ctx context.Context, svc *domain.Service) error {
		groupID, err := group()
		if err != nil {
			return err
		}
		g, err := svc.SetGroupRoles(ctx, groupID, roles)
		if err == nil {
			fmt.Fprintf(out, "group %q maps to %d role(s)\n", g.DisplayName, len(roles))
		}
		return err
	})
}

func createAPIKey(ctx context.Context, args []string, out io.Writer) error {
	a := newAdmin("apikey create")
	scope := a.fs.String("scope", "", strings.ReplaceAll(strings.Join(access.Scope("").Values(), ", "), "_", "-")+" (required)")
	org := a.fs.String("org", "", "organization id (org scopes)")
	name := a.fs.String("name", "", "a note to tell keys apart")
	return a.do(ctx, args, func(ctx context.Context, svc *domain.Service) error {
		in := domain.NewAPIKey{Scope: access.Scope(strings.ReplaceAll(*scope, "-", "_")), Name: *name}
		if *org != "" {
			id, err := uuid.Parse(*org)
			if err != nil {
				return fmt.Errorf("apikey create: --org must be an organization id: %q", *org)
			}
			in.OrganizationID = &id
		}
		k, err := svc.CreateAPIKey(ctx, in)
		if err == nil {
			fmt.Fprintln(out, k.Key)
		}
		return err
	})
}

func listAPIKeys(ctx context.Context, args []string, out io.Writer) error {
	a := newAdmin("apikey list")
	return a.do(ctx, args, func(ctx context.Context, svc *domain.Service) error {
		ks, err := svc.APIKeys(ctx)
		if err != nil {
			return err
		}
		return table(out, "ID\tPREFIX\tSCOPE\tORGANIZATION\tNAME\tLAST USED", len(ks), func(i int) []any {
			k := ks[i]
			org := "-"
			if k.OrganizationID != nil {
				org = k.OrganizationID.String()
			}
			return []any{k.ID, k.Prefix, k.Scope, org, k.Name, timeOrDash(k.LastUsedAt)}
		})
	})
}

// idList is a repeatable flag of ids.
type idList []uuid.UUID

func (l *idList) String() string { return fmt.Sprint(*l) }

// Set implements flag.Value.
func (l *idList) Set(s string) error {
	id, err := uuid.Parse(s)
	if err != nil {
		return fmt.Errorf("not an id: %q", s)
	}
	*l = append(*l, id)
	return nil
}

// table prints n rows under a tab-separated header, aligned.
func table(out io.Writer, header string, n int, row func(i int) []any) error {
	w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, header)
	for i := range n {
		cells := row(i)
		for j, c := range cells {
			if j > 0 {
				fmt.Fprint(w, "\t")
			}
			fmt.Fprint(w, c)
		}
		fmt.Fprintln(w)
	}
	return w.Flush()
}

// timeOrDash shows an optional time.
func timeOrDash(t *time.Time) string {
	if t == nil {
		return "-"
	}
	return t.UTC().Format(time.RFC3339)
}

// deref returns *s, or "" for nil.
func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// explain turns a domain error into a message for the person at the
// terminal.
func explain(err error) error {
	if err == nil || fault.CodeOf(err) == fault.Internal {
		return err
	}
	return fmt.Errorf("%s", fault.MessageOf(err))
}
