package patch_test

import (
	"encoding/json"
	"testing"

	"github.com/acme/directory/scim/filter"
	"github.com/acme/directory/scim/patch"
	"github.com/acme/directory/scim/schema"
)

// applyCase is one PATCH request on baseUser (or doc, when set): either
// the expected document, built by edit(baseUser, want), or the expected
// error scimType.
type applyCase struct {
	name    string
	doc     string // "" for baseUser
	ops     string // the Operations array's elements
	want    string // top-level members that differ from the starting document ("<gone>": removed)
	wantErr string // scimType
}

func TestApplyUser(t *testing.T) {
	tests := []applyCase{
		// JumpCloud
		{name: "JumpCloud deactivate", ops: `{"op":"replace","path":"active","value":false}`,
			want: `{"active":false}`},
		{name: "JumpCloud first and last name", ops: `{"op":"replace","path":"name.givenName","value":"Barb"},{"op":"replace","path":"name.familyName","value":"Jensen-Smith"}`,
			want: `{"name":{"givenName":"Barb","familyName":"Jensen-Smith"}}`},
		{name: "JumpCloud email change", ops: `{"op":"replace","path":"userName","value":"barbara@example.com"},{"op":"replace","path":"emails","value":[{"value":"barbara@example.com","type":"work","primary":true}]}`,
			want: `{"userName":"barbara@example.com","emails":[{"value":"barbara@example.com","type":"work","primary":true}]}`},

		// Okta
		{name: "Okta path-less deactivate", ops: `{"op":"replace","value":{"active":false}}`,
			want: `{"active":false}`},
		{name: "Okta path-less profile update merges name", ops: `{"op":"replace","value":{"name":{"givenName":"Barb"},"displayName":"Barb Jensen","title":"CTO"}}`,
			want: `{"name":{"givenName":"Barb","familyName":"Jensen"},"displayName":"Barb Jensen","title":"CTO"}`},
		{name: "Okta echoes read-only attributes in a path-less value", ops: `{"op":"replace","value":{"id":"other","meta":{"version":"W/\"9\""},"schemas":["urn:x"],"groups":[{"value":"g"}],"nickName":"Babs"}}`,
			want: `{"nickName":"Babs"}`},

		// Entra ID
		{name: "Entra capitalised Replace", ops: `{"op":"Replace","path":"displayName","value":"Barbara J"}`,
			want: `{"displayName":"Barbara J"}`},
		{name: "Entra boolean as string with Add", ops: `{"op":"Add","path":"active","value":"False"}`,
			want: `{"active":false}`},
		{name: "Entra boolean string any case", ops: `{"op":"Replace","path":"active","value":"TRUE"}`,
			want: `{"active":true}`},
		{name: "Entra path-less dotted and URN keys", ops: `{"op":"Replace","value":{
				"name.givenName":"Barb",
				"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department":"Engineering",
				"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value":"mgr-1",
				"active":"False"}}`,
			want: `{"name":{"givenName":"Barb","familyName":"Jensen"},"active":false,
				"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","` + entURN + `"],
				"` + entURN + `":{"department":"Engineering","manager":{"value":"mgr-1"}}}`},
		{name: "Entra manager as a bare string", ops: `{"op":"Add","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager","value":"mgr-2"}`,
			want: `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","` + entURN + `"],"` + entURN + `":{"manager":{"value":"mgr-2"}}}`},
		{name: "Entra work email through a filter", ops: `{"op":"Replace","path":"emails[type eq \"work\"].value","value":"barbara@example.com"}`,
			want: `{"emails":[{"value":"barbara@example.com","type":"work","primary":true},{"value":"babs@jensen.org","type":"home"}]}`},
		{name: "Entra work address created when missing", ops: `{"op":"Add","path":"addresses[type eq \"work\"].streetAddress","value":"100 Universal City Plaza"},{"op":"Add","path":"addresses[type eq \"work\"].locality","value":"Hollywood"}`,
			want: `{"addresses":[{"type":"work","streetAddress":"100 Universal City Plaza","locality":"Hollywood"}]}`},
		{name: "Okta mobile phone created by replace", ops: `{"op":"replace","path":"phoneNumbers[type eq \"mobile\"].value","value":"+1 555 0100"}`,
			want: `{"phoneNumbers":[{"type":"mobile","value":"+1 555 0100"}]}`},
		{name: "Entra legacy [{value}] form", ops: `{"op":"Replace","path":"displayName","value":[{"$ref":null,"value":"Barbara"}]}`,
			want: `{"displayName":"Barbara"}`},
		{name: "Entra periodic active true is a no-op", ops: `{"op":"Replace","path":"active","value":true}`, want: `{}`},
		{name: "Entra extension attribute by bare name", ops: `{"op":"Add","path":"employeeNumber","value":"701984"}`,
			want: `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","` + entURN + `"],"` + entURN + `":{"employeeNumber":"701984"}}`},

		// OneLogin, Ping
		{name: "OneLogin deprovision", ops: `{"op":"replace","path":"active","value":"false"}`, want: `{"active":false}`},

		// key forms and letter case
		{name: "core URN key", ops: `{"op":"replace","value":{"urn:ietf:params:scim:schemas:core:2.0:User:userName":"b@example.com","URN:IETF:PARAMS:SCIM:SCHEMAS:CORE:2.0:USER:name.familyName":"J"}}`,
			want: `{"userName":"b@example.com","name":{"givenName":"Barbara","familyName":"J"}}`},
		{name: "extension URN object key", ops: `{"op":"add","value":{"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"department":"Sales","Manager":{"value":"m1","displayName":"ignored"}}}}`,
			want: `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","` + entURN + `"],"` + entURN + `":{"department":"Sales","manager":{"value":"m1"}}}`},
		{name: "extension URN as the path", ops: `{"op":"replace","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User","value":{"costCenter":"42"}}`,
			want: `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","` + entURN + `"],"` + entURN + `":{"costCenter":"42"}}`},
		{name: "path in another case", ops: `{"op":"replace","path":"DISPLAYNAME","value":"X"}`, want: `{"displayName":"X"}`},
		{name: "value keys in another case", ops: `{"op":"replace","value":{"DisplayName":"X","NAME":{"GIVENNAME":"B"}}}`,
			want: `{"displayName":"X","name":{"givenName":"B","familyName":"Jensen"}}`},
		{name: "document key respelled", doc: `{"username":"a","DisplayName":"old"}`,
			ops:  `{"op":"replace","path":"userName","value":"b"},{"op":"replace","value":{"displayname":"new"}}`,
			want: `{"username":"<gone>","DisplayName":"<gone>","userName":"b","displayName":"new"}`},
		{name: "sorted keys: dotted key after its object", ops: `{"op":"replace","value":{"name.givenName":"B","name":{"givenName":"A","middleName":"M"}}}`,
			want: `{"name":{"givenName":"B","familyName":"Jensen","middleName":"M"}}`},

		// add
		{name: "add new email", ops: `{"op":"add","path":"emails","value":[{"value":"b@work.example","type":"other"}]}`,
			want: `{"emails":[{"value":"bjensen@example.com","type":"work","primary":true},{"value":"babs@jensen.org","type":"home"},{"value":"b@work.example","type":"other"}]}`},
		{name: "add an existing email merges into it, the provider's spelling winning", ops: `{"op":"add","path":"emails","value":[{"value":"BABS@jensen.org","type":"home","display":"Babs"}]}`,
			want: `{"emails":[{"value":"bjensen@example.com","type":"work","primary":true},{"value":"BABS@jensen.org","type":"home","display":"Babs"}]}`},
		{name: "add a primary email clears the old primary", ops: `{"op":"add","path":"emails","value":{"value":"new@example.com","type":"work","primary":true}}`,
			want: `{"emails":[{"value":"bjensen@example.com","type":"work"},{"value":"babs@jensen.org","type":"home"},{"value":"new@example.com","type":"work","primary":true}]}`},
		{name: "primary made true through a filter", ops: `{"op":"replace","path":"emails[type eq \"home\"].primary","value":true}`,
			want: `{"emails":[{"value":"bjensen@example.com","type":"work"},{"value":"babs@jensen.org","type":"home","primary":true}]}`},
		{name: "replace keeps one primary", ops: `{"op":"replace","path":"emails","value":[{"value":"a@x","primary":true},{"value":"b@x","primary":"True"}]}`,
			want: `{"emails":[{"value":"a@x","primary":true},{"value":"b@x"}]}`},
		{name: "add merges a complex attribute", ops: `{"op":"add","path":"name","value":{"middleName":"Jane"}}`,
			want: `{"name":{"givenName":"Barbara","familyName":"Jensen","middleName":"Jane"}}`},
		{name: "add simple attribute", ops: `{"op":"add","path":"title","value":"Tour Guide"}`, want: `{"title":"Tour Guide"}`},
		{name: "add [] adds nothing", ops: `{"op":"add","path":"emails","value":[]}`, want: `{}`},
		{name: "add filtered element merges the value", ops: `{"op":"add","path":"emails[type eq \"home\"]","value":{"display":"Home"}}`,
			want: `{"emails":[{"value":"bjensen@example.com","type":"work","primary":true},{"value":"babs@jensen.org","type":"home","display":"Home"}]}`},
		{name: "add a sub-attribute of a multi-valued attribute without elements", ops: `{"op":"add","path":"roles.value","value":"admin"}`,
			want: `{"roles":[{"value":"admin"}]}`},

		// replace
		{name: "replace all emails", ops: `{"op":"replace","path":"emails","value":[{"value":"only@example.com"}]}`,
			want: `{"emails":[{"value":"only@example.com"}]}`},
		{name: "replace with [] unassigns", ops: `{"op":"replace","path":"emails","value":[]}`, want: `{"emails":"<gone>"}`},
		{name: "replace with null unassigns", ops: `{"op":"replace","path":"name","value":null}`, want: `{"name":"<gone>"}`},
		{name: "add null unassigns", ops: `{"op":"add","path":"displayName","value":null}`, want: `{"displayName":"<gone>"}`},
		{name: "path-less null unassigns", ops: `{"op":"replace","value":{"displayName":null,"emails":[]}}`, want: `{"displayName":"<gone>","emails":"<gone>"}`},
		{name: "null sub-attribute unassigns it", ops: `{"op":"replace","path":"name","value":{"familyName":null}}`,
			want: `{"name":{"givenName":"Barbara"}}`},
		{name: "replace filtered element", ops: `{"op":"replace","path":"emails[value ew \"jensen.org\"]","value":{"type":"other"}}`,
			want: `{"emails":[{"value":"bjensen@example.com","type":"work","primary":true},{"value":"babs@jensen.org","type":"other"}]}`},
		{name: "replace through a filter matching nothing", ops: `{"op":"replace","path":"emails[value co \"nobody\"].type","value":"work"}`, wantErr: patch.NoTarget},
		{name: "add through a filter matching nothing", ops: `{"op":"add","path":"emails[type ne \"work\" and type ne \"home\"]","value":{"display":"x"}}`, wantErr: patch.NoTarget},
		{name: "create element from a conjunction", ops: `{"op":"replace","path":"emails[type eq \"other\" and primary eq true].value","value":"o@x"}`,
			want: `{"emails":[{"value":"bjensen@example.com","type":"work"},{"value":"babs@jensen.org","type":"home"},{"type":"other","primary":true,"value":"o@x"}]}`},
		{name: "filter is case-insensitive on caseExact false", ops: `{"op":"replace","path":"emails[type eq \"WORK\"].display","value":"W"}`,
			want: `{"emails":[{"value":"bjensen@example.com","type":"work","primary":true,"display":"W"},{"value":"babs@jensen.org","type":"home"}]}`},
		{name: "filter on a boolean", ops: `{"op":"replace","path":"emails[primary eq true].type","value":"other"}`,
			want: `{"emails":[{"value":"bjensen@example.com","type":"other","primary":true},{"value":"babs@jensen.org","type":"home"}]}`},
		{name: "filter with or and not", ops: `{"op":"replace","path":"emails[not (type eq \"work\") or value sw \"nobody\"].display","value":"D"}`,
			want: `{"emails":[{"value":"bjensen@example.com","type":"work","primary":true},{"value":"babs@jensen.org","type":"home","display":"D"}]}`},
		{name: "externalId is writable", ops: `{"op":"replace","path":"externalId","value":"okta-1"}`, want: `{"externalId":"okta-1"}`},

		// remove
		{name: "remove attribute", ops: `{"op":"remove","path":"displayName"}`, want: `{"displayName":"<gone>"}`},
		{name: "remove sub-attribute", ops: `{"op":"remove","path":"name.givenName"}`, want: `{"name":{"familyName":"Jensen"}}`},
		{name: "remove last sub-attribute removes the attribute", ops: `{"op":"remove","path":"name.givenName"},{"op":"remove","path":"name.familyName"}`,
			want: `{"name":"<gone>"}`},
		{name: "remove filtered elements", ops: `{"op":"remove","path":"emails[type eq \"home\"]"}`,
			want: `{"emails":[{"value":"bjensen@example.com","type":"work","primary":true}]}`},
		{name: "remove a sub-attribute of filtered elements", ops: `{"op":"remove","path":"emails[type eq \"work\"].primary"}`,
			want: `{"emails":[{"value":"bjensen@example.com","type":"work"},{"value":"babs@jensen.org","type":"home"}]}`},
		{name: "remove the only values leaves the attribute unassigned", ops: `{"op":"remove","path":"emails[value pr]"}`, want: `{"emails":"<gone>"}`},
		{name: "remove listed values only", ops: `{"op":"remove","path":"emails","value":[{"value":"babs@jensen.org"}]}`,
			want: `{"emails":[{"value":"bjensen@example.com","type":"work","primary":true}]}`},
		{name: "remove listed value of another type keeps it", ops: `{"op":"remove","path":"emails","value":[{"value":"babs@jensen.org","type":"work"}]}`, want: `{}`},
		{name: "remove an unlisted value changes nothing", ops: `{"op":"remove","path":"emails","value":[{"value":"nobody@x"}]}`, want: `{}`},
		{name: "remove whole multi-valued attribute", ops: `{"op":"remove","path":"emails"}`, want: `{"emails":"<gone>"}`},
		{name: "remove through a filter matching nothing changes nothing", ops: `{"op":"remove","path":"emails[type eq \"other\"]"}`, want: `{}`},
		{name: "remove an absent attribute changes nothing", ops: `{"op":"remove","path":"title"}`, want: `{}`},
		{name: "remove the last extension attribute drops the extension",
			doc:  `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","` + entURN + `"],"userName":"a","` + entURN + `":{"department":"x"}}`,
			ops:  `{"op":"remove","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department"}`,
			want: `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"` + entURN + `":"<gone>"}`},
		{name: "remove the extension", doc: `{"userName":"a","` + entURN + `":{"department":"x"}}`,
			ops: `{"op":"remove","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"}`, want: `{"` + entURN + `":"<gone>"}`},
		{name: "remove without a path", ops: `{"op":"remove","value":{"title":"x"}}`, wantErr: patch.NoTarget},
		{name: "remove required userName", ops: `{"op":"remove","path":"userName"}`, wantErr: patch.InvalidValue},
		{name: "replace required userName with null", ops: `{"op":"replace","value":{"userName":null}}`, wantErr: patch.InvalidValue},

		// read-only, immutable, password
		{name: "replace id", ops: `{"op":"replace","path":"id","value":"x"}`, wantErr: patch.Mutability},
		{name: "replace meta sub-attribute", ops: `{"op":"replace","path":"meta.lastModified","value":"2024-01-01T00:00:00Z"}`, wantErr: patch.Mutability},
		{name: "add groups", ops: `{"op":"add","path":"groups","value":[{"value":"g1"}]}`, wantErr: patch.Mutability},
		{name: "remove schemas", ops: `{"op":"remove","path":"schemas"}`, wantErr: patch.Mutability},
		{name: "replace manager.displayName", ops: `{"op":"replace","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.displayName","value":"x"}`, wantErr: patch.Mutability},
		{name: "password by path is dropped", ops: `{"op":"replace","path":"password","value":"hunter2"}`, want: `{}`},
		{name: "password in a value is dropped", ops: `{"op":"replace","value":{"password":"hunter2","title":"T"}}`, want: `{"title":"T"}`},
		{name: "password remove is a no-op", ops: `{"op":"remove","path":"password"}`, want: `{}`},

		// unknown names and wrong types
		{name: "unknown attribute in a path", ops: `{"op":"replace","path":"favoriteColor","value":"blue"}`, wantErr: patch.InvalidPath},
		{name: "unknown sub-attribute in a path", ops: `{"op":"replace","path":"name.nickname","value":"x"}`, wantErr: patch.InvalidPath},
		{name: "unknown attribute in a value", ops: `{"op":"replace","value":{"favoriteColor":"blue"}}`, wantErr: patch.InvalidValue},
		{name: "unknown sub-attribute in a value", ops: `{"op":"replace","path":"name","value":{"nope":"x"}}`, wantErr: patch.InvalidValue},
		{name: "unknown sub-attribute in an element", ops: `{"op":"add","path":"emails","value":[{"value":"a@x","label":"x"}]}`, wantErr: patch.InvalidValue},
		{name: "boolean that is not one", ops: `{"op":"replace","path":"active","value":"maybe"}`, wantErr: patch.InvalidValue},
		{name: "boolean as a number", ops: `{"op":"replace","value":{"active":1}}`, wantErr: patch.InvalidValue},
		{name: "string as a number", ops: `{"op":"replace","value":{"userName":42}}`, wantErr: patch.InvalidValue},
		{name: "multi-valued as a string", ops: `{"op":"replace","value":{"emails":"x"}}`, wantErr: patch.InvalidValue},
		{name: "complex as a string", ops: `{"op":"replace","path":"name","value":"Barbara Jensen"}`, wantErr: patch.InvalidValue},
		{name: "sub-attribute of the wrong type", ops: `{"op":"add","path":"emails","value":[{"value":"a@x","primary":"yes"}]}`, wantErr: patch.InvalidValue},
		{name: "path-less value not an object", ops: `{"op":"replace","value":"x"}`, wantErr: patch.InvalidValue},
		{name: "filter on a single-valued attribute", ops: `{"op":"replace","path":"name[givenName eq \"B\"].familyName","value":"x"}`, wantErr: patch.InvalidPath},
		{name: "filter on an unknown sub-attribute", ops: `{"op":"replace","path":"emails[kind eq \"work\"].value","value":"x"}`, wantErr: patch.InvalidPath},
		{name: "filter with a literal of the wrong type", ops: `{"op":"replace","path":"emails[primary eq \"yes\"].value","value":"x"}`, wantErr: patch.InvalidPath},
		{name: "filter ordering a boolean", ops: `{"op":"remove","path":"emails[primary gt false]"}`, wantErr: patch.InvalidPath},
		{name: "error stops the request", ops: `{"op":"replace","path":"title","value":"T"},{"op":"replace","path":"active","value":"maybe"}`, wantErr: patch.InvalidValue},

		// elements without a "value", bare strings, every element
		{name: "add an equal address merges into it instead of duplicating it", doc: `{"userName":"a","addresses":[{"type":"home","locality":"Oslo"}]}`,
			ops:  `{"op":"add","path":"addresses","value":[{"Type":"HOME","locality":"oslo"},{"type":"work","locality":"Bergen"}]}`,
			want: `{"addresses":[{"type":"HOME","locality":"oslo"},{"type":"work","locality":"Bergen"}]}`},
		{name: "remove listed address by its sub-attributes", doc: `{"userName":"a","addresses":[{"type":"home","locality":"Oslo"},{"type":"work","locality":"Bergen"}]}`,
			ops: `{"op":"remove","path":"addresses","value":[{"type":"home"}]}`, want: `{"addresses":[{"type":"work","locality":"Bergen"}]}`},
		{name: "remove listed empty object removes nothing", ops: `{"op":"remove","path":"emails","value":[{}]}`, want: `{}`},
		{name: "remove a value given as a bare string", ops: `{"op":"remove","path":"emails","value":"BABS@jensen.org"}`,
			want: `{"emails":[{"value":"bjensen@example.com","type":"work","primary":true}]}`},
		{name: "set a sub-attribute of every element", ops: `{"op":"replace","path":"emails.display","value":"B"}`,
			want: `{"emails":[{"value":"bjensen@example.com","type":"work","primary":true,"display":"B"},{"value":"babs@jensen.org","type":"home","display":"B"}]}`},
		{name: "remove a sub-attribute of every element", ops: `{"op":"remove","path":"emails.type"}`,
			want: `{"emails":[{"value":"bjensen@example.com","primary":true},{"value":"babs@jensen.org"}]}`},
		{name: "remove the only sub-attribute of every element drops them", ops: `{"op":"remove","path":"emails.value"},{"op":"remove","path":"emails.type"},{"op":"remove","path":"emails.primary"}`,
			want: `{"emails":"<gone>"}`},
		{name: "remove a sub-attribute of an absent attribute", ops: `{"op":"remove","path":"addresses.locality"},{"op":"remove","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value"}`, want: `{}`},
		{name: "document holding a wrong shape is overwritten", doc: `{"userName":"a","emails":"junk","name":"junk"}`,
			ops:  `{"op":"add","path":"emails","value":[{"value":"a@x"}]},{"op":"add","path":"name.givenName","value":"A"}`,
			want: `{"emails":[{"value":"a@x"}],"name":{"givenName":"A"}}`},

		// schemas the resource type does not have
		{name: "custom extension attribute by path is kept", ops: `{"op":"add","path":"urn:ietf:params:scim:schemas:extension:acme:2.0:User:badgeId","value":"B-7"}`,
			want: `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","urn:ietf:params:scim:schemas:extension:acme:2.0:User"],
				"urn:ietf:params:scim:schemas:extension:acme:2.0:User":{"badgeId":"B-7"}}`},
		{name: "custom extension object is kept verbatim", ops: `{"op":"replace","value":{"urn:acme:custom":{"Badge":{"n":1}}}}`,
			want: `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","urn:acme:custom"],"urn:acme:custom":{"Badge":{"n":1}}}`},
		{name: "custom extension scalar key is kept under its schema", ops: `{"op":"replace","value":{"urn:acme:ext:2.0:User:level":3}}`,
			want: `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","urn:acme:ext:2.0:User"],"urn:acme:ext:2.0:User":{"level":3}}`},
		{name: "custom extension attribute removed", doc: `{"userName":"a","urn:acme:ext:2.0:User":{"level":3,"x":1}}`,
			ops: `{"op":"remove","path":"urn:acme:ext:2.0:User:level"}`, want: `{"urn:acme:ext:2.0:User":{"x":1}}`},
		{name: "custom extension sub-attribute set and removed", doc: `{"userName":"a"}`,
			ops:  `{"op":"add","path":"urn:acme:ext:2.0:User:badge.id","value":"7"},{"op":"add","path":"urn:acme:ext:2.0:User:badge.color","value":"red"},{"op":"remove","path":"urn:acme:ext:2.0:User:badge.id"}`,
			want: `{"urn:acme:ext:2.0:User":{"badge":{"color":"red"}}}`},
		{name: "custom extension emptied is dropped", doc: `{"userName":"a","schemas":["urn:ietf:params:scim:schemas:core:2.0:User","urn:acme:ext:2.0:User"],"urn:acme:ext:2.0:User":{"badge":{"id":"7"}}}`,
			ops:  `{"op":"remove","path":"urn:acme:ext:2.0:User:badge.id"}`,
			want: `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"urn:acme:ext:2.0:User":"<gone>"}`},
		{name: "custom extension attribute set to null", doc: `{"userName":"a","urn:acme:ext:2.0:User":{"level":1}}`,
			ops: `{"op":"replace","path":"urn:acme:ext:2.0:User:level","value":null}`, want: `{"urn:acme:ext:2.0:User":"<gone>"}`},
		{name: "custom extension object merged by add", doc: `{"userName":"a","urn:acme:x":{"a":1}}`,
			ops: `{"op":"add","value":{"urn:acme:x":{"b":2}}}`, want: `{"urn:acme:x":{"a":1,"b":2}}`},
		{name: "Group schema on a user", ops: `{"op":"replace","path":"urn:ietf:params:scim:schemas:core:2.0:Group:displayName","value":"x"}`, wantErr: patch.InvalidPath},
		{name: "Group schema key on a user", ops: `{"op":"replace","value":{"urn:ietf:params:scim:schemas:core:2.0:Group:displayName":"x"}}`, wantErr: patch.InvalidValue},
		{name: "filter on a custom extension", ops: `{"op":"remove","path":"urn:acme:ext:2.0:User:tags[value eq \"x\"]"}`, wantErr: patch.InvalidPath},
	}
	runCases(t, baseUser, schema.UserResource, tests)
}

