package patch_test

import (
	"encoding/json"
	"testing"

	"github.com/acme/directory/scim/patch"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name  string
		body  string
		ops   []string // "op path" (path "" when absent) of each operation
		value any      // the first operation's value, when checked
	}{
		{"JumpCloud deactivation", body(`{"op":"replace","path":"active","value":false}`),
			[]string{"replace active"}, false},
		{"Entra capitalised ops", body(`{"op":"Replace","path":"displayName","value":"B"},{"op":"Add","path":"title","value":"T"},{"op":"Remove","path":"nickName"}`),
			[]string{"replace displayName", "add title", "remove nickName"}, "B"},
		{"upper-case op", body(`{"op":"ADD","path":"title","value":"T"}`), []string{"add title"}, "T"},
		{"Okta path-less", body(`{"op":"replace","value":{"active":false}}`),
			[]string{"replace "}, map[string]any{"active": false}},
		{"numbers as json.Number", body(`{"op":"add","path":"x","value":12.50}`), []string{"add x"}, json.Number("12.50")},
		{"lower-case operations key", `{` + patchOp + `,"operations":[{"op":"remove","path":"title"}]}`, []string{"remove title"}, nil},
		{"any-case member names", `{"Schemas":["URN:IETF:PARAMS:SCIM:API:MESSAGES:2.0:PATCHOP"],"OPERATIONS":[{"OP":"remove","Path":"title"}]}`,
			[]string{"remove title"}, nil},
		{"filtered path", body(`{"op":"remove","path":"members[value eq \"2819c223\"]"}`),
			[]string{`remove members[value eq "2819c223"]`}, nil},
		{"empty path is no path", body(`{"op":"replace","path":"","value":{"active":true}}`), []string{"replace "}, map[string]any{"active": true}},
		{"null value kept", body(`{"op":"replace","path":"title","value":null}`), []string{"replace title"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ops, err := patch.Parse([]byte(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			if len(ops) != len(tt.ops) {
				t.Fatalf("%d operations; want %d", len(ops), len(tt.ops))
			}
			for i, op := range ops {
				path := ""
				if op.Path != nil {
					path = op.Path.String()
				}
				if got := op.Op + " " + path; got != tt.ops[i] {
					t.Errorf("operation %d = %q; want %q", i, got, tt.ops[i])
				}
			}
			if tt.value != nil && !equalJSON(t, ops[0].Value, tt.value) {
				t.Errorf("value = %#v; want %#v", ops[0].Value, tt.value)
			}
		})
	}
}

func equalJSON(t *testing.T, a, b any) bool {
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return string(ja) == string(jb)
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, body, scimType string
	}{
		{"not JSON", `{"schemas":`, patch.InvalidSyntax},
		{"JSON array", `[]`, patch.InvalidSyntax},
		{"JSON null", `null`, patch.InvalidSyntax},
		{"trailing data", body(`{"op":"remove","path":"title"}`) + `{}`, patch.InvalidSyntax},
		{"no schemas", `{"Operations":[{"op":"remove","path":"title"}]}`, patch.InvalidSyntax},
		{"wrong schema", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"Operations":[{"op":"remove","path":"title"}]}`, patch.InvalidSyntax},
		{"schemas not an array", `{"schemas":"urn:ietf:params:scim:api:messages:2.0:PatchOp","Operations":[{"op":"remove","path":"title"}]}`, patch.InvalidSyntax},
		{"no Operations", `{` + patchOp + `}`, patch.InvalidSyntax},
		{"empty Operations", body(``), patch.InvalidSyntax},
		{"Operations not an array", `{` + patchOp + `,"Operations":{"op":"remove","path":"title"}}`, patch.InvalidSyntax},
		{"operation not an object", body(`"remove"`), patch.InvalidSyntax},
		{"unknown op", body(`{"op":"move","path":"title","value":"x"}`), patch.InvalidSyntax},
		{"missing op", body(`{"path":"title","value":"x"}`), patch.InvalidSyntax},
		{"op not a string", body(`{"op":1,"path":"title","value":"x"}`), patch.InvalidSyntax},
		{"add without value", body(`{"op":"add","path":"title"}`), patch.InvalidSyntax},
		{"replace without value", body(`{"op":"replace","path":"title"}`), patch.InvalidSyntax},
		{"malformed path", body(`{"op":"replace","path":"emails[type eq","value":"x"}`), patch.InvalidPath},
		{"path with a space", body(`{"op":"replace","path":"display name","value":"x"}`), patch.InvalidPath},
		{"path not a string", body(`{"op":"replace","path":7,"value":"x"}`), patch.InvalidPath},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ops, err := patch.Parse([]byte(tt.body))
			if ops != nil {
				t.Errorf("operations returned with an error: %v", ops)
			}
			checkErr(t, err, tt.scimType)
		})
	}
}

func TestScimTypeOf(t *testing.T) {
	if patch.ScimTypeOf(nil) != "" {
		t.Error("ScimTypeOf(nil) != \"\"")
	}
	_, err := patch.Parse([]byte(`x`))
	if patch.ScimTypeOf(err) != patch.InvalidSyntax {
		t.Errorf("ScimTypeOf(%v) = %q", err, patch.ScimTypeOf(err))
	}
}
