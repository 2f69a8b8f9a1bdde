package ec2api

import "encoding/xml"

type rebootInstancesResponse struct {
	XMLName xml.Name `xml:"RebootInstancesResponse"`
	ec2Header
	Return bool `xml:"return"`
}

// rebootInstances is all or nothing: any malformed or unknown id fails the
// call before a single instance is touched. With DryRun the same checks
// run and nothing happens.
func (h *handler) rebootInstances(c *call) (any, *apiError) {
	ids, apiErr := c.instanceIDs()
	if apiErr != nil {
		return nil, apiErr
	}
	if len(ids) == 0 {
		return nil, badRequest("MissingParameter", "The request must contain the parameter InstanceId")
	}
	if apiErr := h.checkIDs(ids); apiErr != nil {
		return nil, apiErr
	}
	if c.dryRun {
		return nil, errDryRun()
	}
	if err := h.sim.Reboot(ids); err != nil {
		return nil, errInternal(err)
	}
	return rebootInstancesResponse{ec2Header: c.ec2Header(), Return: true}, nil
}
