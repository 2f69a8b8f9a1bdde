package ec2api_test

import (
	"net/http"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"gameday/internal/fleet"
	"gameday/internal/sim"
)

func TestRebootThroughSDK(t *testing.T) {
	t.Parallel()
	e := newEnv(t, true)
	targets := e.idsOfGroup("web")[:2]
	bystander := e.idsOfGroup("web-legacy")[0]
	out, err := e.ec2.RebootInstances(ctx(t), &ec2.RebootInstancesInput{InstanceIds: targets})
	if err != nil {
		t.Fatal(err)
	}
	requestID, _ := awsmiddleware.GetRequestIDMetadata(out.ResultMetadata)

	// The listener closes before the API answers: refused right away.
	url := e.sim.HealthURL(targets[0])
	if got := probe(url); got != -1 {
		t.Fatalf("health right after reboot: %d, want connection refused", got)
	}
	if got := probe(e.sim.HealthURL(bystander)); got != http.StatusOK {
		t.Errorf("bystander health: %d, want 200", got)
	}
	waitFor(t, "503 while starting", func() bool { return probe(url) == http.StatusServiceUnavailable })
	waitFor(t, "200 when up", func() bool { return probe(url) == http.StatusOK })

	counts := e.sim.RebootCounts()
	if len(counts) != 2 || counts[targets[0]] != 1 || counts[targets[1]] != 1 {
		t.Errorf("RebootCounts() = %v, want exactly %v once", counts, targets)
	}
	audit := e.sim.Audit()
	last := audit[len(audit)-1]
	if last.Action != "RebootInstances" || !slices.Equal(last.InstanceIDs, targets) ||
		last.DryRun || last.ErrorCode != "" || last.RequestID != requestID || requestID == "" {
		t.Errorf("audit record %+v, want RebootInstances of %v with request id %q", last, targets, requestID)
	}
}

func TestRebootDryRunTouchesNothing(t *testing.T) {
	e := newEnv(t, false)
	id := e.idsOfGroup("web")[0]
	_, err := e.ec2.RebootInstances(ctx(t), &ec2.RebootInstancesInput{InstanceIds: []string{id}, DryRun: aws.Bool(true)})
	wantAPIError(t, err, "DryRunOperation", "Request would have succeeded, but DryRun flag is set.")
	if counts := e.sim.RebootCounts(); len(counts) != 0 {
		t.Errorf("RebootCounts() = %v after a DryRun, want none", counts)
	}
	if h, _ := e.sim.HealthOf(id); h != sim.HealthUp {
		t.Errorf("health %q after a DryRun, want up", h)
	}
	audit := e.sim.Audit()
	if len(audit) != 1 || !audit[0].DryRun || audit[0].ErrorCode != "DryRunOperation" || audit[0].InstanceIDs[0] != id {
		t.Errorf("audit %+v, want one DryRun record", audit)
	}
}

func TestRebootErrorsAreAllOrNothing(t *testing.T) {
	e := newEnv(t, false)
	known := e.idsOfGroup("web")[0]
	tests := []struct {
		name   string
		ids    []string
		dryRun bool
		code   string
	}{
		{"malformed", []string{known, "i-xyz"}, false, "InvalidInstanceID.Malformed"},
		{"unknown", []string{known, "i-0123456789abcdef0"}, false, "InvalidInstanceID.NotFound"},
		// A DryRun answers "would have succeeded" only when it would have.
		{"unknown with DryRun", []string{"i-0123456789abcdef0"}, true, "InvalidInstanceID.NotFound"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.ec2.RebootInstances(ctx(t), &ec2.RebootInstancesInput{InstanceIds: tt.ids, DryRun: aws.Bool(tt.dryRun)})
			wantAPIError(t, err, tt.code, "")
		})
	}
	if counts := e.sim.RebootCounts(); len(counts) != 0 {
		t.Errorf("RebootCounts() = %v after failed calls, want none", counts)
	}
	if h, _ := e.sim.HealthOf(known); h != sim.HealthUp {
		t.Errorf("health of %s is %q, want up: a failed call rebooted it", known, h)
	}
	codes := []string{}
	for _, rec := range e.sim.Audit() {
		codes = append(codes, rec.ErrorCode)
	}
	if want := []string{"InvalidInstanceID.Malformed", "InvalidInstanceID.NotFound", "InvalidInstanceID.NotFound"}; !slices.Equal(codes, want) {
		t.Errorf("audited codes %v, want %v", codes, want)
	}
}

