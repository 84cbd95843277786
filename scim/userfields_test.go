package scim

import (
	"encoding/json"
	"errors"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/acme/directory/ent"
	"github.com/acme/directory/ent/group"
	"github.com/acme/directory/ent/schema/schematype"
	"github.com/acme/directory/ent/user"
	"github.com/acme/directory/scim/attrs"
	"github.com/acme/directory/scim/schema"
)

// fixtureUser is a user holding every stored attribute.
func fixtureUser() *ent.User {
	mv := func(v string) []schematype.MultiValue {
		return []schematype.MultiValue{{Value: v + "1", Display: "D", Type: "work", Primary: true}, {Value: v + "2"}}
	}
	return &ent.User{
		ID:        uuid.MustParse("6f3c1b0e-2f4a-4c55-9a3e-0d1f2e3a4b5c"),
		CreatedAt: time.Date(2024, 1, 2, 3, 4, 5, 6, time.UTC),
		UpdatedAt: time.Date(2024, 2, 3, 4, 5, 6, 7, time.FixedZone("X", 3600)),
		Version:   7, ExternalID: "ext-1", UserName: "bjensen@example.com", UserNameKey: "bjensen@example.com",
		NameFormatted: "Ms. Barbara J Jensen, III", FamilyName: "Jensen", GivenName: "Barbara", MiddleName: "Jane",
		HonorificPrefix: "Ms.", HonorificSuffix: "III", DisplayName: "Babs Jensen", NickName: "Babs",
		ProfileURL: "https://login.example.com/bjensen", Title: "Tour Guide", UserType: "Employee",
		PreferredLanguage: "en-US", Locale: "en-US", Timezone: "America/Los_Angeles", Active: false,
		PrimaryEmail: "e1", Emails: mv("e"), PhoneNumbers: mv("p"), Ims: mv("i"), Photos: mv("ph"),
		Addresses: []schematype.Address{{Formatted: "F", StreetAddress: "S", Locality: "L", Region: "R",
			PostalCode: "P", Country: "US", Type: "work", Primary: true}, {Locality: "L2"}},
		Entitlements: mv("en"), ScimRoles: mv("r"), X509Certificates: mv("x"),
		EmployeeNumber: "701984", CostCenter: "4130", EnterpriseOrganization: "Universal Studios",
		Division: "Theme Park", Department: "Tour Operations", ManagerID: "26118915-6090-4610-87e4-49d8ca9f808d",
		ManagerDisplayName: "John Smith",
		Raw:                map[string]any{"urn:acme:ext:1.0:User": map[string]any{"badge": "42"}, "userName": "x"},
	}
}

func golden(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "userdoc", name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func decodeJSON(t *testing.T, b []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("%v\n%s", err, b)
	}
	return m
}

// TestUserDocGolden: userDoc renders exactly the JSON it rendered before it
// read users through the attribute table (testdata written by that version).
func TestUserDocGolden(t *testing.T) {
	full := fixtureUser()
	noManagerID := fixtureUser()
	noManagerID.ManagerID = ""
	noExt := fixtureUser()
	noExt.ManagerID, noExt.ManagerDisplayName, noExt.Department, noExt.Division = "", "", "", ""
	noExt.CostCenter, noExt.EmployeeNumber, noExt.EnterpriseOrganization = "", "", ""
	tests := []struct {
		name   string
		u      *ent.User
		groups []groupRef
		base   string
	}{
		{"full", full, []groupRef{{ID: "g1", Name: "G"}}, "https://h/scim/v2/d"},
		{"empty", &ent.User{ID: full.ID, UserName: "a", Active: true, CreatedAt: full.CreatedAt, UpdatedAt: full.UpdatedAt}, nil, ""},
		{"nomanagerid", noManagerID, nil, "b"},
		{"noext", noExt, nil, "b"},
	}
	for _, tt := range tests {
		got, err := json.Marshal(userDoc(tt.u, tt.groups, tt.base))
		if err != nil {
			t.Fatal(err)
		}
		if want := golden(t, tt.name); string(got) != string(want) {
			t.Errorf("%s:\n got %s\nwant %s", tt.name, got, want)
		}
	}
}

