package runner

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"gameday/internal/execute"
	"gameday/internal/fleet"
	"gameday/internal/plan"
	"gameday/internal/progress"
	"gameday/internal/scenario"
	"gameday/internal/score"
	"gameday/internal/verify"
)

// printPlan tells the operator what is about to happen, before it happens.
func printPlan(w io.Writer, p *plan.Plan) {
	for _, ph := range p.Phases {
		prefix := "plan: "
		if len(p.Phases) > 1 {
			prefix = fmt.Sprintf("plan: phase %s (%s, %s): ", ph.Name, ph.Step.Action.Type, ph.Start())
		}
		fmt.Fprintf(w, "%s%d matched the target, %d eligible, %d excluded; selected %s\n",
			prefix, ph.Matched, len(ph.Eligible), len(ph.Excluded), ph.SelectionRule)
		sizes := make([]string, len(ph.Waves))
		for i, wave := range ph.Waves {
			sizes[i] = fmt.Sprint(len(wave.Instances))
		}
		fmt.Fprintf(w, "%s%d waves of %s instances (order %s); selected per AZ: %s\n",
			prefix, len(ph.Waves), strings.Join(sizes, "/"), ph.Step.Waves.Order, formatAZCounts(fleet.CountByAZ(ph.Selected)))
		for _, note := range ph.Notes {
			fmt.Fprintf(w, "%s%s\n", prefix, note)
		}
	}
}

// lineObserver prints one line when a wave starts and one when it ends:
// readable at a terminal and in a CI log alike.
type lineObserver struct {
	out     io.Writer
	phases  int
	actions map[string]string // phase -> action type
}

func (o *lineObserver) label(phase string, index, total int) string {
	if o.phases > 1 {
		return fmt.Sprintf("phase %s, wave %d/%d", phase, index, total)
	}
	return fmt.Sprintf("wave %d/%d", index, total)
}

func (o *lineObserver) WaveStarted(phase string, w plan.Wave, total int) {
	fmt.Fprintf(o.out, "%s: %s %d instances (%s)\n", o.label(phase, w.Index, total), verb(o.actions[phase]),
		len(w.Instances), formatAZCounts(fleet.CountByAZ(w.Instances)))
}

func (o *lineObserver) WaveFinished(phase string, r execute.WaveResult, total int) {
	label := o.label(phase, r.Index, total)
	n := len(r.Acted)
	if len(r.Skipped) > 0 {
		fmt.Fprintf(o.out, "%s: %d skipped (changed since the plan): %s\n", label, len(r.Skipped), skipText(r.Skipped))
	}
	switch r.Gate {
	case execute.GatePassed:
		fmt.Fprintf(o.out, "%s: %d/%d recovered after %s, gate passed\n", label, n, n, score.Round(r.GateElapsed))
	case execute.GateTimedOut:
		fmt.Fprintf(o.out, "%s: gate timed out after %s, %d of %d not recovered: %s\n",
			label, score.Round(r.GateElapsed), len(r.Pending), n, strings.Join(r.Pending, ", "))
	case execute.GateInterrupted:
		fmt.Fprintf(o.out, "%s: interrupted while waiting for health\n", label)
	default:
		fmt.Fprintf(o.out, "%s: done (%d acted on), no health gate\n", label, n)
	}
}

var _ execute.Observer = (*lineObserver)(nil)

func verb(action string) string {
	switch action {
	case scenario.ActionStopStart:
		return "stopping and starting"
	case scenario.ActionForceStopStart:
		return "force-stopping and starting"
	case scenario.ActionStop:
		return "stopping"
	}
	return "rebooting"
}

func skipText(skips []execute.Skip) string {
	parts := make([]string, len(skips))
	for i, s := range skips {
		parts[i] = s.ID + " (" + s.Reason + ")"
	}
	return strings.Join(parts, ", ")
}

func formatAZCounts(counts []fleet.AZCount) string {
	parts := make([]string, len(counts))
	for i, c := range counts {
		parts[i] = fmt.Sprintf("%s %d", c.AZ, c.Count)
	}
	return strings.Join(parts, ", ")
}

// ProgressDisplay is a live status line the run feeds while it executes
// (progress.Display implements it). Out, and the log when it reaches the
// same terminal, must write through it.
type ProgressDisplay interface {
	Start(source func() progress.Status)
	Stop()
}

// runProgress follows a run for its status line: the executor tells it
// about waves (as an observer) and actions (through the gate), the
// monitors about health.
type runProgress struct {
	mons     monitors
	began    time.Time
	estimate time.Duration // the plan's typical duration
	tail     time.Duration // verify.observe_after
	phases   int
	waves    int // over all phases

	mu sync.Mutex
	// The wave shown: the last one started.
	phase      string
	wave, of   int
	ids        []string
	waveStart  time.Time
	acted      map[string]bool // every instance acted on in the run
	waiting    int             // gates being waited on
	done       int             // waves finished
	firstStart time.Time
	lastEnd    time.Time
}

