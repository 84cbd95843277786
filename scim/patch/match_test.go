package patch

import (
	"encoding/json"
	"testing"

	"github.com/acme/directory/scim/filter"
	"github.com/acme/directory/scim/schema"
)

// sample is a multi-valued attribute with one sub-attribute of each type,
// as no RFC 7643 attribute a client may write has them all.
var sample = &schema.Attribute{Name: "things", Type: schema.Complex, MultiValued: true, SubAttributes: []*schema.Attribute{
	{Name: "name", Type: schema.String},
	{Name: "code", Type: schema.String, CaseExact: true},
	{Name: "count", Type: schema.Integer},
	{Name: "weight", Type: schema.Decimal},
	{Name: "when", Type: schema.DateTime},
	{Name: "on", Type: schema.Boolean},
}}

func TestMatches(t *testing.T) {
	// Numbers as float64 and as json.Number, as documents hold either.
	elem := map[string]any{"Name": "Widget", "code": "AbC", "count": json.Number("3"), "weight": 2.5,
		"when": "2024-05-01T10:00:00Z", "on": "true"}
	tests := []struct {
		filter string
		want   bool
	}{
		{`name eq "widget"`, true},
		{`name eq "WIDGET"`, true},
		{`NAME co "dge"`, true},
		{`name sw "wid"`, true},
		{`name ew "GET"`, true},
		{`name gt "a"`, true},
		{`name lt "a"`, false},
		{`name ne "widget"`, false},
		{`code eq "AbC"`, true},
		{`code eq "abc"`, false}, // caseExact
		{`code co "bC"`, true},
		{`count eq 3`, true},
		{`count ge 3`, true},
		{`count gt 3`, false},
		{`count lt 3.5`, true},
		{`weight eq 2.5`, true},
		{`weight le 2`, false},
		{`when gt "2024-05-01T09:00:00Z"`, true},
		{`when eq "2024-05-01T12:00:00+02:00"`, true}, // same instant
		{`when lt "2024-01-01T00:00:00Z"`, false},
		{`when sw "2024-05"`, true},
		{`on eq true`, true},
		{`on ne true`, false},
		{`on eq false`, false},
		{`name pr`, true},
		{`missing_ok pr`, false},
		{`name eq null`, false},
		{`name ne null`, true},
		{`name eq "widget" and count eq 3`, true},
		{`name eq "x" or count eq 3`, true},
		{`not (name eq "widget")`, false},
		{`not (name eq "x") and (on eq true or count eq 0)`, true},
	}
	attr := *sample
	attr.SubAttributes = append(attr.SubAttributes, &schema.Attribute{Name: "missing_ok", Type: schema.String})
	for _, tt := range tests {
		e, err := filter.Parse(tt.filter)
		if err != nil {
			t.Fatalf("%s: %v", tt.filter, err)
		}
		if err := checkFilter(e, &attr, "things"); err != nil {
			t.Fatalf("%s: %v", tt.filter, err)
		}
		if got := matches(e, elem, &attr); got != tt.want {
			t.Errorf("%s = %v; want %v", tt.filter, got, tt.want)
		}
	}
	// An absent sub-attribute satisfies ne and "eq null" only.
	absent := map[string]any{}
	for f, want := range map[string]bool{`name eq "x"`: false, `name ne "x"`: true, `name eq null`: true, `name gt "a"`: false, `name pr`: false} {
		e, _ := filter.Parse(f)
		if got := matches(e, absent, sample); got != want {
			t.Errorf("%s on an empty element = %v; want %v", f, got, want)
		}
	}
}

func TestCheckFilterRejects(t *testing.T) {
	for _, f := range []string{
		`nope eq "x"`,       // unknown sub-attribute
		`name.x eq "x"`,     // sub-attribute of a sub-attribute
		`urn:x:name eq "x"`, // URN inside brackets
		`count eq "3"`,      // string literal for an integer
		`count co 3`,        // textual operator on a number
		`on gt true`,        // ordering a boolean
		`on eq "true"`,      // string literal for a boolean
		`name eq 3`,         // number literal for a string
		`when gt "yesterday"`,
		`name gt null`,
	} {
		e, err := filter.Parse(f)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		err2 := checkFilter(e, sample, "things")
		if err2 == nil || err2.ScimType != InvalidPath {
			t.Errorf("checkFilter(%s) = %v; want an invalidPath error", f, err2)
		}
	}
}

func TestCreateFields(t *testing.T) {
	tests := []struct {
		filter string
		want   string // JSON of the fields, "" when no element may be created
	}{
		{`name eq "work"`, `{"name":"work"}`},
		{`name eq "a" and on eq true and count eq 2`, `{"count":2,"name":"a","on":true}`},
		{`name eq "a" and name eq "b"`, ""},
		{`name eq "a" or name eq "b"`, ""},
		{`name co "a"`, ""},
		{`name eq null`, ""},
		{`not (name eq "a")`, ""},
	}
	for _, tt := range tests {
		e, _ := filter.Parse(tt.filter)
		fields, ok := createFields(e, sample)
		got := ""
		if ok {
			b, _ := json.Marshal(fields)
			got = string(b)
		}
		if got != tt.want {
			t.Errorf("createFields(%s) = %s; want %s", tt.filter, got, tt.want)
		}
	}
}
