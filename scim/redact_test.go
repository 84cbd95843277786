package scim

import (
	"strings"
	"testing"
)

func TestRedactBody(t *testing.T) {
	token := "scim_" + strings.Repeat("Zq", 20)
	cases := []struct {
		name, body string
		cut        bool
		want       string
	}{
		{"sensitive keys at any depth", `{"userName":"a","password":"p1","x":{"apiToken":"t1","clientSecret":"s1"}}`, false,
			`{"password":"[REDACTED]","userName":"a","x":{"apiToken":"[REDACTED]","clientSecret":"[REDACTED]"}}`},
		{"a PATCH of the password", `{"Operations":[{"op":"replace","path":"password","value":"p2"}]}`, false,
			`{"Operations":[{"op":"replace","path":"password","value":"[REDACTED]"}]}`},
		{"a PATCH without a path", `{"Operations":[{"op":"replace","value":{"password":"p3","title":"t"}}]}`, false,
			`{"Operations":[{"op":"replace","value":{"password":"[REDACTED]","title":"t"}}]}`},
		{"not JSON: kept up to the first sensitive word", `{"userName":"a", "Password": "p4"`, false, `{"userName":"a", "[REDACTED]`},
		{"cut short: the same", `{"userName":"a","title":"token p5"}`, true, `{"userName":"a","title":"[REDACTED]`},
		{"a token anywhere", `{"title":"` + token + `"}`, false, `{"title":"[REDACTED]"}`},
		{"a token in text", `oops ` + token, false, `oops [REDACTED]`},
		{"nothing", "  ", false, ""},
	}
	for _, c := range cases {
		if got := redactBody([]byte(c.body), c.cut, 4096); got != c.want {
			t.Errorf("%s: %q; want %q", c.name, got, c.want)
		}
	}
	if got := redactBody([]byte(`{"title":"`+strings.Repeat("x", 5000)+`"}`), false, 100); len(got) > 103 {
		t.Errorf("not truncated: %d bytes", len(got))
	}
}
