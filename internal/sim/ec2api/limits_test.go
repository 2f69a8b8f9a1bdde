package ec2api_test

import (
	"errors"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"gameday/internal/sim"
)

const limitMessage = "Request limit exceeded."

// handClock is a time source moved by hand, so a burst happens at one
// instant however slow the machine (-race) is.
type handClock struct {
	mu  sync.Mutex
	now time.Time
}

func newHandClock() *handClock {
	return &handClock{now: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)}
}

func (c *handClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *handClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// newLimitedEnv is newEnv with rate limits on (whatever newEnv's default)
// and full buckets on a hand clock.
func newLimitedEnv(t *testing.T) (*env, *handClock) {
	t.Helper()
	e := newEnv(t, false)
	clock := newHandClock()
	e.server.SetRateLimits(true)
	e.server.SetRateLimitClock(clock.Now)
	return e, clock
}

// wantThrottled checks err is EC2's throttling answer, HTTP 503.
func wantThrottled(t *testing.T, err error) {
	t.Helper()
	wantAPIError(t, err, "RequestLimitExceeded", limitMessage)
	wantStatus(t, err, http.StatusServiceUnavailable)
}

func wantStatus(t *testing.T, err error, status int) {
	t.Helper()
	var resp *awshttp.ResponseError
	if !errors.As(err, &resp) {
		t.Fatalf("error %v carries no HTTP response", err)
	}
	if resp.HTTPStatusCode() != status {
		t.Errorf("HTTP status %d, want %d", resp.HTTPStatusCode(), status)
	}
}

func (e *env) reboot(t *testing.T, ids ...string) error {
	t.Helper()
	_, err := e.ec2.RebootInstances(ctx(t), &ec2.RebootInstancesInput{InstanceIds: ids})
	return err
}

// auditCodes counts the audit records of action by error code.
func auditCodes(s *sim.Sim, action string) map[string]int {
	codes := map[string]int{}
	for _, rec := range s.Audit() {
		if rec.Action == action {
			codes[rec.ErrorCode]++
		}
	}
	return codes
}

func TestRebootBurstThenRefill(t *testing.T) {
	e, clock := newLimitedEnv(t)
	id := e.idsOfGroup("web")[0]
	for i := range 50 {
		if err := e.reboot(t, id); err != nil {
			t.Fatalf("call %d of the burst: %v; the mutating bucket holds 50", i+1, err)
		}
	}
	wantThrottled(t, e.reboot(t, id))
	clock.Advance(199 * time.Millisecond)
	wantThrottled(t, e.reboot(t, id))
	clock.Advance(time.Millisecond) // 200ms at 5/s: one token
	if err := e.reboot(t, id); err != nil {
		t.Fatalf("200ms after the burst: %v; 5 tokens/s refill one in 200ms", err)
	}
	wantThrottled(t, e.reboot(t, id))

	// Throttled calls are audited and never reached the handler.
	if got := e.sim.RebootCounts()[id]; got != 51 {
		t.Errorf("instance rebooted %d times, want 51 (throttled calls act on nothing)", got)
	}
	if got := auditCodes(e.sim, "RebootInstances"); got[""] != 51 || got["RequestLimitExceeded"] != 3 || len(got) != 2 {
		t.Errorf("audit codes %v, want 51 successes and 3 RequestLimitExceeded", got)
	}
}

// TestRebootBurstOnTheWallClock is the same burst on the real clock: the
// burst refills a little while it runs, so only bounds are checked.
func TestRebootBurstOnTheWallClock(t *testing.T) {
	e := newEnv(t, false)
	e.server.SetRateLimits(true)
	id := e.idsOfGroup("web")[0]
	start := time.Now()
	calls := 0
	var err error
	for err == nil && calls < 200 {
		calls++
		err = e.reboot(t, id)
	}
	refilled := int(time.Since(start).Seconds()*5) + 1
	wantThrottled(t, err)
	if calls < 51 || calls > 51+refilled {
		t.Errorf("first throttled call was #%d, want #51 to #%d (50 + refill during the burst)", calls, 51+refilled)
	}
	time.Sleep(200 * time.Millisecond)
	if err := e.reboot(t, id); err != nil {
		t.Errorf("200ms after the throttle: %v", err)
	}
}

func TestThrottledDryRunIsThrottled(t *testing.T) {
	e, _ := newLimitedEnv(t)
	id := e.idsOfGroup("web")[0]
	for range 50 {
		if err := e.reboot(t, id); err != nil {
			t.Fatal(err)
		}
	}
	_, err := e.ec2.RebootInstances(ctx(t), &ec2.RebootInstancesInput{InstanceIds: []string{id}, DryRun: aws.Bool(true)})
	wantThrottled(t, err)
	audit := e.sim.Audit()
	if last := audit[len(audit)-1]; !last.DryRun || last.ErrorCode != "RequestLimitExceeded" || last.InstanceIDs[0] != id {
		t.Errorf("audit record %+v, want the throttled DryRun of %s", last, id)
	}
}

func TestDescribeBuckets(t *testing.T) {
	e, _ := newLimitedEnv(t)
	unfiltered := &ec2.DescribeInstancesInput{}
	for i := range 50 {
		if _, err := e.ec2.DescribeInstances(ctx(t), unfiltered); err != nil {
			t.Fatalf("unfiltered describe %d: %v", i+1, err)
		}
	}
	_, err := e.ec2.DescribeInstances(ctx(t), unfiltered)
	wantThrottled(t, err)
	_, err = e.ec2.DescribeInstanceStatus(ctx(t), &ec2.DescribeInstanceStatusInput{})
	wantThrottled(t, err)

	// Filtered or paginated calls take from the other bucket, 100 deep.
	inputs := []*ec2.DescribeInstancesInput{
		{MaxResults: aws.Int32(5)},
		{Filters: []types.Filter{filter("tag:app", "web")}},
		{NextToken: aws.String("not-checked-before-the-bucket")},
	}
	for i := range 100 {
		_, err := e.ec2.DescribeInstances(ctx(t), inputs[i%len(inputs)])
		var limited interface{ ErrorCode() string }
		if errors.As(err, &limited) && limited.ErrorCode() == "RequestLimitExceeded" {
			t.Fatalf("filtered describe %d throttled; it has a bucket of 100 of its own", i+1)
		}
	}
	_, err = e.ec2.DescribeInstances(ctx(t), inputs[0])
	wantThrottled(t, err)
}

func TestSTSIsNotRateLimited(t *testing.T) {
	e, _ := newLimitedEnv(t)
	client := sts.NewFromConfig(awsConfig(), func(o *sts.Options) { o.BaseEndpoint = aws.String(e.server.URL()) })
	for i := range 150 {
		if _, err := client.GetCallerIdentity(ctx(t), &sts.GetCallerIdentityInput{}); err != nil {
			t.Fatalf("GetCallerIdentity %d: %v", i+1, err)
		}
	}
}

func TestSetRateLimitsOff(t *testing.T) {
	e, _ := newLimitedEnv(t)
	e.server.SetRateLimits(false)
	id := e.idsOfGroup("web")[0]
	for i := range 80 {
		if err := e.reboot(t, id); err != nil {
			t.Fatalf("call %d with limits off: %v", i+1, err)
		}
	}
	e.server.SetRateLimits(true)
	// Buckets stayed full while off: limits were not applied, not spent.
	for i := range 50 {
		if err := e.reboot(t, id); err != nil {
			t.Fatalf("call %d after turning limits back on: %v", i+1, err)
		}
	}
	wantThrottled(t, e.reboot(t, id))
}
