package scim

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/acme/directory/ent"
	"github.com/acme/directory/ent/schema/schematype"
	"github.com/acme/directory/scim/attrs"
	"github.com/acme/directory/scim/schema"
)

// groupRef is a group a user belongs to, for the user's "groups" attribute.
type groupRef struct {
	ID, Name string
}

// userDoc renders u as its SCIM document (RFC 7643 §4.1, §4.3): the
// attributes of the table attrs.User, the user's groups, the extension
// objects kept from what the provider sent, and meta.
func userDoc(u *ent.User, groups []groupRef, base string) map[string]any {
	doc := map[string]any{"schemas": []string{schema.UserURN}, "id": u.ID.String()}
	renderAttrs(attrs.User, u, base, doc)
	if len(groups) > 0 {
		refs := make([]map[string]any, len(groups))
		for i, g := range groups {
			refs[i] = map[string]any{"value": g.ID, "display": g.Name, "type": "direct",
				"$ref": base + "/Groups/" + g.ID}
		}
		doc["groups"] = refs
	}
	keepUnknownExtensions(doc, attrs.User.GetRaw(u))
	doc["meta"] = meta("User", base+"/Users/"+u.ID.String(), u.CreatedAt, u.UpdatedAt, u.Version)
	return doc
}

// renderAttrs adds to doc the attributes of table t that e holds: absent
// ones (empty strings and arrays) are left out, except required ones and
// booleans. An extension's attributes go in an object keyed by its URN,
// added with the URN to doc["schemas"] when it is not empty. A value that
// is the id of another resource gets a sibling "$ref" under base.
func renderAttrs[E any](t *attrs.Table[E], e E, base string, doc map[string]any) {
	exts := map[string]map[string]any{}
	for i := range t.Attrs {
		a := &t.Attrs[i]
		if a.Get == nil {
			continue
		}
		v := a.Get(e)
		if absent(v) && !a.Required || unassigned(t, e, a, v) {
			continue
		}
		dst := doc
		if t.Extension(a) {
			if exts[a.Schema] == nil {
				exts[a.Schema] = map[string]any{}
			}
			dst = exts[a.Schema]
		}
		name, sub := a.Split()
		if sub != "" {
			parent, _ := dst[name].(map[string]any)
			if parent == nil {
				parent = map[string]any{}
				dst[name] = parent
			}
			dst, name = parent, sub
		}
		dst[name] = v
		if a.Ref != "" {
			dst["$ref"] = base + "/" + a.Ref + "/" + v.(string)
		}
	}
	for _, x := range t.Type.Extensions {
		if ext := exts[x.ID]; len(ext) > 0 {
			doc[x.ID] = ext
			doc["schemas"] = append(doc["schemas"].([]string), x.ID)
		}
	}
}

// unassigned reports whether the stored value v of a is one a removal
// left: the attribute is unassigned and renders as no attribute.
func unassigned[E any](t *attrs.Table[E], e E, a *attrs.Attr[E], v any) bool {
	return a.Unassigned != nil && v == a.Unassigned && t.GetRaw != nil && heldAsNull(t, t.GetRaw(e), a)
}

// absent reports whether a stored value renders as no attribute: an empty
// string or array. Booleans are always present.
func absent(v any) bool {
	switch v := v.(type) {
	case string:
		return v == ""
	case []schematype.MultiValue:
		return len(v) == 0
	case []schematype.Address:
		return len(v) == 0
	}
	return false
}

// keepUnknownExtensions copies the extension objects a provider sent that
// this server has no columns for, so nothing it sent is lost.
func keepUnknownExtensions(doc, raw map[string]any) {
	for k, v := range raw {
		if strings.HasPrefix(strings.ToLower(k), "urn:") && !isKnownSchema(k) {
			doc[k] = v
			doc["schemas"] = append(doc["schemas"].([]string), k)
		}
	}
}

func isKnownSchema(urn string) bool {
	for _, s := range []string{schema.UserURN, schema.EnterpriseUserURN, schema.GroupURN} {
		if strings.EqualFold(urn, s) {
			return true
		}
	}
	return false
}

func meta(resourceType, location string, created, updated time.Time, version int) map[string]any {
	return map[string]any{
		"resourceType": resourceType, "location": location, "version": etag(version),
		"created":      created.UTC().Format(time.RFC3339Nano),
		"lastModified": updated.UTC().Format(time.RFC3339Nano),
	}
}

// userFields maps a canonical SCIM user document to the stored fields it
// sets, keyed by ent field name (user.Field...). Every writable field of the
// table is present: an attribute absent from doc maps to its zero value
// ("" / nil slice), which the domain layer stores as cleared. "active" absent
// maps to true. "raw" holds the document as received minus meta, id, groups
// and password. user_name empty or blank is a 400 invalidValue SCIM error.
func userFields(doc map[string]any) (map[string]any, error) {
	return storedFields(attrs.User, doc)
}

