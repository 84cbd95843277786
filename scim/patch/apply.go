package patch

import (
	"slices"
	"strings"

	"github.com/acme/directory/scim/filter"
	"github.com/acme/directory/scim/schema"
)

// Apply applies ops in order to doc, a resource of type rt in canonical
// shape (see the package documentation).
//
// Operations on the core attribute named deferred ("members" for groups;
// "" for none) are not applied to doc but returned as member changes, in
// order and normalised, for the caller to run against the database.
//
// On error doc may be partly changed and must be discarded; the error is an
// *Error carrying the scimType.
func Apply(doc map[string]any, rt *schema.ResourceType, ops []Operation, deferred string) ([]MemberChange, error) {
	if doc == nil || rt == nil {
		return nil, errorf(InvalidValue, "", "patch.Apply needs a document and a resource type")
	}
	a := &applier{doc: doc, rt: rt, deferred: deferred}
	for _, op := range ops {
		if err := a.apply(op); err != nil {
			return nil, err
		}
	}
	return a.members.list, nil
}

// applier is the state of one Apply call.
type applier struct {
	doc      map[string]any
	rt       *schema.ResourceType
	deferred string
	members  memberChanges
}

// target is what an operation acts on: an attribute of a schema of the
// resource (owner nil for a common attribute), optionally a sub-attribute,
// optionally a value filter selecting elements of a multi-valued attribute.
type target struct {
	owner  *schema.Schema
	attr   *schema.Attribute
	sub    *schema.Attribute
	filter filter.Expr
	path   string // as the client wrote it, for messages
}

func (a *applier) apply(op Operation) error {
	name := strings.ToLower(op.Op)
	if name != "add" && name != "replace" && name != "remove" {
		return errorf(InvalidSyntax, "op", "unknown op %q: want add, replace or remove", op.Op)
	}
	value, err := normalize(op.Value)
	if err != nil {
		return err
	}
	switch {
	case op.Path != nil:
		return a.applyPath(name, *op.Path, value)
	case name == "remove":
		return errorf(NoTarget, "path", "a remove operation needs a path")
	}
	obj, ok := value.(map[string]any)
	if !ok {
		return errorf(InvalidValue, "value", "a %s without a path needs an object value, got %s", name, kindOf(value))
	}
	return a.applyObject(name, a.rt.Schema, obj)
}

// applyPath runs an operation with a path.
func (a *applier) applyPath(op string, p filter.Path, value any) error {
	path := p.String()
	if p.Attr.URN != "" {
		if s := a.rt.SchemaFor(p.Attr.URN + ":" + p.Attr.Name); s != nil && p.Attr.Sub == "" && p.Filter == nil {
			return a.applyWholeSchema(op, s, value, path)
		}
		if a.rt.SchemaFor(p.Attr.URN) == nil {
			return a.applyForeign(op, p, value)
		}
	}
	owner, attr, sub, err := a.rt.Resolve(p.Attr.URN, p.Attr.Name, p.Attr.Sub)
	if err != nil {
		return asError(InvalidPath, err).at(path)
	}
	t := target{owner: owner, attr: attr, sub: sub, filter: p.Filter, path: path}
	if a.isDeferred(t) {
		return a.deferredOp(op, &p, value)
	}
	if readOnly(attr) || (sub != nil && readOnly(sub)) {
		return errorf(Mutability, path, "%s is read-only", path)
	}
	if discarded(attr) {
		return nil
	}
	if t.filter != nil {
		if !attr.MultiValued {
			return errorf(InvalidPath, path, "%s is single-valued and cannot take a filter", attr.Name)
		}
		if err := checkFilter(t.filter, attr, path); err != nil {
			return err
		}
	}
	if op == "remove" {
		return a.remove(t, value)
	}
	return a.set(op, t, value)
}

// applyWholeSchema runs an operation whose path is a schema URN itself
// ("path": "urn:...:enterprise:2.0:User", "value": {"department": ...}).
func (a *applier) applyWholeSchema(op string, s *schema.Schema, value any, path string) error {
	if op == "remove" {
		if s == a.rt.Schema {
			return errorf(Mutability, path, "the core schema of a resource cannot be removed")
		}
		a.dropExtension(s)
		return nil
	}
	if value == nil && s != a.rt.Schema {
		a.dropExtension(s)
		return nil
	}
	obj, ok := value.(map[string]any)
	if !ok {
		return errorf(InvalidValue, path, "the value for schema %s must be an object of its attributes", s.ID)
	}
	return a.applyObject(op, s, obj)
}

