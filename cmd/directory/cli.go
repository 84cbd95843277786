package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime/debug"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/google/uuid"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// The command line, on cobra: every command and flag has --help, flags
// that take a fixed set of values refuse others at once (listing them, and
// completing them in the shell), and a wrong flag or argument is an error
// with the command's usage line.

// envAnnotation is the flag annotation naming the environment variable a
// flag's default comes from.
const envAnnotation = "env"

// usageError is a command line that does not parse: main exits 2.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

// usageErr makes a usage error of err, with cmd's usage line.
func usageErr(cmd *cobra.Command, err error) error {
	line := cmd.UseLine()
	if cmd.HasSubCommands() {
		line = cmd.CommandPath() + " <command> [flags]"
	}
	return usageError{fmt.Errorf("%s: %w\nusage: %s\nrun '%s --help' for more", cmd.CommandPath(), err, line, cmd.CommandPath())}
}

// cli is one run of the command line: the configuration its flags fill and
// where commands print for the person who ran them.
type cli struct {
	cfg       config
	out       io.Writer
	logLevel  string
	logFormat string
}

// newRoot builds the command tree of one run.
func newRoot(out io.Writer) *cobra.Command {
	a := &cli{out: out}
	root := &cobra.Command{
		Use:   "directory",
		Short: "Directory: SCIM 2.0 and GraphQL directory service",
		Long: `Directory serves SCIM 2.0 (identity providers push users and groups) and
GraphQL (applications read the directory, admins configure it), and
administers the same database from the command line.

Start with:
  directory serve                                   (or: make run)
  directory org create --name "Acme"
  directory scim create --org <org id> --provider jumpcloud`,
		Version:       versionString(),
		SilenceUsage:  true,
		SilenceErrors: true,
		Args:          noArgs,
		RunE:          func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			return a.setupLogging(cmd.ErrOrStderr())
		},
	}
	root.SetVersionTemplate("{{.Version}}\n")
	root.SetOut(out)
	root.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error { return usageErr(cmd, err) })
	root.SetUsageTemplate(usageTemplate)
	pf := root.PersistentFlags()
	a.cfg.databaseFlags(pf)
	enumVar(pf, &a.logLevel, "log-level", envOr("DIRECTORY_LOG_LEVEL", "info"), "least level logged", "debug", "info", "warn", "error")
	enumVar(pf, &a.logFormat, "log-format", envOr("DIRECTORY_LOG_FORMAT", "text"), "log line format", "text", "json")
	annotateEnv(pf)

	root.AddGroup(&cobra.Group{ID: "server", Title: "Server:"}, &cobra.Group{ID: "admin", Title: "Administration:"})
	for _, c := range []*cobra.Command{a.serveCmd(), a.migrateCmd(), a.backupCmd(), a.restoreCmd(), a.healthcheckCmd(), a.simulateCmd()} {
		c.GroupID = "server"
		root.AddCommand(c)
	}
	for _, c := range []*cobra.Command{a.orgCmd(), a.scimCmd(), a.roleCmd(), a.apikeyCmd(), a.userCmd(), a.groupCmd(),
		a.eventsCmd(), a.webhookCmd(), a.portalCmd()} {
		c.GroupID = "admin"
		root.AddCommand(c)
	}
	return root
}

// run runs a command line; out receives what a command prints for the
// person who ran it.
func run(ctx context.Context, args []string, out io.Writer) error {
	root := newRoot(out)
	root.SetArgs(args)
	cmd, err := root.ExecuteContextC(ctx)
	var ue usageError
	if err != nil && !errors.As(err, &ue) && cobraUsage(err) {
		return usageErr(cmd, err)
	}
	return err
}

// cobraUsage reports whether err is cobra's word on a command line that
// does not parse (a required flag missing, a flag group broken).
func cobraUsage(err error) bool {
	m := err.Error()
	return strings.HasPrefix(m, "required flag") || strings.HasPrefix(m, "unknown command") ||
		strings.HasPrefix(m, "if any flags in the group") || strings.HasPrefix(m, "at least one of the flags")
}

// noArgs refuses positional arguments, naming the subcommands of a group.
func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		return nil
	}
	if cmd.HasSubCommands() {
		return usageErr(cmd, fmt.Errorf("unknown command %q", args[0]))
	}
	return usageErr(cmd, fmt.Errorf("unexpected argument %q", args[0]))
}

// noun is a noun of the command line ("scim", "role"), whose verbs are
// its subcommands.
func noun(use, short string, verbs ...*cobra.Command) *cobra.Command {
	c := &cobra.Command{Use: use, Short: short, Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() }}
	c.AddCommand(verbs...)
	return c
}

// leaf is a command that runs: no positional arguments.
func leaf(use, short string, run func(cmd *cobra.Command) error) *cobra.Command {
	return &cobra.Command{Use: use, Short: short, Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return run(cmd) }}
}

