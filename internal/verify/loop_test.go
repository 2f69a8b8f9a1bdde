package verify

import (
	"context"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"go.uber.org/zap"
)

// The monitor and services tests count probes on exact virtual-time grids
// (a probe at 1.5 s, 21 samples in 20.5 s), which the random jitter of
// probeLoop would move; they test recovery and availability arithmetic, not
// the scheduler. So this package's tests run without jitter unless a test
// asks for it through withProbeJitter, as the ones below do.
func init() { probeJitter = 0 }

func TestJitterStaysWithinBoundsAndVaries(t *testing.T) {
	const interval = time.Second
	bound := time.Duration(0.1 * float64(interval))
	seen := map[time.Duration]bool{}
	var lo, hi, sum time.Duration
	const n = 10000
	for range n {
		j := jitter(interval, 0.1)
		if j < -bound || j > bound {
			t.Fatalf("jitter %v outside ±%v", j, bound)
		}
		seen[j] = true
		lo, hi, sum = min(lo, j), max(hi, j), sum+j
	}
	if len(seen) < n/2 {
		t.Errorf("%d distinct jitters in %d draws: not random", len(seen), n)
	}
	// Uniform over ±100 ms: the extremes of 10,000 draws come within 1 ms of
	// the bounds, and the mean within a few ms of zero.
	if lo > -bound+time.Millisecond || hi < bound-time.Millisecond {
		t.Errorf("jitter spans [%v, %v], want nearly ±%v", lo, hi, bound)
	}
	if mean := sum / n; mean < -3*time.Millisecond || mean > 3*time.Millisecond {
		t.Errorf("mean jitter %v, want about 0", mean)
	}
	if j := jitter(interval, 0); j != 0 {
		t.Errorf("jitter with frac 0 = %v", j)
	}
	if j := jitter(5, 0.1); j != 0 {
		t.Errorf("jitter of a 5 ns interval = %v, want 0", j)
	}
}

// loopStarts runs one probeLoop for d of virtual time and returns the send
// time of every probe, relative to the loop's start.
func loopStarts(t *testing.T, ctx context.Context, interval, offset, probeTime, d time.Duration) []time.Duration {
	t.Helper()
	ctx, cancel := context.WithCancel(ctx)
	origin := time.Now()
	var mu sync.Mutex
	var starts []time.Duration
	done := make(chan struct{})
	go func() {
		defer close(done)
		probeLoop(ctx, interval, offset, make(chan struct{}, 1),
			func(context.Context) Result { time.Sleep(probeTime); return Result{Healthy: true} },
			func(start time.Time, _ Result) { mu.Lock(); starts = append(starts, start.Sub(origin)); mu.Unlock() })
	}()
	time.Sleep(d)
	cancel()
	<-done
	return starts
}

func TestProbeLoopJittersAroundAFixedGrid(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const interval, offset = time.Second, 300 * time.Millisecond
		starts := loopStarts(t, withProbeJitter(t.Context(), 0.1), interval, offset, 20*time.Millisecond, 200*time.Second+offset+500*time.Millisecond)
		if len(starts) != 201 {
			t.Fatalf("%d probes in 200.5 s at 1 s, want 201", len(starts))
		}
		if starts[0] != offset {
			t.Errorf("first probe at %v, want exactly the offset %v", starts[0], offset)
		}
		gaps := map[time.Duration]bool{}
		for k, s := range starts {
			// Slot k is offset + k s, and jitter never accumulates: every
			// probe is within 100 ms of its own slot, even the 200th.
			slot := offset + time.Duration(k)*interval
			if s < slot-interval/10 || s > slot+interval/10 {
				t.Errorf("probe %d at %v, want %v ± %v", k, s, slot, interval/10)
			}
			if k > 0 {
				gaps[s-starts[k-1]] = true
			}
		}
		if len(gaps) < 150 {
			t.Errorf("%d distinct gaps between 200 probes: jitter is (nearly) constant", len(gaps))
		}
	})
}

