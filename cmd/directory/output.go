package main

import (
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
)

// Output formats of the commands that print records.
const (
	outputTable = "table"
	outputJSON  = "json"
)

// outputFlag registers --output (-o) on a command that prints records.
func outputFlag(cmd *cobra.Command) *string {
	var v string
	enumVar(cmd.Flags(), &v, "output", outputTable, "output format", outputTable, outputJSON)
	cmd.Flags().Lookup("output").Shorthand = "o"
	completeFrom(cmd, "output", []string{outputTable, outputJSON})
	return &v
}

// emit prints records: as an aligned table under header (tab-separated),
// one row each, or as one JSON array.
func emit[T any](out io.Writer, format, header string, recs []T, row func(T) []any) error {
	if format == outputJSON {
		if recs == nil {
			recs = []T{}
		}
		return writeJSON(out, recs)
	}
	w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, header)
	for _, r := range recs {
		for j, c := range row(r) {
			if j > 0 {
				fmt.Fprint(w, "\t")
			}
			fmt.Fprint(w, c)
		}
		fmt.Fprintln(w)
	}
	if err := w.Flush(); err != nil {
		return fmt.Errorf("print: %w", err)
	}
	return nil
}

// writeJSON prints v as indented JSON.
func writeJSON(out io.Writer, v any) error {
	enc := json.NewEncoder(out)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("print JSON: %w", err)
	}
	return nil
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
