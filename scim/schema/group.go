package schema

// Group is the core Group schema (RFC 7643 §4.2, §8.7.1).
var Group = &Schema{
	ID:          GroupURN,
	Name:        "Group",
	Description: "Group",
	Attributes: []*Attribute{
		str("displayName", "A human-readable name for the Group.").required(),
		complexOf("members", "A list of members of the Group.",
			str("value", "Identifier of the member of this Group.").mutability(Immutable),
			ref("$ref", "The URI corresponding to a SCIM resource that is a member of this Group.",
				"User", "Group").mutability(Immutable),
			str("display", "A human-readable name, primarily used for display purposes.").mutability(ReadOnly),
			str("type", "A label indicating the type of resource, e.g., 'User' or 'Group'.").
				canonical("User", "Group").mutability(Immutable),
		).multi(),
	},
}

// Common lists the attributes every resource has (RFC 7643 §3, §3.1):
// schemas, id, externalId and meta. They belong to no schema.
var Common = []*Attribute{
	ref("schemas", "The schema URNs that define the attributes present in the resource.", "uri").
		multi().required().exact().returned(Always).readOnly(),
	str("id", "A unique identifier for the resource, assigned by the service provider.").
		exact().returned(Always).unique(Server).readOnly(),
	str("externalId", "An identifier for the resource as defined by the provisioning client.").exact(),
	complexOf("meta", "Resource metadata.",
		str("resourceType", "The name of the resource type of the resource.").exact(),
		attr("created", DateTime, "The date and time the resource was added to the service provider."),
		attr("lastModified", DateTime, "The most recent date and time the resource was modified."),
		ref("location", "The URI of the resource being returned.", "uri").exact(),
		str("version", "The version (ETag) of the resource being returned.").exact(),
	).readOnly(),
}

// CommonAttr returns the common attribute called name (case-insensitive),
// or nil.
func CommonAttr(name string) *Attribute { return find(Common, name) }
