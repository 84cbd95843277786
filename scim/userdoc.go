package scim

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/acme/directory/ent"
	"github.com/acme/directory/ent/schema/schematype"
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

// setUser writes a canonical user document into a create or update
// mutation. Attributes absent from doc are cleared on update: a document is
// always the whole resource (PUT replaces; PATCH is applied to the whole
// stored document first).
func setUser(m *ent.UserMutation, doc map[string]any) error {
	userName := str(doc, "userName")
	if strings.TrimSpace(userName) == "" {
		return errorf(http.StatusBadRequest, invalidValue, "userName is required")
	}
	m.SetUserName(userName)
	name, _ := doc["name"].(map[string]any)
	ext, _ := doc[schema.EnterpriseUserURN].(map[string]any)
	manager, _ := ext["manager"].(map[string]any)
	for _, f := range []struct {
		set   func(string)
		clear func()
		value string
	}{
		{m.SetExternalID, m.ClearExternalID, str(doc, "externalId")},
		{m.SetNameFormatted, m.ClearNameFormatted, str(name, "formatted")},
		{m.SetFamilyName, m.ClearFamilyName, str(name, "familyName")},
		{m.SetGivenName, m.ClearGivenName, str(name, "givenName")},
		{m.SetMiddleName, m.ClearMiddleName, str(name, "middleName")},
		{m.SetHonorificPrefix, m.ClearHonorificPrefix, str(name, "honorificPrefix")},
		{m.SetHonorificSuffix, m.ClearHonorificSuffix, str(name, "honorificSuffix")},
		{m.SetDisplayName, m.ClearDisplayName, str(doc, "displayName")},
		{m.SetNickName, m.ClearNickName, str(doc, "nickName")},
		{m.SetProfileURL, m.ClearProfileURL, str(doc, "profileUrl")},
		{m.SetTitle, m.ClearTitle, str(doc, "title")},
		{m.SetUserType, m.ClearUserType, str(doc, "userType")},
		{m.SetPreferredLanguage, m.ClearPreferredLanguage, str(doc, "preferredLanguage")},
		{m.SetLocale, m.ClearLocale, str(doc, "locale")},
		{m.SetTimezone, m.ClearTimezone, str(doc, "timezone")},
		{m.SetEmployeeNumber, m.ClearEmployeeNumber, str(ext, "employeeNumber")},
		{m.SetCostCenter, m.ClearCostCenter, str(ext, "costCenter")},
		{m.SetEnterpriseOrganization, m.ClearEnterpriseOrganization, str(ext, "organization")},
		{m.SetDivision, m.ClearDivision, str(ext, "division")},
		{m.SetDepartment, m.ClearDepartment, str(ext, "department")},
		{m.SetManagerID, m.ClearManagerID, str(manager, "value")},
		{m.SetManagerDisplayName, m.ClearManagerDisplayName, str(manager, "displayName")},
	} {
		setOrClear(m, f.set, f.clear, f.value)
	}
	active, ok := doc["active"].(bool)
	m.SetActive(active || !ok) // absent: active, the SCIM default for a new user
	return setUserMulti(m, doc)
}

// setOrClear sets a non-empty value, or clears the field of an update.
func setOrClear(m *ent.UserMutation, set func(string), clear func(), v string) {
	switch {
	case v != "":
		set(v)
	case m.Op().Is(ent.OpUpdateOne):
		clear()
	}
}

func setUserMulti(m *ent.UserMutation, doc map[string]any) error {
	var err error
	emails := multi(doc, "emails", &err)
	m.SetEmails(emails)
	m.SetPrimaryEmail(primaryValue(emails))
	m.SetPhoneNumbers(multi(doc, "phoneNumbers", &err))
	m.SetIms(multi(doc, "ims", &err))
	m.SetPhotos(multi(doc, "photos", &err))
	m.SetEntitlements(multi(doc, "entitlements", &err))
	m.SetScimRoles(multi(doc, "roles", &err))
	m.SetX509Certificates(multi(doc, "x509Certificates", &err))
	var addrs []schematype.Address
	if err == nil {
		err = convert(doc["addresses"], &addrs)
	}
	m.SetAddresses(addrs)
	if err != nil {
		return errorf(http.StatusBadRequest, invalidValue, err.Error())
	}
	raw := make(map[string]any, len(doc))
	for k, v := range doc {
		if k != "meta" && k != "id" && k != "groups" && k != "password" {
			raw[k] = v
		}
	}
	m.SetRaw(raw)
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
