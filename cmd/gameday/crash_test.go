package main

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"gameday/internal/journal"
	"gameday/internal/report"
	"gameday/internal/sim"
)

// TestCrashTrials kills `gameday run` with SIGKILL at a random moment of a
// stop-start or reboot run against `gameday sim serve`, then runs
// `gameday recover`, and checks after every trial:
//
//   - the journal is readable (a torn last line is dropped, nothing else);
//     report.json, when written, is readable and still says "running";
//   - `gameday runs` shows the run "interrupted" and needing recovery (or,
//     when the kill came after the end record, the run's own status);
//   - recover exits 0, after which `gameday runs` shows "recovered", with
//     nothing left stopped or tagged;
//   - zero instances stopped, and no dead-man tag left, in the simulator;
//   - from the simulator's audit log (what it executed, injected faults
//     excluded): no instance got two RebootInstances, two StopInstances or
//     two StartInstances from the run and its recovery together, nor more
//     starts than stops, no call named an instance outside the plan, and
//     no TerminateInstances was ever called;
//   - a second recover makes no mutating call.
//
// Trials go on until GAMEDAY_CRASH_TRIALS runs (20 by default; make soak
// 200) have been killed; a run that finished before its kill moment is
// checked too, and does not count. GAMEDAY_SOAK_WORKERS simulators (2;
// make soak 4) share them, each serving trial after trial: a recovered
// fleet is whole again, and each trial's plan seed picks other instances. The kill delay is uniform in [0, T),
// T the time a complete run of the same scenario took on that simulator.
// The simulator delays 30% of calls by 5-50 ms so that kills also strike
// with a call in flight. The figures go to the log and, with
// GAMEDAY_SOAK_FIGURES, into docs/safety.md.
func TestCrashTrials(t *testing.T) {
	t.Parallel()
	trials := envInt(t, "GAMEDAY_CRASH_TRIALS", 20)
	if trials == 0 {
		t.Skip("GAMEDAY_CRASH_TRIALS=0")
	}
	workers := max(1, min(envInt(t, "GAMEDAY_SOAK_WORKERS", 2), trials))
	seed := soakSeed(t)
	t.Logf("%d crash trials on %d simulators; GAMEDAY_SOAK_SEED=%d repeats the plans and kill delays", trials, workers, seed)
	scenarios := writeSoakScenarios(t)
	fig := &crashFigures{}
	for _, key := range []string{"journals whose torn last record was dropped", "mutating calls by a second recover",
		"instances left stopped after recover", "instances left tagged after recover"} {
		fig.events.add(key, 0)
	}
	began := time.Now()

	var crew []*crashWorker
	for w := range workers {
		audit := filepath.Join(t.TempDir(), "audit.jsonl")
		fleetFile := soakFleetFile(t, "    latency_rate: 0.3\n    latency: {min: 5ms, max: 50ms}\n")
		_, url := startSimServe(t, "--fleet", fleetFile, "--no-listeners", "--audit-log", audit,
			"--seed", strconv.FormatUint(seed+uint64(w), 10))
		crew = append(crew, &crashWorker{id: w, url: url, audit: auditFile{audit}, dir: t.TempDir(),
			scenarios: scenarios, rng: newRand(seed, w), fig: fig, calib: map[string]time.Duration{}})
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	var failures atomic.Int64
	for _, w := range crew {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := w.calibrate(); err != nil {
				t.Errorf("simulator %d: calibration: %v", w.id, err)
				failures.Add(1)
				return
			}
			for {
				if fig.kills.Load() >= int64(trials) || failures.Load() >= 5 {
					return
				}
				n := int(next.Add(1))
				if problems := w.trial(n); len(problems) > 0 {
					failures.Add(1)
					t.Errorf("crash trial %d (GAMEDAY_SOAK_SEED=%d):\n  %s", n, seed, strings.Join(problems, "\n  "))
				}
			}
		}()
	}
	wg.Wait()
	fig.violations = int(failures.Load())
	writeFigures(t, "crash-trials", fig.render(seed, workers, time.Since(began)))
}

type crashWorker struct {
	id        int
	url       string
	audit     auditFile
	dir       string
	scenarios soakScenarios
	rng       *rand.Rand
	fig       *crashFigures
	// calib is how long a complete run of each scenario takes here.
	calib map[string]time.Duration
}