// applyObject runs a path-less add or replace: each key of obj names an
// attribute of schema s (or, for the core schema, any of the key forms the
// package documentation lists). Keys are taken in sorted order so that the
// result does not depend on map order ("name" before "name.givenName").
func (a *applier) applyObject(op string, s *schema.Schema, obj map[string]any) error {
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if err := a.applyKey(op, s, k, obj[k]); err != nil {
			return err
		}
	}
	return nil
}

func (a *applier) applyKey(op string, s *schema.Schema, key string, value any) error {
	if hasURNPrefix(key) && s == a.rt.Schema {
		if ext := a.rt.SchemaFor(key); ext != nil {
			return a.applyWholeSchema(op, ext, value, key)
		}
		if ext, rest := a.splitURNKey(key); ext != nil {
			return a.applyAttrKey(op, ext, rest, value, key)
		}
		return a.applyForeignKey(op, key, value)
	}
	return a.applyAttrKey(op, s, key, value, key)
}

// applyAttrKey applies one key of a path-less value, "attr" or "attr.sub",
// in schema s. Read-only attributes are skipped without error: providers
// echo id, meta, schemas and groups back.
func (a *applier) applyAttrKey(op string, s *schema.Schema, key string, value any, path string) error {
	if s != a.rt.Schema && strings.EqualFold(key, "schemas") {
		return nil // an extension's value naming its schema, as some client libraries send
	}
	name, subName, _ := strings.Cut(key, ".")
	urn := ""
	if s != a.rt.Schema {
		urn = s.ID
	}
	owner, attr, sub, err := a.rt.Resolve(urn, name, subName)
	if err != nil {
		return asError(InvalidValue, err).at(path)
	}
	t := target{owner: owner, attr: attr, sub: sub, path: path}
	switch {
	case a.isDeferred(t):
		if sub != nil {
			return errorf(InvalidValue, path, "members are added and removed whole; %s cannot be set", path)
		}
		return a.deferredOp(op, nil, value)
	case readOnly(attr) || (sub != nil && readOnly(sub)) || discarded(attr):
		return nil
	}
	return a.set(op, t, value)
}

// splitURNKey splits "urn:...:User:department" into the schema of rt whose
// URN prefixes it and the rest, "department" (or "name.givenName").
func (a *applier) splitURNKey(key string) (*schema.Schema, string) {
	for _, s := range append([]*schema.Schema{a.rt.Schema}, a.rt.Extensions...) {
		n := len(s.ID)
		if len(key) > n+1 && key[n] == ':' && strings.EqualFold(key[:n], s.ID) {
			return s, key[n+1:]
		}
	}
	return nil, ""
}

func hasURNPrefix(s string) bool {
	return len(s) >= 4 && strings.EqualFold(s[:4], "urn:")
}

func readOnly(a *schema.Attribute) bool { return a.Mutability == schema.ReadOnly }

// discarded reports whether values of a are accepted and dropped: the
// writeOnly password, which this server does not store.
func discarded(a *schema.Attribute) bool { return a.Mutability == schema.WriteOnly }

func (a *applier) isDeferred(t target) bool {
	return a.deferred != "" && t.owner == a.rt.Schema && strings.EqualFold(t.attr.Name, a.deferred)
}

// container returns the object holding t's attribute: the document for core
// and common attributes, the extension's object for extension attributes.
// With create, a missing extension object is created (and its URN listed in
// the document's schemas); without, nil is returned for it.
func (a *applier) container(t target, create bool) map[string]any {
	if t.owner == nil || t.owner == a.rt.Schema {
		return a.doc
	}
	if m := getMap(a.doc, t.owner.ID); m != nil {
		if _, exact := a.doc[t.owner.ID]; !exact {
			setKey(a.doc, t.owner.ID, m)
		}
		return m
	}
	if !create {
		return nil
	}
	m := map[string]any{}
	setKey(a.doc, t.owner.ID, m)
	addSchema(a.doc, t.owner.ID)
	return m
}

// tidy drops an extension object left empty by a removal.
func (a *applier) tidy(t target) {
	if t.owner == nil || t.owner == a.rt.Schema {
		return
	}
	if m := getMap(a.doc, t.owner.ID); m != nil && len(m) == 0 {
		a.dropExtension(t.owner)
	}
}

func (a *applier) dropExtension(s *schema.Schema) {
	delKey(a.doc, s.ID)
	removeSchema(a.doc, s.ID)
}
