package replay

import (
	"cmp"
	"errors"
	"fmt"
	"maps"
	"math"
	"regexp"
	"slices"
	"strings"
	"time"

	"gameday/internal/scenario"
)

// Blast radius scales.
const (
	ScaleCount   = "count"
	ScalePercent = "percent"
)

// Options say how an incident maps onto the target fleet.
type Options struct {
	// Name is the scenario's name; Source names the incident file in the
	// description.
	Name, Source string
	// Region is the target region; "" takes it from the target zones, else
	// from the records.
	Region string
	// TargetAZs are the target fleet's zones; empty keeps the original names.
	TargetAZs []string
	// Tags select the target fleet (every phase's target.tags).
	Tags map[string]string
	// GroupBy splits phases by the original instances' value of this tag
	// (from Inventory) and targets the same value.
	GroupBy string
	// AZOf gives instances' zones (--az-of); it wins over every other source.
	AZOf      map[string]string
	Inventory Inventory
	// Gap: events of one zone and action closer than this share a phase.
	Gap time.Duration
	// MaxSpan bounds how much of the incident one phase covers (0: no bound).
	MaxSpan time.Duration
	// TimeScale multiplies every observed time (0.1 replays 10x faster).
	TimeScale float64
	// Scale is ScaleCount (blast_radius.count: as many instances as the
	// incident hit) or ScalePercent (the same share of each zone).
	Scale string
	// FleetSize gives the original fleet's size per zone, "" for the whole
	// fleet (an even split over the incident's zones), for ScalePercent.
	FleetSize map[string]int
	// KeepStopped replays a stop never followed by a start as action stop;
	// otherwise as a stop-start held stopped for OpenStopFor.
	KeepStopped bool
	OpenStopFor time.Duration
}

// DefaultOptions are the CLI's defaults.
func DefaultOptions() Options {
	return Options{
		Tags: map[string]string{"gameday": "opt-in"}, Gap: time.Minute, MaxSpan: 5 * time.Minute,
		TimeScale: 1, Scale: ScaleCount, OpenStopFor: 30 * time.Minute,
	}
}

// Phase is one phase of the replayed scenario: the disruptions of one
// original zone (and tag group), one action, close together in time.
type Phase struct {
	Name string
	// Offset is from the first disruption of the incident, as observed;
	// After is Offset scaled, the phase's `after`.
	Offset, After time.Duration
	// Span is how long the phase's disruptions took in the incident.
	Span   time.Duration
	Action string
	// StoppedFor is the median observed time stopped, scaled, or the
	// assumed OpenStopFor (Assumed says why).
	StoppedFor time.Duration
	Assumed    string
	// OrigAZ is the original zone ("" unknown); TargetAZs what the phase
	// targets (empty: any zone of Region).
	OrigAZ    string
	TargetAZs []string
	Region    string
	Group     string
	Tags      map[string]string
	// Count is how many distinct original instances (or zone-row units)
	// the phase covers; Repeats how many more events hit one of them again.
	Count, Repeats int
	// Percent is the blast radius as a share, when the phase has one.
	Percent float64
	// Shares is true for a phase of CSV percent rows: Percent is their sum.
	Shares bool
	// Calls counts the distinct records (API calls, rows) behind it.
	Calls       int
	First, Last time.Time
	Kinds       map[Kind]int

	units []string
}

// Result is a replayed incident: the phases, the scenario and what the
// summary reports.
type Result struct {
	Incident    *Incident
	Disruptions []Disruption
	Phases      []Phase
	// AZMap maps each original zone to its target zone.
	AZMap map[string]string
	// Start and End bound the events used; Unknown counts disruptions of
	// instances whose zone no source gave.
	Start, End time.Time
	Unknown    int
	Dropped    map[Skip]int
	Warnings   []string
	YAML       []byte
	Options    Options
}

var namePattern = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)

// ErrNothingToReplay means the file held no disruption to replay.
var ErrNothingToReplay = errors.New("replay: nothing to replay")

