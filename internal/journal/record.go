// Package journal is a run's crash-safe log: runs/<run-id>/journal.jsonl,
// one JSON record per line, appended and fsynced before the run acts on
// anything. Whatever happens to the process (a panic, SIGKILL, a lost
// laptop), the journal on disk says which instances the run may have
// stopped or tagged, which is all `gameday recover` needs to bring them
// back. docs/journal.md describes the format and its guarantees.
package journal

import (
	"time"

	"gameday/internal/fleet"
)

// SchemaVersion is the version of the record layout. Adding a field or a
// record type does not bump it (readers skip what they do not know);
// changing what a field means does.
const SchemaVersion = 1

// FileName is the journal's name inside a run directory.
const FileName = "journal.jsonl"

// Type names a record's kind; the record carries the payload of that name.
type Type string

// Record types.
const (
	TypeStart   = Type("start")
	TypePlan    = Type("plan")
	TypeIntent  = Type("intent")
	TypeOutcome = Type("outcome")
	TypeState   = Type("state")
	TypeHealth  = Type("health")
	TypeAbort   = Type("abort")
	TypeRestore = Type("restore")
	TypeEnd     = Type("end")
)

// Run statuses. The written ones are those of report.json plus recovered;
// interrupted and running are derived by Summarize and `gameday runs`,
// never written.
const (
	StatusPassed    = "passed"
	StatusFailed    = "failed"
	StatusAborted   = "aborted"
	StatusError     = "error"
	StatusRecovered = "recovered" // gameday recover brought back what the run left
	// StatusInterrupted: the journal has no end record and nobody holds it.
	StatusInterrupted = "interrupted"
	// StatusRunning: the journal has no end record and a live process
	// holds its lock.
	StatusRunning = "running"
)

// Outcome results.
const (
	ResultOK        = "ok"
	ResultError     = "error"
	ResultUncertain = "uncertain" // the call went out and no answer came back
)

// PhaseRecover is the phase of the mutating calls gameday recover makes.
const PhaseRecover = "recover"

// Record is one line of the journal. Exactly one payload is set, the one
// Type names. Append fills V, Seq, Time and Type.
type Record struct {
	V    int       `json:"v"`
	Seq  uint64    `json:"seq"`
	Time time.Time `json:"time"`
	Type Type      `json:"type"`

	Start   *Start   `json:"start,omitempty"`
	Plan    *Plan    `json:"plan,omitempty"`
	Intent  *Intent  `json:"intent,omitempty"`
	Outcome *Outcome `json:"outcome,omitempty"`
	State   *State   `json:"state,omitempty"`
	Health  *Health  `json:"health,omitempty"`
	Abort   *Abort   `json:"abort,omitempty"`
	Restore *Restore `json:"restore,omitempty"`
	End     *End     `json:"end,omitempty"`
}

// Start opens a run. Endpoints are stored without user info or query.
type Start struct {
	RunID          string   `json:"run_id"`
	Scenario       string   `json:"scenario"`
	ScenarioFile   string   `json:"scenario_file,omitempty"`
	Action         string   `json:"action,omitempty"`
	Seed           uint64   `json:"seed"`
	GamedayVersion string   `json:"gameday_version"`
	Regions        []string `json:"regions"`
	Account        string   `json:"account,omitempty"`
	// Endpoint is where EC2 calls went when not AWS itself; Endpoints
	// overrides it per region (one simulator per region, say).
	Endpoint  string            `json:"endpoint,omitempty"`
	Endpoints map[string]string `json:"endpoints,omitempty"`
	DryRun    bool              `json:"dry_run,omitempty"`
	// PID is the process that wrote the run, for people reading the file.
	PID int `json:"pid,omitempty"`
}

// Plan is every instance the run selected, per phase and wave: enough to
// know where each one lives without asking AWS.
type Plan struct {
	Phases []PlanPhase `json:"phases"`
}

// PlanPhase is one phase of the plan.
type PlanPhase struct {
	Name   string     `json:"name"`
	Action string     `json:"action"`
	Waves  []PlanWave `json:"waves"`
}