// calibrate runs each scenario to completion once, timing it, and checks
// that an uninterrupted run passes and leaves the fleet whole.
func (w *crashWorker) calibrate() error {
	for _, kind := range []string{"stop-start", "reboot"} {
		runsDir := filepath.Join(w.dir, "calibrate-"+kind)
		start := time.Now()
		out, code, err := runGameday(2*time.Minute, "run", w.scenarios[kind], "--endpoint-url", w.url, "--runs-dir", runsDir,
			"--poll-interval", "20ms", "--baseline", "none", "--seed", "1")
		if err != nil || code != 0 {
			return fmt.Errorf("%s run: exit %d, %v\n%s", kind, code, err, tail(out, 20))
		}
		w.calib[kind] = time.Since(start)
		if err := w.fleetWhole(); err != nil {
			return fmt.Errorf("after a complete %s run: %v", kind, err)
		}
	}
	return nil
}

// fleetWhole fails unless every instance runs without dead-man tags.
func (w *crashWorker) fleetWhole() error {
	insts, err := describeFleet(w.url)
	if err != nil {
		return err
	}
	if notRunning, tagged := fleetLeftBehind(insts); len(notRunning)+len(tagged) > 0 {
		return fmt.Errorf("not running: %v; tagged: %v", notRunning, tagged)
	}
	return nil
}

