package ec2api

import (
	"encoding/xml"
	"strconv"

	"gameday/internal/fleet"
	"gameday/internal/sim"
)

type elbTargetHealthDescription struct {
	Target struct {
		Id   string
		Port int
	}
	HealthCheckPort string
	TargetHealth    struct {
		State       string
		Reason      string `xml:",omitempty"`
		Description string `xml:",omitempty"`
	}
}

type describeTargetHealthResult struct {
	XMLName                  xml.Name                     `xml:"DescribeTargetHealthResult"`
	TargetHealthDescriptions []elbTargetHealthDescription `xml:"TargetHealthDescriptions>member"`
}

// requestedTarget is one Targets.member.N: an instance id and, when sent,
// a port.
type requestedTarget struct {
	id   string
	port int // 0: any
}

// describeTargetHealth reports the health of every member of a service's
// target group (sim.Sim.TargetHealth says how phases map to ELB's states),
// or of the targets named by Targets.member.N: a member on another port,
// or an instance that is not a member, is unused with Target.NotRegistered,
// and an id that names no instance fails the call with InvalidTarget.
func (h *handler) describeTargetHealth(c *call) (any, *apiError) {
	arn := c.form.Get("TargetGroupArn")
	if arn == "" {
		return nil, errValidation("1 validation error detected: Value null at 'targetGroupArn' failed to satisfy constraint: Member must not be null")
	}
	requested, apiErr := parseTargets(c)
	if apiErr != nil {
		return nil, apiErr
	}
	targets, ok := h.sim.TargetHealth(arn)
	if !ok {
		return nil, errTargetGroupNotFound()
	}
	if missing := h.sim.Missing(c.ids); len(missing) > 0 {
		return nil, badRequest("InvalidTarget", elbInvalidTargetMsg)
	}
	if len(requested) > 0 {
		targets = pick(targets, requested)
	}
	var result describeTargetHealthResult
	for _, t := range targets {
		result.TargetHealthDescriptions = append(result.TargetHealthDescriptions, targetHealthOf(t))
	}
	return newELBResponse(c, result), nil
}

// parseTargets reads Targets.member.N.Id and .Port, noting the ids in the
// call for the audit log.
func parseTargets(c *call) ([]requestedTarget, *apiError) {
	members, apiErr := parseMembers(c.form, "Targets.member", "Id", "Port", "AvailabilityZone")
	if apiErr != nil {
		return nil, apiErr
	}
	out := make([]requestedTarget, len(members))
	for i, m := range members {
		id, ok := m.fields["Id"]
		if !ok || id == "" {
			return nil, errValidation("1 validation error detected: Value null at 'targets.%d.member.id' failed to satisfy constraint: Member must not be null", m.n)
		}
		out[i].id = id
		if p, sent := m.fields["Port"]; sent {
			port, err := strconv.Atoi(p)
			if err != nil || port < 1 || port > 65535 {
				return nil, errValidation("1 validation error detected: Value '%s' at 'targets.%d.member.port' failed to satisfy constraint: Member must have value between 1 and 65535", p, m.n)
			}
			out[i].port = port
		}
		c.ids = append(c.ids, id)
	}
	c.ids = fleet.UniqueIDs(c.ids)
	return out, nil
}

// pick answers for the requested targets, in the order asked.
func pick(members []sim.TargetHealth, requested []requestedTarget) []sim.TargetHealth {
	out := make([]sim.TargetHealth, 0, len(requested))
	for _, r := range requested {
		found := false
		for _, t := range members {
			if t.InstanceID == r.id && (r.port == 0 || r.port == t.Port) {
				out, found = append(out, t), true
				break
			}
		}
		if !found {
			port := r.port
			if port == 0 && len(members) > 0 {
				port = members[0].Port // the target group's port
			}
			out = append(out, sim.TargetHealth{InstanceID: r.id, Port: port, State: sim.TargetUnused,
				Reason: elbTargetNotRegisteredReason, Description: elbTargetNotRegisteredDesc})
		}
	}
	return out
}

func targetHealthOf(t sim.TargetHealth) elbTargetHealthDescription {
	var d elbTargetHealthDescription
	d.Target.Id, d.Target.Port = t.InstanceID, t.Port
	d.HealthCheckPort = strconv.Itoa(t.Port) // ELB prints it as a string
	d.TargetHealth.State, d.TargetHealth.Reason, d.TargetHealth.Description = t.State, t.Reason, t.Description
	return d
}
