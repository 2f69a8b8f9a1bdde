package ec2api

import (
	"encoding/xml"

	"gameday/internal/sim"
)

type stopInstancesResponse struct {
	XMLName xml.Name `xml:"StopInstancesResponse"`
	ec2Header
	Instances set[stateChangeXML] `xml:"instancesSet"`
}

type startInstancesResponse struct {
	XMLName xml.Name `xml:"StartInstancesResponse"`
	ec2Header
	Instances set[stateChangeXML] `xml:"instancesSet"`
}

type stateChangeXML struct {
	InstanceID    string   `xml:"instanceId"`
	CurrentState  stateXML `xml:"currentState"`
	PreviousState stateXML `xml:"previousState"`
}

// stopInstances stops running instances; stopping and stopped ones answer
// their state unchanged, as EC2 does. Force (or SkipOsShutdown) skips the
// clean shutdown. Hibernate is refused: simulated instances are launched
// without hibernation, as most are.
func (h *handler) stopInstances(c *call) (any, *apiError) {
	var force, skipOS, hibernate bool
	ids, apiErr := h.instanceTargets(c, func() *apiError {
		for _, p := range []struct {
			name string
			v    *bool
		}{{"Force", &force}, {"SkipOsShutdown", &skipOS}, {"Hibernate", &hibernate}} {
			var apiErr *apiError
			if *p.v, apiErr = parseBool(c.form, p.name); apiErr != nil {
				return apiErr
			}
		}
		return nil
	})
	if apiErr != nil {
		return nil, apiErr
	}
	if apiErr := h.authorize(c); apiErr != nil {
		return nil, apiErr
	}
	if hibernate {
		// The wording of a real refusal, as seen in client logs.
		return nil, badRequest("UnsupportedHibernationConfiguration",
			"The instance can't be hibernated because it was not configured at launch for hibernation: %s", ids[0])
	}
	changes, err := h.sim.StopInstances(ids, force || skipOS)
	if err != nil {
		return nil, errFromSim(err)
	}
	return stopInstancesResponse{ec2Header: c.ec2Header(), Instances: stateChanges(changes)}, nil
}

// startInstances starts stopped instances; any other state fails the whole
// call with IncorrectInstanceState.
func (h *handler) startInstances(c *call) (any, *apiError) {
	ids, apiErr := h.instanceTargets(c, nil)
	if apiErr != nil {
		return nil, apiErr
	}
	if apiErr := h.authorize(c); apiErr != nil {
		return nil, apiErr
	}
	changes, err := h.sim.StartInstances(ids)
	if err != nil {
		return nil, errFromSim(err)
	}
	return startInstancesResponse{ec2Header: c.ec2Header(), Instances: stateChanges(changes)}, nil
}

func stateChanges(changes []sim.StateChange) set[stateChangeXML] {
	out := set[stateChangeXML]{Items: make([]stateChangeXML, len(changes))}
	for i, ch := range changes {
		out.Items[i] = stateChangeXML{
			InstanceID:    ch.ID,
			CurrentState:  stateXML{Code: sim.StateCode(ch.Current), Name: ch.Current},
			PreviousState: stateXML{Code: sim.StateCode(ch.Previous), Name: ch.Previous},
		}
	}
	return out
}
