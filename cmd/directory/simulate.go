package main

import (
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/acme/directory/simulate"
)

// simulateCmd plays an identity provider against any SCIM endpoint: an
// initial sync, then churn, then a report of what it did and what failed.
func (a *cli) simulateCmd() *cobra.Command {
	var cfg simulate.Config
	var seed uint64
	var progress, verify bool
	cmd := leaf("simulate", "play an identity provider against a SCIM endpoint (--url URL --token T)", func(cmd *cobra.Command) error {
		cfg.Seed = seed
		if progress || isTerminal(os.Stderr) {
			cfg.Progress = os.Stderr
		}
		sim, err := simulate.New(cfg)
		if err != nil {
			return err
		}
		rep, err := sim.Run(cmd.Context())
		if err != nil {
			return err
		}
		if err := rep.Print(a.out); err != nil {
			return fmt.Errorf("simulate: %w", err)
		}
		if verify {
			if err := sim.Verify(cmd.Context()); err != nil {
				return err
			}
			fmt.Fprintln(a.out, "\nverified: the directory holds what the simulation sent")
		}
		if n := rep.Failures(); n > 0 {
			return fmt.Errorf("simulate: %d of %d requests failed", n, rep.Requests())
		}
		return nil
	})
	fs := cmd.Flags()
	fs.StringVar(&cfg.URL, "url", getenv("SCIM_URL"), "the directory's SCIM endpoint, .../scim/v2/{directory id}")
	fs.StringVar(&cfg.Token, "token", getenv("SCIM_TOKEN"), "the directory's bearer token")
	_ = fs.SetAnnotation("url", envAnnotation, []string{"SCIM_URL"})
	_ = fs.SetAnnotation("token", envAnnotation, []string{"SCIM_TOKEN"})
	fs.IntVar(&cfg.Users, "users", 100, "users to provision")
	fs.IntVar(&cfg.Groups, "groups", 5, "groups to provision")
	fs.IntVar(&cfg.Concurrency, "concurrency", 4, "requests in flight at once")
	fs.DurationVar(&cfg.Duration, "duration", 10*time.Second, "how long churn runs after the sync (0: sync only)")
	fs.Uint64Var(&seed, "seed", 1, "seed of the names and the churn")
	fs.IntVar(&cfg.BatchSize, "batch", 100, "members per PATCH during the sync")
	fs.StringVar(&cfg.Prefix, "prefix", "sim", "start of every userName and group name")
	fs.BoolVar(&progress, "progress", false, "show a progress line on stderr even when it is not a terminal")
	fs.BoolVar(&verify, "verify", true, "read the directory back at the end and compare it with what was sent")
	return cmd
}

// isTerminal reports whether f is a character device (a terminal).
func isTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// serveCmd runs the HTTP server; its flags are the server's configuration,
// each with its environment variable.
func (a *cli) serveCmd() *cobra.Command {
	cmd := leaf("serve", "run the HTTP server (SCIM, GraphQL, the Admin Portal, health, metrics)", func(cmd *cobra.Command) error {
		return serve(cmd.Context(), a.cfg, a.out)
	})
	a.cfg.flags(cmd.Flags())
	a.cfg.http.flags(cmd.Flags())
	annotateEnv(cmd.Flags())
	return cmd
}
