package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"gameday/internal/ec2"
	"gameday/internal/fleet"
	"gameday/internal/journal"
	"gameday/internal/sim"
)

// Helpers shared by the crash trials (crash_test.go) and the API fault
// soak (faults_test.go). Both are sized by environment variables: small in
// `make test`, large in `make soak` (see the Makefile and docs/safety.md).

// envInt reads a positive integer from the environment, or def.
func envInt(t *testing.T, name string, def int) int {
	t.Helper()
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		t.Fatalf("%s=%q: want a non-negative integer", name, v)
	}
	return n
}

// soakSeed is GAMEDAY_SOAK_SEED, else a fresh one; it is logged so that a
// failure names the seed that repeats its plans, kill delays and faults
// (timing still varies from one machine to the next).
func soakSeed(t *testing.T) uint64 {
	t.Helper()
	seed, err := soakSeedOnce()
	if err != nil {
		t.Fatal(err)
	}
	return seed
}

// soakSeedOnce gives both soaks of one `go test` the same seed.
var soakSeedOnce = sync.OnceValues(func() (uint64, error) {
	if v := os.Getenv("GAMEDAY_SOAK_SEED"); v != "" {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("GAMEDAY_SOAK_SEED=%q: %v", v, err)
		}
		return n, nil
	}
	return uint64(time.Now().UnixNano()), nil
})

// soakFleetFile writes the fleet both soaks use: 24 opted-in web hosts
// (the scenarios pick 12 of them) and 6 opted-in hosts of another app that
// no scenario targets, so that touching anything outside the plan shows.
// State changes take 10-40 ms. Rate limits are off: the simulator's
// buckets are shared by every trial on it while each gameday process
// paces itself from full buckets, and every RequestLimitExceeded in the
// audit log must be one the soak injected.
func soakFleetFile(t *testing.T, faults string) string {
	t.Helper()
	text := `region: us-east-1
groups:
  - name: web
    count: 24
    availability_zones: [us-east-1a, us-east-1b, us-east-1c]
    tags: {app: web, gameday: opt-in}
    boot: ` + soakBoot + `
  - name: batch
    count: 6
    availability_zones: [us-east-1a, us-east-1b]
    tags: {app: batch, gameday: opt-in}
    boot: ` + soakBoot + `
api:
  rate_limits: false
  faults:
` + faults
	return writeFile(t, "fleet.yaml", text)
}

const soakBoot = "{pending: {min: 10ms, max: 40ms}, stopping: {min: 10ms, max: 40ms}, down: {min: 10ms, max: 40ms}, starting: {min: 10ms, max: 40ms}}"

// The scenarios of both soaks: 12 of the 24 web hosts in 3 waves.
const (
	soakStopStart = `apiVersion: gameday/v1
name: soak-stop-start
target: {region: us-east-1, tags: {app: web}}
blast_radius: {count: 12}
action: {type: stop-start, stopped_for: 150ms}
waves: {count: 3, wait_for_healthy: false}
`
	soakReboot = `apiVersion: gameday/v1
name: soak-reboot
target: {region: us-east-1, tags: {app: web}}
blast_radius: {count: 12}
action: {type: reboot}
waves: {count: 3, interval: 150ms, wait_for_healthy: false}
`
)

// soakScenarios are the scenario files, by kind.
type soakScenarios map[string]string

func writeSoakScenarios(t *testing.T) soakScenarios {
	return soakScenarios{
		"stop-start": writeFile(t, "stop-start.yaml", soakStopStart),
		"reboot":     writeFile(t, "reboot.yaml", soakReboot),
	}
}

// kindOf alternates the two scenarios.
func kindOf(i int) string {
	if i%2 == 0 {
		return "stop-start"
	}
	return "reboot"
}

// batchSizes: one id per call splits a wave's calls into several batches
// (so a kill or a fault can fall between them); 100 sends one call.
var batchSizes = []string{"1", "3", "100"}

// auditFile reads a simulator's audit log while the simulator may still be
// appending to it: only complete lines count.
type auditFile struct{ path string }

func (a auditFile) records() ([]sim.AuditRecord, error) {
	data, err := os.ReadFile(a.path)
	if err != nil {
		return nil, err
	}
	if i := bytes.LastIndexByte(data, '\n'); i >= 0 {
		data = data[:i+1]
	} else {
		data = nil
	}
	var out []sim.AuditRecord
	for line := range bytes.Lines(data) {
		var rec sim.AuditRecord
		if err := json.Unmarshal(line, &rec); err != nil {
			return nil, fmt.Errorf("audit log %s: %w", a.path, err)
		}
		out = append(out, rec)
	}
	return out, nil
}

// count is the number of complete records so far.
func (a auditFile) count() (int, error) {
	recs, err := a.records()
	return len(recs), err
}

