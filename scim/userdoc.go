package scim

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/acme/directory/ent"
	"github.com/acme/directory/ent/schema/schematype"
	"github.com/acme/directory/ent/user"
	"github.com/acme/directory/scim/schema"
)

// groupRef is a group a user belongs to, for the user's "groups" attribute.
type groupRef struct {
	ID, Name string
}

// userDoc renders u as its SCIM document (RFC 7643 §4.1, §4.3).
func userDoc(u *ent.User, groups []groupRef, base string) map[string]any {
	doc := map[string]any{"schemas": []string{schema.UserURN}, "id": u.ID.String(), "userName": u.UserName}
	put(doc, "externalId", u.ExternalID)
	name := map[string]any{}
	put(name, "formatted", u.NameFormatted)
	put(name, "familyName", u.FamilyName)
	put(name, "givenName", u.GivenName)
	put(name, "middleName", u.MiddleName)
	put(name, "honorificPrefix", u.HonorificPrefix)
	put(name, "honorificSuffix", u.HonorificSuffix)
	if len(name) > 0 {
		doc["name"] = name
	}
	for k, v := range map[string]string{
		"displayName": u.DisplayName, "nickName": u.NickName, "profileUrl": u.ProfileURL,
		"title": u.Title, "userType": u.UserType, "preferredLanguage": u.PreferredLanguage,
		"locale": u.Locale, "timezone": u.Timezone,
	} {
		put(doc, k, v)
	}
	doc["active"] = u.Active
	putMulti(doc, "emails", u.Emails)
	putMulti(doc, "phoneNumbers", u.PhoneNumbers)
	putMulti(doc, "ims", u.Ims)
	putMulti(doc, "photos", u.Photos)
	putMulti(doc, "entitlements", u.Entitlements)
	putMulti(doc, "roles", u.ScimRoles)
	putMulti(doc, "x509Certificates", u.X509Certificates)
	if len(u.Addresses) > 0 {
		doc["addresses"] = u.Addresses
	}
	if len(groups) > 0 {
		refs := make([]map[string]any, len(groups))
		for i, g := range groups {
			refs[i] = map[string]any{"value": g.ID, "display": g.Name, "type": "direct",
				"$ref": base + "/Groups/" + g.ID}
		}
		doc["groups"] = refs
	}
	if ext := enterpriseDoc(u, base); len(ext) > 0 {
		doc[schema.EnterpriseUserURN] = ext
		doc["schemas"] = []string{schema.UserURN, schema.EnterpriseUserURN}
	}
	keepUnknownExtensions(doc, u.Raw)
	doc["meta"] = meta("User", base+"/Users/"+u.ID.String(), u.CreatedAt, u.UpdatedAt, u.Version)
	return doc
}

func enterpriseDoc(u *ent.User, base string) map[string]any {
	ext := map[string]any{}
	put(ext, "employeeNumber", u.EmployeeNumber)
	put(ext, "costCenter", u.CostCenter)
	put(ext, "organization", u.EnterpriseOrganization)
	put(ext, "division", u.Division)
	put(ext, "department", u.Department)
	if u.ManagerID != "" || u.ManagerDisplayName != "" {
		m := map[string]any{}
		put(m, "value", u.ManagerID)
		put(m, "displayName", u.ManagerDisplayName)
		if u.ManagerID != "" {
			m["$ref"] = base + "/Users/" + u.ManagerID
		}
		ext["manager"] = m
	}
	return ext
}

// keepUnknownExtensions copies the extension objects a provider sent that
// this server has no columns for, so nothing it sent is lost.
func keepUnknownExtensions(doc, raw map[string]any) {
	for k, v := range raw {
		if strings.HasPrefix(strings.ToLower(k), "urn:") && !isKnownSchema(k) {
			doc[k] = v
			doc["schemas"] = append(doc["schemas"].([]string), k)
		}
	}
}

func isKnownSchema(urn string) bool {
	for _, s := range []string{schema.UserURN, schema.EnterpriseUserURN, schema.GroupURN} {
		if strings.EqualFold(urn, s) {
			return true
		}
	}
	return false
}

func meta(resourceType, location string, created, updated time.Time, version int) map[string]any {
	return map[string]any{
		"resourceType": resourceType, "location": location, "version": etag(version),
		"created":      created.UTC().Format(time.RFC3339Nano),
		"lastModified": updated.UTC().Format(time.RFC3339Nano),
	}
}

func put(doc map[string]any, key, value string) {
	if value != "" {
		doc[key] = value
	}
}

func putMulti(doc map[string]any, key string, values []schematype.MultiValue) {
	if len(values) > 0 {
		doc[key] = values
	}
}

