package ec2

import (
	"slices"
	"strings"
	"testing"
	"time"

	"gameday/internal/fleet"
	"gameday/internal/sim"
)

// eventsFleet is 20 instances in two zones with four events: reboots of 6,
// retirements of 3 in us-east-1b, maintenance of 2, and one event already
// due when the simulator starts (performed at once, then listed as
// completed).
func eventsFleet() sim.FleetSpec {
	spec := appFleet(20)
	after := sim.In(3 * time.Hour)
	spec.Events = []sim.EventSpec{
		{Code: sim.EventSystemReboot, Count: 6, NotBefore: sim.In(time.Hour), NotAfter: &after},
		{Code: sim.EventInstanceRetirement, Count: 3, AvailabilityZones: []string{"us-east-1b"}, NotBefore: sim.In(2 * time.Hour)},
		{Code: sim.EventSystemMaintenance, Count: 2, NotBefore: sim.In(4 * time.Hour)},
		{Code: sim.EventInstanceReboot, Count: 1, NotBefore: sim.EventTime{At: time.Now().Add(-time.Minute)}},
	}
	return spec
}

// TestScheduledEventsListsEveryEventThroughPages reads the events through
// the SDK: one filtered DescribeInstanceStatus per page (5 a page), with
// IncludeAllInstances so that a stopped instance's event is listed too,
// and completed events kept with their "[Completed]" description.
func TestScheduledEventsListsEveryEventThroughPages(t *testing.T) {
	e := newSimEnv(t, eventsFleet())
	simEvents := e.sim.ScheduledEvents()
	done := simEvents[3]
	deadline := time.Now().Add(3 * time.Second)
	for len(done.Completed) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the event due at start was not performed")
		}
		time.Sleep(5 * time.Millisecond)
		done = e.sim.ScheduledEvents()[3]
	}
	stopped := simEvents[0].Pending[0]
	if _, err := e.sim.StopInstances([]string{stopped}, false); err != nil {
		t.Fatal(err)
	}
	e.waitForState([]string{stopped}, fleet.StateStopped)

	got, err := e.provider(Options{PageSize: 5}).ScheduledEvents(t.Context(), nil)
	if err != nil {
		t.Fatal(err)
	}
	type key struct{ id, code string }
	want := map[key]sim.ScheduledEvent{}
	for _, ev := range e.sim.ScheduledEvents() {
		for _, id := range slices.Concat(ev.Pending, ev.Completed) {
			want[key{id, ev.Code}] = ev
		}
	}
	if len(got) != len(want) {
		t.Fatalf("%d events, want %d", len(got), len(want))
	}
	for i, ev := range got {
		w, ok := want[key{ev.InstanceID, ev.Code}]
		switch {
		case !ok:
			t.Errorf("unexpected event %+v", ev)
		case !ev.NotBefore.Equal(w.NotBefore.Truncate(time.Millisecond)) || !ev.NotAfter.Equal(w.NotAfter.Truncate(time.Millisecond)) || ev.AZ == "" ||
			!strings.HasPrefix(ev.EventID, "instance-event-"):
			t.Errorf("event %+v, want not-before %s, not-after %s, an AZ and an event id", ev, w.NotBefore, w.NotAfter)
		case ev.Code == sim.EventInstanceRetirement && ev.AZ != "us-east-1b":
			t.Errorf("retirement of %s in %s, want us-east-1b", ev.InstanceID, ev.AZ)
		}
		if i > 0 && got[i-1].InstanceID > ev.InstanceID {
			t.Errorf("events not sorted by instance: %s before %s", got[i-1].InstanceID, ev.InstanceID)
		}
		if ev.InstanceID == stopped && ev.State != fleet.StateStopped {
			t.Errorf("stopped instance's event shows state %q", ev.State)
		}
		if ev.InstanceID == done.Completed[0] && !strings.HasPrefix(ev.Description, "[Completed] ") {
			t.Errorf("performed event's description %q lacks [Completed]", ev.Description)
		}
	}
	if !slices.ContainsFunc(got, func(ev ScheduledEvent) bool { return ev.InstanceID == stopped }) {
		t.Error("the stopped instance's event is missing: IncludeAllInstances not sent?")
	}

	// Every page is a filtered call: the event.code filter with the five
	// codes, IncludeAllInstances, MaxResults 5 and no instance ids.
	forms := e.wire.requests("DescribeInstanceStatus")
	holders := map[string]bool{}
	for _, ev := range got {
		holders[ev.InstanceID] = true
	}
	if wantPages := (len(holders) + 4) / 5; len(forms) != wantPages {
		t.Errorf("%d calls for %d instances with events, want %d pages of 5", len(forms), len(holders), wantPages)
	}
	for i, f := range forms {
		if f.Get("Filter.1.Name") != "event.code" || f.Get("Filter.1.Value.5") != "instance-stop" ||
			f.Get("IncludeAllInstances") != "true" || f.Get("MaxResults") != "5" || f.Has("InstanceId.1") {
			t.Errorf("call %d: %v", i+1, f)
		}
		if (i > 0) != f.Has("NextToken") {
			t.Errorf("call %d: NextToken %q", i+1, f.Get("NextToken"))
		}
	}
}

func TestScheduledEventsOfOneCode(t *testing.T) {
	e := newSimEnv(t, eventsFleet())
	got, err := e.provider(Options{}).ScheduledEvents(t.Context(), []string{"system-maintenance"})
	if err != nil {
		t.Fatal(err)
	}
	// One of them may also hold a retirement: only the code asked for is
	// returned.
	if len(got) != 2 || got[0].Code != "system-maintenance" || got[1].Code != "system-maintenance" {
		t.Errorf("got %+v, want the 2 system-maintenance events", got)
	}
}
