package scim

import (
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/acme/directory/ent"
	"github.com/acme/directory/scim/attrs"
	"github.com/acme/directory/scim/schema"
)

// appendUser appends the JSON of the document userDoc renders (the same
// attributes and values), written directly: a user read by id or by
// userName, the hottest answers, spent more on building the document as
// maps and encoding them by reflection than on reading the row. It serves
// requests without attributes / excludedAttributes; a selection works on
// userDoc's maps. TestAppendUser holds the two equal.
func appendUser(buf []byte, u *ent.User, groups []groupRef, base string) []byte {
	t := attrs.User
	raw := t.GetRaw(u)
	unknown := unknownExtensions(raw)
	buf = append(buf, `{"schemas":[`...)
	buf = appendJSONString(buf, schema.UserURN)
	for _, x := range t.Type.Extensions {
		if hasExtension(t, u, x.ID) {
			buf = append(buf, ',')
			buf = appendJSONString(buf, x.ID)
		}
	}
	for _, k := range unknown {
		buf = append(buf, ',')
		buf = appendJSONString(buf, k)
	}
	buf = append(buf, `],"id":"`...)
	buf = append(buf, u.ID.String()...) // a UUID: nothing to escape
	buf = append(buf, '"')
	buf = appendAttrs(buf, t, u, base)
	if len(groups) > 0 {
		buf = append(buf, `,"groups":[`...)
		for i, g := range groups {
			if i > 0 {
				buf = append(buf, ',')
			}
			buf = append(buf, `{"value":`...)
			buf = appendJSONString(buf, g.ID)
			buf = append(buf, `,"display":`...)
			buf = appendJSONString(buf, g.Name)
			buf = append(buf, `,"type":"direct","$ref":`...)
			buf = appendJSONString(buf, base+"/Groups/"+g.ID)
			buf = append(buf, '}')
		}
		buf = append(buf, ']')
	}
	for _, k := range unknown {
		buf = append(buf, ',')
		buf = appendJSONString(buf, k)
		buf = append(buf, ':')
		buf = appendJSONValue(buf, raw[k])
	}
	buf = append(buf, `,"meta":`...)
	buf = appendMeta(buf, "User", base+"/Users/"+u.ID.String(), u.CreatedAt, u.UpdatedAt, u.Version)
	return append(buf, '}')
}

// unknownExtensions are the keys of raw naming extensions this server has
// no columns for, in order: what keepUnknownExtensions copies.
func unknownExtensions(raw map[string]any) []string {
	var out []string
	for k := range raw {
		if strings.HasPrefix(strings.ToLower(k), "urn:") && !isKnownSchema(k) {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out
}

// hasExtension reports whether e holds a value of an attribute of the
// extension urn (renderAttrs then adds its object).
func hasExtension[E any](t *attrs.Table[E], e E, urn string) bool {
	for i := range t.Attrs {
		a := &t.Attrs[i]
		if a.Get != nil && a.Schema == urn && t.Extension(a) && shown(t, e, a, a.Get(e)) {
			return true
		}
	}
	return false
}

// appendAttrs appends, each after a comma, the attributes renderAttrs puts
// in a document: an extension's in an object keyed by its URN, the
// sub-attributes of one attribute in its object. The table lists each
// extension's attributes, and each attribute's sub-attributes, together.
func appendAttrs[E any](buf []byte, t *attrs.Table[E], e E, base string) []byte {
	var ext, parent string // the objects open, "" for none
	open := false          // an object was just opened: no comma before its first member
	for i := range t.Attrs {
		a := &t.Attrs[i]
		if a.Get == nil {
			continue
		}
		v := a.Get(e)
		if !shown(t, e, a, v) {
			continue
		}
		x := ""
		if t.Extension(a) {
			x = a.Schema
		}
		name, sub := a.Split()
		p := ""
		if sub != "" {
			p, name = name, sub
		}
		if parent != "" && (p != parent || x != ext) {
			buf, parent = append(buf, '}'), ""
		}
		if ext != "" && x != ext {
			buf, ext = append(buf, '}'), ""
		}
		if x != ext {
			buf = appendKey(buf, x, open)
			buf, ext, open = append(buf, '{'), x, true
		}
		if p != parent {
			buf = appendKey(buf, p, open)
			buf, parent, open = append(buf, '{'), p, true
		}
		buf = appendKey(buf, name, open)
		open = false
		buf = appendJSONValue(buf, v)
		if a.Ref != "" {
			buf = appendKey(buf, "$ref", false)
			buf = appendJSONString(buf, base+"/"+a.Ref+"/"+v.(string))
		}
	}
	if parent != "" {
		buf = append(buf, '}')
	}
	if ext != "" {
		buf = append(buf, '}')
	}
	return buf
}

// appendKey appends `,"key":`, without the comma when first.
func appendKey(buf []byte, key string, first bool) []byte {
	if !first {
		buf = append(buf, ',')
	}
	buf = appendJSONString(buf, key)
	return append(buf, ':')
}

// appendJSONValue appends v as encoding/json writes it.
func appendJSONValue(buf []byte, v any) []byte {
	switch x := v.(type) {
	case string:
		return appendJSONString(buf, x)
	case bool:
		return strconv.AppendBool(buf, x)
	}
	b, err := json.Marshal(v)
	if err != nil {
		return append(buf, "null"...) // stored values always encode: they were decoded from JSON
	}
	return append(buf, b...)
}

// appendMeta appends the object meta returns.
func appendMeta(buf []byte, resourceType, location string, created, updated time.Time, version int) []byte {
	buf = append(buf, `{"resourceType":`...)
	buf = appendJSONString(buf, resourceType)
	buf = append(buf, `,"location":`...)
	buf = appendJSONString(buf, location)
	buf = append(buf, `,"version":`...)
	buf = appendJSONString(buf, etag(version))
	buf = append(buf, `,"created":"`...)
	buf = created.UTC().AppendFormat(buf, time.RFC3339Nano)
	buf = append(buf, `","lastModified":"`...)
	buf = updated.UTC().AppendFormat(buf, time.RFC3339Nano)
	return append(buf, `"}`...)
}
