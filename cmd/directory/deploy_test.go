package main

import (
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/spf13/pflag"
	"go.yaml.in/yaml/v3"
)

// composeFile is the part of deploy/compose.yaml the test reads.
type composeFile struct {
	Services map[string]struct {
		Image       string            `yaml:"image"`
		Build       any               `yaml:"build"`
		Environment map[string]string `yaml:"environment"`
		Ports       []string          `yaml:"ports"`
		Expose      []string          `yaml:"expose"`
		DependsOn   any               `yaml:"depends_on"`
		Volumes     []string          `yaml:"volumes"`
		Healthcheck map[string]any    `yaml:"healthcheck"`
	} `yaml:"services"`
}

// TestCompose: deploy/compose.yaml runs PostgreSQL and three replicas of
// the image behind HAProxy, every replica configured alike with variables
// the server reads, and HAProxy balances exactly those replicas, checking
// /readyz.
func TestCompose(t *testing.T) {
	raw, err := os.ReadFile("../../deploy/compose.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var c composeFile
	if err := yaml.Unmarshal(raw, &c); err != nil {
		t.Fatalf("compose.yaml: %v", err)
	}
	known := map[string]bool{}
	serve := find(t, "serve")
	for _, fs := range []*pflag.FlagSet{serve.LocalFlags(), serve.InheritedFlags()} {
		fs.VisitAll(func(f *pflag.Flag) {
			if env := f.Annotations[envAnnotation]; len(env) > 0 {
				known[env[0]] = true
			}
		})
	}
	pg, ok := c.Services["postgres"]
	if !ok || !strings.HasPrefix(pg.Image, "postgres:") || pg.Healthcheck == nil {
		t.Fatalf("no postgres service with a health check: %+v", pg)
	}
	var replicas []string
	var env map[string]string
	for name, s := range c.Services {
		if !strings.HasPrefix(name, "directory-") {
			continue
		}
		replicas = append(replicas, name)
		if s.Build == nil || s.Image == "" {
			t.Errorf("%s: not built from the Dockerfile", name)
		}
		if env == nil {
			env = s.Environment
		} else if !mapsEqual(env, s.Environment) {
			t.Errorf("%s: environment %v differs from %v", name, s.Environment, env)
		}
		if len(s.Ports) > 0 {
			t.Errorf("%s publishes ports %v: only the balancer should", name, s.Ports)
		}
		if !slices.Contains(s.Expose, "8080") {
			t.Errorf("%s: does not expose 8080", name)
		}
		if !strings.Contains(fmt.Sprint(s.DependsOn), "postgres") {
			t.Errorf("%s: does not wait for postgres: %v", name, s.DependsOn)
		}
	}
	slices.Sort(replicas)
	if !slices.Equal(replicas, []string{"directory-1", "directory-2", "directory-3"}) {
		t.Fatalf("replicas %v; want three", replicas)
	}
	for k := range env {
		if !known[k] {
			t.Errorf("the replicas set %s, which the server does not read", k)
		}
	}
	if !regexp.MustCompile(`^postgres://[^@]+@postgres:5432/`).MatchString(env["DATABASE_URL"]) {
		t.Errorf("DATABASE_URL = %q; want the postgres service", env["DATABASE_URL"])
	}
	if env["DIRECTORY_PUBLIC_URL"] != "http://localhost:8080" || env["DIRECTORY_ADDR"] != ":8080" {
		t.Errorf("public URL %q, address %q; want the balancer's URL and :8080", env["DIRECTORY_PUBLIC_URL"], env["DIRECTORY_ADDR"])
	}
	lb, ok := c.Services["haproxy"]
	if !ok || !slices.Contains(lb.Ports, "8080:8080") || !slices.Contains(lb.Volumes, "./haproxy.cfg:/usr/local/etc/haproxy/haproxy.cfg:ro") {
		t.Fatalf("haproxy service: %+v", lb)
	}

	cfg, err := os.ReadFile("../../deploy/haproxy.cfg")
	if err != nil {
		t.Fatal(err)
	}
	servers := regexp.MustCompile(`(?m)^\s*server (\S+) (\S+):8080 check$`).FindAllStringSubmatch(string(cfg), -1)
	var names []string
	for _, s := range servers {
		if s[1] != s[2] {
			t.Errorf("server %s points at %s", s[1], s[2])
		}
		names = append(names, s[1])
	}
	if !slices.Equal(names, replicas) {
		t.Errorf("haproxy balances %v; want %v", names, replicas)
	}
	if !strings.Contains(string(cfg), "option httpchk GET /readyz") || !strings.Contains(string(cfg), "bind :8080") {
		t.Errorf("haproxy.cfg does not check /readyz or bind :8080")
	}
	if bin, err := exec.LookPath("haproxy"); err == nil {
		if out, err := exec.Command(bin, "-c", "-f", "../../deploy/haproxy.cfg").CombinedOutput(); err != nil {
			t.Errorf("haproxy -c: %v\n%s", err, out)
		}
	}
}

// TestDockerfile: a static binary on a minimal image, run as a non-root
// user, the data folder a volume, a health check the image can run.
func TestDockerfile(t *testing.T) {
	raw, err := os.ReadFile("../../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	d := string(raw)
	for _, want := range []string{
		"CGO_ENABLED=0 go build", "FROM gcr.io/distroless/static-debian12:nonroot", "USER 65532:65532",
		`VOLUME ["/data"]`, "DIRECTORY_DATA_DIR=/data", `CMD ["/usr/local/bin/directory", "healthcheck"]`, `CMD ["serve"]`,
	} {
		if !strings.Contains(d, want) {
			t.Errorf("Dockerfile lacks %q", want)
		}
	}
	if n := strings.Count(d, "\nFROM "); n != 2 {
		t.Errorf("%d stages; want a build stage and a runtime stage", n)
	}
	// The health check is a command of the binary.
	if c := find(t, "healthcheck"); c.Name() != "healthcheck" {
		t.Error("no healthcheck command")
	}
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}