// storedUser applies fields to a user the way the database would hand it
// back: through the ent entity's JSON field names, independently of the
// table's getters.
func storedUser(t *testing.T, fields map[string]any) *ent.User {
	t.Helper()
	b, err := json.Marshal(fields)
	if err != nil {
		t.Fatal(err)
	}
	u := fixtureUser()
	stored := &ent.User{ID: u.ID, CreatedAt: u.CreatedAt, UpdatedAt: u.UpdatedAt, Version: u.Version}
	if err := json.Unmarshal(b, stored); err != nil {
		t.Fatalf("fields do not fit ent.User: %v\n%s", err, b)
	}
	return stored
}

// TestUserFieldsRoundTripFull: the whole rendered fixture, written back
// through userFields and rendered again, is the same JSON.
func TestUserFieldsRoundTripFull(t *testing.T) {
	want := golden(t, "full")
	fields, err := userFields(decodeJSON(t, want))
	if err != nil {
		t.Fatal(err)
	}
	u := storedUser(t, fields)
	for i := range attrs.User.Attrs {
		if a := &attrs.User.Attrs[i]; a.Get != nil && absent(a.Get(u)) {
			t.Errorf("%s: the fixture does not hold it, so the round trip does not cover it", a.Path)
		}
	}
	got, err := json.Marshal(userDoc(u, []groupRef{{ID: "g1", Name: "G"}}, "https://h/scim/v2/d"))
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != string(want) {
		t.Errorf("round trip:\n got %s\nwant %s", got, want)
	}
	if u.PrimaryEmail != "e1" {
		t.Errorf("primary_email = %q; want e1", u.PrimaryEmail)
	}
}