// setupLogging installs the default logger of the configured level and
// format, which adds each request's id to the lines logged in it.
func (a *cli) setupLogging(w io.Writer) error {
	var level slog.Level
	if err := level.UnmarshalText([]byte(a.logLevel)); err != nil {
		return fmt.Errorf("--log-level: %w", err)
	}
	opts := &slog.HandlerOptions{Level: level}
	var h slog.Handler = slog.NewTextHandler(w, opts)
	if a.logFormat == "json" {
		h = slog.NewJSONHandler(w, opts)
	}
	slog.SetDefault(slog.New(requestIDHandler{h}))
	return nil
}

// annotateEnv marks each flag of fs with the environment variable its
// default is read from: DIRECTORY_ and the flag's name in upper snake
// case, DATABASE_URL for --database-url (TestFlagsEnvironment checks each
// one is read).
func annotateEnv(fs *pflag.FlagSet) {
	fs.VisitAll(func(f *pflag.Flag) {
		if f.Annotations[envAnnotation] == nil {
			_ = fs.SetAnnotation(f.Name, envAnnotation, []string{envName(f.Name)})
		}
	})
}

// envName is the environment variable of a configuration flag.
func envName(flag string) string {
	if flag == "database-url" {
		return "DATABASE_URL"
	}
	return "DIRECTORY_" + strings.ToUpper(strings.ReplaceAll(flag, "-", "_"))
}

// usageTemplate is cobra's, with every flag's environment variable and
// default (flagUsages).
const usageTemplate = `Usage:{{if .Runnable}}
  {{.UseLine}}{{end}}{{if .HasAvailableSubCommands}}
  {{.CommandPath}} [command]{{end}}{{if gt (len .Aliases) 0}}

Aliases:
  {{.NameAndAliases}}{{end}}{{if .HasExample}}

Examples:
{{.Example}}{{end}}{{if .HasAvailableSubCommands}}{{$cmds := .Commands}}{{if eq (len .Groups) 0}}

Commands:{{range $cmds}}{{if (or .IsAvailableCommand (eq .Name "help"))}}
  {{rpad .Name .NamePadding }} {{.Short}}{{end}}{{end}}{{else}}{{range $group := .Groups}}

{{.Title}}{{range $cmds}}{{if (and (eq .GroupID $group.ID) (or .IsAvailableCommand (eq .Name "help")))}}
  {{rpad .Name .NamePadding }} {{.Short}}{{end}}{{end}}{{end}}{{if not .AllChildCommandsHaveGroup}}

Other Commands:{{range $cmds}}{{if (and (eq .GroupID "") (or .IsAvailableCommand (eq .Name "help")))}}
  {{rpad .Name .NamePadding }} {{.Short}}{{end}}{{end}}{{end}}{{end}}{{end}}{{if .HasAvailableLocalFlags}}

Flags:
{{flagUsages .LocalFlags}}{{end}}{{if .HasAvailableInheritedFlags}}

Global Flags:
{{flagUsages .InheritedFlags}}{{end}}{{if .HasAvailableSubCommands}}

Use "{{.CommandPath}} [command] --help" for more information about a command.{{end}}
`

func init() { cobra.AddTemplateFunc("flagUsages", flagUsages) }

// flagUsages lists fs's flags, one a line: name, type, meaning, and the
// environment variable and default where they apply.
func flagUsages(fs *pflag.FlagSet) string {
	var b strings.Builder
	w := tabwriter.NewWriter(&b, 0, 4, 3, ' ', 0)
	fs.VisitAll(func(f *pflag.Flag) {
		if f.Hidden {
			return
		}
		name := "      --" + f.Name
		if f.Shorthand != "" {
			name = "  -" + f.Shorthand + ", --" + f.Name
		}
		if t := f.Value.Type(); t != "bool" {
			name += " " + t
		}
		fmt.Fprintf(w, "%s\t%s%s\n", name, f.Usage, flagDetail(f))
	})
	w.Flush()
	return strings.TrimRight(b.String(), "\n")
}

// flagDetail is the "(env X, default Y)" of a flag's help line.
func flagDetail(f *pflag.Flag) string {
	if f.Name == "help" || f.Name == "version" {
		return ""
	}
	if req := f.Annotations[cobra.BashCompOneRequiredFlag]; len(req) > 0 && req[0] == "true" {
		return " (required)"
	}
	var parts []string
	if env := f.Annotations[envAnnotation]; len(env) > 0 {
		parts = append(parts, "env "+env[0])
	}
	parts = append(parts, "default "+showDefault(f))
	return " (" + strings.Join(parts, ", ") + ")"
}

