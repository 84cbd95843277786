package attrs

import (
	"github.com/acme/directory/ent"
	"github.com/acme/directory/ent/group"
	"github.com/acme/directory/ent/user"
	"github.com/acme/directory/scim/schema"
)

const (
	core = schema.UserURN
	ext  = schema.EnterpriseUserURN
)

// User is the table of the User resource: the core User schema (RFC 7643
// §4.1) and the enterprise extension (§4.3). The user's groups are
// memberships, not fields, and password is never stored.
var User = &Table[*ent.User]{
	Type: schema.UserResource,
	Attrs: []Attr[*ent.User]{
		{Path: "id", Field: user.FieldID, Kind: ID, Sort: true},
		{Path: "meta.created", Field: user.FieldCreatedAt, Kind: Time, Sort: true},
		{Path: "meta.lastModified", Field: user.FieldUpdatedAt, Kind: Time, Sort: true},
		{Path: "meta.version", Field: user.FieldVersion, Kind: Version, NoFilter: true},

		{Schema: core, Path: "userName", Field: user.FieldUserName, Key: user.FieldUserNameKey,
			Kind: String, Fold: Keyed, Sort: true, Required: true, Indexed: true,
			Get: func(u *ent.User) any { return u.UserName }},
		{Path: "externalId", Field: user.FieldExternalID, Kind: String, Fold: CaseExact, Sort: true, Indexed: true,
			Get: func(u *ent.User) any { return u.ExternalID }},
		{Schema: core, Path: "name.formatted", Field: user.FieldNameFormatted, Kind: String, Fold: CaseIgnore, Sort: true,
			Get: func(u *ent.User) any { return u.NameFormatted }},
		{Schema: core, Path: "name.familyName", Field: user.FieldFamilyName, Kind: String, Fold: CaseIgnore, Sort: true,
			Get: func(u *ent.User) any { return u.FamilyName }},
		{Schema: core, Path: "name.givenName", Field: user.FieldGivenName, Kind: String, Fold: CaseIgnore, Sort: true,
			Get: func(u *ent.User) any { return u.GivenName }},
		{Schema: core, Path: "name.middleName", Field: user.FieldMiddleName, Kind: String, Fold: CaseIgnore, Sort: true,
			Get: func(u *ent.User) any { return u.MiddleName }},
		{Schema: core, Path: "name.honorificPrefix", Field: user.FieldHonorificPrefix, Kind: String, Fold: CaseIgnore, Sort: true,
			Get: func(u *ent.User) any { return u.HonorificPrefix }},
		{Schema: core, Path: "name.honorificSuffix", Field: user.FieldHonorificSuffix, Kind: String, Fold: CaseIgnore, Sort: true,
			Get: func(u *ent.User) any { return u.HonorificSuffix }},
		{Schema: core, Path: "displayName", Field: user.FieldDisplayName, Kind: String, Fold: CaseIgnore, Sort: true,
			Get: func(u *ent.User) any { return u.DisplayName }},
		{Schema: core, Path: "nickName", Field: user.FieldNickName, Kind: String, Fold: CaseIgnore, Sort: true,
			Get: func(u *ent.User) any { return u.NickName }},
		{Schema: core, Path: "profileUrl", Field: user.FieldProfileURL, Kind: String, Fold: CaseIgnore, Sort: true,
			Get: func(u *ent.User) any { return u.ProfileURL }},
		{Schema: core, Path: "title", Field: user.FieldTitle, Kind: String, Fold: CaseIgnore, Sort: true,
			Get: func(u *ent.User) any { return u.Title }},
		{Schema: core, Path: "userType", Field: user.FieldUserType, Kind: String, Fold: CaseIgnore, Sort: true,
			Get: func(u *ent.User) any { return u.UserType }},
		{Schema: core, Path: "preferredLanguage", Field: user.FieldPreferredLanguage, Kind: String, Fold: CaseIgnore, Sort: true,
			Get: func(u *ent.User) any { return u.PreferredLanguage }},
		{Schema: core, Path: "locale", Field: user.FieldLocale, Kind: String, Fold: CaseIgnore, Sort: true,
			Get: func(u *ent.User) any { return u.Locale }},
		{Schema: core, Path: "timezone", Field: user.FieldTimezone, Kind: String, Fold: CaseIgnore, Sort: true,
			Get: func(u *ent.User) any { return u.Timezone }},
		{Schema: core, Path: "active", Field: user.FieldActive, Kind: Bool, Sort: true,
			Default: true, // the SCIM default for a new user
			// Removed, active is unassigned, and an unassigned user is
			// inactive for access and roles: removing it never re-enables
			// a deactivated user.
			Unassigned: false,
			Get:        func(u *ent.User) any { return u.Active }},
		{Schema: core, Path: "emails", Field: user.FieldEmails, Primary: user.FieldPrimaryEmail,
			Kind: MultiValued, Fold: CaseIgnore, Sort: true, Indexed: true,
			Get: func(u *ent.User) any { return u.Emails }},
		{Schema: core, Path: "phoneNumbers", Field: user.FieldPhoneNumbers, Kind: MultiValued, Fold: CaseIgnore,
			Get: func(u *ent.User) any { return u.PhoneNumbers }},
		{Schema: core, Path: "ims", Field: user.FieldIms, Kind: MultiValued, Fold: CaseIgnore,
			Get: func(u *ent.User) any { return u.Ims }},
		{Schema: core, Path: "photos", Field: user.FieldPhotos, Kind: MultiValued, Fold: CaseIgnore,
			Get: func(u *ent.User) any { return u.Photos }},
		{Schema: core, Path: "addresses", Field: user.FieldAddresses, Kind: Addresses, Fold: CaseIgnore,
			Get: func(u *ent.User) any { return u.Addresses }},
		{Schema: core, Path: "entitlements", Field: user.FieldEntitlements, Kind: MultiValued, Fold: CaseIgnore,
			Get: func(u *ent.User) any { return u.Entitlements }},
		{Schema: core, Path: "roles", Field: user.FieldScimRoles, Kind: MultiValued, Fold: CaseIgnore,
			Get: func(u *ent.User) any { return u.ScimRoles }},
		// RFC 7643 makes x509Certificates.value binary: compared exactly.
		{Schema: core, Path: "x509Certificates", Field: user.FieldX509Certificates, Kind: MultiValued, Fold: CaseExact,
			Get: func(u *ent.User) any { return u.X509Certificates }},

		{Schema: ext, Path: "employeeNumber", Field: user.FieldEmployeeNumber, Kind: String, Fold: CaseIgnore, Sort: true,
			Get: func(u *ent.User) any { return u.EmployeeNumber }},
		{Schema: ext, Path: "costCenter", Field: user.FieldCostCenter, Kind: String, Fold: CaseIgnore, Sort: true,
			Get: func(u *ent.User) any { return u.CostCenter }},
		{Schema: ext, Path: "organization", Field: user.FieldEnterpriseOrganization, Kind: String, Fold: CaseIgnore, Sort: true,
			Get: func(u *ent.User) any { return u.EnterpriseOrganization }},
		{Schema: ext, Path: "division", Field: user.FieldDivision, Kind: String, Fold: CaseIgnore, Sort: true,
			Get: func(u *ent.User) any { return u.Division }},
		{Schema: ext, Path: "department", Field: user.FieldDepartment, Kind: String, Fold: CaseIgnore, Sort: true,
			Get: func(u *ent.User) any { return u.Department }},
		{Schema: ext, Path: "manager.value", Field: user.FieldManagerID, Kind: String, Fold: CaseIgnore, Sort: true,
			Ref: "Users", Get: func(u *ent.User) any { return u.ManagerID }},
		{Schema: ext, Path: "manager.displayName", Field: user.FieldManagerDisplayName, Kind: String, Fold: CaseIgnore, Sort: true,
			Get: func(u *ent.User) any { return u.ManagerDisplayName }},
	},
	Raw:    user.FieldRaw,
	Omit:   []string{"meta", "id", "groups", "password"},
	GetRaw: func(u *ent.User) map[string]any { return u.Raw },
}

