package ec2

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	ec2sdk "github.com/aws/aws-sdk-go-v2/service/ec2"
)

// deadlineEC2 answers StartInstances at once and records, per call, when
// it came and how long its context had left.
type deadlineEC2 struct {
	EC2API
	mu    sync.Mutex
	calls []time.Time
	left  []time.Duration
}

func (d *deadlineEC2) StartInstances(ctx context.Context, _ *ec2sdk.StartInstancesInput, _ ...func(*ec2sdk.Options)) (*ec2sdk.StartInstancesOutput, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	deadline, ok := ctx.Deadline()
	if !ok {
		deadline = time.Now().Add(time.Hour)
	}
	d.calls, d.left = append(d.calls, time.Now()), append(d.left, time.Until(deadline))
	return &ec2sdk.StartInstancesOutput{}, nil
}

// TestCallTimeoutBoundsEachRequestNotTheWaitForTokens: 1,300 starts in
// batches of 100 spend the StartInstances burst of 1,000, then wait about
// 150 s for 300 more tokens (2 a second). The caller's context has no
// deadline; each request gets CallTimeout of its own, from when it is
// sent, so the minutes spent waiting for tokens never cut a batch short.
func TestCallTimeoutBoundsEachRequestNotTheWaitForTokens(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		api := &deadlineEC2{}
		p := NewWithClients(api, nil, "us-east-1", Options{BatchSize: 100})
		ids := make([]string, 1300)
		for i := range ids {
			ids[i] = fmt.Sprintf("i-%017x", i)
		}
		start := time.Now()
		if err := p.Start(t.Context(), ids); err != nil {
			t.Fatalf("Start of 1,300: %v", err)
		}
		if len(api.calls) != 13 {
			t.Fatalf("%d StartInstances calls, want 13", len(api.calls))
		}
		if took := time.Since(start); took < 150*time.Second || took > 160*time.Second {
			t.Errorf("1,300 starts took %v, want about 150 s: 300 instances after the burst at 2 a second", took)
		}
		for i, left := range api.left {
			if left != CallTimeout {
				t.Errorf("call %d (at %v) had %v left, want CallTimeout %v from its own start", i+1, api.calls[i].Sub(start), left, CallTimeout)
			}
		}
	})
}
