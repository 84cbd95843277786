package filter

import "testing"

var (
	benchExpr Expr
	benchPath Path
)

func benchParse(b *testing.B, s string) {
	b.ReportAllocs()
	b.SetBytes(int64(len(s)))
	for b.Loop() {
		e, err := Parse(s)
		if err != nil {
			b.Fatal(err)
		}
		benchExpr = e
	}
}

func BenchmarkParseSimple(b *testing.B) {
	benchParse(b, `userName eq "bjensen"`)
}

func BenchmarkParseComplex(b *testing.B) {
	benchParse(b, `emails[type eq "work" and value co "@example.com"] or (userName sw "j" and not (active eq false))`)
}

func BenchmarkParseEntra(b *testing.B) {
	benchParse(b, `emails[type eq "work"].value eq "bjensen@example.com"`)
}

func BenchmarkParseEscapedURN(b *testing.B) {
	benchParse(b, `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.displayName eq "J\u00f6rg \"JJ\" Jensen"`)
}

func BenchmarkParsePath(b *testing.B) {
	s := `members[value eq "2819c223-7f76-453a-919d-413861904646"]`
	b.ReportAllocs()
	b.SetBytes(int64(len(s)))
	for b.Loop() {
		p, err := ParsePath(s)
		if err != nil {
			b.Fatal(err)
		}
		benchPath = p
	}
}

func BenchmarkString(b *testing.B) {
	e, err := Parse(`emails[type eq "work" and value co "@example.com"] or (userName sw "j" and not (active eq false))`)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		_ = e.String()
	}
}
