package ec2

import (
	"context"
	"fmt"
	"time"

	"go.uber.org/zap"

	"gameday/internal/fleet"
	"gameday/internal/ratelimit"
)

// BatchError reports a mutating call on many instances that stopped at one
// batch. Batches go out in order and the first batch that fails stops the
// rest: after an unknown outcome or a refusal, acting on more instances
// would only widen what the operator has to sort out.
//
// Done acted (their calls succeeded); NotSent were never sent. Whether
// Batch acted depends on Err: an *fleet.UncertainError (errors.As finds it)
// means it may have, and the caller must read the state back before acting
// again; any other error (a classified *APIError, or the context's cause)
// means it did not.
type BatchError struct {
	Action  fleet.Action
	Region  string
	Done    []string
	Batch   []string
	NotSent []string
	Err     error
}

func (e *BatchError) Error() string {
	msg := e.Err.Error()
	if len(e.Done) > 0 || len(e.NotSent) > 0 {
		msg += fmt.Sprintf(" [%s in %s: %d instances done in earlier batches, %d not sent]",
			e.Action, e.Region, len(e.Done), len(e.NotSent))
	}
	return msg
}

func (e *BatchError) Unwrap() error { return e.Err }

// CallTimeout bounds one attempt of a mutating call: the request and its
// answer. It does not bound the wait for EC2's tokens before the attempt,
// which can be minutes: after a burst of 1,000, StartInstances refills 2
// instances a second, so a batch of 100 starts waits 50 s for its tokens.
const CallTimeout = 2 * time.Minute

// mutation is one mutating action over a list of ids.
type mutation struct {
	action fleet.Action
	// verb describes the call in messages: "reboot", "force-stop".
	verb string
	// batchSize is the most ids per call.
	batchSize int
	// send makes one call on batch, with the SDK's retries off.
	send func(ctx context.Context, batch []string) error
	// idempotent: sending the call twice does what sending it once does
	// (CreateTags and DeleteTags with the same tags), so a lost answer is
	// resent like a throttled call instead of ending the run.
	idempotent bool
}

// run sends m in batches, one after the other, each paced and retried by
// sendBatch, and stops at the first batch that does not succeed.
func (p *Provider) run(ctx context.Context, m mutation, ids []string) error {
	ids = fleet.UniqueIDs(ids)
	batches := chunk(ids, m.batchSize)
	var done []string
	for i, batch := range batches {
		op := fmt.Sprintf("%s %d instances in %s (batch %d of %d)", m.verb, len(batch), p.region, i+1, len(batches))
		if err := p.sendBatch(ctx, m, op, batch); err != nil {
			return &BatchError{Action: m.action, Region: p.region, Done: done, Batch: batch,
				NotSent: ids[len(done)+len(batch):], Err: err}
		}
		done = ids[:len(done)+len(batch)]
		p.log.Debug("batch done", zap.String("action", string(m.action)), zap.Int("batch", i+1),
			zap.Int("batches", len(batches)), zap.Strings("instance_ids", batch))
	}
	return nil
}

// sendBatch makes one call, waiting on the limiter before every attempt.
// It re-sends only a call the service says it did not act on, at most
// MaxAttempts times in all; a call whose outcome is unknown is never
// re-sent (that could reboot or stop an instance twice) and becomes an
// *fleet.UncertainError.
func (p *Provider) sendBatch(ctx context.Context, m mutation, op string, batch []string) error {
	needs := ratelimit.NeedsFor(string(m.action), len(batch), false)
	iam := "ec2:" + string(m.action)
	for attempt := 1; ; attempt++ {
		if err := p.pace(ctx, needs); err != nil {
			return fmt.Errorf("ec2: %s: not sent: %w", op, err)
		}
		callCtx, cancel := context.WithTimeout(ctx, CallTimeout)
		err := m.send(callCtx, batch)
		cancel()
		kind, reason := outcomeOf(err)
		fields := []zap.Field{zap.String("action", string(m.action)), zap.Int("ids", len(batch)),
			zap.Int("attempt", attempt), zap.String("reason", reason)}
		switch kind {
		case acted:
			return nil
		case unknown:
			if m.idempotent && attempt < p.opts.MaxAttempts {
				break // safe to send again: fall through to the backoff
			}
			p.log.Warn("outcome unknown; not re-sending: the instances' state must be read back",
				append(fields, zap.Strings("instance_ids", batch))...)
			return &fleet.UncertainError{Action: m.action, IDs: batch, Err: uncertain(op, iam, err)}
		case refused:
			return classify(op, iam, err)
		}
		if attempt >= p.opts.MaxAttempts {
			p.log.Warn("not acted on; giving up", fields...)
			return classify(fmt.Sprintf("%s, gave up after %s", op, plural(attempt, "attempt")), iam, err)
		}
		delay := p.backoff(attempt)
		if kind == unknown {
			p.log.Info("outcome unknown; sending again, the call is idempotent", append(fields, zap.Duration("backoff", delay))...)
		} else {
			p.log.Info("not acted on; retrying", append(fields, zap.Duration("backoff", delay))...)
		}
		if err := sleep(ctx, delay); err != nil {
			return fmt.Errorf("ec2: %s: not re-sent after %s: %w", op, reason, err)
		}
	}
}

// uncertain classifies an error of unknown outcome, with a hint that says
// what unknown means.
func uncertain(op, iam string, err error) error {
	classified := classify(op, iam, err)
	if e, ok := classified.(*APIError); ok {
		e.Hint = "the request went out and no usable answer came back: it may have acted; " +
			"gameday does not re-send it; read the instances' state back before acting again"
	}
	return classified
}

// plural is "1 attempt", "3 attempts".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// chunk splits ids into consecutive slices of at most size ids.
func chunk(ids []string, size int) [][]string {
	var out [][]string
	for start := 0; start < len(ids); start += size {
		out = append(out, ids[start:min(start+size, len(ids))])
	}
	return out
}

// DoneIDs lists the instances of batches that certainly acted before the
// failed one, for callers that see only an error.
func (e *BatchError) DoneIDs() []string { return e.Done }

// NotSentIDs lists the instances of the batches never sent because an
// earlier one failed: nothing was done to them.
func (e *BatchError) NotSentIDs() []string { return e.NotSent }
