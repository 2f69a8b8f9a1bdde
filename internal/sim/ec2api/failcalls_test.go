package ec2api_test

import (
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"

	"gameday/internal/sim"
)

// TestFailPicksOneRealCall: api.fail makes exactly the n-th real call of an
// action fail, without acting; DryRuns and other actions do not count, and
// the calls after it are served again.
func TestFailPicksOneRealCall(t *testing.T) {
	t.Parallel()
	spec := testFleet()
	spec.API.Fail = []sim.CallFailure{
		{Action: sim.ActionRebootInstances, Call: 2, Code: "UnauthorizedOperation"},
		{Action: sim.ActionRebootInstances, Call: 3, Code: "InsufficientInstanceCapacity"},
	}
	e := newEnvWith(t, spec, false)
	ids := e.idsOfGroup("web")
	reboot := func(id string, dry bool) error {
		_, err := e.ec2.RebootInstances(ctx(t), &ec2.RebootInstancesInput{InstanceIds: []string{id}, DryRun: aws.Bool(dry)})
		return err
	}
	if err := reboot(ids[0], true); err == nil || !strings.Contains(err.Error(), "DryRunOperation") {
		t.Fatalf("DryRun: %v, want DryRunOperation", err)
	}
	if _, err := e.ec2.StopInstances(ctx(t), &ec2.StopInstancesInput{InstanceIds: []string{ids[4]}}); err != nil {
		t.Fatalf("a stop, another action: %v", err)
	}
	if err := reboot(ids[0], false); err != nil {
		t.Fatalf("first reboot: %v", err)
	}
	wantAPIError(t, reboot(ids[1], false), "UnauthorizedOperation", "You are not authorized to perform this operation.")
	err := reboot(ids[2], false)
	wantAPIError(t, err, "InsufficientInstanceCapacity", "")
	if got := responseStatus(t, err); got != 500 {
		t.Errorf("InsufficientInstanceCapacity: HTTP %d, want 500", got)
	}
	if err := reboot(ids[3], false); err != nil {
		t.Fatalf("fourth reboot: %v", err)
	}
	counts := e.sim.RebootCounts()
	if len(counts) != 2 || counts[ids[0]] != 1 || counts[ids[3]] != 1 {
		t.Errorf("rebooted %v, want only %s and %s: a failed call acts on nothing", counts, ids[0], ids[3])
	}
}

func TestFailIsValidated(t *testing.T) {
	t.Parallel()
	_, err := sim.ParseFleet("fleet.yaml", []byte(`groups: [{name: web, count: 1, availability_zones: [us-east-1a]}]
api:
  fail:
    - {action: StopInstance, call: 0, code: Boom}
`))
	for _, want := range []string{`api.fail[0].action: unknown EC2 action "StopInstance"`, "api.fail[0].call", `api.fail[0].code: unknown error code "Boom"`} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseFleet error %v, want it to contain %q", err, want)
		}
	}
}
