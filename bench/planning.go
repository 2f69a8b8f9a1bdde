package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"time"

	"go.uber.org/zap"

	"gameday/internal/ec2"
	"gameday/internal/fleet"
	"gameday/internal/plan"
	"gameday/internal/runner"
	"gameday/internal/scenario"
)

const planningAbout = `
What ` + "`gameday plan`" + ` does before it prints: connect (STS GetCallerIdentity), list the
target through the real aws-sdk-go-v2 client (filtered DescribeInstances, pages of 1,000, paced
by the client's copy of EC2's buckets), and build the plan (` + "`runner.ResolvePlan`" + `:
selection, blast radius, capacity floors, waves and the rate-limit estimate). The simulator is a
separate ` + "`gameday sim serve --no-listeners`" + ` process with EC2's rate limits on, started
afresh for every run (buckets full); the fleet is n instances over three zones, 80% opted in.
The scenario reboots 50% of ` + "`app=web`" + ` in 10 waves, keeping 60% of each zone running.
Each run is a child process of its own, so that its peak memory is its own: *wall* is connect +
describe + plan, *describe* the listing (API time: HTTP, XML both ways, the SDK's decoding),
*planning* the rest (` + "`plan.Build`" + ` and what ` + "`ResolvePlan`" + ` adds), in wall time and in
the CPU time the process spent on it (the garbage collector's included); allocations
are Go heap allocations (` + "`runtime.MemStats`" + `) during describe + plan, peak memory is
the process's resident high-water mark (` + "`VmHWM`" + `). API calls are counted in the
simulator's audit log.`

const planScenario = `apiVersion: gameday/v1
name: plan-bench
target: {region: us-east-1, tags: {app: web}}
blast_radius:
  percent: 50
  min_healthy_remaining: {per_az: "60%"}
action: {type: reboot}
waves: {count: 10, wait_for_healthy: false}
`

// planResult is what one child-plan run measured.
type planResult struct {
	ConnectS, ListS, PlanS, WallS float64
	Listed, Selected, Waves       int
	Mallocs, AllocBytes           uint64 // describe + plan
	PlanMallocs, PlanAllocBytes   uint64 // plan alone
	PeakRSSKB                     int64
	PlanCPUS, PlanOtherCores      float64 // planning's CPU time; the rest of the machine meanwhile
}

func (s *suite) runPlanning(ctx context.Context) error {
	sec := s.planning
	scn := filepath.Join(s.cfg.work, "plan-bench.yaml")
	if err := os.WriteFile(scn, []byte(planScenario), 0o644); err != nil {
		return err
	}
	for _, n := range s.cfg.planSizes {
		fleet, err := fleetFile(s.cfg.work, fmt.Sprintf("plan-%d.yaml", n), n, n/5, "")
		if err != nil {
			return err
		}
		var wall, list, planning, planCPU, others, calls, throttled, mallocs, allocMB, peak []float64
		var last planResult
		for i := range s.cfg.planRuns[n] {
			audit := filepath.Join(s.cfg.work, fmt.Sprintf("plan-%d-%d.audit.jsonl", n, i))
			sp, err := startSim(ctx, s.cfg.gameday, fleet, false, audit)
			if err != nil {
				return err
			}
			var res planResult
			args := []string{"child-plan", "-endpoint", sp.url, "-scenario", scn}
			if s.cfg.pprofDir != "" {
				args = append(args, "-cpuprofile", filepath.Join(s.cfg.pprofDir, fmt.Sprintf("plan-%d-%d.pprof", n, i)))
			}
			err = runJSONChild(ctx, &res, nil, args...)
			if _, serr := sp.stop(); err == nil {
				err = serr
			}
			if err != nil {
				return err
			}
			records, err := readAudit(audit)
			if err != nil {
				return err
			}
			thr := 0
			for _, r := range records {
				if r.ErrorCode == "RequestLimitExceeded" {
					thr++
				}
			}
			wall = append(wall, res.WallS)
			list = append(list, res.ListS)
			planning = append(planning, res.PlanS)
			planCPU = append(planCPU, res.PlanCPUS)
			others = append(others, res.PlanOtherCores)
			calls = append(calls, float64(len(records)))
			throttled = append(throttled, float64(thr))
			mallocs = append(mallocs, float64(res.Mallocs))
			allocMB = append(allocMB, float64(res.AllocBytes)/1e6)
			peak = append(peak, float64(res.PeakRSSKB)/1e3)
			last = res
			s.logf("plan %s: run %d/%d: wall %.2fs (describe %.2fs, planning %.3fs), %d calls, %d selected in %d waves, peak %.0f MB",
				thousands(int64(n)), i+1, s.cfg.planRuns[n], res.WallS, res.ListS, res.PlanS, len(records), res.Selected, res.Waves, float64(res.PeakRSSKB)/1e3)
		}
		label := thousands(int64(n))
		var planTarget *target
		if n == 100_000 {
			planTarget = below(1000, "< 1 s") // the row is in milliseconds
		}
		sec.add(fmt.Sprintf("%s instances: wall (connect + describe + plan)", label), unitSeconds, nil, wall...)
		sec.add(fmt.Sprintf("%s instances: describe (API time)", label), unitSeconds, nil, list...)
		planRow := sec.add(fmt.Sprintf("%s instances: planning, excluding API time", label), unitMillis, planTarget, scale(planning, 1000)...)
		sec.add(fmt.Sprintf("%s instances: planning, CPU time", label), unitMillis, nil, scale(planCPU, 1000)...)
		sec.add(fmt.Sprintf("%s instances: API calls", label), unitCount, nil, calls...)
		sec.add(fmt.Sprintf("%s instances: allocations", label), unitCount, nil, mallocs...)
		sec.add(fmt.Sprintf("%s instances: allocated", label), unitMB, nil, allocMB...)
		sec.add(fmt.Sprintf("%s instances: peak memory (VmHWM)", label), unitMB, nil, peak...)
		if t := median(throttled); t > 0 {
			sec.note("%s instances: %.0f of the API calls (median) were throttled (RequestLimitExceeded) and retried by the SDK.", label, t)
		}
		if planTarget != nil && !planRow.metOK() {
			sec.note("%s instances miss < 1 s of planning: planning took %.0f ms of CPU (median) but %.0f ms of wall time, while the rest of the machine kept %.2f cores busy (other work on this shared machine): the process waited for a core.",
				label, median(planCPU)*1000, median(planning)*1000, median(others))
		}
		sec.note("%s instances: %s selected in %d waves; per instance (medians), planning took %.2f µs of wall time and %.2f µs of CPU, describing %.0f µs.",
			label, thousands(int64(last.Selected)), last.Waves, median(planning)/float64(n)*1e6, median(planCPU)/float64(n)*1e6, median(list)/float64(n)*1e6)
	}
	return nil
}

