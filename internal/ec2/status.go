package ec2

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	ec2sdk "github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/smithy-go"
	"go.uber.org/zap"

	"gameday/internal/fleet"
	"gameday/internal/ratelimit"
)

// MaxStatusIDs is DescribeInstanceStatus's cap on explicit instance ids in
// one call (InvalidRequest beyond).
const MaxStatusIDs = 100

// StatusCheck is one instance as DescribeInstanceStatus reports it.
type StatusCheck struct {
	InstanceID string
	AZ         string
	// State is the instance state name: running, stopped, pending, ...
	State string
	// System and Instance are the summaries of the two status checks: ok,
	// impaired, insufficient-data, not-applicable (not running) or
	// initializing.
	System   string
	Instance string
	// SystemDetail and InstanceDetail are the reachability details:
	// passed, failed, insufficient-data or initializing ("" when absent).
	SystemDetail   string
	InstanceDetail string
}

// InstanceStatus reads the status checks of ids with DescribeInstanceStatus
// and IncludeAllInstances, so that an instance that is not running is
// reported (as not-applicable) rather than left out. Ids go in InstanceId.N,
// at most MaxStatusIDs per call, every page followed and paced on the
// provider's limiter like every other EC2 read.
//
// An id that no longer exists fails a whole call with
// InvalidInstanceID.NotFound; the call is then sent again without the ids
// the error names, and those are absent from the result. A caller asking
// about an instance that vanished sees it missing, not an error for the
// whole fleet.
func (p *Provider) InstanceStatus(ctx context.Context, ids []string) (map[string]StatusCheck, error) {
	ids = fleet.UniqueIDs(ids)
	out := make(map[string]StatusCheck, len(ids))
	batches := chunk(ids, MaxStatusIDs)
	for i, batch := range batches {
		what := fmt.Sprintf("describe instance status of %d instances in %s (call %d of %d)", len(batch), p.region, i+1, len(batches))
		if err := p.statusOf(ctx, batch, what, out); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// maxVanishedRetries bounds the calls re-sent without vanished ids.
const maxVanishedRetries = 3

// statusOf reads one batch into out, leaving out ids that do not exist.
func (p *Provider) statusOf(ctx context.Context, batch []string, what string, out map[string]StatusCheck) error {
	for retry := 0; ; retry++ {
		err := p.statusPages(ctx, batch, what, out)
		gone := vanishedIDs(err, batch)
		if len(gone) == 0 || retry == maxVanishedRetries {
			return err
		}
		p.log.Info("instances no longer exist; reading the status of the others", zap.Strings("instance_ids", gone))
		batch = slices.DeleteFunc(slices.Clone(batch), func(id string) bool { return slices.Contains(gone, id) })
		if len(batch) == 0 {
			return nil
		}
	}
}

func (p *Provider) statusPages(ctx context.Context, batch []string, what string, out map[string]StatusCheck) error {
	in := &ec2sdk.DescribeInstanceStatusInput{InstanceIds: batch, IncludeAllInstances: aws.Bool(true)}
	pages := ec2sdk.NewDescribeInstanceStatusPaginator(pacedStatusDescriber{p}, in)
	for calls := 1; pages.HasMorePages(); calls++ {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return classify(fmt.Sprintf("%s (page %d)", what, calls), "ec2:DescribeInstanceStatus", err)
		}
		for _, s := range page.InstanceStatuses {
			c := statusFromSDK(s)
			out[c.InstanceID] = c
		}
	}
	return nil
}

// idPattern finds instance ids in an error message.
var idPattern = regexp.MustCompile(`\bi-[0-9a-f]{8}(?:[0-9a-f]{9})?\b`)

// vanishedIDs returns the ids of batch that an InvalidInstanceID.NotFound
// error names ("The instance IDs 'i-a, i-b' do not exist").
func vanishedIDs(err error, batch []string) []string {
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) || apiErr.ErrorCode() != "InvalidInstanceID.NotFound" {
		return nil
	}
	var gone []string
	for _, id := range idPattern.FindAllString(apiErr.ErrorMessage(), -1) {
		if slices.Contains(batch, id) && !slices.Contains(gone, id) {
			gone = append(gone, id)
		}
	}
	return gone
}

func statusFromSDK(s types.InstanceStatus) StatusCheck {
	c := StatusCheck{InstanceID: aws.ToString(s.InstanceId), AZ: aws.ToString(s.AvailabilityZone)}
	if s.InstanceState != nil {
		c.State = string(s.InstanceState.Name)
	}
	c.System, c.SystemDetail = summaryOf(s.SystemStatus)
	c.Instance, c.InstanceDetail = summaryOf(s.InstanceStatus)
	return c
}

// summaryOf is a check's status and its reachability detail.
func summaryOf(s *types.InstanceStatusSummary) (status, reachability string) {
	if s == nil {
		return "", ""
	}
	for _, d := range s.Details {
		if d.Name == types.StatusNameReachability {
			reachability = string(d.Status)
		}
	}
	return string(s.Status), reachability
}

// pacedStatusDescriber paces every DescribeInstanceStatus call, each page
// included, on the provider's limiter. A call naming ids without a filter
// or a page token is priced in EC2's stricter unfiltered bucket (see
// ratelimit.NeedsFor).
type pacedStatusDescriber struct{ p *Provider }

func (d pacedStatusDescriber) DescribeInstanceStatus(ctx context.Context, in *ec2sdk.DescribeInstanceStatusInput, opts ...func(*ec2sdk.Options)) (*ec2sdk.DescribeInstanceStatusOutput, error) {
	paged := len(in.Filters) > 0 || in.MaxResults != nil || in.NextToken != nil
	if err := d.p.pace(ctx, ratelimit.NeedsFor(ratelimit.OpDescribeInstanceStatus, 0, paged)); err != nil {
		return nil, err
	}
	return d.p.ec2.DescribeInstanceStatus(ctx, in, opts...)
}
