package sim

import (
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"gameday/internal/fleet"
)

func fixed(d time.Duration) Range { return Range{d, d} }

// cycleFleet has exact timings, except stopping (5-20 s, forced 5 s).
func cycleFleet(edit func(*BootSpec)) FleetSpec {
	boot := BootSpec{
		Pending: fixed(10 * time.Second), Stopping: Range{5 * time.Second, 20 * time.Second},
		Down: fixed(30 * time.Second), Starting: fixed(4 * time.Second),
	}
	if edit != nil {
		edit(&boot)
	}
	return FleetSpec{Groups: []GroupSpec{{
		Name: "web", Count: 6, AvailabilityZones: []string{"us-east-1a", "us-east-1b"}, PublicIP: true, Boot: boot,
	}}}
}

// view returns the current view of one instance.
func view(t *testing.T, s *Sim, id string) InstanceView {
	t.Helper()
	views, _ := s.Select(Query{IDs: []string{id}})
	if len(views) != 1 {
		t.Fatalf("no instance %s", id)
	}
	return views[0]
}

// wantPhase checks state and health after letting the fake clock run d.
func wantPhase(t *testing.T, s *Sim, id string, d time.Duration, state string, health Health) {
	t.Helper()
	time.Sleep(d)
	synctest.Wait()
	if v := view(t, s, id); v.State != state || v.Health != health {
		t.Fatalf("after %v more: %s/%s, want %s/%s", d, v.State, v.Health, state, health)
	}
}

func TestStopStartCycle(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := startAPIOnly(t, cycleFleet(nil))
		id := s.Instances()[0].ID
		before := view(t, s, id)
		stopping := planStop(1, id, 1, cycleFleet(nil).Groups[0].Boot, false)

		changes, err := s.StopInstances([]string{id}, false)
		if err != nil || len(changes) != 1 || changes[0] != (StateChange{id, "running", "stopping"}) {
			t.Fatalf("StopInstances = %+v, %v", changes, err)
		}
		stopped := view(t, s, id)
		if stopped.StateReason == nil || stopped.StateReason.Code != "Client.UserInitiatedShutdown" ||
			stopped.StateTransitionReason != "User initiated ("+time.Now().UTC().Format("2006-01-02 15:04:05")+" GMT)" {
			t.Errorf("reasons while stopping: %+v %q", stopped.StateReason, stopped.StateTransitionReason)
		}
		wantPhase(t, s, id, stopping-time.Millisecond, fleet.StateStopping, HealthDown)
		wantPhase(t, s, id, time.Millisecond, fleet.StateStopped, HealthOff)
		if v := view(t, s, id); v.PublicIP != "" || v.PrivateIP != before.PrivateIP {
			t.Errorf("stopped: public %q private %q, want none and %q", v.PublicIP, v.PrivateIP, before.PrivateIP)
		}

		changes, err = s.StartInstances([]string{id})
		if err != nil || changes[0] != (StateChange{id, "stopped", "pending"}) {
			t.Fatalf("StartInstances = %+v, %v", changes, err)
		}
		started := view(t, s, id)
		if started.PublicIP == "" || started.PublicIP == before.PublicIP || started.PrivateIP != before.PrivateIP {
			t.Errorf("after start: public %q (was %q) private %q (was %q): want a new public, the same private",
				started.PublicIP, before.PublicIP, started.PrivateIP, before.PrivateIP)
		}
		if started.StateReason != nil || started.StateTransitionReason != "" {
			t.Errorf("a started instance keeps its stop reasons: %+v", started)
		}
		wantPhase(t, s, id, 10*time.Second-time.Millisecond, fleet.StatePending, HealthDown)
		wantPhase(t, s, id, time.Millisecond, fleet.StateRunning, HealthStarting)
		wantPhase(t, s, id, 4*time.Second, fleet.StateRunning, HealthUp)
	})
}

