package ec2api_test

import (
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/ec2"

	"gameday/internal/fleet"
	"gameday/internal/sim"
)

// TestStartInstancesBurstThroughTheHandler: the StartInstances request
// bucket holds 5 (ec2-api.md). Five starts of stopped instances are served
// and start them; the sixth, at the same instant, is refused with HTTP 503
// RequestLimitExceeded and starts nothing. Retries are off (awsConfig), so
// the SDK shows the first answer.
func TestStartInstancesBurstThroughTheHandler(t *testing.T) {
	e, _ := newLimitedEnv(t)
	ids := e.idsOfGroup("web")[:6]
	// Stopped directly on the simulator: no API call, no token spent. The
	// test fleet stops instantly.
	if _, err := e.sim.StopInstances(ids, false); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the six instances to stop", func() bool {
		return !slices.ContainsFunc(ids, func(id string) bool { return stateOf(e.sim, id) != fleet.StateStopped })
	})

	for i, id := range ids[:5] {
		out, err := e.ec2.StartInstances(ctx(t), &ec2.StartInstancesInput{InstanceIds: []string{id}})
		if err != nil {
			t.Fatalf("start %d of the burst: %v; the StartInstances request bucket holds 5", i+1, err)
		}
		if got := out.StartingInstances; len(got) != 1 || *got[0].InstanceId != id || got[0].PreviousState.Name != fleet.StateStopped {
			t.Errorf("start %d answered %+v, want %s leaving stopped", i+1, got, id)
		}
	}
	_, err := e.ec2.StartInstances(ctx(t), &ec2.StartInstancesInput{InstanceIds: ids[5:]})
	wantThrottled(t, err)

	for i, id := range ids {
		if stopped := stateOf(e.sim, id) == fleet.StateStopped; stopped != (i == 5) {
			t.Errorf("start %d: %s is %s afterwards", i+1, id, stateOf(e.sim, id))
		}
	}
	if got := auditCodes(e.sim, sim.ActionStartInstances); got[""] != 5 || got["RequestLimitExceeded"] != 1 || len(got) != 2 {
		t.Errorf("audit codes %v, want 5 served starts and 1 RequestLimitExceeded", got)
	}
	started := slices.Sorted(func(yield func(string) bool) {
		for id := range e.sim.CallCounts(sim.ActionStartInstances) {
			yield(id)
		}
	})
	if want := slices.Sorted(slices.Values(ids[:5])); !slices.Equal(started, want) {
		t.Errorf("instances started through the API %v, want %v", started, want)
	}
}

// stateOf is the state of one instance, "" if unknown.
func stateOf(s *sim.Sim, id string) string {
	for _, in := range s.Instances() {
		if in.ID == id {
			return in.State
		}
	}
	return ""
}
