package patch_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/acme/directory/fault"
	"github.com/acme/directory/scim/patch"
	"github.com/acme/directory/scim/schema"
)

const (
	entURN  = schema.EnterpriseUserURN
	patchOp = `"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"]`
)

// baseUser is the stored user most cases start from, as the SCIM layer
// renders it before applying a PATCH.
const baseUser = `{
	"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
	"id": "2819c223-7f76-453a-919d-413861904646",
	"externalId": "jc-701984",
	"userName": "bjensen@example.com",
	"name": {"givenName": "Barbara", "familyName": "Jensen"},
	"displayName": "Babs Jensen",
	"active": true,
	"emails": [
		{"value": "bjensen@example.com", "type": "work", "primary": true},
		{"value": "babs@jensen.org", "type": "home"}
	],
	"meta": {"resourceType": "User", "version": "W/\"3\"", "created": "2024-01-23T04:56:22Z"}
}`

const baseGroup = `{
	"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
	"id": "e9e30dba-f08f-4109-8486-d5c6a331660a",
	"displayName": "YourApp Admins",
	"meta": {"resourceType": "Group", "version": "W/\"1\""}
}`

// decode parses a JSON document the way the SCIM layer does (plain
// encoding/json, numbers as float64).
func decode(t testing.TB, s string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		t.Fatalf("bad test JSON %s: %v", s, err)
	}
	return m
}

// canon renders v through JSON so that documents built differently (int64
// or json.Number or float64) compare equal when their JSON is.
func canon(t testing.TB, v any) any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("result is not JSON-encodable: %v", err)
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// edit returns base with the top-level members of changes replacing its
// own; a member whose value is "<gone>" is removed.
func edit(t testing.TB, base, changes string) map[string]any {
	t.Helper()
	doc := decode(t, base)
	for k, v := range decode(t, changes) {
		if v == "<gone>" {
			delete(doc, k)
		} else {
			doc[k] = v
		}
	}
	return doc
}

// body wraps operations in a PatchOp message.
func body(ops string) string { return `{` + patchOp + `,"Operations":[` + ops + `]}` }

// run parses and applies a PATCH body to a copy of doc.
func run(t testing.TB, doc string, rt *schema.ResourceType, deferred, ops string) (map[string]any, []patch.MemberChange, error) {
	t.Helper()
	parsed, err := patch.Parse([]byte(body(ops)))
	if err != nil {
		return nil, nil, err
	}
	d := decode(t, doc)
	changes, err := patch.Apply(d, rt, parsed, deferred)
	return d, changes, err
}

// checkErr asserts that err is a PATCH error of the given scimType that is
// also a fault.Invalid error.
func checkErr(t testing.TB, err error, scimType string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error; want scimType %s", scimType)
	}
	if got := patch.ScimTypeOf(err); got != scimType {
		t.Fatalf("scimType %q (%v); want %q", got, err, scimType)
	}
	var fe *fault.Error
	if !errors.As(err, &fe) || fe.Code != fault.Invalid || fault.MessageOf(err) == "" {
		t.Fatalf("error %v is not a fault.Invalid error", err)
	}
}

// checkDoc asserts that got and want hold the same JSON.
func checkDoc(t testing.TB, got, want map[string]any) {
	t.Helper()
	g, w := canon(t, got), canon(t, want)
	if !reflect.DeepEqual(g, w) {
		t.Fatalf("document:\n got %s\nwant %s", pretty(g), pretty(w))
	}
}

func pretty(v any) string {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	enc.Encode(v)
	return buf.String()
}

func jsonReader(s string) *strings.Reader { return strings.NewReader(s) }
