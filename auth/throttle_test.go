package auth

import (
	"testing"
	"time"

	"github.com/google/uuid"
)

func TestThrottleDue(t *testing.T) {
	th := newThrottle(time.Minute)
	a, b := uuid.New(), uuid.New()
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	steps := []struct {
		key  uuid.UUID
		at   time.Duration
		want bool
	}{
		{a, 0, true},
		{a, 10 * time.Second, false},
		{b, 10 * time.Second, true},
		{a, 59 * time.Second, false},
		{a, 60 * time.Second, true},
		{a, 61 * time.Second, false},
		{b, 70 * time.Second, true},
	}
	for i, s := range steps {
		if got := th.due(s.key, t0.Add(s.at)); got != s.want {
			t.Fatalf("step %d: due = %v; want %v", i, got, s.want)
		}
	}
}

func TestThrottleForgetBoundsMemory(t *testing.T) {
	th := newThrottle(time.Second)
	t0 := time.Now()
	for i := 0; i <= maxRemembered; i++ {
		th.due(uuid.New(), t0)
	}
	th.due(uuid.New(), t0.Add(2*time.Second))
	if n := len(th.last); n != 1 {
		t.Fatalf("%d keys remembered after they all expired; want 1", n)
	}
}
