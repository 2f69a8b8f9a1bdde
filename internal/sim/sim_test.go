package sim

import (
	"regexp"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"gameday/internal/fleet"
)

var instanceIDShape = regexp.MustCompile(`^i-[0-9a-f]{17}$`)

func TestDeterministicFleet(t *testing.T) {
	build := func(seed uint64) []fleet.Instance {
		t.Helper()
		s, err := New(DemoFleet(), Options{Seed: seed})
		if err != nil {
			t.Fatal(err)
		}
		return s.Instances()
	}
	a, b, other := build(42), build(42), build(43)
	if !slices.EqualFunc(a, b, sameInstance) {
		t.Fatal("same seed gave different fleets")
	}
	if ids := fleet.IDs(a); slices.Equal(ids, fleet.IDs(other)) {
		t.Fatal("different seeds gave the same ids")
	}
	seen := map[string]bool{}
	for _, in := range a {
		if !instanceIDShape.MatchString(in.ID) {
			t.Errorf("id %q is not i- + 17 hex digits", in.ID)
		}
		if seen[in.ID] {
			t.Errorf("duplicate id %s", in.ID)
		}
		seen[in.ID] = true
		if in.State != fleet.StateRunning || in.LaunchTime.IsZero() || in.PrivateIP != "" {
			t.Errorf("%s: state %q launch %v ip %q; want running, a launch time, no ip before Start",
				in.ID, in.State, in.LaunchTime, in.PrivateIP)
		}
	}
	if !slices.IsSortedFunc(a, func(x, y fleet.Instance) int { return strings.Compare(x.ID, y.ID) }) {
		t.Error("Instances() is not sorted by id")
	}
}

func sameInstance(x, y fleet.Instance) bool {
	if x.ID != y.ID || x.AZ != y.AZ || x.InstanceType != y.InstanceType || !x.LaunchTime.Equal(y.LaunchTime) {
		return false
	}
	if len(x.Tags) != len(y.Tags) {
		return false
	}
	for k, v := range x.Tags {
		if y.Tags[k] != v {
			return false
		}
	}
	return true
}

func TestRebootDrawIsKeyedNotOrdered(t *testing.T) {
	boot := BootSpec{Down: Range{time.Second, 5 * time.Second}, Starting: Range{0, time.Second}}
	p1 := planReboot(7, "i-0123456789abcdef0", 1, boot)
	_ = planReboot(7, "i-0fffffffffffffff0", 1, boot) // another instance in between
	p2 := planReboot(7, "i-0123456789abcdef0", 1, boot)
	if p1 != p2 {
		t.Fatalf("same key drew %+v then %+v", p1, p2)
	}
	if p1.down < time.Second || p1.down > 5*time.Second || p1.starting < 0 || p1.starting > time.Second {
		t.Fatalf("draw %+v outside its ranges", p1)
	}
	distinct := map[time.Duration]bool{}
	for cycle := 1; cycle <= 20; cycle++ {
		distinct[planReboot(7, "i-0123456789abcdef0", cycle, boot).down] = true
	}
	if len(distinct) < 15 {
		t.Fatalf("20 reboots drew only %d distinct down times", len(distinct))
	}
}

// TestDrawsDoNotShiftWithSettings checks that switching a probability or
// fixing a range leaves the other draws of a transition alone.
func TestDrawsDoNotShiftWithSettings(t *testing.T) {
	boot := BootSpec{Down: Range{time.Second, 5 * time.Second}, Starting: Range{0, time.Second}}
	base := planReboot(7, "i-0123456789abcdef0", 3, boot)
	boot.HardRebootProbability, boot.HardRebootDelay = 1, Range{4 * time.Minute, 4 * time.Minute}
	hard := planReboot(7, "i-0123456789abcdef0", 3, boot)
	if hard.down != base.down || hard.starting != base.starting || !hard.hard {
		t.Fatalf("hard reboot changed the other draws: %+v vs %+v", hard, base)
	}
	if got, want := hard.downtime(), base.down+4*time.Minute; got != want {
		t.Errorf("downtime %v, want %v", got, want)
	}
}

// tinyFleet is one group whose reboots take exactly 1s down + 2s starting.
func tinyFleet() FleetSpec {
	return FleetSpec{Groups: []GroupSpec{{
		Name: "web", Count: 3, AvailabilityZones: []string{"us-east-1a", "us-east-1b"},
		Tags: map[string]string{"gameday": "opt-in"},
		Boot: BootSpec{Down: Range{time.Second, time.Second}, Starting: Range{2 * time.Second, 2 * time.Second}},
	}}}
}

func TestRebootPhases(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := startAPIOnly(t, tinyFleet())
		id := s.Instances()[0].ID
		other := s.Instances()[1].ID
		if err := s.Reboot([]string{id}); err != nil {
			t.Fatal(err)
		}
		wantHealth(t, s, id, HealthDown)
		wantHealth(t, s, other, HealthUp)
		time.Sleep(time.Second)
		synctest.Wait()
		wantHealth(t, s, id, HealthStarting)
		time.Sleep(2 * time.Second)
		synctest.Wait()
		wantHealth(t, s, id, HealthUp)
		if got := s.Describe()[0].Reboots; got != 1 {
			t.Errorf("reboots = %d, want 1", got)
		}
	})
}

func TestRebootWhileRebootingRestartsCycle(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := startAPIOnly(t, tinyFleet())
		id := s.Instances()[0].ID
		_ = s.Reboot([]string{id})
		time.Sleep(1500 * time.Millisecond) // starting
		synctest.Wait()
		wantHealth(t, s, id, HealthStarting)
		_ = s.Reboot([]string{id})
		wantHealth(t, s, id, HealthDown)
		// The first cycle's timer would end starting at t=3s; it must not.
		time.Sleep(1600 * time.Millisecond) // t=3.1s: second cycle is starting
		synctest.Wait()
		wantHealth(t, s, id, HealthStarting)
		time.Sleep(2 * time.Second)
		synctest.Wait()
		wantHealth(t, s, id, HealthUp)
	})
}

func TestRebootUnknownIsAllOrNothing(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := startAPIOnly(t, tinyFleet())
		id := s.Instances()[0].ID
		if err := s.Reboot([]string{id, "i-00000000000000000"}); err == nil {
			t.Fatal("Reboot with an unknown id succeeded")
		}
		wantHealth(t, s, id, HealthUp)
	})
}

func TestCloseStopsTimers(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := startAPIOnly(t, tinyFleet())
		id := s.Instances()[0].ID
		_ = s.Reboot([]string{id})
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		if err := s.Close(); err != nil {
			t.Fatalf("second Close: %v", err)
		}
		time.Sleep(10 * time.Second)
		synctest.Wait()
		wantHealth(t, s, id, HealthDown) // frozen: no transition after Close
		if err := s.Reboot([]string{id}); err == nil {
			t.Error("Reboot after Close succeeded")
		}
	})
}

func startAPIOnly(t *testing.T, spec FleetSpec) *Sim {
	t.Helper()
	s, err := New(spec, Options{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func wantHealth(t *testing.T, s *Sim, id string, want Health) {
	t.Helper()
	if got, _ := s.HealthOf(id); got != want {
		t.Fatalf("health of %s = %q, want %q", id, got, want)
	}
}
