// Package schema holds the SCIM 2.0 attribute definitions this server
// implements as Go data: the core User (RFC 7643 §4.1) and Group (§4.2)
// schemas, the enterprise User extension (§4.3) and the common attributes
// every resource has (§3.1). The SCIM layer uses them for its discovery
// documents (/Schemas, /ResourceTypes) and for PATCH; the table of stored
// attributes (package scim/attrs), which drives rendering, writing,
// filtering and sorting, is tested against them.
//
// The definitions follow RFC 7643 §4 and the schema representation of
// §8.7.1, with the RFC's own corrections applied where §4 and §8.7.1
// disagree: addresses have a "primary" sub-attribute, Group.displayName is
// required, Group.members has a "display" sub-attribute. They describe what
// this server stores. The one attribute it does not store is User.password:
// it stays in the schema (writeOnly, returned never) because clients may send
// it, and the PATCH code accepts and discards it.
//
// Attribute and schema names are case-insensitive (RFC 7643 §2.1): every
// lookup here compares with strings.EqualFold, and callers write values back
// with the Name spelled as defined here.
package schema
