package ec2api_test

import (
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"gameday/internal/fleet"
)

func filter(name string, values ...string) types.Filter {
	return types.Filter{Name: aws.String(name), Values: values}
}

// describeIDs runs DescribeInstances through the SDK paginator and returns
// the sorted ids and the number of pages.
func (e *env) describeIDs(t *testing.T, in *ec2.DescribeInstancesInput) ([]string, int) {
	t.Helper()
	var ids []string
	pages := 0
	p := ec2.NewDescribeInstancesPaginator(e.ec2, in)
	for p.HasMorePages() {
		out, err := p.NextPage(ctx(t))
		if err != nil {
			t.Fatalf("DescribeInstances: %v", err)
		}
		pages++
		for _, r := range out.Reservations {
			for _, inst := range r.Instances {
				ids = append(ids, aws.ToString(inst.InstanceId))
			}
		}
	}
	slices.Sort(ids)
	return ids, pages
}

func TestDescribeInstancesFilters(t *testing.T) {
	e := newEnv(t, false)
	all := e.idsWhere(func(fleet.Instance) bool { return true })
	first := e.sim.Instances()[0]
	tests := []struct {
		name    string
		filters []types.Filter
		want    []string
	}{
		{"opt-in tag", []types.Filter{filter("tag:gameday", "opt-in")},
			e.idsWhere(func(in fleet.Instance) bool { return in.HasTag("gameday", "opt-in") })},
		{"filters AND", []types.Filter{filter("tag:app", "web"), filter("tag:gameday", "opt-in")},
			e.idsOfGroup("web")},
		{"values OR", []types.Filter{filter("tag:app", "web", "worker")}, all},
		{"availability zone", []types.Filter{filter("availability-zone", "us-east-1b")},
			e.idsWhere(func(in fleet.Instance) bool { return in.AZ == "us-east-1b" })},
		{"state running", []types.Filter{filter("instance-state-name", "running")}, all},
		{"state stopped", []types.Filter{filter("instance-state-name", "stopped")}, nil},
		{"wildcard star", []types.Filter{filter("tag:Name", "worker-*")}, e.idsOfGroup("worker")},
		{"star spans dashes", []types.Filter{filter("tag:Name", "web-*")},
			append(e.idsOfGroup("web"), e.idsOfGroup("web-legacy")...)},
		{"wildcard question", []types.Filter{filter("tag:Name", "web-0?")}, e.idsOfGroup("web")},
		{"case-sensitive", []types.Filter{filter("tag:app", "WEB")}, nil},
		{"tag-key", []types.Filter{filter("tag-key", "gameday")},
			e.idsWhere(func(in fleet.Instance) bool { _, ok := in.Tags["gameday"]; return ok })},
		{"missing tag key", []types.Filter{filter("tag:owner", "*")}, nil},
		{"instance type", []types.Filter{filter("instance-type", "m5.large")}, e.idsOfGroup("worker")},
		{"instance id", []types.Filter{filter("instance-id", first.ID)}, []string{first.ID}},
		{"private ip", []types.Filter{filter("private-ip-address", first.PrivateIP)}, []string{first.ID}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, _ := e.describeIDs(t, &ec2.DescribeInstancesInput{Filters: tt.filters})
			want := slices.Sorted(slices.Values(tt.want))
			if !slices.Equal(got, want) {
				t.Errorf("got %d ids %v\nwant %d ids %v", len(got), got, len(want), want)
			}
		})
	}
}

func TestDescribeInstancesPaginates(t *testing.T) {
	e := newEnv(t, false)
	tests := []struct {
		name      string
		filters   []types.Filter
		want      []string
		wantPages int
	}{
		{"all", nil, e.idsWhere(func(fleet.Instance) bool { return true }), 3},
		{"opted in", []types.Filter{filter("tag:gameday", "opt-in")},
			e.idsWhere(func(in fleet.Instance) bool { return in.HasTag("gameday", "opt-in") }), 3},
		{"one page", []types.Filter{filter("tag:Name", "web-legacy-*")}, e.idsOfGroup("web-legacy"), 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, pages := e.describeIDs(t, &ec2.DescribeInstancesInput{Filters: tt.filters, MaxResults: aws.Int32(5)})
			if !slices.Equal(got, tt.want) {
				t.Errorf("got ids %v\nwant %v", got, tt.want)
			}
			if pages != tt.wantPages {
				t.Errorf("got %d pages, want %d", pages, tt.wantPages)
			}
		})
	}
}

