package sim

import (
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"gameday/internal/fleet"
	"gameday/internal/scenario"
)

// eventFleet is cycleFleet (12 instances in a and b) with one event.
func eventFleet(e EventSpec) FleetSpec {
	spec := cycleFleet(nil)
	spec.Groups[0].Count = 12
	spec.Events = []EventSpec{e}
	return spec
}

func eventHolders(s *Sim) (pending, completed []string) {
	ev := s.ScheduledEvents()[0]
	return ev.Pending, ev.Completed
}

func TestEventChoiceIsSeededAndSized(t *testing.T) {
	choice := func(seed uint64, e EventSpec) []string {
		s, err := New(eventFleet(e), Options{Seed: seed})
		if err != nil {
			t.Fatal(err)
		}
		pending, _ := eventHolders(s)
		return pending
	}
	three := EventSpec{Code: EventSystemReboot, Count: 3, AvailabilityZones: []string{"us-east-1b"}, NotBefore: In(time.Hour)}
	a, b := choice(7, three), choice(7, three)
	if len(a) != 3 || !slices.Equal(a, b) {
		t.Fatalf("seed 7 chose %v, then %v", a, b)
	}
	if other := choice(8, three); slices.Equal(a, other) {
		t.Errorf("seeds 7 and 8 chose the same %v", a)
	}
	s, _ := New(eventFleet(three), Options{Seed: 7})
	for _, v := range s.Describe() {
		if slices.Contains(a, v.ID) != (len(v.Events) == 1) || (len(v.Events) == 1 && v.AZ != "us-east-1b") {
			t.Errorf("%s in %s has events %+v", v.ID, v.AZ, v.Events)
		}
	}
	quarter := EventSpec{Code: EventInstanceStop, Percent: &scenario.Percent{Value: 25}, NotBefore: In(time.Hour)}
	if got := len(choice(1, quarter)); got != 3 {
		t.Errorf("25%% of 12 chose %d, want 3", got)
	}
	named := EventSpec{Code: EventInstanceStop, Tags: map[string]string{"Name": "web-1?"}, NotBefore: In(time.Hour)}
	if got := len(choice(1, named)); got != 3 {
		t.Errorf("Name web-1? chose %d, want web-10..web-12", got)
	}
}

func TestEventIsPerformedWhenDue(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := startAPIOnly(t, eventFleet(EventSpec{
			Code: EventSystemReboot, Count: 2, NotBefore: In(10 * time.Minute), NotAfter: &EventTime{After: 2 * time.Hour},
		}))
		pending, _ := eventHolders(s)
		v := view(t, s, pending[0])
		start := time.Now()
		if e := v.Events[0]; !strings.HasPrefix(e.ID, "instance-event-") || len(e.ID) != len("instance-event-")+17 ||
			!e.NotBefore.Equal(start.Add(10*time.Minute)) || !e.NotAfter.Equal(start.Add(2*time.Hour)) || e.Completed {
			t.Fatalf("event before it is due: %+v", e)
		}
		time.Sleep(10*time.Minute - time.Millisecond)
		synctest.Wait()
		if v := view(t, s, pending[0]); v.Reboots != 0 {
			t.Fatal("rebooted before not_before")
		}
		time.Sleep(time.Millisecond)
		synctest.Wait()
		for _, id := range fleet.IDs(s.Instances()) {
			v := view(t, s, id)
			switch held := slices.Contains(pending, id); {
			case held && (v.Reboots != 1 || v.Health != HealthDown || !v.Events[0].Completed ||
				!strings.HasPrefix(v.Events[0].Description, "[Completed] ")):
				t.Errorf("%s: %d reboots, health %s, event %+v; want rebooted and the event completed", id, v.Reboots, v.Health, v.Events[0])
			case !held && v.Reboots != 0:
				t.Errorf("%s has no event and was rebooted", id)
			}
		}
		if _, done := eventHolders(s); !slices.Equal(done, pending) {
			t.Errorf("completed %v, want %v", done, pending)
		}
	})
}

