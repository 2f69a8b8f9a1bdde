package ec2api

import (
	"encoding/xml"
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

// view is the type DescribeInstances and DescribeInstanceStatus filter.
type view = sim.InstanceView

// instanceFilters are the DescribeInstances filters served, plus tag:KEY.
var instanceFilters = filterSet[view]{
	tag: tagValue,
	fields: map[string]fieldFunc[view]{
		"tag-key":              eachTag(true),
		"tag-value":            eachTag(false),
		"availability-zone":    one(func(v *view) string { return v.AZ }),
		"availability-zone-id": one(func(v *view) string { return v.AvailabilityZoneID }),
		"instance-state-name":  one(func(v *view) string { return v.State }),
		"instance-state-code":  one(func(v *view) string { return strconv.Itoa(v.StateCode) }),
		"instance-id":          one(func(v *view) string { return v.ID }),
		"instance-type":        one(func(v *view) string { return v.InstanceType }),
		"private-ip-address":   one(func(v *view) string { return v.PrivateIP }),
		"private-dns-name":     one(func(v *view) string { return v.PrivateDNSName }),
		"ip-address":           one(func(v *view) string { return v.PublicIP }),
		"dns-name":             one(func(v *view) string { return v.PublicDNSName }),
		"image-id":             one(func(v *view) string { return v.ImageID }),
		"reservation-id":       one(func(v *view) string { return v.ReservationID }),
		"vpc-id":               one(func(v *view) string { return v.VpcID }),
		"subnet-id":            one(func(v *view) string { return v.SubnetID }),
		"state-reason-code":    one(func(v *view) string { return stateReasonCode(v) }),
	},
}

func stateReasonCode(v *view) string {
	if v.StateReason == nil {
		return ""
	}
	return v.StateReason.Code
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
	StateReason        *reasonXML   `xml:"stateReason,omitempty"`
	InstanceType       string       `xml:"instanceType"`
	LaunchTime         string       `xml:"launchTime"`
	Placement          placementXML `xml:"placement"`
	SubnetID           string       `xml:"subnetId"`
	VpcID              string       `xml:"vpcId"`
	PrivateIPAddress   string       `xml:"privateIpAddress"`
	IPAddress          string       `xml:"ipAddress,omitempty"`
	Architecture       string       `xml:"architecture"`
	RootDeviceType     string       `xml:"rootDeviceType"`
	VirtualizationType string       `xml:"virtualizationType"`
	Tags               set[tagXML]  `xml:"tagSet"`
}

type stateXML struct {
	Code int    `xml:"code"`
	Name string `xml:"name"`
}

type reasonXML struct {
	Code    string `xml:"code"`
	Message string `xml:"message"`
}

type placementXML struct {
	AvailabilityZone   string `xml:"availabilityZone"`
	AvailabilityZoneID string `xml:"availabilityZoneId"`
	GroupName          string `xml:"groupName"`
	Tenancy            string `xml:"tenancy"`
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
	views, next := h.page(q, func(*view) bool { return true })
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
	var reason *reasonXML
	if v.StateReason != nil {
		reason = &reasonXML{Code: v.StateReason.Code, Message: v.StateReason.Message}
	}
	return instanceXML{
		InstanceID:         v.ID,
		ImageID:            v.ImageID,
		State:              stateXML{Code: v.StateCode, Name: v.State},
		PrivateDNSName:     v.PrivateDNSName,
		DNSName:            v.PublicDNSName,
		Reason:             v.StateTransitionReason,
		StateReason:        reason,
		InstanceType:       v.InstanceType,
		LaunchTime:         formatTime(v.LaunchTime),
		Placement:          placementXML{AvailabilityZone: v.AZ, AvailabilityZoneID: v.AvailabilityZoneID, Tenancy: "default"},
		SubnetID:           v.SubnetID,
		VpcID:              v.VpcID,
		PrivateIPAddress:   v.PrivateIP,
		IPAddress:          v.PublicIP,
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