// statusOf returns instance and system status of id via the SDK, and the
// instance's reachability detail ("" when there is none).
func (e *env) statusOf(t *testing.T, id string) (instance, system types.SummaryStatus, reach types.StatusType) {
	t.Helper()
	out, err := e.ec2.DescribeInstanceStatus(ctx(t), &ec2.DescribeInstanceStatusInput{
		InstanceIds: []string{id}, IncludeAllInstances: aws.Bool(true),
	})
	if err != nil {
		t.Fatalf("DescribeInstanceStatus: %v", err)
	}
	if len(out.InstanceStatuses) != 1 {
		t.Fatalf("DescribeInstanceStatus: %d statuses, want 1", len(out.InstanceStatuses))
	}
	st := out.InstanceStatuses[0]
	if d := st.InstanceStatus.Details; len(d) > 0 {
		reach = d[0].Status
	}
	return st.InstanceStatus.Status, st.SystemStatus.Status, reach
}

func TestDescribeInstanceStatusFollowsReboot(t *testing.T) {
	t.Parallel()
	e := newEnv(t, true)
	id := e.idsOfGroup("worker")[0]
	if got, sys, reach := e.statusOf(t, id); got != types.SummaryStatusOk || sys != types.SummaryStatusOk || reach != types.StatusTypePassed {
		t.Fatalf("before reboot: %s/%s/%s, want ok/ok/passed", got, sys, reach)
	}
	if _, err := e.ec2.RebootInstances(ctx(t), &ec2.RebootInstancesInput{InstanceIds: []string{id}}); err != nil {
		t.Fatal(err)
	}
	if got, sys, reach := e.statusOf(t, id); got != types.SummaryStatusImpaired || sys != types.SummaryStatusOk || reach != types.StatusTypeFailed {
		t.Fatalf("during reboot: %s/%s/%s, want impaired/ok/failed", got, sys, reach)
	}
	waitFor(t, "initializing", func() bool {
		got, _, reach := e.statusOf(t, id)
		return got == types.SummaryStatusInitializing && reach == types.StatusTypeInitializing
	})
	waitFor(t, "ok", func() bool { got, _, _ := e.statusOf(t, id); return got == types.SummaryStatusOk })
}

func TestDescribeInstanceStatusLists(t *testing.T) {
	e := newEnv(t, false)
	var ids []string
	pages := 0
	p := ec2.NewDescribeInstanceStatusPaginator(e.ec2, &ec2.DescribeInstanceStatusInput{MaxResults: aws.Int32(5)})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx(t))
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, st := range out.InstanceStatuses {
			ids = append(ids, aws.ToString(st.InstanceId))
		}
	}
	if want := e.idsWhere(func(fleet.Instance) bool { return true }); !slices.Equal(ids, want) || pages != 3 {
		t.Errorf("got %d ids in %d pages, want %d in 3", len(ids), pages, len(want))
	}

	tooMany := make([]string, 101)
	for i := range tooMany {
		tooMany[i] = "i-0123456789abcdef0"
	}
	_, err := e.ec2.DescribeInstanceStatus(ctx(t), &ec2.DescribeInstanceStatusInput{InstanceIds: tooMany})
	wantAPIError(t, err, "InvalidRequest",
		"101 exceeds the maximum number of instance IDs that can be specificied (100). Please specify fewer than 100 instance IDs.")
}

func TestGetCallerIdentity(t *testing.T) {
	e := newEnv(t, false)
	client := sts.NewFromConfig(awsConfig(), func(o *sts.Options) { o.BaseEndpoint = aws.String(e.server.URL()) })
	out, err := client.GetCallerIdentity(ctx(t), &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatal(err)
	}
	if got := aws.ToString(out.Account); got != testAccount {
		t.Errorf("account %q, want %q", got, testAccount)
	}
	if got, want := aws.ToString(out.Arn), "arn:aws:iam::"+testAccount+":user/gameday-sim"; got != want {
		t.Errorf("arn %q, want %q", got, want)
	}
	if id := aws.ToString(out.UserId); len(id) != 21 || id[:4] != "AIDA" {
		t.Errorf("user id %q, want AIDA + 17 characters", id)
	}
	if audit := e.sim.Audit(); len(audit) != 1 || audit[0].Action != "GetCallerIdentity" || audit[0].ErrorCode != "" {
		t.Errorf("audit %+v, want one GetCallerIdentity record", audit)
	}
}