func TestOwnerRebootClearsRebootEvent(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := startAPIOnly(t, eventFleet(EventSpec{Code: EventInstanceReboot, Count: 2, NotBefore: In(10 * time.Minute)}))
		pending, _ := eventHolders(s)
		if err := s.Reboot(pending[:1]); err != nil {
			t.Fatal(err)
		}
		if v := view(t, s, pending[0]); len(v.Events) != 0 {
			t.Fatalf("owner rebooted, events still %+v", v.Events)
		}
		time.Sleep(10 * time.Minute)
		synctest.Wait()
		if v := view(t, s, pending[0]); v.Reboots != 1 {
			t.Errorf("owner-rebooted instance rebooted %d times, want once (by its owner)", v.Reboots)
		}
		if v := view(t, s, pending[1]); v.Reboots != 1 || !v.Events[0].Completed {
			t.Errorf("the other instance: %d reboots, events %+v; want the simulator's reboot", v.Reboots, v.Events)
		}
	})
}

func TestRetirementStopsAndStaysStopped(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := startAPIOnly(t, eventFleet(EventSpec{Code: EventInstanceRetirement, Count: 3, NotBefore: In(time.Hour)}))
		pending, _ := eventHolders(s)
		stoppedFirst, restarted, left := pending[0], pending[1], pending[2]
		mustStop(t, s, stoppedFirst, restarted)
		time.Sleep(30 * time.Second)
		if _, err := s.StartInstances([]string{restarted}); err != nil {
			t.Fatal(err)
		}
		if v := view(t, s, restarted); len(v.Events) != 0 {
			t.Errorf("stopped and started, still holds %+v", v.Events)
		}
		time.Sleep(time.Hour)
		synctest.Wait()
		v := view(t, s, left)
		if v.StateReason == nil || v.StateReason.Code != "Server.ScheduledStop" || !strings.HasPrefix(v.StateTransitionReason, "Service initiated (") {
			t.Errorf("retired instance reasons: %+v %q", v.StateReason, v.StateTransitionReason)
		}
		wantPhase(t, s, left, time.Hour, fleet.StateStopped, HealthOff)
		wantPhase(t, s, restarted, 0, fleet.StateRunning, HealthUp)
		// Stopped but not started by its owner: nothing to do, completed.
		if v := view(t, s, stoppedFirst); v.State != fleet.StateStopped || !v.Events[0].Completed ||
			v.StateReason.Code != "Client.UserInitiatedShutdown" {
			t.Errorf("owner-stopped instance: %s, events %+v, reason %+v", v.State, v.Events, v.StateReason)
		}
	})
}

func TestMaintenanceEventChangesNothing(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := startAPIOnly(t, eventFleet(EventSpec{Code: EventSystemMaintenance, NotBefore: In(time.Minute)}))
		_ = s.Reboot(fleet.IDs(s.Instances())[:1]) // an owner reboot does not clear it
		time.Sleep(2 * time.Minute)
		synctest.Wait()
		pending, done := eventHolders(s)
		if len(pending) != 0 || len(done) != 12 {
			t.Errorf("pending %d, completed %d; want all 12 completed", len(pending), len(done))
		}
		for _, v := range s.Describe() {
			if v.State != fleet.StateRunning || v.Reboots > 1 {
				t.Errorf("%s: %s after %d reboots", v.ID, v.State, v.Reboots)
			}
		}
	})
}

func TestPastEventIsPerformedAtStart(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		past := time.Now().Add(-time.Hour)
		s := startAPIOnly(t, eventFleet(EventSpec{Code: EventInstanceReboot, Count: 1, NotBefore: EventTime{At: past}}))
		synctest.Wait()
		if _, done := eventHolders(s); len(done) != 1 {
			t.Errorf("an event due an hour ago was not performed at start")
		}
	})
}
