package ratelimit

import (
	"context"
	"math"
	"sync"
	"time"
)

// epsilon absorbs float rounding in refills: 0.2 s at 5 tokens/s must be
// one whole token, not 0.9999999.
const epsilon = 1e-9

// maxWait bounds one sleep of Wait, so a bucket that never refills (a
// RefillPerSecond of 0) leaves Wait polling instead of overflowing.
const maxWait = time.Minute

// Limiter spends tokens from EC2's buckets in real time. Every bucket
// starts full, as for an account that has been quiet for a while. The
// simulator uses it to throttle; a client can use it to pace itself with
// the same figures. It is safe for concurrent use.
//
// As with Ledger, a need larger than its bucket's capacity is granted once
// the bucket is full and leaves it in debt, so the call can ever be made
// and later calls wait for the debt to be repaid.
type Limiter struct {
	now    func() time.Time
	mu     sync.Mutex
	levels map[Bucket]level
}

// level is a bucket's tokens at a moment; absent buckets are full.
type level struct {
	tokens float64
	at     time.Time
}

// NewLimiter returns a limiter on the wall clock.
func NewLimiter() *Limiter {
	return NewLimiterWithClock(time.Now)
}

// NewLimiterWithClock returns a limiter that reads the time from now, so
// tests can move time by hand. Wait still sleeps on real timers.
func NewLimiterWithClock(now func() time.Time) *Limiter {
	return &Limiter{now: now, levels: map[Bucket]level{}}
}

// TryTake takes every need if every bucket has enough tokens now, and
// reports whether it did. It is all or nothing: when one bucket is short,
// no bucket loses a token. No needs (nil) always succeeds.
func (l *Limiter) TryTake(needs []Need) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.takeOrDelay(needs) == 0
}

// Wait blocks until every bucket has the tokens needs asks for, takes them
// and returns nil; or returns the context's cause if ctx ends first, having
// taken nothing. Waiters are not queued: a call that TryTakes in between
// may go first.
func (l *Limiter) Wait(ctx context.Context, needs []Need) error {
	for {
		if err := context.Cause(ctx); err != nil {
			return err
		}
		l.mu.Lock()
		delay := l.takeOrDelay(needs)
		l.mu.Unlock()
		if delay == 0 {
			return nil
		}
		timer := time.NewTimer(min(delay, maxWait))
		select {
		case <-ctx.Done():
			timer.Stop()
			return context.Cause(ctx)
		case <-timer.C:
		}
	}
}

// Tokens returns how many tokens b holds now (negative while in debt).
func (l *Limiter) Tokens(b Bucket) float64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.levelAt(b, l.now())
}

// takeOrDelay takes needs and returns 0, or takes nothing and returns how
// long until all buckets could have them. The caller holds mu.
func (l *Limiter) takeOrDelay(needs []Need) time.Duration {
	now := l.now()
	var delay time.Duration
	for _, need := range needs {
		delay = max(delay, l.delayFor(need, now))
	}
	if delay > 0 {
		return delay
	}
	for _, need := range needs {
		if need.Tokens > 0 {
			l.levels[need.Bucket] = level{tokens: l.levelAt(need.Bucket, now) - need.Tokens, at: now}
		}
	}
	return 0
}

// delayFor is how long until need's bucket holds need.Tokens (or is full,
// for a need larger than the bucket); 0 when it does now.
func (l *Limiter) delayFor(need Need, now time.Time) time.Duration {
	if need.Tokens <= 0 {
		return 0
	}
	b := need.Bucket
	short := math.Min(need.Tokens, b.Capacity) - l.levelAt(b, now)
	if short <= epsilon {
		return 0
	}
	if b.RefillPerSecond <= 0 {
		return maxWait
	}
	seconds := short / b.RefillPerSecond
	return max(time.Nanosecond, time.Duration(math.Ceil(seconds*float64(time.Second))))
}

// levelAt is b's tokens at now: the last level plus the refill since,
// capped at capacity. A clock that steps back refills nothing.
func (l *Limiter) levelAt(b Bucket, now time.Time) float64 {
	lv, seen := l.levels[b]
	if !seen {
		return b.Capacity
	}
	elapsed := max(0, now.Sub(lv.at))
	return math.Min(b.Capacity, lv.tokens+b.RefillPerSecond*elapsed.Seconds())
}
