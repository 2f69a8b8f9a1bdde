package verify

import (
	"context"
	"fmt"
	"time"
)

// EC2Status is one instance's EC2 status checks, as DescribeInstanceStatus
// (with IncludeAllInstances) reports them.
type EC2Status struct {
	// State is the instance state name: running, stopped, pending, ...
	State string
	// System and Instance are the two checks' summaries: ok, impaired,
	// insufficient-data, not-applicable or initializing.
	System   string
	Instance string
	// SystemDetail and InstanceDetail are their reachability details:
	// passed, failed, insufficient-data or initializing.
	SystemDetail   string
	InstanceDetail string
}

// StatusReader reads the status checks of ids, in as many calls as it
// takes. An id absent from the result no longer exists.
type StatusReader func(ctx context.Context, ids []string) (map[string]EC2Status, error)

// StatusSource is EC2's status checks as a batch source: each poll reads
// every covered instance in a few calls instead of probing each one, so it
// reaches fleets too large, or too private, to probe from one machine.
type StatusSource struct {
	read StatusReader
}

// NewStatusSource builds the source over read.
func NewStatusSource(read StatusReader) *StatusSource { return &StatusSource{read: read} }

// Name implements BatchSource.
func (*StatusSource) Name() string { return "status checks" }

// Check implements BatchSource: a verdict for every id (StatusVerdict), an
// instance that no longer exists being unhealthy.
func (s *StatusSource) Check(ctx context.Context, ids []string) (map[string]Result, error) {
	start := time.Now()
	statuses, err := s.read(ctx, ids)
	if err != nil {
		return nil, err
	}
	latency := time.Since(start)
	out := make(map[string]Result, len(ids))
	for _, id := range ids {
		res := Result{Detail: "instance not found"}
		if st, ok := statuses[id]; ok {
			res = StatusVerdict(st)
		}
		res.Latency = latency
		out[id] = res
	}
	return out, nil
}

// StatusVerdict judges one instance's status checks: healthy only when it
// is running and both the system and the instance check are ok.
// initializing (the checks have not completed since the instance started
// or rebooted), impaired, insufficient-data and a state other than running
// are unhealthy: none of them shows the instance serving.
func StatusVerdict(s EC2Status) Result {
	if s.State != "running" {
		return Result{Detail: "instance " + orUnknown(s.State)}
	}
	sys, inst := s.System == "ok", s.Instance == "ok"
	switch {
	case sys && inst:
		return Result{Healthy: true, Detail: "ok"}
	case !sys && !inst && s.System == s.Instance:
		return Result{Detail: fmt.Sprintf("%s (system and instance checks)", orUnknown(s.System))}
	case !sys && !inst:
		return Result{Detail: fmt.Sprintf("system %s, instance %s", orUnknown(s.System), orUnknown(s.Instance))}
	case !sys:
		return Result{Detail: fmt.Sprintf("%s (system check%s)", orUnknown(s.System), reachability(s.SystemDetail))}
	default:
		return Result{Detail: fmt.Sprintf("%s (instance check%s)", orUnknown(s.Instance), reachability(s.InstanceDetail))}
	}
}

func reachability(detail string) string {
	if detail == "" {
		return ""
	}
	return ", reachability " + detail
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}
