// Package throttle decides when a "last used" timestamp is worth writing:
// a token used a thousand times a minute is written once a minute, so
// authenticated reads do not each become a database write.
package throttle

import (
	"sync"
	"time"

	"github.com/google/uuid"
)

// Throttle remembers, per key, when a write was last allowed. It is safe
// for concurrent use. Each process keeps its own memory: with several
// replicas a key is written at most once per interval by each.
type Throttle struct {
	interval time.Duration
	mu       sync.Mutex
	last     map[uuid.UUID]time.Time
}

// New returns a Throttle allowing one write per key per interval.
func New(interval time.Duration) *Throttle {
	return &Throttle{interval: interval, last: map[uuid.UUID]time.Time{}}
}

// Due reports whether a write for key is due at now, and if so records it.
func (t *Throttle) Due(key uuid.UUID, now time.Time) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if prev, ok := t.last[key]; ok && now.Sub(prev) < t.interval {
		return false
	}
	t.last[key] = now
	if len(t.last) > 100_000 {
		t.forget(now)
	}
	return true
}

// forget drops keys not seen for an interval, bounding memory when many
// keys come and go.
func (t *Throttle) forget(now time.Time) {
	for k, at := range t.last {
		if now.Sub(at) >= t.interval {
			delete(t.last, k)
		}
	}
}
