package ec2

import (
	"context"
	"math/rand/v2"
	"time"

	ec2sdk "github.com/aws/aws-sdk-go-v2/service/ec2"

	"gameday/internal/ratelimit"
)

// Headroom the client keeps below EC2's buckets. The client takes its
// tokens a little before EC2 does (the request is still on the wire), and
// that delay varies from call to call: a call that travelled fast can reach
// EC2 before the bucket holds the token the client counted on. A reserve of
// a quarter token absorbs 50 ms of such variation at 5 tokens a second
// (125 ms at StartInstances' 2 a second), from the first call on; refilling
// 2% slower adds more as a run goes on, and covers figures AWS rounds.
// Together they cost about 2% of a long run's time.
const (
	reserveTokens  = 0.25
	refillHeadroom = 0.02
)

// pace waits until the provider's limiter grants needs, and takes them.
// It returns the context's cause if ctx ends first.
func (p *Provider) pace(ctx context.Context, needs []ratelimit.Need) error {
	return p.limiter.Wait(ctx, withHeadroom(needs))
}

// withHeadroom prices needs against buckets a little smaller and slower
// than EC2's. The Limiter keys buckets by value, so every provider sharing
// a limiter uses these same, distinct buckets.
func withHeadroom(needs []ratelimit.Need) []ratelimit.Need {
	out := make([]ratelimit.Need, len(needs))
	for i, n := range needs {
		b := n.Bucket
		b.Capacity = max(1, b.Capacity-reserveTokens)
		b.RefillPerSecond *= 1 - refillHeadroom
		out[i] = ratelimit.Need{Bucket: b, Tokens: n.Tokens}
	}
	return out
}

// backoff is how long to wait before attempt+1 after a call the service
// did not act on: exponential from RetryBaseDelay, capped at RetryMaxDelay,
// with "equal jitter" (between half and all of it) so that clients
// throttled together do not come back together. The jitter only spreads
// timing; it decides nothing, so it needs no recorded seed.
func (p *Provider) backoff(attempt int) time.Duration {
	d := p.opts.RetryBaseDelay << min(attempt-1, 30)
	if d <= 0 || d > p.opts.RetryMaxDelay {
		d = p.opts.RetryMaxDelay
	}
	half := d / 2
	return half + rand.N(half+1)
}

// sleep waits d or until ctx ends, and then returns the context's cause.
func sleep(ctx context.Context, d time.Duration) error {
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return context.Cause(ctx)
	case <-timer.C:
		return nil
	}
}

// pacedDescriber paces every DescribeInstances call, including each page
// a paginator asks for, on the provider's limiter.
type pacedDescriber struct{ p *Provider }

func (d pacedDescriber) DescribeInstances(ctx context.Context, in *ec2sdk.DescribeInstancesInput, opts ...func(*ec2sdk.Options)) (*ec2sdk.DescribeInstancesOutput, error) {
	paged := len(in.Filters) > 0 || in.MaxResults != nil || in.NextToken != nil
	if err := d.p.pace(ctx, ratelimit.NeedsFor(ratelimit.OpDescribeInstances, 0, paged)); err != nil {
		return nil, err
	}
	return d.p.ec2.DescribeInstances(ctx, in, opts...)
}