// trial runs one crash trial and returns what broke an invariant.
func (w *crashWorker) trial(n int) []string {
	kind := kindOf(n)
	planSeed := w.rng.Uint64N(1 << 31)
	batch := batchSizes[w.rng.IntN(len(batchSizes))]
	delay := time.Duration(w.rng.Float64() * float64(w.calib[kind]))
	runsDir := filepath.Join(w.dir, fmt.Sprintf("trial-%03d", n))
	var problems []string
	fail := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	w.fig.trials.add(kind, 1)

	from, err := w.audit.count()
	if err != nil {
		return []string{err.Error()}
	}
	cmd := exec.Command(binary, "run", w.scenarios[kind], "--endpoint-url", w.url, "--runs-dir", runsDir,
		"--poll-interval", "20ms", "--baseline", "none", "--seed", strconv.FormatUint(planSeed, 10), "--batch-size", batch)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		return []string{err.Error()}
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var code int
	select {
	case err := <-done:
		code = exitCodeOf(err)
	case <-time.After(delay):
		_ = cmd.Process.Signal(syscall.SIGKILL)
		code = exitCodeOf(<-done)
	}
	killed := code == -int(syscall.SIGKILL)
	if killed {
		w.fig.kills.Add(1)
	}
	about := func() string {
		return fmt.Sprintf("simulator %d, %s, plan seed %d, batch size %s, kill after %v of %v; run output:\n%s",
			w.id, kind, planSeed, batch, delay.Round(time.Millisecond), w.calib[kind].Round(time.Millisecond), tail(out.String(), 15))
	}
	if !killed && code != 0 {
		return []string{fmt.Sprintf("the run exited %d before the kill; %s", code, about())}
	}
	w.audit.settle(30 * time.Millisecond)

	// Before recovery: the journal, the report and `gameday runs`.
	dir, err := runDirOf(runsDir)
	if err != nil {
		fail("%v", err)
	}
	var records []journal.Record
	if dir != "" {
		var warnings []string
		records, warnings, err = journal.Read(filepath.Join(dir, journal.FileName))
		if err != nil {
			fail("journal unreadable after the kill: %v", err)
		}
		for _, warning := range warnings {
			if strings.Contains(warning, "torn last record") {
				w.fig.events.add("journals whose torn last record was dropped", 1)
			}
		}
	}
	ended := endStatus(records)
	// The status `gameday runs` must show before and after recovery: the
	// journal's last end; else a report.json already final (the kill fell
	// between the final report and the journal's end record: the run had
	// done its work); else "interrupted", then "recovered".
	reported := ""
	if dir != "" {
		rep, err := report.ReadJSON(filepath.Join(dir, report.JSONFile))
		switch {
		case errors.Is(err, os.ErrNotExist):
			w.fig.events.add("kills before report.json was first written", 1)
		case err != nil:
			fail("report.json unreadable after the kill: %v", err)
		default:
			reported = rep.Status
		}
	}
	wantBefore, wantAfter := journal.StatusInterrupted, journal.StatusRecovered
	switch {
	case ended != "":
		wantBefore, wantAfter = ended, ended
	case reported != "" && reported != report.StatusRunning:
		wantBefore, wantAfter = reported, reported
	}
	phase := killPhase(dir != "", records, killed, reported)
	w.fig.phases.add(phase, 1)
	entries, err := listRuns(runsDir)
	if err != nil {
		fail("%v", err)
	}
	needed := false
	switch {
	case dir == "" && len(entries) != 0:
		fail("gameday runs lists %+v for a run killed before its journal", entries)
	case dir == "":
	case len(entries) != 1:
		fail("gameday runs lists %d runs, want 1", len(entries))
	case entries[0].Status != wantBefore:
		fail("gameday runs says %q after the kill, want %q", entries[0].Status, wantBefore)
	case ended == "" && !entries[0].NeedsRecovery:
		fail("gameday runs says a run whose journal has no end needs no recovery")
	default:
		needed = entries[0].NeedsRecovery
	}
	insts, err := describeFleet(w.url)
	if err != nil {
		return append(problems, err.Error())
	}
	notRunning, tagged := fleetLeftBehind(insts)
	w.fig.events.add("instances found stopped or stopping after the kill", len(notRunning))
	w.fig.events.add("instances found carrying dead-man tags after the kill", len(tagged))
	if len(notRunning) > 0 {
		w.fig.events.add("trials whose kill left instances stopped or stopping", 1)
	}

	// Recovery, then the fleet and the audit log.
	// Calls audited from here on are recovery's: a call the killed run
	// had in flight was received (and its record stamped) before.
	recoverFrom := time.Now()
	recOut, recCode, err := runGameday(2*time.Minute, "recover", "--runs-dir", runsDir, "--endpoint-url", w.url, "--poll-interval", "20ms")
	if err != nil || recCode != 0 {
		fail("gameday recover: exit %d, %v\n%s", recCode, err, tail(recOut, 15))
	}
	if needed {
		w.fig.events.add("runs gameday recover recovered", 1)
	}
	if dir != "" {
		entries, err := listRuns(runsDir)
		switch {
		case err != nil:
			fail("%v", err)
		case len(entries) != 1:
			fail("after recover, gameday runs lists %d runs", len(entries))
		case entries[0].NeedsRecovery || len(entries[0].LeftStopped) > 0 || len(entries[0].Tagged) > 0:
			fail("after recover, gameday runs: %+v", entries[0])
		case entries[0].Status != wantAfter:
			fail("after recover, gameday runs says %q, want %q", entries[0].Status, wantAfter)
		}
		if _, _, err := journal.Read(filepath.Join(dir, journal.FileName)); err != nil {
			fail("journal unreadable after recover: %v", err)
		}
	}
	insts, err = describeFleet(w.url)
	if err != nil {
		return append(problems, err.Error())
	}
	notRunning, tagged = fleetLeftBehind(insts)
	w.fig.events.add("instances left stopped after recover", len(notRunning))
	w.fig.events.add("instances left tagged after recover", len(tagged))
	if len(notRunning)+len(tagged) > 0 {
		fail("after recover: not running %v, tagged %v", notRunning, tagged)
	}
	recs, err := w.audit.since(from)
	if err != nil {
		return append(problems, err.Error())
	}
	var byRun, byRecover []sim.AuditRecord
	for _, r := range recs {
		if r.Time.Before(recoverFrom) {
			byRun = append(byRun, r)
		} else {
			byRecover = append(byRecover, r)
		}
	}
	problems = append(problems, outsidePlan(recs, plannedIDs(records))...)
	problems = append(problems, actedTwice(countActions(recs))...)
	problems = append(problems, terminateCalls(recs)...)
	recovered := countActions(byRecover)
	for _, action := range []string{"RebootInstances", "StopInstances"} {
		if len(recovered[action]) > 0 {
			fail("gameday recover called %s on %v", action, sortedIDs(recovered[action]))
		}
	}
	w.fig.events.add("instances started by gameday recover", len(recovered["StartInstances"]))
	w.fig.events.add("instances untagged by gameday recover", len(recovered["DeleteTags"]))
	ran := countActions(byRun)
	for _, action := range mutatingActions {
		w.fig.calls.add(action, len(ran[action]))
	}

	// A second recover has nothing to do.
	before, err := w.audit.count()
	if err != nil {
		return append(problems, err.Error())
	}
	again, code, err := runGameday(2*time.Minute, "recover", "--runs-dir", runsDir, "--endpoint-url", w.url, "--poll-interval", "20ms")
	if err != nil || code != 0 {
		fail("second gameday recover: exit %d, %v\n%s", code, err, tail(again, 10))
	}
	w.audit.settle(10 * time.Millisecond)
	if more, err := w.audit.since(before); err != nil || len(mutations(more)) > 0 {
		fail("the second recover made mutating calls: %+v (%v)", mutations(more), err)
		w.fig.events.add("mutating calls by a second recover", len(mutations(more)))

	}
	if len(problems) > 0 {
		problems = append(problems, "("+phase+") "+about())
	}
	return problems
}

