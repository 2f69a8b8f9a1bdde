package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"gameday/internal/ratelimit"
	"gameday/internal/sim"
)

const executionAbout = `
` + "`gameday run`" + ` (the binary, as a user runs it, default flags: 100 ids per call, state read
back every 2 s) against a separate ` + "`gameday sim serve --no-listeners`" + ` with EC2's token
buckets on, on a fleet whose state changes take 20 ms, so that only the API can hold a run back.
Waves do not wait for health (` + "`wait_for_healthy: false`" + `): there is nothing to probe.
*Wall* runs from starting the process to its exit. The *bound* is the earliest time EC2's
buckets, full at the start, allow the last of the calls the run made (the simulator's audit
log, DryRuns and reads included) if each call went as soon as its tokens were there and never
before the one ahead of it (` + "`ratelimit.Ledger`" + `); waits that are not the API's (the
20 ms state changes, polling) count against the run. The reboot's bound comes from the
mutating-request bucket (50, then 5 calls a second); the stop-start's from StartInstances'
resource bucket (1,000, then 2 instances a second): after the first two waves every start waits
for tokens, about 500 s in all. The stop-start runs, being mostly waiting, run concurrently,
each against its own simulator (an account of its own), while the rest of the suite runs.
*Throttled* counts ` + "`RequestLimitExceeded`" + ` answers in the audit log: each one a call
the client had to retry; *surfaced* counts runs that failed with one.`

const rebootScenario = `apiVersion: gameday/v1
name: bench-reboot
target: {region: us-east-1, tags: {app: web}}
blast_radius: {all: true}
action: {type: reboot}
waves: {count: %d, wait_for_healthy: false}
`

const stopStartScenario = `apiVersion: gameday/v1
name: bench-stop-start
target: {region: us-east-1, tags: {app: web}}
blast_radius: {all: true}
action: {type: stop-start}
waves: {count: %d, wait_for_healthy: false}
`

// runResult is one `gameday run` against its own simulator.
type runResult struct {
	wall      time.Duration
	code      int
	bound     time.Duration
	calls     int
	mutating  int
	throttled int
	surfaced  int
	cpu       time.Duration // the run's and the simulator's
	stderr    string
	// lead is the time from the start of the process to its first
	// mutating call (DryRuns included); tail from its last call to exit.
	lead, tail time.Duration
	// others is the cores the rest of the machine used during the run
	// (measured for runs in the foreground only; -1 otherwise).
	others float64
}

// gamedayRun starts `gameday run scenario` against url. With a pprof
// directory the run is this binary's gameday mode under a CPU profile.
func (s *suite) gamedayRun(ctx context.Context, name, scenario, url string, extra ...string) (*exec.Cmd, *os.File, error) {
	dir := filepath.Join(s.cfg.work, name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, nil, err
	}
	args := append([]string{"run", scenario, "--endpoint-url", url, "--runs-dir", filepath.Join(dir, "runs")}, extra...)
	bin := s.cfg.gameday
	var env []string
	if s.cfg.pprofDir != "" {
		self, err := os.Executable()
		if err != nil {
			return nil, nil, err
		}
		bin, args = self, append([]string{"gameday"}, args...)
		env = append(env, "BENCH_CPUPROFILE="+filepath.Join(s.cfg.pprofDir, name+".pprof"))
	}
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = append(os.Environ(), env...)
	logs, err := os.Create(filepath.Join(dir, "run.log"))
	if err != nil {
		return nil, nil, err
	}
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		logs.Close()
		return nil, nil, err
	}
	return cmd, logs, nil
}

