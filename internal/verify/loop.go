package verify

import (
	"context"
	"math"
	"math/bits"
	"math/rand/v2"
	"sync/atomic"
	"time"
)

// probeJitter is how far each probe after the first may fall from its slot,
// as a share of the interval: a probe is due at its slot ± up to 10% of the
// interval, drawn uniformly each time, so that thousands of targets (or a few
// services started together) do not fire in step. Slots themselves stay on
// a fixed grid (offset, offset+interval, ...), so jitter never accumulates
// and the long-run rate is exactly one probe per interval. It is a variable
// only so that tests which count probes on exact virtual-time grids can turn
// it off before any loop runs (see loop_test.go); a context can override it
// for one scheduler (withProbeJitter).
var probeJitter = 0.10

type probeJitterKey struct{}

// withProbeJitter makes the loops started under ctx use frac instead of
// probeJitter.
func withProbeJitter(ctx context.Context, frac float64) context.Context {
	return context.WithValue(ctx, probeJitterKey{}, frac)
}

// probeLoop probes every interval, the first time after offset, holding a
// slot of sem for each probe so that concurrency stays bounded, and hands
// every result to record with the time the probe was sent. It returns when
// ctx ends; a probe cut short by that says nothing and is not recorded.
//
// Probes are due on a grid of slots offset+k×interval, each moved by a
// random jitter (probeJitter). A probe that is late (slow probes, a full
// semaphore) does not shift the slots after it. If a probe overran so far
// that a later slot has passed too, the slots in between are skipped, as a
// time.Ticker drops ticks: the next probe goes at once, with no burst of
// catch-up probes. When ctx carries a LagRecorder (WithLagRecorder), every
// probe's scheduling lag, from when it was due to when it was sent (after
// waiting for a slot of sem), is recorded there, and skipped slots counted.
func probeLoop(ctx context.Context, interval, offset time.Duration, sem chan struct{},
	probe func(context.Context) Result, record func(start time.Time, res Result)) {
	lag := lagRecorderFrom(ctx)
	frac := probeJitter
	if f, ok := ctx.Value(probeJitterKey{}).(float64); ok {
		frac = f
	}
	slot := time.Now().Add(offset)
	due := slot
	timer := time.NewTimer(offset)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		}
		select {
		case <-ctx.Done():
			return
		case sem <- struct{}{}:
		}
		start := time.Now()
		if lag != nil {
			lag.Record(start.Sub(due))
		}
		res := probe(ctx)
		<-sem
		if ctx.Err() != nil {
			return
		}
		record(start, res)

		now := time.Now()
		slot = slot.Add(interval)
		if interval > 0 {
			if behind := now.Sub(slot); behind >= interval {
				skip := behind / interval
				slot = slot.Add(skip * interval)
				if lag != nil {
					lag.missed.Add(uint64(skip))
				}
			}
		}
		due = slot.Add(jitter(interval, frac))
		timer.Reset(due.Sub(now)) // at once if due has passed
	}
}

// jitter draws a uniform offset in [-frac×interval, +frac×interval].
func jitter(interval time.Duration, frac float64) time.Duration {
	j := int64(float64(interval) * frac)
	if j <= 0 {
		return 0
	}
	return time.Duration(rand.Int64N(2*j+1) - j)
}

type lagRecorderKey struct{}

// WithLagRecorder returns a context under which every probe loop started by
// a Monitor or Services records its scheduling lag into r: the time from when
// each probe was due to when it was sent, including the wait for a free
// concurrency slot. Like net/http/httptrace, the hook rides on the context,
// so the schedulers' signatures stay as they are and a context without one
// costs a single lookup per loop.
func WithLagRecorder(ctx context.Context, r *LagRecorder) context.Context {
	return context.WithValue(ctx, lagRecorderKey{}, r)
}

func lagRecorderFrom(ctx context.Context) *LagRecorder {
	r, _ := ctx.Value(lagRecorderKey{}).(*LagRecorder)
	return r
}

// lagSubBits sets the histogram's precision: 2^lagSubBits buckets per
// power of two, so a quantile is within 1/2^(lagSubBits+1) (about 1.6%) of
// the true value.
const (
	lagSubBits = 5
	lagSub     = 1 << lagSubBits
	lagBuckets = (64 - lagSubBits) * lagSub
)

// LagRecorder is a lock-free histogram of probe scheduling lag, safe for
// concurrent use. Its zero value is ready to use.
type LagRecorder struct {
	buckets [lagBuckets]atomic.Uint64
	count   atomic.Uint64
	sum     atomic.Int64
	max     atomic.Int64
	missed  atomic.Uint64
}

// Record adds one lag; a negative one counts as zero.
func (r *LagRecorder) Record(d time.Duration) {
	v := max(int64(d), 0)
	r.buckets[lagBucket(uint64(v))].Add(1)
	r.count.Add(1)
	r.sum.Add(v)
	for {
		m := r.max.Load()
		if v <= m || r.max.CompareAndSwap(m, v) {
			break
		}
	}
}

// Count is the number of lags recorded: probes sent.
func (r *LagRecorder) Count() uint64 { return r.count.Load() }

// Missed is the number of slots skipped because a probe of the same target
// overran them.
func (r *LagRecorder) Missed() uint64 { return r.missed.Load() }

// Max is the largest lag recorded.
func (r *LagRecorder) Max() time.Duration { return time.Duration(r.max.Load()) }

// Mean is the average lag, zero when none was recorded.
func (r *LagRecorder) Mean() time.Duration {
	n := r.count.Load()
	if n == 0 {
		return 0
	}
	return time.Duration(r.sum.Load() / int64(n))
}

// Quantile returns the lag below which a share q (0..1) of the recorded lags
// fall, to the histogram's precision (Quantile(1) is Max); zero when none was
// recorded.
func (r *LagRecorder) Quantile(q float64) time.Duration {
	if q >= 1 {
		return r.Max()
	}
	var counts [lagBuckets]uint64
	var total uint64
	for i := range r.buckets {
		counts[i] = r.buckets[i].Load()
		total += counts[i]
	}
	if total == 0 {
		return 0
	}
	rank := uint64(math.Ceil(max(q, 0) * float64(total)))
	rank = max(rank, 1)
	var seen uint64
	for i, c := range counts {
		seen += c
		if seen >= rank {
			lo, hi := lagBucketBounds(i)
			return min(time.Duration(lo+(hi-lo)/2), r.Max())
		}
	}
	return r.Max()
}

// Reset forgets everything recorded, to start a measurement window. Lags
// recorded while it runs may be kept or lost.
func (r *LagRecorder) Reset() {
	for i := range r.buckets {
		r.buckets[i].Store(0)
	}
	r.count.Store(0)
	r.sum.Store(0)
	r.max.Store(0)
	r.missed.Store(0)
}

// lagBucket maps v to its bucket: exact below 2^lagSubBits, then lagSub
// buckets per power of two.
func lagBucket(v uint64) int {
	if v < lagSub {
		return int(v)
	}
	shift := bits.Len64(v) - lagSubBits - 1
	top := v >> shift // in [lagSub, 2×lagSub)
	return (shift+1)*lagSub + int(top-lagSub)
}

// lagBucketBounds is the inclusive range of values bucket i holds.
func lagBucketBounds(i int) (lo, hi uint64) {
	if i < lagSub {
		return uint64(i), uint64(i)
	}
	shift := i/lagSub - 1
	top := uint64(i%lagSub + lagSub)
	return top << shift, (top+1)<<shift - 1
}
