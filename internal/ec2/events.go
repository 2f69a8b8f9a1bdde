package ec2

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	ec2sdk "github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"go.uber.org/zap"
)

// ScheduledEventCodes are the scheduled event codes DescribeInstanceStatus
// reports, in the order AWS documents them.
var ScheduledEventCodes = []string{
	"system-reboot", "instance-reboot", "system-maintenance", "instance-retirement", "instance-stop",
}

// ScheduledEvent is one scheduled event of one instance, as
// DescribeInstanceStatus lists it in eventsSet. A completed or canceled
// event stays listed for a while, its Description starting "[Completed]"
// or "[Canceled]".
type ScheduledEvent struct {
	InstanceID string
	AZ         string
	// State is the instance state name when the event was read.
	State       string
	EventID     string
	Code        string
	Description string
	// NotBefore, NotAfter and NotBeforeDeadline are zero when absent.
	NotBefore, NotAfter, NotBeforeDeadline time.Time
}

// ScheduledEvents lists the scheduled events of codes (every code when
// codes is empty) on the instances of the provider's region, whatever their
// state: DescribeInstanceStatus with IncludeAllInstances and an event.code
// filter, every page followed and paced like every other EC2 read. The
// filter keeps the answer to the instances that have such an event, so its
// size follows the events, not the fleet; other codes the same instances
// carry are dropped. Sorted by instance, not-before,
// code and event id.
func (p *Provider) ScheduledEvents(ctx context.Context, codes []string) ([]ScheduledEvent, error) {
	if len(codes) == 0 {
		codes = ScheduledEventCodes
	}
	in := &ec2sdk.DescribeInstanceStatusInput{
		IncludeAllInstances: aws.Bool(true),
		Filters:             []types.Filter{{Name: aws.String("event.code"), Values: codes}},
		MaxResults:          aws.Int32(p.opts.PageSize),
	}
	pages := ec2sdk.NewDescribeInstanceStatusPaginator(pacedStatusDescriber{p}, in)
	var out []ScheduledEvent
	for calls := 1; pages.HasMorePages(); calls++ {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, classify(fmt.Sprintf("describe scheduled events in %s (page %d)", p.region, calls), "ec2:DescribeInstanceStatus", err)
		}
		// The filter picks instances; each lists all its events, so an
		// instance matched for one code may carry others.
		for _, s := range page.InstanceStatuses {
			for _, ev := range eventsFromSDK(s) {
				if slices.Contains(codes, ev.Code) {
					out = append(out, ev)
				}
			}
		}
		p.log.Debug("describe instance status page", zap.Int("page", calls), zap.Int("events_so_far", len(out)))
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		switch {
		case a.InstanceID != b.InstanceID:
			return a.InstanceID < b.InstanceID
		case !a.NotBefore.Equal(b.NotBefore):
			return a.NotBefore.Before(b.NotBefore)
		case a.Code != b.Code:
			return a.Code < b.Code
		}
		return a.EventID < b.EventID
	})
	return out, nil
}

func eventsFromSDK(s types.InstanceStatus) []ScheduledEvent {
	var state string
	if s.InstanceState != nil {
		state = string(s.InstanceState.Name)
	}
	out := make([]ScheduledEvent, 0, len(s.Events))
	for _, e := range s.Events {
		out = append(out, ScheduledEvent{
			InstanceID:        aws.ToString(s.InstanceId),
			AZ:                aws.ToString(s.AvailabilityZone),
			State:             state,
			EventID:           aws.ToString(e.InstanceEventId),
			Code:              string(e.Code),
			Description:       aws.ToString(e.Description),
			NotBefore:         aws.ToTime(e.NotBefore).UTC(),
			NotAfter:          aws.ToTime(e.NotAfter).UTC(),
			NotBeforeDeadline: aws.ToTime(e.NotBeforeDeadline).UTC(),
		})
	}
	return out
}