func TestProbeLoopWithoutJitterKeepsTheExactGrid(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		// Probes that take time do not delay the slots after them.
		starts := loopStarts(t, withProbeJitter(t.Context(), 0), time.Second, 0, 400*time.Millisecond, 5500*time.Millisecond)
		for k, s := range starts {
			if s != time.Duration(k)*time.Second {
				t.Errorf("probe %d at %v, want %v", k, s, time.Duration(k)*time.Second)
			}
		}
		if len(starts) != 6 {
			t.Errorf("%d probes, want 6", len(starts))
		}
	})
}

func TestProbeLoopSkipsSlotsAnOverrunningProbeMissed(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var lag LagRecorder
		ctx := WithLagRecorder(withProbeJitter(t.Context(), 0), &lag)
		// 2.5 s probes at 1 s: sent at 0; done at 2.5, slot 1 s skipped, slot
		// 2 s sent at once (0.5 s late); done at 5, slots 3 and 4 skipped,
		// slot 5 sent on time. No burst of catch-up probes.
		starts := loopStarts(t, ctx, time.Second, 0, 2500*time.Millisecond, 5100*time.Millisecond)
		want := []time.Duration{0, 2500 * time.Millisecond, 5 * time.Second}
		if len(starts) != 2 || starts[0] != want[0] || starts[1] != want[1] {
			t.Errorf("recorded probes at %v, want %v (the third cut short)", starts, want[:2])
		}
		if lag.Count() != 3 || lag.Missed() != 3 {
			t.Errorf("lag recorder: %d sent, %d missed; want 3 sent, 3 missed", lag.Count(), lag.Missed())
		}
		if lag.Max() != 500*time.Millisecond {
			t.Errorf("max lag %v, want 500ms", lag.Max())
		}
	})
}

func TestProbeLoopNeverExceedsTheSemaphore(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const limit, loops = 4, 50
		sem := make(chan struct{}, limit)
		var inFlight, peak, probes atomic.Int64
		probe := func(context.Context) Result {
			n := inFlight.Add(1)
			for {
				p := peak.Load()
				if n <= p || peak.CompareAndSwap(p, n) {
					break
				}
			}
			probes.Add(1)
			time.Sleep(30 * time.Millisecond)
			inFlight.Add(-1)
			return Result{Healthy: true}
		}
		ctx, cancel := context.WithCancel(withProbeJitter(t.Context(), 0.1))
		var wg sync.WaitGroup
		for i := range loops {
			// Every loop wants to probe at the same instants (offsets 0 or
			// 1 ms): 50 at once against a limit of 4.
			wg.Go(func() {
				probeLoop(ctx, 100*time.Millisecond, time.Duration(i%2)*time.Millisecond, sem, probe, func(time.Time, Result) {})
			})
		}
		time.Sleep(3 * time.Second)
		cancel()
		wg.Wait()
		if p := peak.Load(); p != limit {
			t.Errorf("peak concurrency %d, want exactly the limit %d", p, limit)
		}
		// 4 at a time, 30 ms each: at most 400 probes in 3 s.
		if n := probes.Load(); n < 300 || n > 404 {
			t.Errorf("%d probes in 3 s, want about 400 (the semaphore's throughput)", n)
		}
	})
}

func TestProbeCutShortByContextIsNotRecorded(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		var calls atomic.Int64
		var recorded []Result
		done := make(chan struct{})
		go func() {
			defer close(done)
			probeLoop(ctx, time.Second, 0, make(chan struct{}, 1), func(ctx context.Context) Result {
				if calls.Add(1) == 1 {
					return Result{Healthy: true, Detail: "first"}
				}
				<-ctx.Done() // the second hangs until the run ends
				return Result{Detail: "timeout after 1s"}
			}, func(_ time.Time, res Result) { recorded = append(recorded, res) })
		}()
		time.Sleep(1500 * time.Millisecond) // the second probe is in flight
		cancel()
		<-done
		if calls.Load() != 2 {
			t.Fatalf("%d probes sent, want 2", calls.Load())
		}
		if len(recorded) != 1 || recorded[0].Detail != "first" {
			t.Errorf("recorded %+v, want only the first probe", recorded)
		}
	})
}

