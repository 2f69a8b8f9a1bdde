package report

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Geometry of report.html's inline SVG charts. Everything is computed here,
// in Go, and the template only places what it is given: no script runs in
// the page. All charts share one horizontal layout so that the swimlanes,
// the service charts and their wave markers line up.
const (
	chartWidth  = 1160.0 // viewBox width of every time chart
	labelWidth  = 200.0  // left column: instance ids, axis labels
	rightMargin = 24.0
	plotWidth   = chartWidth - labelWidth - rightMargin
)

// timeScale maps a time of the run to an x coordinate.
type timeScale struct {
	start, end time.Time
}

func (s timeScale) x(t time.Time) float64 {
	span := s.end.Sub(s.start).Seconds()
	v := t.Sub(s.start).Seconds() / span
	return labelWidth + math.Max(0, math.Min(1, v))*plotWidth
}

func (s timeScale) contains(t time.Time) bool { return !t.Before(s.start) && !t.After(s.end) }

// runScale spans the run from its start to its end, stretched to cover
// everything observed (a report still "running" has no real end).
func runScale(r *Report) timeScale {
	start, end := r.StartedAt, r.EndedAt
	later := func(t time.Time) {
		if t.After(end) {
			end = t
		}
	}
	later(start)
	for _, w := range r.Waves {
		later(w.StartedAt)
		later(w.EndedAt)
	}
	for _, in := range r.Instances {
		for _, tr := range in.Transitions {
			later(tr.At)
		}
	}
	for _, s := range r.Services {
		for _, b := range s.Timeline {
			later(b.Start.Add(secondsDuration(b.Seconds)))
		}
	}
	if !end.After(start) {
		end = start.Add(time.Second)
	}
	return timeScale{start: start, end: end}
}

type tick struct {
	X     float64
	Label string
}

// niceSteps are the tick spacings an axis may use.
var niceSteps = []time.Duration{
	time.Second, 2 * time.Second, 5 * time.Second, 10 * time.Second, 15 * time.Second, 30 * time.Second,
	time.Minute, 2 * time.Minute, 5 * time.Minute, 10 * time.Minute, 15 * time.Minute, 30 * time.Minute,
	time.Hour, 2 * time.Hour, 3 * time.Hour, 6 * time.Hour, 12 * time.Hour, 24 * time.Hour,
}

// ticks returns about 6 to 12 ticks from the run's start, labelled as
// offsets ("+2m").
func (s timeScale) ticks() []tick {
	span := s.end.Sub(s.start)
	step := niceSteps[len(niceSteps)-1]
	for _, st := range niceSteps {
		if span/st <= 12 {
			step = st
			break
		}
	}
	var out []tick
	for d := time.Duration(0); d <= span; d += step {
		label := "+" + shortDur(d)
		if d == 0 {
			label = "start"
		}
		out = append(out, tick{X: s.x(s.start.Add(d)), Label: label})
	}
	return out
}

// marker is a vertical line at a moment, such as a wave's start.
type marker struct {
	X, X2          float64 // X2: the end of the span the marker opens, if any
	LabelX, LabelY float64
	Anchor         string // text-anchor of the label
	Label          string
	Title          string
	Class          string
}

// stagger places marker labels on up to three rows above baseY so that
// labels of markers close together do not overlap, and ends a label at its
// line when it would run past right. Markers must be sorted by X.
func stagger(ms []marker, baseY, charW, rowH, right float64) {
	ends := []float64{math.Inf(-1), math.Inf(-1), math.Inf(-1)}
	for i := range ms {
		width := float64(len([]rune(ms[i].Label)))*charW + 6
		from, to := ms[i].X, ms[i].X+width
		ms[i].Anchor, ms[i].LabelX = "start", ms[i].X+3
		if to > right {
			from, to = ms[i].X-width, ms[i].X
			ms[i].Anchor, ms[i].LabelX = "end", ms[i].X-3
		}
		row := 0
		for row < len(ends)-1 && from < ends[row] {
			row++
		}
		ends[row] = to
		ms[i].LabelY = baseY - float64(row)*rowH
	}
}

