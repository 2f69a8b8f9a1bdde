package main

import (
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"gameday/internal/journal"
	"gameday/internal/report"
	"gameday/internal/sim"
	"gameday/internal/sim/ec2api"
)

// soakFaults is what the fault soak's simulator injects into every API
// call (EC2 and STS alike): 20% refused without acting (10% throttled with
// RequestLimitExceeded, 10% HTTP 500 InternalError or 503 Unavailable), 2%
// connection resets (1% before the call acts, 1% after it acted, the
// answer lost), and, independently, 5% of calls delayed 200 ms to 1.5 s.
const soakFaults = `    throttle_rate: 0.10
    server_error_rate: 0.10
    reset_rate: 0.01
    reset_after_rate: 0.01
    latency_rate: 0.05
    latency: {min: 200ms, max: 1500ms}
`

// TestFaultSoak runs stop-start and reboot scenarios, one after the other,
// against simulators that inject soakFaults, and checks after every run:
//
//   - it exits 0, 1, 3 or 4 (never 2, a crash or a hang) with report.json
//     and the journal readable and agreeing with the exit code (passed,
//     failed, aborted, error); a run that failed before its plan was
//     journaled made no mutating call;
//   - when `gameday runs` says it needs recovery (an error whose own
//     restore was cut short by more faults), `gameday recover` brings it
//     back, re-run as an operator would while it meets API errors (exit 4);
//   - zero instances stopped and no dead-man tag left;
//   - from the audit log (the calls the simulator executed; injected
//     refusals and resets before acting excluded): nothing outside the
//     plan touched, no instance rebooted, stopped or started twice, no
//     more starts than stops, no TerminateInstances;
//   - in a run that completed (exit 0 or 1), every planned instance acted
//     on exactly once: stopped once and started once, or rebooted once. The
//     one exception is a reboot whose connection was reset before it acted:
//     the client cannot tell it from a lost answer, so it is journaled
//     "uncertain" and never re-sent (a second reboot is the worse failure);
//     such instances are counted in the figures.
//
// GAMEDAY_FAULT_RUNS runs (4 by default; make soak runs more) on
// GAMEDAY_SOAK_WORKERS simulators (2). The figures go to the log and, with
// GAMEDAY_SOAK_FIGURES, into docs/safety.md.
func TestFaultSoak(t *testing.T) {
	t.Parallel()
	runs := envInt(t, "GAMEDAY_FAULT_RUNS", 4)
	if runs == 0 {
		t.Skip("GAMEDAY_FAULT_RUNS=0")
	}
	workers := max(1, min(envInt(t, "GAMEDAY_SOAK_WORKERS", 2), runs))
	seed := soakSeed(t)
	t.Logf("%d runs under API faults on %d simulators; GAMEDAY_SOAK_SEED=%d repeats the plans and each simulator's fault sequence", runs, workers, seed)
	scenarios := writeSoakScenarios(t)
	fig := &faultFigures{}
	for _, key := range []string{"instances left stopped", "instances left tagged", "runs that needed gameday recover"} {
		fig.events.add(key, 0)
	}
	began := time.Now()

	var crew []*faultWorker
	for w := range workers {
		audit := filepath.Join(t.TempDir(), "audit.jsonl")
		_, url := startSimServe(t, "--fleet", soakFleetFile(t, soakFaults), "--no-listeners", "--audit-log", audit,
			"--seed", strconv.FormatUint(seed+uint64(w), 10))
		crew = append(crew, &faultWorker{id: w, url: url, audit: auditFile{audit}, dir: t.TempDir(),
			scenarios: scenarios, rng: newRand(seed, 100+w), fig: fig})
	}
	var next atomic.Int64
	var failures atomic.Int64
	var wg sync.WaitGroup
	for _, w := range crew {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				n := int(next.Add(1))
				if n > runs || failures.Load() >= 5 {
					return
				}
				if problems := w.run(n); len(problems) > 0 {
					failures.Add(1)
					t.Errorf("fault soak run %d (GAMEDAY_SOAK_SEED=%d):\n  %s", n, seed, strings.Join(problems, "\n  "))
				}
			}
		}()
	}
	wg.Wait()
	for _, w := range crew {
		recs, err := w.audit.records()
		if err != nil {
			t.Fatal(err)
		}
		fig.count(recs)
	}
	fig.violations = int(failures.Load())
	writeFigures(t, "fault-soak", fig.render(seed, workers, time.Since(began)))
}

