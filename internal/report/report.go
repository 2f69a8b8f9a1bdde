// Package report defines the record of a run (Report, versioned by
// SchemaVersion) and renders it: report.json for machines, junit.xml for CI
// test reporters, summary.md for a CI job summary or a pull-request comment,
// a self-contained report.html (inline CSS and SVG, nothing from the
// network), and the plain-text summary for the terminal. It only reads what
// the run produced; it never probes or calls AWS. docs/report.md documents
// every field of report.json and each rendering.
package report

import (
	"time"

	"gameday/internal/score"
)

// SchemaVersion is the version of report.json's layout. Bump it when a field
// changes meaning or disappears; adding a field does not need a bump.
const SchemaVersion = 1

// Run statuses.
const (
	StatusRunning = "running" // written before the first mutation; a crash leaves it
	StatusPassed  = "passed"  // objectives met (or none set)
	StatusFailed  = "failed"  // an objective was missed
	StatusAborted = "aborted" // a guardrail, gate or the operator stopped the run
	StatusError   = "error"   // an API or infrastructure error stopped the run
	StatusDryRun  = "dry-run" // everything but the mutating calls
)

// Report is everything known about one run.
type Report struct {
	SchemaVersion  int       `json:"schema_version"`
	RunID          string    `json:"run_id"`
	GamedayVersion string    `json:"gameday_version"`
	Scenario       Scenario  `json:"scenario"`
	Seed           uint64    `json:"seed"`
	Region         string    `json:"region"`
	Regions        []string  `json:"regions,omitempty"`
	Account        string    `json:"account,omitempty"`
	Endpoint       string    `json:"endpoint,omitempty"`
	Status         string    `json:"status"`
	Reason         string    `json:"reason,omitempty"`
	StartedAt      time.Time `json:"started_at"`
	EndedAt        time.Time `json:"ended_at"`
	Seconds        float64   `json:"duration_seconds"`

	Fleet     Fleet       `json:"fleet"`
	Phases    []Phase     `json:"phases,omitempty"`
	Waves     []Wave      `json:"waves"`
	Instances []Instance  `json:"instances"`
	PerAZ     []AZSummary `json:"per_az"`
	Recovery  Recovery    `json:"recovery"`
	Services  []Service   `json:"services,omitempty"`
	Score     score.Score `json:"score"`
	// Baseline compares this run with an earlier one (--baseline, or the
	// previous run of the same scenario); absent when there was none.
	Baseline *Baseline `json:"baseline,omitempty"`
}

// Baseline is the comparison with an earlier run of the same scenario.
type Baseline struct {
	RunID       string             `json:"run_id"`
	StartedAt   time.Time          `json:"started_at"`
	Score       float64            `json:"score"`
	Regressions []score.Regression `json:"regressions"`
}

// Scenario identifies what was run.
type Scenario struct {
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	File        string `json:"file,omitempty"`
	Action      string `json:"action"`
}

// Fleet is how the target resolved.
type Fleet struct {
	Matched       int         `json:"matched"`
	Eligible      int         `json:"eligible"`
	Selected      int         `json:"selected"`
	SelectionRule string      `json:"selection_rule"`
	Excluded      []Exclusion `json:"excluded"`
}

// Phase is one phase of a multi-phase run, as planned and done.
type Phase struct {
	Name          string `json:"name"`
	Action        string `json:"action"`
	Start         string `json:"start"`
	Matched       int    `json:"matched"`
	Eligible      int    `json:"eligible"`
	Selected      int    `json:"selected"`
	SelectionRule string `json:"selection_rule"`
	Acted         int    `json:"acted"`
	Aborted       bool   `json:"aborted,omitempty"`
}

