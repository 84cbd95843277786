package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/acme/directory/simulate"
)

// simulateUsage is the simulate command's line in the usage text.
const simulateUsage = "play an identity provider against a SCIM endpoint (--url URL --token T)"

// simulateCmd plays an identity provider against any SCIM endpoint: an
// initial sync, then churn, then a report of what it did and what failed.
func simulateCmd(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("simulate", flag.ContinueOnError)
	var cfg simulate.Config
	fs.StringVar(&cfg.URL, "url", os.Getenv("SCIM_URL"), "the directory's SCIM endpoint, .../scim/v2/{directory id} (env SCIM_URL)")
	fs.StringVar(&cfg.Token, "token", os.Getenv("SCIM_TOKEN"), "the directory's bearer token (env SCIM_TOKEN)")
	fs.IntVar(&cfg.Users, "users", 100, "users to provision")
	fs.IntVar(&cfg.Groups, "groups", 5, "groups to provision")
	fs.IntVar(&cfg.Concurrency, "concurrency", 4, "requests in flight at once")
	fs.DurationVar(&cfg.Duration, "duration", 10*time.Second, "how long churn runs after the sync (0: sync only)")
	seed := fs.Uint64("seed", 1, "seed of the names and the churn")
	fs.IntVar(&cfg.BatchSize, "batch", 100, "members per PATCH during the sync")
	fs.StringVar(&cfg.Prefix, "prefix", "sim", "start of every userName and group name")
	progress := fs.Bool("progress", false, "show a progress line on stderr even when it is not a terminal")
	verify := fs.Bool("verify", true, "read the directory back at the end and compare it with what was sent")
	if err := parse(fs, args); err != nil {
		return err
	}
	cfg.Seed = *seed
	if *progress || isTerminal(os.Stderr) {
		cfg.Progress = os.Stderr
	}
	sim, err := simulate.New(cfg)
	if err != nil {
		return err
	}
	rep, err := sim.Run(ctx)
	if err != nil {
		return err
	}
	if err := rep.Print(out); err != nil {
		return fmt.Errorf("simulate: %w", err)
	}
	if *verify {
		if err := sim.Verify(ctx); err != nil {
			return err
		}
		fmt.Fprintln(out, "\nverified: the directory holds what the simulation sent")
	}
	if n := rep.Failures(); n > 0 {
		return fmt.Errorf("simulate: %d of %d requests failed", n, rep.Requests())
	}
	return nil
}

// isTerminal reports whether f is a character device (a terminal).
func isTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
