package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// TestGeneratedFilesCurrent: the committed graph/events.graphql and
// graph/model/events_gen.go are what the declarations generate now (CI's
// make generate and git diff say so too; this says it in go test).
func TestGeneratedFilesCurrent(t *testing.T) {
	dir := t.TempDir()
	iface, err := os.ReadFile("../event.graphql")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "model"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "event.graphql"), iface, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := run(dir, "../../events/payloads.go"); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"events.graphql", "model/events_gen.go"} {
		got, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		committed, err := os.ReadFile(filepath.Join("..", name))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, committed) {
			t.Errorf("graph/%s is stale: run make generate", name)
		}
	}
}
