package store

import (
	"database/sql/driver"
	"errors"
	"testing"
	"time"
)

func TestInterpolate(t *testing.T) {
	when := time.Date(2026, 1, 2, 3, 4, 5, 600000000, time.UTC)
	args := func(vs ...any) []driver.NamedValue {
		out := make([]driver.NamedValue, len(vs))
		for i, v := range vs {
			out[i] = driver.NamedValue{Ordinal: i + 1, Value: v}
		}
		return out
	}
	for _, tc := range []struct {
		name, query string
		args        []driver.NamedValue
		want        string
		err         error
	}{
		{"text", `SELECT * FROM t WHERE a = $1`, args("x"), `SELECT * FROM t WHERE a = E'x'`, nil},
		{"quotes and backslashes", `a=$1`, args(`it's \n`), `a=E'it''s \\n'`, nil},
		{"ten and more", `$1,$10,$2`, args("a", "b", "c", "d", "e", "f", "g", "h", "i", "j"), `E'a',E'j',E'b'`, nil},
		{"numbers", `$1 $2 $3`, args(int64(-5), 1.5, true), `'-5' '1.5' 'true'`, nil},
		{"minus before a negative", `x-$1`, args(int64(-1)), `x-'-1'`, nil},
		{"time", `$1`, args(when), `'2026-01-02 03:04:05.6Z'`, nil},
		{"null", `$1 $2`, args(nil, []byte(nil)), `NULL NULL`, nil},
		{"bytes as text", `$1`, args([]byte(`{"a":1}`)), `E'{"a":1}'`, nil},
		{"bytes as hex", `$1`, args([]byte{0xff, 0, 1}), `E'\\xff0001'`, nil},
		{"bytes with a backslash", `$1`, args([]byte(`{"a":"\""}`)), ``, errAmbiguous},
		{"NUL in text", `$1`, args("a\x00b"), ``, ErrNULInText},
		{"inside literals and comments", `'$1' E'\'$1' "$1" -- $1
/* /* $1 */ $1 */ $$ $1 $$ $q$ $1 $q$ $1`, args("x"), `'$1' E'\'$1' "$1" -- $1
/* /* $1 */ $1 */ $$ $1 $$ $q$ $1 $q$ E'x'`, nil},
		{"in an identifier", `a$1 x_$1 $1`, args("v"), `a$1 x_$1 E'v'`, nil},
		{"doubled quotes", `'it''s $1' $1`, args("v"), `'it''s $1' E'v'`, nil},
		{"missing argument", `$2`, args("v"), ``, errPlaceholder},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := interpolate(tc.query, tc.args)
			if tc.err != nil {
				if err == nil || (tc.err != errPlaceholder && !errors.Is(err, tc.err)) {
					t.Fatalf("interpolate = %q, %v; want error %v", got, err, tc.err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("interpolate =\n%s, %v; want\n%s", got, err, tc.want)
			}
		})
	}
}

// errPlaceholder stands for any error in TestInterpolate.
var errPlaceholder = errors.New("any error")
