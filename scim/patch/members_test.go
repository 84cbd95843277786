package patch_test

import (
	"reflect"
	"testing"

	"github.com/acme/directory/scim/patch"
	"github.com/acme/directory/scim/schema"
)

func TestApplyGroupMembers(t *testing.T) {
	const (
		a = "2819c223-7f76-453a-919d-413861904646"
		b = "902c246b-6245-4190-8e05-00816be7344a"
		c = "c0ffee00-0000-4000-8000-000000000003"
	)
	none := []patch.MemberChange{{Kind: "replace", IDs: []string{}}}
	tests := []struct {
		name    string
		ops     string
		want    []patch.MemberChange
		doc     string // top-level members that change in baseGroup; "" none
		wantErr string
	}{
		{name: "Okta push adds members", ops: `{"op":"add","path":"members","value":[{"value":"` + a + `","display":"Babs"},{"value":"` + b + `"}]}`,
			want: []patch.MemberChange{{"add", []string{a, b}}}},
		{name: "Okta removes a member by filter, no value", ops: `{"op":"remove","path":"members[value eq \"` + a + `\"]"}`,
			want: []patch.MemberChange{{"remove", []string{a}}}},
		{name: "members removed by an or filter", ops: `{"op":"remove","path":"members[value eq \"` + a + `\" or value eq \"` + b + `\"]"}`,
			want: []patch.MemberChange{{"remove", []string{a, b}}}},
		{name: "filter in any letter case", ops: `{"op":"remove","path":"Members[Value EQ \"` + a + `\"]"}`,
			want: []patch.MemberChange{{"remove", []string{a}}}},
		{name: "JumpCloud removes listed members only", ops: `{"op":"remove","path":"members","value":[{"value":"` + a + `"}]}`,
			want: []patch.MemberChange{{"remove", []string{a}}}},
		{name: "Entra Remove with the member in the value", ops: `{"op":"Remove","path":"members","value":[{"value":"` + b + `"}]}`,
			want: []patch.MemberChange{{"remove", []string{b}}}},
		{name: "Entra Add one member", ops: `{"op":"Add","path":"members","value":[{"value":"` + c + `"}]}`,
			want: []patch.MemberChange{{"add", []string{c}}}},
		{name: "remove members without a value removes all", ops: `{"op":"remove","path":"members"}`, want: none},
		{name: "remove members with an empty list removes none", ops: `{"op":"remove","path":"members","value":[]}`, want: nil},
		{name: "Ping clears with replace []", ops: `{"op":"replace","path":"members","value":[]}`, want: none},
		{name: "replace null clears", ops: `{"op":"replace","path":"members","value":null}`, want: none},
		{name: "replace sets the members", ops: `{"op":"replace","path":"members","value":[{"value":"` + a + `"}]}`,
			want: []patch.MemberChange{{"replace", []string{a}}}},
		{name: "path-less replace with members and a rename", ops: `{"op":"replace","value":{"displayName":"Admins","members":[{"value":"` + b + `"}]}}`,
			want: []patch.MemberChange{{"replace", []string{b}}}, doc: `{"displayName":"Admins"}`},
		{name: "path-less add of members", ops: `{"op":"add","value":{"members":[{"value":"` + a + `"}]}}`,
			want: []patch.MemberChange{{"add", []string{a}}}},
		{name: "core-URN path of members", ops: `{"op":"add","path":"urn:ietf:params:scim:schemas:core:2.0:Group:members","value":[{"value":"` + a + `"}]}`,
			want: []patch.MemberChange{{"add", []string{a}}}},
		{name: "Okta rename", ops: `{"op":"replace","path":"displayName","value":"Admins"}`, want: nil, doc: `{"displayName":"Admins"}`},
		{name: "a lone member object", ops: `{"op":"add","path":"members","value":{"value":"` + a + `"}}`,
			want: []patch.MemberChange{{"add", []string{a}}}},
		{name: "add [] adds nothing", ops: `{"op":"add","path":"members","value":[]}`, want: nil},

		// normalisation
		{name: "consecutive adds and removes merge", ops: `{"op":"add","path":"members","value":[{"value":"` + a + `"}]},
				{"op":"add","path":"members","value":[{"value":"` + b + `"},{"value":"` + a + `"}]},
				{"op":"remove","path":"members[value eq \"` + c + `\"]"},
				{"op":"remove","path":"members","value":[{"value":"` + a + `"}]},
				{"op":"add","path":"members","value":[{"value":"` + c + `"}]}`,
			want: []patch.MemberChange{{"add", []string{a, b}}, {"remove", []string{c, a}}, {"add", []string{c}}}},
		{name: "replace absorbs what comes before and after", ops: `{"op":"add","path":"members","value":[{"value":"` + a + `"}]},
				{"op":"replace","path":"members","value":[{"value":"` + b + `"},{"value":"` + b + `"}]},
				{"op":"add","path":"members","value":[{"value":"` + c + `"}]},
				{"op":"remove","path":"members[value eq \"` + b + `\"]"}`,
			want: []patch.MemberChange{{"replace", []string{c}}}},
		{name: "remove all then add", ops: `{"op":"remove","path":"members"},{"op":"add","path":"members","value":[{"value":"` + a + `"}]}`,
			want: []patch.MemberChange{{"replace", []string{a}}}},

		// errors
		{name: "filter on another sub-attribute", ops: `{"op":"remove","path":"members[display eq \"Babs\"]"}`, wantErr: patch.InvalidPath},
		{name: "filter with ne", ops: `{"op":"remove","path":"members[value ne \"` + a + `\"]"}`, wantErr: patch.InvalidPath},
		{name: "filter with and", ops: `{"op":"remove","path":"members[value eq \"` + a + `\" and type eq \"User\"]"}`, wantErr: patch.InvalidPath},
		{name: "filter with a number", ops: `{"op":"remove","path":"members[value eq 12]"}`, wantErr: patch.InvalidPath},
		{name: "add through a filter", ops: `{"op":"add","path":"members[value eq \"` + a + `\"]","value":{"value":"` + a + `"}}`, wantErr: patch.InvalidPath},
		{name: "member sub-attribute path", ops: `{"op":"replace","path":"members.display","value":"x"}`, wantErr: patch.InvalidPath},
		{name: "member sub-attribute key", ops: `{"op":"replace","value":{"members.value":"x"}}`, wantErr: patch.InvalidValue},
		{name: "member without a value", ops: `{"op":"add","path":"members","value":[{"display":"Babs"}]}`, wantErr: patch.InvalidValue},
		{name: "member value not a string", ops: `{"op":"add","path":"members","value":[{"value":42}]}`, wantErr: patch.InvalidValue},
		{name: "remove required displayName", ops: `{"op":"remove","path":"displayName"}`, wantErr: patch.InvalidValue},
		{name: "enterprise attribute on a group", ops: `{"op":"replace","path":"department","value":"x"}`, wantErr: patch.InvalidPath},
		{name: "User schema on a group", ops: `{"op":"replace","value":{"urn:ietf:params:scim:schemas:core:2.0:User:userName":"x"}}`, wantErr: patch.InvalidValue},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc, changes, err := run(t, baseGroup, schema.GroupResource, "members", tt.ops)
			if tt.wantErr != "" {
				checkErr(t, err, tt.wantErr)
				return
			}
			if err != nil {
				t.Fatalf("Apply: %v (scimType %s)", err, patch.ScimTypeOf(err))
			}
			if !reflect.DeepEqual(changes, tt.want) {
				t.Errorf("changes = %#v\nwant %#v", changes, tt.want)
			}
			want := `{}`
			if tt.doc != "" {
				want = tt.doc
			}
			checkDoc(t, doc, edit(t, baseGroup, want)) // members never enter the document
		})
	}
}

