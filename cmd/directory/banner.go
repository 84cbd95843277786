package main

import (
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/acme/directory/portal"
)

// printBanner is what the first start prints: the bootstrap key, shown
// once, the URLs to open and the next commands, written so that they work
// as they are from the repository's root (go run ./cmd/directory, on the
// database this server uses).
func printBanner(out io.Writer, key string, c *config) {
	base := c.base()
	cmd, where := "go run ./cmd/directory", ""
	if c.databaseURL != "" {
		// Never the URL itself: it may hold a password.
		where = " (with DATABASE_URL exported as for this server)"
	} else if filepath.Clean(c.dataDir) != "data" {
		cmd += " --data-dir " + shellQuote(c.dataDir)
	}
	fmt.Fprintf(out, `
Directory is set up. This server created the platform API key; it is shown only once:

    %s

Admin Portal:  %s%s/   (sign in with the key)
GraphQL API:   %s/graphql   (Authorization: Bearer <key>)
Health:        %s/healthz
Next, in another terminal at the repository's root (or with the directory binary)%s:
    %s org create --name "Acme"
    %s scim create --org <org id> --provider jumpcloud
    %s help

`, key, base, portal.Path, base, base, where, cmd, cmd, cmd)
}

// shellQuote quotes s for a POSIX shell when it needs it.
func shellQuote(s string) string {
	if s != "" && !strings.ContainsAny(s, " \t\n'\"\\$`!*?[]{}()<>|&;#~") {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
