package eventdoc

import (
	"os"
	"path/filepath"
	"testing"
)

func TestRead(t *testing.T) {
	src := `package p

// One is the first.
type One struct {
	// A is a field
	// on two lines.
	A int
	B string // not a doc comment
}

// Two is alone.
type Two int

type (
	// Three is grouped.
	Three struct{}
)
`
	path := filepath.Join(t.TempDir(), "p.go")
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := Read(path)
	if err != nil {
		t.Fatal(err)
	}
	for key, want := range map[string]string{
		"One": "One is the first.", "One.A": "A is a field on two lines.", "One.B": "",
		"Two": "Two is alone.", "Three": "Three is grouped.",
	} {
		if got[key] != want {
			t.Errorf("%s: %q, want %q", key, got[key], want)
		}
	}
	if _, err := Read(filepath.Join(t.TempDir(), "missing.go")); err == nil {
		t.Error("a missing file read without error")
	}
}
