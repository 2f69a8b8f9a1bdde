package cli

import (
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"gameday/internal/fleet"
	"gameday/internal/journal"
	"gameday/internal/report"
	"gameday/internal/sim"
	"gameday/internal/sim/ec2api"
)

// TestBlastRadiusContainment is a property test of the blast radius, end to
// end: random fleets and random scenarios go through the real command line,
// the SDK and the simulator's EC2 API, and the simulator's audit log, the
// ground truth of what was called, is checked against rules computed here
// from the fleet alone (not from gameday's plan):
//
//   - no call names an instance outside the plan (DryRuns included), and
//     the plan (journal) and report.json agree on it;
//   - every selected instance is running, in the target (zones, tags,
//     exclude_tags) and carries guardrails.require_tag exactly;
//   - the number selected is what count, percent or per_az allow, per AZ
//     too, and never more than max_instances;
//   - capacity floors: with health-gated waves no wave, and no moment of
//     the run (from the stop or reboot call to the recovery the report
//     measured), has more of an AZ or tag group down than the floor allows;
//     when downtime accumulates, the whole selection respects it;
//   - no instance is acted on twice, TerminateInstances is never called,
//     and the fleet ends running without dead-man tags.
//
// GAMEDAY_PROPERTY_CASES sets the number of cases (default 20), and
// GAMEDAY_PROPERTY_SEED the seed (default random; the seed of a failing
// case is printed, and with GAMEDAY_PROPERTY_CASES=1 repeats it alone).
//
// Not t.Parallel: its cases run side by side on their own, and running it
// before the package's parallel tests keeps its load off their timings.
func TestBlastRadiusContainment(t *testing.T) {
	cases := envInt(t, "GAMEDAY_PROPERTY_CASES", 20)
	seed := uint64(time.Now().UnixNano()) >> 11
	if v := os.Getenv("GAMEDAY_PROPERTY_SEED"); v != "" {
		var err error
		if seed, err = strconv.ParseUint(v, 10, 64); err != nil {
			t.Fatalf("GAMEDAY_PROPERTY_SEED=%q: %v", v, err)
		}
	}
	t.Logf("%d cases from seed %d (GAMEDAY_PROPERTY_SEED=%d repeats them)", cases, seed, seed)
	seeds := make(chan uint64)
	go func() {
		defer close(seeds)
		rng := rand.New(rand.NewPCG(seed, 0))
		for i := range cases {
			if i == 0 {
				seeds <- seed
				continue
			}
			seeds <- rng.Uint64() >> 11
		}
	}()
	// The cases run as subtests from three goroutines of this test: not
	// t.Parallel, which -parallel (GOMAXPROCS) would hold to 2 at a time
	// although most of a case is waiting for simulated boots, and not more,
	// as the package's other tests time real recoveries too.
	var wg sync.WaitGroup
	for range min(3, cases) {
		wg.Go(func() {
			for s := range seeds {
				t.Run(fmt.Sprintf("seed=%d", s), func(t *testing.T) { runContainmentCase(t, newPropCase(s)) })
			}
		})
	}
	wg.Wait()
}

func envInt(t *testing.T, name string, def int) int {
	t.Helper()
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		t.Fatalf("%s=%q: want a positive integer", name, v)
	}
	return n
}

// quantity is a floor's count or percentage.
type quantity struct {
	count   int
	percent float64
}

func (q quantity) yaml() string {
	if q.count > 0 {
		return strconv.Itoa(q.count)
	}
	return fmt.Sprintf("%q", strconv.FormatFloat(q.percent, 'f', -1, 64)+"%")
}

// kept is how many of size the floor keeps running: a percentage rounds
// up, a count is kept as written, at most size.
func (q quantity) kept(size int) int {
	if q.count > 0 {
		return min(q.count, size)
	}
	return int(math.Ceil(q.percent*float64(size)/100 - 1e-9))
}

// propCase is one random fleet and scenario, and the settings the oracle
// needs, kept apart from the YAML it renders.
type propCase struct {
	seed  uint64
	fleet sim.FleetSpec

	targetTags, excludeTags, requireTag map[string]string
	targetAZs                           []string
	all                                 bool
	count, maxInstances                 int // 0: not set
	percent                             float64
	perAZ                               map[string]float64
	floorAZ                             *quantity
	floorTag                            string
	floorGroup                          *quantity
	action                              string
	gated                               bool
	waves                               string
}