// finishRun collects a finished run: exit code, the audit log's calls and
// throttles, and the bound.
func finishRun(res *runResult, waitErr error, logs *os.File, audit string, start time.Time) error {
	var ee *exec.ExitError
	switch {
	case waitErr == nil:
	case errors.As(waitErr, &ee):
		res.code = ee.ExitCode()
	default:
		return waitErr
	}
	data, _ := os.ReadFile(logs.Name())
	logs.Close()
	res.stderr = string(data)
	records, err := readAudit(audit)
	if err != nil {
		return err
	}
	res.calls = len(records)
	for _, r := range records {
		if r.ErrorCode == "RequestLimitExceeded" {
			res.throttled++
		}
		if isMutating(r.Action) && !r.DryRun {
			res.mutating++
		}
	}
	if res.code != 0 && strings.Contains(res.stderr, "RequestLimitExceeded") {
		res.surfaced = 1
	}
	res.bound = rateLimitBound(records)
	for _, r := range records {
		if isMutating(r.Action) {
			res.lead = r.Time.Sub(start)
			break
		}
	}
	if len(records) > 0 {
		res.tail = start.Add(res.wall).Sub(records[len(records)-1].Time)
	}
	return nil
}

func isMutating(action string) bool {
	switch action {
	case sim.ActionRebootInstances, sim.ActionStopInstances, sim.ActionStartInstances, sim.ActionCreateTags, sim.ActionDeleteTags:
		return true
	}
	return false
}

// rateLimitBound is the earliest moment EC2's buckets, full at 0, allow
// the last of records' calls, each call made as soon as its tokens are
// there and not before the call ahead of it. Calls refused by a bucket or
// an injected fault took no tokens and are left out. Reads are priced as
// filtered or paginated (the cheaper bucket): a lower bound.
func rateLimitBound(records []sim.AuditRecord) time.Duration {
	l := ratelimit.NewLedger()
	var at time.Duration
	for _, r := range records {
		if r.ErrorCode == "RequestLimitExceeded" || strings.HasPrefix(r.ErrorCode, "Injected.") {
			continue
		}
		ids := len(r.InstanceIDs)
		if r.DryRun {
			ids = 0 // a DryRun takes its request token only
		}
		needs := ratelimit.NeedsFor(r.Action, ids, true)
		if len(needs) == 0 {
			continue
		}
		at = l.Reserve(at, ratelimit.Call{Op: r.Action, Needs: needs})
	}
	return at
}

// execOnce runs one scenario on a fresh simulator and waits for it.
func (s *suite) execOnce(ctx context.Context, name string, n int, scenarioText string, extra ...string) (*runResult, error) {
	fleet, err := fleetFile(s.cfg.work, name+"-fleet.yaml", n, 0, tinyBoot)
	if err != nil {
		return nil, err
	}
	scn := filepath.Join(s.cfg.work, name+".yaml")
	if err := os.WriteFile(scn, []byte(scenarioText), 0o644); err != nil {
		return nil, err
	}
	audit := filepath.Join(s.cfg.work, name+".audit.jsonl")
	sp, err := startSim(ctx, s.cfg.gameday, fleet, false, audit)
	if err != nil {
		return nil, err
	}
	busy0 := mustCPU(machineBusy())
	start := time.Now()
	cmd, logs, err := s.gamedayRun(ctx, name, scn, sp.url, extra...)
	if err != nil {
		_, _ = sp.stop()
		return nil, err
	}
	waitErr := cmd.Wait()
	res := &runResult{wall: time.Since(start), cpu: cpuOf(cmd.ProcessState)}
	busy := mustCPU(machineBusy()) - busy0
	simCPU, serr := sp.stop()
	res.cpu += simCPU
	res.others = max(0, (busy-res.cpu).Seconds()/res.wall.Seconds())
	if err := finishRun(res, waitErr, logs, audit, start); err != nil {
		return nil, err
	}
	return res, serr
}