type faultWorker struct {
	id        int
	url       string
	audit     auditFile
	dir       string
	scenarios soakScenarios
	rng       *rand.Rand
	fig       *faultFigures
}

// wantStatus is the report status each exit code goes with.
var wantStatus = map[int]string{0: report.StatusPassed, 1: report.StatusFailed, 3: report.StatusAborted, 4: report.StatusError}

// run makes one run under faults and returns what broke an invariant.
func (w *faultWorker) run(n int) []string {
	kind := kindOf(n)
	planSeed := w.rng.Uint64N(1 << 31)
	batch := batchSizes[w.rng.IntN(len(batchSizes))]
	runsDir := filepath.Join(w.dir, fmt.Sprintf("run-%03d", n))
	var problems []string
	fail := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	w.fig.runs.add(kind, 1)

	from, err := w.audit.count()
	if err != nil {
		return []string{err.Error()}
	}
	out, code, err := runGameday(5*time.Minute, "run", w.scenarios[kind], "--endpoint-url", w.url, "--runs-dir", runsDir,
		"--poll-interval", "20ms", "--baseline", "none", "--seed", strconv.FormatUint(planSeed, 10), "--batch-size", batch)
	about := func() string {
		return fmt.Sprintf("simulator %d, %s, plan seed %d, batch size %s, exit %d; run output:\n%s",
			w.id, kind, planSeed, batch, code, tail(out, 25))
	}
	if err != nil {
		return []string{err.Error(), about()}
	}
	w.fig.exits.add(fmt.Sprintf("exit %d (%s)", code, orNone(wantStatus[code])), 1)
	if _, ok := wantStatus[code]; !ok {
		fail("exit %d, want 0, 1, 3 or 4", code)
	}
	w.audit.settle(30 * time.Millisecond)

	dir, err := runDirOf(runsDir)
	if err != nil {
		fail("%v", err)
	}
	var records []journal.Record
	if dir == "" {
		w.fig.events.add("runs that ended before their journal (no mutating call allowed)", 1)
		w.fig.reasons.add("an API error before the journal (plan, DryRun checks): no report", 1)
		if code != 4 {
			fail("exit %d without a journal, want 4 (an API error before the plan)", code)
		}
	} else {
		records, _, err = journal.Read(filepath.Join(dir, journal.FileName))
		if err != nil {
			fail("journal unreadable: %v", err)
		}
		rep, err := report.ReadJSON(filepath.Join(dir, report.JSONFile))
		switch {
		case err != nil:
			fail("report.json: %v", err)
		case rep.Status != wantStatus[code]:
			fail("report.json status %q with exit %d, want %q", rep.Status, code, wantStatus[code])
		case endStatus(records) != rep.Status:
			fail("journal ends %q, report.json says %q", endStatus(records), rep.Status)
		case rep.Status != report.StatusPassed:
			w.fig.reasons.add(reasonKind(rep.Reason), 1)
		}
	}

	// Anything left behind is recovered as an operator would: gameday
	// recover, again while it meets API errors.
	attempts := 0
	for dir != "" {
		entries, err := listRuns(runsDir)
		if err != nil || len(entries) != 1 {
			fail("gameday runs: %v %+v", err, entries)
			break
		}
		if !entries[0].NeedsRecovery {
			break
		}
		if attempts == 5 {
			fail("still needs recovery after %d gameday recover: %+v", attempts, entries[0])
			break
		}
		attempts++
		recOut, recCode, err := runGameday(5*time.Minute, "recover", "--runs-dir", runsDir, "--endpoint-url", w.url, "--poll-interval", "20ms")
		if err != nil || (recCode != 0 && recCode != 4) {
			fail("gameday recover: exit %d, %v, want 0 (or 4 on an API error)\n%s", recCode, err, tail(recOut, 15))
			break
		}
	}
	if attempts > 0 {
		w.fig.events.add("runs that needed gameday recover", 1)
		w.fig.events.add("gameday recover invocations", attempts)
	}
	insts, err := describeFleet(w.url)
	if err != nil {
		return append(problems, err.Error(), about())
	}
	notRunning, tagged := fleetLeftBehind(insts)
	w.fig.events.add("instances left stopped", len(notRunning))
	w.fig.events.add("instances left tagged", len(tagged))
	if len(notRunning)+len(tagged) > 0 {
		fail("fleet after the run (and recover): not running %v, tagged %v", notRunning, tagged)
	}

	recs, err := w.audit.since(from)
	if err != nil {
		return append(problems, err.Error())
	}
	planned := plannedIDs(records)
	problems = append(problems, outsidePlan(recs, planned)...)
	counts := countActions(recs)
	problems = append(problems, actedTwice(counts)...)
	problems = append(problems, terminateCalls(recs)...)
	if code == 0 || code == 1 {
		problems = append(problems, w.exactlyOnce(kind, planned, counts, records)...)
	}
	if len(problems) > 0 {
		problems = append(problems, about())
	}
	return problems
}

