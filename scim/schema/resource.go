package schema

import (
	"strings"

	"github.com/acme/directory/fault"
)

// ResourceType is a SCIM resource type (RFC 7643 §6): its endpoint, core
// schema and schema extensions. Every extension here is optional
// ("required": false).
type ResourceType struct {
	ID          string
	Name        string
	Endpoint    string
	Description string
	Schema      *Schema
	Extensions  []*Schema
}

// UserResource is the User resource type, served at /Users, with the
// enterprise extension.
var UserResource = &ResourceType{
	ID: "User", Name: "User", Endpoint: "/Users", Description: "User Account",
	Schema: User, Extensions: []*Schema{EnterpriseUser},
}

// GroupResource is the Group resource type, served at /Groups.
var GroupResource = &ResourceType{
	ID: "Group", Name: "Group", Endpoint: "/Groups", Description: "Group",
	Schema: Group,
}

// known is every schema this server defines, for ByID.
var known = []*Schema{User, EnterpriseUser, Group}

// ByID returns the schema of this server whose URN is id
// (case-insensitive), whatever resource type it belongs to, or nil.
func ByID(id string) *Schema {
	for _, s := range known {
		if strings.EqualFold(s.ID, id) {
			return s
		}
	}
	return nil
}

// SchemaFor returns rt's core schema or the extension whose URN is urn
// (case-insensitive), or nil when rt has no such schema.
func (rt *ResourceType) SchemaFor(urn string) *Schema {
	if strings.EqualFold(rt.Schema.ID, urn) {
		return rt.Schema
	}
	return rt.Extension(urn)
}

// Extension returns the schema extension of rt whose URN is urn
// (case-insensitive), or nil.
func (rt *ResourceType) Extension(urn string) *Schema {
	for _, s := range rt.Extensions {
		if strings.EqualFold(s.ID, urn) {
			return s
		}
	}
	return nil
}

// Resolve finds the attribute an attribute path names, in any letter case:
//
//   - a bare name is looked up in the core schema, then among the common
//     attributes (schemas, id, externalId, meta), then, leniently for the
//     providers that send extension attributes unqualified, in the
//     extensions in order;
//   - a name qualified with the core schema URN is looked up in the core
//     schema and the common attributes;
//   - a name qualified with an extension URN is looked up in that extension.
//
// It returns the schema that owns the attribute (nil for a common
// attribute), the attribute and, when sub is not empty, the sub-attribute.
// An unknown schema, attribute or sub-attribute is a *fault.Error with code
// fault.Invalid whose Field is the path as given.
func (rt *ResourceType) Resolve(urn, name, sub string) (owner *Schema, attr, subAttr *Attribute, err error) {
	owner, attr, err = rt.resolveAttr(urn, name)
	if err != nil {
		return nil, nil, nil, err
	}
	if sub == "" {
		return owner, attr, nil, nil
	}
	if subAttr = attr.Sub(sub); subAttr == nil {
		return nil, nil, nil, fault.FieldErrorf(pathString(urn, name, sub),
			"%s has no sub-attribute %q", attr.Name, sub)
	}
	return owner, attr, subAttr, nil
}

func (rt *ResourceType) resolveAttr(urn, name string) (*Schema, *Attribute, error) {
	field := pathString(urn, name, "")
	if urn != "" {
		s := rt.SchemaFor(urn)
		if s == nil {
			return nil, nil, fault.FieldErrorf(field, "%s resources have no schema %q", rt.Name, urn)
		}
		if a := s.Attr(name); a != nil {
			return s, a, nil
		}
		if s == rt.Schema {
			if a := CommonAttr(name); a != nil {
				return nil, a, nil
			}
		}
		return nil, nil, fault.FieldErrorf(field, "schema %s has no attribute %q", s.ID, name)
	}
	if a := rt.Schema.Attr(name); a != nil {
		return rt.Schema, a, nil
	}
	if a := CommonAttr(name); a != nil {
		return nil, a, nil
	}
	for _, s := range rt.Extensions {
		if a := s.Attr(name); a != nil {
			return s, a, nil
		}
	}
	return nil, nil, fault.FieldErrorf(field, "%s resources have no attribute %q", rt.Name, name)
}

// pathString renders an attribute path as "urn:name.sub".
func pathString(urn, name, sub string) string {
	s := name
	if urn != "" {
		s = urn + ":" + s
	}
	if sub != "" {
		s += "." + sub
	}
	return s
}
