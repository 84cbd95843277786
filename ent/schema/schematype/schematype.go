// Package schematype holds the Go types of the data model's JSON columns and
// the normalisation rules its keyed columns share.
package schematype

import "strings"

// MultiValue is one value of a multi-valued SCIM attribute: emails,
// phoneNumbers, ims, photos, entitlements, roles, x509Certificates
// (RFC 7643 §2.4).
type MultiValue struct {
	Value   string `json:"value,omitempty"`
	Display string `json:"display,omitempty"`
	Type    string `json:"type,omitempty"`
	Primary bool   `json:"primary,omitempty"`
}

// Address is one value of a user's addresses (RFC 7643 §4.1.2).
type Address struct {
	Formatted     string `json:"formatted,omitempty"`
	StreetAddress string `json:"streetAddress,omitempty"`
	Locality      string `json:"locality,omitempty"`
	Region        string `json:"region,omitempty"`
	PostalCode    string `json:"postalCode,omitempty"`
	Country       string `json:"country,omitempty"`
	Type          string `json:"type,omitempty"`
	Primary       bool   `json:"primary,omitempty"`
}

// FoldKey is the stored form of a case-insensitive key (userName, group
// displayName): lookups compare FoldKey(input) with the key column, so the
// rule lives here once and every index stays usable.
func FoldKey(s string) string { return strings.ToLower(s) }
