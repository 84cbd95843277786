package filter

import "testing"

func TestParsePathValid(t *testing.T) {
	tests := []struct {
		in   string
		want Path
		out  string // canonical String(); "" means same as in
	}{
		{in: `active`, want: Path{Attr: at("active")}},
		{in: `name.givenName`, want: Path{Attr: at("name.givenName")}},
		{in: `members`, want: Path{Attr: at("members")}},
		{in: `members.$ref`, want: Path{Attr: at("members.$ref")}},
		{in: entUser + `:department`, want: Path{Attr: AttrPath{URN: entUser, Name: "department"}}},
		{in: entUser + `:manager.value`, want: Path{Attr: AttrPath{URN: entUser, Name: "manager", Sub: "value"}}},
		{in: entUser + `:manager`, want: Path{Attr: AttrPath{URN: entUser, Name: "manager"}}},
		{in: `members[value eq "2819c223-7f76-453a-919d-413861904646"]`,
			want: Path{Attr: at("members"), Filter: eq("value", "2819c223-7f76-453a-919d-413861904646")}},
		{in: `members[value eq "2819c223-7f76-453a-919d-413861904646"].displayName`,
			want: Path{Attr: at("members.displayName"), Filter: eq("value", "2819c223-7f76-453a-919d-413861904646")}},
		{in: `emails[type eq "work"].value`, want: Path{Attr: at("emails.value"), Filter: eq("type", "work")}},
		{in: `addresses[type eq "work"].streetAddress`, want: Path{Attr: at("addresses.streetAddress"), Filter: eq("type", "work")}},
		{in: `emails[type eq "work" and primary eq TRUE]`, want: Path{Attr: at("emails"), Filter: and(eq("type", "work"), cmp("primary", OpEq, BoolValue(true)))},
			out: `emails[type eq "work" and primary eq true]`},
		{in: `emails[not (type eq "home")].display`, want: Path{Attr: at("emails.display"), Filter: not(eq("type", "home"))}},
		{in: coreUser + `:emails[type eq "work"].value`, want: Path{Attr: AttrPath{URN: coreUser, Name: "emails", Sub: "value"}, Filter: eq("type", "work")}},
		{in: ` members [ value eq "x" ] `, want: Path{Attr: at("members"), Filter: eq("value", "x")}, out: `members[value eq "x"]`},
	}
	for _, tt := range tests {
		got, err := ParsePath(tt.in)
		if err != nil {
			t.Errorf("ParsePath(%q): %v", tt.in, err)
			continue
		}
		if !sameTree(got, tt.want) {
			t.Errorf("ParsePath(%q)\n got %#v\nwant %#v", tt.in, got, tt.want)
			continue
		}
		out := tt.out
		if out == "" {
			out = tt.in
		}
		if s := got.String(); s != out {
			t.Errorf("ParsePath(%q).String() = %q, want %q", tt.in, s, out)
		}
		again, err := ParsePath(got.String())
		if err != nil || !sameTree(again, got) {
			t.Errorf("round trip of %q via %q: %v, %v", tt.in, got.String(), again, err)
		}
	}
}

func TestParsePathInvalid(t *testing.T) {
	tests := []struct {
		in     string
		offset int // -1: not checked
	}{
		{``, 0},
		{`  `, 2},
		{`members[`, 8},
		{`members[value eq]`, 16},
		{`members[value eq "x"`, 20},
		{`members[]`, 8},
		{`members]`, 7},
		{`.x`, 0},
		{`a..b`, 2},
		{`a.`, 2},
		{`a.b.c`, 3},
		{`a b`, 2},
		{`1abc`, 0},
		{`name.givenName[value pr]`, 14},
		{`emails[type eq "work"].`, 23},
		{`emails[type eq "work"].value.x`, 28},
		{`emails[type eq "work"].value eq "x"`, 29},
		{`emails[type eq "work"][value pr]`, 22},
		{`emails[type[value pr]]`, 11},
		{`urn:department`, 0},
		{entUser + `:`, len(entUser) + 1},
		{`members[value eq "x"] and x pr`, 22},
	}
	for _, tt := range tests {
		got, err := ParsePath(tt.in)
		if err == nil {
			t.Errorf("ParsePath(%q) = %s, want error", tt.in, got)
			continue
		}
		e := asError(t, tt.in, err)
		if tt.offset >= 0 && e.Offset != tt.offset {
			t.Errorf("ParsePath(%q): offset %d (%s), want %d", tt.in, e.Offset, e.Msg, tt.offset)
		}
	}
}
