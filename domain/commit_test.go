package domain

import (
	"context"
	"sync"
	"testing"
	"time"
)

// write is a write of the group-commit tests: written says by which
// batch, err how it failed.
type write struct {
	written int
	err     error
}

func (w *write) fail(err error) { w.err = err }

// TestGroupCommitHandsOver: writes that arrive while one is written are
// written next, together; a batch whose writing panics fails its own
// writes, and the key is handed on, not left blocked.
func TestGroupCommitHandsOver(t *testing.T) {
	var gc groupCommit[*write]
	ctx := context.Background()
	release := make(chan struct{})
	batches := 0
	var mu sync.Mutex
	write1 := func(batch []*queued[*write]) {
		<-release
		panic("boom")
	}
	writeN := func(batch []*queued[*write]) {
		mu.Lock()
		batches++
		n := batches
		mu.Unlock()
		for _, q := range batch {
			q.w.written = n
		}
	}
	first := &write{}
	panicked := make(chan any)
	go func() {
		defer func() { panicked <- recover() }()
		gc.do(ctx, "k", first, write1)
	}()
	for { // the first write is being written
		gc.mu.Lock()
		_, busy := gc.waiting["k"]
		gc.mu.Unlock()
		if busy {
			break
		}
		time.Sleep(time.Millisecond)
	}
	waiting := make([]*write, 3)
	var wg sync.WaitGroup
	for i := range waiting {
		waiting[i] = &write{}
		wg.Add(1)
		go func() { defer wg.Done(); gc.do(ctx, "k", waiting[i], writeN) }()
	}
	for { // all three are queued
		gc.mu.Lock()
		n := len(gc.waiting["k"])
		gc.mu.Unlock()
		if n == len(waiting) {
			break
		}
		time.Sleep(time.Millisecond)
	}
	close(release)
	if r := <-panicked; r != "boom" {
		t.Fatalf("the panic reached its caller as %v", r)
	}
	wg.Wait()
	if first.err == nil {
		t.Error("the write whose batch panicked was not told it failed")
	}
	for i, w := range waiting {
		if w.written != 1 || w.err != nil {
			t.Errorf("waiting write %d: batch %d, err %v; want all three in batch 1", i, w.written, w.err)
		}
	}
	gc.mu.Lock()
	_, busy := gc.waiting["k"]
	gc.mu.Unlock()
	if busy {
		t.Fatal("the key is still marked busy")
	}
	last := &write{}
	gc.do(ctx, "k", last, writeN)
	if last.written != 2 {
		t.Fatalf("a later write was written in batch %d; want 2", last.written)
	}
}
