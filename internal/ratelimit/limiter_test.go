package ratelimit

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

// clock is a hand-moved time source for limiter tests.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *clock { return &clock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func one(b Bucket) []Need { return []Need{{b, 1}} }

// drainBucket takes every token of b and fails if the bucket held fewer.
func drainBucket(t *testing.T, l *Limiter, b Bucket) {
	t.Helper()
	for i := range int(b.Capacity) {
		if !l.TryTake(one(b)) {
			t.Fatalf("%s: call %d refused, want %v in a burst", b.Name, i+1, b.Capacity)
		}
	}
	if l.TryTake(one(b)) {
		t.Fatalf("%s: call %d accepted beyond the burst", b.Name, int(b.Capacity)+1)
	}
}

func TestTryTakeIsAllOrNothing(t *testing.T) {
	l := NewLimiterWithClock(newClock().Now)
	drainBucket(t, l, StartRequests)
	start := []Need{{StartRequests, 1}, {StartInstances, 10}}
	if l.TryTake(start) {
		t.Fatal("start accepted with an empty request bucket")
	}
	if got := l.Tokens(StartInstances); got != 1000 {
		t.Errorf("resource bucket holds %v after a refused call, want 1000 (untouched)", got)
	}
	// The other way round: request tokens left, resource bucket short.
	l = NewLimiterWithClock(newClock().Now)
	if !l.TryTake([]Need{{StopInstances, 1000}}) {
		t.Fatal("1000 stop tokens refused from a full bucket")
	}
	if l.TryTake([]Need{{MutatingRequests, 1}, {StopInstances, 1}}) {
		t.Fatal("stop accepted with an empty resource bucket")
	}
	if got := l.Tokens(MutatingRequests); got != 50 {
		t.Errorf("request bucket holds %v after a refused call, want 50", got)
	}
}

func TestRefillAfterBurst(t *testing.T) {
	c := newClock()
	l := NewLimiterWithClock(c.Now)
	drainBucket(t, l, MutatingRequests)
	c.Advance(199 * time.Millisecond) // 0.995 tokens at 5/s
	if l.TryTake(one(MutatingRequests)) {
		t.Fatal("accepted 199ms after the burst, want a whole token first (200ms at 5/s)")
	}
	c.Advance(time.Millisecond)
	if !l.TryTake(one(MutatingRequests)) {
		t.Fatal("refused 200ms after the burst; 5/s refills one token in 200ms")
	}
	if l.TryTake(one(MutatingRequests)) {
		t.Fatal("a second call accepted on one refilled token")
	}
}

func TestRefillIsCappedAtCapacityInRealTime(t *testing.T) {
	c := newClock()
	l := NewLimiterWithClock(c.Now)
	drainBucket(t, l, TagRequests)
	c.Advance(time.Hour)
	if got := l.Tokens(TagRequests); got != TagRequests.Capacity {
		t.Fatalf("after an idle hour the bucket holds %v, want its capacity %v", got, TagRequests.Capacity)
	}
	drainBucket(t, l, TagRequests)
}

func TestClockSteppingBackRefillsNothing(t *testing.T) {
	c := newClock()
	l := NewLimiterWithClock(c.Now)
	drainBucket(t, l, StartRequests)
	c.Advance(-time.Hour)
	if l.TryTake(one(StartRequests)) {
		t.Fatal("a clock stepping back refilled the bucket")
	}
}

func TestOversizedNeedWaitsForAFullBucketThenLeavesDebt(t *testing.T) {
	c := newClock()
	l := NewLimiterWithClock(c.Now)
	if !l.TryTake([]Need{{StartInstances, 1500}}) {
		t.Fatal("1500 instances refused from a full bucket of 1000: such a call could never be made")
	}
	if got := l.Tokens(StartInstances); got != -500 {
		t.Fatalf("bucket holds %v, want -500", got)
	}
	c.Advance(250 * time.Second) // back to 0
	if l.TryTake([]Need{{StartInstances, 1}}) {
		t.Fatal("accepted while the debt is not repaid")
	}
	c.Advance(500 * time.Millisecond)
	if !l.TryTake([]Need{{StartInstances, 1}}) {
		t.Fatal("refused after the debt was repaid and a token refilled")
	}
}

func TestNoNeedsAlwaysPass(t *testing.T) {
	l := NewLimiterWithClock(newClock().Now)
	for range 1000 {
		if !l.TryTake(nil) || !l.TryTake([]Need{{StartInstances, 0}}) {
			t.Fatal("a call that needs no tokens was refused")
		}
	}
}

// TestConcurrentTryTake runs with -race: exactly the burst is granted.
func TestConcurrentTryTake(t *testing.T) {
	l := NewLimiterWithClock(newClock().Now)
	var granted, stopGranted atomic.Int64
	var wg sync.WaitGroup
	for i := range 400 {
		wg.Go(func() {
			if i%2 == 0 && l.TryTake(one(MutatingRequests)) {
				granted.Add(1)
			}
			if i%2 == 1 && l.TryTake([]Need{{MutatingRequests, 1}, {StopInstances, 100}}) {
				stopGranted.Add(1)
			}
			_ = l.Tokens(StopInstances)
		})
	}
	wg.Wait()
	if got := granted.Load() + stopGranted.Load(); got != 50 {
		t.Errorf("%d calls granted, want exactly the burst of 50", got)
	}
	if got, want := l.Tokens(StopInstances), 1000-100*float64(stopGranted.Load()); got != want || got < 0 {
		t.Errorf("stop bucket holds %v, want %v (non-negative)", got, want)
	}
}

func TestWaitTakesWhenRefilled(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := NewLimiter() // time.Now is the bubble's virtual clock
		drainBucket(t, l, StartRequests)
		start := time.Now()
		if err := l.Wait(t.Context(), []Need{{StartRequests, 1}, {StartInstances, 3}}); err != nil {
			t.Fatal(err)
		}
		if got, want := time.Since(start), 500*time.Millisecond; got != want {
			t.Errorf("waited %v, want %v (one token at 2/s)", got, want)
		}
		if got := l.Tokens(StartInstances); got != 997 {
			t.Errorf("resource bucket holds %v after Wait, want 997", got)
		}
	})
}

func TestWaitHonoursContext(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := NewLimiter()
		drainBucket(t, l, MutatingRequests)
		ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
		defer cancel()
		start := time.Now()
		err := l.Wait(ctx, one(MutatingRequests))
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Wait = %v, want the context's deadline", err)
		}
		if got := time.Since(start); got != 100*time.Millisecond {
			t.Errorf("Wait returned after %v, want at the 100ms deadline", got)
		}
		// Nothing was taken by the abandoned Wait: the refill since the
		// burst is still there.
		if got := l.Tokens(MutatingRequests); got != 0.5 {
			t.Errorf("bucket holds %v, want 0.5 (nothing taken)", got)
		}
	})
}

func TestWaitReturnsTheCancelCause(t *testing.T) {
	l := NewLimiter()
	cause := errors.New("operator pressed Ctrl-C")
	ctx, cancel := context.WithCancelCause(t.Context())
	cancel(cause)
	if err := l.Wait(ctx, one(MutatingRequests)); !errors.Is(err, cause) {
		t.Fatalf("Wait = %v, want the cause %v", err, cause)
	}
	if got := l.Tokens(MutatingRequests); got != 50 {
		t.Errorf("a cancelled Wait took tokens: %v left", got)
	}
}
