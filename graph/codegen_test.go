package graph

import (
	"errors"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2/ast"

	"github.com/acme/directory/store/storetest"
)

// codegenDir holds the pinned GraphQL Code Generator packages
// (package.json, package-lock.json; node_modules from npm ci).
const codegenDir = "testdata/codegen"

// codegenOperations is what a frontend writes first against the events:
// a page of them with the typed fields of a few types.
const codegenOperations = `
query RecentEvents($org: ID!, $after: Cursor, $kinds: [EventType!]) {
  events(organizationID: $org, after: $after, first: 50, kinds: $kinds) {
    edges {
      cursor
      node {
        __typename kind createdAt subjectID
        ... on UserRolesChangedEvent { payload { userName roles } before { roles } }
        ... on UserUpdatedEvent { payload { displayName emails { value primary } } before { changed title } }
        ... on GroupUserAddedEvent { payload { group { displayName } user { userName } } }
        ... on DirectoryCreatedEvent { payload { provider lastSyncedAt } }
      }
    }
    pageInfo { endCursor hasNextPage }
  }
}
`

// TestTypeScriptClient: GraphQL Code Generator, the real one from npm
// (graph/testdata/codegen), run with the README's codegen.yml against the
// schema this server serves, writes a client whose types hold no any and
// no unknown: every custom scalar is mapped, the events are typed. It
// needs node and the installed packages (npm ci --prefix
// graph/testdata/codegen); without them it is skipped, except under CI,
// where it fails.
func TestTypeScriptClient(t *testing.T) {
	bin, err := filepath.Abs(filepath.Join(codegenDir, "node_modules", ".bin", "graphql-codegen"))
	if err != nil {
		t.Fatal(err)
	}
	_, noNode := exec.LookPath("node")
	_, noModules := os.Stat(bin)
	if missing := errors.Join(noNode, noModules); missing != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("CI must run GraphQL Code Generator: %v (install node and run npm ci --prefix graph/%s)", missing, codegenDir)
		}
		t.Skipf("skipped: no node or no GraphQL Code Generator (npm ci --prefix graph/%s): %v", codegenDir, missing)
	}
	s := storetest.Open(t, "sqlite")
	a := newAPI(t, s.Client, s.Dialect, Config{Introspection: true})
	config := readmeCodegen(t)
	config = strings.Replace(config, "https://directory.example.com", a.srv.URL, 1)
	// Also every type of the schema, with the README's config: the client
	// preset writes only the types the operations use.
	_, scalars, ok := strings.Cut(config, "    config:\n")
	if !ok {
		t.Fatal("README's codegen.yml has no config under its output")
	}
	config += "  src/schema.ts:\n    plugins: [typescript]\n    config:\n" + scalars
	work := t.TempDir()
	if err := os.MkdirAll(filepath.Join(work, "src"), 0o755); err != nil {
		t.Fatal(err)
	}
	for name, text := range map[string]string{"codegen.yml": config, "src/events.graphql": codegenOperations} {
		if err := os.WriteFile(filepath.Join(work, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command(bin, "--config", "codegen.yml")
	cmd.Dir = work
	cmd.Env = append(os.Environ(), "DIRECTORY_API_KEY="+a.platform, "NODE_PATH="+filepath.Dir(filepath.Dir(bin)))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("graphql-codegen: %v\n%s", err, out)
	}
	for file, want := range map[string][]string{
		"src/gql/graphql.ts": {"RecentEventsQuery", "RecentEventsQueryVariables", "EventType"},
		"src/schema.ts":      {"Scalars", "EventType", "Event", "UserRolesChangedEventPayload", "UserUpdatedEventBefore", "User"},
	} {
		generated, err := os.ReadFile(filepath.Join(work, file))
		if err != nil {
			t.Fatal(err)
		}
		checkTypes(t, file, string(generated), want)
		if file == "src/gql/graphql.ts" && !narrowed.Match(generated) {
			t.Errorf("%s: the events are not a union narrowed by __typename (UserRolesChangedEvent with roles: Array<string>)", file)
		}
	}
}

// narrowed finds, in the operation's result type, the member of the
// events' union whose payload and before are typed.
var narrowed = regexp.MustCompile(`__typename: 'UserRolesChangedEvent'[^\n]*payload: \{ userName: string, roles: Array<string> \}, before: \{ roles: Array<string> \} \| null`)

// TestCodegenMapsEveryScalar: the README's codegen.yml maps every custom
// scalar of the served schema (else generated clients type it any or
// unknown), and nothing else.
func TestCodegenMapsEveryScalar(t *testing.T) {
	_, config, _ := strings.Cut(readmeCodegen(t), "      scalars:\n")
	mapped := map[string]bool{}
	for _, line := range strings.Split(config, "\n") {
		if name, _, ok := strings.Cut(strings.TrimSpace(line), ":"); ok && strings.HasPrefix(line, "        ") {
			mapped[name] = true
		}
	}
	custom := map[string]bool{}
	for name, def := range servedSchema().Types {
		if def.Kind == ast.Scalar && !def.BuiltIn {
			custom[name] = true
		}
	}
	if len(custom) == 0 || !maps.Equal(mapped, custom) {
		t.Errorf("README's codegen.yml maps the scalars %v; the schema's custom scalars are %v",
			slices.Sorted(maps.Keys(mapped)), slices.Sorted(maps.Keys(custom)))
	}
}

// readmeCodegen is the README's codegen.yml.
func readmeCodegen(t *testing.T) string {
	t.Helper()
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, block, ok := strings.Cut(string(readme), "```yaml\n# codegen.yml\n")
	block, _, closed := strings.Cut(block, "```")
	if !ok || !closed {
		t.Fatal("README has no codegen.yml block")
	}
	return block
}

// helperTypes are the generic helpers GraphQL Code Generator writes into
// every file, whose constraints say unknown or any by design: not types
// of this schema.
var helperTypes = map[string]bool{"Exact": true, "MakeOptional": true, "MakeMaybe": true, "MakeEmpty": true, "Incremental": true}

var (
	exportedType = regexp.MustCompile(`^export (?:type|enum) (\w+)`)
	untyped      = regexp.MustCompile(`\b(any|unknown)\b`)
	comment      = regexp.MustCompile(`(?s)/\*.*?\*/|//[^\n]*`)
)

// checkTypes fails on any or unknown in a type of a generated file,
// helpers aside, and unless it declares the types want.
func checkTypes(t *testing.T, file, ts string, want []string) {
	t.Helper()
	var name string
	types := map[string]bool{}
	// The descriptions say "any" in prose: only code counts (a comment
	// keeps its lines, so line numbers hold).
	code := comment.ReplaceAllStringFunc(ts, func(c string) string { return strings.Repeat("\n", strings.Count(c, "\n")) })
	for i, line := range strings.Split(code, "\n") {
		if m := exportedType.FindStringSubmatch(line); m != nil {
			name = m[1]
			types[name] = true
		} else if strings.HasPrefix(line, "export ") {
			name = "" // a value (the typed documents), not a type
		}
		if name != "" && !helperTypes[name] && untyped.MatchString(line) {
			t.Errorf("%s:%d: %s: %s", file, i+1, name, strings.TrimSpace(line))
		}
	}
	for _, name := range want {
		if !types[name] {
			t.Errorf("%s declares no type %s", file, name)
		}
	}
	if t.Failed() {
		t.Logf("%s:\n%s", file, ts)
	}
}
