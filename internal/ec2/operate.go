package ec2

import (
	"context"
	"errors"
	"fmt"
	"sort"

	"github.com/aws/aws-sdk-go-v2/aws"
	ec2sdk "github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/smithy-go"

	"gameday/internal/fleet"
	"gameday/internal/ratelimit"
)

// noRetries turns the SDK's retryer off for one mutating call. The SDK
// retries connection resets and 5xx answers, after which an instance whose
// reboot's answer was lost would be rebooted twice; sendBatch retries only
// what is safe to re-send.
func noRetries(o *ec2sdk.Options) { o.Retryer = aws.NopRetryer{} }

// Mutating calls: ids are de-duplicated and sent in batches, in order, each
// paced and retried only where EC2 says it did nothing. The first batch
// that fails stops the call and the error is a *BatchError; see it for
// what was done, what may have been, and what was never sent.

// Reboot reboots ids in batches of Options.BatchSize.
func (p *Provider) Reboot(ctx context.Context, ids []string) error {
	return p.run(ctx, mutation{action: fleet.ActionReboot, verb: "reboot", batchSize: p.opts.BatchSize,
		send: func(ctx context.Context, batch []string) error {
			_, err := p.ec2.RebootInstances(ctx, &ec2sdk.RebootInstancesInput{InstanceIds: batch}, noRetries)
			return err
		}}, ids)
}

// Stop stops ids in batches of Options.BatchSize; force skips the clean OS
// shutdown. Instances already stopping or stopped are no error.
func (p *Provider) Stop(ctx context.Context, ids []string, force bool) error {
	verb := "stop"
	if force {
		verb = "force-stop"
	}
	return p.run(ctx, mutation{action: fleet.ActionStop, verb: verb, batchSize: p.opts.BatchSize,
		send: func(ctx context.Context, batch []string) error {
			_, err := p.ec2.StopInstances(ctx, stopInput(batch, force, false), noRetries)
			return err
		}}, ids)
}

// stopInput sends Force only when set, as the AWS CLI does.
func stopInput(ids []string, force, dryRun bool) *ec2sdk.StopInstancesInput {
	in := &ec2sdk.StopInstancesInput{InstanceIds: ids}
	if force {
		in.Force = aws.Bool(true)
	}
	if dryRun {
		in.DryRun = aws.Bool(true)
	}
	return in
}

// Start starts ids in batches of Options.BatchSize.
func (p *Provider) Start(ctx context.Context, ids []string) error {
	return p.run(ctx, mutation{action: fleet.ActionStart, verb: "start", batchSize: p.opts.BatchSize,
		send: func(ctx context.Context, batch []string) error {
			_, err := p.ec2.StartInstances(ctx, &ec2sdk.StartInstancesInput{InstanceIds: batch}, noRetries)
			return err
		}}, ids)
}

// Tag sets tags on ids, in CreateTags calls of Options.TagBatchSize ids.
func (p *Provider) Tag(ctx context.Context, ids []string, tags map[string]string) error {
	if len(tags) == 0 {
		return errors.New("ec2: tag: no tags given")
	}
	sdkTags := toSDKTags(tags)
	return p.run(ctx, mutation{action: fleet.ActionTag, verb: "tag", batchSize: p.opts.TagBatchSize, idempotent: true,
		send: func(ctx context.Context, batch []string) error {
			_, err := p.ec2.CreateTags(ctx, &ec2sdk.CreateTagsInput{Resources: batch, Tags: sdkTags}, noRetries)
			return err
		}}, ids)
}

// Untag removes the tag keys from ids, whatever their values, in DeleteTags
// calls of Options.TagBatchSize ids. No keys is an error: DeleteTags
// without tags deletes every tag of the instances.
func (p *Provider) Untag(ctx context.Context, ids []string, keys []string) error {
	if len(keys) == 0 {
		return errors.New("ec2: untag: no tag keys given (DeleteTags without keys would delete every tag)")
	}
	sdkKeys := toSDKKeys(keys)
	return p.run(ctx, mutation{action: fleet.ActionUntag, verb: "untag", batchSize: p.opts.TagBatchSize, idempotent: true,
		send: func(ctx context.Context, batch []string) error {
			_, err := p.ec2.DeleteTags(ctx, &ec2sdk.DeleteTagsInput{Resources: batch, Tags: sdkKeys}, noRetries)
			return err
		}}, ids)
}