// userFields maps a canonical SCIM user document to the stored fields it
// sets, keyed by ent field name. Every writable field is present: an
// attribute absent from doc maps to its zero value, which the domain stores
// as cleared; "active" absent maps to true.
func userFields(doc map[string]any) (map[string]any, error) {
	userName := str(doc, "userName")
	if strings.TrimSpace(userName) == "" {
		return nil, errorf(http.StatusBadRequest, invalidValue, "userName is required")
	}
	name, _ := doc["name"].(map[string]any)
	ext, _ := doc[schema.EnterpriseUserURN].(map[string]any)
	manager, _ := ext["manager"].(map[string]any)
	active, ok := doc["active"].(bool)
	f := map[string]any{
		user.FieldUserName:               userName,
		user.FieldExternalID:             str(doc, "externalId"),
		user.FieldNameFormatted:          str(name, "formatted"),
		user.FieldFamilyName:             str(name, "familyName"),
		user.FieldGivenName:              str(name, "givenName"),
		user.FieldMiddleName:             str(name, "middleName"),
		user.FieldHonorificPrefix:        str(name, "honorificPrefix"),
		user.FieldHonorificSuffix:        str(name, "honorificSuffix"),
		user.FieldDisplayName:            str(doc, "displayName"),
		user.FieldNickName:               str(doc, "nickName"),
		user.FieldProfileURL:             str(doc, "profileUrl"),
		user.FieldTitle:                  str(doc, "title"),
		user.FieldUserType:               str(doc, "userType"),
		user.FieldPreferredLanguage:      str(doc, "preferredLanguage"),
		user.FieldLocale:                 str(doc, "locale"),
		user.FieldTimezone:               str(doc, "timezone"),
		user.FieldEmployeeNumber:         str(ext, "employeeNumber"),
		user.FieldCostCenter:             str(ext, "costCenter"),
		user.FieldEnterpriseOrganization: str(ext, "organization"),
		user.FieldDivision:               str(ext, "division"),
		user.FieldDepartment:             str(ext, "department"),
		user.FieldManagerID:              str(manager, "value"),
		user.FieldManagerDisplayName:     str(manager, "displayName"),
		user.FieldActive:                 active || !ok, // absent: active, the SCIM default for a new user
	}
	return f, userMulti(f, doc)
}

func userMulti(f map[string]any, doc map[string]any) error {
	var err error
	emails := multi(doc, "emails", &err)
	f[user.FieldEmails] = emails
	f[user.FieldPrimaryEmail] = primaryValue(emails)
	f[user.FieldPhoneNumbers] = multi(doc, "phoneNumbers", &err)
	f[user.FieldIms] = multi(doc, "ims", &err)
	f[user.FieldPhotos] = multi(doc, "photos", &err)
	f[user.FieldEntitlements] = multi(doc, "entitlements", &err)
	f[user.FieldScimRoles] = multi(doc, "roles", &err)
	f[user.FieldX509Certificates] = multi(doc, "x509Certificates", &err)
	var addrs []schematype.Address
	if err == nil {
		err = convert(doc["addresses"], &addrs)
	}
	f[user.FieldAddresses] = addrs
	if err != nil {
		return errorf(http.StatusBadRequest, invalidValue, err.Error())
	}
	raw := make(map[string]any, len(doc))
	for k, v := range doc {
		if k != "meta" && k != "id" && k != "groups" && k != "password" {
			raw[k] = v
		}
	}
	f[user.FieldRaw] = raw
	return nil
}

// multi reads a multi-valued attribute of simple sub-attributes.
func multi(doc map[string]any, key string, errp *error) []schematype.MultiValue {
	var out []schematype.MultiValue
	if *errp == nil {
		if err := convert(doc[key], &out); err != nil {
			*errp = fmt.Errorf("%s: %w", key, err)
		}
	}
	return out
}

// convert re-decodes a canonical JSON value into a typed Go value.
func convert(v any, dst any) error {
	if v == nil {
		return nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode: %w", err)
	}
	if err := json.Unmarshal(b, dst); err != nil {
		return fmt.Errorf("unexpected shape: %w", err)
	}
	return nil
}

// primaryValue is the primary value of a multi-valued attribute, or its
// first value when none is marked primary.
func primaryValue(values []schematype.MultiValue) string {
	for _, v := range values {
		if v.Primary {
			return v.Value
		}
	}
	if len(values) > 0 {
		return values[0].Value
	}
	return ""
}

// str reads a string attribute of a canonical document.
func str(doc map[string]any, key string) string {
	s, _ := doc[key].(string)
	return s
}
