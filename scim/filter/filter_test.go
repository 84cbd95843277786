package filter

import (
	"math"
	"testing"
)

func TestParseValid(t *testing.T) {
	tests := []struct {
		in   string
		want Expr
		out  string // canonical String(); "" means same as in
	}{
		// Every operator.
		{in: `userName eq "bjensen"`, want: eq("userName", "bjensen")},
		{in: `userName ne "bjensen"`, want: cmp("userName", OpNe, StringValue("bjensen"))},
		{in: `name.familyName co "O'Malley"`, want: cmp("name.familyName", OpCo, StringValue("O'Malley"))},
		{in: `userName sw "J"`, want: cmp("userName", OpSw, StringValue("J"))},
		{in: `userName ew "sen"`, want: cmp("userName", OpEw, StringValue("sen"))},
		{in: `meta.lastModified gt "2011-05-13T04:42:34Z"`, want: cmp("meta.lastModified", OpGt, StringValue("2011-05-13T04:42:34Z"))},
		{in: `meta.lastModified ge "2011-05-13T04:42:34Z"`, want: cmp("meta.lastModified", OpGe, StringValue("2011-05-13T04:42:34Z"))},
		{in: `meta.lastModified lt "2011-05-13T04:42:34.123+02:00"`, want: cmp("meta.lastModified", OpLt, StringValue("2011-05-13T04:42:34.123+02:00"))},
		{in: `meta.lastModified le "2011-05-13T04:42:34Z"`, want: cmp("meta.lastModified", OpLe, StringValue("2011-05-13T04:42:34Z"))},
		{in: `title pr`, want: pr("title")},
		{in: `emails.value pr`, want: pr("emails.value")},

		// Case-insensitive operators and keywords; names kept as written.
		{in: `userName EQ "x"`, want: eq("userName", "x"), out: `userName eq "x"`},
		{in: `UserName Eq "x"`, want: eq("UserName", "x"), out: `UserName eq "x"`},
		{in: `title PR`, want: pr("title"), out: `title pr`},
		{in: `a pr AND b pr Or NOT (c pr)`, want: or(and(pr("a"), pr("b")), not(pr("c"))), out: `a pr and b pr or not (c pr)`},
		{in: `active eq TRUE`, want: cmp("active", OpEq, BoolValue(true)), out: `active eq true`},
		{in: `active eq False`, want: cmp("active", OpEq, BoolValue(false)), out: `active eq false`},
		{in: `manager eq NULL`, want: cmp("manager", OpEq, NullValue()), out: `manager eq null`},

		// Values.
		{in: `active eq true`, want: cmp("active", OpEq, BoolValue(true))},
		{in: `nickName eq null`, want: cmp("nickName", OpEq, NullValue())},
		{in: `count gt 10`, want: cmp("count", OpGt, Value{Kind: KindNumber, Num: 10, Raw: "10"})},
		{in: `count gt 0`, want: cmp("count", OpGt, Value{Kind: KindNumber, Num: 0, Raw: "0"})},
		{in: `x lt -0.5`, want: cmp("x", OpLt, Value{Kind: KindNumber, Num: -0.5, Raw: "-0.5"})},
		{in: `x le 1.5E+3`, want: cmp("x", OpLe, Value{Kind: KindNumber, Num: 1500, Raw: "1.5E+3"})},
		{in: `x eq 2e-2`, want: cmp("x", OpEq, Value{Kind: KindNumber, Num: 0.02, Raw: "2e-2"})},
		{in: `x eq 1.0`, want: cmp("x", OpEq, Value{Kind: KindNumber, Num: 1, Raw: "1.0"})},
		{in: `x eq 1e-400`, want: cmp("x", OpEq, Value{Kind: KindNumber, Num: 0, Raw: "1e-400"})},
		{in: `x eq ""`, want: eq("x", "")},
		{in: `x eq "\"\\\/\b\f\n\r\t"`, want: eq("x", "\"\\/\b\f\n\r\t"), out: `x eq "\"\\/\b\f\n\r\t"`},
		{in: `x eq "caf\u00e9 \u00E9"`, want: eq("x", "café é"), out: `x eq "café é"`},
		{in: `x eq "\ud83d\ude00"`, want: eq("x", "😀"), out: `x eq "😀"`},
		{in: `x eq "\u0000\u001f\u007f"`, want: eq("x", "\x00\x1f\x7f"), out: `x eq "\u0000\u001f` + "\x7f" + `"`},
		{in: `x eq "日本語 ünïcødé"`, want: eq("x", "日本語 ünïcødé")},
		{in: `x eq "a]b)c[d(e and f or g"`, want: eq("x", "a]b)c[d(e and f or g")},
		{in: `x eq "(x pr)"`, want: eq("x", "(x pr)")},

		// Precedence: not > and > or, left-associative.
		{in: `a pr or b pr and c pr`, want: or(pr("a"), and(pr("b"), pr("c")))},
		{in: `a pr and b pr or c pr`, want: or(and(pr("a"), pr("b")), pr("c"))},
		{in: `a pr or b pr or c pr`, want: or(or(pr("a"), pr("b")), pr("c"))},
		{in: `a pr and b pr and c pr`, want: and(and(pr("a"), pr("b")), pr("c"))},
		{in: `(a pr or b pr) and c pr`, want: and(or(pr("a"), pr("b")), pr("c"))},
		{in: `a pr and (b pr or c pr)`, want: and(pr("a"), or(pr("b"), pr("c")))},
		{in: `a pr and (b pr and c pr)`, want: and(pr("a"), and(pr("b"), pr("c")))},
		{in: `a pr or (b pr or c pr)`, want: or(pr("a"), or(pr("b"), pr("c")))},
		{in: `not (a pr) and b pr`, want: and(not(pr("a")), pr("b"))},
		{in: `not (a pr and b pr)`, want: not(and(pr("a"), pr("b")))},
		{in: `not(a pr)`, want: not(pr("a")), out: `not (a pr)`},
		{in: `not (not (a pr))`, want: not(not(pr("a")))},
		{in: `((a pr))`, want: pr("a"), out: `a pr`},
		{in: `( a pr or b pr )`, want: or(pr("a"), pr("b")), out: `a pr or b pr`},
		{in: `(a pr) or (b pr)`, want: or(pr("a"), pr("b")), out: `a pr or b pr`},
		// Keywords are attribute names where the grammar says so.
		{in: `not pr`, want: pr("not")},
		{in: `and eq "x" and or pr`, want: and(eq("and", "x"), pr("or"))},

		// Whitespace leniency: runs of blanks, tabs, surrounding blanks.
		{in: "  userName \t eq   \"x\"  ", want: eq("userName", "x"), out: `userName eq "x"`},
		{in: "a pr\tand\tb pr", want: and(pr("a"), pr("b")), out: `a pr and b pr`},

		// RFC 7644 §3.4.2.2 examples.
		{in: `title pr and userType eq "Employee"`, want: and(pr("title"), eq("userType", "Employee"))},
		{in: `userType eq "Employee" and (emails co "example.com" or emails.value co "example.org")`,
			want: and(eq("userType", "Employee"), or(cmp("emails", OpCo, StringValue("example.com")), cmp("emails.value", OpCo, StringValue("example.org"))))},
		{in: `userType ne "Employee" and not (emails co "example.com" or emails.value co "example.org")`,
			want: and(cmp("userType", OpNe, StringValue("Employee")), not(or(cmp("emails", OpCo, StringValue("example.com")), cmp("emails.value", OpCo, StringValue("example.org")))))},
		{in: `userType eq "Employee" and (emails.type eq "work")`, want: and(eq("userType", "Employee"), eq("emails.type", "work")), out: `userType eq "Employee" and emails.type eq "work"`},

		// Value paths.
		{in: `emails[type eq "work"]`, want: vp("emails", eq("type", "work"))},
		{in: `emails[type eq "work" and value co "@example.com"] or ims[type eq "xmpp" and value co "@foo.com"]`,
			want: or(vp("emails", and(eq("type", "work"), cmp("value", OpCo, StringValue("@example.com")))),
				vp("ims", and(eq("type", "xmpp"), cmp("value", OpCo, StringValue("@foo.com")))))},
		{in: `userType eq "Employee" and emails[type eq "work" and value co "@example.com"]`,
			want: and(eq("userType", "Employee"), vp("emails", and(eq("type", "work"), cmp("value", OpCo, StringValue("@example.com")))))},
		{in: `emails[type eq "work" and primary eq true]`, want: vp("emails", and(eq("type", "work"), cmp("primary", OpEq, BoolValue(true))))},
		{in: `emails[not (type eq "work")]`, want: vp("emails", not(eq("type", "work")))},
		{in: `emails[(type eq "a" or type eq "b") and value pr]`, want: vp("emails", and(or(eq("type", "a"), eq("type", "b")), pr("value")))},
		{in: `emails [ type eq "work" ]`, want: vp("emails", eq("type", "work")), out: `emails[type eq "work"]`},
		{in: `not (emails[type eq "work"])`, want: not(vp("emails", eq("type", "work")))},

		// Entra ID extension, normalised into the bracket filter.
		{in: `emails[type eq "work"].value eq "x"`, want: vp("emails", and(eq("type", "work"), eq("value", "x"))), out: `emails[type eq "work" and value eq "x"]`},
		{in: `emails[type eq "work"].value pr`, want: vp("emails", and(eq("type", "work"), pr("value"))), out: `emails[type eq "work" and value pr]`},
		{in: `emails[type eq "a" or type eq "b"].value EQ "x"`,
			want: vp("emails", and(or(eq("type", "a"), eq("type", "b")), eq("value", "x"))), out: `emails[(type eq "a" or type eq "b") and value eq "x"]`},
		{in: `userName eq "u" and addresses[type eq "work"].postalCode sw "9"`,
			want: and(eq("userName", "u"), vp("addresses", and(eq("type", "work"), cmp("postalCode", OpSw, StringValue("9"))))),
			out:  `userName eq "u" and addresses[type eq "work" and postalCode sw "9"]`},

		// URN-qualified names.
		{in: coreUser + `:userName eq "bjensen"`, want: &Compare{Attr: AttrPath{URN: coreUser, Name: "userName"}, Op: OpEq, Value: StringValue("bjensen")}},
		{in: entUser + `:employeeNumber eq "701984"`, want: &Compare{Attr: AttrPath{URN: entUser, Name: "employeeNumber"}, Op: OpEq, Value: StringValue("701984")}},
		{in: entUser + `:manager.value eq "26118915-6090-4610-87e4-49d8ca9f808d"`,
			want: &Compare{Attr: AttrPath{URN: entUser, Name: "manager", Sub: "value"}, Op: OpEq, Value: StringValue("26118915-6090-4610-87e4-49d8ca9f808d")}},
		{in: `URN:IETF:params:scim:schemas:core:2.0:User:name.givenName pr`, want: &Present{Attr: AttrPath{URN: "URN:IETF:params:scim:schemas:core:2.0:User", Name: "name", Sub: "givenName"}}},
		{in: coreUser + `:emails[type eq "work"]`, want: &ValuePath{Attr: AttrPath{URN: coreUser, Name: "emails"}, Filter: eq("type", "work")}},
		{in: `urn:x:y eq 1`, want: &Compare{Attr: AttrPath{URN: "urn:x", Name: "y"}, Op: OpEq, Value: Value{Kind: KindNumber, Num: 1, Raw: "1"}}},

		// Attribute name characters.
		{in: `a-b_c9 pr`, want: pr("a-b_c9")},
		{in: `members.$ref eq "https://x/Users/1"`, want: eq("members.$ref", "https://x/Users/1")},
		{in: `$ref pr`, want: pr("$ref")},
	}
	for _, tt := range tests {
		got, err := Parse(tt.in)
		if err != nil {
			t.Errorf("Parse(%q): %v", tt.in, err)
			continue
		}
		if !sameTree(got, tt.want) {
			t.Errorf("Parse(%q)\n got %s\nwant %s", tt.in, got, tt.want)
			continue
		}
		out := tt.out
		if out == "" {
			out = tt.in
		}
		if s := got.String(); s != out {
			t.Errorf("Parse(%q).String() = %q, want %q", tt.in, s, out)
		}
		again, err := Parse(got.String())
		if err != nil || !sameTree(again, got) {
			t.Errorf("round trip of %q via %q: %v, %v", tt.in, got.String(), again, err)
		}
	}
}

