package schema_test

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/acme/directory/fault"
	"github.com/acme/directory/scim/schema"
)

// want is the characteristics of one attribute as RFC 7643 §4 and §8.7.1
// define them; subs lists the sub-attribute names in order.
type want struct {
	path       string // "attr" or "attr.sub"
	typ        schema.Type
	multi      bool
	required   bool
	caseExact  bool
	mutability string
	returned   string
	uniqueness string
	subs       []string
}

var (
	plural = []string{"value", "display", "type", "primary"}
	rw     = schema.ReadWrite
	def    = schema.Default
	none   = schema.None
)

func TestUserAttributes(t *testing.T) {
	tests := []want{
		{"userName", schema.String, false, true, false, rw, def, schema.Server, nil},
		{"name", schema.Complex, false, false, false, rw, def, none,
			[]string{"formatted", "familyName", "givenName", "middleName", "honorificPrefix", "honorificSuffix"}},
		{"name.givenName", schema.String, false, false, false, rw, def, none, nil},
		{"displayName", schema.String, false, false, false, rw, def, none, nil},
		{"nickName", schema.String, false, false, false, rw, def, none, nil},
		{"profileUrl", schema.Reference, false, false, false, rw, def, none, nil},
		{"title", schema.String, false, false, false, rw, def, none, nil},
		{"userType", schema.String, false, false, false, rw, def, none, nil},
		{"preferredLanguage", schema.String, false, false, false, rw, def, none, nil},
		{"locale", schema.String, false, false, false, rw, def, none, nil},
		{"timezone", schema.String, false, false, false, rw, def, none, nil},
		{"active", schema.Boolean, false, false, false, rw, def, none, nil},
		{"password", schema.String, false, false, false, schema.WriteOnly, schema.Never, none, nil},
		{"emails", schema.Complex, true, false, false, rw, def, none, plural},
		{"emails.primary", schema.Boolean, false, false, false, rw, def, none, nil},
		{"phoneNumbers", schema.Complex, true, false, false, rw, def, none, plural},
		{"ims", schema.Complex, true, false, false, rw, def, none, plural},
		{"photos", schema.Complex, true, false, false, rw, def, none, plural},
		{"photos.value", schema.Reference, false, false, false, rw, def, none, nil},
		{"addresses", schema.Complex, true, false, false, rw, def, none,
			[]string{"formatted", "streetAddress", "locality", "region", "postalCode", "country", "type", "primary"}},
		{"groups", schema.Complex, true, false, false, schema.ReadOnly, def, none,
			[]string{"value", "$ref", "display", "type"}},
		{"groups.value", schema.String, false, false, false, schema.ReadOnly, def, none, nil},
		{"entitlements", schema.Complex, true, false, false, rw, def, none, plural},
		{"roles", schema.Complex, true, false, false, rw, def, none, plural},
		{"x509Certificates", schema.Complex, true, false, false, rw, def, none, plural},
		{"x509Certificates.value", schema.Binary, false, false, false, rw, def, none, nil},
	}
	checkAttributes(t, schema.User, tests)
	if got := len(schema.User.Attributes); got != 21 {
		t.Errorf("User has %d attributes; want 21", got)
	}
}

func TestEnterpriseAndGroupAttributes(t *testing.T) {
	checkAttributes(t, schema.EnterpriseUser, []want{
		{"employeeNumber", schema.String, false, false, false, rw, def, none, nil},
		{"costCenter", schema.String, false, false, false, rw, def, none, nil},
		{"organization", schema.String, false, false, false, rw, def, none, nil},
		{"division", schema.String, false, false, false, rw, def, none, nil},
		{"department", schema.String, false, false, false, rw, def, none, nil},
		{"manager", schema.Complex, false, false, false, rw, def, none, []string{"value", "$ref", "displayName"}},
		{"manager.displayName", schema.String, false, false, false, schema.ReadOnly, def, none, nil},
		{"manager.$ref", schema.Reference, false, false, false, rw, def, none, nil},
	})
	checkAttributes(t, schema.Group, []want{
		{"displayName", schema.String, false, true, false, rw, def, none, nil},
		{"members", schema.Complex, true, false, false, rw, def, none, []string{"value", "$ref", "display", "type"}},
		{"members.value", schema.String, false, false, false, schema.Immutable, def, none, nil},
		{"members.type", schema.String, false, false, false, schema.Immutable, def, none, nil},
	})
}