// since returns the records from index from on.
func (a auditFile) since(from int) ([]sim.AuditRecord, error) {
	recs, err := a.records()
	if err != nil {
		return nil, err
	}
	if from > len(recs) {
		return nil, fmt.Errorf("audit log %s shrank: %d records, had %d", a.path, len(recs), from)
	}
	return recs[from:], nil
}

// settle waits until the audit log has not grown for quiet, so that a
// call a killed client had in flight is on record before the next count.
func (a auditFile) settle(quiet time.Duration) {
	last, _ := a.count()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		time.Sleep(quiet)
		n, _ := a.count()
		if n == last {
			return
		}
		last = n
	}
}

// describeFleet reads every instance of the simulator, retrying (the fault
// soak's simulator fails a fifth of all calls).
func describeFleet(url string) (map[string]fleet.Instance, error) {
	ctx := context.Background()
	cfg, err := ec2.LoadConfig(ctx, ec2.Session{Region: "us-east-1", EndpointURL: url})
	if err != nil {
		return nil, err
	}
	p := ec2.New(cfg, ec2.Options{})
	var last error
	for range 20 {
		got, err := p.List(ctx, fleet.Target{})
		if err == nil {
			out := make(map[string]fleet.Instance, len(got))
			for _, inst := range got {
				out[inst.ID] = inst
			}
			return out, nil
		}
		last = err
		time.Sleep(100 * time.Millisecond)
	}
	return nil, fmt.Errorf("describe the fleet: %w", last)
}

// fleetLeftBehind lists the instances not running ("id state") and those
// carrying a dead-man tag ("id key=value ..."); both empty when the fleet
// is whole.
func fleetLeftBehind(insts map[string]fleet.Instance) (notRunning, tagged []string) {
	for id, inst := range insts {
		if inst.State != fleet.StateRunning {
			notRunning = append(notRunning, id+" "+inst.State)
		}
		var tags []string
		for _, k := range journal.DeadManTagKeys {
			if v, ok := inst.Tags[k]; ok {
				tags = append(tags, k+"="+v)
			}
		}
		if len(tags) > 0 {
			tagged = append(tagged, id+" "+strings.Join(tags, " "))
		}
	}
	sort.Strings(notRunning)
	sort.Strings(tagged)
	return notRunning, tagged
}

// runEntryJSON is one line of `gameday runs --output json`.
type runEntryJSON struct {
	RunID         string             `json:"run_id"`
	Status        string             `json:"status"`
	Reason        string             `json:"reason"`
	LeftStopped   []journal.Instance `json:"left_stopped"`
	Tagged        []journal.Instance `json:"tagged"`
	HasJournal    bool               `json:"journal"`
	HasReport     bool               `json:"report"`
	NeedsRecovery bool               `json:"needs_recovery"`
}

// run runs the gameday binary (without a *testing.T, for worker goroutines).
func runGameday(timeout time.Duration, args ...string) (out string, code int, err error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, args...)
	var buf bytes.Buffer
	cmd.Stdout, cmd.Stderr = &buf, &buf
	err = cmd.Run()
	if ctx.Err() != nil {
		return buf.String(), -1, fmt.Errorf("gameday %s: still running after %v", strings.Join(args, " "), timeout)
	}
	return buf.String(), exitCodeOf(err), nil
}

// listRuns runs `gameday runs --output json`.
func listRuns(runsDir string) ([]runEntryJSON, error) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, "runs", "--runs-dir", runsDir, "--output", "json")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("gameday runs: %v\n%s", err, stderr.String())
	}
	var entries []runEntryJSON
	if err := json.Unmarshal(out, &entries); err != nil {
		return nil, fmt.Errorf("gameday runs --output json: %v\n%s", err, out)
	}
	return entries, nil
}

// plannedIDs reads the instances a journal's plan record selected.
func plannedIDs(records []journal.Record) map[string]bool {
	out := map[string]bool{}
	for _, r := range records {
		if r.Plan == nil {
			continue
		}
		for _, ph := range r.Plan.Phases {
			for _, w := range ph.Waves {
				for _, inst := range w.Instances {
					out[inst.ID] = true
				}
			}
		}
	}
	return out
}

// actionCounts counts, per instance, the successful non-DryRun calls of
// each mutating action in records: what the simulator actually executed.
// An injected fault is audited with its error code and does not count; a
// call whose answer was lost after it acted (reset_after) is audited as a
// success, plus an Injected.ResponseLost record, and counts once.
type actionCounts map[string]map[string]int // action -> id -> calls

func countActions(records []sim.AuditRecord) actionCounts {
	out := actionCounts{}
	for _, r := range mutations(records) {
		if out[r.Action] == nil {
			out[r.Action] = map[string]int{}
		}
		for _, id := range fleet.UniqueIDs(r.InstanceIDs) {
			out[r.Action][id]++
		}
	}
	return out
}

