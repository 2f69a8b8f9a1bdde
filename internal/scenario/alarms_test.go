package scenario

import (
	"slices"
	"strings"
	"testing"
)

const alarm = "arn:aws:cloudwatch:us-east-1:123456789012:alarm:storefront-5xx-high"

func TestCloudWatchAlarms(t *testing.T) {
	s, err := Parse("t.yaml", []byte(validBase+"guardrails:\n  cloudwatch_alarms: [\""+alarm+"\"]\n"))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(s.Guardrails.CloudWatchAlarms, []string{alarm}) {
		t.Errorf("alarms = %v", s.Guardrails.CloudWatchAlarms)
	}
	// Lines 12 and 13 hold guardrails and the list; items start at column 23.
	for _, tt := range []struct{ items, want string }{
		{`[]`, "t.yaml:13:22: guardrails.cloudwatch_alarms: list at least one alarm"},
		{`["arn:aws:sns:us-east-1:123456789012:topic"]`, `t.yaml:13:23: guardrails.cloudwatch_alarms[0]: expected a CloudWatch alarm ARN, got "arn:aws:sns:us-east-1:123456789012:topic" (hint: arn:aws:cloudwatch:REGION:ACCOUNT:alarm:NAME)`},
		{`["` + alarm + `", "` + alarm + `"]`, "guardrails.cloudwatch_alarms[1]"},
	} {
		_, err := Parse("t.yaml", []byte(validBase+"guardrails:\n  cloudwatch_alarms: "+tt.items+"\n"))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("cloudwatch_alarms %s: error %v, want it to contain %q", tt.items, err, tt.want)
		}
	}
}
