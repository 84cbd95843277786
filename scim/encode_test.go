package scim

import (
	"encoding/json"
	"slices"
	"strconv"
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

// TestUnpackMembers: a page packed as memberPageQuery packs it reads back
// whole, displays holding colons, digits and multi-byte characters
// included, sorted by user id when the members arrived out of order; a
// page that is cut or miscounted is an error.
func TestUnpackMembers(t *testing.T) {
	a, b, c := "01a24bbc-0000-7000-8000-00000000000a", "01a24bbc-0000-7000-8000-00000000000b", "01a24bbc-0000-7000-8000-00000000000c"
	pack := func(ms ...member) string {
		var s string
		for _, m := range ms {
			s += m.Value + strconv.Itoa(len(m.Display)) + ":" + m.Display
		}
		return s
	}
	want := []member{{a, "12:34 Ann"}, {b, "日本 🙂"}, {c, ""}}
	for _, order := range [][]member{want, {want[2], want[0], want[1]}} {
		got, err := unpackMembers(pack(order...), 3)
		if err != nil || !slices.Equal(got, want) {
			t.Fatalf("unpack %q = %q, %v; want %q", pack(order...), got, err, want)
		}
	}
	if got, err := unpackMembers("", 0); err != nil || len(got) != 0 {
		t.Fatalf("an empty page = %q, %v", got, err)
	}
	whole := pack(want...)
	for _, bad := range []struct {
		packed string
		n      int
	}{{whole, 2}, {whole[:len(whole)-1], 3}, {whole + "x", 3}, {a + "x:y", 1}, {a + "9:short", 1}} {
		if got, err := unpackMembers(bad.packed, bad.n); err == nil {
			t.Errorf("unpack %q (%d members) = %q; want an error", bad.packed, bad.n, got)
		}
	}
}
