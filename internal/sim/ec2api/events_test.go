package ec2api_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"gameday/internal/sim"
)

// eventedFleet is stateFleet with a system reboot of two web hosts due in
// 10 minutes and the retirement of one worker due in 20.
func eventedFleet() sim.FleetSpec {
	spec := stateFleet()
	after := sim.In(2 * time.Hour)
	spec.Events = []sim.EventSpec{
		{Code: sim.EventSystemReboot, Tags: map[string]string{"app": "web"}, Count: 2,
			NotBefore: sim.In(10 * time.Minute), NotAfter: &after},
		{Code: sim.EventInstanceRetirement, Tags: map[string]string{"app": "worker"}, Count: 1,
			NotBefore: sim.In(20 * time.Minute), Description: "degraded hardware"},
	}
	return spec
}

// statusesWith lists the statuses DescribeInstanceStatus answers for
// filters, with every instance included.
func (e *env) statusesWith(t *testing.T, filters ...types.Filter) []types.InstanceStatus {
	t.Helper()
	out, err := e.ec2.DescribeInstanceStatus(ctx(t), &ec2.DescribeInstanceStatusInput{
		Filters: filters, IncludeAllInstances: aws.Bool(true),
	})
	if err != nil {
		t.Fatal(err)
	}
	return out.InstanceStatuses
}

func statusIDs(statuses []types.InstanceStatus) []string {
	var ids []string
	for _, st := range statuses {
		ids = append(ids, aws.ToString(st.InstanceId))
	}
	return ids
}

func TestEventsInDescribeInstanceStatus(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newInProcessEnv(t, eventedFleet())
		start := time.Now()
		reboots := e.statusesWith(t, filter("event.code", "system-reboot"))
		if len(reboots) != 2 {
			t.Fatalf("event.code system-reboot lists %d instances, want 2", len(reboots))
		}
		ev := reboots[0].Events[0]
		if !strings.HasPrefix(aws.ToString(ev.InstanceEventId), "instance-event-") || ev.Code != types.EventCodeSystemReboot ||
			aws.ToString(ev.Description) != "Scheduled system reboot" || !aws.ToTime(ev.NotBefore).Equal(start.Add(10*time.Minute)) ||
			!aws.ToTime(ev.NotAfter).Equal(start.Add(2*time.Hour)) || ev.NotBeforeDeadline != nil {
			t.Errorf("event %+v", ev)
		}
		byID := e.statusesWith(t, filter("event.instance-event-id", aws.ToString(ev.InstanceEventId)))
		if ids := statusIDs(byID); len(ids) != 1 || ids[0] != aws.ToString(reboots[0].InstanceId) {
			t.Errorf("event.instance-event-id lists %v", ids)
		}
		retire := e.statusesWith(t, filter("event.code", "instance-retirement"), filter("system-status.status", "ok"),
			filter("instance-status.status", "ok"), filter("instance-state-name", "running"))
		if len(retire) != 1 || aws.ToString(retire[0].Events[0].Description) != "degraded hardware" {
			t.Errorf("retirement: %+v", retire)
		}
		az := aws.ToString(reboots[1].AvailabilityZone)
		if got := e.statusesWith(t, filter("event.code", "system-reboot"), filter("availability-zone", az)); len(got) == 0 {
			t.Errorf("event.code and availability-zone %s select nothing", az)
		}
		if got := e.statusesWith(t, filter("event.code", "instance-stop")); len(got) != 0 {
			t.Errorf("instance-stop lists %d instances, want none", len(got))
		}
	})
}

// TestSimulatorPerformsEventsUnlessTheOwnerActsFirst walks the two events
// of eventedFleet: the owner reboots one of the two hosts ahead of the
// window; at not_before the simulator reboots the other, and later
// retires the worker.
func TestSimulatorPerformsEventsUnlessTheOwnerActsFirst(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newInProcessEnv(t, eventedFleet())
		held := statusIDs(e.statusesWith(t, filter("event.code", "system-reboot")))
		worker := statusIDs(e.statusesWith(t, filter("event.code", "instance-retirement")))[0]
		if err := e.rebootErr(held[0]); err != nil {
			t.Fatal(err)
		}
		if got := statusIDs(e.statusesWith(t, filter("event.code", "system-reboot"))); !slices.Equal(got, held[1:]) {
			t.Fatalf("after the owner's reboot the event is held by %v, want %v", got, held[1:])
		}

		time.Sleep(10 * time.Minute)
		synctest.Wait()
		instance, _, _ := e.statusOf(t, held[1])
		done := e.statusesWith(t, filter("event.description", "[Completed]*"))
		if instance != types.SummaryStatusImpaired || len(done) != 1 || aws.ToString(done[0].InstanceId) != held[1] {
			t.Fatalf("at not_before: %s is %s, completed events on %v", held[1], instance, statusIDs(done))
		}
		// The simulator's reboot is AWS's, not an API call: the audit shows
		// the owner's reboot alone.
		if counts := e.sim.RebootCounts(); len(counts) != 1 || counts[held[0]] != 1 {
			t.Errorf("RebootCounts() = %v, want only the owner's reboot of %s", counts, held[0])
		}

		time.Sleep(10 * time.Minute)
		synctest.Wait()
		got := e.describeOne(t, worker)
		if got.State.Name != types.InstanceStateNameStopping && got.State.Name != types.InstanceStateNameStopped ||
			aws.ToString(got.StateReason.Code) != "Server.ScheduledStop" {
			t.Fatalf("retired worker: %s, reason %+v", got.State.Name, got.StateReason)
		}
		out, err := e.ec2.DescribeInstances(ctx(t), &ec2.DescribeInstancesInput{Filters: []types.Filter{filter("state-reason-code", "Server.ScheduledStop")}})
		if err != nil || len(out.Reservations) != 1 {
			t.Errorf("state-reason-code filter: %v, %d reservations", err, len(out.Reservations))
		}
	})
}

func TestHardRebootLengthensDowntimeThroughSDK(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		boot := stateFleet().Groups[0].Boot
		boot.HardRebootProbability = 1
		boot.HardRebootDelay = sim.Range{Min: 4 * time.Minute, Max: 4 * time.Minute}
		e := newInProcessEnv(t, withBoot(boot))
		id := e.idsOfGroup("web")[0]
		if err := e.rebootErr(id); err != nil {
			t.Fatal(err)
		}
		// A clean reboot is back after 30 s; this one after 4 min 30 s.
		time.Sleep(4*time.Minute + 29*time.Second)
		synctest.Wait()
		if got, _, _ := e.statusOf(t, id); got != types.SummaryStatusImpaired {
			t.Fatalf("at 4m29s: %s, want impaired", got)
		}
		time.Sleep(time.Second)
		synctest.Wait()
		if got, _, _ := e.statusOf(t, id); got != types.SummaryStatusInitializing {
			t.Fatalf("at 4m30s: %s, want initializing", got)
		}
		// The waiter's real delays (15-120 s) cost nothing on the fake clock.
		wait, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
		defer cancel()
		waiter := ec2.NewInstanceStatusOkWaiter(e.ec2)
		if err := waiter.Wait(wait, &ec2.DescribeInstanceStatusInput{InstanceIds: []string{id}}, 10*time.Minute); err != nil {
			t.Fatal(err)
		}
	})
}