func waveMarkers(r *Report, s timeScale) []marker {
	out := make([]marker, 0, len(r.Waves))
	for _, w := range r.Waves {
		if w.StartedAt.IsZero() {
			continue
		}
		label := fmt.Sprintf("W%d", w.Index)
		if w.Phase != "" {
			label = w.Phase + " W" + fmt.Sprint(w.Index)
		}
		m := marker{X: s.x(w.StartedAt), Label: label}
		m.X2 = m.X
		if !w.EndedAt.IsZero() && w.EndedAt.After(w.StartedAt) {
			m.X2 = s.x(w.EndedAt)
		}
		m.Title = fmt.Sprintf("wave %s: %d instances, started %s, %s", waveLabel(w.Phase, w.Index), len(w.InstanceIDs),
			offset(r.StartedAt, w.StartedAt), gateText(w))
		out = append(out, m)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].X < out[j].X })
	stagger(out, swimTop-6, 6.5, 12, labelWidth+plotWidth)
	return out
}

// segment is a stretch of one health state on a lane.
type segment struct {
	X, W  float64
	Class string // seg-up, seg-down or seg-unknown
}

// segments turns transitions into coloured stretches between the scale's
// start and end: unknown until the first probe, then healthy or not until
// the next change. A short outage stays at least a pixel wide.
func segments(trs []Transition, s timeScale) []segment {
	var out []segment
	add := func(from, to time.Time, class string) {
		if !to.After(s.start) || !from.Before(s.end) || !to.After(from) {
			return
		}
		x0, x1 := s.x(from), s.x(to)
		w := x1 - x0
		if class == "seg-down" && w < 1 {
			w = 1
		}
		if n := len(out); n > 0 && out[n-1].Class == class && math.Abs(out[n-1].X+out[n-1].W-x0) < 0.01 {
			out[n-1].W = x1 - out[n-1].X
			return
		}
		out = append(out, segment{X: x0, W: w, Class: class})
	}
	from, class := s.start, "seg-unknown"
	for _, tr := range trs {
		add(from, tr.At, class)
		from, class = tr.At, "seg-down"
		if tr.Healthy {
			class = "seg-up"
		}
	}
	add(from, s.end, class)
	return out
}

// swimlane is one lane per selected instance, grouped by AZ and wave.
type swimlane struct {
	Height     float64
	LaneStep   float64
	BarHeight  float64
	ShowLabels bool
	PlotTop    float64
	PlotBottom float64
	Ticks      []tick
	Waves      []marker
	Headers    []laneHeader
	Lanes      []lane
}

type laneHeader struct {
	Y     float64
	Label string
	AZ    bool // an AZ heading rather than a wave heading
}

type lane struct {
	Y          float64
	ID         string
	AZ         string
	Wave       string
	Acted      bool
	Status     string // recovered, down, no-downtime, not-acted, not-probed
	Title      string
	Segments   []segment
	ActionX    float64
	HasAction  bool
	RecoveredX float64
	HasRecover bool
}

const (
	swimTop       = 52.0 // wave labels, wave spans and axis labels above the first lane
	azHeaderH     = 24.0
	waveHeaderH   = 17.0
	swimBottomPad = 12.0
)

// laneSizes picks a lane height for the number of lanes: readable labels
// for a few dozen instances, thin lanes for a thousand.
func laneSizes(n int) (step, bar float64, labels bool) {
	switch {
	case n <= 40:
		return 20, 14, true
	case n <= 120:
		return 13, 10, true
	case n <= 400:
		return 6, 5, false
	}
	return 4, 3, false
}

