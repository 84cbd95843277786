package filter

import (
	"errors"
	"testing"
)

var fuzzFilterSeeds = []string{
	`userName eq "bjensen"`,
	`userName Eq "bjensen" AND active eq TRUE`,
	`title pr`,
	`count gt -1.5E+10`,
	`x eq 0`,
	`x eq null`,
	`x eq "\"\\\/\b\f\n\r\t\u00e9\ud83d\ude00"`,
	`x eq "日本語"`,
	`a pr or b pr and c pr`,
	`(a pr or b pr) and not (c pr and d pr)`,
	`not(a pr)`,
	`emails[type eq "work" and value co "@example.com"] or (userName sw "j" and not (active eq false))`,
	`emails[type eq "work"].value eq "a@b.c"`,
	`emails[type eq "a" or type eq "b"].value pr`,
	`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq "x"`,
	`members.$ref pr`,
	" a  pr\tand\tb pr ",
	``,
	`userName eq`,
	`userName eq "unterminated`,
	`userName eq "\ud800"`,
	`a eq 01`,
	`a eq 1e999`,
	`(a pr`,
	`a pr)`,
	`emails[x[y pr]]`,
	`emails[`,
	`emails[type eq "work"].`,
	`urn::x:y pr`,
	`title pr "x"`,
	"a eq \"\xff\"",
	`a pr and(b pr)`,
}

var fuzzPathSeeds = []string{
	`active`,
	`name.givenName`,
	`members`,
	`members[value eq "2819c223-7f76-453a-919d-413861904646"]`,
	`members[value eq "2819c223"].displayName`,
	`emails[type eq "work"].value`,
	`addresses[type eq "work" and primary eq true].streetAddress`,
	`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value`,
	`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department`,
	``,
	`members[`,
	`members[value eq]`,
	`.x`,
	`a..b`,
	`name.givenName[value pr]`,
	`emails[type eq "work"].value eq "x"`,
}

// FuzzParse checks that Parse never panics, that failures are *Error with an
// in-range offset, and that String is a fixed point: it re-parses to an equal
// tree which renders identically.
func FuzzParse(f *testing.F) {
	for _, s := range fuzzFilterSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		e, err := Parse(s)
		if err != nil {
			checkFuzzError(t, s, err)
			return
		}
		out := e.String()
		again, err := Parse(out)
		if err != nil {
			t.Fatalf("Parse(%q) ok, but its String %q fails: %v", s, out, err)
		}
		if !sameTree(e, again) {
			t.Fatalf("Parse(%q) and Parse(%q) differ", s, out)
		}
		if out2 := again.String(); out2 != out {
			t.Fatalf("String not stable for %q: %q then %q", s, out, out2)
		}
	})
}

// FuzzParsePath is FuzzParse for ParsePath.
func FuzzParsePath(f *testing.F) {
	for _, s := range append(fuzzPathSeeds, fuzzFilterSeeds...) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParsePath(s)
		if err != nil {
			checkFuzzError(t, s, err)
			return
		}
		out := p.String()
		again, err := ParsePath(out)
		if err != nil {
			t.Fatalf("ParsePath(%q) ok, but its String %q fails: %v", s, out, err)
		}
		if !sameTree(p, again) {
			t.Fatalf("ParsePath(%q) and ParsePath(%q) differ", s, out)
		}
		if out2 := again.String(); out2 != out {
			t.Fatalf("String not stable for %q: %q then %q", s, out, out2)
		}
	})
}

func checkFuzzError(t *testing.T, s string, err error) {
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("%q: error %T is not *Error", s, err)
	}
	if e.Offset < 0 || e.Offset > len(s) || e.Input != s || e.Msg == "" {
		t.Fatalf("%q: bad error %+v", s, e)
	}
}