func (s *suite) runReboot(ctx context.Context) error {
	sec := s.execution
	n, waves := s.cfg.rebootN, s.cfg.rebootWaves
	var results []*runResult
	for i := range s.cfg.execRuns {
		res, err := s.execOnce(ctx, fmt.Sprintf("reboot-%d", i), n, fmt.Sprintf(rebootScenario, waves), s.cfg.rebootArgs...)
		if err != nil {
			return err
		}
		s.logf("reboot %s in %d waves: run %d/%d: exit %d, wall %.2fs, bound %.2fs (%.3f×), %d calls, %d throttled",
			thousands(int64(n)), waves, i+1, s.cfg.execRuns, res.code, res.wall.Seconds(), res.bound.Seconds(),
			res.wall.Seconds()/res.bound.Seconds(), res.calls, res.throttled)
		results = append(results, res)
	}
	s.addExecRows(sec, fmt.Sprintf("reboot %s in %d waves", thousands(int64(n)), waves), results)
	return nil
}

// addExecRows adds one job's rows and notes.
func (s *suite) addExecRows(sec *section, label string, results []*runResult) {
	var wall, bound, ratio, calls, thr, surfaced []float64
	failed := 0
	for _, r := range results {
		wall = append(wall, r.wall.Seconds())
		bound = append(bound, r.bound.Seconds())
		ratio = append(ratio, r.wall.Seconds()/r.bound.Seconds())
		calls = append(calls, float64(r.calls))
		thr = append(thr, float64(r.throttled))
		surfaced = append(surfaced, float64(r.surfaced))
		if r.code != 0 {
			failed++
			sec.note("%s: a run exited %d: %s", label, r.code, lastLines(r.stderr, 2))
		}
	}
	sec.add(label+": wall time", unitSeconds, nil, wall...)
	sec.add(label+": token-bucket bound", unitSeconds, nil, bound...)
	if slices.Min(bound) < 1 {
		sec.note("%s: its calls fit in the buckets' bursts (bound %.2f s), so wall ÷ bound says nothing.", label, slices.Min(bound))
		ratio = nil
	}
	ratioRow := sec.add(label+": wall ÷ bound", unitRatio, atMost(1.10, "≤ 1.10"), ratio...)
	sec.add(label+": API calls", unitCount, nil, calls...)
	sec.add(label+": throttled, retried", unitCount, aim("minimal"), thr...)
	sec.add(label+": throttling errors surfaced", unitCount, atMost(0, "0"), surfaced...)
	if failed > 0 {
		sec.note("%s: %d of %d runs failed; their wall times are not a completed job's.", label, failed, len(results))
	}
	var lead, tail, others []float64
	for _, r := range results {
		lead, tail = append(lead, r.lead.Seconds()), append(tail, r.tail.Seconds())
		if r.others >= 0 {
			others = append(others, r.others)
		}
	}
	sec.note("%s: a median %.2f s passed from the start of the process to its first mutating call (start-up, STS, listing and planning the fleet, through the SDK), and %.2f s from its last call to its exit (journal, reports); the bound counts neither.",
		label, median(lead), median(tail))
	if len(ratio) > 0 && !ratioRow.metOK() {
		sec.note("%s misses ≤ 1.10: those %.2f s are fixed costs, %.0f%% of a bound of %.1f s; the client also paces itself 2%% below EC2's refill rates and keeps a quarter token in reserve (`internal/ec2/pacing.go`), so that a call that travels fast never reaches EC2 before its token, which adds about 2%% of the time spent waiting for tokens.",
			label, median(lead)+median(tail), 100*(median(lead)+median(tail))/median(bound), median(bound))
		if len(others) > 0 && median(others) > 0.1 {
			sec.note("While the reboot runs ran, the rest of the machine kept %.2f of its %d cores busy (median; other work on this shared machine, the background stop-starts included), which lengthens the part of a run that is not waiting for tokens, most of it listing the fleet through the SDK.",
				median(others), runtime.NumCPU())
		}
	}
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	out := strings.Join(lines, " / ")
	if len(out) > 300 {
		out = out[:300] + "…"
	}
	return "`" + strings.ReplaceAll(out, "`", "'") + "`"
}

