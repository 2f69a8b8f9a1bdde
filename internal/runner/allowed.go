package runner

import (
	"fmt"
	"slices"

	"go.uber.org/zap"

	"gameday/internal/scenario"
)

// checkAllowed refuses an account or region the scenario's guardrails do
// not allow, before anything is listed or touched.
func checkAllowed(g scenario.Guardrails, account string, regions []string, log *zap.Logger) error {
	if len(g.AllowedAccounts) > 0 && !slices.Contains(g.AllowedAccounts, account) {
		log.Warn("refusing account", zap.String("account", account), zap.Strings("allowed_accounts", g.AllowedAccounts))
		return fmt.Errorf("%w: account %s is not in guardrails.allowed_accounts %v", ErrAborted, account, g.AllowedAccounts)
	}
	for _, region := range regions {
		if len(g.AllowedRegions) > 0 && !slices.Contains(g.AllowedRegions, region) {
			log.Warn("refusing region", zap.String("region", region), zap.Strings("allowed_regions", g.AllowedRegions))
			return fmt.Errorf("%w: region %s is not in guardrails.allowed_regions %v", ErrAborted, region, g.AllowedRegions)
		}
	}
	return nil
}

// NotWatched lists what a scenario sets that gameday run accepts but does
// not act on, so that the operator is told rather than left to assume.
func NotWatched(s *scenario.Scenario) []string {
	var out []string
	if n := len(s.Guardrails.CloudWatchAlarms); n > 0 {
		out = append(out, fmt.Sprintf("guardrails.cloudwatch_alarms (%d): gameday run does not read CloudWatch; "+
			"they are the stop conditions of gameday export fis. While gameday runs, abort_below_availability and "+
			"max_unhealthy_percent are its guardrails", n))
	}
	return out
}

// Unsupported lists what a scenario asks for that `gameday run` cannot
// execute yet. `gameday plan` understands all of it; running such a
// scenario is refused up front rather than half done. This version runs
// every field, so the list is empty; the check stays for the next field
// that `plan` understands before `run` does.
func Unsupported(*scenario.Scenario) []string {
	return nil
}