// TestUserFieldsRoundTrip writes one attribute at a time: it reaches its
// own field (and no other), and renders back as sent.
func TestUserFieldsRoundTrip(t *testing.T) {
	const ext = schema.EnterpriseUserURN
	tests := []struct {
		urn, path string
		doc       string // besides userName
		want      string // rendered, besides userName, id, meta and schemas; "" for doc plus "active": true
		fields    []string
	}{
		{"", "externalId", `{"externalId":"E-1"}`, "", []string{user.FieldExternalID}},
		{schema.UserURN, "userName", `{}`, "", []string{}},
		{schema.UserURN, "name.formatted", `{"name":{"formatted":"Ms. B"}}`, "", []string{user.FieldNameFormatted}},
		{schema.UserURN, "name.familyName", `{"name":{"familyName":"Jensen"}}`, "", []string{user.FieldFamilyName}},
		{schema.UserURN, "name.givenName", `{"name":{"givenName":"Barbara"}}`, "", []string{user.FieldGivenName}},
		{schema.UserURN, "name.middleName", `{"name":{"middleName":"J"}}`, "", []string{user.FieldMiddleName}},
		{schema.UserURN, "name.honorificPrefix", `{"name":{"honorificPrefix":"Ms."}}`, "", []string{user.FieldHonorificPrefix}},
		{schema.UserURN, "name.honorificSuffix", `{"name":{"honorificSuffix":"III"}}`, "", []string{user.FieldHonorificSuffix}},
		{schema.UserURN, "displayName", `{"displayName":"Babs"}`, "", []string{user.FieldDisplayName}},
		{schema.UserURN, "nickName", `{"nickName":"B"}`, "", []string{user.FieldNickName}},
		{schema.UserURN, "profileUrl", `{"profileUrl":"https://p"}`, "", []string{user.FieldProfileURL}},
		{schema.UserURN, "title", `{"title":"Guide"}`, "", []string{user.FieldTitle}},
		{schema.UserURN, "userType", `{"userType":"Employee"}`, "", []string{user.FieldUserType}},
		{schema.UserURN, "preferredLanguage", `{"preferredLanguage":"en"}`, "", []string{user.FieldPreferredLanguage}},
		{schema.UserURN, "locale", `{"locale":"en-US"}`, "", []string{user.FieldLocale}},
		{schema.UserURN, "timezone", `{"timezone":"Europe/Paris"}`, "", []string{user.FieldTimezone}},
		{schema.UserURN, "active", `{"active":false}`, `{"active":false}`, []string{}},
		{schema.UserURN, "emails", `{"emails":[{"value":"b@x","type":"work"},{"value":"c@x","primary":true}]}`, "",
			[]string{user.FieldEmails, user.FieldPrimaryEmail}},
		{schema.UserURN, "phoneNumbers", `{"phoneNumbers":[{"value":"+1","display":"one"}]}`, "", []string{user.FieldPhoneNumbers}},
		{schema.UserURN, "ims", `{"ims":[{"value":"im","type":"xmpp"}]}`, "", []string{user.FieldIms}},
		{schema.UserURN, "photos", `{"photos":[{"value":"https://ph","type":"photo"}]}`, "", []string{user.FieldPhotos}},
		{schema.UserURN, "addresses", `{"addresses":[{"streetAddress":"1 Main","country":"US","primary":true}]}`, "",
			[]string{user.FieldAddresses}},
		{schema.UserURN, "entitlements", `{"entitlements":[{"value":"ent"}]}`, "", []string{user.FieldEntitlements}},
		{schema.UserURN, "roles", `{"roles":[{"value":"r","primary":true}]}`, "", []string{user.FieldScimRoles}},
		{schema.UserURN, "x509Certificates", `{"x509Certificates":[{"value":"MIIC"}]}`, "", []string{user.FieldX509Certificates}},
		{ext, "employeeNumber", `{"` + ext + `":{"employeeNumber":"7"}}`, "", []string{user.FieldEmployeeNumber}},
		{ext, "costCenter", `{"` + ext + `":{"costCenter":"4130"}}`, "", []string{user.FieldCostCenter}},
		{ext, "organization", `{"` + ext + `":{"organization":"U"}}`, "", []string{user.FieldEnterpriseOrganization}},
		{ext, "division", `{"` + ext + `":{"division":"TP"}}`, "", []string{user.FieldDivision}},
		{ext, "department", `{"` + ext + `":{"department":"Ops"}}`, "", []string{user.FieldDepartment}},
		{ext, "manager.value", `{"` + ext + `":{"manager":{"value":"m-1"}}}`,
			`{"active":true,"` + ext + `":{"manager":{"value":"m-1","$ref":"B/Users/m-1"}}}`, []string{user.FieldManagerID}},
		{ext, "manager.displayName", `{"` + ext + `":{"manager":{"displayName":"John"}}}`, "", []string{user.FieldManagerDisplayName}},
	}
	covered := map[string]bool{}
	for _, tt := range tests {
		covered[tt.urn+" "+tt.path] = true
		doc := decodeJSON(t, []byte(tt.doc))
		doc["userName"] = "bjensen"
		fields, err := userFields(doc)
		if err != nil {
			t.Errorf("%s: %v", tt.path, err)
			continue
		}
		var set []string
		for k, v := range fields {
			switch k {
			case user.FieldUserName, user.FieldActive, user.FieldRaw:
			default:
				if !reflect.ValueOf(v).IsZero() {
					set = append(set, k)
				}
			}
		}
		if slices.Sort(set); !slices.Equal(set, slices.Sorted(slices.Values(tt.fields))) {
			t.Errorf("%s sets fields %v; want %v", tt.path, set, tt.fields)
		}
		got, err := json.Marshal(userDoc(storedUser(t, fields), nil, "B"))
		if err != nil {
			t.Fatal(err)
		}
		rendered := decodeJSON(t, got)
		for _, k := range []string{"id", "meta", "schemas"} {
			delete(rendered, k)
		}
		want := doc
		if tt.want != "" {
			want = decodeJSON(t, []byte(tt.want))
			want["userName"] = "bjensen"
		} else if _, ok := want["active"]; !ok {
			want["active"] = true
		}
		if !reflect.DeepEqual(rendered, want) {
			t.Errorf("%s renders back as %v; want %v", tt.path, rendered, want)
		}
	}
	for i := range attrs.User.Attrs {
		if a := &attrs.User.Attrs[i]; a.Get != nil && !covered[a.Schema+" "+a.Path] {
			t.Errorf("no round-trip case for %s %s", a.Schema, a.Path)
		}
	}
}

