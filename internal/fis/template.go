// Package fis exports a planned gameday scenario as an AWS Fault Injection
// Service (FIS) experiment template: the JSON that
// `aws fis create-experiment-template --cli-input-json file://T.json`
// accepts. It is pure, like plan: it reads a scenario and its plan and
// never calls AWS.
//
// FIS cannot express everything a scenario says (health-gated waves,
// capacity floors, exclude_tags, ...). Build says what it could not carry
// over, and why, in warnings; docs/fis.md holds the mapping.
package fis

import (
	"bytes"
	"encoding/json"
	"time"
)

// Identifiers the template uses, as FIS spells them.
const (
	ResourceTypeInstance = "aws:ec2:instance"

	ActionReboot = "aws:ec2:reboot-instances"
	ActionStop   = "aws:ec2:stop-instances"
	ActionWait   = "aws:fis:wait"

	// ParamStartAfter is the aws:ec2:stop-instances parameter that starts
	// the instances again after a while.
	ParamStartAfter = "startInstancesAfterDuration"
	// ParamDuration is the aws:fis:wait parameter.
	ParamDuration = "duration"
	// TargetKeyInstances is the key EC2 actions name their target under.
	TargetKeyInstances = "Instances"

	StopSourceAlarm = "aws:cloudwatch:alarm"
	StopSourceNone  = "none"

	FilterAZ    = "Placement.AvailabilityZone"
	FilterState = "State.Name"

	SelectAll = "ALL"

	// PlaceholderRoleARN stands in for the experiment role when none is
	// given; FIS refuses it, so a template cannot be created by mistake
	// with a role nobody chose.
	PlaceholderRoleARN = "arn:aws:iam::ACCOUNT_ID:role/REPLACE_ME"
	// PlaceholderAccount stands in for the account in instance ARNs.
	PlaceholderAccount = "ACCOUNT_ID"
)

// FIS limits the export checks against. Durations are hard limits of the
// actions; the counts are default quotas (see docs/fis.md).
const (
	// MaxResourcesPerTarget is the default quota of resources one EC2
	// action target may resolve to ("Number of resources per experiment
	// target cannot exceed 5"); it is also the most resourceArns a target
	// may list.
	MaxResourcesPerTarget = 5
	// MaxActions is the default quota of actions per experiment template.
	MaxActions = 20
	// MaxParallelActions is the default quota of actions running at once.
	MaxParallelActions = 10
	// MaxDuration bounds an experiment, an aws:fis:wait and
	// startInstancesAfterDuration.
	MaxDuration = 12 * time.Hour
	// MinDuration is the shortest aws:fis:wait or
	// startInstancesAfterDuration.
	MinDuration = time.Minute
	// MaxNameLength bounds target and action names.
	MaxNameLength = 64
	// MaxDescriptionLength bounds the template's and an action's description.
	MaxDescriptionLength = 512
)

// Template is the input of CreateExperimentTemplate, fields in the order
// of `aws fis create-experiment-template --generate-cli-skeleton input`
// (clientToken is left to the CLI, which generates one).
type Template struct {
	Description       string             `json:"description"`
	StopConditions    []StopCondition    `json:"stopConditions"`
	Targets           Object[Target]     `json:"targets"`
	Actions           Object[Action]     `json:"actions"`
	RoleARN           string             `json:"roleArn"`
	Tags              Object[string]     `json:"tags,omitempty"`
	LogConfiguration  *LogConfiguration  `json:"logConfiguration,omitempty"`
	ExperimentOptions *ExperimentOptions `json:"experimentOptions,omitempty"`
}

// StopCondition stops the experiment when a CloudWatch alarm fires; source
// "none" (and no value) means nothing does.
type StopCondition struct {
	Source string `json:"source"`
	Value  string `json:"value,omitempty"`
}

// Target is a set of EC2 instances, named by ARN or found by tags and
// filters when the experiment starts.
type Target struct {
	ResourceType  string         `json:"resourceType"`
	ResourceARNs  []string       `json:"resourceArns,omitempty"`
	ResourceTags  Object[string] `json:"resourceTags,omitempty"`
	Filters       []Filter       `json:"filters,omitempty"`
	SelectionMode string         `json:"selectionMode"`
}

// Filter keeps the resources whose attribute at Path (in the
// DescribeInstances output) has one of Values.
type Filter struct {
	Path   string   `json:"path"`
	Values []string `json:"values"`
}

// Action is one step of the experiment. It starts when every action in
// StartAfter has completed, or at the start of the experiment.
type Action struct {
	ActionID    string         `json:"actionId"`
	Description string         `json:"description,omitempty"`
	Parameters  Object[string] `json:"parameters,omitempty"`
	Targets     Object[string] `json:"targets,omitempty"`
	StartAfter  []string       `json:"startAfter,omitempty"`
}

// LogConfiguration sends the experiment log to CloudWatch Logs.
type LogConfiguration struct {
	CloudWatchLogsConfiguration *CloudWatchLogsConfiguration `json:"cloudWatchLogsConfiguration,omitempty"`
	LogSchemaVersion            int                          `json:"logSchemaVersion"`
}

// CloudWatchLogsConfiguration names the log group.
type CloudWatchLogsConfiguration struct {
	LogGroupARN string `json:"logGroupArn"`
}

// ExperimentOptions of the template.
type ExperimentOptions struct {
	AccountTargeting          string `json:"accountTargeting"`
	EmptyTargetResolutionMode string `json:"emptyTargetResolutionMode"`
}

// Field is one member of an Object.
type Field[T any] struct {
	Key   string
	Value T
}

// Object is a JSON object whose members keep the order they were added in,
// so that a template reads wave-1, wait-after-wave-1, wave-2, ... and is
// byte-for-byte the same for the same input.
type Object[T any] []Field[T]

// Get returns the value of key.
func (o Object[T]) Get(key string) (T, bool) {
	for _, f := range o {
		if f.Key == key {
			return f.Value, true
		}
	}
	var zero T
	return zero, false
}

// Keys returns the member names in order.
func (o Object[T]) Keys() []string {
	keys := make([]string, len(o))
	for i, f := range o {
		keys[i] = f.Key
	}
	return keys
}

// MarshalJSON writes the members in order.
func (o Object[T]) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, f := range o {
		if i > 0 {
			b.WriteByte(',')
		}
		k, err := json.Marshal(f.Key)
		if err != nil {
			return nil, err
		}
		v, err := json.Marshal(f.Value)
		if err != nil {
			return nil, err
		}
		b.Write(k)
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// JSON renders the template as `aws fis create-experiment-template
// --cli-input-json` reads it: indented, with a final newline.
func (t *Template) JSON() ([]byte, error) {
	out, err := json.MarshalIndent(t, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(out, '\n'), nil
}
