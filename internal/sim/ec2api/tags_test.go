package ec2api_test

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

func tag(key, value string) types.Tag {
	return types.Tag{Key: aws.String(key), Value: aws.String(value)}
}

func TestTagsCreateDeleteAndFilter(t *testing.T) {
	e := newEnv(t, false)
	legacy := e.idsOfGroup("web-legacy")
	ids := func(filters ...types.Filter) []string {
		got, _ := e.describeIDs(t, &ec2.DescribeInstancesInput{Filters: filters})
		return got
	}
	_, err := e.ec2.CreateTags(ctx(t), &ec2.CreateTagsInput{Resources: legacy[:2],
		Tags: []types.Tag{tag("gameday", "opt-in"), tag("owner", "sre"), tag("note", "")}})
	if err != nil {
		t.Fatal(err)
	}
	if got := ids(filter("tag:owner", "sre")); len(got) != 2 {
		t.Errorf("tag:owner=sre finds %v, want the 2 tagged", got)
	}
	if got := ids(filter("tag:app", "web"), filter("tag:gameday", "opt-in")); len(got) != len(e.idsOfGroup("web"))+2 {
		t.Errorf("opted-in web hosts: %d, want the web group and 2 legacy ones", len(got))
	}
	if got := ids(filter("tag-key", "note")); len(got) != 2 {
		t.Errorf("tag-key note finds %v", got)
	}

	del := func(in *ec2.DeleteTagsInput) {
		t.Helper()
		if _, err := e.ec2.DeleteTags(ctx(t), in); err != nil {
			t.Fatal(err)
		}
	}
	// A value that differs keeps the tag; an empty value matches only empty.
	del(&ec2.DeleteTagsInput{Resources: legacy[:2], Tags: []types.Tag{tag("owner", "someone-else"), tag("note", "")}})
	if len(ids(filter("tag:owner", "sre"))) != 2 || len(ids(filter("tag-key", "note"))) != 0 {
		t.Error("DeleteTags with values removed the wrong tags")
	}
	// Without a value the key goes whatever its value.
	del(&ec2.DeleteTagsInput{Resources: legacy[:1], Tags: []types.Tag{{Key: aws.String("owner")}}})
	if got := ids(filter("tag:owner", "*")); len(got) != 1 || got[0] != legacy[1] {
		t.Errorf("tag:owner after deleting one: %v, want [%s]", got, legacy[1])
	}
	// Without tags every tag goes.
	del(&ec2.DeleteTagsInput{Resources: legacy[1:2]})
	if tags := e.describeOne(t, legacy[1]).Tags; len(tags) != 0 {
		t.Errorf("tags after DeleteTags of all: %v", tags)
	}
	if n := e.sim.CallCounts("CreateTags")[legacy[0]]; n != 1 {
		t.Errorf("audit counts %d CreateTags of %s, want 1", n, legacy[0])
	}
}

func TestTagErrors(t *testing.T) {
	e := newEnv(t, false)
	id := e.idsOfGroup("web")[0]
	tests := []struct {
		name          string
		resources     []string
		tags          []types.Tag
		code, message string
	}{
		{"reserved prefix", []string{id}, []types.Tag{tag("aws:owner", "x")}, "InvalidParameterValue",
			"Value ( aws:owner ) for parameter key is invalid. Tag keys starting with 'aws:' are reserved for internal use"},
		{"not an instance", []string{"vpc-0123456789abcdef0"}, []types.Tag{tag("a", "b")}, "InvalidID", "The ID 'vpc-0123456789abcdef0' is not valid"},
		{"malformed instance", []string{"i-xyz"}, []types.Tag{tag("a", "b")}, "InvalidInstanceID.Malformed", `Invalid id: "i-xyz"`},
		{"unknown instance", []string{id, "i-0123456789abcdef0"}, []types.Tag{tag("a", "b")}, "InvalidInstanceID.NotFound",
			"The instance ID 'i-0123456789abcdef0' does not exist"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.ec2.CreateTags(ctx(t), &ec2.CreateTagsInput{Resources: tt.resources, Tags: tt.tags})
			wantAPIError(t, err, tt.code, tt.message)
		})
	}
	if tags := e.describeOne(t, id).Tags; len(tags) != 3 {
		t.Errorf("failed calls changed the tags: %v", tags)
	}
}
