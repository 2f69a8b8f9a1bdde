package ec2api

import (
	"encoding/xml"
	"strconv"
	"time"

	"gameday/internal/fleet"
	"gameday/internal/sim"
)

// maxStatusIDs is DescribeInstanceStatus's cap on explicit instance ids.
const maxStatusIDs = 100

// statusFilters are the DescribeInstanceStatus filters served.
var statusFilters = filterSet[view]{fields: map[string]fieldFunc[view]{
	"availability-zone":            one(func(v *view) string { return v.AZ }),
	"instance-state-name":          one(func(v *view) string { return v.State }),
	"instance-state-code":          one(func(v *view) string { return strconv.Itoa(v.StateCode) }),
	"instance-status.status":       one(func(v *view) string { return instanceCheck(v).Status }),
	"instance-status.reachability": one(func(v *view) string { return reachability(instanceCheck(v)) }),
	"system-status.status":         one(func(v *view) string { return systemCheck(v).Status }),
	"system-status.reachability":   one(func(v *view) string { return reachability(systemCheck(v)) }),
	"event.code":                   eventField(func(e sim.EventView) string { return e.Code }),
	"event.description":            eventField(func(e sim.EventView) string { return e.Description }),
	"event.instance-event-id":      eventField(func(e sim.EventView) string { return e.ID }),
	"event.not-before":             eventField(func(e sim.EventView) string { return formatOptionalTime(e.NotBefore) }),
	"event.not-after":              eventField(func(e sim.EventView) string { return formatOptionalTime(e.NotAfter) }),
	"event.not-before-deadline":    eventField(func(e sim.EventView) string { return formatOptionalTime(e.NotBeforeDeadline) }),
}}

// eventField matches when any of the instance's events has a matching
// value; completed events count, as EC2 still lists them.
func eventField(get func(sim.EventView) string) fieldFunc[view] {
	return func(v *view, ok func(string) bool) bool {
		for _, e := range v.Events {
			if ok(get(e)) {
				return true
			}
		}
		return false
	}
}

type describeInstanceStatusResponse struct {
	XMLName xml.Name `xml:"DescribeInstanceStatusResponse"`
	ec2Header
	Statuses  set[instanceStatusXML] `xml:"instanceStatusSet"`
	NextToken string                 `xml:"nextToken,omitempty"`
}

type instanceStatusXML struct {
	InstanceID       string         `xml:"instanceId"`
	AvailabilityZone string         `xml:"availabilityZone"`
	State            stateXML       `xml:"instanceState"`
	SystemStatus     statusXML      `xml:"systemStatus"`
	InstanceStatus   statusXML      `xml:"instanceStatus"`
	Events           *set[eventXML] `xml:"eventsSet,omitempty"`
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

type eventXML struct {
	InstanceEventID   string `xml:"instanceEventId"`
	Code              string `xml:"code"`
	Description       string `xml:"description"`
	NotBefore         string `xml:"notBefore,omitempty"`
	NotAfter          string `xml:"notAfter,omitempty"`
	NotBeforeDeadline string `xml:"notBeforeDeadline,omitempty"`
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
	views, next := h.page(q, func(v *view) bool { return includeAll || v.State == fleet.StateRunning })
	resp := describeInstanceStatusResponse{ec2Header: c.ec2Header(), NextToken: next}
	for i := range views {
		v := &views[i]
		resp.Statuses.Items = append(resp.Statuses.Items, instanceStatusXML{
			InstanceID:       v.ID,
			AvailabilityZone: v.AZ,
			State:            stateXML{Code: v.StateCode, Name: v.State},
			SystemStatus:     systemCheck(v),
			InstanceStatus:   instanceCheck(v),
			Events:           eventsToXML(v.Events),
		})
	}
	return resp, nil
}

func eventsToXML(events []sim.EventView) *set[eventXML] {
	if len(events) == 0 {
		return nil
	}
	out := &set[eventXML]{}
	for _, e := range events {
		out.Items = append(out.Items, eventXML{
			InstanceEventID:   e.ID,
			Code:              e.Code,
			Description:       e.Description,
			NotBefore:         formatOptionalTime(e.NotBefore),
			NotAfter:          formatOptionalTime(e.NotAfter),
			NotBeforeDeadline: formatOptionalTime(e.NotBeforeDeadline),
		})
	}
	return out
}

func formatOptionalTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return formatTime(t)
}

// systemCheck is the AWS-side check: the simulated hardware never fails.
func systemCheck(v *view) statusXML {
	if v.State != fleet.StateRunning {
		return statusXML{Status: "not-applicable"}
	}
	return check("ok", "passed", "")
}

// instanceCheck follows the host: a host that is down or came back broken
// fails reachability, a booting one is initializing.
func instanceCheck(v *view) statusXML {
	switch {
	case v.State != fleet.StateRunning:
		return statusXML{Status: "not-applicable"}
	case v.Health == sim.HealthDown || v.Health == sim.HealthBroken:
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