// toSDKTags sorts by key so requests are reproducible.
func toSDKTags(tags map[string]string) []types.Tag {
	keys := make([]string, 0, len(tags))
	for k := range tags {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]types.Tag, len(keys))
	for i, k := range keys {
		out[i] = types.Tag{Key: aws.String(k), Value: aws.String(tags[k])}
	}
	return out
}

// toSDKKeys sends keys without values: DeleteTags then removes the tag
// whatever its value.
func toSDKKeys(keys []string) []types.Tag {
	out := make([]types.Tag, len(keys))
	for i, k := range keys {
		out[i] = types.Tag{Key: aws.String(k)}
	}
	return out
}

// dryRunTag is what a DryRun of CreateTags or DeleteTags names: the calls
// need a tag, and nothing is written.
const dryRunTag = "gameday:dry-run"

// DryRun asks EC2 whether action on ids would be allowed, with DryRun calls
// batched as the real calls will be (an IAM policy may allow some instances
// and not others): nil when every batch answers DryRunOperation. Otherwise
// the first refusal, classified: UnauthorizedOperation names the missing
// IAM permission in its hint. A DryRun acts on nothing, so it keeps the
// SDK's standard retries; it is paced like the real call, without resource
// tokens (EC2 launches, stops or starts nothing).
func (p *Provider) DryRun(ctx context.Context, action fleet.Action, ids []string) error {
	if _, err := p.batchSizeOf(action); err != nil {
		return err
	}
	// A DryRun acts on nothing, so it may name as many ids as EC2 takes in
	// one call: checking a run's permissions should cost a request token or
	// two, not as many as the run's own calls (those the run needs next).
	batches := chunk(fleet.UniqueIDs(ids), MaxBatchSize)
	for i, batch := range batches {
		if err := p.pace(ctx, ratelimit.NeedsFor(string(action), 0, false)); err != nil {
			return fmt.Errorf("ec2: dry-run %s: %w", action, err)
		}
		err := p.dryRunCall(ctx, action, batch)
		if isCode(err, "DryRunOperation") {
			continue
		}
		op := fmt.Sprintf("dry-run %s on %d instances in %s (batch %d of %d)", action, len(batch), p.region, i+1, len(batches))
		if err == nil {
			return fmt.Errorf("ec2: %s: succeeded without the DryRunOperation answer; refusing to trust the endpoint", op)
		}
		return classify(op, "ec2:"+string(action), err)
	}
	return nil
}

// batchSizeOf is how many ids one call of action names.
func (p *Provider) batchSizeOf(action fleet.Action) (int, error) {
	switch action {
	case fleet.ActionReboot, fleet.ActionStop, fleet.ActionStart:
		return p.opts.BatchSize, nil
	case fleet.ActionTag, fleet.ActionUntag:
		return p.opts.TagBatchSize, nil
	}
	return 0, fmt.Errorf("ec2: dry-run: unknown action %q", action)
}

// dryRunCall makes the DryRun call of action on batch.
func (p *Provider) dryRunCall(ctx context.Context, action fleet.Action, batch []string) error {
	dry := aws.Bool(true)
	var err error
	switch action {
	case fleet.ActionReboot:
		_, err = p.ec2.RebootInstances(ctx, &ec2sdk.RebootInstancesInput{InstanceIds: batch, DryRun: dry})
	case fleet.ActionStop:
		_, err = p.ec2.StopInstances(ctx, stopInput(batch, false, true))
	case fleet.ActionStart:
		_, err = p.ec2.StartInstances(ctx, &ec2sdk.StartInstancesInput{InstanceIds: batch, DryRun: dry})
	case fleet.ActionTag:
		tags := toSDKTags(map[string]string{dryRunTag: "check"})
		_, err = p.ec2.CreateTags(ctx, &ec2sdk.CreateTagsInput{Resources: batch, Tags: tags, DryRun: dry})
	case fleet.ActionUntag:
		_, err = p.ec2.DeleteTags(ctx, &ec2sdk.DeleteTagsInput{Resources: batch, Tags: toSDKKeys([]string{dryRunTag}), DryRun: dry})
	}
	return err
}

// isCode reports whether err is an AWS error answer with code.
func isCode(err error, code string) bool {
	var apiErr smithy.APIError
	return errors.As(err, &apiErr) && apiErr.ErrorCode() == code
}
