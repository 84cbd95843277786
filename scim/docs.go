package scim

import (
	"encoding/json"
	"fmt"
	"reflect"
)

// jsonDoc round-trips a document through JSON so it holds only the generic
// types (map[string]any, []any, string, float64, bool) PATCH works on.
func jsonDoc(doc map[string]any) (map[string]any, error) {
	b, err := json.Marshal(doc)
	if err != nil {
		return nil, fmt.Errorf("encode document: %w", err)
	}
	var out map[string]any
	if err := json.Unmarshal(b, &out); err != nil {
		return nil, fmt.Errorf("decode document: %w", err)
	}
	return out, nil
}

// sameDoc reports whether two resource documents hold the same attributes,
// ignoring what the server computes (id, meta, groups, schemas).
func sameDoc(stored, next map[string]any) (bool, error) {
	a, err := jsonDoc(stored)
	if err != nil {
		return false, err
	}
	b, err := jsonDoc(next)
	if err != nil {
		return false, err
	}
	for _, k := range []string{"id", "meta", "groups", "schemas", "members"} {
		delete(a, k)
		delete(b, k)
	}
	if _, ok := a["active"]; !ok {
		a["active"] = nil // a stored document shows active unless unassigned
	}
	if _, ok := b["active"]; !ok {
		b["active"] = true // absent means active, as setUser stores it
	}
	return reflect.DeepEqual(a, b), nil
}
