package replay

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

var (
	// zonePattern matches zone names (us-east-1a, us-west-2-lax-1a); the
	// first group is the region. The same rule as the scenario validator.
	zonePattern     = regexp.MustCompile(`^([a-z]{2}(?:-[a-z]+)+-\d+)(?:-[a-z]+-\d+)?[a-z]$`)
	regionPattern   = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-\d+$`)
	instancePattern = regexp.MustCompile(`^i-([0-9a-f]{8}|[0-9a-f]{17})$`)
)

// RegionOf returns the region of a zone name ("" when it is not one).
func RegionOf(zone string) string {
	if m := zonePattern.FindStringSubmatch(zone); m != nil {
		return m[1]
	}
	return ""
}

// csvKinds maps the event column's words to kinds.
var csvKinds = map[string]Kind{
	"reboot": KindReboot, "rebooted": KindReboot,
	"stop": KindStop, "stopped": KindStop, "stopping": KindStop,
	"force-stop": KindForceStop, "power-loss": KindForceStop,
	"start": KindStart, "started": KindStart, "running": KindStart,
	"terminate": KindTerminate, "terminated": KindTerminate,
	"impaired": KindImpaired, "unreachable": KindImpaired,
	"recovered": KindRecovered, "ok": KindRecovered,
}

// maxRowCount bounds a zone row's count, and maxUnits all rows' together:
// every instance a row counts becomes a disruption in memory.
const (
	maxRowCount = 10000
	maxUnits    = 100000
)

// anyZone is the target of a CSV row about instances of unknown zones.
var anyZone = []string{"*", "any"}

// csvColumns are the columns replay reads; others (a note, ...) are ignored.
type csvColumns struct{ time, target, event, count, percent, az, region int }

// parseCSV reads a timeline: a header naming at least time, target and
// event, then one row per event. target is an instance id, a zone (with a
// count or percent column saying how many of its instances) or "*" for
// instances of unknown zones. time is RFC 3339, or an offset ("+5m") from
// the start of the incident, the same kind on every row.
func parseCSV(name string, data []byte) (*Incident, error) {
	inc := newIncident(name)
	inc.sawFormat(FormatCSV)
	r := csv.NewReader(bytes.NewReader(data))
	r.Comment = '#'
	r.FieldsPerRecord = -1
	r.TrimLeadingSpace = true
	header, err := r.Read()
	if err != nil {
		return nil, fmt.Errorf("%s: header: %w", name, err)
	}
	line, _ := r.FieldPos(0)
	cols, err := csvHeader(header)
	if err != nil {
		return nil, fmt.Errorf("%s:%d: %w", name, line, err)
	}
	var errs Errors
	relative := -1 // unknown until the first row
	units := 0
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				errs.add("%s:%d: %v", name, pe.Line, pe.Err)
				if pe.Err == csv.ErrQuote || pe.Err == csv.ErrBareQuote {
					break // the rest of the file cannot be split reliably
				}
				continue
			}
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		line, _ := r.FieldPos(0)
		inc.Records++
		src := fmt.Sprintf("%s:%d", name, line)
		ev, rel, err := csvRow(rec, cols, src)
		if err != nil {
			errs.add("%s: %v", src, err)
			continue
		}
		switch {
		case relative == -1:
			relative = map[bool]int{false: 0, true: 1}[rel]
		case (relative == 1) != rel:
			errs.add("%s: time %s: every row must give an instant (RFC 3339) or every row an offset (+5m), not a mix", src, quote(field(rec, cols.time)))
			continue
		}
		if units += max(ev.Count, 1); units > maxUnits {
			errs.add("%s: the rows count more than %d instances in all", src, maxUnits)
			break
		}
		if ev.AZ != "" && !ev.Aggregate() {
			inc.AZHints[ev.Instance] = ev.AZ
		}
		inc.Events = append(inc.Events, ev)
		inc.Used++
	}
	if err := errs.err(); err != nil {
		return nil, err
	}
	if inc.Records == 0 {
		return nil, fmt.Errorf("%s: no rows after the header", name)
	}
	inc.Relative = relative == 1
	return inc, nil
}

func csvHeader(header []string) (csvColumns, error) {
	cols := csvColumns{-1, -1, -1, -1, -1, -1, -1}
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))
		slot := map[string]*int{
			"time": &cols.time, "timestamp": &cols.time, "target": &cols.target, "instance": &cols.target,
			"event": &cols.event, "count": &cols.count, "percent": &cols.percent, "az": &cols.az, "region": &cols.region,
		}[h]
		if slot == nil {
			continue
		}
		if *slot >= 0 {
			return cols, fmt.Errorf("header: column %q appears twice", h)
		}
		*slot = i
	}
	var missing []string
	for name, at := range map[string]int{"time": cols.time, "target": cols.target, "event": cols.event} {
		if at < 0 {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		slices.Sort(missing)
		return cols, fmt.Errorf("header %q: missing column %s (want time,target,event[,count][,percent][,az][,region])",
			strings.Join(header, ","), strings.Join(missing, ", "))
	}
	return cols, nil
}

func field(rec []string, i int) string {
	if i < 0 || i >= len(rec) {
		return ""
	}
	return strings.TrimSpace(rec[i])
}

// csvRow reads one row; rel reports whether its time was an offset.
func csvRow(rec []string, cols csvColumns, src string) (ev Event, rel bool, err error) {
	ev.Source = src
	ev.Time, rel, err = csvTime(field(rec, cols.time))
	if err != nil {
		return ev, rel, err
	}
	word := strings.ToLower(field(rec, cols.event))
	kind, ok := csvKinds[word]
	if !ok {
		return ev, rel, fmt.Errorf("event %s: want reboot, stop, force-stop, start, terminate, impaired or recovered", quote(word))
	}
	ev.Kind, ev.Call = kind, "csv "+word
	ev.Region = field(rec, cols.region)
	if ev.Region != "" && !regionPattern.MatchString(ev.Region) {
		return ev, rel, fmt.Errorf("region %s: want a region like us-east-1", quote(ev.Region))
	}
	target := field(rec, cols.target)
	count, percent := field(rec, cols.count), field(rec, cols.percent)
	az := field(rec, cols.az)
	if az != "" && RegionOf(az) == "" {
		return ev, rel, fmt.Errorf("az %s: want a zone name like us-east-1a", quote(az))
	}
	switch {
	case instancePattern.MatchString(target):
		ev.Instance, ev.AZ = target, az
		if (count != "" && count != "1") || percent != "" {
			return ev, rel, fmt.Errorf("target %s is one instance: leave count and percent empty", target)
		}
		return ev, rel, nil
	case RegionOf(target) != "":
		if az != "" && az != target {
			return ev, rel, fmt.Errorf("az %s contradicts target %s", quote(az), quote(target))
		}
		ev.AZ = target
	case slices.Contains(anyZone, target):
		ev.AZ = az
	default:
		return ev, rel, fmt.Errorf("target %s: want an instance id (i-0123456789abcdef0), a zone (us-east-1a) or * for instances of unknown zones", quote(target))
	}
	switch {
	case count != "" && percent != "":
		return ev, rel, fmt.Errorf("give count or percent, not both")
	case count != "":
		n, err := strconv.Atoi(count)
		if err != nil || n < 1 || n > maxRowCount {
			return ev, rel, fmt.Errorf("count %s: want a whole number of instances from 1 to %d", quote(count), maxRowCount)
		}
		ev.Count = n
	case percent != "":
		p, err := strconv.ParseFloat(strings.TrimSuffix(percent, "%"), 64)
		if err != nil || p <= 0 || p > 100 {
			return ev, rel, fmt.Errorf("percent %s: want more than 0 and at most 100", quote(percent))
		}
		ev.Percent = p
	default:
		return ev, rel, fmt.Errorf("target %s is a zone: say how many of its instances in a count or percent column", target)
	}
	return ev, rel, nil
}

// maxQuoted bounds how much of a value an error message quotes: a
// malformed file can hold fields of megabytes.
const maxQuoted = 80

// quote quotes s for an error message, cut to maxQuoted bytes.
func quote(s string) string {
	if len(s) <= maxQuoted {
		return strconv.Quote(s)
	}
	cut := maxQuoted
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return fmt.Sprintf("%s... (%d bytes)", strconv.Quote(s[:cut]), len(s))
}

// csvTime reads an instant (RFC 3339, or with a space for the T) or an
// offset from the start of the incident ("+5m", "90s", "T+5m", "0").
func csvTime(s string) (time.Time, bool, error) {
	if s == "" {
		return time.Time{}, false, fmt.Errorf("time is empty")
	}
	for _, layout := range []string{time.RFC3339, "2006-01-02 15:04:05Z07:00"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), false, nil
		}
	}
	off := strings.TrimPrefix(strings.TrimPrefix(s, "T"), "+")
	if d, err := time.ParseDuration(off); err == nil && d >= 0 {
		return time.Unix(0, 0).UTC().Add(d), true, nil
	}
	if off == "0" {
		return time.Unix(0, 0).UTC(), true, nil
	}
	if _, err := time.Parse("2006-01-02T15:04:05", strings.Replace(s, " ", "T", 1)); err == nil {
		return time.Time{}, false, fmt.Errorf("time %s has no zone: add Z (UTC) or an offset like +01:00", quote(s))
	}
	return time.Time{}, false, fmt.Errorf("time %s: want RFC 3339 (2024-03-12T14:02:10Z) or an offset from the start (+5m, 90s)", quote(s))
}
