package main

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/spf13/pflag"
)

// Markers around the README's configuration table, which configTable
// writes (TestREADMEConfigTable fails when the README's differs).
const (
	configTableBegin = "<!-- config-table: generated from the flags by TestREADMEConfigTable; UPDATE_README=1 rewrites it -->"
	configTableEnd   = "<!-- end config-table -->"
)

// configTable is the Markdown table of every flag serve takes, with its
// environment variable and built-in default (the environment ignored).
func configTable() string {
	prev := getenv
	getenv = func(string) string { return "" }
	defer func() { getenv = prev }()
	serve, _, err := newRoot(&bytes.Buffer{}).Find([]string{"serve"})
	if err != nil {
		panic(err)
	}
	var b strings.Builder
	b.WriteString("| flag of `serve` | environment variable | default | meaning |\n| --- | --- | --- | --- |\n")
	row := func(f *pflag.Flag) {
		if f.Name == "help" {
			return
		}
		env := "-"
		if e := f.Annotations[envAnnotation]; len(e) > 0 {
			env = "`" + e[0] + "`"
		}
		def := showDefault(f)
		if def != "none" {
			def = "`" + strings.Trim(def, `"`) + "`"
		}
		fmt.Fprintf(&b, "| `--%s` | %s | %s | %s |\n", f.Name, env, def, strings.ReplaceAll(f.Usage, "|", `\|`))
	}
	serve.InheritedFlags().VisitAll(row)
	serve.LocalFlags().VisitAll(row)
	return b.String()
}