// actedTwice checks the "never twice" invariant over the calls of one run
// and whatever recovered it (gameday recover, a run's own restore): per
// instance at most one RebootInstances, at most one StopInstances and at
// most one StartInstances executed, and no more starts than stops. (A
// stop-start stops then starts each instance once; recovery may start an
// instance whose start the run never got to make, which still makes one.)
func actedTwice(c actionCounts) []string {
	var problems []string
	for _, action := range []string{"RebootInstances", "StopInstances", "StartInstances"} {
		for _, id := range sortedIDs(c[action]) {
			if n := c[action][id]; n > 1 {
				problems = append(problems, fmt.Sprintf("%s executed %d times on %s", action, n, id))
			}
		}
	}
	for _, id := range sortedIDs(c["StartInstances"]) {
		if c["StartInstances"][id] > c["StopInstances"][id] {
			problems = append(problems, fmt.Sprintf("%s started %d times, stopped %d times", id, c["StartInstances"][id], c["StopInstances"][id]))
		}
	}
	return problems
}

// outsidePlan lists the successful mutating calls that named an instance
// the plan did not select.
func outsidePlan(records []sim.AuditRecord, planned map[string]bool) []string {
	var problems []string
	for _, r := range mutations(records) {
		for _, id := range r.InstanceIDs {
			if !planned[id] {
				problems = append(problems, fmt.Sprintf("%s named %s, which the plan did not select", r.Action, id))
			}
		}
	}
	return problems
}

// terminateCalls lists every call whose action terminates, answered or
// not: gameday has no code path that makes one.
func terminateCalls(records []sim.AuditRecord) []string {
	var problems []string
	for _, r := range records {
		if strings.Contains(r.Action, "Terminate") {
			problems = append(problems, fmt.Sprintf("%s called on %v", r.Action, r.InstanceIDs))
		}
	}
	return problems
}

func sortedIDs(m map[string]int) []string {
	out := make([]string, 0, len(m))
	for id := range m {
		out = append(out, id)
	}
	slices.Sort(out)
	return out
}

// tally counts named events, for the figures.
type tally struct {
	mu sync.Mutex
	n  map[string]int
}

func (t *tally) add(key string, n int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.n == nil {
		t.n = map[string]int{}
	}
	t.n[key] += n
}

func (t *tally) get(key string) int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.n[key]
}

// lines renders "  key  n" lines, keys sorted.
func (t *tally) lines(indent string) string {
	t.mu.Lock()
	defer t.mu.Unlock()
	keys := make([]string, 0, len(t.n))
	width := 0
	for k := range t.n {
		keys = append(keys, k)
		width = max(width, len(k))
	}
	sort.Strings(keys)
	if len(keys) == 0 {
		return indent + "none\n"
	}
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "%s%-*s  %d\n", indent, width, k, t.n[k])
	}
	return b.String()
}

// figuresMu serialises the two soaks' updates of the figures file.
var figuresMu sync.Mutex

// writeFigures replaces the block between "<!-- NAME:begin -->" and
// "<!-- NAME:end -->" in the file GAMEDAY_SOAK_FIGURES names (make soak
// points it at docs/safety.md) with text, fenced. Without the variable it
// only logs the figures.
func writeFigures(t *testing.T, name, text string) {
	t.Helper()
	t.Logf("figures:\n%s", text)
	path := os.Getenv("GAMEDAY_SOAK_FIGURES")
	if path == "" {
		return
	}
	figuresMu.Lock()
	defer figuresMu.Unlock()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("GAMEDAY_SOAK_FIGURES: %v", err)
	}
	begin, end := "<!-- "+name+":begin -->\n", "<!-- "+name+":end -->"
	i, j := bytes.Index(data, []byte(begin)), bytes.Index(data, []byte(end))
	if i < 0 || j < i {
		t.Fatalf("GAMEDAY_SOAK_FIGURES: %s has no %q ... %q block", path, strings.TrimSpace(begin), end)
	}
	var b bytes.Buffer
	b.Write(data[:i+len(begin)])
	b.WriteString("```\n" + text + "```\n")
	b.Write(data[j:])
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// newRand is the soak's seeded generator for one worker.
func newRand(seed uint64, worker int) *rand.Rand {
	return rand.New(rand.NewPCG(seed, uint64(worker)+1))
}

// tail returns the last n lines of s, for failure messages.
func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = append([]string{"..."}, lines[len(lines)-n:]...)
	}
	return strings.Join(lines, "\n")
}

// runDirOf returns the one run directory under runsDir with a journal or
// a report, "" when the run never got that far.
func runDirOf(runsDir string) (string, error) {
	dirs, err := os.ReadDir(runsDir)
	if os.IsNotExist(err) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	var found []string
	for _, d := range dirs {
		dir := filepath.Join(runsDir, d.Name())
		if _, err := os.Stat(filepath.Join(dir, journal.FileName)); err == nil {
			found = append(found, dir)
		}
	}
	switch len(found) {
	case 0:
		return "", nil
	case 1:
		return found[0], nil
	}
	return "", fmt.Errorf("%d run directories with a journal under %s, want one", len(found), runsDir)
}
