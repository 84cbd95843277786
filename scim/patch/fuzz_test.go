package patch_test

import (
	"encoding/json"
	"testing"

	"github.com/acme/directory/scim/patch"
	"github.com/acme/directory/scim/schema"
)

// FuzzParseApply feeds arbitrary bodies through Parse and Apply, on a user
// and on a group with deferred members: nothing may panic, every error must
// carry a scimType, and the resulting document must still encode as JSON.
func FuzzParseApply(f *testing.F) {
	for _, seed := range []string{
		entraPatch,
		body(`{"op":"replace","path":"active","value":false}`),
		body(`{"op":"replace","value":{"active":"False","name.givenName":"B","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department":"x"}}`),
		body(`{"op":"add","path":"addresses[type eq \"work\"].streetAddress","value":"1 Main St"}`),
		body(`{"op":"remove","path":"emails[type eq \"home\" or primary eq false]"}`),
		body(`{"op":"remove","path":"emails","value":[{"value":"babs@jensen.org"}]}`),
		body(`{"op":"add","path":"members","value":[{"value":"a"},{"value":"b"}]}`),
		body(`{"op":"remove","path":"members[value eq \"a\" or value eq \"b\"]"}`),
		body(`{"op":"replace","path":"members","value":[]}`),
		body(`{"op":"add","path":"urn:acme:ext:2.0:User:level","value":{"deep":[1,2,{"x":null}]}}`),
		body(`{"op":"replace","path":"emails[count gt 1e400]","value":1}`),
		body(`{"op":"add","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager","value":"m"}`),
		`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"remove"}]}`,
		`{}`, `[]`, `null`, `{"Operations":"x"}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		ops, err := patch.Parse(data)
		if err != nil {
			if patch.ScimTypeOf(err) == "" {
				t.Fatalf("Parse error without scimType: %v", err)
			}
			return
		}
		for _, target := range []struct {
			doc      string
			rt       *schema.ResourceType
			deferred string
		}{{realisticUser, schema.UserResource, ""}, {baseGroup, schema.GroupResource, "members"}} {
			doc := decode(t, target.doc)
			changes, err := patch.Apply(doc, target.rt, ops, target.deferred)
			if err != nil {
				if patch.ScimTypeOf(err) == "" {
					t.Fatalf("Apply error without scimType: %v", err)
				}
				continue
			}
			if _, err := json.Marshal(doc); err != nil {
				t.Fatalf("document no longer encodes: %v", err)
			}
			if _, ok := doc["members"]; ok && target.deferred != "" {
				t.Fatalf("deferred members written to the document: %v", doc["members"])
			}
			for _, c := range changes {
				if c.Kind != "add" && c.Kind != "remove" && c.Kind != "replace" {
					t.Fatalf("member change of kind %q", c.Kind)
				}
			}
		}
	})
}
