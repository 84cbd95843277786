// Package patch parses SCIM PATCH requests (RFC 7644 §3.5.2) and applies
// them to a resource held as a JSON document.
//
// # Documents
//
// A document is a map[string]any as encoding/json decodes it (numbers as
// float64 or json.Number), in canonical SCIM shape: core and common
// attributes at the top level ("userName", "name": {"givenName": ...},
// "emails": [{...}]), extension attributes in an object under the
// extension's URN (doc["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"]
// = {"department": ...}). Apply writes every attribute with the spelling of
// its schema definition, replacing a key spelled in another letter case,
// and values of the schema's types.
//
// # What Apply accepts
//
// Beyond RFC 7644 it accepts what real identity providers send (see
// PROVIDERS.md): ops in any letter case; attribute names in any letter case;
// path-less add/replace whose value keys are plain ("displayName"), dotted
// ("name.givenName"), URN-qualified ("urn:...:enterprise:2.0:User:department")
// or an extension URN holding an object of its attributes; booleans as
// strings ("False"); numbers as numeric strings; a complex attribute given
// as a bare string when it has a "value" sub-attribute (Entra ID sends the
// enterprise manager as a string id); a simple attribute given as
// [{"value": x}] (older Entra ID). A replace or add through a filter of the
// form `type eq "work"` (any conjunction of `sub eq literal`) that matches
// no element creates the element.
//
// # Rules
//
//   - Setting an attribute to null, or a multi-valued attribute to [] with
//     replace, unassigns it (RFC 7643 §2.5). Adding [] adds nothing.
//   - add to a multi-valued attribute appends the values not already
//     present. Two complex values are the same when their "value" (and
//     "type", when both have one) are equal; the new one's sub-attributes
//     are then merged into the existing one. A value added or set with
//     primary true clears primary on the others (RFC 7643 §2.4).
//   - replace of a single-valued complex attribute merges the given
//     sub-attributes into it (RFC 7644 §3.5.2.3); replace of a multi-valued
//     attribute without a filter replaces all its values.
//   - remove needs a path. remove of a multi-valued attribute with a value
//     removes only the listed values (an element is removed when it has
//     every sub-attribute a listed object gives, with an equal value), never
//     all of them. remove through a filter that matches nothing, or of an
//     attribute that is not there, changes nothing: a retried remove
//     must not fail (Okta treats a 400 as permanent).
//   - readOnly attributes (schemas, id, meta, groups, manager.displayName,
//     members.display) named in a path are a mutability error; in a
//     path-less value they are ignored, since providers echo them. So is a
//     "schemas" key inside an extension's value (some client libraries
//     send {"schemas": [...], "employeeNumber": "7"} for the enterprise
//     extension). An
//     immutable attribute may be set when absent, or to its current value.
//     Removing a required attribute (userName, Group displayName) is an
//     invalidValue error.
//   - password is accepted and dropped: it is never written to the
//     document.
//   - An unknown attribute is an invalidPath error in a path and an
//     invalidValue error as a value key. A URN key or path naming a schema
//     the resource type does not have, and that this server does not know,
//     is kept: a path-less key verbatim (doc[key] = value), a path
//     urn:X:attr[.sub] under doc["urn:X"]["attr"], so that no attribute a
//     provider sends is lost. A URN of a schema this server knows but the
//     resource type lacks (the Group URN on a User) is an error.
//
// # Deferred attribute
//
// Group members may number tens of thousands and are never loaded into the
// document. Apply's deferred argument names such an attribute ("members");
// operations on it are not applied but returned as [MemberChange] values for
// the caller to run as set-based SQL, normalised and in order (see
// [MemberChange]). Only filters of the form `value eq "id"`, alone or joined
// with or, can select members; any other members filter is an invalidPath
// error.
//
// # Errors
//
// Every error of Parse and Apply is an *[Error]: its ScimType is the RFC
// 7644 §3.12 scimType for the response ("invalidSyntax", "invalidPath",
// "noTarget", "invalidValue" or "mutability") and it wraps a *fault.Error
// with code fault.Invalid, so fault.CodeOf and fault.MessageOf work on it.
// [ScimTypeOf] reads the scimType of any error.
package patch
