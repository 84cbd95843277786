// Command directory is the Directory service: one binary that serves SCIM
// 2.0 and GraphQL, applies migrations, backs up and restores the embedded
// database, and administers organizations, directories, roles, keys,
// webhooks, portal links, users and groups from the command line.
//
//	directory serve                      run the HTTP server
//	directory migrate                    apply database migrations and exit
//	directory org create --name NAME     create an organization
//	directory scim create --org ID --provider jumpcloud
//	directory backup --to FILE           an online copy of the SQLite database
//	directory simulate --url URL --token T   play an identity provider
//
// and more: "directory help" lists every command, "directory CMD --help"
// its flags, each with its environment variable and default.
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	slog.SetDefault(slog.New(requestIDHandler{slog.NewTextHandler(os.Stderr, nil)}))
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		if exitCode(err) == exitUsage {
			fmt.Fprintln(stderr, err) // it starts with the command's path
		} else {
			fmt.Fprintln(stderr, "directory:", err)
		}
		stop()
		os.Exit(exitCode(err))
	}
}
