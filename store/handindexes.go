package store

import (
	"strings"

	atlas "ariga.io/atlas/sql/schema"
	entschema "entgo.io/ent/dialect/sql/schema"
)

// HandIndexSuffix ends the names of the indexes that hand-written
// migrations add and the ent schema cannot describe (PostgreSQL's trigram
// indexes of migration user_search_trigrams): a diff against the ent
// schema never drops them.
const HandIndexSuffix = "_trgm"

// KeepHandIndexes is the diff hook (schema.WithDiffHook) that removes from
// a diff against the ent schema the drops of hand-written indexes (see
// HandIndexSuffix), and the table changes it leaves empty. The migration
// generator and the test that the migrations match the schema use it.
func KeepHandIndexes(next entschema.Differ) entschema.Differ {
	return entschema.DiffFunc(func(current, desired *atlas.Schema) ([]atlas.Change, error) {
		changes, err := next.Diff(current, desired)
		if err != nil {
			return nil, err
		}
		out := changes[:0]
		for _, c := range changes {
			if m, ok := c.(*atlas.ModifyTable); ok {
				kept := m.Changes[:0]
				for _, tc := range m.Changes {
					if d, ok := tc.(*atlas.DropIndex); ok && strings.HasSuffix(d.I.Name, HandIndexSuffix) {
						continue
					}
					kept = append(kept, tc)
				}
				if m.Changes = kept; len(kept) == 0 {
					continue
				}
			}
			out = append(out, c)
		}
		return out, nil
	})
}