func TestProbeLoopRecordsLagIncludingTheWaitForASlot(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var lag LagRecorder
		ctx, cancel := context.WithCancel(WithLagRecorder(withProbeJitter(t.Context(), 0), &lag))
		sem := make(chan struct{}, 1)
		var wg sync.WaitGroup
		// Three targets due at once, one slot, 100 ms probes: each interval
		// they go at +0, +100 and +200 ms.
		for range 3 {
			wg.Go(func() {
				probeLoop(ctx, time.Second, 0, sem, func(context.Context) Result {
					time.Sleep(100 * time.Millisecond)
					return Result{Healthy: true}
				}, func(time.Time, Result) {})
			})
		}
		time.Sleep(9500 * time.Millisecond)
		cancel()
		wg.Wait()
		if lag.Count() != 30 {
			t.Errorf("%d lags recorded, want 30 (3 targets × 10 intervals)", lag.Count())
		}
		if got := lag.Max(); got != 200*time.Millisecond {
			t.Errorf("max lag %v, want 200ms", got)
		}
		if got := lag.Mean(); got != 100*time.Millisecond {
			t.Errorf("mean lag %v, want 100ms", got)
		}
		if got := lag.Quantile(0.5); got < 98*time.Millisecond || got > 102*time.Millisecond {
			t.Errorf("median lag %v, want 100ms ± 2%%", got)
		}
		if got := lag.Quantile(0.1); got != 0 {
			t.Errorf("p10 lag %v, want 0", got)
		}
	})
}

func TestMonitorRecordsLagFromItsContext(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var lag LagRecorder
		m := NewMonitor(Config{Interval: time.Second}, []Target{{InstanceID: "i-a"}, {InstanceID: "i-b"}},
			okProber{}, zap.NewNop())
		m.Start(WithLagRecorder(t.Context(), &lag))
		// i-a is probed at 0, 1, .. 4 s, i-b at 0.5, 1.5, .. 3.5 s.
		time.Sleep(4200 * time.Millisecond)
		m.Stop()
		if lag.Count() != 9 {
			t.Errorf("%d lags recorded for 2 targets over 4.2 s, want 9", lag.Count())
		}
		// A monitor started without one records nowhere.
		m = NewMonitor(Config{Interval: time.Second}, []Target{{InstanceID: "i-a"}}, okProber{}, zap.NewNop())
		m.Start(t.Context())
		time.Sleep(1500 * time.Millisecond)
		m.Stop()
		if lag.Count() != 9 {
			t.Errorf("a monitor without a recorder recorded into another's: %d", lag.Count())
		}
	})
}

type okProber struct{}

func (okProber) Probe(context.Context, string) Result {
	return Result{Healthy: true, Detail: "HTTP 200"}
}

func TestLagRecorderQuantiles(t *testing.T) {
	// Buckets tile the values with no gap or overlap.
	for i := range lagBuckets - 1 {
		lo, hi := lagBucketBounds(i)
		if lagBucket(lo) != i || lagBucket(hi) != i {
			t.Fatalf("bucket %d holds [%d, %d], but those map to %d and %d", i, lo, hi, lagBucket(lo), lagBucket(hi))
		}
		if next, _ := lagBucketBounds(i + 1); next != hi+1 {
			t.Fatalf("bucket %d ends at %d, bucket %d starts at %d", i, hi, i+1, next)
		}
	}
	var r LagRecorder
	if r.Quantile(0.99) != 0 || r.Mean() != 0 {
		t.Error("an empty recorder reports lag")
	}
	// 1..100,000 µs in random order: the q-quantile is q × 100 ms.
	for _, v := range rand.Perm(100000) {
		r.Record(time.Duration(v+1) * time.Microsecond)
	}
	r.Record(-time.Second) // counts as zero
	for _, q := range []float64{0.5, 0.9, 0.99, 0.999} {
		want := time.Duration(q * float64(100*time.Millisecond))
		if got := r.Quantile(q); got < want*98/100 || got > want*102/100 {
			t.Errorf("p%v = %v, want %v ± 2%%", q*100, got, want)
		}
	}
	if r.Quantile(0) != 0 || r.Quantile(1) != 100*time.Millisecond || r.Max() != 100*time.Millisecond {
		t.Errorf("p0 %v, p100 %v, max %v; want 0, 100ms, 100ms", r.Quantile(0), r.Quantile(1), r.Max())
	}
	r.Reset()
	if r.Count() != 0 || r.Quantile(0.5) != 0 || r.Max() != 0 {
		t.Error("Reset left data behind")
	}
}