func scale(v []float64, f float64) []float64 {
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = x * f
	}
	return out
}

// timedLister measures the provider's List: its time and allocations.
type timedLister struct {
	fleet.Provider
	took             time.Duration
	mallocs, allocby uint64
	// CPU time of this process and of the machine when the listing ended.
	cpuAfter, busyAfter time.Duration
}

func (t *timedLister) List(ctx context.Context, target fleet.Target) ([]fleet.Instance, error) {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	start := time.Now()
	out, err := t.Provider.List(ctx, target)
	t.took += time.Since(start)
	t.cpuAfter, t.busyAfter = selfCPU(), mustCPU(machineBusy())
	runtime.ReadMemStats(&after)
	t.mallocs += after.Mallocs - before.Mallocs
	t.allocby += after.TotalAlloc - before.TotalAlloc
	return out, err
}

// childPlan is one planning run: connect, describe, plan; JSON on stdout.
func childPlan(args []string) int {
	fs := flag.NewFlagSet("child-plan", flag.ContinueOnError)
	endpoint := fs.String("endpoint", "", "simulator URL")
	path := fs.String("scenario", "", "scenario file")
	cpuprofile := fs.String("cpuprofile", "", "write a CPU profile here")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	fail := func(err error) int { fmt.Fprintln(os.Stderr, "child-plan:", err); return 1 }
	scn, err := scenario.Load(*path)
	if err != nil {
		return fail(err)
	}
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			return fail(err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			return fail(err)
		}
		defer pprof.StopCPUProfile()
	}
	ctx := context.Background()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	start := time.Now()
	cfg, err := ec2.LoadConfig(ctx, ec2.Session{Region: "us-east-1", EndpointURL: *endpoint})
	if err != nil {
		return fail(err)
	}
	provider := ec2.New(cfg, ec2.Options{})
	if _, err := provider.CallerIdentity(ctx); err != nil {
		return fail(err)
	}
	connected := time.Now()
	lister := &timedLister{Provider: provider}
	p, err := runner.ResolvePlan(ctx, scn, runner.Listers{"us-east-1": lister}, "us-east-1", 1, plan.EstimateOptions{}, zap.NewNop())
	if err != nil {
		return fail(err)
	}
	end := time.Now()
	cpuEnd, busyEnd := selfCPU(), mustCPU(machineBusy())
	runtime.ReadMemStats(&after)
	res := planResult{
		ConnectS:   connected.Sub(start).Seconds(),
		ListS:      lister.took.Seconds(),
		PlanS:      (end.Sub(connected) - lister.took).Seconds(),
		WallS:      end.Sub(start).Seconds(),
		Mallocs:    after.Mallocs - before.Mallocs,
		AllocBytes: after.TotalAlloc - before.TotalAlloc,
	}
	// Planning's CPU: everything this process did after the listing (GC
	// included); the machine's: everything else that ran meanwhile.
	res.PlanCPUS = (cpuEnd - lister.cpuAfter).Seconds()
	if res.PlanS > 0 {
		res.PlanOtherCores = max(0, (busyEnd-lister.busyAfter-(cpuEnd-lister.cpuAfter)).Seconds()/res.PlanS)
	}
	res.PlanMallocs = res.Mallocs - lister.mallocs
	res.PlanAllocBytes = res.AllocBytes - lister.allocby
	for _, ph := range p.Phases {
		res.Listed += ph.Matched
		res.Selected += len(ph.Selected)
		res.Waves += len(ph.Waves)
	}
	res.PeakRSSKB, _ = procStatusKB(0, "VmHWM")
	return encodeJSON(res, fail)
}

func encodeJSON(v any, fail func(error) int) int {
	if err := json.NewEncoder(os.Stdout).Encode(v); err != nil {
		return fail(err)
	}
	return 0
}
