package where

import (
	"strings"

	"github.com/acme/directory/fault"
	"github.com/acme/directory/scim/filter"
)

// kind is the SCIM type of an attribute, which decides the operators and
// values it accepts.
type kind uint8

const (
	kString kind = iota + 1 // text
	kBool                   // boolean: eq, ne, pr
	kTime                   // dateTime, compared as an instant
	kID                     // UUID: eq/ne by value, other operators on its text
)

// fold says how a string attribute is compared.
type fold uint8

const (
	exact   fold = iota // caseExact: as stored
	lowered             // caseExact false: lower() on both sides
	keyed               // the column holds schematype.FoldKey of the value
)

// scalarAttr is a single value in SQL: a column of the table or a field of
// an element of a multi-valued attribute.
type scalarAttr struct {
	name     string // SCIM name, for messages
	kind     kind
	fold     fold
	notNull  bool   // never NULL or empty: always present
	value    scalar // the value (kString, kTime, kID)
	truth    cond   // kBool: true when the value is true (absent counts as false)
	presence cond   // kBool: nil means always present
	sortKey  bool   // a column of the filtered table: usable for sortBy
}

// complexAttr is a single-valued complex attribute (name, manager, meta)
// whose sub-attributes are columns.
type complexAttr struct {
	name       string
	subs       map[string]*scalarAttr // by lower-case sub-attribute name
	defaultSub string                 // used when a filter names no sub-attribute; "" for none
}

// multiAttr is a multi-valued attribute: a JSON array column or a join
// table, filtered with EXISTS over its elements.
type multiAttr struct {
	name       string
	subs       map[string]*scalarAttr // fields of one element, by lower-case name
	defaultSub string                 // "value" where RFC 7643 has one
	exists     func(inner cond) cond  // some element satisfies inner
	nonEmpty   cond                   // there is at least one element
	sortBy     *scalarAttr            // the column sortBy uses for it, if any
}

// entry is one top-level attribute of a resource: exactly one field is set.
type entry struct {
	scalar  *scalarAttr
	complex *complexAttr
	multi   *multiAttr
}

// resource is the attribute namespace of a resource type.
type resource struct {
	schemas      map[string]string           // lower-case schema URN → namespace
	namespaces   []string                    // bare names are looked up in this order
	attrs        map[string]map[string]entry // namespace → lower-case name → entry
	unfilterable map[string]string           // lower-case "name.sub" → reason
	id           string                      // the id column: the tie-breaker of every sort
}

// invalid is the error for a filter or sort the caller got wrong.
func invalid(format string, args ...any) error {
	return fault.Errorf(fault.Invalid, format, args...)
}

// unknownError is an attribute or schema the resource type does not have:
// an error for a search of that type, no match in a search of all types.
type unknownError struct{ error }

func (e *unknownError) Unwrap() error { return e.error }

func unknownAttr(p filter.AttrPath) error {
	return &unknownError{invalid("unknown attribute %q", p.String())}
}

// lookup finds the attribute p names. Names and URNs are case-insensitive;
// an attribute of any of the resource's schemas may be named without its
// URN.
func (r *resource) lookup(p filter.AttrPath) (target, error) {
	name, sub := strings.ToLower(p.Name), strings.ToLower(p.Sub)
	if why, ok := r.unfilterable[name+"."+sub]; ok {
		return nil, invalid("attribute %q %s", p.String(), why)
	}
	e, err := r.find(p.URN, name)
	if err != nil {
		return nil, err
	}
	if e == (entry{}) {
		return nil, unknownAttr(p)
	}
	switch {
	case e.scalar != nil:
		if sub != "" {
			return nil, invalid("attribute %q: %s has no sub-attributes", p.String(), e.scalar.name)
		}
		return e.scalar, nil
	case e.complex != nil:
		if sub == "" {
			return complexTarget{e.complex}, nil
		}
		if a := e.complex.subs[sub]; a != nil {
			return a, nil
		}
	case e.multi != nil:
		if sub == "" || e.multi.subs[sub] != nil {
			return multiTarget{e.multi, sub}, nil
		}
	}
	return nil, unknownAttr(p)
}

// find returns the entry for name in the namespace urn selects (all of
// them when urn is empty), or the zero entry.
func (r *resource) find(urn, name string) (entry, error) {
	if urn == "" {
		for _, ns := range r.namespaces {
			if e, ok := r.attrs[ns][name]; ok {
				return e, nil
			}
		}
		return entry{}, nil
	}
	ns, ok := r.schemas[strings.ToLower(urn)]
	if !ok {
		return entry{}, &unknownError{invalid("unknown schema %q", urn)}
	}
	return r.attrs[ns][name], nil
}

// subScope resolves the attribute paths inside brackets, which name fields
// of one element (or sub-attributes of a complex attribute).
type subScope struct {
	name string
	subs map[string]*scalarAttr
}

func (s subScope) lookup(p filter.AttrPath) (target, error) {
	if p.URN != "" || p.Sub != "" {
		return nil, invalid("attribute %q inside %s[...] must be a plain sub-attribute name", p.String(), s.name)
	}
	if a := s.subs[strings.ToLower(p.Name)]; a != nil {
		return a, nil
	}
	return nil, invalid("unknown attribute %q", s.name+"."+p.Name)
}