func runCases(t *testing.T, base string, rt *schema.ResourceType, tests []applyCase) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := base
			if tt.doc != "" {
				start = tt.doc
			}
			doc, changes, err := run(t, start, rt, "", tt.ops)
			if tt.wantErr != "" {
				checkErr(t, err, tt.wantErr)
				return
			}
			if err != nil {
				t.Fatalf("Apply: %v (scimType %s)", err, patch.ScimTypeOf(err))
			}
			if changes != nil {
				t.Errorf("member changes %v without a deferred attribute", changes)
			}
			checkDoc(t, doc, edit(t, start, tt.want))
		})
	}
}

// TestCanonicalBody is how the SCIM layer turns a POST or PUT body into a
// canonical document: a path-less replace onto an empty document.
func TestCanonicalBody(t *testing.T) {
	body := decode(t, `{
		"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", "`+entURN+`"],
		"id": "client-chosen", "externalId": "00u1", "UserName": "bjensen@example.com",
		"password": "t1meMa$heen",
		"name": {"givenName": "Barbara", "familyName": "Jensen", "formatted": null},
		"emails": [{"value": "bjensen@example.com", "type": "work", "primary": "true"}],
		"active": "True",
		"groups": [{"value": "g1"}],
		"meta": {"resourceType": "User"},
		"`+entURN+`": {"employeeNumber": "701984", "manager": {"value": "m1", "displayName": "Boss"}},
		"urn:acme:ext": {"anything": [1, 2]}
	}`)
	doc := map[string]any{}
	changes, err := patch.Apply(doc, schema.UserResource, []patch.Operation{{Op: "replace", Value: body}}, "")
	if err != nil || changes != nil {
		t.Fatalf("Apply = %v, %v", changes, err)
	}
	checkDoc(t, doc, decode(t, `{
		"externalId": "00u1", "userName": "bjensen@example.com",
		"name": {"givenName": "Barbara", "familyName": "Jensen"},
		"emails": [{"value": "bjensen@example.com", "type": "work", "primary": true}],
		"active": true,
		"`+entURN+`": {"employeeNumber": "701984", "manager": {"value": "m1"}},
		"urn:acme:ext": {"anything": [1, 2]}
	}`))
	// The body the caller holds is not shared with the document.
	doc["urn:acme:ext"].(map[string]any)["anything"] = "changed"
	if _, ok := body["urn:acme:ext"].(map[string]any)["anything"].([]any); !ok {
		t.Error("Apply stored the caller's value instead of a copy")
	}
}

