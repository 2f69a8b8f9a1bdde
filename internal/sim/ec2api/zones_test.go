package ec2api_test

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"gameday/internal/fleet"
)

func TestDescribeAvailabilityZones(t *testing.T) {
	e := newEnv(t, false)
	out, err := e.ec2.DescribeAvailabilityZones(ctx(t), &ec2.DescribeAvailabilityZonesInput{})
	if err != nil {
		t.Fatal(err)
	}
	want := [][2]string{{"us-east-1a", "use1-az1"}, {"us-east-1b", "use1-az2"}, {"us-east-1c", "use1-az3"}}
	if len(out.AvailabilityZones) != len(want) {
		t.Fatalf("got %d zones, want %d", len(out.AvailabilityZones), len(want))
	}
	for i, z := range out.AvailabilityZones {
		if aws.ToString(z.ZoneName) != want[i][0] || aws.ToString(z.ZoneId) != want[i][1] ||
			z.State != types.AvailabilityZoneStateAvailable || aws.ToString(z.RegionName) != "us-east-1" ||
			aws.ToString(z.ZoneType) != "availability-zone" {
			t.Errorf("zone %d: %+v, want %v available in us-east-1", i, z, want[i])
		}
	}
	one, err := e.ec2.DescribeAvailabilityZones(ctx(t), &ec2.DescribeAvailabilityZonesInput{
		ZoneNames: []string{"us-east-1a", "us-east-1c"}, Filters: []types.Filter{filter("zone-id", "*az3")}})
	if err != nil || len(one.AvailabilityZones) != 1 || aws.ToString(one.AvailabilityZones[0].ZoneName) != "us-east-1c" {
		t.Errorf("names a,c with zone-id *az3: %+v, %v; want us-east-1c", one, err)
	}
	_, err = e.ec2.DescribeAvailabilityZones(ctx(t), &ec2.DescribeAvailabilityZonesInput{ZoneNames: []string{"us-east-1z"}})
	wantAPIError(t, err, "InvalidParameterValue", "Invalid availability zone: [us-east-1z]")
	_, err = e.ec2.DescribeAvailabilityZones(ctx(t), &ec2.DescribeAvailabilityZonesInput{Filters: []types.Filter{filter("colour", "x")}})
	wantAPIError(t, err, "InvalidParameterValue", "The filter 'colour' is invalid")
}

func TestDescribeInstancesNetworkFilters(t *testing.T) {
	spec := testFleet()
	spec.Groups[1].PublicIP = true // the workers
	e := newEnvWith(t, spec, false)
	v := e.sim.Describe()
	var worker, web = v[0], v[0]
	for _, x := range v {
		switch x.Group {
		case "worker":
			worker = x
		case "web":
			web = x
		}
	}
	all := e.idsWhere(func(fleet.Instance) bool { return true })
	tests := []struct {
		name string
		f    types.Filter
		want int
	}{
		{"vpc-id", filter("vpc-id", web.VpcID), len(all)},
		{"subnet-id", filter("subnet-id", web.SubnetID), len(e.idsWhere(func(in fleet.Instance) bool { return in.AZ == web.AZ }))},
		{"ip-address", filter("ip-address", worker.PublicIP), 1},
		{"any public ip", filter("ip-address", "127.*"), 4},
		{"availability-zone-id", filter("availability-zone-id", "use1-az3"), len(e.idsWhere(func(in fleet.Instance) bool { return in.AZ == "us-east-1c" }))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, _ := e.describeIDs(t, &ec2.DescribeInstancesInput{Filters: []types.Filter{tt.f}})
			if len(got) != tt.want || tt.want == 0 {
				t.Errorf("got %d instances, want %d", len(got), tt.want)
			}
		})
	}
	got := e.describeOne(t, worker.ID)
	if aws.ToString(got.PublicIpAddress) != worker.PublicIP || aws.ToString(got.PublicDnsName) != worker.PublicDNSName ||
		aws.ToString(got.Placement.AvailabilityZoneId) != worker.AvailabilityZoneID {
		t.Errorf("worker: public %s %s zone id %s, want %s %s %s", aws.ToString(got.PublicIpAddress), aws.ToString(got.PublicDnsName),
			aws.ToString(got.Placement.AvailabilityZoneId), worker.PublicIP, worker.PublicDNSName, worker.AvailabilityZoneID)
	}
}
