package main

import (
	"context"
	"fmt"
	"strconv"
)

const capacityAbout = `
How many instances one ` + "`gameday sim serve`" + ` process can host with a health listener each
under this machine's open-file limit, and what they cost. A listening instance holds one file
descriptor (its listener); the process holds a few more of its own (the API listener, the block
sentinel, the runtime's poller, stdio), counted on a ${small}-instance fleet
(` + "`/proc/PID/fd`" + `). The largest fleet that starts is the limit less those; one more
instance must fail to start, which the suite checks. A prober that keeps a connection open to
every instance, as gameday's does, costs the simulator a second descriptor per instance, so
half as many can be probed that way; the suite checks that size with a short probe window
(every probe must pass). *Start-up* is from starting the process until it prints its endpoint
(every listener bound); memory is the process's resident set then (` + "`VmRSS`" + `), and per
instance the difference from the ${small}-instance fleet divided by the difference in instances.`

func (s *suite) runCapacity(ctx context.Context) error {
	sec := s.capacity
	limit := int(s.machine.fileLimit)
	small := s.cfg.capSmall

	// Overhead: descriptors beyond one per instance.
	fleetSmall, err := fleetFile(s.cfg.work, "cap-small.yaml", small, 0, "")
	if err != nil {
		return err
	}
	var smallReady, smallRSS []float64
	overhead := 0
	for i := range s.cfg.capRuns {
		sp, err := startSim(ctx, s.cfg.gameday, fleetSmall, true, "")
		if err != nil {
			return err
		}
		fds, ferr := openFiles(sp.pid())
		rss, rerr := procStatusKB(sp.pid(), "VmRSS")
		if _, err := sp.stop(); err != nil {
			return err
		}
		if ferr != nil || rerr != nil {
			return fmt.Errorf("reading the simulator's /proc: %v %v", ferr, rerr)
		}
		overhead = max(overhead, fds-small)
		smallReady = append(smallReady, sp.ready.Seconds())
		smallRSS = append(smallRSS, float64(rss)/1e3)
		s.logf("capacity %s listeners: run %d/%d: ready %.2fs, %.0f MB, %d files", thousands(int64(small)), i+1, s.cfg.capRuns, sp.ready.Seconds(), float64(rss)/1e3, fds)
	}
	maxN := limit - overhead
	probed := (limit - overhead) / 2

	// The largest fleet that starts, several times.
	fleetMax, err := fleetFile(s.cfg.work, "cap-max.yaml", maxN, 0, "")
	if err != nil {
		return err
	}
	var ready, rss, perInst []float64
	for i := range s.cfg.capRuns {
		sp, err := startSim(ctx, s.cfg.gameday, fleetMax, true, "")
		if err != nil {
			return fmt.Errorf("%s listening instances (limit %d less %d): %w", thousands(int64(maxN)), limit, overhead, err)
		}
		kb, rerr := procStatusKB(sp.pid(), "VmRSS")
		fds, _ := openFiles(sp.pid())
		if _, err := sp.stop(); err != nil {
			return err
		}
		if rerr != nil {
			return rerr
		}
		ready = append(ready, sp.ready.Seconds())
		rss = append(rss, float64(kb)/1e3)
		perInst = append(perInst, (float64(kb)/1e3-median(smallRSS))*1e3/float64(maxN-small))
		s.logf("capacity %s listeners: run %d/%d: ready %.2fs, %.0f MB, %d of %d files", thousands(int64(maxN)), i+1, s.cfg.capRuns, sp.ready.Seconds(), float64(kb)/1e3, fds, limit)
	}
	// One more must not fit.
	fleetOver, err := fleetFile(s.cfg.work, "cap-over.yaml", maxN+1, 0, "")
	if err != nil {
		return err
	}
	overFits := false
	if sp, err := startSim(ctx, s.cfg.gameday, fleetOver, true, ""); err == nil {
		overFits = true
		_, _ = sp.stop()
	}
	s.logf("capacity %s listeners: starts: %v (want false)", thousands(int64(maxN+1)), overFits)

	// Half of it, every instance probed over a kept-alive connection.
	var probeRes probeResult
	fleetProbed, err := fleetFile(s.cfg.work, "cap-probed.yaml", probed, 0, "")
	if err != nil {
		return err
	}
	sp, err := startSim(ctx, s.cfg.gameday, fleetProbed, true, "")
	if err != nil {
		return err
	}
	err = runJSONChild(ctx, &probeRes, nil, "child-probe", "-endpoint", sp.url, "-sim-pid", strconv.Itoa(sp.pid()), "-warmup", "3s", "-window", "5s")
	if _, serr := sp.stop(); err == nil {
		err = serr
	}
	if err != nil {
		return err
	}
	s.capProbe = &probeRes
	s.logf("capacity %s probed at 1s for 5s: %.0f probes/s, %d failed, lag p99 %.0fms", thousands(int64(probed)), probeRes.ProbesPerSec, probeRes.Failures, probeRes.LagP99Ms)

	smallLabel := thousands(int64(small))
	maxLabel := thousands(int64(maxN))
	sec.add("instances with listeners that start under the limit", unitCount, nil, float64(maxN))
	sec.add(fmt.Sprintf("%s listening instances: start-up", maxLabel), unitSeconds, nil, ready...)
	sec.add(fmt.Sprintf("%s listening instances: resident memory", maxLabel), unitMB, nil, rss...)
	sec.add("memory per listening instance", unitKB, nil, perInst...)
	sec.add(fmt.Sprintf("%s listening instances: start-up", smallLabel), unitSeconds, nil, smallReady...)
	sec.add(fmt.Sprintf("%s listening instances: resident memory", smallLabel), unitMB, nil, smallRSS...)
	sec.add("instances probed over kept-alive connections under the limit", unitCount, nil, float64(probed))
	sec.add(fmt.Sprintf("%s probed at 1 s: failed probes", thousands(int64(probed))), unitCount, atMost(0, "0"), float64(probeRes.Failures))
	if !overFits {
		sec.note("Open-file limit %s; the simulator process holds %d descriptors besides its listeners, so %s listening instances fit; %s failed to start, as they should.",
			thousands(int64(limit)), overhead, maxLabel, thousands(int64(maxN+1)))
	} else {
		sec.note("Open-file limit %s; the simulator process holds %d descriptors besides its listeners, yet %s listening instances started too: the count above is a lower bound.",
			thousands(int64(limit)), overhead, thousands(int64(maxN+1)))
	}
	sec.note("Probing %s instances (each on a kept-alive connection: %s descriptors in the simulator) for 5 s after a 3 s warm-up: %s probes/s, lag p99 %s ms, %d failed, the prober at %.2f of a core and the simulator at %.2f.",
		thousands(int64(probed)), thousands(int64(2*probed+overhead)), thousands(int64(probeRes.ProbesPerSec)), sig(probeRes.LagP99Ms), probeRes.Failures, probeRes.CPUCores, probeRes.EndpointCores)
	return nil
}
