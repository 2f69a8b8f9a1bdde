package ec2api

import (
	"encoding/xml"
	"slices"

	"gameday/internal/sim"
)

// A target group's health check settings: ELB's defaults for an HTTP
// target group of instances (interval 30 s, timeout 5 s, 5 successes to
// be healthy, 2 failures to be unhealthy, 200 expected). The simulator
// reports health without that lag (sim.Sim.TargetHealth).
const (
	elbHealthCheckInterval = 30
	elbHealthCheckTimeout  = 5
	elbHealthyThreshold    = 5
	elbUnhealthyThreshold  = 2
	elbTrafficPort         = "traffic-port"
)

type elbTargetGroup struct {
	TargetGroupArn             string
	TargetGroupName            string
	Protocol                   string
	ProtocolVersion            string
	Port                       int
	VpcId                      string
	HealthCheckProtocol        string
	HealthCheckPort            string
	HealthCheckEnabled         bool
	HealthCheckIntervalSeconds int
	HealthCheckTimeoutSeconds  int
	HealthyThresholdCount      int
	UnhealthyThresholdCount    int
	HealthCheckPath            string
	Matcher                    struct{ HttpCode string }
	LoadBalancerArns           []string `xml:"LoadBalancerArns>member"`
	TargetType                 string
	IpAddressType              string
}

type describeTargetGroupsResult struct {
	XMLName      xml.Name         `xml:"DescribeTargetGroupsResult"`
	TargetGroups []elbTargetGroup `xml:"TargetGroups>member"`
	NextMarker   string           `xml:",omitempty"`
}

// describeTargetGroups lists the fleet's services as target groups: all of
// them, or those named by Names, TargetGroupArns or LoadBalancerArn. Any
// name or ARN that matches nothing fails the whole call, as ELB does.
func (h *handler) describeTargetGroups(c *call) (any, *apiError) {
	if apiErr := onlyOne(c, "Names", "TargetGroupArns", "LoadBalancerArn"); apiErr != nil {
		return nil, apiErr
	}
	page, apiErr := parseELBPage(c)
	if apiErr != nil {
		return nil, apiErr
	}
	services, apiErr := h.selectServices(c, "TargetGroupArns", func(v sim.ServiceView) string { return v.TargetGroupARN }, errTargetGroupNotFound)
	if apiErr != nil {
		return nil, apiErr
	}
	if lb := c.form.Get("LoadBalancerArn"); lb != "" {
		services = slices.DeleteFunc(services, func(v sim.ServiceView) bool { return v.LoadBalancerARN != lb })
		if len(services) == 0 {
			return nil, errLoadBalancerNotFound()
		}
	}
	var result describeTargetGroupsResult
	for _, v := range pageOf(page, services, &result.NextMarker) {
		result.TargetGroups = append(result.TargetGroups, targetGroupOf(v))
	}
	return newELBResponse(c, result), nil
}

func targetGroupOf(v sim.ServiceView) elbTargetGroup {
	tg := elbTargetGroup{
		TargetGroupArn: v.TargetGroupARN, TargetGroupName: v.Name,
		Protocol: "HTTP", ProtocolVersion: "HTTP1", Port: v.TargetPort, VpcId: v.VpcID,
		HealthCheckProtocol: "HTTP", HealthCheckPort: elbTrafficPort, HealthCheckEnabled: true,
		HealthCheckIntervalSeconds: elbHealthCheckInterval, HealthCheckTimeoutSeconds: elbHealthCheckTimeout,
		HealthyThresholdCount: elbHealthyThreshold, UnhealthyThresholdCount: elbUnhealthyThreshold,
		HealthCheckPath:  v.HealthCheckPath,
		LoadBalancerArns: []string{v.LoadBalancerARN},
		TargetType:       "instance", IpAddressType: "ipv4",
	}
	tg.Matcher.HttpCode = "200"
	return tg
}