// showDefault is a flag's default as the help shows it.
func showDefault(f *pflag.Flag) string {
	switch {
	case f.DefValue == "" || f.DefValue == "[]":
		return "none"
	case f.Value.Type() == "string":
		return fmt.Sprintf("%q", f.DefValue)
	}
	return f.DefValue
}

// Build information: set with -ldflags "-X main.version=... -X
// main.commit=... -X main.buildDate=..." (the Dockerfile does), else read
// from the module and VCS stamps of debug.ReadBuildInfo.
var (
	version   = ""
	commit    = ""
	buildDate = ""
)

// versionString is what --version prints: version, commit and build date.
func versionString() string {
	v, c, d := version, commit, buildDate
	modified := false
	if bi, ok := debug.ReadBuildInfo(); ok {
		if v == "" {
			v = bi.Main.Version
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				if c == "" {
					c = s.Value
				}
			case "vcs.time":
				if d == "" {
					d = s.Value
				}
			case "vcs.modified":
				modified = s.Value == "true"
			}
		}
		if c != "" && modified {
			c += " (modified)"
		}
		v += ", " + bi.GoVersion
	}
	return fmt.Sprintf("directory %s, commit %s, built %s", or(v, "unknown"), or(c, "unknown"), or(d, "unknown"))
}

// or is s, or def when s is empty.
func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// enumValue is a string flag that takes one of a fixed set of values.
type enumValue struct {
	v       *string
	allowed []string
}

func (e *enumValue) String() string { return *e.v }

// Set implements pflag.Value.
func (e *enumValue) Set(s string) error {
	if !slices.Contains(e.allowed, s) {
		return fmt.Errorf("must be one of %s", strings.Join(e.allowed, ", "))
	}
	*e.v = s
	return nil
}

// Type implements pflag.Value.
func (e *enumValue) Type() string { return "string" }

// enumVar registers a flag that takes one of allowed (def is not checked,
// as it may come from the environment: an invalid one fails when used).
func enumVar(fs *pflag.FlagSet, p *string, name, def, usage string, allowed ...string) {
	*p = def
	fs.Var(&enumValue{v: p, allowed: allowed}, name, usage+": "+strings.Join(allowed, ", "))
}

// enumListValue is a comma-separated list flag of values from a fixed set.
type enumListValue struct {
	v       *[]string
	allowed []string
}

func (e *enumListValue) String() string { return strings.Join(*e.v, ",") }

// Set implements pflag.Value.
func (e *enumListValue) Set(s string) error {
	for _, t := range strings.Split(s, ",") {
		if t = strings.TrimSpace(t); t == "" {
			continue
		}
		if !slices.Contains(e.allowed, t) {
			return fmt.Errorf("%q is not one of %s", t, strings.Join(e.allowed, ", "))
		}
		*e.v = append(*e.v, t)
	}
	return nil
}

// Type implements pflag.Value.
func (e *enumListValue) Type() string { return "strings" }

// completeFrom completes a flag's values from a fixed list.
func completeFrom(cmd *cobra.Command, name string, values []string) {
	_ = cmd.RegisterFlagCompletionFunc(name, func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return values, cobra.ShellCompDirectiveNoFileComp
	})
}

// uuidValue is an id flag: anything but a UUID is refused at parse time.
type uuidValue struct{ v *uuid.UUID }

func (u uuidValue) String() string {
	if *u.v == uuid.Nil {
		return ""
	}
	return u.v.String()
}

// Set implements pflag.Value.
func (u uuidValue) Set(s string) error {
	id, err := uuid.Parse(s)
	if err != nil {
		return fmt.Errorf("must be an id: %q", s)
	}
	*u.v = id
	return nil
}

// Type implements pflag.Value.
func (u uuidValue) Type() string { return "id" }

// idFlag registers a required id flag on cmd.
func idFlag(cmd *cobra.Command, name, usage string) *uuid.UUID {
	var id uuid.UUID
	cmd.Flags().Var(uuidValue{&id}, name, usage)
	_ = cmd.MarkFlagRequired(name)
	return &id
}

// idsValue is a repeatable id flag.
type idsValue struct{ v *[]uuid.UUID }

func (l idsValue) String() string { return fmt.Sprint(*l.v) }

// Set implements pflag.Value.
func (l idsValue) Set(s string) error {
	id, err := uuid.Parse(s)
	if err != nil {
		return fmt.Errorf("must be an id: %q", s)
	}
	*l.v = append(*l.v, id)
	return nil
}

// Type implements pflag.Value.
func (l idsValue) Type() string { return "id" }

// main's exit statuses.
const (
	exitFailure = 1
	exitUsage   = 2
)

// exitCode is the status main exits with after err.
func exitCode(err error) int {
	var ue usageError
	if errors.As(err, &ue) {
		return exitUsage
	}
	return exitFailure
}

// stderr is where main reports errors.
var stderr io.Writer = os.Stderr