func TestStateRules(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := startAPIOnly(t, cycleFleet(nil))
		ids := fleet.IDs(s.Instances())
		running, stopping, stopped, pending := ids[0], ids[1], ids[2], ids[3]
		mustStop(t, s, stopped, pending)
		time.Sleep(20 * time.Second)
		synctest.Wait()
		mustStop(t, s, stopping)
		if _, err := s.StartInstances([]string{pending}); err != nil {
			t.Fatal(err)
		}
		wantState := func(op string, err error, id, state string) {
			t.Helper()
			var se *StateError
			if !errors.As(err, &se) || *se != (StateError{Op: op, ID: id, State: state}) {
				t.Errorf("%s %s: error %v, want IncorrectInstanceState for a %s instance", op, id, err, state)
			}
		}
		_, err := s.StopInstances([]string{running, pending}, false)
		wantState(OpStop, err, pending, fleet.StatePending)
		_, err = s.StartInstances([]string{stopped, running})
		wantState(OpStart, err, running, fleet.StateRunning)
		_, err = s.StartInstances([]string{stopping})
		wantState(OpStart, err, stopping, fleet.StateStopping)
		wantState(OpReboot, s.Reboot([]string{running, stopped}), stopped, fleet.StateStopped)
		// All or nothing: the valid ids in those calls were not touched.
		for id, state := range map[string]string{running: "running", stopped: "stopped", stopping: "stopping"} {
			if v := view(t, s, id); v.State != state || v.Reboots != 0 {
				t.Errorf("%s: %s after %d reboots, want %s untouched", id, v.State, v.Reboots, state)
			}
		}
		// Stopping what is stopping or stopped answers its state, like EC2.
		changes, err := s.StopInstances([]string{stopped, stopping}, false)
		if err != nil || changes[0] != (StateChange{stopped, "stopped", "stopped"}) || changes[1] != (StateChange{stopping, "stopping", "stopping"}) {
			t.Errorf("stop of stopped and stopping: %+v, %v", changes, err)
		}
		var nf *NotFoundError
		if _, err := s.StopInstances([]string{running, "i-00000000000000000"}, false); !errors.As(err, &nf) {
			t.Errorf("unknown id: error %v, want *NotFoundError", err)
		}
	})
}

func mustStop(t *testing.T, s *Sim, ids ...string) {
	t.Helper()
	if _, err := s.StopInstances(ids, false); err != nil {
		t.Fatal(err)
	}
}

func TestForceStop(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := startAPIOnly(t, cycleFleet(nil))
		ids := fleet.IDs(s.Instances())
		// Pick instances whose clean stop would take well over the forced 5 s.
		var slow []string
		for _, id := range ids {
			if planStop(1, id, 1, cycleFleet(nil).Groups[0].Boot, false) > 6*time.Second {
				slow = append(slow, id)
			}
		}
		if len(slow) < 2 {
			t.Fatalf("seed 1 gives only %d slow stops; pick another fleet", len(slow))
		}
		if _, err := s.StopInstances(slow[:1], true); err != nil {
			t.Fatal(err)
		}
		mustStop(t, s, slow[1])
		time.Sleep(time.Second)
		if _, err := s.StopInstances(slow[1:2], true); err != nil { // hurries a stop under way
			t.Fatal(err)
		}
		wantPhase(t, s, slow[0], 4*time.Second-time.Millisecond, fleet.StateStopping, HealthDown)
		wantPhase(t, s, slow[0], time.Millisecond, fleet.StateStopped, HealthOff)
		wantPhase(t, s, slow[1], time.Second, fleet.StateStopped, HealthOff)
	})
}

func TestBrokenUntilStoppedAndStarted(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		spec := cycleFleet(func(b *BootSpec) { b.BrokenProbability = 0.5 })
		s := startAPIOnly(t, spec)
		// An instance whose first reboot breaks it and whose start (its
		// fourth transition: reboot, reboot, stop, start) does not.
		boot := spec.Groups[0].Boot
		var id string
		for _, cand := range fleet.IDs(s.Instances()) {
			if planReboot(1, cand, 1, boot).broken && !planStart(1, cand, 4, boot).broken {
				id = cand
			}
		}
		if id == "" {
			t.Fatal("no instance fits; pick another seed")
		}
		_ = s.Reboot([]string{id})
		wantPhase(t, s, id, 34*time.Second, fleet.StateRunning, HealthBroken)
		_ = s.Reboot([]string{id}) // a reboot does not mend it
		wantPhase(t, s, id, 34*time.Second, fleet.StateRunning, HealthBroken)
		mustStop(t, s, id)
		time.Sleep(20 * time.Second)
		if _, err := s.StartInstances([]string{id}); err != nil {
			t.Fatal(err)
		}
		wantPhase(t, s, id, 14*time.Second, fleet.StateRunning, HealthUp)
	})
}

