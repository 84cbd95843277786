package scim

// This file is temporary: it keeps scim/users.go building while it still
// writes through ent mutations. The domain package takes over applying
// userFields and groupFields; delete the file when merging.

import (
	"fmt"
	"maps"
	"slices"

	"github.com/acme/directory/ent"
)

// setUser writes a canonical user document into a create or update
// mutation, through userFields.
func setUser(m *ent.UserMutation, doc map[string]any) error {
	fields, err := userFields(doc)
	if err != nil {
		return err
	}
	return applyFields(m, fields)
}

// setGroupFields is setGroup (scim/groups.go) through groupFields.
func setGroupFields(m *ent.GroupMutation, doc map[string]any) error {
	fields, err := groupFields(doc)
	if err != nil {
		return err
	}
	return applyFields(m, fields)
}

// fieldMutation is the part of a generated ent mutation applyFields uses.
type fieldMutation interface {
	Op() ent.Op
	SetField(name string, value ent.Value) error
	ClearField(name string) error
}

// applyFields sets each field of fields on m; an empty string clears the
// field of an update and leaves a created one unset.
func applyFields(m fieldMutation, fields map[string]any) error {
	for _, name := range slices.Sorted(maps.Keys(fields)) {
		v := fields[name]
		if v == "" {
			if m.Op().Is(ent.OpUpdateOne) {
				if err := m.ClearField(name); err != nil {
					return fmt.Errorf("clear %s: %w", name, err)
				}
			}
			continue
		}
		if err := m.SetField(name, v); err != nil {
			return fmt.Errorf("set %s: %w", name, err)
		}
	}
	return nil
}