// background holds the stop-start runs that run alongside the suite.
type background struct {
	runs []*bgRun
}

type bgRun struct {
	name  string
	sim   *simProc
	cmd   *exec.Cmd
	logs  *os.File
	audit string
	start time.Time
	done  chan struct{}
	wall  time.Duration
	err   error
}

func (s *suite) startStopStart(ctx context.Context) (*background, error) {
	bg := &background{}
	n := s.cfg.stopStartN
	for i := range s.cfg.execRuns {
		name := fmt.Sprintf("stop-start-%d", i)
		fleet, err := fleetFile(s.cfg.work, name+"-fleet.yaml", n, 0, tinyBoot)
		if err != nil {
			return nil, err
		}
		scn := filepath.Join(s.cfg.work, name+".yaml")
		if err := os.WriteFile(scn, []byte(fmt.Sprintf(stopStartScenario, s.cfg.stopWaves)), 0o644); err != nil {
			return nil, err
		}
		r := &bgRun{name: name, audit: filepath.Join(s.cfg.work, name+".audit.jsonl"), done: make(chan struct{})}
		if r.sim, err = startSim(ctx, s.cfg.gameday, fleet, false, r.audit); err != nil {
			bg.abandon()
			return nil, err
		}
		r.start = time.Now()
		if r.cmd, r.logs, err = s.gamedayRun(ctx, name, scn, r.sim.url); err != nil {
			_, _ = r.sim.stop()
			bg.abandon()
			return nil, err
		}
		go func() { r.err = r.cmd.Wait(); r.wall = time.Since(r.start); close(r.done) }()
		bg.runs = append(bg.runs, r)
	}
	s.logf("stop-start %s in %d waves: %d runs started in the background (each about %.0f s: the StartInstances bucket)",
		thousands(int64(n)), s.cfg.stopWaves, len(bg.runs), max(0, float64(n-1000))/2)
	return bg, nil
}

// abandon ends every background process.
func (bg *background) abandon() {
	for _, r := range bg.runs {
		_ = r.cmd.Process.Kill()
		<-r.done
		r.logs.Close()
		_, _ = r.sim.stop()
	}
}

func (s *suite) finishStopStart(ctx context.Context, bg *background) error {
	s.logf("waiting for the background stop-start runs")
	var results []*runResult
	var cpu, span time.Duration
	for i, r := range bg.runs {
		select {
		case <-r.done:
		case <-ctx.Done():
			bg.abandon()
			return ctx.Err()
		}
		res := &runResult{wall: r.wall, cpu: cpuOf(r.cmd.ProcessState), others: -1}
		simCPU, serr := r.sim.stop()
		res.cpu += simCPU
		if err := finishRun(res, r.err, r.logs, r.audit, r.start); err != nil {
			return err
		}
		if serr != nil {
			return serr
		}
		cpu += res.cpu
		span = max(span, time.Since(r.start))
		s.logf("stop-start %s in %d waves: run %d/%d: exit %d, wall %.1fs, bound %.1fs (%.3f×), %d calls, %d throttled",
			thousands(int64(s.cfg.stopStartN)), s.cfg.stopWaves, i+1, len(bg.runs), res.code, res.wall.Seconds(),
			res.bound.Seconds(), res.wall.Seconds()/res.bound.Seconds(), res.calls, res.throttled)
		results = append(results, res)
	}
	s.addExecRows(s.execution, fmt.Sprintf("stop-start %s in %d waves", thousands(int64(s.cfg.stopStartN)), s.cfg.stopWaves), results)
	s.bgCPU = cpu.Seconds() / span.Seconds()
	s.execution.note("The %d background stop-start runs and their simulators used %.3f of a core on average while they ran (CPU time %.1f s over %.0f s), the share of the machine the other measurements shared with them.",
		len(bg.runs), s.bgCPU, cpu.Seconds(), span.Seconds())
	return nil
}