// Group is the table of the Group resource (RFC 7643 §4.2). Its members are
// memberships, not fields.
var Group = &Table[*ent.Group]{
	Type: schema.GroupResource,
	Attrs: []Attr[*ent.Group]{
		{Path: "id", Field: group.FieldID, Kind: ID, Sort: true},
		{Path: "meta.created", Field: group.FieldCreatedAt, Kind: Time, Sort: true},
		{Path: "meta.lastModified", Field: group.FieldUpdatedAt, Kind: Time, Sort: true},
		{Path: "meta.version", Field: group.FieldVersion, Kind: Version, NoFilter: true},

		{Schema: schema.GroupURN, Path: "displayName", Field: group.FieldDisplayName, Key: group.FieldDisplayNameKey,
			Kind: String, Fold: Keyed, Sort: true, Required: true, Indexed: true,
			Get: func(g *ent.Group) any { return g.DisplayName }},
		{Path: "externalId", Field: group.FieldExternalID, Kind: String, Fold: CaseExact, Sort: true, Indexed: true,
			Get: func(g *ent.Group) any { return g.ExternalID }},
	},
	Raw:    group.FieldRaw,
	Omit:   []string{"meta", "id", "members"},
	GetRaw: func(g *ent.Group) map[string]any { return g.Raw },
}