// Service is what the probes of one service saw.
type Service struct {
	Name         string  `json:"name"`
	URL          string  `json:"url,omitempty"`
	Probes       int     `json:"probes"`
	Failures     int     `json:"failures"`
	Availability float64 `json:"availability_percent"`
	// LongestOutageSeconds runs from the first failed probe of the longest
	// run of failures to the next successful probe (or the last probe).
	LongestOutageSeconds float64 `json:"longest_outage_seconds"`
	// Latency percentiles of the answered probes, in milliseconds.
	LatencyP50Ms float64 `json:"latency_p50_ms"`
	LatencyP95Ms float64 `json:"latency_p95_ms"`
	LatencyP99Ms float64 `json:"latency_p99_ms"`
	// Transitions are the changes between up and down, first probe included.
	Transitions []Transition `json:"transitions"`
	// Timeline is availability over time in equal buckets.
	Timeline []Bucket `json:"timeline"`
}

// Transition is a change of health seen by the probes.
type Transition struct {
	At      time.Time `json:"at"`
	Healthy bool      `json:"healthy"`
	Detail  string    `json:"detail,omitempty"`
}

// Bucket counts a service's probes sent in [Start, Start+Seconds).
type Bucket struct {
	Start   time.Time `json:"start"`
	Seconds float64   `json:"seconds"`
	OK      int       `json:"ok"`
	Total   int       `json:"total"`
}

// Exclusion is an instance the run would not touch.
type Exclusion struct {
	Phase      string `json:"phase,omitempty"`
	InstanceID string `json:"instance_id"`
	AZ         string `json:"az"`
	Reason     string `json:"reason"`
}

// Wave is one wave as executed.
type Wave struct {
	Phase       string    `json:"phase,omitempty"`
	Index       int       `json:"index"`
	InstanceIDs []string  `json:"instance_ids"`
	StartedAt   time.Time `json:"started_at"`
	EndedAt     time.Time `json:"ended_at"`
	Gate        string    `json:"gate"`
	GateSeconds float64   `json:"gate_seconds"`
	Pending     []string  `json:"pending,omitempty"`
	Skipped     []Skip    `json:"skipped,omitempty"`
	Acted       int       `json:"acted"`
	Recovered   int       `json:"recovered"`
	Recovery    Recovery  `json:"recovery"`
}

// Skip is a planned instance the run did not act on, and why.
type Skip struct {
	InstanceID string `json:"instance_id"`
	Reason     string `json:"reason"`
}

// Instance is one selected instance's story.
type Instance struct {
	Phase              string     `json:"phase,omitempty"`
	InstanceID         string     `json:"instance_id"`
	Region             string     `json:"region,omitempty"`
	AZ                 string     `json:"az"`
	Wave               int        `json:"wave"`
	Acted              bool       `json:"acted"`
	ActedAt            *time.Time `json:"acted_at,omitempty"`
	DownAt             *time.Time `json:"down_at,omitempty"`
	RecoveredAt        *time.Time `json:"recovered_at,omitempty"`
	Recovered          bool       `json:"recovered"`
	RecoverySeconds    *float64   `json:"recovery_seconds,omitempty"`
	NoDowntimeObserved bool       `json:"no_downtime_observed,omitempty"`
	// FirstFailureSeconds: from the action to the first failed probe.
	FirstFailureSeconds *float64 `json:"first_failure_seconds,omitempty"`
	// DowntimeSeconds: time spent unhealthy after the action, up to the
	// recovery or the end of observation.
	DowntimeSeconds *float64     `json:"downtime_seconds,omitempty"`
	Probes          int          `json:"probes"`
	FailedProbes    int          `json:"failed_probes"`
	LastProbe       string       `json:"last_probe,omitempty"`
	Transitions     []Transition `json:"transitions"`
}

// AZSummary counts per availability zone.
type AZSummary struct {
	AZ        string   `json:"az"`
	Acted     int      `json:"acted"`
	Recovered int      `json:"recovered"`
	Recovery  Recovery `json:"recovery"`
}

// Recovery summarises recovery times in seconds.
type Recovery struct {
	Count      int     `json:"count"`
	MinSeconds float64 `json:"min_seconds"`
	P50Seconds float64 `json:"p50_seconds"`
	P95Seconds float64 `json:"p95_seconds"`
	MaxSeconds float64 `json:"max_seconds"`
}

// Seconds converts a duration to seconds rounded to the millisecond.
func Seconds(d time.Duration) float64 {
	return float64(d.Round(time.Millisecond)) / float64(time.Second)
}