// Build reconstructs the incident and maps it onto the target fleet.
func Build(inc *Incident, opts Options) (*Result, error) {
	if err := checkOptions(opts); err != nil {
		return nil, err
	}
	ds, dropped := Reconstruct(inc.Events)
	res := &Result{Incident: inc, Dropped: dropped, Options: opts, AZMap: map[string]string{}}
	for s, n := range dropped {
		if s.Category == "starts of instances the file never stopped" {
			res.warn("%s the file never stopped (stopped before it begins, or newly launched): not replayed", plural(n, "start event names an instance", "start events name instances"))
		}
	}
	if len(ds) == 0 {
		return res, fmt.Errorf("%w: %s has no reboot, stop, terminate or impairment (%d records, %d events)",
			ErrNothingToReplay, inc.Source, inc.Records, len(inc.Events))
	}
	res.Start, res.End = inc.Events[0].Time, inc.Events[len(inc.Events)-1].Time
	if span := res.End.Sub(res.Start); span > 24*time.Hour {
		res.warn("the events span %s: if the file holds more than one incident, replay one file per incident", span)
	}
	groups := res.locate(ds)
	if err := res.mapZones(ds); err != nil {
		return res, err
	}
	res.Disruptions = ds
	if err := res.phases(groups); err != nil {
		return res, err
	}
	y, err := res.render()
	if err != nil {
		return res, err
	}
	res.YAML = y
	return res, nil
}

func checkOptions(o Options) error {
	switch {
	case o.Name != "" && !namePattern.MatchString(o.Name):
		return fmt.Errorf("replay: name %q: lowercase letters, digits and -, at most 63 characters", o.Name)
	case o.Region != "" && !regionPattern.MatchString(o.Region):
		return fmt.Errorf("replay: region %q: want a region like us-east-1", o.Region)
	case o.TimeScale <= 0 || math.IsInf(o.TimeScale, 0) || math.IsNaN(o.TimeScale):
		return fmt.Errorf("replay: time scale %v: want more than 0 (0.1 replays ten times faster)", o.TimeScale)
	case o.Gap <= 0:
		return fmt.Errorf("replay: bucket %s: want more than 0", o.Gap)
	case o.MaxSpan < 0:
		return fmt.Errorf("replay: max phase span %s: want 0 (no bound) or more", o.MaxSpan)
	case o.Scale != ScaleCount && o.Scale != ScalePercent:
		return fmt.Errorf("replay: scale %q: want count or percent", o.Scale)
	case o.OpenStopFor < 0:
		return fmt.Errorf("replay: open stop duration %s: want 0 or more", o.OpenStopFor)
	}
	for _, z := range o.TargetAZs {
		r := RegionOf(z)
		if r == "" {
			return fmt.Errorf("replay: target zone %q: want a zone name like us-east-1a", z)
		}
		if o.Region != "" && r != o.Region {
			return fmt.Errorf("replay: target zone %s is not in region %s", z, o.Region)
		}
		if first := RegionOf(o.TargetAZs[0]); r != first {
			return fmt.Errorf("replay: target zones %s and %s are in different regions: replay onto one region at a time", o.TargetAZs[0], z)
		}
	}
	if dup := firstDuplicate(o.TargetAZs); dup != "" {
		return fmt.Errorf("replay: target zone %s given twice", dup)
	}
	for id, z := range o.AZOf {
		if RegionOf(z) == "" {
			return fmt.Errorf("replay: zone of %s: %q is not a zone name like us-east-1a", id, z)
		}
	}
	for k := range o.Tags {
		if k == "" {
			return fmt.Errorf("replay: a target tag has an empty key")
		}
	}
	if o.GroupBy != "" && o.Inventory == nil {
		return fmt.Errorf("replay: grouping by tag %q needs the original instances' tags (--instances)", o.GroupBy)
	}
	return nil
}

func firstDuplicate(list []string) string {
	seen := map[string]bool{}
	for _, s := range list {
		if seen[s] {
			return s
		}
		seen[s] = true
	}
	return ""
}

func (r *Result) warn(format string, args ...any) {
	r.Warnings = append(r.Warnings, fmt.Sprintf(format, args...))
}

