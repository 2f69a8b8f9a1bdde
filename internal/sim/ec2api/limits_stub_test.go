package ec2api_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"gameday/internal/sim"
	"gameday/internal/sim/ec2api"
)

// stubAPI answers every call as a success of its Action and counts the
// calls that reach it. A throttled call never reaches the handler, so the
// middleware's pricing can be tested over this stub with ids that need not
// exist (1,000 starts from a 15-instance fleet) and states that need not
// allow the call; limits_start_test.go bursts StartInstances through the
// real handler.
type stubAPI struct{ calls atomic.Int64 }

func (s *stubAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.calls.Add(1)
	// The body must still be readable after the middleware read it.
	if err := r.ParseForm(); err != nil || r.Form.Get("Action") == "" {
		http.Error(w, "stub: no Action in the body", http.StatusBadRequest)
		return
	}
	w.Header().Set("Content-Type", "text/xml;charset=UTF-8")
	fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?>
<%[1]sResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>stub</requestId></%[1]sResponse>`, r.Form.Get("Action"))
}

type stubEnv struct {
	url  string
	ec2  *ec2.Client
	stub *stubAPI
	sim  *sim.Sim
}

// newStubEnv serves the stub behind the rate limits on loopback, with an
// SDK client for it, retries off.
func newStubEnv(t *testing.T) *stubEnv {
	t.Helper()
	s := newEnv(t, false).sim // only its audit log is used
	stub := &stubAPI{}
	srv := httptest.NewServer(ec2api.WithRateLimits(stub, s, newHandClock().Now))
	t.Cleanup(srv.Close)
	client := ec2.NewFromConfig(awsConfig(), func(o *ec2.Options) { o.BaseEndpoint = aws.String(srv.URL) })
	return &stubEnv{url: srv.URL, ec2: client, stub: stub, sim: s}
}

func instanceIDs(n int) []string {
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("i-%017x", i+1)
	}
	return ids
}

func startInstances(c context.Context, client *ec2.Client, ids []string, dryRun bool) error {
	_, err := client.StartInstances(c, &ec2.StartInstancesInput{InstanceIds: ids, DryRun: aws.Bool(dryRun)})
	return err
}

func TestStartInstancesRequestBucket(t *testing.T) {
	e := newStubEnv(t)
	for i := range 5 {
		if err := startInstances(ctx(t), e.ec2, instanceIDs(1), false); err != nil {
			t.Fatalf("start %d: %v; the StartInstances request bucket holds 5", i+1, err)
		}
	}
	wantThrottled(t, startInstances(ctx(t), e.ec2, instanceIDs(1), false))
	if got := e.stub.calls.Load(); got != 5 {
		t.Errorf("handler reached %d times, want 5 (the throttled call must not reach it)", got)
	}
	if got := auditCodes(e.sim, "StartInstances"); got["RequestLimitExceeded"] != 1 {
		t.Errorf("audit codes %v, want the throttled call recorded", got)
	}
}

func TestStartInstancesResourceBucket(t *testing.T) {
	e := newStubEnv(t)
	if err := startInstances(ctx(t), e.ec2, instanceIDs(1000), false); err != nil {
		t.Fatalf("starting 1,000 instances from a full resource bucket: %v", err)
	}
	// 4 request tokens remain, but no instance tokens.
	wantThrottled(t, startInstances(ctx(t), e.ec2, instanceIDs(1), false))
	if got := e.stub.calls.Load(); got != 1 {
		t.Errorf("handler reached %d times, want 1", got)
	}
}

// TestStartDryRunTakesNoResourceTokens pins a decision: a DryRun must pass
// the request bucket but starts nothing, so it takes no instance tokens.
func TestStartDryRunTakesNoResourceTokens(t *testing.T) {
	e := newStubEnv(t)
	if err := startInstances(ctx(t), e.ec2, instanceIDs(1000), true); err != nil {
		t.Fatalf("DryRun start of 1,000: %v", err)
	}
	if err := startInstances(ctx(t), e.ec2, instanceIDs(1000), false); err != nil {
		t.Fatalf("start of 1,000 after a DryRun of 1,000: %v; the DryRun took instance tokens", err)
	}
}

func TestCreateTagsBucketAndAudit(t *testing.T) {
	e := newStubEnv(t)
	ids := instanceIDs(3)
	in := &ec2.CreateTagsInput{Resources: ids, Tags: []types.Tag{{Key: aws.String("gameday"), Value: aws.String("touched")}}}
	for i := range 100 {
		if _, err := e.ec2.CreateTags(ctx(t), in); err != nil {
			t.Fatalf("CreateTags %d: %v; its bucket holds 100", i+1, err)
		}
	}
	_, err := e.ec2.DeleteTags(ctx(t), &ec2.DeleteTagsInput{Resources: ids})
	wantThrottled(t, err)
	audit := e.sim.Audit()
	if len(audit) != 1 || audit[0].Action != "DeleteTags" || !slices.Equal(audit[0].InstanceIDs, ids) {
		t.Errorf("audit %+v, want the throttled DeleteTags naming its ResourceId.N %v", audit, ids)
	}
}

// TestOtherServicesAreNotLimited: only EC2's API version is limited; STS
// and ELB calls pass, whatever their action's name.
func TestOtherServicesAreNotLimited(t *testing.T) {
	e := newStubEnv(t)
	bodies := []string{
		"Action=DescribeListeners&Version=2015-12-01", // ELBv2
		"Action=GetCallerIdentity&Version=2011-06-15", // STS
	}
	for _, body := range bodies {
		for i := range 120 {
			resp, err := http.Post(e.url, "application/x-www-form-urlencoded", strings.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			_ = resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("%s call %d: HTTP %d, want 200 (not limited)", body, i+1, resp.StatusCode)
			}
		}
	}
}
