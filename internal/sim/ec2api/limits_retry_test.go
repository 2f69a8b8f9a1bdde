package ec2api_test

import (
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
)

// These tests document what a client with the SDK's standard retryer sees:
// its default retryables (throttle codes incl. RequestLimitExceeded, HTTP
// 5xx, connection errors) and attempts, with only the backoff replaced so
// the test does not sleep for seconds.

// retryingClient uses the standard retryer; between attempts it calls
// between (to move a clock or change faults) instead of sleeping.
func (e *env) retryingClient(between func(attempt int)) *ec2.Client {
	return ec2.NewFromConfig(awsConfig(), func(o *ec2.Options) {
		o.BaseEndpoint = aws.String(e.server.URL())
		o.RetryMaxAttempts = 0 // awsConfig turns retries off; undo that
		o.Retryer = retry.NewStandard(func(so *retry.StandardOptions) {
			so.Backoff = retry.BackoffDelayerFunc(func(attempt int, _ error) (time.Duration, error) {
				between(attempt)
				return 0, nil
			})
		})
	})
}

func TestSDKRetryOutlastsThrottling(t *testing.T) {
	e, clock := newLimitedEnv(t)
	id := e.idsOfGroup("web")[0]
	for range 50 {
		if err := e.reboot(t, id); err != nil {
			t.Fatal(err)
		}
	}
	client := e.retryingClient(func(int) { clock.Advance(200 * time.Millisecond) })
	out, err := client.RebootInstances(ctx(t), &ec2.RebootInstancesInput{InstanceIds: []string{id}})
	if err != nil {
		t.Fatalf("with retries, a throttled call whose bucket refills should succeed: %v", err)
	}
	if results, ok := retry.GetAttemptResults(out.ResultMetadata); !ok || len(results.Results) != 2 {
		t.Errorf("attempt results %+v, want 2 attempts (throttled, then served)", results)
	}
	if got := auditCodes(e.sim, "RebootInstances"); got[""] != 51 || got["RequestLimitExceeded"] != 1 {
		t.Errorf("audit codes %v, want 51 served and 1 throttled", got)
	}
}

func TestSDKRetryGivesUpOnSustainedThrottling(t *testing.T) {
	e, _ := newLimitedEnv(t)
	id := e.idsOfGroup("web")[0]
	for range 50 {
		if err := e.reboot(t, id); err != nil {
			t.Fatal(err)
		}
	}
	client := e.retryingClient(func(int) {}) // the clock stands still: no refill
	_, err := client.RebootInstances(ctx(t), &ec2.RebootInstancesInput{InstanceIds: []string{id}})
	wantThrottled(t, err)
	if !strings.Contains(err.Error(), "exceeded maximum number of attempts, 3") {
		t.Errorf("error %q, want the SDK's 3 attempts spent", err)
	}
	if got := auditCodes(e.sim, "RebootInstances")["RequestLimitExceeded"]; got != 3 {
		t.Errorf("%d throttled calls audited, want 3 (one per attempt)", got)
	}
}
