package where

import "strings"

// The schema URNs filters may qualify attributes with.
const (
	coreUserURN   = "urn:ietf:params:scim:schemas:core:2.0:user"
	enterpriseURN = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:user"
	coreGroupURN  = "urn:ietf:params:scim:schemas:core:2.0:group"
)

// userResource is the attribute namespace of the User resource.
var userResource = &resource{
	schemas:    map[string]string{coreUserURN: "core", enterpriseURN: "enterprise"},
	namespaces: []string{"core", "enterprise"},
	attrs: map[string]map[string]entry{
		"core":       coreUserAttrs(),
		"enterprise": enterpriseUserAttrs(),
	},
	unfilterable: metaUnfilterable,
}

// groupResource is the attribute namespace of the Group resource.
var groupResource = &resource{
	schemas:    map[string]string{coreGroupURN: "core"},
	namespaces: []string{"core"},
	attrs: map[string]map[string]entry{"core": {
		"id":          {scalar: idAttr()},
		"externalid":  {scalar: text("externalId", "external_id", exact)},
		"displayname": {scalar: key("displayName", "display_name_key")},
		"members":     {multi: memberships("members", "group_id", "user_id")},
		"meta":        {complex: metaAttr()},
	}},
	unfilterable: metaUnfilterable,
}

// metaUnfilterable are meta sub-attributes that are not stored as columns.
var metaUnfilterable = map[string]string{
	"meta.version":      "cannot be filtered",
	"meta.location":     "cannot be filtered",
	"meta.resourcetype": "cannot be filtered",
}

func coreUserAttrs() map[string]entry {
	m := map[string]entry{
		"id":         {scalar: idAttr()},
		"externalid": {scalar: text("externalId", "external_id", exact)},
		"username":   {scalar: key("userName", "user_name_key")},
		"active": {scalar: &scalarAttr{name: "active", kind: kBool, sortKey: true,
			value: column("active"), truth: func(w *writer) { w.col("active") }}},
		"name": {complex: &complexAttr{name: "name", subs: map[string]*scalarAttr{
			"formatted":       text("name.formatted", "name_formatted", lowered),
			"familyname":      text("name.familyName", "family_name", lowered),
			"givenname":       text("name.givenName", "given_name", lowered),
			"middlename":      text("name.middleName", "middle_name", lowered),
			"honorificprefix": text("name.honorificPrefix", "honorific_prefix", lowered),
			"honorificsuffix": text("name.honorificSuffix", "honorific_suffix", lowered),
		}}},
		"addresses": {multi: jsonArray("addresses", "addresses", "",
			jsonKeys("formatted", "streetAddress", "locality", "region", "postalCode", "country", "type"))},
		"groups": {multi: memberships("groups", "user_id", "group_id")},
		"meta":   {complex: metaAttr()},
	}
	for _, s := range []struct{ name, col string }{
		{"displayName", "display_name"}, {"nickName", "nick_name"}, {"profileUrl", "profile_url"},
		{"title", "title"}, {"userType", "user_type"}, {"preferredLanguage", "preferred_language"},
		{"locale", "locale"}, {"timezone", "timezone"},
	} {
		m[strings.ToLower(s.name)] = entry{scalar: text(s.name, s.col, lowered)}
	}
	for _, mv := range []struct{ name, col string }{
		{"emails", "emails"}, {"phoneNumbers", "phone_numbers"}, {"ims", "ims"}, {"photos", "photos"},
		{"entitlements", "entitlements"}, {"roles", "scim_roles"}, {"x509Certificates", "x509_certificates"},
	} {
		m[strings.ToLower(mv.name)] = entry{multi: jsonArray(mv.name, mv.col, "value", jsonKeys("value", "display", "type"))}
	}
	// RFC 7643 makes x509Certificates.value binary: compared exactly.
	m["x509certificates"].multi.subs["value"].fold = exact
	m["emails"].multi.sortBy = text("emails.value", "primary_email", lowered)
	return m
}

func enterpriseUserAttrs() map[string]entry {
	m := map[string]entry{
		"organization": {scalar: text("organization", "enterprise_organization", lowered)},
		"manager": {complex: &complexAttr{name: "manager", defaultSub: "value", subs: map[string]*scalarAttr{
			"value":       text("manager.value", "manager_id", lowered),
			"displayname": text("manager.displayName", "manager_display_name", lowered),
		}}},
	}
	for _, s := range []struct{ name, col string }{
		{"employeeNumber", "employee_number"}, {"costCenter", "cost_center"},
		{"division", "division"}, {"department", "department"},
	} {
		m[strings.ToLower(s.name)] = entry{scalar: text(s.name, s.col, lowered)}
	}
	return m
}

func idAttr() *scalarAttr {
	return &scalarAttr{name: "id", kind: kID, notNull: true, sortKey: true, value: column("id")}
}

func metaAttr() *complexAttr {
	return &complexAttr{name: "meta", subs: map[string]*scalarAttr{
		"created":      {name: "meta.created", kind: kTime, notNull: true, sortKey: true, value: column("created_at")},
		"lastmodified": {name: "meta.lastModified", kind: kTime, notNull: true, sortKey: true, value: column("updated_at")},
	}}
}

// text is a nullable string column.
func text(name, col string, f fold) *scalarAttr {
	return &scalarAttr{name: name, kind: kString, fold: f, sortKey: true, value: column(col)}
}

// key is a NOT NULL column holding FoldKey of a case-insensitive value.
func key(name, col string) *scalarAttr {
	return &scalarAttr{name: name, kind: kString, fold: keyed, notNull: true, sortKey: true, value: column(col)}
}
