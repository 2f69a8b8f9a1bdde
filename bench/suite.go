package main

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"
)

// suite is one invocation: its configuration, what it found, and the
// sections in the order the document shows them.
type suite struct {
	cfg      config
	machine  machine
	start    time.Time
	total    time.Duration
	sections []*section
	bgCPU    float64      // cores the background stop-start runs used
	others   float64      // cores the rest of the machine used meanwhile
	loadEnd  string       // load averages at the end
	capProbe *probeResult // the capacity section's probe of the largest fleet

	capacity, planning, execution, versus, probing *section
}

func (s *suite) logf(format string, args ...any) {
	el := time.Since(s.start)
	fmt.Fprintf(os.Stderr, "[bench %02d:%02d] %s\n", int(el.Minutes()), int(el.Seconds())%60, fmt.Sprintf(format, args...))
}

func (s *suite) run(ctx context.Context) error {
	s.planning = &section{title: "1. Selection and planning", about: planningAbout}
	s.execution = &section{title: "2. Execution against the rate-limit bound", about: executionAbout}
	s.versus = &section{title: "3. Against an AWS CLI script", about: versusAbout}
	s.probing = &section{title: "4. Probe engine", about: probeAbout}
	s.capacity = &section{title: "5. Simulator capacity", about: strings.ReplaceAll(capacityAbout, "${small}", thousands(int64(s.cfg.capSmall)))}
	s.sections = []*section{s.planning, s.execution, s.versus, s.probing, s.capacity}
	s.logf("machine: %s, %d cores; load average %s; work in %s", s.machine.cpu, s.machine.cores, s.machine.loadAvg, s.cfg.work)
	busy0, ours0 := mustCPU(machineBusy()), selfCPU()+childrenCPU()

	// The stop-start runs are bounded by the StartInstances bucket (2
	// instances a second after a burst of 1,000): minutes of waiting for
	// tokens. They run in the background, each against a simulator of its
	// own, while the rest of the suite runs.
	var bg *background
	if s.cfg.want("exec") {
		var err error
		if bg, err = s.startStopStart(ctx); err != nil {
			return err
		}
	}
	steps := []struct {
		name string
		fn   func(context.Context) error
	}{
		{"capacity", s.runCapacity},
		{"plan", s.runPlanning},
		{"exec", s.runReboot},
		{"cli", s.runVersus},
		{"probe", s.runProbe},
	}
	for _, st := range steps {
		if !s.cfg.want(st.name) {
			continue
		}
		if err := st.fn(ctx); err != nil {
			if bg != nil {
				bg.abandon()
			}
			return fmt.Errorf("%s: %w", st.name, err)
		}
	}
	if bg != nil {
		if err := s.finishStopStart(ctx, bg); err != nil {
			return fmt.Errorf("exec: %w", err)
		}
	}
	s.total = time.Since(s.start)
	// Everything the machine ran that was not this suite or a process it
	// started (all of which it has waited for by now).
	busy, ours := mustCPU(machineBusy())-busy0, selfCPU()+childrenCPU()-ours0
	s.others = max(0, (busy-ours).Seconds()/s.total.Seconds())
	s.loadEnd = readMachine().loadAvg
	block := s.markdown()
	fmt.Println(block)
	if s.cfg.doc != "" {
		if err := writeDoc(s.cfg.doc, block); err != nil {
			return err
		}
		s.logf("wrote %s", s.cfg.doc)
	}
	s.logf("done in %s", fmtDuration(s.total))
	return nil
}