// exactlyOnce checks that a completed run acted on every planned instance
// once, save reboots journaled uncertain that the simulator never got.
func (w *faultWorker) exactlyOnce(kind string, planned map[string]bool, counts actionCounts, records []journal.Record) []string {
	uncertain := uncertainIDs(records, "RebootInstances")
	var problems []string
	for _, id := range sortedIDs(boolCounts(planned)) {
		switch kind {
		case "reboot":
			n := counts["RebootInstances"][id]
			switch {
			case n == 1:
				w.fig.events.add("planned instances acted on exactly once", 1)
			case n == 0 && uncertain[id]:
				w.fig.events.add("reboots of unknown outcome that had not acted (journaled uncertain, never re-sent)", 1)
			default:
				problems = append(problems, fmt.Sprintf("%s rebooted %d times by a run that completed", id, n))
			}
		case "stop-start":
			stops, starts := counts["StopInstances"][id], counts["StartInstances"][id]
			if stops != 1 || starts != 1 {
				problems = append(problems, fmt.Sprintf("%s stopped %d and started %d times by a run that completed, want once each", id, stops, starts))
			} else {
				w.fig.events.add("planned instances acted on exactly once", 1)
			}
		}
	}
	return problems
}

// uncertainIDs lists the instances named by an intent of action whose
// outcome was uncertain (or never written).
func uncertainIDs(records []journal.Record, action string) map[string]bool {
	intents := map[uint64]*journal.Intent{}
	out := map[string]bool{}
	for _, r := range records {
		switch {
		case r.Intent != nil && string(r.Intent.Action) == action:
			intents[r.Seq] = r.Intent
		case r.Outcome != nil && intents[r.Outcome.Intent] != nil && r.Outcome.Result == journal.ResultUncertain:
			ids := r.Outcome.IDs
			if len(ids) == 0 {
				ids = intents[r.Outcome.Intent].IDs
			}
			for _, id := range ids {
				out[id] = true
			}
		}
	}
	return out
}

// reasonKind shortens a report's reason to its kind, for the figures:
// "CreateTags: outcome unknown ...", "execute: read back N instances
// (DescribeInstances failed)", without ids, counts and messages.
func reasonKind(reason string) string {
	if m := unknownOutcome.FindStringSubmatch(reason); m != nil {
		return m[1] + ": outcome unknown (500 or reset), not re-sent"
	}
	parts := strings.SplitN(reason, ": ", 3)
	kind := strings.Join(parts[:min(2, len(parts))], ": ")
	if strings.Contains(reason, "describe") {
		kind += " (DescribeInstances failed)"
	}
	return number.ReplaceAllString(kind, "N")
}

var (
	unknownOutcome = regexp.MustCompile(`^(\w+) on \d+ instances: outcome unknown`)
	number         = regexp.MustCompile(`\b\d+\b`)
)