func checkAttributes(t *testing.T, s *schema.Schema, tests []want) {
	t.Helper()
	for _, tt := range tests {
		name, sub, _ := strings.Cut(tt.path, ".")
		a := s.Attr(name)
		if sub != "" {
			a = a.Sub(sub)
		}
		if a == nil {
			t.Errorf("%s: no attribute %s", s.Name, tt.path)
			continue
		}
		var subs []string
		for _, sa := range a.SubAttributes {
			subs = append(subs, sa.Name)
		}
		got := want{tt.path, a.Type, a.MultiValued, a.Required, a.CaseExact, a.Mutability, a.Returned, a.Uniqueness, subs}
		if !equalWant(got, tt) {
			t.Errorf("%s.%s = %+v; want %+v", s.Name, tt.path, got, tt)
		}
	}
}

func equalWant(a, b want) bool {
	return a.path == b.path && a.typ == b.typ && a.multi == b.multi && a.required == b.required &&
		a.caseExact == b.caseExact && a.mutability == b.mutability && a.returned == b.returned &&
		a.uniqueness == b.uniqueness && slices.Equal(a.subs, b.subs)
}

// TestDefinitionsWellFormed walks every definition for the rules of RFC
// 7643 §7 that a typo would break.
func TestDefinitionsWellFormed(t *testing.T) {
	var walk func(path string, a *schema.Attribute, depth int)
	walk = func(path string, a *schema.Attribute, depth int) {
		path += a.Name
		switch {
		case a.Description == "":
			t.Errorf("%s: no description", path)
		case !slices.Contains([]string{schema.ReadOnly, schema.ReadWrite, schema.Immutable, schema.WriteOnly}, a.Mutability):
			t.Errorf("%s: mutability %q", path, a.Mutability)
		case !slices.Contains([]string{schema.Always, schema.Never, schema.Default, schema.Request}, a.Returned):
			t.Errorf("%s: returned %q", path, a.Returned)
		case !slices.Contains([]string{schema.None, schema.Server, schema.Global}, a.Uniqueness):
			t.Errorf("%s: uniqueness %q", path, a.Uniqueness)
		case (a.Type == schema.Complex) != (len(a.SubAttributes) > 0):
			t.Errorf("%s: type %s with %d sub-attributes", path, a.Type, len(a.SubAttributes))
		case (a.Type == schema.Reference) != (len(a.ReferenceTypes) > 0):
			t.Errorf("%s: type %s with reference types %v", path, a.Type, a.ReferenceTypes)
		case depth > 1 && len(a.SubAttributes) > 0:
			t.Errorf("%s: sub-attributes may not be complex", path)
		}
		for _, s := range a.SubAttributes {
			walk(path+".", s, depth+1)
		}
	}
	for _, s := range []*schema.Schema{schema.User, schema.EnterpriseUser, schema.Group} {
		for _, a := range s.Attributes {
			walk(s.Name+":", a, 1)
		}
	}
	for _, a := range schema.Common {
		walk("common:", a, 1)
	}
}

func TestLookupIsCaseInsensitive(t *testing.T) {
	if a := schema.User.Attr("USERNAME"); a == nil || a.Name != "userName" {
		t.Errorf("Attr(USERNAME) = %v", a)
	}
	if a := schema.User.Attr("emails").Sub("Primary"); a == nil || a.Name != "primary" {
		t.Errorf("Sub(Primary) = %v", a)
	}
	if a := schema.User.Attr("nope"); a != nil {
		t.Errorf("Attr(nope) = %v; want nil", a)
	}
	if a := schema.User.Attr("active").Sub("value"); a != nil {
		t.Errorf("simple attribute has sub-attribute %v", a)
	}
	var nilAttr *schema.Attribute
	if nilAttr.Sub("x") != nil {
		t.Error("nil.Sub != nil")
	}
	if schema.ByID("URN:IETF:PARAMS:SCIM:SCHEMAS:CORE:2.0:GROUP") != schema.Group || schema.ByID("urn:x") != nil {
		t.Error("ByID")
	}
}

