package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/spf13/cobra"
)

// healthcheckCmd asks a server's /healthz and fails unless it answers 200:
// the container image's HEALTHCHECK, which has no curl in it.
func (a *cli) healthcheckCmd() *cobra.Command {
	var url string
	var timeout time.Duration
	cmd := leaf("healthcheck", "exit 0 when the server answers /healthz (the container's HEALTHCHECK)", func(cmd *cobra.Command) error {
		if url == "" {
			url = healthURL(envOr("DIRECTORY_ADDR", ":8080"))
		}
		ctx, cancel := context.WithTimeout(cmd.Context(), timeout)
		defer cancel()
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return fmt.Errorf("healthcheck: %w", err)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			return fmt.Errorf("healthcheck: %w", err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			return fmt.Errorf("healthcheck: %s answered %s", url, res.Status)
		}
		fmt.Fprintln(a.out, "ok")
		return nil
	})
	cmd.Flags().StringVar(&url, "url", "", "what to ask; empty: /healthz on the loopback port of DIRECTORY_ADDR")
	cmd.Flags().DurationVar(&timeout, "timeout", 3*time.Second, "how long to wait for the answer")
	return cmd
}

// healthURL is the /healthz URL of a server listening on addr, on this
// machine.
func healthURL(addr string) string {
	_, port, err := net.SplitHostPort(addr)
	if err != nil || port == "" {
		port = "8080"
	}
	return "http://" + net.JoinHostPort("127.0.0.1", port) + "/healthz"
}