func TestDescribeInstancesFields(t *testing.T) {
	e := newEnv(t, false)
	want := e.sim.Describe()[0]
	out, err := e.ec2.DescribeInstances(ctx(t), &ec2.DescribeInstancesInput{InstanceIds: []string{want.ID}})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Reservations) != 1 || len(out.Reservations[0].Instances) != 1 {
		t.Fatalf("got %d reservations, want 1 with 1 instance", len(out.Reservations))
	}
	r := out.Reservations[0]
	got := r.Instances[0]
	checks := []struct{ field, got, want string }{
		{"owner", aws.ToString(r.OwnerId), testAccount},
		{"reservation", aws.ToString(r.ReservationId), want.ReservationID},
		{"state", string(got.State.Name), "running"},
		{"az", aws.ToString(got.Placement.AvailabilityZone), want.AZ},
		{"private ip", aws.ToString(got.PrivateIpAddress), want.PrivateIP},
		{"private dns", aws.ToString(got.PrivateDnsName), want.PrivateDNSName},
		{"type", string(got.InstanceType), want.InstanceType},
		{"vpc", aws.ToString(got.VpcId), want.VpcID},
		{"subnet", aws.ToString(got.SubnetId), want.SubnetID},
		{"launch", aws.ToTime(got.LaunchTime).UTC().String(), want.LaunchTime.UTC().String()},
	}
	for _, c := range checks {
		if c.got != c.want || c.want == "" {
			t.Errorf("%s = %q, want %q", c.field, c.got, c.want)
		}
	}
	if aws.ToInt32(got.State.Code) != 16 {
		t.Errorf("state code %d, want 16", aws.ToInt32(got.State.Code))
	}
	tags := map[string]string{}
	for _, tag := range got.Tags {
		tags[aws.ToString(tag.Key)] = aws.ToString(tag.Value)
	}
	if len(tags) != len(want.Tags) || tags["Name"] != want.Tags["Name"] {
		t.Errorf("tags %v, want %v", tags, want.Tags)
	}
}

func TestDescribeErrors(t *testing.T) {
	e := newEnv(t, false)
	known := e.sim.Instances()[0].ID
	tests := []struct {
		name          string
		in            *ec2.DescribeInstancesInput
		code, message string
	}{
		{"malformed id", &ec2.DescribeInstancesInput{InstanceIds: []string{known, "web-01"}},
			"InvalidInstanceID.Malformed", `Invalid id: "web-01"`},
		{"uppercase hex", &ec2.DescribeInstancesInput{InstanceIds: []string{"i-0123456789ABCDEF0"}},
			"InvalidInstanceID.Malformed", ""},
		{"unknown id", &ec2.DescribeInstancesInput{InstanceIds: []string{known, "i-1a2b3c4d"}},
			"InvalidInstanceID.NotFound", "The instance ID 'i-1a2b3c4d' does not exist"},
		{"unknown ids", &ec2.DescribeInstancesInput{InstanceIds: []string{"i-1a2b3c4d", "i-0123456789abcdef0"}},
			"InvalidInstanceID.NotFound", "The instance IDs 'i-1a2b3c4d, i-0123456789abcdef0' do not exist"},
		{"max results too small", &ec2.DescribeInstancesInput{MaxResults: aws.Int32(3)},
			"InvalidParameterValue", "Value ( 3 ) for parameter maxResults is invalid. Expecting a value greater than 5."},
		{"max results too large", &ec2.DescribeInstancesInput{MaxResults: aws.Int32(1001)}, "InvalidParameterValue", ""},
		{"max results with ids", &ec2.DescribeInstancesInput{MaxResults: aws.Int32(5), InstanceIds: []string{known}},
			"InvalidParameterCombination", "The parameter instancesSet cannot be used with the parameter maxResults"},
		{"unknown filter", &ec2.DescribeInstancesInput{Filters: []types.Filter{filter("colour", "red")}},
			"InvalidParameterValue", "The filter 'colour' is invalid"},
		{"bad token", &ec2.DescribeInstancesInput{NextToken: aws.String("tok-2")}, "InvalidParameterValue", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.ec2.DescribeInstances(ctx(t), tt.in)
			wantAPIError(t, err, tt.code, tt.message)
		})
	}
}