func TestHardRebootLengthensDowntime(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		spec := cycleFleet(func(b *BootSpec) {
			b.HardRebootProbability, b.HardRebootDelay = 1, fixed(4*time.Minute)
		})
		s := startAPIOnly(t, spec)
		id := s.Instances()[0].ID
		_ = s.Reboot([]string{id})
		wantPhase(t, s, id, 30*time.Second+4*time.Minute-time.Millisecond, fleet.StateRunning, HealthDown)
		wantPhase(t, s, id, time.Millisecond, fleet.StateRunning, HealthStarting)
	})
}

func TestStopDuringRebootWins(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := startAPIOnly(t, cycleFleet(func(b *BootSpec) { b.Stopping = fixed(5 * time.Second) }))
		id := s.Instances()[0].ID
		_ = s.Reboot([]string{id})
		time.Sleep(10 * time.Second)
		mustStop(t, s, id)
		// The reboot would have come back at t=30 s; it must not.
		wantPhase(t, s, id, 25*time.Second, fleet.StateStopped, HealthOff)
	})
}

func TestLifecycleIsDeterministic(t *testing.T) {
	// Each bubble's fake clock starts at the same instant, so the times at
	// which the stops end can be compared across runs.
	run := func() []time.Time {
		var ends []time.Time
		synctest.Test(t, func(t *testing.T) {
			s := startAPIOnly(t, cycleFleet(nil))
			mustStop(t, s, fleet.IDs(s.Instances())...)
			time.Sleep(time.Minute)
			synctest.Wait()
			for _, v := range s.Describe() {
				ends = append(ends, v.HealthSince)
			}
		})
		return ends
	}
	a, b := run(), run()
	distinct := map[time.Time]bool{}
	for i := range a {
		if !a[i].Equal(b[i]) {
			t.Fatalf("stop %d ended at %v, then at %v", i, a[i], b[i])
		}
		distinct[a[i]] = true
	}
	if len(distinct) < 3 {
		t.Errorf("6 stops ended at only %d distinct times: the draws do not vary", len(distinct))
	}
}

func TestDecisionsAreLogged(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		core, logs := observer.New(zap.DebugLevel)
		spec := eventFleet(EventSpec{Code: EventInstanceRetirement, Count: 1, NotBefore: In(time.Minute)})
		spec.Groups[0].Boot.HardRebootProbability, spec.Groups[0].Boot.HardRebootDelay = 1, fixed(4*time.Minute)
		s, err := New(spec, Options{Seed: 1, Logger: zap.New(core)})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Start(); err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		retiring := s.ScheduledEvents()[0].Pending[0]
		var other string
		for _, id := range fleet.IDs(s.Instances()) {
			if id != retiring {
				other = id
			}
		}
		_ = s.Reboot([]string{other})
		time.Sleep(time.Minute)
		synctest.Wait()
		for msg, fields := range map[string]map[string]any{
			"reboot":          {"instance": other, "by": "owner", "hard_reboot": true, "hard_reboot_delay": 4 * time.Minute},
			"event performed": {"instance": retiring, "code": EventInstanceRetirement, "action": "stop"},
			"stop":            {"instance": retiring, "scheduled": true, "force": false},
		} {
			entries := logs.FilterMessage(msg).All()
			if len(entries) != 1 {
				t.Errorf("%d %q logs, want 1", len(entries), msg)
				continue
			}
			got := entries[0].ContextMap()
			for k, want := range fields {
				if got[k] != want {
					t.Errorf("%q log: %s = %v, want %v", msg, k, got[k], want)
				}
			}
		}
	})
}
