package sim

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"

	"gameday/internal/fleet"
)

// shapes counts instances by what a twin keeps: zone, type, public IP or
// not, and tags but Name.
func shapes(instances []fleet.Instance) map[string]int {
	out := map[string]int{}
	for _, in := range instances {
		tags := maps.Clone(in.Tags)
		delete(tags, "Name")
		out[in.AZ+" "+kindKey(in.InstanceType, in.PublicIP != "", tags)]++
	}
	return out
}

// twinInstances builds the twin's fleet and lists its instances. Addresses
// come with Start, so a public IP is marked from the instance's group.
func twinInstances(t *testing.T, spec FleetSpec) []fleet.Instance {
	t.Helper()
	s, err := New(spec, Options{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	public := map[string]bool{}
	for _, g := range spec.Groups {
		public[g.Name] = g.PublicIP
	}
	var out []fleet.Instance
	for _, v := range s.Describe() {
		if public[v.Group] {
			v.PublicIP = "assigned at Start"
		}
		out = append(out, v.Instance)
	}
	return out
}

func inst(id, az, typ string, public bool, tags map[string]string) fleet.Instance {
	in := fleet.Instance{ID: id, AZ: az, InstanceType: typ, Tags: tags, State: fleet.StateRunning}
	if public {
		in.PublicIP = "203.0.113.9"
	}
	return in
}

func TestTwinKeepsTheShapeOfRandomFleets(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	zones := []string{"us-east-1a", "us-east-1b", "us-east-1c", "us-east-1d"}
	for round := range 50 {
		var instances []fleet.Instance
		for i := range 1 + rng.IntN(60) {
			tags := map[string]string{"app": []string{"web", "api", "db"}[rng.IntN(3)], "Name": fmt.Sprintf("host-%d", i)}
			if rng.IntN(2) == 0 {
				tags["gameday"] = "opt-in"
			}
			instances = append(instances, inst(fmt.Sprintf("i-%d", i), zones[rng.IntN(len(zones))],
				[]string{"t3.micro", "m5.large"}[rng.IntN(2)], rng.IntN(5) == 0, tags))
		}
		for _, anonymize := range []bool{false, true} {
			spec, err := Twin(instances, TwinOptions{Region: "us-east-1", Anonymize: anonymize, KeepValues: []string{"app", "gameday"}})
			if err != nil {
				t.Fatalf("round %d: %v", round, err)
			}
			if got, want := shapes(twinInstances(t, spec)), shapes(instances); !reflect.DeepEqual(got, want) {
				t.Fatalf("round %d (anonymize %t): twin shapes\n%v\nwant\n%v", round, anonymize, got, want)
			}
		}
	}
}

func TestTwinGroups(t *testing.T) {
	web := map[string]string{"app": "web", "gameday": "opt-in"}
	named := func(name string, tags map[string]string) map[string]string {
		out := maps.Clone(tags)
		out["Name"] = name
		return out
	}
	instances := []fleet.Instance{
		inst("i-1", "us-east-1a", "t3.medium", false, named("web-prod-01", web)),
		inst("i-2", "us-east-1b", "t3.medium", false, named("web-prod-02", web)),
		inst("i-3", "us-east-1a", "t3.medium", false, named("web-prod-10", web)),
		inst("i-4", "us-east-1a", "m5.large", false, named("web-big-1", web)),
		inst("i-5", "us-east-1b", "t3.micro", true, map[string]string{"app": "bastion host"}),
		inst("i-6", "us-east-1a", "t3.micro", false, map[string]string{"Name": "x1"}),
		inst("i-7", "us-east-1b", "t3.micro", false, map[string]string{"Name": "x2"}),
	}
	spec, err := Twin(instances, TwinOptions{Region: "us-east-1", Boot: DefaultBoot()})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, g := range spec.Groups {
		got = append(got, fmt.Sprintf("%s %d %v %s %v public=%t", g.Name, g.Count, g.AvailabilityZones, g.InstanceType, g.Tags, g.PublicIP))
		if g.Boot != DefaultBoot() {
			t.Errorf("group %s boot %+v, want the options' boot", g.Name, g.Boot)
		}
	}
	want := []string{
		"bastion-host 1 [us-east-1b] t3.micro map[app:bastion host] public=true",
		"group 2 [us-east-1a us-east-1b] t3.micro map[] public=false", // "x" is too short a prefix
		"web-big 1 [us-east-1a] m5.large map[app:web gameday:opt-in] public=false",
		"web-prod 3 [us-east-1a us-east-1b] t3.medium map[app:web gameday:opt-in] public=false",
	}
	if !slices.Equal(got, want) {
		t.Errorf("groups\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if spec.AccountID != DefaultAccountID || spec.Region != "us-east-1" {
		t.Errorf("account %s region %s, want the default account and us-east-1", spec.AccountID, spec.Region)
	}
}

func TestTwinAnonymizes(t *testing.T) {
	secret := map[string]string{"app": "payments", "team": "blue", "gameday": "opt-in", "Name": "payments-1"}
	other := map[string]string{"app": "ledger", "team": "blue", "empty": "", "Name": "ledger-1"}
	instances := []fleet.Instance{
		inst("i-1", "us-east-1a", "t3.micro", false, secret),
		inst("i-2", "us-east-1b", "t3.micro", false, other),
	}
	spec, err := Twin(instances, TwinOptions{Region: "us-east-1", Anonymize: true, KeepValues: []string{"gameday"}})
	if err != nil {
		t.Fatal(err)
	}
	got := fmt.Sprint(spec.Groups[0].Name, spec.Groups[0].Tags, spec.Groups[1].Name, spec.Groups[1].Tags)
	// ledger sorts before payments: app-1 is ledger; both teams are blue.
	want := "group-01map[app:app-1 empty: team:team-1]group-02map[app:app-2 gameday:opt-in team:team-1]"
	if got != want {
		t.Errorf("anonymized groups\n%s\nwant\n%s", got, want)
	}
	for _, word := range []string{"payments", "ledger", "blue"} {
		if strings.Contains(fmt.Sprint(spec), word) {
			t.Errorf("the anonymized spec still holds %q: %+v", word, spec)
		}
	}
}

func TestPlacementsReproduceUnevenZones(t *testing.T) {
	tests := []struct {
		perAZ map[string]int
		want  string
	}{
		{map[string]int{"a": 3, "b": 3, "c": 3}, "[{[a b c] 9}]"},
		{map[string]int{"a": 2, "b": 3, "c": 3}, "[{[b c a] 8}]"},
		{map[string]int{"a": 10, "b": 2}, "[{[a b] 4} {[a] 8}]"},
		{map[string]int{"a": 1, "b": 5, "c": 9}, "[{[a b c] 3} {[b c] 8} {[c] 4}]"},
	}
	for _, tt := range tests {
		if got := fmt.Sprint(placements(tt.perAZ)); got != tt.want {
			t.Errorf("placements(%v) = %s, want %s", tt.perAZ, got, tt.want)
		}
	}
}

func TestSanitizeGroupName(t *testing.T) {
	for in, want := range map[string]string{
		"web": "web", "Web Tier (prod)": "Web-Tier-prod", "--x--": "x", "café": "caf",
		strings.Repeat("a", 50): strings.Repeat("a", 40), "日本": "",
	} {
		if got := sanitizeGroupName(in); got != want {
			t.Errorf("sanitizeGroupName(%q) = %q, want %q", in, got, want)
		}
	}
}
