package main

import (
	"os"
	"strings"
	"testing"
)

// TestREADMEConfigTable: the README's configuration table is the one the
// flags make. UPDATE_README=1 rewrites it.
func TestREADMEConfigTable(t *testing.T) {
	const path = "../../README.md"
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	readme := string(raw)
	i, j := strings.Index(readme, configTableBegin), strings.Index(readme, configTableEnd)
	if i < 0 || j < i {
		t.Fatalf("README.md has no configuration table between %q and %q", configTableBegin, configTableEnd)
	}
	got := readme[i+len(configTableBegin) : j]
	want := "\n" + configTable()
	if got == want {
		return
	}
	if os.Getenv("UPDATE_README") == "1" {
		if err := os.WriteFile(path, []byte(readme[:i+len(configTableBegin)]+want+readme[j:]), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Log("README.md's configuration table rewritten")
		return
	}
	t.Errorf("README.md's configuration table differs from the flags'; run UPDATE_README=1 go test ./cmd/directory -run TestREADMEConfigTable\nwant:\n%s", want)
}
