package schema

import "strings"

// Type is the data type of an attribute (RFC 7643 §2.3).
type Type string

// The attribute data types.
const (
	String    Type = "string"
	Boolean   Type = "boolean"
	Decimal   Type = "decimal"
	Integer   Type = "integer"
	DateTime  Type = "dateTime"
	Reference Type = "reference"
	Complex   Type = "complex"
	Binary    Type = "binary"
)

// Mutability values (RFC 7643 §7, "mutability").
const (
	ReadOnly  = "readOnly"  // set by the service provider only
	ReadWrite = "readWrite" // may be updated and read at any time
	Immutable = "immutable" // may be set once, when absent, and never changed
	WriteOnly = "writeOnly" // may be set but is never returned
)

// Returned values (RFC 7643 §7, "returned").
const (
	Always  = "always"  // always returned
	Never   = "never"   // never returned
	Default = "default" // returned unless excluded
	Request = "request" // returned only when asked for
)

// Uniqueness values (RFC 7643 §7, "uniqueness").
const (
	None   = "none"   // no uniqueness required
	Server = "server" // unique within this service provider (here: within a directory)
	Global = "global" // globally unique
)

// Attribute describes one attribute or sub-attribute (RFC 7643 §7).
type Attribute struct {
	Name            string
	Type            Type
	MultiValued     bool
	Description     string
	Required        bool
	CaseExact       bool
	Mutability      string // ReadOnly, ReadWrite, Immutable or WriteOnly
	Returned        string // Always, Never, Default or Request
	Uniqueness      string // None, Server or Global
	SubAttributes   []*Attribute
	CanonicalValues []string
	ReferenceTypes  []string
}

// Sub returns the sub-attribute called name, compared case-insensitively,
// or nil if a has none by that name.
func (a *Attribute) Sub(name string) *Attribute {
	if a == nil {
		return nil
	}
	return find(a.SubAttributes, name)
}

// Schema is a SCIM schema: a URN and its attributes (RFC 7643 §7).
type Schema struct {
	ID          string // the schema URN
	Name        string
	Description string
	Attributes  []*Attribute
}

// Attr returns the top-level attribute called name, compared
// case-insensitively, or nil.
func (s *Schema) Attr(name string) *Attribute {
	if s == nil {
		return nil
	}
	return find(s.Attributes, name)
}

func find(attrs []*Attribute, name string) *Attribute {
	for _, a := range attrs {
		if strings.EqualFold(a.Name, name) {
			return a
		}
	}
	return nil
}

// The builders below keep the definitions short: an attribute starts as
// RFC 7643 §2.2's defaults (optional, single-valued, case-insensitive,
// readWrite, returned by default, not unique) and each method changes one
// characteristic. They are used only while the package variables are built.

func attr(name string, t Type, desc string) *Attribute {
	return &Attribute{Name: name, Type: t, Description: desc,
		Mutability: ReadWrite, Returned: Default, Uniqueness: None}
}

func str(name, desc string) *Attribute { return attr(name, String, desc) }

func boolean(name, desc string) *Attribute { return attr(name, Boolean, desc) }

func ref(name, desc string, types ...string) *Attribute {
	a := attr(name, Reference, desc)
	a.ReferenceTypes = types
	return a
}

func complexOf(name, desc string, subs ...*Attribute) *Attribute {
	a := attr(name, Complex, desc)
	a.SubAttributes = subs
	return a
}

func (a *Attribute) multi() *Attribute    { a.MultiValued = true; return a }
func (a *Attribute) required() *Attribute { a.Required = true; return a }
func (a *Attribute) exact() *Attribute    { a.CaseExact = true; return a }

func (a *Attribute) mutability(m string) *Attribute { a.Mutability = m; return a }
func (a *Attribute) returned(r string) *Attribute   { a.Returned = r; return a }
func (a *Attribute) unique(u string) *Attribute     { a.Uniqueness = u; return a }

func (a *Attribute) canonical(values ...string) *Attribute {
	a.CanonicalValues = values
	return a
}

// readOnly marks a and all its sub-attributes readOnly: a sub-attribute of a
// readOnly attribute cannot be written either.
func (a *Attribute) readOnly() *Attribute {
	a.Mutability = ReadOnly
	for _, s := range a.SubAttributes {
		s.readOnly()
	}
	return a
}
