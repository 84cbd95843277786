package throttle

import (
	"testing"
	"time"

	"github.com/google/uuid"
)

func TestDue(t *testing.T) {
	th := New(time.Minute)
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
		if got := th.Due(s.key, t0.Add(s.at)); got != s.want {
			t.Fatalf("step %d: Due = %v; want %v", i, got, s.want)
		}
	}
}

func TestForgetBoundsMemory(t *testing.T) {
	th := New(time.Second)
	t0 := time.Now()
	for i := 0; i <= 100_000; i++ {
		th.Due(uuid.New(), t0)
	}
	th.Due(uuid.New(), t0.Add(2*time.Second))
	if n := len(th.last); n != 1 {
		t.Fatalf("%d keys remembered after they all expired; want 1", n)
	}
}