var propZones = []string{"us-east-1a", "us-east-1b", "us-east-1c", "us-east-1d"}

func pick[T any](rng *rand.Rand, xs ...T) T { return xs[rng.IntN(len(xs))] }

func chance(rng *rand.Rand, p float64) bool { return rng.Float64() < p }

// someZones is a random non-empty subset of zones, in order.
func someZones(rng *rand.Rand, zones []string) []string {
	for {
		var out []string
		for _, z := range zones {
			if chance(rng, 0.5) {
				out = append(out, z)
			}
		}
		if len(out) > 0 {
			return out
		}
	}
}

func newPropCase(seed uint64) *propCase {
	rng := rand.New(rand.NewPCG(seed, 0x636f6e7461696e))
	c := &propCase{seed: seed}

	// The fleet: 10 to 60 instances in 2 to 5 groups over up to 4 zones,
	// most opted in, some not, some with near misses of the opt-in tag.
	boot := sim.BootSpec{
		Down:     sim.Range{Min: 350 * time.Millisecond, Max: 500 * time.Millisecond},
		Starting: sim.Range{Min: 50 * time.Millisecond, Max: 100 * time.Millisecond},
		Stopping: sim.Range{Min: 150 * time.Millisecond, Max: 250 * time.Millisecond},
		Pending:  sim.Range{Min: 150 * time.Millisecond, Max: 250 * time.Millisecond},
	}
	total := 10 + rng.IntN(51)
	groups := 2 + rng.IntN(4)
	for g := range groups {
		n := total / groups
		if g < total%groups {
			n++
		}
		tags := map[string]string{"app": pick(rng, "web", "api", "worker")}
		switch {
		case chance(rng, 0.65):
			tags["gameday"] = "opt-in"
		case chance(rng, 0.5):
			tags["gameday"] = pick(rng, "opt-out", "Opt-In", "opt-in ", "opt-in-later", "opt-*")
		}
		if chance(rng, 0.5) {
			tags["chaos"] = "yes"
		}
		if chance(rng, 0.25) {
			tags["tier"] = pick(rng, "legacy-1", "legacy-2")
		}
		if chance(rng, 0.7) {
			tags["team"] = pick(rng, "t1", "t2", "t3")
		}
		c.fleet.Groups = append(c.fleet.Groups, sim.GroupSpec{Name: fmt.Sprintf("g%d", g), Count: n,
			AvailabilityZones: someZones(rng, propZones), Tags: tags, Boot: boot})
	}

	// The scenario, drawn again while it would select nothing, except for
	// a few cases that check an empty selection touches nothing.
	instances := specInstances(c.fleet)
	acceptEmpty := chance(rng, 0.1)
	for range 50 {
		c.drawScenario(rng)
		if acceptEmpty || !c.mayBeEmpty(c.base(instances)) {
			break
		}
	}
	return c
}

// specInstances lays the fleet's instances out as the simulator does
// (each group round-robin over its zones), without ids, to draw scenarios
// that select something.
func specInstances(spec sim.FleetSpec) []fleet.Instance {
	var out []fleet.Instance
	for _, g := range spec.Groups {
		for k := range g.Count {
			out = append(out, fleet.Instance{ID: fmt.Sprintf("%s-%d", g.Name, k), AZ: g.AvailabilityZones[k%len(g.AvailabilityZones)],
				State: fleet.StateRunning, Tags: g.Tags})
		}
	}
	return out
}

// mayBeEmpty reports whether the blast radius, or the floors, leave
// nothing to select in base: no quota, or a floor cap of 0 on every
// instance.
func (c *propCase) mayBeEmpty(base map[string]fleet.Instance) bool {
	if total, _ := c.quota(base); total == 0 {
		return true
	}
	azCaps, groupCaps := c.floorCaps(base)
	for _, inst := range base {
		g, grouped := c.group(inst)
		if (azCaps == nil || azCaps[inst.AZ] > 0) && (groupCaps == nil || !grouped || groupCaps[g] > 0) {
			return false
		}
	}
	return true
}

