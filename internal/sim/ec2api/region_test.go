package ec2api_test

import (
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
)

func TestARequestSignedForAnotherRegionIsRefused(t *testing.T) {
	e := newEnv(t, false)
	cfg := awsConfig()
	cfg.Region = "eu-west-1"
	client := ec2.NewFromConfig(cfg, func(o *ec2.Options) { o.BaseEndpoint = aws.String(e.server.URL()) })
	_, err := client.DescribeInstances(ctx(t), &ec2.DescribeInstancesInput{})
	wantAPIError(t, err, "AuthFailure", "")
	if err == nil || !strings.Contains(err.Error(), "not 'eu-west-1'") {
		t.Errorf("error %v does not name the region", err)
	}
}
