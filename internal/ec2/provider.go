// Package ec2 implements fleet.Operator over aws-sdk-go-v2: filtered,
// paginated DescribeInstances, batched mutating calls paced by a
// client-side copy of EC2's token buckets, retries only where a call
// cannot act twice, and AWS errors classified once with a hint for the
// operator.
package ec2

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	ec2sdk "github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"go.uber.org/zap"

	"gameday/internal/fleet"
	"gameday/internal/ratelimit"
)

// EC2API lists the SDK methods the provider uses; the SDK's paginators
// accept it, and tests may substitute it.
type EC2API interface {
	DescribeInstances(ctx context.Context, in *ec2sdk.DescribeInstancesInput, opts ...func(*ec2sdk.Options)) (*ec2sdk.DescribeInstancesOutput, error)
	RebootInstances(ctx context.Context, in *ec2sdk.RebootInstancesInput, opts ...func(*ec2sdk.Options)) (*ec2sdk.RebootInstancesOutput, error)
	StopInstances(ctx context.Context, in *ec2sdk.StopInstancesInput, opts ...func(*ec2sdk.Options)) (*ec2sdk.StopInstancesOutput, error)
	StartInstances(ctx context.Context, in *ec2sdk.StartInstancesInput, opts ...func(*ec2sdk.Options)) (*ec2sdk.StartInstancesOutput, error)
	CreateTags(ctx context.Context, in *ec2sdk.CreateTagsInput, opts ...func(*ec2sdk.Options)) (*ec2sdk.CreateTagsOutput, error)
	DeleteTags(ctx context.Context, in *ec2sdk.DeleteTagsInput, opts ...func(*ec2sdk.Options)) (*ec2sdk.DeleteTagsOutput, error)
	DescribeInstanceStatus(ctx context.Context, in *ec2sdk.DescribeInstanceStatusInput, opts ...func(*ec2sdk.Options)) (*ec2sdk.DescribeInstanceStatusOutput, error)
}

// ELBAPI lists the ELBv2 methods the provider uses (target health).
type ELBAPI interface {
	DescribeTargetGroups(ctx context.Context, in *elbv2.DescribeTargetGroupsInput, opts ...func(*elbv2.Options)) (*elbv2.DescribeTargetGroupsOutput, error)
	DescribeTargetHealth(ctx context.Context, in *elbv2.DescribeTargetHealthInput, opts ...func(*elbv2.Options)) (*elbv2.DescribeTargetHealthOutput, error)
}

// STSAPI lists the STS methods the provider uses.
type STSAPI interface {
	GetCallerIdentity(ctx context.Context, in *sts.GetCallerIdentityInput, opts ...func(*sts.Options)) (*sts.GetCallerIdentityOutput, error)
}

// Defaults for Options.
const (
	DefaultPageSize       = 1000
	DefaultBatchSize      = 100
	DefaultTagBatchSize   = 1000
	DefaultMaxAttempts    = 5
	DefaultRetryBaseDelay = 250 * time.Millisecond
	DefaultRetryMaxDelay  = 10 * time.Second
)

// maxTagBatch is EC2's cap on the resources of one CreateTags/DeleteTags.
const maxTagBatch = 1000

// Options tunes the provider.
type Options struct {
	// PageSize is DescribeInstances MaxResults (5..1000).
	PageSize int32
	// BatchSize is how many instance ids go in one RebootInstances,
	// StopInstances or StartInstances call (and its DryRun).
	BatchSize int
	// TagBatchSize is how many ids go in one CreateTags or DeleteTags
	// call, at most 1000.
	TagBatchSize int
	// Limiter paces every EC2 call. Providers of the same account and
	// region should share one, as they share EC2's buckets; nil gives the
	// provider a limiter of its own, with full buckets.
	Limiter *ratelimit.Limiter
	// MaxAttempts bounds the calls made for one batch when the service
	// says it did not act (throttling, 503 Unavailable).
	MaxAttempts int
	// RetryBaseDelay and RetryMaxDelay shape the backoff between them.
	RetryBaseDelay time.Duration
	RetryMaxDelay  time.Duration
	// ELB reads target health (Provider.TargetHealth). New builds it from
	// the same configuration as the EC2 client, so it goes to the same
	// endpoint when one is set (the simulator serves both); nil with
	// NewWithClients means no target health.
	ELB    ELBAPI
	Logger *zap.Logger
}

func (o Options) withDefaults() Options {
	if o.PageSize == 0 {
		o.PageSize = DefaultPageSize
	}
	if o.BatchSize <= 0 {
		o.BatchSize = DefaultBatchSize
	}
	if o.TagBatchSize <= 0 || o.TagBatchSize > maxTagBatch {
		o.TagBatchSize = DefaultTagBatchSize
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = DefaultMaxAttempts
	}
	if o.RetryBaseDelay <= 0 {
		o.RetryBaseDelay = DefaultRetryBaseDelay
	}
	if o.RetryMaxDelay <= 0 {
		o.RetryMaxDelay = DefaultRetryMaxDelay
	}
	if o.Logger == nil {
		o.Logger = zap.NewNop()
	}
	return o
}

