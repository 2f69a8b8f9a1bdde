// Package ratelimit holds EC2's documented API rate limits as token buckets,
// the price of each call in tokens (NeedsFor), a virtual-time ledger over
// them (Ledger, for the plan's duration estimate) and a real-time limiter
// (Limiter, for the simulator's throttling and client-side pacing). One
// table serves all three, so they never disagree about EC2.
//
// Figures: per account and region, from EC2's API throttling documentation
// (../shared/ref/ec2-api.md in the design notes).
package ratelimit

import (
	"fmt"
	"math"
	"time"
)

// Bucket is a token bucket: it holds at most Capacity tokens and gains
// RefillPerSecond tokens a second.
type Bucket struct {
	Name            string
	Capacity        float64
	RefillPerSecond float64
}

// EC2's buckets. Request buckets cost one token per call; resource buckets
// one token per instance in the call. NeedsFor says which call takes what.
var (
	DescribeRequests = Bucket{"non-mutating requests", 100, 20}
	// UnfilteredDescribeRequests is the stricter bucket of a
	// DescribeInstances or DescribeInstanceStatus without filter or
	// pagination parameters: the most expensive reads EC2 serves.
	UnfilteredDescribeRequests = Bucket{"unfiltered and unpaginated Describe requests", 50, 10}
	MutatingRequests           = Bucket{"mutating requests", 50, 5}
	StartRequests              = Bucket{"StartInstances requests", 5, 2}
	RunRequests                = Bucket{"RunInstances requests", 5, 2}
	TerminateRequests          = Bucket{"TerminateInstances requests", 100, 5}
	TagRequests                = Bucket{"CreateTags/DeleteTags requests", 100, 10}

	StopInstances      = Bucket{"StopInstances instances", 1000, 20}
	StartInstances     = Bucket{"StartInstances instances", 1000, 2}
	TerminateInstances = Bucket{"TerminateInstances instances", 1000, 20}
	RunInstances       = Bucket{"RunInstances instances", 1000, 2}
)

// Need is the tokens one call takes from one bucket.
type Need struct {
	Bucket Bucket
	Tokens float64
}

// Call is one API call and what it costs.
type Call struct {
	Op    string
	Needs []Need
}

// CallsFor returns the calls that act on n instances in batches of batch
// ids per call, priced by NeedsFor. op is OpReboot, OpStop or OpStart.
func CallsFor(op string, n, batch int) []Call {
	switch op {
	case OpReboot, OpStop, OpStart:
	default:
		panic(fmt.Sprintf("ratelimit: unknown operation %q", op))
	}
	if batch <= 0 {
		batch = n
	}
	var calls []Call
	for left := n; left > 0; left -= batch {
		calls = append(calls, Call{Op: op, Needs: NeedsFor(op, min(left, batch), false)})
	}
	return calls
}

// Ledger tracks bucket levels in virtual time, starting full, as an account
// that has been quiet for a while. It is not safe for concurrent use.
type Ledger struct {
	level map[string]float64
	at    map[string]time.Duration
}

// NewLedger returns a ledger with every bucket full at time 0.
func NewLedger() *Ledger {
	return &Ledger{level: map[string]float64{}, at: map[string]time.Duration{}}
}

// Reserve takes the tokens call needs at the earliest moment not before now
// when every bucket has them, and returns that moment. A call needing more
// tokens than a bucket holds waits until the bucket is full, then drives it
// negative, as EC2 would make the next calls wait.
func (l *Ledger) Reserve(now time.Duration, call Call) time.Duration {
	start := now
	for _, need := range call.Needs {
		start = max(start, l.readyAt(need, now))
	}
	for _, need := range call.Needs {
		name := need.Bucket.Name
		l.level[name] = l.levelAt(need.Bucket, start) - need.Tokens
		// Calls may be reserved out of time order (overlapping phases of a
		// plan); the bucket's clock never goes back, which errs on the side
		// of fewer tokens.
		l.at[name] = max(l.at[name], start)
	}
	return start
}

func (l *Ledger) levelAt(b Bucket, t time.Duration) float64 {
	level, seen := l.level[b.Name]
	if !seen {
		return b.Capacity
	}
	elapsed := max(0, t-l.at[b.Name])
	return math.Min(b.Capacity, level+b.RefillPerSecond*elapsed.Seconds())
}

// readyAt is when the bucket will hold need.Tokens (or be full, for a need
// larger than the bucket).
func (l *Ledger) readyAt(need Need, now time.Duration) time.Duration {
	want := math.Min(need.Tokens, need.Bucket.Capacity)
	level := l.levelAt(need.Bucket, now)
	if level >= want {
		return now
	}
	wait := (want - level) / need.Bucket.RefillPerSecond
	return now + time.Duration(math.Ceil(wait*float64(time.Second)))
}
