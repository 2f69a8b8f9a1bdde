package ec2api

import "encoding/xml"

type rebootInstancesResponse struct {
	XMLName xml.Name `xml:"RebootInstancesResponse"`
	ec2Header
	Return bool `xml:"return"`
}

// rebootInstances is all or nothing: any malformed or unknown id, and any
// instance that is not running, fails the call before a single instance is
// touched. With DryRun the request checks run and nothing happens.
func (h *handler) rebootInstances(c *call) (any, *apiError) {
	ids, apiErr := h.instanceTargets(c, nil)
	if apiErr != nil {
		return nil, apiErr
	}
	if apiErr := h.authorize(c); apiErr != nil {
		return nil, apiErr
	}
	if err := h.sim.Reboot(ids); err != nil {
		return nil, errFromSim(err)
	}
	return rebootInstancesResponse{ec2Header: c.ec2Header(), Return: true}, nil
}

// instanceTargets reads the InstanceId.N of a call that acts on instances,
// then the call's other parameters (params, when not nil), then checks the
// ids: at least one, each well formed, all known.
func (h *handler) instanceTargets(c *call, params func() *apiError) ([]string, *apiError) {
	ids, apiErr := c.instanceIDs()
	if apiErr != nil {
		return nil, apiErr
	}
	if params != nil {
		if apiErr := params(); apiErr != nil {
			return nil, apiErr
		}
	}
	if len(ids) == 0 {
		return nil, missingParameter("InstanceId")
	}
	return ids, h.checkIDs(ids)
}
