package scim

import (
	"encoding/json"
	"testing"
)

// TestAppendJSONString: the hand encoder writes what encoding/json reads
// back as the same string (invalid UTF-8 becoming U+FFFD, as there).
func TestAppendJSONString(t *testing.T) {
	for _, s := range []string{
		"", "plain", `quo"te`, `back\slash`, "new\nline\ttab\rcr", "\x00\x01\x1f\x7f",
		"<script>&amp;</script>", "ünïcødé 日本 🙂", "line\u2028sep\u2029", "bad\xffutf8\xc3",
	} {
		enc := appendJSONString(nil, s)
		var got string
		if err := json.Unmarshal(enc, &got); err != nil {
			t.Fatalf("%q encoded as %s: %v", s, enc, err)
		}
		want, _ := json.Marshal(s)
		var wantS string
		json.Unmarshal(want, &wantS)
		if got != wantS {
			t.Errorf("%q: decodes as %q; want %q", s, got, wantS)
		}
	}
	m := member{Value: "0190", Display: `A "B"`}
	ref := appendJSONString(nil, "http://h/scim/v2/d/Users/")
	out := appendMember(nil, m, ref[:len(ref)-1])
	var doc map[string]string
	if err := json.Unmarshal(out, &doc); err != nil {
		t.Fatalf("member %s: %v", out, err)
	}
	if doc["value"] != "0190" || doc["display"] != `A "B"` || doc["$ref"] != "http://h/scim/v2/d/Users/0190" || doc["type"] != "User" {
		t.Fatalf("member = %v", doc)
	}
}