func buildSwimlane(r *Report, s timeScale) swimlane {
	sw := swimlane{Ticks: s.ticks(), Waves: waveMarkers(r, s), PlotTop: swimTop}
	sw.LaneStep, sw.BarHeight, sw.ShowLabels = laneSizes(len(r.Instances))

	// Order: AZ by name, then phase as first seen, then wave, then the
	// report's own order.
	phaseOrder := map[string]int{}
	for _, in := range r.Instances {
		if _, ok := phaseOrder[in.Phase]; !ok {
			phaseOrder[in.Phase] = len(phaseOrder)
		}
	}
	order := make([]int, len(r.Instances))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool {
		x, y := r.Instances[order[a]], r.Instances[order[b]]
		if x.AZ != y.AZ {
			return x.AZ < y.AZ
		}
		if phaseOrder[x.Phase] != phaseOrder[y.Phase] {
			return phaseOrder[x.Phase] < phaseOrder[y.Phase]
		}
		return x.Wave < y.Wave
	})
	azCount, waveCount := map[string]int{}, map[string]int{}
	for _, in := range r.Instances {
		azCount[in.AZ]++
		waveCount[in.AZ+"\x00"+waveLabel(in.Phase, in.Wave)]++
	}

	y := swimTop + 4
	lastAZ, lastWave := "\x00", "\x00"
	for _, i := range order {
		in := r.Instances[i]
		wl := waveLabel(in.Phase, in.Wave)
		if in.AZ != lastAZ {
			sw.Headers = append(sw.Headers, laneHeader{Y: y + azHeaderH - 7, AZ: true,
				Label: fmt.Sprintf("%s · %s", orNone(in.AZ), plural(azCount[in.AZ], "instance", "instances"))})
			y += azHeaderH
			lastAZ, lastWave = in.AZ, "\x00"
		}
		if wl != lastWave {
			sw.Headers = append(sw.Headers, laneHeader{Y: y + waveHeaderH - 5,
				Label: fmt.Sprintf("wave %s · %s", wl, plural(waveCount[in.AZ+"\x00"+wl], "instance", "instances"))})
			y += waveHeaderH
			lastWave = wl
		}
		l := lane{Y: y, ID: in.InstanceID, AZ: in.AZ, Wave: wl, Acted: in.Acted, Segments: segments(in.Transitions, s)}
		l.Status, l.Title = laneStatus(r, in)
		if in.ActedAt != nil && s.contains(*in.ActedAt) {
			l.ActionX, l.HasAction = s.x(*in.ActedAt), true
		}
		if in.RecoveredAt != nil && !in.NoDowntimeObserved && s.contains(*in.RecoveredAt) {
			l.RecoveredX, l.HasRecover = s.x(*in.RecoveredAt), true
		}
		sw.Lanes = append(sw.Lanes, l)
		y += sw.LaneStep
	}
	sw.PlotBottom = y
	sw.Height = math.Ceil(y + swimBottomPad)
	return sw
}

func orNone(s string) string {
	if s == "" {
		return "(no zone)"
	}
	return s
}

// laneStatus sums an instance up in a word and a tooltip.
func laneStatus(r *Report, in Instance) (string, string) {
	var b strings.Builder
	fmt.Fprintf(&b, "%s · %s · wave %s", in.InstanceID, orNone(in.AZ), waveLabel(in.Phase, in.Wave))
	status := "recovered"
	switch {
	case !in.Acted:
		status = "not-acted"
		b.WriteString("\nnot acted on")
	case in.Probes == 0 && len(in.Transitions) == 0:
		status = "not-probed"
		b.WriteString("\nno health probe watched it")
	case in.NoDowntimeObserved:
		status = "no-downtime"
		b.WriteString("\nnever seen down after the action: counted as recovered with no downtime")
	case !in.Recovered:
		status = "down"
		if instanceAction(r, in) == "stop" {
			status = "stopped"
			b.WriteString("\nleft stopped on purpose")
		} else {
			b.WriteString("\nNEVER RECOVERED")
		}
	default:
		fmt.Fprintf(&b, "\nrecovered in %s", durPtr(in.RecoverySeconds))
	}
	var times []string
	for _, m := range []struct {
		name string
		at   *time.Time
	}{{"acted", in.ActedAt}, {"down", in.DownAt}, {"recovered", in.RecoveredAt}} {
		if m.at != nil {
			times = append(times, m.name+" "+offset(r.StartedAt, *m.at))
		}
	}
	if len(times) > 0 {
		b.WriteString("\n" + strings.Join(times, " · "))
	}
	if in.DowntimeSeconds != nil {
		fmt.Fprintf(&b, "\nunhealthy for %s", dur(*in.DowntimeSeconds))
	}
	if in.Probes > 0 {
		fmt.Fprintf(&b, "\n%d of %d probes failed", in.FailedProbes, in.Probes)
	}
	if in.LastProbe != "" {
		b.WriteString("\nlast probe: " + in.LastProbe)
	}
	return status, b.String()
}

// serviceChart is availability per time bucket for one service.
type serviceChart struct {
	Name, URL, Availability, LongestOutage, Latency string
	Height                                          float64
	PlotTop, PlotBottom                             float64
	StripY                                          float64
	Bars                                            []bar
	Gaps                                            []bar
	Strip                                           []segment
	Ticks                                           []tick
	YTicks                                          []ytick
	Waves                                           []marker
	Target                                          *ytick
}

type bar struct {
	X, Y, W, H float64
	Class      string
	Title      string
}

type ytick struct {
	Y     float64
	Label string
}

const (
	svcTop    = 40.0
	svcPlotH  = 110.0
	svcStripH = 8.0
)