// TestApplyHandBuilt covers operations built in Go rather than parsed: an
// op in another case, values of Go types that are not JSON-decoded ones.
func TestApplyHandBuilt(t *testing.T) {
	path, err := filter.ParsePath("emails")
	if err != nil {
		t.Fatal(err)
	}
	doc := decode(t, `{"userName":"a","active":true}`)
	ops := []patch.Operation{
		{Op: "Replace", Value: map[string]any{"active": false, "title": "T"}},
		{Op: "add", Path: &path, Value: []map[string]any{{"value": "a@x", "primary": true}}},
	}
	if _, err := patch.Apply(doc, schema.UserResource, ops, ""); err != nil {
		t.Fatal(err)
	}
	checkDoc(t, doc, decode(t, `{"userName":"a","active":false,"title":"T","emails":[{"value":"a@x","primary":true}]}`))

	for _, op := range []patch.Operation{{Op: "copy", Path: &path}, {Op: "add", Path: &path, Value: make(chan int)}} {
		_, err := patch.Apply(decode(t, `{}`), schema.UserResource, []patch.Operation{op}, "")
		if patch.ScimTypeOf(err) == "" {
			t.Errorf("Apply(%+v) error = %v; want a PATCH error", op, err)
		}
	}
	if _, err := patch.Apply(nil, schema.UserResource, nil, ""); patch.ScimTypeOf(err) == "" {
		t.Errorf("Apply(nil doc) error = %v", err)
	}
}

