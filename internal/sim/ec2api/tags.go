package ec2api

import (
	"encoding/xml"
	"fmt"
	"strings"

	"gameday/internal/sim"
)

// EC2's limits on a tag.
const (
	maxTagKeyLength   = 128
	maxTagValueLength = 256
)

type tagsResponse struct {
	XMLName xml.Name
	ec2Header
	Return bool `xml:"return"`
}

// createTags adds or overwrites tags on instances, all or nothing.
func (h *handler) createTags(c *call) (any, *apiError) {
	var members []member
	ids, apiErr := h.tagTargets(c, func() (apiErr *apiError) {
		members, apiErr = parseTags(c, true)
		return apiErr
	})
	if apiErr != nil {
		return nil, apiErr
	}
	if apiErr := h.authorize(c); apiErr != nil {
		return nil, apiErr
	}
	tags := make([]sim.Tag, len(members))
	for i, m := range members {
		tags[i] = sim.Tag{Key: m.fields["Key"], Value: m.fields["Value"]}
	}
	if err := h.sim.CreateTags(ids, tags); err != nil {
		return nil, errFromSim(err)
	}
	return tagsResponse{XMLName: xml.Name{Local: "CreateTagsResponse"}, ec2Header: c.ec2Header(), Return: true}, nil
}

// deleteTags removes tags from instances: a tag sent with a value only
// while it has that value (an empty value included), one sent without a
// value whatever it has, and every tag when none is sent.
func (h *handler) deleteTags(c *call) (any, *apiError) {
	var members []member
	ids, apiErr := h.tagTargets(c, func() (apiErr *apiError) {
		members, apiErr = parseTags(c, false)
		return apiErr
	})
	if apiErr != nil {
		return nil, apiErr
	}
	if apiErr := h.authorize(c); apiErr != nil {
		return nil, apiErr
	}
	matches := make([]sim.TagMatch, len(members))
	for i, m := range members {
		matches[i] = sim.TagMatch{Key: m.fields["Key"]}
		if v, ok := m.fields["Value"]; ok {
			matches[i].Value = &v
		}
	}
	if err := h.sim.DeleteTags(ids, matches); err != nil {
		return nil, errFromSim(err)
	}
	return tagsResponse{XMLName: xml.Name{Local: "DeleteTagsResponse"}, ec2Header: c.ec2Header(), Return: true}, nil
}

// tagTargets reads ResourceId.N (into the call, for the audit), DryRun and
// the tags (params), then checks the ids. The simulator tags instances
// only: another kind of id is not valid here.
func (h *handler) tagTargets(c *call, params func() *apiError) ([]string, *apiError) {
	ids, apiErr := parseIndexed(c.form, "ResourceId")
	if apiErr != nil {
		return nil, apiErr
	}
	c.ids = ids
	if c.dryRun, apiErr = parseBool(c.form, "DryRun"); apiErr != nil {
		return nil, apiErr
	}
	if apiErr := params(); apiErr != nil {
		return nil, apiErr
	}
	if len(ids) == 0 {
		return nil, missingParameter("ResourceId")
	}
	for _, id := range ids {
		if !strings.HasPrefix(id, "i-") {
			return nil, badRequest("InvalidID", "The ID '%s' is not valid", id)
		}
	}
	return ids, h.checkIDs(ids)
}

// parseTags reads Tag.N.Key and Tag.N.Value and checks them as EC2 does.
// Decision: the wording of length errors is not recorded in ec2-api.md.
func parseTags(c *call, required bool) ([]member, *apiError) {
	members, apiErr := parseMembers(c.form, "Tag", "Key", "Value")
	if apiErr != nil {
		return nil, apiErr
	}
	if required && len(members) == 0 {
		return nil, missingParameter("Tag")
	}
	for _, m := range members {
		key, ok := m.fields["Key"]
		switch {
		case !ok:
			return nil, missingParameter(fmt.Sprintf("Tag.%d.Key", m.n))
		case strings.HasPrefix(key, "aws:"):
			return nil, invalidValue("Value ( %s ) for parameter key is invalid. Tag keys starting with 'aws:' are reserved for internal use", key)
		case key == "" || len(key) > maxTagKeyLength:
			return nil, invalidValue("Value ( %s ) for parameter key is invalid. Tag keys must be 1 to %d characters long", key, maxTagKeyLength)
		case len(m.fields["Value"]) > maxTagValueLength:
			return nil, invalidValue("Value for tag %s is invalid. Tag values must be at most %d characters long", key, maxTagValueLength)
		}
	}
	return members, nil
}
