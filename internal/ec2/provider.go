// Package ec2 implements fleet.Provider over aws-sdk-go-v2: filtered,
// paginated DescribeInstances, batched mutating calls, and AWS errors
// classified once with a hint for the operator.
package ec2

import (
	"context"
	"fmt"
	"sort"

	"github.com/aws/aws-sdk-go-v2/aws"
	ec2sdk "github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"go.uber.org/zap"

	"gameday/internal/fleet"
)

// EC2API lists the SDK methods the provider uses; the SDK's paginators
// accept it, and tests may substitute it.
type EC2API interface {
	DescribeInstances(ctx context.Context, in *ec2sdk.DescribeInstancesInput, opts ...func(*ec2sdk.Options)) (*ec2sdk.DescribeInstancesOutput, error)
	RebootInstances(ctx context.Context, in *ec2sdk.RebootInstancesInput, opts ...func(*ec2sdk.Options)) (*ec2sdk.RebootInstancesOutput, error)
}

// STSAPI lists the STS methods the provider uses.
type STSAPI interface {
	GetCallerIdentity(ctx context.Context, in *sts.GetCallerIdentityInput, opts ...func(*sts.Options)) (*sts.GetCallerIdentityOutput, error)
}

// Defaults for Options.
const (
	DefaultPageSize  = 1000
	DefaultBatchSize = 100
)

// Options tunes the provider.
type Options struct {
	// PageSize is DescribeInstances MaxResults (5..1000).
	PageSize int32
	// BatchSize is how many instance ids go in one mutating call.
	BatchSize int
	Logger    *zap.Logger
}

// Provider is a fleet.Provider backed by the EC2 API of one region.
type Provider struct {
	ec2    EC2API
	sts    STSAPI
	region string
	opts   Options
}

var _ fleet.Provider = (*Provider)(nil)

// New builds a provider from an SDK configuration (see LoadConfig).
func New(cfg aws.Config, opts Options) *Provider {
	return NewWithClients(ec2sdk.NewFromConfig(cfg), sts.NewFromConfig(cfg), cfg.Region, opts)
}

// NewWithClients builds a provider over explicit clients.
func NewWithClients(ec2Client EC2API, stsClient STSAPI, region string, opts Options) *Provider {
	if opts.PageSize == 0 {
		opts.PageSize = DefaultPageSize
	}
	if opts.BatchSize <= 0 {
		opts.BatchSize = DefaultBatchSize
	}
	if opts.Logger == nil {
		opts.Logger = zap.NewNop()
	}
	return &Provider{ec2: ec2Client, sts: stsClient, region: region, opts: opts}
}

// Identity is who the credentials belong to.
type Identity struct {
	Account string
	ARN     string
}

// CallerIdentity asks STS which account and principal the calls run as.
func (p *Provider) CallerIdentity(ctx context.Context) (Identity, error) {
	out, err := p.sts.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return Identity{}, classify("get caller identity", "sts:GetCallerIdentity", err)
	}
	return Identity{Account: aws.ToString(out.Account), ARN: aws.ToString(out.Arn)}, nil
}

// List returns the instances matching target, through server-side filters
// and pagination only: an unfiltered, unpaginated Describe is the first thing
// EC2 throttles.
func (p *Provider) List(ctx context.Context, target fleet.Target) ([]fleet.Instance, error) {
	in := &ec2sdk.DescribeInstancesInput{Filters: filtersFor(target), MaxResults: aws.Int32(p.opts.PageSize)}
	pages := ec2sdk.NewDescribeInstancesPaginator(p.ec2, in)
	var out []fleet.Instance
	for calls := 1; pages.HasMorePages(); calls++ {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, classify(fmt.Sprintf("describe instances (page %d)", calls), "ec2:DescribeInstances", err)
		}
		for _, r := range page.Reservations {
			for _, inst := range r.Instances {
				out = append(out, fromSDK(inst, p.region))
			}
		}
		p.opts.Logger.Debug("describe instances page", zap.Int("page", calls), zap.Int("instances_so_far", len(out)))
	}
	fleet.SortByID(out)
	return out, nil
}

// Reboot reboots ids in batches of Options.BatchSize. On a failed batch it
// stops and reports how many instances were already asked to reboot.
func (p *Provider) Reboot(ctx context.Context, ids []string) error {
	for start := 0; start < len(ids); start += p.opts.BatchSize {
		batch := ids[start:min(start+p.opts.BatchSize, len(ids))]
		_, err := p.ec2.RebootInstances(ctx, &ec2sdk.RebootInstancesInput{InstanceIds: batch})
		if err != nil {
			op := fmt.Sprintf("reboot %d instances (%d of %d already requested)", len(batch), start, len(ids))
			return classify(op, "ec2:RebootInstances", err)
		}
		p.opts.Logger.Debug("reboot requested", zap.Strings("instance_ids", batch))
	}
	return nil
}

// filtersFor turns a target into DescribeInstances filters. Map iteration is
// sorted so requests are reproducible.
func filtersFor(t fleet.Target) []types.Filter {
	var filters []types.Filter
	keys := make([]string, 0, len(t.Tags))
	for k := range t.Tags {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		filters = append(filters, types.Filter{Name: aws.String("tag:" + k), Values: []string{t.Tags[k]}})
	}
	if len(t.AvailabilityZones) > 0 {
		filters = append(filters, types.Filter{Name: aws.String("availability-zone"), Values: t.AvailabilityZones})
	}
	if len(t.States) > 0 {
		filters = append(filters, types.Filter{Name: aws.String("instance-state-name"), Values: t.States})
	}
	// Explicit ids go in a filter, not InstanceIds, so that paginating
	// with MaxResults stays legal and a vanished id is no error.
	if len(t.InstanceIDs) > 0 {
		filters = append(filters, types.Filter{Name: aws.String("instance-id"), Values: t.InstanceIDs})
	}
	names := make([]string, 0, len(t.Filters))
	for name := range t.Filters {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		filters = append(filters, types.Filter{Name: aws.String(name), Values: t.Filters[name]})
	}
	return filters
}

func fromSDK(inst types.Instance, region string) fleet.Instance {
	out := fleet.Instance{
		ID:           aws.ToString(inst.InstanceId),
		Region:       region,
		InstanceType: string(inst.InstanceType),
		PrivateIP:    aws.ToString(inst.PrivateIpAddress),
		PublicIP:     aws.ToString(inst.PublicIpAddress),
		LaunchTime:   aws.ToTime(inst.LaunchTime),
	}
	if inst.State != nil {
		out.State = string(inst.State.Name)
	}
	if inst.Placement != nil {
		out.AZ = aws.ToString(inst.Placement.AvailabilityZone)
	}
	if len(inst.Tags) > 0 {
		out.Tags = make(map[string]string, len(inst.Tags))
		for _, tag := range inst.Tags {
			out.Tags[aws.ToString(tag.Key)] = aws.ToString(tag.Value)
		}
	}
	return out
}
