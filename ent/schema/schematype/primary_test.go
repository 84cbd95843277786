package schematype

import (
	"encoding/json"
	"testing"
)

// TestPrimaryRoundTrips: a value's JSON reads back as it was written, an
// explicit "primary": false included; values built in Go omit false.
func TestPrimaryRoundTrips(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`{"value":"a","primary":true}`, `{"value":"a","primary":true}`},
		{`{"value":"a","primary":false}`, `{"value":"a","primary":false}`},
		{`{"value":"a"}`, `{"value":"a"}`},
		{`{"primary":false}`, `{"primary":false}`},
		{`{"value":"a","primary":null}`, `{"value":"a"}`},
	} {
		var mv MultiValue
		if err := json.Unmarshal([]byte(tc.in), &mv); err != nil {
			t.Fatalf("%s: %v", tc.in, err)
		}
		if got, _ := json.Marshal(mv); string(got) != tc.want {
			t.Errorf("MultiValue %s -> %s; want %s", tc.in, got, tc.want)
		}
	}
	for _, tc := range []struct{ in, want string }{
		{`{"locality":"x","primary":false}`, `{"locality":"x","primary":false}`},
		{`{"locality":"x","primary":true}`, `{"locality":"x","primary":true}`},
		{`{"locality":"x"}`, `{"locality":"x"}`},
	} {
		var a Address
		if err := json.Unmarshal([]byte(tc.in), &a); err != nil {
			t.Fatalf("%s: %v", tc.in, err)
		}
		if got, _ := json.Marshal(a); string(got) != tc.want {
			t.Errorf("Address %s -> %s; want %s", tc.in, got, tc.want)
		}
	}
	if got, _ := json.Marshal(MultiValue{Value: "a", Primary: false}); string(got) != `{"value":"a"}` {
		t.Errorf("a value built in Go: %s", got)
	}
}
