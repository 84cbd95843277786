package secret

import (
	"strings"
	"testing"
)

func TestNew(t *testing.T) {
	a, b := New(DirectoryTokenPrefix), New(DirectoryTokenPrefix)
	if a.Plain == b.Plain {
		t.Fatalf("two secrets are equal")
	}
	if !strings.HasPrefix(a.Plain, "scim_") || len(a.Plain) != len("scim_")+43 {
		t.Fatalf("secret %q: want scim_ and 43 characters of base64 (256 bits)", a.Plain)
	}
	if !strings.HasPrefix(a.Plain, a.Display) || len(a.Display) != len("scim_")+displayLen {
		t.Fatalf("display %q of %q", a.Display, a.Plain)
	}
	if !Equal(a.Hash, a.Plain) || Equal(a.Hash, b.Plain) || len(a.Hash) != 32 {
		t.Fatalf("hash does not identify exactly its secret")
	}
}

func TestBearer(t *testing.T) {
	tests := []struct {
		header, want string
		ok           bool
	}{
		{"Bearer scim_abc", "scim_abc", true},
		{"bearer  dk_x ", "dk_x", true},
		{"BEARER dk_x", "dk_x", true},
		{"Basic dXNlcjpwYXNz", "", false},
		{"Bearer", "", false},
		{"Bearer   ", "", false},
		{"", "", false},
	}
	for _, tt := range tests {
		got, ok := Bearer(tt.header)
		if got != tt.want || ok != tt.ok {
			t.Errorf("Bearer(%q) = %q, %v; want %q, %v", tt.header, got, ok, tt.want, tt.ok)
		}
	}
}