// TestUserFieldsAbsent: a document of userName alone maps every writable
// column to its zero value, active to true.
func TestUserFieldsAbsent(t *testing.T) {
	fields, err := userFields(map[string]any{"userName": "u", "id": "x", "meta": map[string]any{},
		"groups": []any{}, "password": "secret", "urn:acme:x": map[string]any{"a": "b"}})
	if err != nil {
		t.Fatal(err)
	}
	notWritten := []string{user.FieldID, user.FieldCreatedAt, user.FieldUpdatedAt, user.FieldVersion,
		user.FieldOrganizationID, user.FieldDirectoryID, user.FieldUserNameKey}
	var want []string
	for _, c := range user.Columns {
		if !slices.Contains(notWritten, c) {
			want = append(want, c)
		}
	}
	if got := slices.Sorted(maps.Keys(fields)); !slices.Equal(got, slices.Sorted(slices.Values(want))) {
		t.Errorf("fields %v; want %v", got, want)
	}
	for k, v := range fields {
		switch k {
		case user.FieldUserName:
			if v != "u" {
				t.Errorf("user_name = %v", v)
			}
		case user.FieldActive:
			if v != true {
				t.Errorf("active = %v; want true", v)
			}
		case user.FieldRaw:
			if want := map[string]any{"userName": "u", "urn:acme:x": map[string]any{"a": "b"}}; !reflect.DeepEqual(v, want) {
				t.Errorf("raw = %v; want %v", v, want)
			}
		case user.FieldEmails, user.FieldPhoneNumbers, user.FieldIms, user.FieldPhotos, user.FieldEntitlements,
			user.FieldScimRoles, user.FieldX509Certificates:
			if mv, ok := v.([]schematype.MultiValue); !ok || mv != nil {
				t.Errorf("%s = %#v; want a nil []schematype.MultiValue", k, v)
			}
		case user.FieldAddresses:
			if a, ok := v.([]schematype.Address); !ok || a != nil {
				t.Errorf("%s = %#v; want a nil []schematype.Address", k, v)
			}
		default:
			if v != "" {
				t.Errorf("%s = %#v; want \"\"", k, v)
			}
		}
	}
}

func TestUserFieldsActive(t *testing.T) {
	for _, tt := range []struct {
		active any
		want   bool
	}{{true, true}, {false, false}, {nil, true}, {"false", true}} {
		doc := map[string]any{"userName": "u"}
		if tt.active != nil {
			doc["active"] = tt.active
		}
		fields, err := userFields(doc)
		if err != nil {
			t.Fatal(err)
		}
		if fields[user.FieldActive] != tt.want {
			t.Errorf("active %#v: stored %v; want %v", tt.active, fields[user.FieldActive], tt.want)
		}
	}
}

func TestUserFieldsInvalid(t *testing.T) {
	tests := []struct {
		doc    map[string]any
		detail string
	}{
		{map[string]any{}, "userName is required"},
		{map[string]any{"userName": "  "}, "userName is required"},
		{map[string]any{"userName": 7}, "userName is required"},
		{map[string]any{"userName": "u", "emails": "a@b"}, "emails: "},
		{map[string]any{"userName": "u", "roles": []any{1}}, "roles: "},
		{map[string]any{"userName": "u", "addresses": []any{"x"}}, "addresses: "},
	}
	for _, tt := range tests {
		_, err := userFields(tt.doc)
		wantSCIMError(t, err, tt.detail)
	}
}

func wantSCIMError(t *testing.T, err error, detail string) {
	t.Helper()
	var se *scimError
	if !errors.As(err, &se) || se.status != http.StatusBadRequest || se.scimType != invalidValue ||
		!strings.HasPrefix(se.detail, detail) {
		t.Errorf("error %v; want 400 invalidValue %q...", err, detail)
	}
}

func TestGroupFields(t *testing.T) {
	doc := map[string]any{"displayName": "Admins", "externalId": "G-1", "id": "x", "meta": map[string]any{},
		"members": []any{map[string]any{"value": "u"}}, "urn:acme:g": map[string]any{"a": "b"}}
	fields, err := groupFields(doc)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{group.FieldDisplayName: "Admins", group.FieldExternalID: "G-1",
		group.FieldRaw: map[string]any{"displayName": "Admins", "externalId": "G-1", "urn:acme:g": map[string]any{"a": "b"}}}
	if !reflect.DeepEqual(fields, want) {
		t.Errorf("groupFields = %v; want %v", fields, want)
	}
	b, err := json.Marshal(fields)
	if err != nil {
		t.Fatal(err)
	}
	var g ent.Group
	if err := json.Unmarshal(b, &g); err != nil {
		t.Fatal(err)
	}
	rendered := map[string]any{}
	renderAttrs(attrs.Group, &g, "", rendered)
	if want := map[string]any{"displayName": "Admins", "externalId": "G-1"}; !reflect.DeepEqual(rendered, want) {
		t.Errorf("rendered %v; want %v", rendered, want)
	}

	fields, err = groupFields(map[string]any{"displayName": "Admins"})
	if err != nil || fields[group.FieldExternalID] != "" {
		t.Errorf("absent externalId: %v, %v; want \"\"", fields, err)
	}
	for _, doc := range []map[string]any{{}, {"displayName": " "}, {"displayName": true}} {
		_, err := groupFields(doc)
		wantSCIMError(t, err, "displayName is required")
	}
}