// endStatus is the status of a journal's last end record, "" without one.
func endStatus(records []journal.Record) string {
	status := ""
	for _, r := range records {
		if r.End != nil {
			status = r.End.Status
		}
	}
	return status
}

// killPhase names where the run was when it died, from its journal.
func killPhase(hasJournal bool, records []journal.Record, killed bool, reported string) string {
	switch {
	case !killed:
		return "(no kill: the run finished before its kill moment)"
	case !hasJournal:
		return "before the journal (start-up, plan, DryRun checks)"
	}
	var last *journal.Intent
	var lastSeq uint64
	outcomes := map[uint64]bool{}
	for _, r := range records {
		switch {
		case r.End != nil:
			return "after the end record"
		case r.Intent != nil:
			last, lastSeq = r.Intent, r.Seq
		case r.Outcome != nil:
			outcomes[r.Outcome.Intent] = true
		}
	}
	switch {
	case reported != "" && reported != report.StatusRunning:
		return "after the final report.json, before the journal's end record"
	case last == nil:
		return "journal open, before the first mutating call"
	case !outcomes[lastSeq]:
		return "during " + string(last.Action) + " (intent on disk, no outcome)"
	}
	return "after " + string(last.Action) + ", before the next call"
}

// crashFigures are what the trials saw, for docs/safety.md.
type crashFigures struct {
	trials, phases, events, calls tally
	// kills counts the trials whose run the kill struck; the others had
	// finished before their kill moment (and are checked all the same).
	kills      atomic.Int64
	violations int
}

func (f *crashFigures) render(seed uint64, workers int, wall time.Duration) string {
	var b strings.Builder
	fmt.Fprintf(&b, "crash trials: TestCrashTrials (cmd/gameday/crash_test.go)\n")
	fmt.Fprintf(&b, "  when          %s, %s %s/%s, %d CPUs, load average %s\n", time.Now().UTC().Format(time.RFC3339),
		runtime.Version(), runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), loadAverage())
	fmt.Fprintf(&b, "  seed          GAMEDAY_SOAK_SEED=%d\n", seed)
	total := f.trials.get("stop-start") + f.trials.get("reboot")
	fmt.Fprintf(&b, "  trials        %d (stop-start %d, reboot %d) on %d simulators, %v wall:\n",
		total, f.trials.get("stop-start"), f.trials.get("reboot"), workers, wall.Round(time.Second))
	fmt.Fprintf(&b, "                %d runs killed by SIGKILL, %d finished before their kill moment\n", f.kills.Load(), total-int(f.kills.Load()))
	fmt.Fprintf(&b, "  kills by phase (SIGKILL at a uniform moment of the run):\n%s", f.phases.lines("    "))
	fmt.Fprintf(&b, "  calls the killed runs had executed, instances named:\n%s", f.calls.lines("    "))
	fmt.Fprintf(&b, "  what the kills left, and recover:\n%s", f.events.lines("    "))
	fmt.Fprintf(&b, "  trials that broke an invariant  %d\n", f.violations)
	fmt.Fprintf(&b, "  instances left stopped          %d\n", f.events.get("instances left stopped after recover"))
	return b.String()
}

// loadAverage is the 1, 5 and 15 minute load average, "?" off Linux.
func loadAverage() string {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	fields := strings.Fields(string(data))
	if len(fields) < 3 {
		return "?"
	}
	return strings.Join(fields[:3], " ")
}
