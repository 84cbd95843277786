// Command directory is the Directory service: one binary that serves SCIM
// 2.0 and GraphQL, applies migrations and creates organizations, directories
// and keys from the command line.
//
//	directory serve                      run the HTTP server
//	directory migrate                    apply database migrations and exit
//	directory org create --name NAME     create an organization
//	directory scim create --org ID --provider jumpcloud
//	directory scim rotate --dir ID       add a second token to a directory
//	directory role map --group ID --role ID
//	directory apikey create --scope platform|org-admin|org-read [--org ID]
//	directory simulate --url URL --token T   play an identity provider
//
// and more: "directory help" lists every command.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/acme/directory/access"
	"github.com/acme/directory/ent/schema/schematype"
)

// usage is the help text; the administrative commands come from their
// table.
func usage() string {
	var b strings.Builder
	b.WriteString(`usage: directory <command> [flags]

commands:
  serve                  run the HTTP server (SCIM, GraphQL, health)
  migrate                apply database migrations and exit
`)
	fmt.Fprintf(&b, "  %-22s %s\n", "simulate", simulateUsage)
	for _, c := range adminCommands {
		fmt.Fprintf(&b, "  %-22s %s\n", c.name, c.usage)
	}
	fmt.Fprintf(&b, `
providers: %s
scopes:    %s
every command takes the flags of the environment below (--database-url, --data-dir, ...)

environment:
  DATABASE_URL          postgres://... for PostgreSQL; unset: SQLite under DIRECTORY_DATA_DIR
  DIRECTORY_LISTEN_DATABASE_URL  direct postgres://... session for LISTEN and migrations when
                        DATABASE_URL is a transaction-pooling proxy (PgBouncer); default DATABASE_URL
  DIRECTORY_DATA_DIR    folder of the SQLite database (default ./data)
  DIRECTORY_ADDR        listen address (default :8080)
  DIRECTORY_PUBLIC_URL  base URL shown to admins (default http://localhost:<port>)
`, strings.Join(schematype.Provider("").Values(), ", "), strings.ReplaceAll(strings.Join(access.Scope("").Values(), ", "), "_", "-"))
	return b.String()
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	slog.SetDefault(slog.New(slog.NewTextHandler(os.Stderr, nil)))
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		if errors.Is(err, errUsage) {
			fmt.Fprint(os.Stderr, usage())
			os.Exit(2)
		}
		fmt.Fprintln(os.Stderr, "directory:", err)
		os.Exit(1)
	}
}

var errUsage = errors.New("usage")

// run dispatches a command line; out receives what a command prints for the
// person who ran it.
func run(ctx context.Context, args []string, out io.Writer) error {
	if len(args) == 0 {
		return errUsage
	}
	switch args[0] {
	case "serve":
		return serve(ctx, args[1:], out)
	case "migrate":
		return migrate(ctx, args[1:], out)
	case "simulate":
		return simulateCmd(ctx, args[1:], out)
	case "help", "-h", "--help":
		fmt.Fprint(out, usage())
		return nil
	}
	if len(args) >= 2 {
		name := args[0] + " " + args[1]
		for _, c := range adminCommands {
			if c.name == name {
				return c.run(ctx, args[2:], out)
			}
		}
	}
	return errUsage
}