// locate gives each disruption its zone: --az-of first, then the record,
// then the inventory (--instances), then what other records said. It
// returns each disruption's tag group.
func (r *Result) locate(ds []Disruption) []string {
	o := r.Options
	groups := make([]string, len(ds))
	unknown := map[string]bool{}
	ungrouped := 0
	for i := range ds {
		d := &ds[i]
		if d.Instance != "" {
			inv, listed := o.Inventory[d.Instance]
			for _, az := range []string{o.AZOf[d.Instance], d.AZ, inv.AZ, r.Incident.AZHints[d.Instance]} {
				if az != "" {
					d.AZ = az
					break
				}
			}
			if o.GroupBy != "" {
				groups[i] = inv.Tags[o.GroupBy]
				if !listed || groups[i] == "" {
					ungrouped++
				}
			}
		}
		if d.AZ == "" {
			r.Unknown++
			unknown[d.Unit] = true
		}
	}
	if len(unknown) > 0 {
		where := "any zone of the target region"
		if len(o.TargetAZs) > 0 {
			where = strings.Join(o.TargetAZs, ", ")
		}
		r.warn("the zone of %s is unknown (CloudTrail and EventBridge records do not say it; give --instances or --az-of): "+
			"their phases target %s, so the plan picks their zones in proportion to the target fleet", plural(len(unknown), "instance", "instances"), where)
	}
	if ungrouped > 0 {
		r.warn("%s without a %s tag in --instances: their phases target only %s",
			plural(ungrouped, "disruption hit an instance", "disruptions hit instances"), o.GroupBy, tagText(o.Tags))
	}
	return groups
}

// mapZones maps every original zone onto a target zone: the same name
// when the target has it, else the target's unused zones in order (both
// sorted by name), then round-robin.
func (r *Result) mapZones(ds []Disruption) error {
	var orig []string
	for _, d := range ds {
		if d.AZ != "" && !slices.Contains(orig, d.AZ) {
			orig = append(orig, d.AZ)
		}
	}
	slices.Sort(orig)
	target := r.Options.TargetAZs
	if len(target) == 0 {
		for _, z := range orig {
			if reg := r.Options.Region; reg != "" && RegionOf(z) != reg {
				return fmt.Errorf("replay: the incident's zone %s is not in --region %s: name the target's zones with --target-azs", z, reg)
			}
			r.AZMap[z] = z
		}
		return nil
	}
	var unused []string
	for _, z := range target {
		if !slices.Contains(orig, z) {
			unused = append(unused, z)
		}
	}
	var rest []string
	for _, z := range orig {
		if slices.Contains(target, z) {
			r.AZMap[z] = z
		} else {
			rest = append(rest, z)
		}
	}
	for i, z := range rest {
		switch {
		case i < len(unused):
			r.AZMap[z] = unused[i]
		default:
			r.AZMap[z] = target[(i-len(unused))%len(target)]
		}
	}
	shared := map[string][]string{}
	for _, z := range orig {
		shared[r.AZMap[z]] = append(shared[r.AZMap[z]], z)
	}
	for _, t := range slices.Sorted(maps.Keys(shared)) {
		if len(shared[t]) > 1 {
			r.warn("zones %s all map onto %s: the target has fewer zones than the incident", strings.Join(shared[t], ", "), t)
		}
	}
	return nil
}

// streamKey groups disruptions that can share a phase.
type streamKey struct {
	az, group, action string
	percent           bool
	assumed           string
}

// phases cuts each stream of disruptions into phases by time.
func (r *Result) phases(groups []string) error {
	o := r.Options
	first := r.Disruptions[0].Time
	for _, d := range r.Disruptions {
		if d.Time.Before(first) {
			first = d.Time
		}
	}
	streams := map[streamKey][]int{}
	var keys []streamKey
	for i, d := range r.Disruptions {
		action, assumed := r.action(d)
		k := streamKey{d.AZ, groups[i], action, d.Percent > 0, assumed}
		if _, ok := streams[k]; !ok {
			keys = append(keys, k)
		}
		streams[k] = append(streams[k], i)
	}
	var phases []Phase
	for _, k := range keys {
		var cur []int
		flush := func() {
			if len(cur) > 0 {
				phases = append(phases, r.phase(k, cur, first))
				cur = nil
			}
		}
		for _, i := range streams[k] {
			d := r.Disruptions[i]
			if len(cur) > 0 {
				prev, start := r.Disruptions[cur[len(cur)-1]].Time, r.Disruptions[cur[0]].Time
				if d.Time.Sub(prev) > o.Gap || (o.MaxSpan > 0 && d.Time.Sub(start) > o.MaxSpan) {
					flush()
				}
			}
			cur = append(cur, i)
		}
		flush()
	}
	slices.SortStableFunc(phases, func(a, b Phase) int {
		return cmp.Or(cmp.Compare(a.Offset, b.Offset), cmp.Compare(zoneLabel(a), zoneLabel(b)),
			cmp.Compare(a.Group, b.Group), cmp.Compare(a.Action, b.Action))
	})
	r.warnRepeats(phases)
	width := max(2, len(fmt.Sprint(len(phases))))
	for i := range phases {
		p := &phases[i]
		p.Name = phaseName(fmt.Sprintf("p%0*d", width, i+1), zoneLabel(*p), p.Group, p.Action)
		if err := r.blastRadius(p); err != nil {
			return err
		}
	}
	r.Phases = phases
	return nil
}