func buildServiceCharts(r *Report, s timeScale) []serviceChart {
	target := availabilityTarget(r)
	var out []serviceChart
	for _, svc := range r.Services {
		c := serviceChart{Name: svc.Name, URL: svc.URL, Availability: percent(svc.Availability),
			PlotTop: svcTop, PlotBottom: svcTop + svcPlotH, Ticks: s.ticks(), Waves: waveMarkers(r, s)}
		stagger(c.Waves, svcTop-6, 6.5, 11, labelWidth+plotWidth)
		c.LongestOutage = "no outage"
		if svc.LongestOutageSeconds > 0 {
			c.LongestOutage = "longest outage " + dur(svc.LongestOutageSeconds)
		}
		if svc.LatencyP50Ms > 0 || svc.LatencyP99Ms > 0 {
			c.Latency = fmt.Sprintf("latency p50 %s · p95 %s · p99 %s", ms(svc.LatencyP50Ms), ms(svc.LatencyP95Ms), ms(svc.LatencyP99Ms))
		}
		yOf := func(pct float64) float64 { return c.PlotBottom - pct/100*svcPlotH }
		for _, p := range []float64{0, 50, 100} {
			c.YTicks = append(c.YTicks, ytick{Y: yOf(p), Label: fmt.Sprintf("%.0f%%", p)})
		}
		if target != nil {
			c.Target = &ytick{Y: yOf(*target), Label: "objective " + percent(*target)}
		}
		for _, b := range svc.Timeline {
			end := b.Start.Add(secondsDuration(b.Seconds))
			if !end.After(s.start) || !b.Start.Before(s.end) {
				continue
			}
			x0, x1 := s.x(b.Start), s.x(end)
			w := math.Max(x1-x0-1, 0.5) // a hairline between buckets
			if b.Total == 0 {
				c.Gaps = append(c.Gaps, bar{X: x0, Y: c.PlotTop, W: w, H: svcPlotH, Class: "gap",
					Title: fmt.Sprintf("%s–%s: no probe", offset(r.StartedAt, b.Start), offset(r.StartedAt, end))})
				continue
			}
			pct := 100 * float64(b.OK) / float64(b.Total)
			class := "ok"
			switch {
			case pct < 90:
				class = "bad"
			case pct < 99.95:
				class = "warn"
			}
			top := yOf(pct)
			h := c.PlotBottom - top
			if h < 1.5 {
				top, h = c.PlotBottom-1.5, 1.5 // a bucket at 0% still shows
			}
			c.Bars = append(c.Bars, bar{X: x0, Y: top, W: w, H: h, Class: class,
				Title: fmt.Sprintf("%s–%s: %s (%d of %d probes ok)", offset(r.StartedAt, b.Start), offset(r.StartedAt, end),
					percent(pct), b.OK, b.Total)})
		}
		c.StripY = c.PlotBottom + 6
		c.Strip = segments(svc.Transitions, s)
		c.Height = c.StripY + svcStripH + 26
		out = append(out, c)
	}
	return out
}

// availabilityTarget reads the availability objective's target ("99.5%").
func availabilityTarget(r *Report) *float64 {
	for _, o := range r.Score.Objectives {
		if o.Name != "availability" {
			continue
		}
		if v, err := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(o.Target, "%")), 64); err == nil && v >= 0 && v <= 100 {
			return &v
		}
	}
	return nil
}

// histogram of recovery times.
type histogram struct {
	Width, Height       float64
	PlotLeft, PlotRight float64
	PlotTop, PlotBottom float64
	Bars                []bar
	XTicks              []tick
	YTicks              []ytick
	Markers             []marker
	Recovered, NoOutage int
	NeverRecovered      int
	Empty               bool
	BinLabel            string
	Notes               []string
}

const (
	histWidth  = 1160.0
	histLeft   = 60.0
	histRight  = histWidth - 24
	histTop    = 44.0
	histBottom = 224.0
	histHeight = 262.0
	histMaxBin = 24
)

var histSteps = []float64{1, 2, 5, 10, 15, 20, 30, 60, 120, 180, 300, 600, 900, 1800, 3600, 7200, 14400, 28800, 86400}