// selectServices returns every service, or those named by Names.member.N
// or by arnParam.member.N (matched against arnOf), in fleet order; any that
// matches nothing gives notFound.
func (h *handler) selectServices(c *call, arnParam string, arnOf func(sim.ServiceView) string, notFound func() *apiError) ([]sim.ServiceView, *apiError) {
	all := h.sim.Services()
	names, apiErr := memberList(c, "Names")
	if apiErr != nil {
		return nil, apiErr
	}
	arns, apiErr := memberList(c, arnParam)
	if apiErr != nil {
		return nil, apiErr
	}
	if len(names) == 0 && len(arns) == 0 {
		return all, nil
	}
	var out []sim.ServiceView
	for _, v := range all {
		if slices.Contains(names, v.Name) || slices.Contains(arns, arnOf(v)) {
			out = append(out, v)
		}
	}
	if len(out) < len(uniqueStrings(names))+len(uniqueStrings(arns)) {
		return nil, notFound()
	}
	return out, nil
}

func uniqueStrings(values []string) []string {
	out := slices.Clone(values)
	slices.Sort(out)
	return slices.Compact(out)
}

// pageOf cuts one page of services by name, setting *next to the marker
// of the following page.
func pageOf(p elbPage, services []sim.ServiceView, next *string) []sim.ServiceView {
	names := make([]string, len(services))
	for i, v := range services {
		names[i] = v.Name
	}
	kept, marker := p.cut(names)
	*next = marker
	return slices.DeleteFunc(slices.Clone(services), func(v sim.ServiceView) bool { return !slices.Contains(kept, v.Name) })
}

type elbLoadBalancer struct {
	LoadBalancerArn   string
	LoadBalancerName  string
	DNSName           string
	CreatedTime       string
	Scheme            string
	VpcId             string
	State             struct{ Code string }
	Type              string
	IpAddressType     string
	AvailabilityZones []elbZone `xml:"AvailabilityZones>member"`
}

type elbZone struct {
	ZoneName string
	SubnetId string
}

type describeLoadBalancersResult struct {
	XMLName       xml.Name          `xml:"DescribeLoadBalancersResult"`
	LoadBalancers []elbLoadBalancer `xml:"LoadBalancers>member"`
	NextMarker    string            `xml:",omitempty"`
}

// describeLoadBalancers lists one internal application load balancer per
// service. Decision: its DNSName is the service's loopback address (a host
// name with a port is not a DNS name), so http://DNSName:PORT/ reaches the
// service; the port is the service's (fleet file `port`).
func (h *handler) describeLoadBalancers(c *call) (any, *apiError) {
	if apiErr := onlyOne(c, "Names", "LoadBalancerArns"); apiErr != nil {
		return nil, apiErr
	}
	page, apiErr := parseELBPage(c)
	if apiErr != nil {
		return nil, apiErr
	}
	services, apiErr := h.selectServices(c, "LoadBalancerArns", func(v sim.ServiceView) string { return v.LoadBalancerARN }, errLoadBalancerNotFound)
	if apiErr != nil {
		return nil, apiErr
	}
	var result describeLoadBalancersResult
	for _, v := range pageOf(page, services, &result.NextMarker) {
		result.LoadBalancers = append(result.LoadBalancers, loadBalancerOf(v))
	}
	return newELBResponse(c, result), nil
}

func loadBalancerOf(v sim.ServiceView) elbLoadBalancer {
	lb := elbLoadBalancer{
		LoadBalancerArn: v.LoadBalancerARN, LoadBalancerName: v.Name, DNSName: v.Host,
		CreatedTime: formatTime(v.CreatedTime), Scheme: "internal", VpcId: v.VpcID,
		Type: "application", IpAddressType: "ipv4",
	}
	lb.State.Code = "active"
	for _, z := range v.Zones {
		lb.AvailabilityZones = append(lb.AvailabilityZones, elbZone{ZoneName: z.Name, SubnetId: z.SubnetID})
	}
	return lb
}
