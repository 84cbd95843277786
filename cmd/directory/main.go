// Command directory is the Directory service: one binary that serves SCIM
// 2.0 and GraphQL, applies migrations and creates organizations, directories
// and keys from the command line.
//
//	directory serve                      run the HTTP server
//	directory migrate                    apply database migrations and exit
//	directory org create --name NAME     create an organization
//	directory scim create --org ID --provider jumpcloud
//	directory apikey create --scope platform|org-admin|org-read [--org ID]
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
)

const usage = `usage: directory <command> [flags]

commands:
  serve                                   run the HTTP server (SCIM, GraphQL, health)
  migrate                                 apply database migrations and exit
  org create --name NAME [--slug SLUG]    create an organization, print its id
  scim create --org ID --provider P       create a SCIM directory, print its endpoint and token
        providers: jumpcloud, okta, entra, onelogin, ping, generic
  apikey create --scope S [--org ID]      create an API key, print it once
        scopes: platform, org-admin, org-read

environment:
  DATABASE_URL          postgres://... for PostgreSQL; unset: SQLite under DIRECTORY_DATA_DIR
  DIRECTORY_DATA_DIR    folder of the SQLite database (default ./data)
  DIRECTORY_ADDR        listen address (default :8080)
  DIRECTORY_PUBLIC_URL  base URL shown to admins (default http://localhost:<port>)
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	slog.SetDefault(slog.New(slog.NewTextHandler(os.Stderr, nil)))
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		if errors.Is(err, errUsage) {
			fmt.Fprint(os.Stderr, usage)
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
	cmd, rest := args[0], args[1:]
	if len(rest) > 0 && (cmd == "org" || cmd == "scim" || cmd == "apikey") {
		if rest[0] != "create" {
			return errUsage
		}
		cmd, rest = cmd+" create", rest[1:]
	}
	switch cmd {
	case "serve":
		return serve(ctx, rest, out)
	case "migrate":
		return migrate(ctx, rest, out)
	case "org create":
		return createOrg(ctx, rest, out)
	case "scim create":
		return createDirectory(ctx, rest, out)
	case "apikey create":
		return createAPIKey(ctx, rest, out)
	case "help", "-h", "--help":
		fmt.Fprint(out, usage)
		return nil
	}
	return errUsage
}
