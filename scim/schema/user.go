package schema

// User is the core User schema (RFC 7643 §4.1, §8.7.1).
var User = &Schema{
	ID:          UserURN,
	Name:        "User",
	Description: "User Account",
	Attributes: []*Attribute{
		str("userName", "Unique identifier for the User, typically used by the user to directly "+
			"authenticate to the service provider. Each User MUST include a non-empty userName value. "+
			"This identifier MUST be unique across the service provider's entire set of Users.").
			required().unique(Server),
		complexOf("name", "The components of the user's real name.",
			str("formatted", "The full name, including all middle names, titles, and suffixes as "+
				"appropriate, formatted for display (e.g., 'Ms. Barbara J Jensen, III')."),
			str("familyName", "The family name of the User, or last name in most Western languages."),
			str("givenName", "The given name of the User, or first name in most Western languages."),
			str("middleName", "The middle name(s) of the User."),
			str("honorificPrefix", "The honorific prefix(es) of the User, or title in most Western languages."),
			str("honorificSuffix", "The honorific suffix(es) of the User, or suffix in most Western languages."),
		),
		str("displayName", "The name of the User, suitable for display to end-users."),
		str("nickName", "The casual way to address the user in real life."),
		ref("profileUrl", "A fully qualified URL pointing to a page representing the User's online profile.", "external"),
		str("title", "The user's title, such as \"Vice President.\""),
		str("userType", "Used to identify the relationship between the organization and the user."),
		str("preferredLanguage", "Indicates the User's preferred written or spoken language, e.g., 'en_US'."),
		str("locale", "Used to indicate the User's default location for purposes of localizing items "+
			"such as currency, date time format, or numerical representations."),
		str("timezone", "The User's time zone in the 'Olson' time zone database format, e.g., 'America/Los_Angeles'."),
		boolean("active", "A Boolean value indicating the User's administrative status."),
		str("password", "The User's cleartext password. Accepted and discarded: this server stores no passwords.").
			mutability(WriteOnly).returned(Never),
		plural("emails", "Email addresses for the user.", str("value", "Email address for the user."),
			"work", "home", "other"),
		plural("phoneNumbers", "Phone numbers for the User.", str("value", "Phone number of the User."),
			"work", "home", "mobile", "fax", "pager", "other"),
		plural("ims", "Instant messaging addresses for the User.",
			str("value", "Instant messaging address for the User."),
			"aim", "gtalk", "icq", "xmpp", "msn", "skype", "qq", "yahoo"),
		plural("photos", "URLs of photos of the User.",
			ref("value", "URL of a photo of the User.", "external"), "photo", "thumbnail"),
		complexOf("addresses", "A physical mailing address for this User.",
			str("formatted", "The full mailing address, formatted for display or use with a mailing label."),
			str("streetAddress", "The full street address component."),
			str("locality", "The city or locality component."),
			str("region", "The state or region component."),
			str("postalCode", "The zip code or postal code component."),
			str("country", "The country name component."),
			str("type", "A label indicating the attribute's function, e.g., 'work' or 'home'.").
				canonical("work", "home", "other"),
			primary(),
		).multi(),
		complexOf("groups", "A list of groups to which the user belongs, either through direct "+
			"membership, through nested groups, or dynamically calculated.",
			str("value", "The identifier of the User's group."),
			ref("$ref", "The URI of the corresponding 'Group' resource to which the user belongs.", "User", "Group"),
			str("display", "A human-readable name, primarily used for display purposes."),
			str("type", "A label indicating the attribute's function, e.g., 'direct' or 'indirect'.").
				canonical("direct", "indirect"),
		).multi().readOnly(),
		plural("entitlements", "A list of entitlements for the User that represent a thing the User has.",
			str("value", "The value of an entitlement.")),
		plural("roles", "A list of roles for the User that collectively represent who the User is.",
			str("value", "The value of a role.")),
		plural("x509Certificates", "A list of certificates issued to the User.",
			attr("value", Binary, "The value of an X.509 certificate.")),
	},
}

// plural builds the common shape of a multi-valued attribute (RFC 7643
// §2.4): value, display, type (with its canonical values) and primary.
func plural(name, desc string, value *Attribute, types ...string) *Attribute {
	return complexOf(name, desc,
		value,
		str("display", "A human-readable name, primarily used for display purposes."),
		str("type", "A label indicating the attribute's function.").canonical(types...),
		primary(),
	).multi()
}

func primary() *Attribute {
	return boolean("primary", "A Boolean value indicating the 'primary' or preferred attribute value "+
		"for this attribute. The primary attribute value 'true' MUST appear no more than once.")
}

// EnterpriseUser is the enterprise User extension (RFC 7643 §4.3, §8.7.1).
var EnterpriseUser = &Schema{
	ID:          EnterpriseUserURN,
	Name:        "EnterpriseUser",
	Description: "Enterprise User",
	Attributes: []*Attribute{
		str("employeeNumber", "Numeric or alphanumeric identifier assigned to a person, typically "+
			"based on order of hire or association with an organization."),
		str("costCenter", "Identifies the name of a cost center."),
		str("organization", "Identifies the name of an organization."),
		str("division", "Identifies the name of a division."),
		str("department", "Identifies the name of a department."),
		complexOf("manager", "The User's manager. A complex type that optionally allows service "+
			"providers to represent organizational hierarchy by referencing the 'id' attribute of another User.",
			str("value", "The id of the SCIM resource representing the User's manager."),
			ref("$ref", "The URI of the SCIM resource representing the User's manager.", "User"),
			str("displayName", "The displayName of the User's manager.").mutability(ReadOnly),
		),
	},
}