// drawScenario draws every setting of the scenario.
func (c *propCase) drawScenario(rng *rand.Rand) {
	*c = propCase{seed: c.seed, fleet: c.fleet}
	// The target.
	if chance(rng, 0.5) {
		c.targetTags = map[string]string{"app": pick(rng, "web", "w*", "*", "api", "wor?er")}
	}
	zones := propZones
	if chance(rng, 0.4) {
		c.targetAZs = someZones(rng, propZones)
		zones = c.targetAZs
	}
	if chance(rng, 0.3) {
		c.excludeTags = pick(rng, map[string]string{"tier": "legacy-*"}, map[string]string{"tier": "legacy-1"},
			map[string]string{"team": "t3"})
	}
	c.requireTag = map[string]string{"gameday": "opt-in"}
	if chance(rng, 0.3) {
		c.requireTag = pick(rng, map[string]string{"chaos": "yes"}, map[string]string{"chaos": "yes", "gameday": "opt-in"})
	}

	c.action = pick(rng, "reboot", "reboot", "stop-start", "stop-start", "force-stop-start")
	c.gated = chance(rng, 0.4)

	// The blast radius. Health-gated cases are kept small: each of their
	// waves waits for real probes to see the instances recover.
	switch rng.IntN(4) {
	case 0:
		c.all = true
	case 1:
		c.count = 1 + rng.IntN(25)
	case 2:
		c.percent = pick(rng, 1.0, 5, 10, 12.5, 25, 30, 33, 50, 66.6, 75, 100)
	default:
		c.perAZ = map[string]float64{}
		for _, z := range someZones(rng, zones) {
			c.perAZ[z] = pick(rng, 10.0, 25, 50, 100)
		}
		if chance(rng, 0.4) {
			c.perAZ["*"] = pick(rng, 5.0, 20)
		}
	}
	if chance(rng, 0.5) || c.gated {
		c.maxInstances = max(c.count, 1+rng.IntN(12))
		if !c.gated {
			c.maxInstances += rng.IntN(20)
		}
	}
	if chance(rng, 0.5) {
		q := pick(rng, quantity{count: 1 + rng.IntN(4)}, quantity{percent: pick(rng, 10.0, 25, 50, 75, 90)})
		c.floorAZ = &q
	}
	if chance(rng, 0.35) {
		q := pick(rng, quantity{count: 1 + rng.IntN(3)}, quantity{percent: pick(rng, 20.0, 50, 80)})
		c.floorTag, c.floorGroup = pick(rng, "team", "app"), &q
	}

	order := pick(rng, "random", "by-az", "interleave-az")
	switch rng.IntN(3) {
	case 0:
		c.waves = fmt.Sprintf("count: %d", 1+rng.IntN(4))
	case 1:
		c.waves = fmt.Sprintf("size: %d", 2+rng.IntN(5))
	default:
		c.waves = fmt.Sprintf("percent: %d%%", pick(rng, 25, 34, 50, 100))
	}
	c.waves += ", order: " + order
	if c.gated {
		c.waves += ", gate_timeout: 30s"
		if chance(rng, 0.2) {
			c.waves += fmt.Sprintf(", max_in_flight: %d", 1+rng.IntN(3))
		}
	} else {
		c.waves += ", wait_for_healthy: false"
	}
}

func yamlMap(m map[string]string) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, fmt.Sprintf("%q: %q", k, m[k]))
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

func pct(p float64) string { return fmt.Sprintf("%q", strconv.FormatFloat(p, 'f', -1, 64)+"%") }

