package tableid

import (
	"slices"
	"testing"

	"github.com/google/uuid"
)

func TestNewAndOf(t *testing.T) {
	for _, tag := range []Tag{Organization, Directory, DirectoryToken, User, Group, Role, APIKey, WebhookEndpoint, WebhookDelivery, 255} {
		ids := make([]uuid.UUID, 100)
		for i := range ids {
			ids[i] = New(tag)
			if ids[i].Version() != 8 || ids[i].Variant() != uuid.RFC4122 {
				t.Fatalf("tag %d: %s is version %d, variant %s; want 8, RFC 4122", tag, ids[i], ids[i].Version(), ids[i].Variant())
			}
			if got, ok := Of(ids[i]); !ok || got != tag {
				t.Fatalf("Of(New(%d)) = %d, %v", tag, got, ok)
			}
			if back, err := uuid.Parse(ids[i].String()); err != nil || back != ids[i] {
				t.Fatalf("%s does not round-trip as text: %v", ids[i], err)
			}
		}
		if !slices.IsSortedFunc(ids, func(a, b uuid.UUID) int { return slices.Compare(a[:], b[:]) }) {
			t.Fatalf("tag %d: ids made one after another are not in order", tag)
		}
		if len(slices.Compact(slices.Clone(ids))) != len(ids) {
			t.Fatalf("tag %d: repeated id", tag)
		}
	}
}

func TestOfUntagged(t *testing.T) {
	v8zero := New(User)
	v8zero[9] = 0
	v8ncs := New(User)
	v8ncs[8] &= 0x3f // NCS variant
	for name, id := range map[string]uuid.UUID{
		"v7":            uuid.Must(uuid.NewV7()),
		"v4":            uuid.New(),
		"nil":           uuid.Nil,
		"zero tag":      New(0),
		"v8, tag 0":     v8zero,
		"v8, other var": v8ncs,
	} {
		if tag, ok := Of(id); ok {
			t.Errorf("%s (%s): tag %d; want none", name, id, tag)
		}
	}
	if New(0).Version() != 7 {
		t.Error("New(0) is not a version 7 UUID")
	}
}