func boolCounts(m map[string]bool) map[string]int {
	out := make(map[string]int, len(m))
	for k := range m {
		out[k] = 1
	}
	return out
}

func orNone(s string) string {
	if s == "" {
		return "unexpected"
	}
	return s
}

// faultFigures are what the fault soak saw, for docs/safety.md.
type faultFigures struct {
	runs, exits, events, reasons tally
	// faults counts injected faults by kind; onMutating those that struck
	// a mutating call.
	faults, onMutating tally
	calls              int
	violations         int
	mu                 sync.Mutex
}

// injected names the audit codes of injected faults.
var injected = map[string]string{
	"RequestLimitExceeded":           "RequestLimitExceeded (throttled, not acted)",
	"InternalError":                  "500 InternalError (not acted)",
	"Unavailable":                    "503 Unavailable (not acted)",
	ec2api.AuditInjectedReset:        "connection reset before acting",
	ec2api.AuditInjectedResponseLost: "connection reset after acting (answer lost)",
	ec2api.AuditInjectedLatency:      "latency spike (200 ms - 1.5 s)",
}

// count tallies one simulator's audit log: every call it received, and
// the faults it injected.
func (f *faultFigures) count(recs []sim.AuditRecord) {
	f.mu.Lock()
	f.calls += len(recs)
	f.mu.Unlock()
	for _, r := range recs {
		name, ok := injected[r.ErrorCode]
		if !ok {
			continue
		}
		if r.ErrorCode == ec2api.AuditInjectedLatency || r.ErrorCode == ec2api.AuditInjectedResponseLost {
			f.mu.Lock()
			f.calls-- // a record beside the call's own
			f.mu.Unlock()
		}
		f.faults.add(name, 1)
		if slices.Contains(mutatingActions, r.Action) && !r.DryRun {
			f.onMutating.add(name, 1)
		}
	}
}

func (f *faultFigures) render(seed uint64, workers int, wall time.Duration) string {
	var b strings.Builder
	total := f.runs.get("stop-start") + f.runs.get("reboot")
	fmt.Fprintf(&b, "API fault soak: TestFaultSoak (cmd/gameday/faults_test.go)\n")
	fmt.Fprintf(&b, "  when          %s, %s %s/%s, %d CPUs, load average %s\n", time.Now().UTC().Format(time.RFC3339),
		runtime.Version(), runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), loadAverage())
	fmt.Fprintf(&b, "  seed          GAMEDAY_SOAK_SEED=%d\n", seed)
	fmt.Fprintf(&b, "  runs          %d (stop-start %d, reboot %d) on %d simulators, %v wall\n",
		total, f.runs.get("stop-start"), f.runs.get("reboot"), workers, wall.Round(time.Second))
	fmt.Fprintf(&b, "  exits:\n%s", f.exits.lines("    "))
	fmt.Fprintf(&b, "  why runs did not pass:\n%s", f.reasons.lines("    "))
	fmt.Fprintf(&b, "  API calls received by the simulators  %d\n", f.calls)
	injectedTotal := 0
	for _, name := range injected {
		if name != injected[ec2api.AuditInjectedLatency] {
			injectedTotal += f.faults.get(name)
		}
	}
	fmt.Fprintf(&b, "  calls refused or reset by an injected fault  %d (%.1f%%), besides %d latency spikes\n",
		injectedTotal, 100*float64(injectedTotal)/float64(max(f.calls, 1)), f.faults.get(injected[ec2api.AuditInjectedLatency]))
	fmt.Fprintf(&b, "  faults injected, all calls:\n%s", f.faults.lines("    "))
	fmt.Fprintf(&b, "  of which on mutating calls:\n%s", f.onMutating.lines("    "))
	fmt.Fprintf(&b, "  outcomes:\n%s", f.events.lines("    "))
	fmt.Fprintf(&b, "  runs that broke an invariant  %d\n", f.violations)
	fmt.Fprintf(&b, "  instances left stopped        %d\n", f.events.get("instances left stopped"))
	return b.String()
}
