package scim

import (
	"context"
	"fmt"
	"sync"

	"github.com/google/uuid"
)

// memberReads bounds the member pages (memberPageSize rows read and
// encoded) that the group responses of one directory read at once. A
// client that never reads its response cannot hold a database connection
// (pages are read between writes), but the kernel's socket buffers take a
// few megabytes of each response before its writes block: 40 such clients
// of a 40,000-member group made the server read nearly 40 groups whole at
// once, every core busy and another tenant's GET waiting 2 s. With a few
// page reads per directory at a time, one directory's group reads take at
// most that share of the database and the CPU, whoever asks.
type memberReads struct {
	per int

	mu   sync.Mutex
	dirs map[uuid.UUID]*readSlot
}

// readSlot is one directory's semaphore, dropped when no request holds or
// waits for it.
type readSlot struct {
	sem   chan struct{}
	users int
}

// newMemberReads returns the bound of per page reads per directory.
func newMemberReads(per int) *memberReads {
	return &memberReads{per: per, dirs: map[uuid.UUID]*readSlot{}}
}

// acquire waits for one of dir's slots, until ctx ends, and returns its
// release.
func (m *memberReads) acquire(ctx context.Context, dir uuid.UUID) (func(), error) {
	m.mu.Lock()
	s := m.dirs[dir]
	if s == nil {
		s = &readSlot{sem: make(chan struct{}, m.per)}
		m.dirs[dir] = s
	}
	s.users++
	m.mu.Unlock()
	done := func() {
		m.mu.Lock()
		if s.users--; s.users == 0 {
			delete(m.dirs, dir)
		}
		m.mu.Unlock()
	}
	select {
	case s.sem <- struct{}{}:
		return func() { <-s.sem; done() }, nil
	case <-ctx.Done():
		done()
		return nil, fmt.Errorf("read members: wait for the directory's member reads: %w", ctx.Err())
	}
}
