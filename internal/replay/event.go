// Package replay turns a recorded incident into a gameday scenario: a
// CloudTrail file (as delivered to S3, or the output of `aws cloudtrail
// lookup-events`), EventBridge EC2 state-change events, or a CSV timeline.
//
// It works in three steps, each pure and tested on its own:
//
//	Parse        file -> Incident: one Event per instance and API call or state change
//	Reconstruct  Events -> Disruptions: what happened to each instance (a reboot,
//	             a stop and the start that ended it, a termination, ...)
//	Build        Disruptions -> phases mapped onto the target fleet -> scenario YAML
//
// docs/replay.md states the rules; the tests hold them.
package replay

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
)

// Kind is what an event did to an instance.
type Kind string

// Event kinds.
const (
	KindReboot    Kind = "reboot"
	KindStop      Kind = "stop"
	KindForceStop Kind = "force-stop"
	KindStart     Kind = "start"
	KindTerminate Kind = "terminate"
	// KindImpaired is an instance that stopped answering (status checks
	// failed, host lost): replayed as a forced stop.
	KindImpaired Kind = "impaired"
	// KindRecovered ends an impairment, as a start ends a stop.
	KindRecovered Kind = "recovered"
)

// ends reports whether the kind brings a stopped or impaired instance back.
func (k Kind) ends() bool { return k == KindStart || k == KindRecovered }

// Format names an input format.
type Format string

// Input formats. FormatAuto detects the format from the content.
const (
	FormatAuto         Format = "auto"
	FormatCloudTrail   Format = "cloudtrail"
	FormatLookupEvents Format = "lookup-events"
	FormatEventBridge  Format = "eventbridge"
	FormatCSV          Format = "csv"
)

// Formats lists the formats a user may name.
var Formats = []Format{FormatAuto, FormatCloudTrail, FormatLookupEvents, FormatEventBridge, FormatCSV}

// Event is one thing that happened to one instance, or, for a CSV row that
// names a zone, to Count instances (or Percent of the zone) of that zone.
type Event struct {
	Time time.Time
	Kind Kind
	// Instance is the instance id; "" for an aggregate row.
	Instance string
	// AZ is the zone when the record says it ("" when unknown).
	AZ     string
	Region string
	// Count (aggregate rows) is how many instances of AZ the row covers.
	Count int
	// Percent (aggregate rows) is the share of AZ's fleet the row covers.
	Percent float64
	// Source locates the record: "file:12" or "file: record 3".
	Source string
	// Call names the API call or state change, for people:
	// "StopInstances", "state stopping", "csv stop".
	Call string
}

// Aggregate reports whether the event covers a number or share of a zone's
// instances rather than one instance.
func (e Event) Aggregate() bool { return e.Instance == "" }

// Skip is why a record (or an event) was not used.
type Skip struct {
	// Category groups skips in the summary: "read-only", "failed", ...
	Category string
	// Detail names the call or state and, for failures, the error code.
	Detail string
}

// Incident is what one file held.
type Incident struct {
	Source string
	// Formats lists the record formats found, in order of first sight.
	Formats []Format
	// Records counts the records (JSON objects or CSV rows) read; Used
	// those that gave at least one event.
	Records, Used int
	Skipped       map[Skip]int
	Events        []Event
	// AZHints are zones the records themselves gave for instances
	// (RunInstances responses, a CSV az column).
	AZHints map[string]string
	// Relative is true when the CSV gave offsets ("+5m") rather than
	// instants; times then count from the Unix epoch.
	Relative bool
	Warnings []string
}

func newIncident(source string) *Incident {
	return &Incident{Source: source, Skipped: map[Skip]int{}, AZHints: map[string]string{}}
}

func (inc *Incident) skip(category, detail string) { inc.Skipped[Skip{category, detail}]++ }

func (inc *Incident) sawFormat(f Format) {
	if !slices.Contains(inc.Formats, f) {
		inc.Formats = append(inc.Formats, f)
	}
}

// FormatNames lists the formats found, for people.
func (inc *Incident) FormatNames() string {
	var names []string
	for _, f := range inc.Formats {
		names = append(names, string(f))
	}
	if len(names) == 0 {
		return "no recognised records"
	}
	return strings.Join(names, " + ")
}

// SkippedTotal is the number of records skipped.
func (inc *Incident) SkippedTotal() int {
	n := 0
	for _, c := range inc.Skipped {
		n += c
	}
	return n
}

// sortEvents orders events by time, keeping file order for equal times.
func sortEvents(events []Event) {
	slices.SortStableFunc(events, func(a, b Event) int { return a.Time.Compare(b.Time) })
}

// Errors is every problem found in one input, each with its location.
type Errors []error

func (e Errors) Error() string {
	var b strings.Builder
	for i, err := range e {
		if i > 0 {
			b.WriteString("\n")
		}
		b.WriteString(err.Error())
	}
	return b.String()
}

// maxErrors bounds how many problems one file reports.
const maxErrors = 20

func (e *Errors) add(format string, args ...any) {
	if len(*e) < maxErrors {
		*e = append(*e, fmt.Errorf(format, args...))
	}
}

func (e Errors) err() error {
	if len(e) == 0 {
		return nil
	}
	return e
}

// skipSummary groups skips by category: "6 read-only (DescribeInstances 4,
// DescribeInstanceStatus 2)", largest first.
func skipSummary(skipped map[Skip]int) []string {
	byCat := map[string]map[string]int{}
	total := map[string]int{}
	for s, n := range skipped {
		if byCat[s.Category] == nil {
			byCat[s.Category] = map[string]int{}
		}
		byCat[s.Category][s.Detail] += n
		total[s.Category] += n
	}
	cats := slices.Sorted(maps.Keys(total))
	slices.SortStableFunc(cats, func(a, b string) int { return total[b] - total[a] })
	var out []string
	for _, c := range cats {
		details := slices.Sorted(maps.Keys(byCat[c]))
		slices.SortStableFunc(details, func(a, b string) int { return byCat[c][b] - byCat[c][a] })
		var parts []string
		for _, d := range details {
			if d != "" {
				parts = append(parts, fmt.Sprintf("%s %d", d, byCat[c][d]))
			}
		}
		line := fmt.Sprintf("%d %s", total[c], c)
		if len(parts) > 0 {
			line += " (" + strings.Join(parts, ", ") + ")"
		}
		out = append(out, line)
	}
	return out
}