func (c *propCase) scenario() string {
	var b strings.Builder
	b.WriteString("apiVersion: gameday/v1\nname: containment\ntarget:\n  region: us-east-1\n")
	if c.targetTags != nil {
		fmt.Fprintf(&b, "  tags: %s\n", yamlMap(c.targetTags))
	}
	if c.excludeTags != nil {
		fmt.Fprintf(&b, "  exclude_tags: %s\n", yamlMap(c.excludeTags))
	}
	if c.targetAZs != nil {
		fmt.Fprintf(&b, "  availability_zones: [%s]\n", strings.Join(c.targetAZs, ", "))
	}
	b.WriteString("blast_radius:\n")
	switch {
	case c.all:
		b.WriteString("  all: true\n")
	case c.count > 0:
		fmt.Fprintf(&b, "  count: %d\n", c.count)
	case c.percent > 0:
		fmt.Fprintf(&b, "  percent: %s\n", pct(c.percent))
	default:
		var parts []string
		for _, z := range slices.Sorted(maps.Keys(c.perAZ)) {
			parts = append(parts, fmt.Sprintf("%q: %s", z, pct(c.perAZ[z])))
		}
		fmt.Fprintf(&b, "  per_az: {%s}\n", strings.Join(parts, ", "))
	}
	if c.maxInstances > 0 {
		fmt.Fprintf(&b, "  max_instances: %d\n", c.maxInstances)
	}
	if c.floorAZ != nil || c.floorGroup != nil {
		b.WriteString("  min_healthy_remaining:\n")
		if c.floorAZ != nil {
			fmt.Fprintf(&b, "    per_az: %s\n", c.floorAZ.yaml())
		}
		if c.floorGroup != nil {
			fmt.Fprintf(&b, "    per_tag_group: {tag: %s, min: %s}\n", c.floorTag, c.floorGroup.yaml())
		}
	}
	fmt.Fprintf(&b, "action: {type: %s}\nwaves: {%s}\n", c.action, c.waves)
	if c.gated {
		b.WriteString(`verify: {instance: {url: "http://{{.PrivateIP}}:8080/healthz", interval: 150ms, timeout: 1s}}` + "\n")
	}
	fmt.Fprintf(&b, "guardrails: {require_tag: %s}\n", yamlMap(c.requireTag))
	return b.String()
}

// matchWildcard is EC2's filter matching: * any run, ? one character, \
// the next one literally; case-sensitive.
func matchWildcard(pattern, s string) bool {
	if pattern == "" {
		return s == ""
	}
	switch pattern[0] {
	case '*':
		for i := 0; i <= len(s); i++ {
			if matchWildcard(pattern[1:], s[i:]) {
				return true
			}
		}
		return false
	case '?':
		return s != "" && matchWildcard(pattern[1:], s[1:])
	case '\\':
		if len(pattern) > 1 {
			pattern = pattern[1:]
		}
	}
	return s != "" && s[0] == pattern[0] && matchWildcard(pattern[1:], s[1:])
}

// base is the oracle's rules (checks 1 to 7 of docs/scenarios.md): every
// instance the scenario may act on, computed from the fleet alone.
func (c *propCase) base(instances []fleet.Instance) map[string]fleet.Instance {
	out := map[string]fleet.Instance{}
	for _, inst := range instances {
		if c.outside(inst) == "" {
			out[inst.ID] = inst
		}
	}
	return out
}

// outside says why inst may not be acted on, or "".
func (c *propCase) outside(inst fleet.Instance) string {
	if inst.State != fleet.StateRunning {
		return "it was " + inst.State
	}
	if c.targetAZs != nil && !slices.Contains(c.targetAZs, inst.AZ) {
		return inst.AZ + " is not a target zone"
	}
	for k, v := range c.targetTags {
		if got, ok := inst.Tags[k]; !ok || !matchWildcard(v, got) {
			return fmt.Sprintf("tag %s=%q does not match the target's %q", k, got, v)
		}
	}
	for k, v := range c.excludeTags {
		if got, ok := inst.Tags[k]; ok && matchWildcard(v, got) {
			return fmt.Sprintf("exclude_tags %s=%q matches %q", k, v, got)
		}
	}
	for k, v := range c.requireTag {
		if got, ok := inst.Tags[k]; !ok || got != v {
			return fmt.Sprintf("require_tag %s=%q, but the instance has %q", k, v, got)
		}
	}
	return ""
}

// atLeastOne is a share of n rounded down, but at least one of a
// non-empty n.
func atLeastOne(p float64, n int) int {
	if n == 0 || p == 0 {
		return 0
	}
	return max(1, int(math.Floor(p*float64(n)/100+1e-9)))
}

