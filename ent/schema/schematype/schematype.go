// Package schematype holds the Go types of the data model's JSON columns and
// the normalisation rules its keyed columns share.
package schematype

import (
	"encoding/json"
	"strings"
)

// MultiValue is one value of a multi-valued SCIM attribute: emails,
// phoneNumbers, ims, photos, entitlements, roles, x509Certificates
// (RFC 7643 §2.4).
type MultiValue struct {
	Value   string `json:"value,omitempty"`
	Display string `json:"display,omitempty"`
	Type    string `json:"type,omitempty"`
	Primary bool   `json:"primary,omitempty"`

	// primaryFalse records a "primary": false that was sent (or stored),
	// written back so the value reads as it was given: RFC 7643 lets a
	// client send false, and a round trip must compare equal. Values built
	// in Go leave it unset and render false as absent.
	primaryFalse bool
}

// MarshalJSON writes the value with "primary": false when it was given so.
func (m MultiValue) MarshalJSON() ([]byte, error) {
	type plain MultiValue // the fields and tags, not the methods
	return marshalPrimary(plain(m), m.Primary, m.primaryFalse)
}

// UnmarshalJSON reads a value, noting an explicit "primary": false.
func (m *MultiValue) UnmarshalJSON(b []byte) error {
	type plain MultiValue
	var v struct {
		plain
		Primary *bool `json:"primary"` // shadows plain's, being less nested
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*m = MultiValue(v.plain)
	m.Primary, m.primaryFalse = primaryOf(v.Primary)
	return nil
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

	// primaryFalse is MultiValue's: an explicit "primary": false.
	primaryFalse bool
}

// MarshalJSON writes the address with "primary": false when it was given so.
func (a Address) MarshalJSON() ([]byte, error) {
	type plain Address
	return marshalPrimary(plain(a), a.Primary, a.primaryFalse)
}

// UnmarshalJSON reads an address, noting an explicit "primary": false.
func (a *Address) UnmarshalJSON(b []byte) error {
	type plain Address
	var v struct {
		plain
		Primary *bool `json:"primary"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*a = Address(v.plain)
	a.Primary, a.primaryFalse = primaryOf(v.Primary)
	return nil
}

// marshalPrimary encodes v (whose primary is omitted when false) and adds
// "primary": false when explicitFalse says it was given.
func marshalPrimary(v any, primary, explicitFalse bool) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil || primary || !explicitFalse {
		return b, err
	}
	if len(b) == 2 { // {}
		return []byte(`{"primary":false}`), nil
	}
	return append(b[:len(b)-1], `,"primary":false}`...), nil
}

// primaryOf reads a decoded primary: its value, and whether it was an
// explicit false.
func primaryOf(p *bool) (primary, explicitFalse bool) {
	if p == nil {
		return false, false
	}
	return *p, !*p
}

// FoldKey is the stored form of a case-insensitive key (userName, group
// displayName): lookups compare FoldKey(input) with the key column, so the
// rule lives here once and every index stays usable.
func FoldKey(s string) string { return strings.ToLower(s) }
