// This file compares Parse with github.com/scim2/filter-parser/v2, an
// independent implementation of the RFC 7644 filter ABNF, used here as a test
// oracle only (non-test code stays standard-library only).

package filter

import (
	"testing"

	scim2 "github.com/scim2/filter-parser/v2"
)

// crossCorpus holds filters on whose validity both parsers must agree.
var crossCorpus = []string{
	// Valid.
	`userName eq "bjensen"`,
	`name.familyName co "O'Malley"`,
	`userName sw "J"`,
	`urn:ietf:params:scim:schemas:core:2.0:User:userName sw "J"`,
	`title pr`,
	`meta.lastModified gt "2011-05-13T04:42:34Z"`,
	`meta.lastModified ge "2011-05-13T04:42:34Z"`,
	`meta.lastModified lt "2011-05-13T04:42:34Z"`,
	`meta.lastModified le "2011-05-13T04:42:34Z"`,
	`title pr and userType eq "Employee"`,
	`title pr or userType eq "Intern"`,
	`schemas eq "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"`,
	`userType eq "Employee" and (emails co "example.com" or emails.value co "example.org")`,
	`userType ne "Employee" and not (emails co "example.com" or emails.value co "example.org")`,
	`userType eq "Employee" and (emails.type eq "work")`,
	`userType eq "Employee" and emails[type eq "work" and value co "@example.com"]`,
	`emails[type eq "work" and value co "@example.com"] or ims[type eq "xmpp" and value co "@foo.com"]`,
	`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber eq "701984"`,
	`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq "26118915"`,
	`userName EQ "x" AND active Eq TRUE OR nickName eq NULL`,
	`not (a pr)`,
	`not(a pr)`,
	`not pr`,
	`a pr or or pr`,
	`( a pr )`,
	`emails [ type eq "work" ]`,
	`emails[not (type eq "work")]`,
	`a eq -0.5e+10`,
	`a eq 1E5`,
	`a eq 0`,
	`a eq "\"\\\/\b\f\n\r\t\u00E9"`,
	`a eq "日本語"`,
	`members.$ref eq "x"`,
	`a-b_c pr`,
	`a pr and b pr and c pr or d pr`,
	`((a pr) or (b pr)) and not (c pr)`,
	`a  eq  "x"`,
	// Invalid.
	``,
	`userName`,
	`userName eq`,
	`userName eq "bjensen`,
	`userName eq bjensen`,
	`userName xx "a"`,
	`userName eq "a" extra`,
	`userName eq"a"`,
	`title pr "x"`,
	`a eq 01`,
	`a eq 1.`,
	`a eq +1`,
	`a eq 1e999`,
	`a eq truex`,
	`(a pr`,
	`a pr)`,
	`a pr and`,
	`a pr and(b pr)`,
	`not a pr`,
	`emails[type eq "work"`,
	`emails[]`,
	`emails[x[y pr]]`,
	`emails[type eq "work"].value`,
	`a eq "\x"`,
	"a eq \"\x01\"",
	`.a pr`,
	`a.b.c pr`,
	`urn::x:y pr`,
	`1a pr`,
}

// crossDifferences lists inputs on which this package deliberately differs
// from scim2/filter-parser; ours is this package's verdict.
var crossDifferences = []struct {
	in   string
	ours bool
	why  string
}{
	{`emails[type eq "work"].value eq "x"`, true, "Entra ID extension (see doc.go)"},
	{`emails[type eq "work" or type eq "home"].value pr`, true, "Entra ID extension (see doc.go)"},
	{`emails[type eq "a" and value pr and primary eq true]`, true, "full filter grammar inside brackets; scim2 allows one and/or only"},
	{`emails[(type eq "a" or type eq "b") and value pr]`, true, "full filter grammar inside brackets"},
	{`emails[not (not (type eq "a"))]`, true, "full filter grammar inside brackets"},
	{" userName eq \"x\" ", true, "surrounding blanks are ignored"},
	{"userName\teq\t\"x\"", true, "tabs count as blanks"},
	{`a eq "\u00e9"`, true, `JSON allows lower-case hex in \u escapes; scim2 accepts only A-F`},
	{"a eq \"\xff\"", false, "strings must be valid UTF-8"},
	{`a eq "\uD800 x"`, false, "a lone UTF-16 surrogate is not a character"},
	{`other:userName eq "x"`, false, `only "urn:" starts a schema URN; scim2 takes any "x:" prefix`},
	{`urn:userName eq "x"`, false, `"urn" alone is not a schema URN`},
	{`$x pr`, false, `"$" is only allowed in "$ref"`},
	{`name.givenName[value pr]`, false, "a sub-attribute cannot be filtered (never multi-valued)"},
	{`emails[type eq "a"and value pr]`, false, "RFC 7644 requires a space around and/or; scim2 relaxes it inside brackets"},
}

func TestCrossCheckCorpus(t *testing.T) {
	if len(crossCorpus) < 40 {
		t.Fatalf("corpus has only %d filters", len(crossCorpus))
	}
	for _, s := range crossCorpus {
		e, err := Parse(s)
		_, refErr := scim2.ParseFilter([]byte(s))
		if (err == nil) != (refErr == nil) {
			t.Errorf("%q: ours err=%v, scim2 err=%v", s, err, refErr)
			continue
		}
		if err != nil {
			continue
		}
		// Our canonical form must stay within what the reference accepts.
		if _, refErr := scim2.ParseFilter([]byte(e.String())); refErr != nil {
			t.Errorf("%q: canonical %q rejected by scim2: %v", s, e.String(), refErr)
		}
	}
}

func TestCrossCheckKnownDifferences(t *testing.T) {
	for _, d := range crossDifferences {
		_, err := Parse(d.in)
		if ours := err == nil; ours != d.ours {
			t.Errorf("%q: ours valid=%v, documented %v (%s)", d.in, ours, d.ours, d.why)
		}
		_, refErr := scim2.ParseFilter([]byte(d.in))
		if ref := refErr == nil; ref == d.ours {
			t.Errorf("%q: scim2 now agrees (valid=%v); move it to crossCorpus", d.in, ref)
		}
	}
}