// quota is the most the blast radius may select, in all and per AZ
// (perAZ is nil unless the radius is per_az).
func (c *propCase) quota(base map[string]fleet.Instance) (int, map[string]int) {
	n := len(base)
	byAZ := countBy(base, func(i fleet.Instance) (string, bool) { return i.AZ, true })
	var total int
	var perAZ map[string]int
	switch {
	case c.all:
		total = n
	case c.count > 0:
		total = min(c.count, n)
	case c.percent > 0:
		total = atLeastOne(c.percent, n)
	default:
		perAZ = map[string]int{}
		for az, size := range byAZ {
			p, ok := c.perAZ[az]
			if !ok {
				p = c.perAZ["*"]
			}
			perAZ[az] = min(size, atLeastOne(p, size))
			total += perAZ[az]
		}
	}
	if c.maxInstances > 0 {
		total = min(total, c.maxInstances)
	}
	return total, perAZ
}

func countBy(set map[string]fleet.Instance, key func(fleet.Instance) (string, bool)) map[string]int {
	out := map[string]int{}
	for _, inst := range set {
		if k, ok := key(inst); ok {
			out[k]++
		}
	}
	return out
}

// floorCaps is, per AZ and per tag group, how many may be down at once
// (nil without that floor).
func (c *propCase) floorCaps(base map[string]fleet.Instance) (azCaps, groupCaps map[string]int) {
	if c.floorAZ != nil {
		azCaps = map[string]int{}
		for az, size := range countBy(base, func(i fleet.Instance) (string, bool) { return i.AZ, true }) {
			azCaps[az] = size - c.floorAZ.kept(size)
		}
	}
	if c.floorGroup != nil {
		groupCaps = map[string]int{}
		for g, size := range countBy(base, c.group) {
			groupCaps[g] = size - c.floorGroup.kept(size)
		}
	}
	return azCaps, groupCaps
}

// group is an instance's per_tag_group group; instances without the tag
// are in none.
func (c *propCase) group(inst fleet.Instance) (string, bool) {
	v, ok := inst.Tags[c.floorTag]
	return v, ok
}

// accumulates reports whether downtime adds up over the waves (no health
// gate), so that floors bound the whole selection.
func (c *propCase) accumulates() bool { return !c.gated }

