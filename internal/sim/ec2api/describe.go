package ec2api

import (
	"encoding/xml"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"gameday/internal/sim"
)

// timeFormat is EC2's timestamp form; the "+0000" form some AWS samples
// show does not parse as RFC 3339.
const timeFormat = "2006-01-02T15:04:05.000Z"

func formatTime(t time.Time) string { return t.UTC().Format(timeFormat) }

// instanceFilters are the DescribeInstances filters served, plus tag:KEY.
var instanceFilters = filterSet{
	tags: true,
	fields: map[string]fieldFunc{
		"tag-key":             func(v sim.InstanceView) []string { return slices.Sorted(maps.Keys(v.Tags)) },
		"tag-value":           func(v sim.InstanceView) []string { return slices.Collect(maps.Values(v.Tags)) },
		"availability-zone":   one(func(v sim.InstanceView) string { return v.AZ }),
		"instance-state-name": one(func(v sim.InstanceView) string { return v.State }),
		"instance-state-code": one(func(v sim.InstanceView) string { return strconv.Itoa(v.StateCode) }),
		"instance-id":         one(func(v sim.InstanceView) string { return v.ID }),
		"instance-type":       one(func(v sim.InstanceView) string { return v.InstanceType }),
		"private-ip-address":  one(func(v sim.InstanceView) string { return v.PrivateIP }),
		"private-dns-name":    one(func(v sim.InstanceView) string { return v.PrivateDNSName }),
		"image-id":            one(func(v sim.InstanceView) string { return v.ImageID }),
		"reservation-id":      one(func(v sim.InstanceView) string { return v.ReservationID }),
		"vpc-id":              one(func(v sim.InstanceView) string { return v.VpcID }),
		"subnet-id":           one(func(v sim.InstanceView) string { return v.SubnetID }),
	},
}

type describeInstancesResponse struct {
	XMLName xml.Name `xml:"DescribeInstancesResponse"`
	ec2Header
	Reservations set[reservationXML] `xml:"reservationSet"`
	NextToken    string              `xml:"nextToken,omitempty"`
}

type reservationXML struct {
	ReservationID string           `xml:"reservationId"`
	OwnerID       string           `xml:"ownerId"`
	Groups        set[struct{}]    `xml:"groupSet"`
	Instances     set[instanceXML] `xml:"instancesSet"`
}

type instanceXML struct {
	InstanceID         string       `xml:"instanceId"`
	ImageID            string       `xml:"imageId"`
	State              stateXML     `xml:"instanceState"`
	PrivateDNSName     string       `xml:"privateDnsName"`
	DNSName            string       `xml:"dnsName"`
	Reason             string       `xml:"reason"`
	InstanceType       string       `xml:"instanceType"`
	LaunchTime         string       `xml:"launchTime"`
	Placement          placementXML `xml:"placement"`
	SubnetID           string       `xml:"subnetId"`
	VpcID              string       `xml:"vpcId"`
	PrivateIPAddress   string       `xml:"privateIpAddress"`
	Architecture       string       `xml:"architecture"`
	RootDeviceType     string       `xml:"rootDeviceType"`
	VirtualizationType string       `xml:"virtualizationType"`
	Tags               set[tagXML]  `xml:"tagSet"`
}

type stateXML struct {
	Code int    `xml:"code"`
	Name string `xml:"name"`
}

type placementXML struct {
	AvailabilityZone string `xml:"availabilityZone"`
	GroupName        string `xml:"groupName"`
	Tenancy          string `xml:"tenancy"`
}

type tagXML struct {
	Key   string `xml:"key"`
	Value string `xml:"value"`
}

func (h *handler) describeInstances(c *call) (any, *apiError) {
	q, apiErr := h.parseListQuery(c, instanceFilters, 0)
	if apiErr != nil {
		return nil, apiErr
	}
	matched := selectViews(h.sim.Describe(), q, func(sim.InstanceView) bool { return true })
	views, next := page(matched, q)
	return describeInstancesResponse{
		ec2Header:    c.ec2Header(),
		Reservations: set[reservationXML]{Items: h.reservations(views)},
		NextToken:    next,
	}, nil
}

// reservations groups a page by reservation, in order of first appearance;
// instances keep their id order inside each.
func (h *handler) reservations(views []sim.InstanceView) []reservationXML {
	var out []reservationXML
	index := map[string]int{}
	for _, v := range views {
		i, ok := index[v.ReservationID]
		if !ok {
			i = len(out)
			index[v.ReservationID] = i
			out = append(out, reservationXML{ReservationID: v.ReservationID, OwnerID: h.sim.AccountID()})
		}
		out[i].Instances.Items = append(out[i].Instances.Items, instanceToXML(v))
	}
	return out
}

func instanceToXML(v sim.InstanceView) instanceXML {
	return instanceXML{
		InstanceID:         v.ID,
		ImageID:            v.ImageID,
		State:              stateXML{Code: v.StateCode, Name: v.State},
		PrivateDNSName:     v.PrivateDNSName,
		InstanceType:       v.InstanceType,
		LaunchTime:         formatTime(v.LaunchTime),
		Placement:          placementXML{AvailabilityZone: v.AZ, Tenancy: "default"},
		SubnetID:           v.SubnetID,
		VpcID:              v.VpcID,
		PrivateIPAddress:   v.PrivateIP,
		Architecture:       "x86_64",
		RootDeviceType:     "ebs",
		VirtualizationType: "hvm",
		Tags:               set[tagXML]{Items: tagsToXML(v.Tags)},
	}
}

// tagsToXML sorts tags by key so responses are byte-for-byte repeatable.
func tagsToXML(tags map[string]string) []tagXML {
	out := make([]tagXML, 0, len(tags))
	for k, v := range tags {
		out = append(out, tagXML{Key: k, Value: v})
	}
	slices.SortFunc(out, func(a, b tagXML) int { return strings.Compare(a.Key, b.Key) })
	return out
}
