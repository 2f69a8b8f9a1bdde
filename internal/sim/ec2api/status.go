package ec2api

import (
	"encoding/xml"
	"strconv"

	"gameday/internal/fleet"
	"gameday/internal/sim"
)

// maxStatusIDs is DescribeInstanceStatus's cap on explicit instance ids.
const maxStatusIDs = 100

// statusFilters are the DescribeInstanceStatus filters served.
var statusFilters = filterSet{fields: map[string]fieldFunc{
	"availability-zone":            one(func(v sim.InstanceView) string { return v.AZ }),
	"instance-state-name":          one(func(v sim.InstanceView) string { return v.State }),
	"instance-state-code":          one(func(v sim.InstanceView) string { return strconv.Itoa(v.StateCode) }),
	"instance-status.status":       one(func(v sim.InstanceView) string { return instanceCheck(v).Status }),
	"instance-status.reachability": one(func(v sim.InstanceView) string { return reachability(instanceCheck(v)) }),
	"system-status.status":         one(func(v sim.InstanceView) string { return systemCheck(v).Status }),
	"system-status.reachability":   one(func(v sim.InstanceView) string { return reachability(systemCheck(v)) }),
}}

type describeInstanceStatusResponse struct {
	XMLName xml.Name `xml:"DescribeInstanceStatusResponse"`
	ec2Header
	Statuses  set[instanceStatusXML] `xml:"instanceStatusSet"`
	NextToken string                 `xml:"nextToken,omitempty"`
}

type instanceStatusXML struct {
	InstanceID       string    `xml:"instanceId"`
	AvailabilityZone string    `xml:"availabilityZone"`
	State            stateXML  `xml:"instanceState"`
	SystemStatus     statusXML `xml:"systemStatus"`
	InstanceStatus   statusXML `xml:"instanceStatus"`
}

type statusXML struct {
	Status  string                `xml:"status"`
	Details *set[statusDetailXML] `xml:"details"`
}

type statusDetailXML struct {
	Name          string `xml:"name"`
	Status        string `xml:"status"`
	ImpairedSince string `xml:"impairedSince,omitempty"`
}

func (h *handler) describeInstanceStatus(c *call) (any, *apiError) {
	includeAll, apiErr := parseBool(c.form, "IncludeAllInstances")
	if apiErr != nil {
		return nil, apiErr
	}
	q, apiErr := h.parseListQuery(c, statusFilters, maxStatusIDs)
	if apiErr != nil {
		return nil, apiErr
	}
	// Only running instances are listed unless IncludeAllInstances is set.
	keep := func(v sim.InstanceView) bool { return includeAll || v.State == fleet.StateRunning }
	views, next := page(selectViews(h.sim.Describe(), q, keep), q)
	resp := describeInstanceStatusResponse{ec2Header: c.ec2Header(), NextToken: next}
	for _, v := range views {
		resp.Statuses.Items = append(resp.Statuses.Items, instanceStatusXML{
			InstanceID:       v.ID,
			AvailabilityZone: v.AZ,
			State:            stateXML{Code: v.StateCode, Name: v.State},
			SystemStatus:     systemCheck(v),
			InstanceStatus:   instanceCheck(v),
		})
	}
	return resp, nil
}

// systemCheck is the AWS-side check: the simulated hardware never fails.
func systemCheck(v sim.InstanceView) statusXML {
	if v.State != fleet.StateRunning {
		return statusXML{Status: "not-applicable"}
	}
	return check("ok", "passed", "")
}

// instanceCheck follows the host's boot cycle: a host that is down fails
// reachability, a booting one is initializing.
func instanceCheck(v sim.InstanceView) statusXML {
	switch {
	case v.State != fleet.StateRunning:
		return statusXML{Status: "not-applicable"}
	case v.Health == sim.HealthDown:
		return check("impaired", "failed", formatTime(v.HealthSince))
	case v.Health == sim.HealthStarting:
		return check("initializing", "initializing", "")
	default:
		return check("ok", "passed", "")
	}
}

func check(status, detail, impairedSince string) statusXML {
	return statusXML{Status: status, Details: &set[statusDetailXML]{Items: []statusDetailXML{
		{Name: "reachability", Status: detail, ImpairedSince: impairedSince},
	}}}
}

func reachability(s statusXML) string {
	if s.Details == nil || len(s.Details.Items) == 0 {
		return ""
	}
	return s.Details.Items[0].Status
}
