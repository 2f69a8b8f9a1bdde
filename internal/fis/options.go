package fis

import (
	"errors"
	"fmt"
	"regexp"
	"time"
)

// TargetMode says how a wave's instances are named in the template.
type TargetMode string

const (
	// TargetsByTags finds each wave's instances when the experiment
	// starts: resourceTags, filters and COUNT(n) (or ALL, PERCENT(n)) with
	// the plan's wave sizes. The template stays valid as the fleet changes,
	// but FIS picks the instances of each target on its own.
	TargetsByTags TargetMode = "tags"
	// TargetsByInstance names the instances the plan selected, by ARN, in
	// targets of at most 5: exactly the plan, for as long as they exist.
	TargetsByInstance TargetMode = "instances"
)

// Options are what the scenario and its plan do not say.
type Options struct {
	// RoleARN is the IAM role FIS assumes; "" exports PlaceholderRoleARN
	// and a warning.
	RoleARN string
	// StopConditionAlarms are CloudWatch alarm ARNs that stop the
	// experiment; none exports {"source": "none"} and a warning.
	StopConditionAlarms []string
	// LogGroupARN, when set, sends the experiment log to CloudWatch Logs.
	LogGroupARN string
	// Account and Region build instance ARNs; Account "" exports
	// PlaceholderAccount, Region "" takes the region of the planned
	// instances.
	Account string
	Region  string
	// Targets is TargetsByTags ("" too) or TargetsByInstance.
	Targets TargetMode
	// ExperimentOptions writes experimentOptions (single-account, fail)
	// explicitly. They are FIS's defaults, and AWS CLIs older than the
	// field (such as Debian 12's 2.9) reject it, so it is left out unless
	// asked for.
	ExperimentOptions bool
	// AssumedRecovery stands in for a health gate: the wait after a
	// health-gated wave is waves.interval plus this (at most the wave's
	// gate_timeout), since FIS cannot wait for health.
	AssumedRecovery time.Duration
}

var (
	roleARN     = regexp.MustCompile(`^arn:aws[a-z-]*:iam::[0-9]{12}:role/[\w+=,.@/-]{1,512}$`)
	alarmARN    = regexp.MustCompile(`^arn:aws[a-z-]*:cloudwatch:([a-z0-9-]+):[0-9]{12}:alarm:\S{1,255}$`)
	logGroupARN = regexp.MustCompile(`^arn:aws[a-z-]*:logs:[a-z0-9-]+:[0-9]{12}:log-group:\S+$`)
	accountID   = regexp.MustCompile(`^[0-9]{12}$`)
)

// ErrOptions marks an option that cannot go into a template; the CLI
// reports it as a usage error.
var ErrOptions = errors.New("fis: invalid option")

// Validate checks the options before anything is planned.
func (o Options) Validate() error {
	var errs []error
	if o.RoleARN != "" && !roleARN.MatchString(o.RoleARN) {
		errs = append(errs, fmt.Errorf("%w: role ARN %q: want arn:aws:iam::ACCOUNT:role/NAME", ErrOptions, o.RoleARN))
	}
	for _, a := range o.StopConditionAlarms {
		if !alarmARN.MatchString(a) {
			errs = append(errs, fmt.Errorf("%w: stop condition %q: want a CloudWatch alarm ARN, arn:aws:cloudwatch:REGION:ACCOUNT:alarm:NAME", ErrOptions, a))
		}
	}
	if o.LogGroupARN != "" && !logGroupARN.MatchString(o.LogGroupARN) {
		errs = append(errs, fmt.Errorf("%w: log group ARN %q: want arn:aws:logs:REGION:ACCOUNT:log-group:NAME:*", ErrOptions, o.LogGroupARN))
	}
	if o.Account != "" && !accountID.MatchString(o.Account) {
		errs = append(errs, fmt.Errorf("%w: account %q: want 12 digits", ErrOptions, o.Account))
	}
	switch o.Targets {
	case "", TargetsByTags, TargetsByInstance:
	default:
		errs = append(errs, fmt.Errorf("%w: targets %q: want %s or %s", ErrOptions, o.Targets, TargetsByTags, TargetsByInstance))
	}
	if o.AssumedRecovery < 0 {
		errs = append(errs, fmt.Errorf("%w: assumed recovery %s is negative", ErrOptions, o.AssumedRecovery))
	}
	return errors.Join(errs...)
}

// partition is the ARN partition of a region.
func partition(region string) string {
	switch {
	case len(region) >= 3 && region[:3] == "cn-":
		return "aws-cn"
	case len(region) >= 7 && region[:7] == "us-gov-":
		return "aws-us-gov"
	}
	return "aws"
}