func TestResolve(t *testing.T) {
	const ent = schema.EnterpriseUserURN
	tests := []struct {
		rt             *schema.ResourceType
		urn, name, sub string
		owner          *schema.Schema // nil: common attribute
		attr, subAttr  string         // "" subAttr: none
		wantErr        bool
	}{
		{schema.UserResource, "", "userName", "", schema.User, "userName", "", false},
		{schema.UserResource, "", "USERNAME", "", schema.User, "userName", "", false},
		{schema.UserResource, "", "name", "givenname", schema.User, "name", "givenName", false},
		{schema.UserResource, schema.UserURN, "userName", "", schema.User, "userName", "", false},
		{schema.UserResource, strings.ToLower(schema.UserURN), "emails", "value", schema.User, "emails", "value", false},
		{schema.UserResource, ent, "department", "", schema.EnterpriseUser, "department", "", false},
		{schema.UserResource, strings.ToUpper(ent), "Manager", "value", schema.EnterpriseUser, "manager", "value", false},
		{schema.UserResource, "", "department", "", schema.EnterpriseUser, "department", "", false},
		{schema.UserResource, "", "manager", "displayName", schema.EnterpriseUser, "manager", "displayName", false},
		{schema.UserResource, "", "id", "", nil, "id", "", false},
		{schema.UserResource, "", "externalId", "", nil, "externalId", "", false},
		{schema.UserResource, schema.UserURN, "externalId", "", nil, "externalId", "", false},
		{schema.UserResource, "", "meta", "lastModified", nil, "meta", "lastModified", false},
		{schema.UserResource, "", "meta", "created", nil, "meta", "created", false},
		{schema.UserResource, "", "schemas", "", nil, "schemas", "", false},
		{schema.GroupResource, "", "members", "value", schema.Group, "members", "value", false},
		{schema.GroupResource, "", "displayname", "", schema.Group, "displayName", "", false},
		{schema.GroupResource, "", "id", "", nil, "id", "", false},
		{schema.UserResource, "", "nickname", "x", nil, "", "", true},            // simple attribute, no sub
		{schema.UserResource, "", "emails", "nope", nil, "", "", true},           // unknown sub
		{schema.UserResource, "", "nope", "", nil, "", "", true},                 // unknown attribute
		{schema.UserResource, ent, "userName", "", nil, "", "", true},            // core attribute under extension URN
		{schema.UserResource, ent, "id", "", nil, "", "", true},                  // common attributes are not extension attributes
		{schema.UserResource, schema.GroupURN, "members", "", nil, "", "", true}, // schema of another type
		{schema.GroupResource, "", "department", "", nil, "", "", true},          // groups have no extension
		{schema.GroupResource, "urn:acme:x", "a", "", nil, "", "", true},         // unknown schema
	}
	for _, tt := range tests {
		path := tt.urn + ":" + tt.name + "." + tt.sub
		owner, a, sub, err := tt.rt.Resolve(tt.urn, tt.name, tt.sub)
		if tt.wantErr {
			var fe *fault.Error
			if !errors.As(err, &fe) || fe.Code != fault.Invalid || fe.Field == "" {
				t.Errorf("Resolve(%s) error = %v; want a fault.Invalid field error", path, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("Resolve(%s): %v", path, err)
			continue
		}
		subName := ""
		if sub != nil {
			subName = sub.Name
		}
		if owner != tt.owner || a.Name != tt.attr || subName != tt.subAttr {
			t.Errorf("Resolve(%s) = %v, %s, %q; want %v, %s, %q", path, owner, a.Name, subName, tt.owner, tt.attr, tt.subAttr)
		}
	}
}

func TestSchemaDocument(t *testing.T) {
	doc := roundTrip(t, schema.User.Document("https://h/scim/v2/d1"))
	if doc["id"] != schema.UserURN || doc["name"] != "User" {
		t.Errorf("id, name = %v, %v", doc["id"], doc["name"])
	}
	if got := doc["schemas"].([]any); len(got) != 1 || got[0] != schema.SchemaURN {
		t.Errorf("schemas = %v", got)
	}
	meta := doc["meta"].(map[string]any)
	if meta["resourceType"] != "Schema" || meta["location"] != "https://h/scim/v2/d1/Schemas/"+schema.UserURN {
		t.Errorf("meta = %v", meta)
	}
	attrs := byName(doc["attributes"].([]any))
	if len(attrs) != len(schema.User.Attributes) {
		t.Fatalf("%d attributes rendered; want %d", len(attrs), len(schema.User.Attributes))
	}
	userName := attrs["userName"]
	for k, v := range map[string]any{"type": "string", "multiValued": false, "required": true, "caseExact": false,
		"mutability": "readWrite", "returned": "default", "uniqueness": "server"} {
		if userName[k] != v {
			t.Errorf("userName.%s = %v; want %v", k, userName[k], v)
		}
	}
	if p := attrs["password"]; p["mutability"] != "writeOnly" || p["returned"] != "never" {
		t.Errorf("password = %v", p)
	}
	if _, ok := attrs["active"]["caseExact"]; ok {
		t.Error("boolean attribute rendered with caseExact")
	}
	if got := attrs["profileUrl"]["referenceTypes"]; !slices.Equal(toStrings(got), []string{"external"}) {
		t.Errorf("profileUrl.referenceTypes = %v", got)
	}
	emailSubs := byName(attrs["emails"]["subAttributes"].([]any))
	if got := toStrings(emailSubs["type"]["canonicalValues"]); !slices.Equal(got, []string{"work", "home", "other"}) {
		t.Errorf("emails.type.canonicalValues = %v", got)
	}
	if _, ok := attrs["userName"]["subAttributes"]; ok {
		t.Error("simple attribute rendered with subAttributes")
	}
	group := roundTrip(t, schema.Group.Document(""))
	members := byName(byName(group["attributes"].([]any))["members"]["subAttributes"].([]any))
	if members["value"]["mutability"] != "immutable" {
		t.Errorf("members.value = %v", members["value"])
	}
}

func TestResourceTypeDocument(t *testing.T) {
	doc := roundTrip(t, schema.UserResource.Document("https://h/scim/v2/d1"))
	for k, v := range map[string]any{"id": "User", "name": "User", "endpoint": "/Users", "schema": schema.UserURN} {
		if doc[k] != v {
			t.Errorf("%s = %v; want %v", k, doc[k], v)
		}
	}
	ext := doc["schemaExtensions"].([]any)
	if len(ext) != 1 || ext[0].(map[string]any)["schema"] != schema.EnterpriseUserURN || ext[0].(map[string]any)["required"] != false {
		t.Errorf("schemaExtensions = %v", ext)
	}
	if got := doc["meta"].(map[string]any)["location"]; got != "https://h/scim/v2/d1/ResourceTypes/User" {
		t.Errorf("meta.location = %v", got)
	}
	group := roundTrip(t, schema.GroupResource.Document(""))
	if group["endpoint"] != "/Groups" || len(group["schemaExtensions"].([]any)) != 0 {
		t.Errorf("group resource type = %v", group)
	}
}

func roundTrip(t *testing.T, v map[string]any) map[string]any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

func byName(list []any) map[string]map[string]any {
	out := map[string]map[string]any{}
	for _, v := range list {
		m := v.(map[string]any)
		out[m["name"].(string)] = m
	}
	return out
}

func toStrings(v any) []string {
	var out []string
	for _, s := range v.([]any) {
		out = append(out, s.(string))
	}
	return out
}
