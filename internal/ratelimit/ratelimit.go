// Package ratelimit holds EC2's documented API rate limits as token buckets
// and a virtual-time ledger over them. The plan's duration estimate uses it
// today; the same table is meant for client-side pacing and for the
// simulator, so the three never disagree about EC2.
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
// one token per instance in the call.
var (
	DescribeRequests  = Bucket{"non-mutating requests", 100, 20}
	MutatingRequests  = Bucket{"mutating requests", 50, 5}
	StartRequests     = Bucket{"StartInstances requests", 5, 2}
	TagRequests       = Bucket{"CreateTags/DeleteTags requests", 100, 10}
	StopInstances     = Bucket{"StopInstances instances", 1000, 20}
	StartInstances    = Bucket{"StartInstances instances", 1000, 2}
	TerminateRequests = Bucket{"TerminateInstances requests", 100, 5}
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

// Operations gameday makes.
const (
	OpReboot = "RebootInstances"
	OpStop   = "StopInstances"
	OpStart  = "StartInstances"
)

// CallsFor returns the calls that act on n instances in batches of batch
// ids per call. RebootInstances has no resource bucket; StopInstances and
// StartInstances take one resource token per instance.
func CallsFor(op string, n, batch int) []Call {
	if batch <= 0 {
		batch = n
	}
	var calls []Call
	for left := n; left > 0; left -= batch {
		ids := float64(min(left, batch))
		c := Call{Op: op}
		switch op {
		case OpReboot:
			c.Needs = []Need{{MutatingRequests, 1}}
		case OpStop:
			c.Needs = []Need{{MutatingRequests, 1}, {StopInstances, ids}}
		case OpStart:
			c.Needs = []Need{{StartRequests, 1}, {StartInstances, ids}}
		default:
			panic(fmt.Sprintf("ratelimit: unknown operation %q", op))
		}
		calls = append(calls, c)
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
