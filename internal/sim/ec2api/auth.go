package ec2api

// authorize answers a call whose parameters and ids are valid: 403
// UnauthorizedOperation when the fleet denies the action (to a DryRun and
// to the real call alike), 412 DryRunOperation for a permitted DryRun, the
// fleet's api.fail error when it picks this real call, nil to go on. A
// DryRun checks the request and the permission, not the instances' states,
// which may change before the real call anyway.
func (h *handler) authorize(c *call) *apiError {
	if h.sim.Denies(c.action) {
		return errUnauthorized()
	}
	if c.dryRun {
		return errDryRun()
	}
	return h.fails.next(c.action)
}