// TestApplyGroupMembersInDocument covers members held in the document, as
// for a caller that defers nothing: members.value is immutable.
func TestApplyGroupMembersInDocument(t *testing.T) {
	const doc = `{"displayName":"G","members":[{"value":"a","type":"User"}]}`
	tests := []applyCase{
		{name: "add a member", doc: doc, ops: `{"op":"add","path":"members","value":[{"value":"b"},{"value":"a","type":"User"}]}`,
			want: `{"members":[{"value":"a","type":"User"},{"value":"b"}]}`},
		{name: "remove listed", doc: doc, ops: `{"op":"remove","path":"members","value":[{"value":"A","display":"ignored"}]}`,
			want: `{"members":"<gone>"}`},
		{name: "remove by filter", doc: doc, ops: `{"op":"remove","path":"members[value eq \"a\"]"}`, want: `{"members":"<gone>"}`},
		{name: "change a member's value", doc: doc, ops: `{"op":"replace","path":"members[value eq \"a\"].value","value":"b"}`, wantErr: patch.Mutability},
		{name: "set a member's value to itself", doc: doc, ops: `{"op":"replace","path":"members[value eq \"a\"]","value":{"value":"a"}}`, want: `{}`},
		{name: "remove a member's value", doc: doc, ops: `{"op":"remove","path":"members.value"}`, wantErr: patch.Mutability},
		{name: "set an absent immutable sub-attribute", doc: `{"displayName":"G","members":[{"value":"a"}]}`,
			ops: `{"op":"add","path":"members[value eq \"a\"].type","value":"User"}`, want: `{"members":[{"value":"a","type":"User"}]}`},
		{name: "members.display is read-only", doc: doc, ops: `{"op":"replace","path":"members[value eq \"a\"].display","value":"x"}`, wantErr: patch.Mutability},
	}
	runCases(t, baseGroup, schema.GroupResource, tests)
}
