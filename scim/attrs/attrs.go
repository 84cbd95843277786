// Package attrs is the one table of the SCIM attributes this server stores
// and the ent fields that hold them: for each attribute of the User resource
// (core schema and enterprise extension) and of the Group resource, its
// SCIM path, its ent field (the generated user.Field... / group.Field...
// constant), how it is stored, how filters compare it and whether it sorts,
// and how to read it from an entity.
//
// The SCIM layer renders and writes resources through this table, and
// package scim/where builds its filter and sortBy columns from it, so adding
// an attribute is one new row here (plus the ent field and the discovery
// definition in scim/schema, which the tests check it against).
package attrs

import (
	"reflect"
	"strings"

	"github.com/acme/directory/ent/schema/schematype"
	"github.com/acme/directory/scim/schema"
)

// Kind says how an attribute is stored, written and rendered.
type Kind uint8

// The kinds of stored attributes.
const (
	// String is a string field; "" (or NULL) means the attribute is absent.
	String Kind = iota + 1
	// Bool is a boolean field, always rendered.
	Bool
	// MultiValued is a JSON array of schematype.MultiValue (emails,
	// phoneNumbers, ...), filtered element by element.
	MultiValued
	// Addresses is a JSON array of schematype.Address.
	Addresses
	// ID is the resource's UUID, assigned by the server.
	ID
	// Time is a timestamp the server keeps (meta.created, meta.lastModified).
	Time
	// Version is the resource's version counter, rendered as meta.version.
	Version
)

// Fold says how filters compare a string attribute (for MultiValued and
// Addresses: the "value" sub-attribute; their other string sub-attributes
// are compared without regard to case).
type Fold uint8

// The ways a string attribute is compared.
const (
	// CaseExact compares values as stored (RFC 7643 caseExact true, binary).
	CaseExact Fold = iota + 1
	// CaseIgnore compares lower-cased values (caseExact false).
	CaseIgnore
	// Keyed compares the Attr.Key field, which holds
	// schematype.FoldKey(value), with FoldKey of the filter's value.
	Keyed
)

// Attr is one stored SCIM attribute of resources read as E.
type Attr[E any] struct {
	// Schema is the URN of the schema the attribute belongs to, or "" for
	// an attribute common to every resource (id, externalId, meta).
	Schema string
	// Path is the attribute's path within Schema: "userName",
	// "name.givenName", "manager.value", "meta.created".
	Path string
	// Field is the ent field holding the value.
	Field string
	// Key is, for Keyed attributes, the field the data layer keeps as
	// FoldKey(Field): filters compare it.
	Key string
	// Primary is, for a MultiValued attribute, the field holding its primary
	// (or first) value: written with the attribute, and what sortBy on the
	// attribute orders by.
	Primary string
	Kind    Kind
	Fold    Fold
	// Sort says whether sortBy may name the attribute (a MultiValued
	// attribute sorts by its Primary field).
	Sort bool
	// NoFilter marks an attribute filters may not name.
	NoFilter bool
	// Required marks an attribute a written document must hold with a
	// non-blank value.
	Required bool
	// Indexed marks an attribute whose value (for a MultiValued attribute:
	// its Primary value) a database index holds: its strings are limited
	// to IndexedMaxBytes, well under PostgreSQL's index row limit.
	Indexed bool
	// Default is the value stored when a document lacks the attribute; nil
	// means the kind's zero value ("" or a nil slice).
	Default any
	// Unassigned, when not nil, is the value stored when a document holds
	// the attribute as null: removed by a PATCH (RFC 7644 §3.5.2.2), the
	// attribute is unassigned, shown in no response, and the stored column
	// keeps this value rather than Default. nil means null reads as absent.
	Unassigned any
	// Ref is, when the value is the id of another resource, the endpoint
	// of that resource type ("Users"): rendering adds a sibling "$ref".
	Ref string
	// Get reads the stored value from an entity: a string, bool,
	// []schematype.MultiValue or []schematype.Address. It is nil for the
	// attributes the server assigns (ID, Time, Version), which documents
	// render from the resource's metadata and never write.
	Get func(E) any
}

// IndexedMaxBytes is the most bytes an indexed string attribute holds
// (PostgreSQL refuses index rows over about 2,700 bytes; SQLite would take
// them, so the limit is the service's, the same on both).
const IndexedMaxBytes = 1024

// MaxBytes is the most bytes one string value of the attribute may hold:
// IndexedMaxBytes for indexed attributes, 0 (no limit of its own) for the
// others, which the size limits of request bodies bound.
func (a *Attr[E]) MaxBytes() int {
	if a.Indexed {
		return IndexedMaxBytes
	}
	return 0
}

// Server reports whether the server assigns the attribute: documents never
// write it.
func (a *Attr[E]) Server() bool {
	return a.Kind == ID || a.Kind == Time || a.Kind == Version
}

// Split returns the attribute's top-level name and its sub-attribute name
// ("" when the attribute is not a sub-attribute).
func (a *Attr[E]) Split() (name, sub string) {
	name, sub, _ = strings.Cut(a.Path, ".")
	return name, sub
}

// Multi reports whether the attribute is a JSON array of objects.
func (a *Attr[E]) Multi() bool { return a.Kind == MultiValued || a.Kind == Addresses }

// Table is the table of one resource type.
type Table[E any] struct {
	// Type is the resource type: its core schema and extensions.
	Type *schema.ResourceType
	// Attrs are the stored attributes, in the order documents are checked
	// and written.
	Attrs []Attr[E]
	// Raw is the field holding the document as last received, minus Omit,
	// so attributes without a field (unknown extensions) are not lost.
	Raw string
	// Omit are the top-level document keys that Raw does not keep: what the
	// server computes or stores elsewhere, and what it must not store.
	Omit []string
	// GetRaw reads Raw from an entity.
	GetRaw func(E) map[string]any
}

// Extension reports whether a belongs to a schema extension, whose
// attributes a document holds in an object keyed by the extension's URN.
func (t *Table[E]) Extension(a *Attr[E]) bool {
	return a.Schema != "" && t.Type.Extension(a.Schema) != nil
}

// Element is a field of one element of a MultiValued or Addresses
// attribute: its JSON key and whether it is a boolean (primary).
type Element struct {
	Key  string
	Bool bool
}

// Elements lists the fields of one element of a k attribute, read from the
// JSON tags of its Go type (schematype.MultiValue or schematype.Address),
// in declaration order; nil for other kinds.
func (k Kind) Elements() []Element {
	var t reflect.Type
	switch k {
	case MultiValued:
		t = reflect.TypeFor[schematype.MultiValue]()
	case Addresses:
		t = reflect.TypeFor[schematype.Address]()
	default:
		return nil
	}
	out := make([]Element, 0, t.NumField())
	for f := range t.Fields() {
		if !f.IsExported() {
			continue
		}
		key, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		out = append(out, Element{Key: key, Bool: f.Type.Kind() == reflect.Bool})
	}
	return out
}
