package auth

import (
	"sync"
	"time"

	"github.com/google/uuid"
)

// maxRemembered bounds the throttle's memory: past it, credentials not
// seen for an interval are forgotten.
const maxRemembered = 100_000

// throttle decides when a "last used" timestamp is worth writing: a
// credential used a thousand times a minute is written once a minute, so
// authenticated reads do not each become a database write. It remembers, per
// credential, when a write was last allowed, and is safe for concurrent use.
// Each process keeps its own memory: with several replicas a credential is
// written at most once per interval by each.
type throttle struct {
	interval time.Duration
	mu       sync.Mutex
	last     map[uuid.UUID]time.Time
}

func newThrottle(interval time.Duration) *throttle {
	return &throttle{interval: interval, last: map[uuid.UUID]time.Time{}}
}

// due reports whether a write for key is due at now, and if so records it.
func (t *throttle) due(key uuid.UUID, now time.Time) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if prev, ok := t.last[key]; ok && now.Sub(prev) < t.interval {
		return false
	}
	t.last[key] = now
	if len(t.last) > maxRemembered {
		t.forget(now)
	}
	return true
}

// forget drops keys not seen for an interval, bounding memory when many
// keys come and go.
func (t *throttle) forget(now time.Time) {
	for k, at := range t.last {
		if now.Sub(at) >= t.interval {
			delete(t.last, k)
		}
	}
}
