package ec2api

import (
	"encoding/base64"
	"net/url"
	"strconv"
	"strings"

	"gameday/internal/fleet"
	"gameday/internal/sim"
)

// Paging bounds of DescribeInstances and DescribeInstanceStatus.
const (
	minMaxResults = 5
	maxMaxResults = 1000
)

// listQuery is the parsed form of a Describe call.
type listQuery struct {
	ids        []string
	filters    []filter[sim.InstanceView]
	maxResults int    // 0: everything after the token
	after      string // instance id the previous page ended with
}

// parseListQuery validates a Describe call: parameter shape first, then
// ids (malformed, then unknown), then the permission and DryRun (see
// authorize). maxIDs = 0 means no cap.
func (h *handler) parseListQuery(c *call, fs filterSet[sim.InstanceView], maxIDs int) (listQuery, *apiError) {
	var q listQuery
	var apiErr *apiError
	if q.ids, apiErr = c.instanceIDs(); apiErr != nil {
		return q, apiErr
	}
	if q.maxResults, apiErr = parseMaxResults(c, len(q.ids) > 0); apiErr != nil {
		return q, apiErr
	}
	if q.after, apiErr = decodeToken(c.form); apiErr != nil {
		return q, apiErr
	}
	raw, apiErr := parseFilters(c.form)
	if apiErr != nil {
		return q, apiErr
	}
	if q.filters, apiErr = fs.compile(raw); apiErr != nil {
		return q, apiErr
	}
	if maxIDs > 0 && len(q.ids) > maxIDs {
		return q, badRequest("InvalidRequest", "%d exceeds the maximum number of instance IDs that can be specificied (%d). Please specify fewer than %d instance IDs.", len(q.ids), maxIDs, maxIDs)
	}
	if apiErr = h.checkIDs(q.ids); apiErr != nil {
		return q, apiErr
	}
	return q, h.authorize(c)
}

// instanceIDs reads InstanceId.N and DryRun into the call (for the audit).
func (c *call) instanceIDs() ([]string, *apiError) {
	ids, apiErr := parseIndexed(c.form, "InstanceId")
	if apiErr != nil {
		return nil, apiErr
	}
	c.ids = ids
	c.dryRun, apiErr = parseBool(c.form, "DryRun")
	return ids, apiErr
}

// checkIDs rejects the first malformed id, then all unknown ones at once.
func (h *handler) checkIDs(ids []string) *apiError {
	for _, id := range ids {
		if !wellFormedInstanceID(id) {
			return errMalformedID(id)
		}
	}
	if missing := h.sim.Missing(fleet.UniqueIDs(ids)); len(missing) > 0 {
		return errInstancesNotFound(missing)
	}
	return nil
}

// wellFormedInstanceID accepts i- followed by 8 (legacy) or 17 lowercase
// hex digits.
func wellFormedInstanceID(id string) bool {
	hex, ok := strings.CutPrefix(id, "i-")
	if !ok || (len(hex) != 8 && len(hex) != 17) {
		return false
	}
	return strings.Trim(hex, "0123456789abcdef") == ""
}

func parseMaxResults(c *call, withIDs bool) (int, *apiError) {
	v, ok := c.form["MaxResults"]
	if !ok {
		return 0, nil
	}
	if withIDs {
		return 0, badRequest("InvalidParameterCombination", "The parameter instancesSet cannot be used with the parameter maxResults")
	}
	n, err := strconv.Atoi(v[0])
	switch {
	case err != nil:
		return 0, invalidValue("Value ( %s ) for parameter maxResults is invalid. Expecting an integer.", v[0])
	case n < minMaxResults:
		return 0, invalidValue("Value ( %d ) for parameter maxResults is invalid. Expecting a value greater than %d.", n, minMaxResults)
	case n > maxMaxResults:
		return 0, invalidValue("Value ( %d ) for parameter maxResults is invalid. Expecting a value less than %d.", n, maxMaxResults)
	}
	return n, nil
}

// tokenPrefix versions the token format. A token is
// base64url("gd1:" + last instance id of the previous page): stateless,
// stable under concurrent reboots, and opaque to clients.
const tokenPrefix = "gd1:"

func encodeToken(lastID string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(tokenPrefix + lastID))
}

func decodeToken(form url.Values) (string, *apiError) {
	v, ok := form["NextToken"]
	if !ok || v[0] == "" {
		return "", nil
	}
	raw, err := base64.RawURLEncoding.DecodeString(v[0])
	id, found := strings.CutPrefix(string(raw), tokenPrefix)
	if err != nil || !found || !wellFormedInstanceID(id) {
		// Decision: EC2's wording for a bad token is not recorded.
		return "", invalidValue("The pagination token '%s' is invalid", v[0])
	}
	return id, nil
}

// page asks the simulator for one page of q: the instances that keep and
// the filters accept, and the token of the next page ("" on the last).
func (h *handler) page(q listQuery, keep func(*sim.InstanceView) bool) ([]sim.InstanceView, string) {
	views, more := h.sim.Select(sim.Query{
		IDs:   q.ids,
		After: q.after,
		Limit: q.maxResults,
		Match: func(v *sim.InstanceView) bool { return keep(v) && matchAll(q.filters, v) },
	})
	if !more {
		return views, ""
	}
	return views, encodeToken(views[len(views)-1].ID)
}
