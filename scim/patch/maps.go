package patch

import (
	"slices"
	"strings"
)

// Attribute names are case-insensitive (RFC 7643 §2.1), so documents are
// read with any spelling of a key and written with the schema's spelling.

// getKey returns the value under name in m, whatever the key's letter case.
func getKey(m map[string]any, name string) (any, bool) {
	if v, ok := m[name]; ok {
		return v, true
	}
	for k, v := range m {
		if strings.EqualFold(k, name) {
			return v, true
		}
	}
	return nil, false
}

// setKey stores v under name, removing any key that differs only in case.
// When name itself is present the other spellings are not looked for: a
// document holds one spelling of each attribute, and the scan is the
// costliest step of a small PATCH.
func setKey(m map[string]any, name string, v any) {
	if _, ok := m[name]; !ok {
		delKey(m, name)
	}
	m[name] = v
}

// delKey removes name from m in every letter case.
func delKey(m map[string]any, name string) {
	for k := range m {
		if strings.EqualFold(k, name) {
			delete(m, k)
		}
	}
}

// getMap returns the object under name, or nil when there is none (or the
// document holds something else there).
func getMap(m map[string]any, name string) map[string]any {
	v, _ := getKey(m, name)
	obj, _ := v.(map[string]any)
	return obj
}

// getList returns the array under name; a document built by hand may hold
// other slice types, which are normalised first.
func getList(m map[string]any, name string) []any {
	v, ok := getKey(m, name)
	if !ok || v == nil {
		return nil
	}
	if list, ok := v.([]any); ok {
		return list
	}
	if n, err := normalize(v); err == nil {
		list, _ := n.([]any)
		return list
	}
	return nil
}

// addSchema lists urn in the document's "schemas" when the document has
// that member (a document without it is left without it).
func addSchema(doc map[string]any, urn string) {
	v, ok := doc["schemas"]
	if !ok {
		return
	}
	switch list := v.(type) {
	case []any:
		for _, s := range list {
			if s, ok := s.(string); ok && strings.EqualFold(s, urn) {
				return
			}
		}
		doc["schemas"] = append(list, urn)
	case []string:
		if !slices.ContainsFunc(list, func(s string) bool { return strings.EqualFold(s, urn) }) {
			doc["schemas"] = append(list, urn)
		}
	}
}

// removeSchema drops urn from the document's "schemas".
func removeSchema(doc map[string]any, urn string) {
	switch list := doc["schemas"].(type) {
	case []any:
		doc["schemas"] = slices.DeleteFunc(slices.Clone(list), func(v any) bool {
			s, ok := v.(string)
			return ok && strings.EqualFold(s, urn)
		})
	case []string:
		doc["schemas"] = slices.DeleteFunc(slices.Clone(list), func(s string) bool { return strings.EqualFold(s, urn) })
	}
}
