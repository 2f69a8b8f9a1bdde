package ec2

import (
	"testing"
	"time"

	"gameday/internal/fleet"
	"gameday/internal/ratelimit"
	"gameday/internal/sim"
)

// These tests run against the simulator with EC2's rate limits on, on the
// wall clock: the provider must space its calls itself, so that EC2 never
// has to refuse one. Both sides start with full buckets.

// TestPacedRebootBurstIsNeverThrottled: 60 single-id reboots. The mutating
// bucket holds 50 and refills 5 a second, so the last call can go at
// (60-50)/5 = 2 s; the provider's headroom adds about 0.1 s.
func TestPacedRebootBurstIsNeverThrottled(t *testing.T) {
	t.Parallel()
	e := newSimEnv(t, appFleet(60))
	p := e.provider(Options{MaxAttempts: 1}) // a throttled call would fail the test
	start := time.Now()
	for _, id := range e.ids() {
		if err := p.Reboot(t.Context(), []string{id}); err != nil {
			t.Fatal(err)
		}
	}
	took := time.Since(start)
	if got := e.codes(sim.ActionRebootInstances); got[""] != 60 || len(got) != 1 {
		t.Errorf("RebootInstances audit codes %v, want 60 served and nothing throttled", got)
	}
	if took < 1900*time.Millisecond || took > 3*time.Second {
		t.Errorf("60 reboots took %v, want about 2 s: burst of 50, then 5 a second", took)
	}
}

// TestPacedStartsAreNeverThrottled: 12 single-id starts. The
// StartInstances request bucket holds 5 and refills 2 a second: the last
// call can go at (12-5)/2 = 3.5 s.
func TestPacedStartsAreNeverThrottled(t *testing.T) {
	t.Parallel()
	e := newSimEnv(t, appFleet(12))
	ids := e.ids()
	if _, err := e.sim.StopInstances(ids, true); err != nil { // no API call: no token spent
		t.Fatal(err)
	}
	e.waitForState(ids, fleet.StateStopped)
	p := e.provider(Options{MaxAttempts: 1})
	start := time.Now()
	for _, id := range ids {
		if err := p.Start(t.Context(), []string{id}); err != nil {
			t.Fatal(err)
		}
	}
	took := time.Since(start)
	if got := e.codes(sim.ActionStartInstances); got[""] != 12 || len(got) != 1 {
		t.Errorf("StartInstances audit codes %v, want 12 served and nothing throttled", got)
	}
	if took < 3400*time.Millisecond || took > 4500*time.Millisecond {
		t.Errorf("12 starts took %v, want about 3.5 s: burst of 5, then 2 a second", took)
	}
}

// TestProvidersShareALimiter: two providers of one region on one limiter
// spend one set of buckets, as EC2 counts their calls together.
func TestProvidersShareALimiter(t *testing.T) {
	e := newSimEnv(t, appFleet(6))
	shared := stoppedClockLimiter()
	a, b := e.provider(Options{Limiter: shared}), e.provider(Options{Limiter: shared})
	ids := e.ids()
	if err := a.Reboot(t.Context(), ids[:3]); err != nil {
		t.Fatal(err)
	}
	if err := b.Reboot(t.Context(), ids[3:]); err != nil {
		t.Fatal(err)
	}
	// Two calls of one token each, from a bucket of 50 less the reserve.
	if got, want := shared.Tokens(withHeadroom(ratelimit.NeedsFor(ratelimit.OpReboot, 1, false))[0].Bucket), 50-reserveTokens-2; got != want {
		t.Errorf("shared mutating bucket holds %v, want %v", got, want)
	}
}

// TestDescribeIsPaced: every page waits on the filtered Describe bucket.
func TestDescribeIsPaced(t *testing.T) {
	e := newSimEnv(t, appFleet(20))
	limiter := stoppedClockLimiter()
	p := e.provider(Options{PageSize: 5, Limiter: limiter})
	if _, err := p.List(t.Context(), fleet.Target{Tags: map[string]string{"app": "api"}}); err != nil {
		t.Fatal(err)
	}
	bucket := withHeadroom(ratelimit.NeedsFor(ratelimit.OpDescribeInstances, 0, true))[0].Bucket
	if got := limiter.Tokens(bucket); got != bucket.Capacity-4 {
		t.Errorf("filtered Describe bucket holds %v after 4 pages, want %v", got, bucket.Capacity-4)
	}
}

// stoppedClockLimiter is a limiter whose buckets never refill, so a test
// can count the tokens calls took.
func stoppedClockLimiter() *ratelimit.Limiter {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	return ratelimit.NewLimiterWithClock(func() time.Time { return t0 })
}
