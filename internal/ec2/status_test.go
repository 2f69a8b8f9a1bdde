package ec2

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/aws/smithy-go"

	"gameday/internal/fleet"
	"gameday/internal/sim"
)

// TestInstanceStatusCallsCarryAtMost100IDs: 250 instances, one stopped.
// Calls name at most 100 ids each in InstanceId.N, always with
// IncludeAllInstances, so the stopped one is reported too.
func TestInstanceStatusCallsCarryAtMost100IDs(t *testing.T) {
	e := newSimEnv(t, appFleet(250))
	ids := e.ids()
	stopped := ids[17]
	if _, err := e.sim.StopInstances([]string{stopped}, false); err != nil {
		t.Fatal(err)
	}
	e.waitForState([]string{stopped}, fleet.StateStopped)

	got, err := e.provider(Options{}).InstanceStatus(t.Context(), append(slices.Clone(ids), ids[0]))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 250 {
		t.Fatalf("%d statuses, want 250", len(got))
	}
	if s := got[ids[0]]; s.State != fleet.StateRunning || s.System != "ok" || s.Instance != "ok" ||
		s.InstanceDetail != "passed" || s.AZ == "" {
		t.Errorf("running instance: %+v, want running, ok/ok, passed, with its AZ", s)
	}
	if s := got[stopped]; s.State != fleet.StateStopped || s.Instance != "not-applicable" {
		t.Errorf("stopped instance: %+v, want stopped and not-applicable", s)
	}
	if sizes := e.batchSizes(sim.ActionDescribeInstanceStatus); !slices.Equal(sizes, []int{100, 100, 50}) {
		t.Errorf("DescribeInstanceStatus calls of %v ids, want [100 100 50]", sizes)
	}
	for i, form := range e.wire.requests("DescribeInstanceStatus") {
		if form.Get("IncludeAllInstances") != "true" || form.Has("MaxResults") || form.Has("InstanceId.101") {
			t.Errorf("call %d: IncludeAllInstances %q, MaxResults %v, more than 100 ids %v", i+1,
				form.Get("IncludeAllInstances"), form.Has("MaxResults"), form.Has("InstanceId.101"))
		}
	}
}

// TestInstanceStatusLeavesOutVanishedIDs: EC2 fails a whole call naming an
// id that does not exist; the call goes again without it.
func TestInstanceStatusLeavesOutVanishedIDs(t *testing.T) {
	e := newSimEnv(t, appFleet(3))
	gone := []string{"i-0123456789abcdef0", "i-0fedcba987654321f"}
	got, err := e.provider(Options{}).InstanceStatus(t.Context(), append(e.ids(), gone...))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 {
		t.Errorf("%d statuses, want the 3 instances that exist", len(got))
	}
	if codes := e.codes(sim.ActionDescribeInstanceStatus); codes["InvalidInstanceID.NotFound"] != 1 || codes[""] != 1 {
		t.Errorf("calls by error code %v, want one NotFound then one served", codes)
	}
}

func TestInstanceStatusOfNothingMakesNoCall(t *testing.T) {
	e := newSimEnv(t, appFleet(1))
	if got, err := e.provider(Options{}).InstanceStatus(t.Context(), nil); err != nil || len(got) != 0 {
		t.Errorf("InstanceStatus(nil) = %v, %v", got, err)
	}
	if n := len(e.calls(sim.ActionDescribeInstanceStatus)); n != 0 {
		t.Errorf("%d calls, want none", n)
	}
}

func TestInstanceStatusDeniedNamesThePermission(t *testing.T) {
	spec := appFleet(2)
	spec.API.Deny = []string{"DescribeInstanceStatus"}
	e := newSimEnv(t, spec)
	_, err := e.provider(Options{}).InstanceStatus(t.Context(), e.ids())
	var apiErr *APIError
	if !errors.As(err, &apiErr) || apiErr.Code != "UnauthorizedOperation" || !strings.Contains(apiErr.Hint, "ec2:DescribeInstanceStatus") {
		t.Fatalf("err = %v, want UnauthorizedOperation with a hint naming ec2:DescribeInstanceStatus", err)
	}
	if !strings.Contains(err.Error(), "describe instance status of 2 instances") {
		t.Errorf("message %q does not say what was asked", err)
	}
}

func TestVanishedIDs(t *testing.T) {
	batch := []string{"i-0123456789abcdef0", "i-1a2b3c4d", "i-0fedcba987654321f"}
	for _, tt := range []struct {
		msg  string
		want []string
	}{
		{"The instance ID 'i-1a2b3c4d' does not exist", []string{"i-1a2b3c4d"}},
		{"The instance IDs 'i-0123456789abcdef0, i-0fedcba987654321f' do not exist", []string{"i-0123456789abcdef0", "i-0fedcba987654321f"}},
		{"The instance ID 'i-99999999' does not exist", nil}, // not asked about
	} {
		err := fmt.Errorf("wrapped: %w", &smithy.GenericAPIError{Code: "InvalidInstanceID.NotFound", Message: tt.msg})
		if got := vanishedIDs(err, batch); !slices.Equal(got, tt.want) {
			t.Errorf("vanishedIDs(%q) = %v, want %v", tt.msg, got, tt.want)
		}
	}
	if got := vanishedIDs(&smithy.GenericAPIError{Code: "UnauthorizedOperation", Message: "i-1a2b3c4d"}, batch); got != nil {
		t.Errorf("another code: %v, want nothing", got)
	}
}