func runContainmentCase(t *testing.T, c *propCase) {
	scenarioText := c.scenario()
	t.Cleanup(func() {
		if t.Failed() {
			fleetText := &strings.Builder{}
			_ = sim.WriteFleet(fleetText, c.fleet, "containment fleet")
			t.Logf("case seed %d: GAMEDAY_PROPERTY_SEED=%d GAMEDAY_PROPERTY_CASES=1 go test -run 'TestBlastRadiusContainment' ./internal/cli\nscenario:\n%s\nfleet:\n%s",
				c.seed, c.seed, scenarioText, fleetText)
		}
	})
	f := startPropSim(t, c.fleet, c.seed, c.gated)
	runs := t.TempDir()
	before := f.sim.Instances()
	res := runCLI(t, "run", writeScenario(t, scenarioText), "--endpoint-url", f.url, "--runs-dir", runs,
		"--seed", strconv.FormatUint(c.seed, 10), "--poll-interval", "50ms")
	audit := f.sim.Audit()
	base := c.base(before)
	checkNoTermination(t, audit)

	if res.code == ExitInvalid {
		// Only an empty selection may refuse to run; it must touch nothing.
		if !strings.Contains(res.stderr, "none can be acted on") && !strings.Contains(res.stderr, "capacity floor") {
			t.Fatalf("exit 2 without an empty selection\nstdout:\n%s\nstderr:\n%s", res.stdout, res.stderr)
		}
		if total, _ := c.quota(base); total > 0 && c.floorAZ == nil && c.floorGroup == nil {
			t.Errorf("exit 2 for an empty selection, but %d of %d eligible instances may be selected\n%s", total, len(base), res.stderr)
		}
		for _, r := range audit {
			if len(r.InstanceIDs) > 0 && isActionCall(r.Action) {
				t.Errorf("%s named %v in a run that selected nothing", r.Action, r.InstanceIDs)
			}
		}
		t.Logf("nothing to select (%d in the base): %s", len(base), lastLine(res.stderr))
		return
	}
	if res.code != ExitMet {
		t.Fatalf("exit %d, want 0\nstdout:\n%s\nstderr:\n%s", res.code, res.stdout, res.stderr)
	}

	// The plan, from the journal, and the report agree.
	journals, _ := filepath.Glob(filepath.Join(runs, "*", journal.FileName))
	if len(journals) != 1 {
		t.Fatalf("journals: %v", journals)
	}
	records, _, err := journal.Read(journals[0])
	if err != nil {
		t.Fatal(err)
	}
	waveOf := map[string]int{}
	for _, r := range records {
		if r.Plan != nil {
			for _, ph := range r.Plan.Phases {
				for _, w := range ph.Waves {
					for _, inst := range w.Instances {
						waveOf[inst.ID] = w.Index
					}
				}
			}
		}
	}
	rep := readOnlyReport(t, runs)
	var reported []string
	for _, inst := range rep.Instances {
		reported = append(reported, inst.InstanceID)
	}
	planned := slices.Sorted(maps.Keys(waveOf))
	slices.Sort(reported)
	if !slices.Equal(planned, reported) || rep.Fleet.Selected != len(planned) {
		t.Errorf("journal plan selects %v, report.json %v (fleet.selected %d)", planned, reported, rep.Fleet.Selected)
	}

	// No call names an instance outside the plan; each selected instance
	// is in the base, computed here; none is acted on twice.
	acted := map[string]int{}
	downAt := map[string]time.Time{}
	for _, r := range audit {
		if !isActionCall(r.Action) {
			continue
		}
		for _, id := range r.InstanceIDs {
			if _, ok := waveOf[id]; !ok {
				t.Errorf("%s (dry run %v, error %q) named %s, which the plan did not select", r.Action, r.DryRun, r.ErrorCode, id)
			}
			if r.DryRun || r.ErrorCode != "" {
				continue
			}
			if r.Action == sim.ActionRebootInstances || r.Action == sim.ActionStopInstances {
				acted[id]++
				if _, ok := downAt[id]; !ok {
					downAt[id] = r.Time
				}
			}
		}
	}
	selected := map[string]fleet.Instance{}
	all := map[string]fleet.Instance{}
	for _, inst := range before {
		all[inst.ID] = inst
	}
	for id := range waveOf {
		inst, ok := base[id]
		if !ok {
			t.Errorf("%s was selected, but may not be acted on: %s", id, c.outside(all[id]))
			continue
		}
		selected[id] = inst
		if acted[id] != 1 {
			t.Errorf("%s acted on %d times, want once", id, acted[id])
		}
	}

	// Sizes: the blast radius, per AZ, and max_instances.
	total, perAZ := c.quota(base)
	if len(selected) > total {
		t.Errorf("selected %d, but the blast radius allows %d of %d eligible", len(selected), total, len(base))
	}
	if c.floorAZ == nil && c.floorGroup == nil && len(selected) != total {
		t.Errorf("selected %d without capacity floors, want exactly %d of %d eligible (%s)", len(selected), total, len(base), rep.Fleet.SelectionRule)
	}
	if len(acted) > c.maxInstances && c.maxInstances > 0 {
		t.Errorf("acted on %d instances, more than max_instances %d", len(acted), c.maxInstances)
	}
	selAZ := countBy(selected, func(i fleet.Instance) (string, bool) { return i.AZ, true })
	for az, n := range selAZ {
		if perAZ != nil && n > perAZ[az] {
			t.Errorf("selected %d in %s, per_az allows %d", n, az, perAZ[az])
		}
	}

	// Capacity floors.
	azCaps, groupCaps := c.floorCaps(base)
	azOf := func(i fleet.Instance) (string, bool) { return i.AZ, true }
	if c.accumulates() {
		checkCaps(t, "the whole selection", countBy(selected, azOf), azCaps, "AZ ")
		checkCaps(t, "the whole selection", countBy(selected, c.group), groupCaps, "group "+c.floorTag+"=")
	} else {
		byWave := map[int]map[string]fleet.Instance{}
		for id, inst := range selected {
			if byWave[waveOf[id]] == nil {
				byWave[waveOf[id]] = map[string]fleet.Instance{}
			}
			byWave[waveOf[id]][id] = inst
		}
		for w, set := range byWave {
			checkCaps(t, fmt.Sprintf("wave %d", w), countBy(set, azOf), azCaps, "AZ ")
			checkCaps(t, fmt.Sprintf("wave %d", w), countBy(set, c.group), groupCaps, "group "+c.floorTag+"=")
		}
		checkDownAtOnce(t, selected, downAt, rep, azOf, azCaps, "AZ ")
		checkDownAtOnce(t, selected, downAt, rep, c.group, groupCaps, "group "+c.floorTag+"=")
	}
	allRunning(t, f.sim)
	t.Logf("%s %d of %d in the base (%d in the fleet) in %d waves, gated %v, floors %v/%v: %s",
		c.action, len(selected), len(base), len(before), len(rep.Waves), c.gated, c.floorAZ != nil, c.floorGroup != nil, rep.Fleet.SelectionRule)
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

func isActionCall(action string) bool {
	return action != sim.ActionDescribeInstances && action != sim.ActionDescribeInstanceStatus &&
		action != sim.ActionDescribeAvailabilityZones && action != "GetCallerIdentity" && action != "AssumeRole"
}

func checkNoTermination(t *testing.T, audit []sim.AuditRecord) {
	t.Helper()
	for _, r := range audit {
		if strings.Contains(r.Action, "Terminate") {
			t.Errorf("%s called on %v", r.Action, r.InstanceIDs)
		}
	}
}

func checkCaps(t *testing.T, where string, counts, caps map[string]int, what string) {
	t.Helper()
	if caps == nil {
		return
	}
	for k, n := range counts {
		if n > caps[k] {
			t.Errorf("%s takes %d of %s%s down, the capacity floor allows %d", where, n, what, k, caps[k])
		}
	}
}

// checkDownAtOnce sweeps the time each acted-on instance was down, from
// its stop or reboot call (the simulator's clock) to the recovery the
// report measured, and fails when more of one AZ or group were down at
// once than its floor allows.
func checkDownAtOnce(t *testing.T, selected map[string]fleet.Instance, downAt map[string]time.Time, rep *report.Report,
	key func(fleet.Instance) (string, bool), caps map[string]int, what string) {
	t.Helper()
	if caps == nil {
		return
	}
	upAt := map[string]time.Time{}
	for _, inst := range rep.Instances {
		if inst.RecoveredAt != nil {
			upAt[inst.InstanceID] = *inst.RecoveredAt
		} else {
			upAt[inst.InstanceID] = rep.EndedAt
		}
	}
	type event struct {
		at    time.Time
		delta int
		id    string
	}
	byKey := map[string][]event{}
	for id, inst := range selected {
		k, ok := key(inst)
		down, acted := downAt[id]
		if !ok || !acted {
			continue
		}
		byKey[k] = append(byKey[k], event{down, 1, id}, event{upAt[id], -1, id})
	}
	for k, events := range byKey {
		sort.Slice(events, func(i, j int) bool {
			if !events[i].at.Equal(events[j].at) {
				return events[i].at.Before(events[j].at)
			}
			return events[i].delta < events[j].delta // up before down at the same instant
		})
		down, worst := 0, 0
		for _, e := range events {
			down += e.delta
			worst = max(worst, down)
		}
		if worst > caps[k] {
			t.Errorf("%d of %s%s were down at once, the capacity floor allows %d", worst, what, k, caps[k])
		}
	}
}

// startPropSim serves spec over the real API, with health listeners only
// when the scenario probes.
func startPropSim(t *testing.T, spec sim.FleetSpec, seed uint64, listeners bool) simFleet {
	t.Helper()
	s, err := sim.New(spec, sim.Options{Seed: seed, Listeners: listeners})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	srv, err := ec2api.Start(s, "127.0.0.1:0", nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return simFleet{sim: s, url: srv.URL()}
}