// TestApplyJSONNumbers checks that documents decoded with UseNumber and
// without are handled alike.
func TestApplyJSONNumbers(t *testing.T) {
	doc := map[string]any{"userName": "a", "x509Certificates": []any{map[string]any{"value": "MIIC", "primary": true}}}
	ops, err := patch.Parse([]byte(body(`{"op":"add","path":"x509Certificates","value":[{"value":"MIID","primary":true}]}`)))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := patch.Apply(doc, schema.UserResource, ops, ""); err != nil {
		t.Fatal(err)
	}
	checkDoc(t, doc, decode(t, `{"userName":"a","x509Certificates":[{"value":"MIIC"},{"value":"MIID","primary":true}]}`))
	var anyDoc map[string]any
	dec := json.NewDecoder(jsonReader(`{"userName":"a","urn:acme:x":{"n":1.5}}`))
	dec.UseNumber()
	if err := dec.Decode(&anyDoc); err != nil {
		t.Fatal(err)
	}
	ops, _ = patch.Parse([]byte(body(`{"op":"add","value":{"urn:acme:x":{"m":2}}}`)))
	if _, err := patch.Apply(anyDoc, schema.UserResource, ops, ""); err != nil {
		t.Fatal(err)
	}
	checkDoc(t, anyDoc, decode(t, `{"userName":"a","urn:acme:x":{"n":1.5,"m":2}}`))
}
