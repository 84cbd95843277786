package domain

// The effect of a request: what its operations changed, tallied from the
// events they recorded (record), so the SCIM request log can say "user
// created" or "3 members added" without reading anything again. A request
// asks for a tally with WithEffect; operations without one tally nothing.
//
// Batched writes (commit.go) run in the context of the batch's first
// write, so the batch's transaction tallies nothing (batchContext drops the
// tally) and each write's own share is tallied into its own tally once the
// batch has written it (provision.go, batch.go).

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"

	"github.com/google/uuid"

	"github.com/acme/directory/events"
)

// Effect is the tally of the events a request's operations recorded. It
// is safe for concurrent use.
type Effect struct {
	mu       sync.Mutex
	counts   map[string]int
	userID   *uuid.UUID
	userName string
}

type effectKey struct{}

// WithEffect returns ctx carrying a new, empty tally, which every
// operation run with the context adds its events to.
func WithEffect(ctx context.Context) (context.Context, *Effect) {
	e := &Effect{}
	return context.WithValue(ctx, effectKey{}, e), e
}

// effectOf is ctx's tally, or nil.
func effectOf(ctx context.Context) *Effect {
	e, _ := ctx.Value(effectKey{}).(*Effect)
	return e
}

// withoutEffect is ctx tallying nothing: the context of a batch, whose
// writes tally their own shares.
func withoutEffect(ctx context.Context) context.Context {
	return context.WithValue(ctx, effectKey{}, (*Effect)(nil))
}

// note adds changes to the tally; the first user changed is the one the
// request was about.
func (e *Effect) note(changes []change) {
	if e == nil || len(changes) == 0 {
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, c := range changes {
		e.addLocked(c.payload.EventType(), 1)
		if u, ok := payloadUser(c.payload); ok && e.userID == nil {
			id := u.ID
			e.userID, e.userName = &id, u.UserName
		}
	}
}

// add adds n events of type typ.
func (e *Effect) add(typ string, n int) {
	if e == nil || n == 0 {
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.addLocked(typ, n)
}

func (e *Effect) addLocked(typ string, n int) {
	if e.counts == nil {
		e.counts = map[string]int{}
	}
	e.counts[typ] += n
}

// reset forgets the tally: a batch's transaction failed and its writes
// are written again, one by one.
func (e *Effect) reset() {
	if e == nil {
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.counts, e.userID, e.userName = nil, nil, ""
}

// Changes is how many events of each type were recorded; nil when none.
func (e *Effect) Changes() map[string]int {
	if e == nil {
		return nil
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	return maps.Clone(e.counts)
}

// User is the first user the events were about, if any: its id and
// userName.
func (e *Effect) User() (*uuid.UUID, string) {
	if e == nil {
		return nil, ""
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.userID, e.userName
}

// payloadUser is the user of a user event's payload.
func payloadUser(p events.Payload) (events.User, bool) {
	switch p := p.(type) {
	case events.UserCreated:
		return p.User, true
	case events.UserUpdated:
		return p.User, true
	case events.UserDeactivated:
		return p.User, true
	case events.UserReactivated:
		return p.User, true
	case events.UserDeleted:
		return p.User, true
	}
	return events.User{}, false
}

// effectWords are the words of each event type, singular and plural.
var effectWords = map[string][2]string{
	events.TypeUserCreated:       {"user created", "users created"},
	events.TypeUserUpdated:       {"user updated", "users updated"},
	events.TypeUserDeactivated:   {"user deactivated", "users deactivated"},
	events.TypeUserReactivated:   {"user reactivated", "users reactivated"},
	events.TypeUserDeleted:       {"user deleted", "users deleted"},
	events.TypeUserRolesChanged:  {"user's roles changed", "users' roles changed"},
	events.TypeGroupCreated:      {"group created", "groups created"},
	events.TypeGroupUpdated:      {"group updated", "groups updated"},
	events.TypeGroupDeleted:      {"group deleted", "groups deleted"},
	events.TypeGroupUserAdded:    {"member added", "members added"},
	events.TypeGroupUserRemoved:  {"member removed", "members removed"},
	events.TypeGroupRolesChanged: {"group's roles changed", "groups' roles changed"},
}

// EffectWords says what changes (event type: count) did, in the order of
// the catalogue's types: "user created", "3 members added, 1 member
// removed". Empty when nothing changed.
func EffectWords(changes map[string]int) string {
	types := slices.Sorted(maps.Keys(changes))
	slices.SortStableFunc(types, func(a, b string) int { return effectOrder(a) - effectOrder(b) })
	parts := make([]string, 0, len(types))
	for _, t := range types {
		n := changes[t]
		if n <= 0 {
			continue
		}
		w, ok := effectWords[t]
		if !ok {
			w = [2]string{t, t}
		}
		if n == 1 {
			parts = append(parts, w[0])
		} else {
			parts = append(parts, fmt.Sprintf("%d %s", n, w[1]))
		}
	}
	return strings.Join(parts, ", ")
}

// effectOrder puts creations before updates before memberships before
// role changes before deletions.
func effectOrder(typ string) int {
	for i, t := range []string{events.TypeUserCreated, events.TypeGroupCreated, events.TypeUserUpdated,
		events.TypeGroupUpdated, events.TypeUserDeactivated, events.TypeUserReactivated,
		events.TypeGroupUserAdded, events.TypeGroupUserRemoved, events.TypeUserRolesChanged,
		events.TypeGroupRolesChanged, events.TypeUserDeleted, events.TypeGroupDeleted} {
		if t == typ {
			return i
		}
	}
	return 100
}