// PlanWave is one wave; Index is 1-based within its phase.
type PlanWave struct {
	Index     int            `json:"index"`
	Instances []PlanInstance `json:"instances"`
}

// PlanInstance locates one selected instance.
type PlanInstance struct {
	ID     string `json:"id"`
	Region string `json:"region"`
	AZ     string `json:"az"`
}

// Intent is written, and synced, before every mutating call.
type Intent struct {
	Action fleet.Action `json:"action"`
	Region string       `json:"region"`
	IDs    []string     `json:"ids"`
	Phase  string       `json:"phase,omitempty"`
	Wave   int          `json:"wave,omitempty"`
	// Force marks a forced stop.
	Force bool `json:"force,omitempty"`
	// Tags are the tags a CreateTags call sets; Keys those DeleteTags removes.
	Tags map[string]string `json:"tags,omitempty"`
	Keys []string          `json:"keys,omitempty"`
}

// Outcome follows the call an intent announced.
type Outcome struct {
	// Intent is the Seq of the intent record.
	Intent uint64 `json:"intent"`
	// Result is ResultOK, ResultError or ResultUncertain.
	Result string `json:"result"`
	// IDs narrows the outcome to some of the intent's instances; empty
	// means all of them.
	IDs     []string `json:"ids,omitempty"`
	Code    string   `json:"code,omitempty"`
	Message string   `json:"message,omitempty"`
}

// State is what a Describe saw: instance id -> state name.
type State struct {
	Region    string            `json:"region"`
	Instances map[string]string `json:"instances"`
	Phase     string            `json:"phase,omitempty"`
	Wave      int               `json:"wave,omitempty"`
}

// Health records probe transitions (healthy <-> unhealthy), not probes.
type Health struct {
	Transitions []Transition `json:"transitions"`
}

// Transition is one instance (or service) changing health.
type Transition struct {
	ID      string `json:"id"`
	Healthy bool   `json:"healthy"`
	Detail  string `json:"detail,omitempty"`
}

// Abort says why the run stopped launching waves.
type Abort struct {
	Reason string `json:"reason"`
}

// Restore results.
const (
	RestoreRunning  = "running"  // confirmed running (started, or found so)
	RestoreUntagged = "untagged" // the run's dead-man tags were removed
	RestoreGone     = "gone"     // terminated, shutting down or absent: nothing to bring back
	RestoreSkipped  = "skipped"  // left alone on purpose (e.g. another run's tags)
	RestoreFailed   = "failed"   // could not be restored this time
	RestoreNothing  = "nothing-to-do"
)

// Restore records a recovery decision or result for some instances.
type Restore struct {
	Region string   `json:"region,omitempty"`
	IDs    []string `json:"ids,omitempty"`
	Result string   `json:"result"`
	Reason string   `json:"reason,omitempty"`
}

// End closes a run (or a recovery of it) with its status.
type End struct {
	Status string `json:"status"`
	Reason string `json:"reason,omitempty"`
}

// payloadType returns the type of the one payload set, or "" and the
// number of payloads when that is not exactly one.
func (r *Record) payloadType() (Type, int) {
	var t Type
	n := 0
	set := func(ok bool, typ Type) {
		if ok {
			t, n = typ, n+1
		}
	}
	set(r.Start != nil, TypeStart)
	set(r.Plan != nil, TypePlan)
	set(r.Intent != nil, TypeIntent)
	set(r.Outcome != nil, TypeOutcome)
	set(r.State != nil, TypeState)
	set(r.Health != nil, TypeHealth)
	set(r.Abort != nil, TypeAbort)
	set(r.Restore != nil, TypeRestore)
	set(r.End != nil, TypeEnd)
	if n != 1 {
		return "", n
	}
	return t, 1
}

// known reports whether t is a record type this version understands.
func (t Type) known() bool {
	switch t {
	case TypeStart, TypePlan, TypeIntent, TypeOutcome, TypeState, TypeHealth, TypeAbort, TypeRestore, TypeEnd:
		return true
	}
	return false
}