func TestParseInvalid(t *testing.T) {
	tests := []struct {
		in     string
		offset int // -1: not checked
	}{
		{``, 0},
		{`   `, 3},
		{`userName`, 8},
		{`userName eq`, 11},
		{`userName eq `, 12},
		{`userName eq "bjensen`, 12},
		{`userName eq "bjensen\"`, 12},
		{`userName eq "a\`, 12},
		{`userName eq "a\x"`, 14},
		{`userName eq "a\u12"`, 14},
		{`userName eq "a\u12G4"`, 14},
		{`userName eq "\ud800"`, 13},
		{`userName eq "\udc00"`, 13},
		{`userName eq "\ud800\u0041"`, 13},
		{"userName eq \"a\nb\"", 14},
		{"userName eq \"a\xffb\"", 14},
		{`userName eq bjensen`, 12},
		{`userName eq 'bjensen'`, 12},
		{`userName xx "a"`, 9},
		{`userName eq "a" extra`, 16},
		{`userName eq "a"x`, 15},
		{`userName eq"a"`, 11},
		{`userNameeq "a"`, 11},
		{`userName  "a"`, 10},
		{`title pr "x"`, 9},
		{`title pr true`, 9},
		{`title prx`, 6},
		{`eq "x"`, 3},
		{`"x" eq userName`, 0},
		{`1a eq 1`, 0},
		{`.x pr`, 0},
		{`a. pr`, 2},
		{`a.b.c pr`, 3},
		{`a eq 01`, 5},
		{`a eq 1.`, 7},
		{`a eq .5`, 5},
		{`a eq 1e`, 7},
		{`a eq -`, 6},
		{`a eq +1`, 5},
		{`a eq 1e999`, 5},
		{`a eq truex`, 5},
		{`a eq nil`, 5},
		{`(a pr`, 5},
		{`a pr)`, 4},
		{`((a pr)`, 7},
		{`()`, 1},
		{`(a pr))`, 6},
		{`a pr and`, 8},
		{`a pr and `, 9},
		{`a pr or`, 7},
		{`and a pr`, 4},
		{`a pr and(b pr)`, 8},
		{`a pr andb pr`, 5},
		{`(a pr)and b pr`, 6},
		{`not a pr`, 4},
		{`not (a pr`, 9},
		{`not ()`, 5},
		{`emails[type eq "work"`, 21},
		{`emails[`, 7},
		{`emails[]`, 7},
		{`emails]`, 6},
		{`emails[type eq "work"]]`, 22},
		{`emails[type[value pr]]`, 11},
		{`emails[(type[value pr])]`, 12},
		{`emails[type eq "work" and x[y pr]]`, 27},
		{`emails.sub[type pr]`, 10},
		{`emails[type eq "work"].`, 23},
		{`emails[type eq "work"].value`, 28},
		{`emails[type eq "work"].value eq`, 31},
		{`emails[type eq "work"].value[x pr]`, 28},
		{`emails[type eq "work"]x`, 22},
		{`urn:userName eq "x"`, 0},
		{`urn::x:userName eq "x"`, 4},
		{`urn:a:b: eq "x"`, 8},
		{`urn:a::b pr`, 6},
		{`urn:: pr`, 4},
		{`other:userName eq "x"`, 5},
		{`$refs pr`, 0},
		{`$x pr`, 0},
		{`a eq "x" and (b eq "y"`, 22},
		{"a\npr", 1},
	}
	for _, tt := range tests {
		got, err := Parse(tt.in)
		if err == nil {
			t.Errorf("Parse(%q) = %s, want error", tt.in, got)
			continue
		}
		e := asError(t, tt.in, err)
		if tt.offset >= 0 && e.Offset != tt.offset {
			t.Errorf("Parse(%q): offset %d (%s), want %d", tt.in, e.Offset, e.Msg, tt.offset)
		}
	}
}

func TestMaxDepth(t *testing.T) {
	nest := func(n int) string {
		s := "a pr"
		for range n {
			s = "not (" + s + ")"
		}
		return s
	}
	if _, err := Parse(nest(MaxDepth)); err != nil {
		t.Errorf("depth %d: %v", MaxDepth, err)
	}
	_, err := Parse(nest(MaxDepth + 1))
	if e := asError(t, nest(MaxDepth+1), err); e.Offset != 4*(MaxDepth+1)+MaxDepth {
		t.Errorf("offset %d", e.Offset)
	}
}

func TestValue(t *testing.T) {
	v, err := NumberValue("-12.5e1")
	if err != nil || v.Kind != KindNumber || v.Num != -125 || v.Raw != "-12.5e1" || v.String() != "-12.5e1" {
		t.Errorf("NumberValue: %+v, %v", v, err)
	}
	for _, bad := range []string{"", "1x", "01", "NaN", "1e400", " 1"} {
		if _, err := NumberValue(bad); err == nil {
			t.Errorf("NumberValue(%q) succeeded", bad)
		}
	}
	if s := StringValue("a\"b\x01\xff").String(); s != `"a\"b\u0001\ufffd"` {
		t.Errorf("StringValue String = %s", s)
	}
	if s := BoolValue(false).String() + NullValue().String(); s != "falsenull" {
		t.Errorf("got %s", s)
	}
	if s := (Value{}).String(); s != "<invalid>" {
		t.Errorf("zero Value String = %s", s)
	}
	for k, want := range map[ValueKind]string{KindString: "string", KindNumber: "number", KindBool: "boolean", KindNull: "null", 0: "invalid"} {
		if k.String() != want {
			t.Errorf("%d.String() = %s", k, k.String())
		}
	}
	if math.IsInf(num(t, "1e308").Num, 0) {
		t.Error("1e308 overflowed")
	}
}

func TestStringNilChild(t *testing.T) {
	// Hand-built trees with holes must not panic when printed.
	if s := (&And{Left: pr("a")}).String(); s != "a pr and <nil>" {
		t.Errorf("got %q", s)
	}
}

func TestErrorText(t *testing.T) {
	_, err := Parse(`userName eq`)
	if got, want := err.Error(), "syntax error at offset 11: expected comparison value"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}
