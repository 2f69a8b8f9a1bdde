package verify

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// ELBTarget is one registration in an ELB target group, as
// DescribeTargetHealth reports it. An instance registered on two ports
// appears twice.
type ELBTarget struct {
	InstanceID  string
	Port        int32
	State       string
	Reason      string
	Description string
}

// TargetHealthReader reads the health of every target of one target group.
type TargetHealthReader func(ctx context.Context) ([]ELBTarget, error)

// ELBSource is one ELB target group's target health as a batch source: one
// DescribeTargetHealth call a poll tells how the load balancer sees every
// registered instance, without gameday reaching any of them.
type ELBSource struct {
	name string
	read TargetHealthReader
}

// NewELBSource builds the source; name labels its verdicts ("ELB",
// "ELB storefront").
func NewELBSource(name string, read TargetHealthReader) *ELBSource {
	return &ELBSource{name: name, read: read}
}

// Name implements BatchSource.
func (s *ELBSource) Name() string { return s.name }

// Check implements BatchSource. An instance is healthy when every one of
// its registrations is (TargetVerdict); an instance not registered (any
// more) is unhealthy: the load balancer sends it nothing.
func (s *ELBSource) Check(ctx context.Context, ids []string) (map[string]Result, error) {
	start := time.Now()
	targets, err := s.read(ctx)
	if err != nil {
		return nil, err
	}
	latency := time.Since(start)
	byID := make(map[string][]ELBTarget, len(targets))
	for _, t := range targets {
		byID[t.InstanceID] = append(byID[t.InstanceID], t)
	}
	out := make(map[string]Result, len(ids))
	for _, id := range ids {
		res := registrationsVerdict(byID[id])
		res.Latency = latency
		out[id] = res
	}
	return out, nil
}

// Members lists the instances registered in the target group, each once,
// in the order ELB lists them.
func Members(targets []ELBTarget) []string {
	var out []string
	seen := map[string]bool{}
	for _, t := range targets {
		if !seen[t.InstanceID] {
			seen[t.InstanceID] = true
			out = append(out, t.InstanceID)
		}
	}
	return out
}

func registrationsVerdict(regs []ELBTarget) Result {
	switch len(regs) {
	case 0:
		return Result{Detail: "not registered"}
	case 1:
		return TargetVerdict(regs[0])
	}
	var bad []string
	for _, t := range regs {
		if v := TargetVerdict(t); !v.Healthy {
			bad = append(bad, fmt.Sprintf("%s on port %d", v.Detail, t.Port))
		}
	}
	if len(bad) == 0 {
		return Result{Healthy: true, Detail: fmt.Sprintf("healthy on %d ports", len(regs))}
	}
	return Result{Detail: strings.Join(bad, ", ")}
}

// TargetVerdict judges one registration: healthy only in ELB's "healthy"
// state. The others are unhealthy:
//   - unhealthy, unhealthy.draining: failing the target group's health checks;
//   - initial: just registered, or back from a stop, and not yet through
//     its first health checks. ELB does not route to it yet, so it has not
//     recovered from the load balancer's point of view, however well its
//     own endpoint answers;
//   - draining: being deregistered; it takes no new requests;
//   - unused: not serving (stopped, or not registered with a listener);
//   - unavailable: the target group's health checks are disabled, so ELB
//     cannot tell; failing closed, a gate on it never passes.
func TargetVerdict(t ELBTarget) Result {
	state := orUnknown(t.State)
	if t.Reason != "" {
		state += " (" + t.Reason + ")"
	}
	return Result{Healthy: t.State == "healthy", Detail: state}
}