// groupFields maps a canonical SCIM group document (members excluded) to its stored fields: display_name (required, 400 invalidValue when blank), external_id, raw.
func groupFields(doc map[string]any) (map[string]any, error) {
	return storedFields(attrs.Group, doc)
}

// storedFields maps a canonical document to the fields of table t it
// writes, keyed by ent field name: every attribute the server does not
// assign (absent ones as their default or zero value), the primary value of
// each multi-valued attribute that keeps one, and the raw document minus
// t.Omit. A blank required attribute or a multi-valued attribute of the
// wrong shape is a 400 invalidValue SCIM error.
func storedFields[E any](t *attrs.Table[E], doc map[string]any) (map[string]any, error) {
	out := make(map[string]any, len(t.Attrs)+2)
	var bad error
	for i := range t.Attrs {
		a := &t.Attrs[i]
		if a.Server() {
			continue
		}
		v, ok := docValue(t, doc, a)
		if !ok && a.Unassigned != nil && heldAsNull(t, doc, a) {
			out[a.Field] = a.Unassigned
			continue
		}
		if !ok && a.Default != nil {
			out[a.Field] = a.Default
			continue
		}
		switch a.Kind {
		case attrs.String:
			s, _ := v.(string)
			if a.Required && strings.TrimSpace(s) == "" {
				return nil, errorf(http.StatusBadRequest, invalidValue, a.Path+" is required")
			}
			if err := checkLength(a, s); err != nil {
				return nil, err
			}
			out[a.Field] = s
		case attrs.Bool:
			b, _ := v.(bool)
			out[a.Field] = b
		case attrs.MultiValued:
			var values []schematype.MultiValue
			bad = decode(bad, a.Path, v, &values)
			for _, mv := range values {
				if err := checkLength(a, mv.Value); err != nil {
					return nil, err
				}
			}
			out[a.Field] = values
			if a.Primary != "" {
				out[a.Primary] = primaryValue(values)
			}
		case attrs.Addresses:
			var values []schematype.Address
			bad = decode(bad, a.Path, v, &values)
			out[a.Field] = values
		default:
			return nil, fmt.Errorf("attribute %s: kind %d cannot be written", a.Path, a.Kind)
		}
	}
	if bad != nil {
		return nil, errorf(http.StatusBadRequest, invalidValue, bad.Error())
	}
	raw := make(map[string]any, len(doc))
	for k, v := range doc {
		if !slices.Contains(t.Omit, k) {
			raw[k] = v
		}
	}
	out[t.Raw] = raw
	return out, nil
}

// checkLength refuses, with 400 invalidValue, a value longer than the
// attribute's limit.
func checkLength[E any](a *attrs.Attr[E], s string) error {
	if n := a.MaxBytes(); n > 0 && len(s) > n {
		return errorf(http.StatusBadRequest, invalidValue,
			fmt.Sprintf("%s: %d bytes; at most %d are stored", a.Path, len(s), n))
	}
	return nil
}

// docValue reads attribute a from a canonical document; ok is false when
// the document lacks it (or a non-object stands where its parent should).
// A boolean of the wrong type counts as absent, as the canonical form has
// converted the string booleans providers send.
// heldAsNull reports whether doc holds attribute a as null (unassigned).
func heldAsNull[E any](t *attrs.Table[E], doc map[string]any, a *attrs.Attr[E]) bool {
	if t.Extension(a) {
		doc, _ = doc[a.Schema].(map[string]any)
	}
	name, sub := a.Split()
	if sub != "" {
		doc, _ = doc[name].(map[string]any)
		name = sub
	}
	v, ok := doc[name]
	return ok && v == nil
}

func docValue[E any](t *attrs.Table[E], doc map[string]any, a *attrs.Attr[E]) (v any, ok bool) {
	if t.Extension(a) {
		doc, _ = doc[a.Schema].(map[string]any)
	}
	name, sub := a.Split()
	if sub != "" {
		doc, _ = doc[name].(map[string]any)
		name = sub
	}
	v, ok = doc[name]
	if a.Kind == attrs.Bool {
		_, ok = v.(bool)
	}
	return v, ok
}

// decode converts v into dst unless an earlier attribute already failed,
// and returns the first failure, naming the attribute.
func decode(bad error, path string, v, dst any) error {
	if bad != nil {
		return bad
	}
	if err := convert(v, dst); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// convert re-decodes a canonical JSON value into a typed Go value.
func convert(v any, dst any) error {
	if v == nil {
		return nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode: %w", err)
	}
	if err := json.Unmarshal(b, dst); err != nil {
		return fmt.Errorf("unexpected shape: %w", err)
	}
	return nil
}

// primaryValue is the primary value of a multi-valued attribute, or its
// first value when none is marked primary.
func primaryValue(values []schematype.MultiValue) string {
	for _, v := range values {
		if v.Primary {
			return v.Value
		}
	}
	if len(values) > 0 {
		return values[0].Value
	}
	return ""
}