// warnRepeats says when original instances were hit in several phases:
// the plan never selects an instance twice, so each phase takes others.
func (r *Result) warnRepeats(phases []Phase) {
	seen := map[string]int{}
	for i := range phases {
		for _, u := range phases[i].units {
			seen[u]++
		}
	}
	n := 0
	for _, c := range seen {
		if c > 1 {
			n++
		}
	}
	if n > 0 {
		r.warn("%s in more than one phase: gameday never selects an instance twice, so the replay acts on other instances each time and needs that many more",
			plural(n, "original instance appears", "original instances appear"))
	}
}

// action says how a disruption is replayed, and why stopped_for is
// assumed rather than observed ("" when observed or not a stop).
func (r *Result) action(d Disruption) (action, assumed string) {
	keep := r.Options.KeepStopped
	switch {
	case d.Kind == KindReboot:
		return scenario.ActionReboot, ""
	case d.Terminated && keep:
		return scenario.ActionStop, "terminated"
	case d.Terminated:
		return scenario.ActionStopStart, "terminated"
	}
	force := d.Kind == KindForceStop || d.Kind == KindImpaired
	if _, ok := d.Observed(); !ok {
		switch {
		case keep:
			return scenario.ActionStop, "never started again"
		case force:
			return scenario.ActionForceStopStart, "never started again"
		default:
			return scenario.ActionStopStart, "never started again"
		}
	}
	if force {
		return scenario.ActionForceStopStart, ""
	}
	return scenario.ActionStopStart, ""
}

func (r *Result) phase(k streamKey, members []int, first time.Time) Phase {
	o := r.Options
	p := Phase{
		Action: k.action, Assumed: k.assumed, OrigAZ: k.az, Group: k.group, Shares: k.percent, Kinds: map[Kind]int{},
		First: r.Disruptions[members[0]].Time, Last: r.Disruptions[members[len(members)-1]].Time,
	}
	p.Offset = p.First.Sub(first)
	p.After = scale(p.Offset, o.TimeScale)
	p.Span = p.Last.Sub(p.First)
	units, calls := map[string]bool{}, map[string]bool{}
	var gaps []time.Duration
	regions := map[string]int{}
	for _, i := range members {
		d := r.Disruptions[i]
		p.Kinds[d.Kind]++
		calls[d.Source] = true
		if d.Region != "" {
			regions[d.Region]++
		}
		if units[d.Unit] {
			p.Repeats++
			continue
		}
		units[d.Unit] = true
		p.units = append(p.units, d.Unit)
		p.Count++
		p.Percent += d.Percent
		if gap, ok := d.Observed(); ok {
			gaps = append(gaps, gap)
		}
	}
	p.Calls = len(calls)
	switch {
	case k.assumed != "" && k.action != scenario.ActionStop:
		p.StoppedFor = o.OpenStopFor
	case len(gaps) > 0:
		p.StoppedFor = scale(median(gaps), o.TimeScale)
	}
	p.Tags = maps.Clone(o.Tags)
	if p.Tags == nil {
		p.Tags = map[string]string{}
	}
	if k.group != "" {
		p.Tags[o.GroupBy] = k.group
	}
	if k.az != "" {
		target := r.AZMap[k.az]
		p.TargetAZs, p.Region = []string{target}, RegionOf(target)
	} else {
		p.TargetAZs = slices.Clone(o.TargetAZs)
		p.Region = r.unknownRegion(regions)
	}
	return p
}

// unknownRegion is the region of a phase whose zone is unknown: --region,
// the target zones', or the records'.
func (r *Result) unknownRegion(records map[string]int) string {
	o := r.Options
	switch {
	case o.Region != "":
		return o.Region
	case len(o.TargetAZs) > 0:
		return RegionOf(o.TargetAZs[0])
	}
	for _, z := range slices.Sorted(maps.Values(r.AZMap)) {
		return RegionOf(z)
	}
	best, n := "", 0
	for _, reg := range slices.Sorted(maps.Keys(records)) {
		if records[reg] > n {
			best, n = reg, records[reg]
		}
	}
	return best
}

