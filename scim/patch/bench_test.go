package patch_test

import (
	"testing"

	"github.com/acme/directory/scim/patch"
	"github.com/acme/directory/scim/schema"
)

// entraPatch is what Entra ID sends when a user's name, work email and
// status change: capitalised ops, a filtered path, a path-less value with a
// dotted key, an extension URN key and a string boolean.
const entraPatch = `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[
	{"op":"Replace","path":"displayName","value":"Barbara J. Jensen"},
	{"op":"Replace","path":"emails[type eq \"work\"].value","value":"barbara.jensen@example.com"},
	{"op":"Add","value":{"name.givenName":"Barbara","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department":"Tour Operations","active":"False"}}
]}`

// realisticUser is a fully populated user as the SCIM layer renders it.
const realisticUser = `{
	"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
	"id": "2819c223-7f76-453a-919d-413861904646", "externalId": "701984",
	"userName": "bjensen@example.com",
	"name": {"formatted": "Ms. Barbara J Jensen, III", "familyName": "Jensen", "givenName": "Barbara", "middleName": "Jane", "honorificPrefix": "Ms.", "honorificSuffix": "III"},
	"displayName": "Babs Jensen", "nickName": "Babs", "profileUrl": "https://login.example.com/bjensen",
	"title": "Tour Guide", "userType": "Employee", "preferredLanguage": "en-US", "locale": "en-US", "timezone": "America/Los_Angeles",
	"active": true,
	"emails": [{"value": "bjensen@example.com", "type": "work", "primary": true}, {"value": "babs@jensen.org", "type": "home"}],
	"addresses": [{"type": "work", "streetAddress": "100 Universal City Plaza", "locality": "Hollywood", "region": "CA", "postalCode": "91608", "country": "USA", "primary": true},
		{"type": "home", "streetAddress": "456 Hollywood Blvd", "locality": "Hollywood", "region": "CA", "postalCode": "91608", "country": "USA"}],
	"phoneNumbers": [{"value": "555-555-5555", "type": "work"}, {"value": "555-555-4444", "type": "mobile"}],
	"ims": [{"value": "someaimhandle", "type": "aim"}],
	"photos": [{"value": "https://photos.example.com/profilephoto/72930000000Ccne/F", "type": "photo"}],
	"groups": [{"value": "e9e30dba-f08f-4109-8486-d5c6a331660a", "display": "Tour Guides", "type": "direct"}],
	"x509Certificates": [{"value": "MIIDQzCCAqygAwIBAgICEAAwDQYJKoZIhvcNAQEFBQAwTjELMAkGA1UEBhMCVVMx"}],
	"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"employeeNumber": "701984", "costCenter": "4130", "organization": "Universal Studios", "division": "Theme Park", "department": "Tour Operations",
		"manager": {"value": "26118915-6090-4610-87e4-49d8ca9f808d", "displayName": "John Smith"}},
	"meta": {"resourceType": "User", "created": "2010-01-23T04:56:22Z", "lastModified": "2011-05-13T04:42:34Z", "version": "W/\"3694e05e9dff591\""}
}`

// BenchmarkApplyEntra applies the three operations to a realistic user.
// The operations are idempotent, so one document serves every iteration.
func BenchmarkApplyEntra(b *testing.B) {
	ops, err := patch.Parse([]byte(entraPatch))
	if err != nil {
		b.Fatal(err)
	}
	doc := decode(b, realisticUser)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := patch.Apply(doc, schema.UserResource, ops, ""); err != nil {
			b.Fatal(err)
		}
	}
	if doc["active"] != false || doc["displayName"] != "Barbara J. Jensen" {
		b.Fatalf("patch not applied: %v", doc)
	}
}

// BenchmarkParseApplyEntra adds the parsing of the request body.
func BenchmarkParseApplyEntra(b *testing.B) {
	doc := decode(b, realisticUser)
	body := []byte(entraPatch)
	b.ReportAllocs()
	for b.Loop() {
		ops, err := patch.Parse(body)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := patch.Apply(doc, schema.UserResource, ops, ""); err != nil {
			b.Fatal(err)
		}
	}
}