// Provider is a fleet.Operator backed by the EC2 API of one region. It is
// safe for concurrent use.
type Provider struct {
	ec2     EC2API
	sts     STSAPI
	region  string
	opts    Options
	limiter *ratelimit.Limiter
	log     *zap.Logger
	// groups caches target groups resolved from a name or ARN.
	groups sync.Map // string -> TargetGroup
}

var (
	_ fleet.Provider = (*Provider)(nil)
	_ fleet.Operator = (*Provider)(nil)
)

// New builds a provider from an SDK configuration (see LoadConfig).
func New(cfg aws.Config, opts Options) *Provider {
	if opts.ELB == nil {
		opts.ELB = elbv2.NewFromConfig(cfg)
	}
	return NewWithClients(ec2sdk.NewFromConfig(cfg), sts.NewFromConfig(cfg), cfg.Region, opts)
}

// NewWithClients builds a provider over explicit clients.
func NewWithClients(ec2Client EC2API, stsClient STSAPI, region string, opts Options) *Provider {
	opts = opts.withDefaults()
	limiter := opts.Limiter
	if limiter == nil {
		limiter = ratelimit.NewLimiter()
	}
	return &Provider{ec2: ec2Client, sts: stsClient, region: region, opts: opts, limiter: limiter,
		log: opts.Logger.With(zap.String("region", region))}
}

// Identity is who the credentials belong to.
type Identity struct {
	Account string
	ARN     string
}

// CallerIdentity asks STS which account and principal the calls run as.
// STS is not paced: it is not an EC2 bucket, and a run asks it once.
func (p *Provider) CallerIdentity(ctx context.Context) (Identity, error) {
	out, err := p.sts.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return Identity{}, classify("get caller identity", "sts:GetCallerIdentity", err)
	}
	return Identity{Account: aws.ToString(out.Account), ARN: aws.ToString(out.Arn)}, nil
}

// List returns the instances matching target, through server-side filters
// and pagination only: an unfiltered, unpaginated Describe is the first thing
// EC2 throttles. Every page is paced.
func (p *Provider) List(ctx context.Context, target fleet.Target) ([]fleet.Instance, error) {
	out, err := p.describePages(ctx, filtersFor(target), "describe instances")
	if err != nil {
		return nil, err
	}
	fleet.SortByID(out)
	return out, nil
}

// maxIDsPerDescribe is how many ids one DescribeInstances names. EC2 caps
// the filter values of a call at 200 (FilterLimitExceeded beyond), and ids
// go in the instance-id filter, not InstanceIds, so that MaxResults stays
// legal and a vanished id is no error.
const maxIDsPerDescribe = 200

// Describe returns the current state of ids, sorted by ID; ids that no
// longer exist (or never did) are absent. Calls of 200 ids each, paginated.
func (p *Provider) Describe(ctx context.Context, ids []string) ([]fleet.Instance, error) {
	ids = fleet.UniqueIDs(ids)
	var out []fleet.Instance
	for i, part := range chunk(ids, maxIDsPerDescribe) {
		filter := []types.Filter{{Name: aws.String("instance-id"), Values: part}}
		what := fmt.Sprintf("describe %d instances (call %d of %d)", len(part), i+1, (len(ids)+maxIDsPerDescribe-1)/maxIDsPerDescribe)
		found, err := p.describePages(ctx, filter, what)
		if err != nil {
			return nil, err
		}
		out = append(out, found...)
	}
	fleet.SortByID(out)
	return out, nil
}

// describePages follows every page of a filtered DescribeInstances. Reads
// keep the SDK's standard retries: re-sending a read acts on nothing.
func (p *Provider) describePages(ctx context.Context, filters []types.Filter, what string) ([]fleet.Instance, error) {
	in := &ec2sdk.DescribeInstancesInput{Filters: filters, MaxResults: aws.Int32(p.opts.PageSize)}
	pages := ec2sdk.NewDescribeInstancesPaginator(pacedDescriber{p}, in)
	var out []fleet.Instance
	for calls := 1; pages.HasMorePages(); calls++ {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, classify(fmt.Sprintf("%s in %s (page %d)", what, p.region, calls), "ec2:DescribeInstances", err)
		}
		for _, r := range page.Reservations {
			for _, inst := range r.Instances {
				out = append(out, fromSDK(inst, p.region))
			}
		}
		p.log.Debug("describe instances page", zap.Int("page", calls), zap.Int("instances_so_far", len(out)))
	}
	return out, nil
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