// blastRadius fills the phase's percent for ScalePercent: its instances as
// a share of the original zone (or tag group in the zone).
func (r *Result) blastRadius(p *Phase) error {
	o := r.Options
	if p.Region == "" {
		return fmt.Errorf("replay: phase %s: cannot tell the target region (no zone and no region in the records): give --region", p.Name)
	}
	if !regionPattern.MatchString(p.Region) {
		return fmt.Errorf("replay: phase %s: region %q from the records is not a region name: give --region", p.Name, p.Region)
	}
	if p.Percent > 0 {
		if p.Percent > 100 {
			r.warn("phase %s: the zone rows add up to %.4g%% of the zone; replayed as 100%%", p.Name, p.Percent)
			p.Percent = 100
		}
		return nil
	}
	if o.Scale == ScaleCount {
		return nil
	}
	size, ok := r.originalSize(p.OrigAZ, p.Group)
	if !ok {
		where := "the whole fleet"
		if p.OrigAZ != "" {
			where = p.OrigAZ
		}
		return fmt.Errorf("replay: --scale percent needs the size of the original fleet in %s: give --original-fleet-size %s or --instances",
			where, strings.TrimPrefix(p.OrigAZ+"=N", "="))
	}
	pct := 100 * float64(p.Count) / size
	if pct > 100 {
		r.warn("phase %s: %d instances but the original fleet there is %.4g; replayed as 100%%", p.Name, p.Count, size)
		pct = 100
	}
	p.Percent = max(0.01, math.Round(pct*100)/100)
	return nil
}

// originalSize is how many instances the original fleet had in a zone
// ("" for the whole fleet), optionally of one tag group.
func (r *Result) originalSize(az, group string) (float64, bool) {
	o := r.Options
	if n, ok := o.FleetSize[az]; ok && n > 0 && group == "" {
		return float64(n), true
	}
	if o.Inventory != nil {
		if n := o.Inventory.ZoneSizes(o.GroupBy)[ZoneGroup{az, group}]; n > 0 {
			return float64(n), true
		}
	}
	if n, ok := o.FleetSize[""]; ok && n > 0 && group == "" {
		if az == "" {
			return float64(n), true
		}
		zones := len(r.AZMap)
		return float64(n) / float64(max(zones, 1)), true
	}
	return 0, false
}

// plural picks the singular or plural phrase for n, with n in front.
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// scale multiplies d by f, saturating: a file whose events lie centuries
// apart gives durations near the largest, which a conversion from float64
// would turn negative.
func scale(d time.Duration, f float64) time.Duration {
	x := math.Round(float64(d) * f)
	switch {
	case x >= math.MaxInt64:
		return math.MaxInt64
	case x <= math.MinInt64:
		return math.MinInt64
	}
	return time.Duration(x).Round(time.Millisecond)
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

func zoneLabel(p Phase) string {
	if len(p.TargetAZs) == 1 {
		return p.TargetAZs[0]
	}
	return "any-az"
}

var nonName = regexp.MustCompile(`[^a-z0-9]+`)

// phaseName builds a valid scenario name: p01-us-east-1a-web-reboot.
func phaseName(prefix, zone, group, action string) string {
	parts := []string{prefix, zone}
	if g := strings.Trim(nonName.ReplaceAllString(strings.ToLower(group), "-"), "-"); g != "" {
		parts = append(parts, g)
	}
	name := strings.Join(append(parts, action), "-")
	if len(name) > 63 {
		name = strings.TrimRight(name[:63], "-")
	}
	return name
}

// DefaultName derives a scenario name from the incident file's name.
func DefaultName(path string) string {
	base := path
	if i := strings.LastIndexAny(base, `/\`); i >= 0 {
		base = base[i+1:]
	}
	for _, ext := range []string{".gz", ".json", ".jsonl", ".csv", ".txt"} {
		base = strings.TrimSuffix(base, ext)
	}
	s := strings.Trim(nonName.ReplaceAllString(strings.ToLower(base), "-"), "-")
	name := "replay"
	if s != "" {
		name += "-" + s
	}
	if len(name) > 63 {
		name = strings.TrimRight(name[:63], "-")
	}
	return name
}
