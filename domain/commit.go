package domain

// Group commit: writes that arrive while an earlier one of the same kind
// and key is being written wait, and are then written together, in one
// transaction, by the oldest of them; each keeps its own result. The first
// write of a key is written at once, alone: one client pays nothing, many
// share their round trips and their locks. batch.go (updates of one group)
// and provision.go (new users of one directory) use it.

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// batchMax bounds the writes one transaction carries.
const batchMax = 64

// queued is one write waiting in a groupCommit.
type queued[T failer] struct {
	w T
	// ctx is the caller's: its viewer writes the batch.
	ctx context.Context
	// done is closed when w's result is set; lead when this write must
	// write batch, handed over by the previous writer.
	done, lead chan struct{}
	batch      []*queued[T]
}

// failer is a write that can be told it failed: what a batch's writes
// are told when writing them panicked.
type failer interface{ fail(error) }

// groupCommit queues the writes of each key while one is being written.
type groupCommit[T failer] struct {
	mu sync.Mutex
	// waiting has an entry (possibly empty) while a write of the key is
	// being written.
	waiting map[any][]*queued[T]
}

// do writes w, with the writes of key that arrive while one is being
// written: write is called with each batch, in arrival order, and must set
// every write's result before it returns. do returns once w's result is
// set.
func (gc *groupCommit[T]) do(ctx context.Context, key any, w T, write func(batch []*queued[T])) {
	q := &queued[T]{w: w, ctx: ctx, done: make(chan struct{}), lead: make(chan struct{})}
	gc.mu.Lock()
	if gc.waiting == nil {
		gc.waiting = map[any][]*queued[T]{}
	}
	if waiting, busy := gc.waiting[key]; busy {
		gc.waiting[key] = append(waiting, q)
		gc.mu.Unlock()
		select {
		case <-q.done:
			return
		case <-q.lead:
		}
	} else {
		gc.waiting[key] = nil
		gc.mu.Unlock()
		q.batch = []*queued[T]{q}
	}
	defer gc.next(key, q)
	write(q.batch)
}

// next ends q's batch: it tells the batch's other writes their results
// are set (or, when writing panicked, that they failed), and hands the next
// batch of key to the oldest waiting write, or ends the key. A panic goes
// on up q's caller once no write is left waiting for it.
func (gc *groupCommit[T]) next(key any, q *queued[T]) {
	if r := recover(); r != nil {
		for _, b := range q.batch {
			b.w.fail(fmt.Errorf("domain: writing a batch panicked: %v", r))
		}
		defer panic(r)
	}
	for _, b := range q.batch {
		if b != q {
			close(b.done)
		}
	}
	gc.mu.Lock()
	if waiting := gc.waiting[key]; len(waiting) == 0 {
		delete(gc.waiting, key)
	} else {
		n := min(len(waiting), batchMax)
		waiting[0].batch = waiting[:n:n]
		gc.waiting[key] = waiting[n:]
		close(waiting[0].lead)
	}
	gc.mu.Unlock()
}

// batchContext is the context of a batch's transaction: the viewer of its
// first write (every write of a batch has the same), not cancelled when
// one caller goes away, with the latest deadline of the batch, if each has
// one.
func batchContext[T failer](batch []*queued[T]) (context.Context, context.CancelFunc) {
	ctx := withoutEffect(context.WithoutCancel(batch[0].ctx))
	var latest time.Time
	for _, q := range batch {
		d, ok := q.ctx.Deadline()
		if !ok {
			return context.WithCancel(ctx)
		}
		if d.After(latest) {
			latest = d
		}
	}
	return context.WithDeadline(ctx, latest)
}

// actorKey is the credential of ctx's viewer: writes share a transaction
// only with writes of the same credential (the viewer and the events'
// actor are the batch's).
type actorKey struct {
	typ string
	id  string
}

func actorOf(ctx context.Context) actorKey {
	typ, id := actor(ctx)
	if id == nil {
		return actorKey{typ: typ}
	}
	return actorKey{typ: typ, id: id.String()}
}