// showProgress starts the display, if any, and returns the gate to give
// the executor and a func that stops the display (call it before the
// summary is printed).
func (r *recorder) showProgress(mons monitors, gate execute.Gate) (execute.Gate, func()) {
	if r.opts.Progress == nil {
		return gate, func() {}
	}
	p := &runProgress{mons: mons, began: time.Now(), estimate: r.plan.Estimate.Typical,
		tail: r.opts.Scenario.Verify.ObserveAfter.Duration, phases: len(r.plan.Phases), acted: map[string]bool{}}
	for _, ph := range r.plan.Phases {
		p.waves += len(ph.Waves)
	}
	r.progress = p
	r.opts.Progress.Start(p.status)
	var once sync.Once
	return progressGate{Gate: gate, p: p}, func() { once.Do(r.opts.Progress.Stop) }
}

// observer adds p to the run's observer; with no display, o is unchanged.
func (p *runProgress) observer(o execute.Observer) execute.Observer {
	if p == nil {
		return o
	}
	return progressObserver{Observer: o, p: p}
}

// status is the display's source: called a few times a second from the
// display's goroutine.
func (p *runProgress) status() progress.Status {
	now := time.Now()
	var health []verify.InstanceHealth
	if p.mons.instances != nil {
		health = p.mons.instances.Snapshot()
	}
	p.mu.Lock()
	st := progress.Status{
		Phase: p.phase, MultiPhase: p.phases > 1, Wave: p.wave, Waves: p.of, Size: len(p.ids),
		Waiting: p.waiting > 0, Elapsed: now.Sub(p.began), WaveElapsed: now.Sub(p.waveStart),
	}
	// The wave's instances acted on so far: their recovery is the gate's.
	acted := make(map[string]bool, len(p.ids))
	for _, id := range p.ids {
		if p.acted[id] {
			acted[id] = true
		}
	}
	timing := progress.Timing{Estimate: p.estimate, Tail: p.tail, Elapsed: st.Elapsed, WavesDone: p.done, WavesTotal: p.waves}
	if p.done > 0 {
		timing.Span, timing.SinceLast = p.lastEnd.Sub(p.firstStart), now.Sub(p.lastEnd)
	}
	p.mu.Unlock()
	st.Acted, st.ETA = len(acted), progress.ETA(timing)

	st.Monitored = len(health)
	for _, h := range health {
		if h.Healthy {
			st.Healthy++
		}
		if acted[h.InstanceID] && h.Recovered() {
			st.Recovered++
		}
	}
	if p.mons.services != nil {
		for _, a := range p.mons.services.AvailabilitySince(p.began) {
			if a.Total > 0 && (!st.HasAvailability || a.Percent() < st.Availability) {
				st.Availability, st.HasAvailability = a.Percent(), true
			}
		}
	}
	return st
}

func (p *runProgress) waveStarted(phase string, w plan.Wave, total int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := time.Now()
	if p.firstStart.IsZero() {
		p.firstStart = now
	}
	p.phase, p.wave, p.of, p.ids, p.waveStart = phase, w.Index, total, fleet.IDs(w.Instances), now
}

func (p *runProgress) waveFinished(r execute.WaveResult) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done++
	p.lastEnd = r.EndedAt
	if p.lastEnd.IsZero() {
		p.lastEnd = time.Now()
	}
}

// progressObserver tells the status line, then prints the wave's lines.
type progressObserver struct {
	execute.Observer
	p *runProgress
}

func (o progressObserver) WaveStarted(phase string, w plan.Wave, total int) {
	o.p.waveStarted(phase, w, total)
	o.Observer.WaveStarted(phase, w, total)
}

func (o progressObserver) WaveFinished(phase string, r execute.WaveResult, total int) {
	o.p.waveFinished(r)
	o.Observer.WaveFinished(phase, r, total)
}

// progressGate counts actions and gate waits for the status line.
type progressGate struct {
	execute.Gate
	p *runProgress
}

func (g progressGate) MarkActed(ids []string, at time.Time) {
	g.p.mu.Lock()
	for _, id := range ids {
		g.p.acted[id] = true
	}
	g.p.mu.Unlock()
	g.Gate.MarkActed(ids, at)
}

func (g progressGate) WaitRecovered(ctx context.Context, ids []string, timeout time.Duration) (verify.GateResult, error) {
	g.p.mu.Lock()
	g.p.waiting++
	g.p.mu.Unlock()
	defer func() {
		g.p.mu.Lock()
		g.p.waiting--
		g.p.mu.Unlock()
	}()
	return g.Gate.WaitRecovered(ctx, ids, timeout)
}

var (
	_ execute.Observer = progressObserver{}
	_ execute.Gate     = progressGate{}
)
