package ec2api

import (
	"encoding/xml"
	"slices"
)

type describeAvailabilityZonesResponse struct {
	XMLName xml.Name `xml:"DescribeAvailabilityZonesResponse"`
	ec2Header
	Zones set[zoneXML] `xml:"availabilityZoneInfo"`
}

type zoneXML struct {
	ZoneName           string        `xml:"zoneName"`
	ZoneState          string        `xml:"zoneState"`
	RegionName         string        `xml:"regionName"`
	Messages           set[struct{}] `xml:"messageSet"`
	OptInStatus        string        `xml:"optInStatus"`
	ZoneID             string        `xml:"zoneId"`
	GroupName          string        `xml:"groupName"`
	NetworkBorderGroup string        `xml:"networkBorderGroup"`
	ZoneType           string        `xml:"zoneType"`
}

// zoneFilters are the DescribeAvailabilityZones filters served.
var zoneFilters = filterSet[zoneXML]{fields: map[string]fieldFunc[zoneXML]{
	"zone-name":            one(func(z *zoneXML) string { return z.ZoneName }),
	"zone-id":              one(func(z *zoneXML) string { return z.ZoneID }),
	"state":                one(func(z *zoneXML) string { return z.ZoneState }),
	"region-name":          one(func(z *zoneXML) string { return z.RegionName }),
	"zone-type":            one(func(z *zoneXML) string { return z.ZoneType }),
	"group-name":           one(func(z *zoneXML) string { return z.GroupName }),
	"opt-in-status":        one(func(z *zoneXML) string { return z.OptInStatus }),
	"network-border-group": one(func(z *zoneXML) string { return z.NetworkBorderGroup }),
}}

// describeAvailabilityZones lists the zones the fleet has instances in, all
// available. Decision: a zone name or id the fleet does not use is refused
// like one that does not exist; EC2's wording for ids is not recorded.
func (h *handler) describeAvailabilityZones(c *call) (any, *apiError) {
	names, ids, filters, apiErr := parseZoneQuery(c)
	if apiErr != nil {
		return nil, apiErr
	}
	all := h.zones()
	for _, name := range names {
		if !slices.ContainsFunc(all, func(z zoneXML) bool { return z.ZoneName == name }) {
			return nil, invalidValue("Invalid availability zone: [%s]", name)
		}
	}
	for _, id := range ids {
		if !slices.ContainsFunc(all, func(z zoneXML) bool { return z.ZoneID == id }) {
			return nil, invalidValue("Invalid availability zone ID: [%s]", id)
		}
	}
	if apiErr := h.authorize(c); apiErr != nil {
		return nil, apiErr
	}
	resp := describeAvailabilityZonesResponse{ec2Header: c.ec2Header()}
	for _, z := range all {
		named := (len(names) == 0 && len(ids) == 0) || slices.Contains(names, z.ZoneName) || slices.Contains(ids, z.ZoneID)
		if named && matchAll(filters, &z) {
			resp.Zones.Items = append(resp.Zones.Items, z)
		}
	}
	return resp, nil
}

func parseZoneQuery(c *call) (names, ids []string, filters []filter[zoneXML], apiErr *apiError) {
	if c.dryRun, apiErr = parseBool(c.form, "DryRun"); apiErr != nil {
		return nil, nil, nil, apiErr
	}
	if _, apiErr = parseBool(c.form, "AllAvailabilityZones"); apiErr != nil {
		return nil, nil, nil, apiErr
	}
	if names, apiErr = parseIndexed(c.form, "ZoneName"); apiErr != nil {
		return nil, nil, nil, apiErr
	}
	if ids, apiErr = parseIndexed(c.form, "ZoneId"); apiErr != nil {
		return nil, nil, nil, apiErr
	}
	raw, apiErr := parseFilters(c.form)
	if apiErr != nil {
		return nil, nil, nil, apiErr
	}
	filters, apiErr = zoneFilters.compile(raw)
	return names, ids, filters, apiErr
}

func (h *handler) zones() []zoneXML {
	region := h.sim.Region()
	var out []zoneXML
	for _, z := range h.sim.Zones() {
		out = append(out, zoneXML{
			ZoneName: z.Name, ZoneState: "available", RegionName: region, OptInStatus: "opt-in-not-required",
			ZoneID: z.ID, GroupName: region, NetworkBorderGroup: region, ZoneType: "availability-zone",
		})
	}
	return out
}
