package patch

import (
	"encoding/json"
	"testing"

	"github.com/acme/directory/scim/schema"
)

func TestCoerceSimple(t *testing.T) {
	byName := func(n string) *schema.Attribute { return sample.Sub(n) }
	tests := []struct {
		attr string
		in   any
		want any // nil: an invalidValue error
	}{
		{"count", json.Number("42"), int64(42)},
		{"count", 42.0, int64(42)},
		{"count", " 42 ", int64(42)},
		{"count", 4.5, nil},
		{"count", json.Number("4.5"), nil},
		{"count", "forty", nil},
		{"count", true, nil},
		{"weight", json.Number("2.50"), 2.5},
		{"weight", "1e3", 1000.0},
		{"weight", "NaN", nil},
		{"weight", "Inf", nil},
		{"weight", json.Number("1e400"), nil},
		{"when", "2024-05-01T10:00:00Z", "2024-05-01T10:00:00Z"},
		{"when", "2024-05-01T10:00:00.5", "2024-05-01T10:00:00.5"},
		{"when", "yesterday", nil},
		{"when", 1714557600.0, nil},
		{"on", "False", false},
		{"on", " true ", true},
		{"on", "yes", nil},
		{"on", 0.0, nil},
		{"name", []any{map[string]any{"value": "x", "$ref": nil}}, "x"},
		{"name", []any{map[string]any{"value": "x", "display": "y"}}, nil},
		{"name", []any{"x", "y"}, nil},
		{"name", map[string]any{"value": "x"}, nil},
	}
	for _, tt := range tests {
		got, err := coerceSimple(byName(tt.attr), tt.in, tt.attr)
		if tt.want == nil {
			if err == nil || err.ScimType != InvalidValue {
				t.Errorf("coerce %s %#v = %#v, %v; want an invalidValue error", tt.attr, tt.in, got, err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("coerce %s %#v = %#v, %v; want %#v", tt.attr, tt.in, got, err, tt.want)
		}
	}
}

func TestNormalize(t *testing.T) {
	got, err := normalize([]map[string]any{{"n": 1, "s": []string{"a"}}})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(got)
	if string(b) != `[{"n":1,"s":["a"]}]` {
		t.Errorf("normalize = %s", b)
	}
	if _, ok := got.([]any)[0].(map[string]any)["n"].(json.Number); !ok {
		t.Errorf("numbers not decoded as json.Number: %#v", got)
	}
	for _, bad := range []any{func() {}, map[string]any{"x": nanValue()}} {
		if _, err := normalize(bad); ScimTypeOf(err) != InvalidValue {
			t.Errorf("normalize(%T) error = %v; want invalidValue", bad, err)
		}
	}
}

func nanValue() float64 {
	zero := 0.0
	return zero / zero
}
