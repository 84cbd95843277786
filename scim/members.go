package scim

import (
	"github.com/google/uuid"

	"github.com/acme/directory/domain"
	"github.com/acme/directory/scim/patch"
)

// memberOps are the domain operations of PATCH's member change kinds.
var memberOps = map[string]domain.MemberOp{
	"add": domain.AddMembers, "remove": domain.RemoveMembers, "replace": domain.ReplaceMembers,
}

// memberChanges turns PATCH member changes into the domain's. Values that
// are not UUIDs cannot name a user of this server: they are skipped like
// unknown ids.
func memberChanges(changes []patch.MemberChange) []domain.MemberChange {
	out := make([]domain.MemberChange, len(changes))
	for i, ch := range changes {
		out[i] = domain.MemberChange{Op: memberOps[ch.Kind], IDs: parseIDs(ch.IDs)}
	}
	return out
}

// parseIDs keeps the values that are UUIDs, once each.
func parseIDs(values []string) []uuid.UUID {
	seen := make(map[uuid.UUID]bool, len(values))
	ids := make([]uuid.UUID, 0, len(values))
	for _, v := range values {
		if id, err := uuid.Parse(v); err == nil && !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	return ids
}
