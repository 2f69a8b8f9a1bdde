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

func TestBootDrawIsKeyedNotOrdered(t *testing.T) {
	boot := BootSpec{Down: Range{time.Second, 5 * time.Second}, Starting: Range{0, time.Second}}
	d1, s1 := bootDraw(7, "i-0123456789abcdef0", 1, boot)
	_, _ = bootDraw(7, "i-0fffffffffffffff0", 1, boot) // another instance in between
	d2, s2 := bootDraw(7, "i-0123456789abcdef0", 1, boot)
	if d1 != d2 || s1 != s2 {
		t.Fatalf("same key drew (%v,%v) then (%v,%v)", d1, s1, d2, s2)
	}
	if d1 < time.Second || d1 > 5*time.Second || s1 < 0 || s1 > time.Second {
		t.Fatalf("draw (%v,%v) outside its ranges", d1, s1)
	}
	distinct := map[time.Duration]bool{}
	for reboot := 1; reboot <= 20; reboot++ {
		d, _ := bootDraw(7, "i-0123456789abcdef0", reboot, boot)
		distinct[d] = true
	}
	if len(distinct) < 15 {
		t.Fatalf("20 reboots drew only %d distinct down times", len(distinct))
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