func buildHistogram(r *Report) histogram {
	h := histogram{Width: histWidth, Height: histHeight, PlotLeft: histLeft, PlotRight: histRight, PlotTop: histTop,
		PlotBottom: histBottom}
	var values []float64
	for _, in := range r.Instances {
		switch {
		case !in.Acted:
		case in.Recovered && in.RecoverySeconds != nil:
			values = append(values, *in.RecoverySeconds)
			if in.NoDowntimeObserved {
				h.NoOutage++
			}
		case instanceAction(r, in) != "stop" && in.Probes > 0:
			h.NeverRecovered++
		}
	}
	h.Recovered = len(values)
	if len(values) == 0 {
		h.Empty = true
		return h
	}
	type limit struct {
		name    string
		seconds float64
	}
	var limits []limit
	for _, o := range r.Score.Objectives {
		switch o.Name {
		case "recover_all_within", "recovery_p95", "recovery_max":
			if d, err := time.ParseDuration(o.Target); err == nil {
				limits = append(limits, limit{o.Name, d.Seconds()})
			}
		}
	}
	slowest := 0.0
	for _, v := range values {
		slowest = math.Max(slowest, v)
	}
	// An objective's limit widens the chart to show it, unless it is so far
	// beyond the slowest recovery that the bars would shrink to a sliver.
	top := slowest
	var shown []limit
	for _, l := range limits {
		if l.seconds <= math.Max(2*slowest, 10) {
			top = math.Max(top, l.seconds)
			shown = append(shown, l)
		} else {
			h.Notes = append(h.Notes, fmt.Sprintf("The %s objective, %s, is off the chart: well above the slowest recovery (%s).",
				l.name, shortDur(secondsDuration(l.seconds)), dur(slowest)))
		}
	}
	limits = shown
	step := histSteps[len(histSteps)-1]
	for _, st := range histSteps {
		if math.Floor(top/st)+1 <= histMaxBin {
			step = st
			break
		}
	}
	bins := int(math.Floor(top/step)) + 1
	counts := make([]int, bins)
	for _, v := range values {
		counts[min(int(math.Floor(v/step)), bins-1)]++
	}
	maxCount := 1
	for _, c := range counts {
		maxCount = max(maxCount, c)
	}
	yStep := niceCount(maxCount)
	yMax := int(math.Ceil(float64(maxCount)/float64(yStep))) * yStep
	binW := (histRight - histLeft) / float64(bins)
	xOf := func(sec float64) float64 { return histLeft + sec/step*binW }
	yOf := func(n int) float64 { return histBottom - float64(n)/float64(yMax)*(histBottom-histTop) }
	h.BinLabel = "bins of " + shortDur(secondsDuration(step))
	for i, c := range counts {
		lo, hi := float64(i)*step, float64(i+1)*step
		if c > 0 {
			h.Bars = append(h.Bars, bar{X: histLeft + float64(i)*binW + 1, Y: yOf(c), W: binW - 2, H: histBottom - yOf(c), Class: "hist",
				Title: fmt.Sprintf("%s to %s: %s", shortDur(secondsDuration(lo)), shortDur(secondsDuration(hi)),
					plural(c, "instance", "instances"))})
		}
	}
	labelEvery := int(math.Ceil(float64(bins) / 12))
	for i := 0; i <= bins; i += labelEvery {
		h.XTicks = append(h.XTicks, tick{X: histLeft + float64(i)*binW, Label: shortDur(secondsDuration(float64(i) * step))})
	}
	for n := 0; n <= yMax; n += yStep {
		h.YTicks = append(h.YTicks, ytick{Y: yOf(n), Label: strconv.Itoa(n)})
	}
	if rec := r.Recovery; rec.Count > 0 {
		h.Markers = append(h.Markers,
			marker{X: xOf(rec.P50Seconds), Label: "p50 " + dur(rec.P50Seconds), Title: "median recovery time"},
			marker{X: xOf(rec.P95Seconds), Label: "p95 " + dur(rec.P95Seconds), Title: "95th percentile of recovery times"})
	}
	for _, l := range limits {
		h.Markers = append(h.Markers, marker{X: xOf(l.seconds), Label: l.name + " " + shortDur(secondsDuration(l.seconds)),
			Title: "objective " + l.name, Class: "limit"})
	}
	sort.SliceStable(h.Markers, func(i, j int) bool { return h.Markers[i].X < h.Markers[j].X })
	stagger(h.Markers, histTop-8, 6.5, 12, histRight)
	return h
}

// niceCount is a step for a count axis with at most about 5 ticks.
func niceCount(n int) int {
	for _, s := range []int{1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000} {
		if n/s <= 5 {
			return s
		}
	}
	return 10000
}

// f formats a coordinate for SVG: one decimal, no trailing ".0".
func f(v float64) string {
	return strings.TrimSuffix(strconv.FormatFloat(math.Round(v*10)/10, 'f', 1, 64), ".0")
}
