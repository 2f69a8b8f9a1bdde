// Package fleet holds the domain types every other package speaks: an
// instance as gameday sees it, the target that selects instances, and the
// small Provider interface the executor drives. It has no dependencies on the
// AWS SDK so that plan, execute and score stay pure.
package fleet

import (
	"context"
	"sort"
	"strconv"
	"time"
)

// EC2 instance state names, as the API spells them.
const (
	StatePending      = "pending"
	StateRunning      = "running"
	StateShuttingDown = "shutting-down"
	StateTerminated   = "terminated"
	StateStopping     = "stopping"
	StateStopped      = "stopped"
)

// Instance is one EC2 instance as seen by a Describe call.
type Instance struct {
	ID           string            `json:"id"`
	Region       string            `json:"region"`
	AZ           string            `json:"az"`
	State        string            `json:"state"`
	InstanceType string            `json:"instance_type,omitempty"`
	PrivateIP    string            `json:"private_ip,omitempty"`
	PublicIP     string            `json:"public_ip,omitempty"`
	LaunchTime   time.Time         `json:"launch_time,omitzero"`
	Tags         map[string]string `json:"tags,omitempty"`
}

// HasTag reports whether the instance carries key with exactly value.
func (i Instance) HasTag(key, value string) bool {
	v, ok := i.Tags[key]
	return ok && v == value
}

// Target selects instances on the provider side. Every non-empty field
// narrows the selection (logical AND); values inside one field are
// alternatives (logical OR), exactly like EC2 DescribeInstances filters.
type Target struct {
	Region string
	// Tags must all match; a value may use the EC2 wildcards * and ?.
	Tags map[string]string
	// AvailabilityZones limits the selection to these zones when non-empty.
	AvailabilityZones []string
	// States limits the selection to these instance states; empty means any.
	States []string
	// InstanceIDs limits the selection to these instances when non-empty.
	InstanceIDs []string
	// Filters are further DescribeInstances filters, name -> values.
	Filters map[string][]string
}

// Provider is what the executor needs from a cloud: list the instances a
// target matches and act on them. Implementations batch and pace calls
// themselves; callers pass whole waves.
type Provider interface {
	// List returns every instance matching target, sorted by ID.
	List(ctx context.Context, target Target) ([]Instance, error)
	// Reboot asks for an OS reboot of every instance in ids.
	Reboot(ctx context.Context, ids []string) error
}

// Action names a mutating call, for DryRun checks, journals and logs.
type Action string

// The mutating calls gameday makes. There is no terminate.
const (
	ActionReboot = Action("RebootInstances")
	ActionStop   = Action("StopInstances")
	ActionStart  = Action("StartInstances")
	ActionTag    = Action("CreateTags")
	ActionUntag  = Action("DeleteTags")
)

// Operator is a Provider that can do everything a game day needs: stop and
// start as well as reboot, read back the state of given instances, mark
// them with tags, and check permissions with DryRun.
//
// Mutating methods never re-send a call whose outcome is unknown (a reset
// connection, a timeout): an instance must not be acted on twice. They
// retry only what the service says it did not do (throttling). An unknown
// outcome is reported as an *UncertainError; the caller reads the state
// back with Describe to learn what happened.
type Operator interface {
	Provider
	// Describe returns the current state of ids; instances that no longer
	// exist are absent from the result.
	Describe(ctx context.Context, ids []string) ([]Instance, error)
	// Stop stops ids; force skips the clean OS shutdown (a power cut).
	Stop(ctx context.Context, ids []string, force bool) error
	// Start starts ids.
	Start(ctx context.Context, ids []string) error
	// Tag sets tags on ids; Untag removes the tag keys from ids.
	Tag(ctx context.Context, ids []string, tags map[string]string) error
	Untag(ctx context.Context, ids []string, keys []string) error
	// DryRun asks whether action on ids would be allowed: nil when it
	// would, else the service's refusal (e.g. UnauthorizedOperation).
	DryRun(ctx context.Context, action Action, ids []string) error
}

// UncertainError says a mutating call may or may not have acted on IDs:
// the request went out and no answer came back.
type UncertainError struct {
	Action Action
	IDs    []string
	Err    error
}

func (e *UncertainError) Error() string {
	return string(e.Action) + " on " + strconv.Itoa(len(e.IDs)) + " instances: outcome unknown: " + e.Err.Error()
}

func (e *UncertainError) Unwrap() error { return e.Err }

// SortByID sorts instances in place by instance ID, the canonical order that
// keeps planning deterministic whatever order an API returned.
func SortByID(instances []Instance) {
	sort.Slice(instances, func(a, b int) bool { return instances[a].ID < instances[b].ID })
}

// IDs returns the IDs of instances, in order.
func IDs(instances []Instance) []string {
	ids := make([]string, len(instances))
	for i, inst := range instances {
		ids[i] = inst.ID
	}
	return ids
}

// AZCount is how many instances sit in one availability zone.
type AZCount struct {
	AZ    string `json:"az"`
	Count int    `json:"count"`
}

// CountByAZ counts instances per availability zone, sorted by zone name.
func CountByAZ(instances []Instance) []AZCount {
	counts := map[string]int{}
	for _, inst := range instances {
		counts[inst.AZ]++
	}
	out := make([]AZCount, 0, len(counts))
	for az, n := range counts {
		out = append(out, AZCount{AZ: az, Count: n})
	}
	sort.Slice(out, func(a, b int) bool { return out[a].AZ < out[b].AZ })
	return out
}

// UniqueIDs returns ids without repeats, keeping the first occurrence of
// each in order: an id named twice in one call is still one instance.
func UniqueIDs(ids []string) []string {
	seen := make(map[string]bool, len(ids))
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}
