package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/google/uuid"

	"github.com/acme/directory/access"
	"github.com/acme/directory/admin"
	"github.com/acme/directory/fault"
	"github.com/acme/directory/store"
)

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
	return store.Open(ctx, c.databaseURL, c.dataDir)
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
	var c config
	fs := flag.NewFlagSet("org create", flag.ContinueOnError)
	c.flags(fs)
	name := fs.String("name", "", "organization name (required)")
	slug := fs.String("slug", "", "URL-safe handle (default: from the name)")
	if err := parse(fs, args); err != nil {
		return err
	}
	s, err := c.open(ctx)
	if err != nil {
		return err
	}
	defer s.Close()
	org, err := admin.CreateOrganization(access.PlatformContext(ctx), s.Client, *name, *slug)
	if err != nil {
		return explain(err)
	}
	fmt.Fprintln(out, org.ID)
	return nil
}

func createDirectory(ctx context.Context, args []string, out io.Writer) error {
	var c config
	fs := flag.NewFlagSet("scim create", flag.ContinueOnError)
	c.flags(fs)
	org := fs.String("org", "", "organization id (required)")
	provider := fs.String("provider", "generic", "jumpcloud, okta, entra, onelogin, ping or generic")
	name := fs.String("name", "", "directory name (default: the provider's name)")
	if err := parse(fs, args); err != nil {
		return err
	}
	orgID, err := uuid.Parse(*org)
	if err != nil {
		return fmt.Errorf("scim create: --org must be an organization id: %w", err)
	}
	s, err := c.open(ctx)
	if err != nil {
		return err
	}
	defer s.Close()
	d, err := admin.CreateDirectory(access.PlatformContext(ctx), s.Client, orgID, *provider, *name)
	if err != nil {
		return explain(err)
	}
	fmt.Fprintf(out, "directory:     %s\nSCIM endpoint: %s\nbearer token:  %s\n(the token is shown only now: store it in your identity provider)\n",
		d.Directory.ID, admin.SCIMEndpoint(c.base(), d.Directory.ID), d.BearerToken)
	return nil
}

func createAPIKey(ctx context.Context, args []string, out io.Writer) error {
	var c config
	fs := flag.NewFlagSet("apikey create", flag.ContinueOnError)
	c.flags(fs)
	scope := fs.String("scope", "", "platform, org-admin or org-read (required)")
	org := fs.String("org", "", "organization id (org scopes)")
	name := fs.String("name", "", "a note to tell keys apart")
	if err := parse(fs, args); err != nil {
		return err
	}
	var orgID *uuid.UUID
	if *org != "" {
		id, err := uuid.Parse(*org)
		if err != nil {
			return fmt.Errorf("apikey create: --org must be an organization id: %w", err)
		}
		orgID = &id
	}
	s, err := c.open(ctx)
	if err != nil {
		return err
	}
	defer s.Close()
	sc := access.Scope(strings.ReplaceAll(*scope, "-", "_"))
	_, key, err := admin.CreateAPIKey(access.PlatformContext(ctx), s.Client, sc, orgID, *name)
	if err != nil {
		return explain(err)
	}
	fmt.Fprintln(out, key)
	return nil
}

// explain turns a domain error into a message for the person at the
// terminal.
func explain(err error) error {
	if fault.CodeOf(err) == fault.Internal {
		return err
	}
	return fmt.Errorf("%s", fault.MessageOf(err))
}
