package ratelimit

import "strings"

// EC2 actions with a bucket of their own, or gameday's own calls.
const (
	OpReboot                 = "RebootInstances"
	OpStop                   = "StopInstances"
	OpStart                  = "StartInstances"
	OpTerminate              = "TerminateInstances"
	OpRun                    = "RunInstances"
	OpCreateTags             = "CreateTags"
	OpDeleteTags             = "DeleteTags"
	OpDescribeInstances      = "DescribeInstances"
	OpDescribeInstanceStatus = "DescribeInstanceStatus"
)

// notEC2 lists the calls of other services gameday makes. They are not
// limited here: STS and ELB throttle by rules of their own that the EC2
// table does not describe, and gameday makes few of these calls. Their
// names would otherwise look like EC2 reads (Get*, Describe*).
var notEC2 = map[string]bool{
	"GetCallerIdentity":     true, // STS
	"DescribeTargetHealth":  true, // ELBv2
	"DescribeTargetGroups":  true, // ELBv2
	"DescribeLoadBalancers": true, // ELBv2 (and classic ELB)
}

// NeedsFor returns the tokens one EC2 call takes: one request token from
// the action's request bucket and, for actions with a resource bucket, one
// token per instance (ids). For RunInstances ids is the number of instances
// asked for. ids of 0 takes no resource tokens (the simulator prices a
// DryRun so: it must pass the request bucket but launches nothing).
//
// describeFilteredOrPaginated matters only to DescribeInstances and
// DescribeInstanceStatus: true when the call has a filter, MaxResults or
// NextToken, which puts it in the ordinary non-mutating bucket; without
// them it takes from the stricter unfiltered bucket. Naming instance ids is
// not a filter here (EC2 does not document it as one, and the stricter
// bucket is the safe guess for a client pacing itself).
//
// Other Describe*, Get*, List* and Search* actions are non-mutating; any
// other EC2 action is mutating. STS and ELB actions (see notEC2) take
// nothing: the result is nil.
func NeedsFor(action string, ids int, describeFilteredOrPaginated bool) []Need {
	switch action {
	case OpDescribeInstances, OpDescribeInstanceStatus:
		if describeFilteredOrPaginated {
			return []Need{{DescribeRequests, 1}}
		}
		return []Need{{UnfilteredDescribeRequests, 1}}
	case OpReboot:
		return []Need{{MutatingRequests, 1}}
	case OpStop:
		return withResource(MutatingRequests, StopInstances, ids)
	case OpStart:
		return withResource(StartRequests, StartInstances, ids)
	case OpTerminate:
		return withResource(TerminateRequests, TerminateInstances, ids)
	case OpRun:
		return withResource(RunRequests, RunInstances, ids)
	case OpCreateTags, OpDeleteTags:
		return []Need{{TagRequests, 1}}
	}
	switch {
	case notEC2[action]:
		return nil
	case isNonMutating(action):
		return []Need{{DescribeRequests, 1}}
	}
	return []Need{{MutatingRequests, 1}}
}

// withResource is one request token plus one resource token per instance.
func withResource(requests, resources Bucket, ids int) []Need {
	needs := []Need{{requests, 1}}
	if ids > 0 {
		needs = append(needs, Need{resources, float64(ids)})
	}
	return needs
}

// isNonMutating follows EC2's definition: Describe*, Get*, List*, Search*.
func isNonMutating(action string) bool {
	for _, prefix := range []string{"Describe", "Get", "List", "Search"} {
		if strings.HasPrefix(action, prefix) {
			return true
		}
	}
	return false
}
