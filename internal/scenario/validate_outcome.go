package scenario

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"gameday/internal/strictyaml"
)

const needsHealthHint = "add verify.instance or set verify.ec2_status_checks: true"

// healthPaths are the settings that give per-instance health.
var healthPaths = []string{"verify.instance", "verify.ec2_status_checks", "verify.target_groups"}

const needsServicesHint = `add verify.services, e.g. [{name: storefront, url: "https://staging.example.com/health"}]`

func (v *validator) objectives(s *Scenario) {
	o := s.Objectives
	v.recoveryObjectives(o, s.Verify.HasInstanceHealth())
	if o.Availability != nil && len(s.Verify.Services) == 0 {
		e := v.atKey("objectives.availability", "needs verify.services to measure availability", needsServicesHint)
		v.judged(e, "verify.services")
	}
	if m := o.MinScore; m != nil && (*m < 0 || *m > 100) {
		v.atValue("objectives.min_score", fmt.Sprintf("must be between 0 and 100, got %g", *m), "")
	}
	if o.MinScore != nil && !s.Verify.HasInstanceHealth() {
		// The score is made of recovery times: without health there is no
		// score, and min_score could only be missed.
		e := v.atKey("objectives.min_score", "needs per-instance health: the score is computed from recovery times", needsHealthHint)
		v.judged(e, healthPaths...)
	}
}

// recoveryObjectives checks the objectives measured on recovery times,
// which only per-instance health can observe.
func (v *validator) recoveryObjectives(o Objectives, health bool) {
	for _, d := range []struct {
		path  string
		value *Duration
	}{
		{"objectives.recovery_p95", o.RecoveryP95},
		{"objectives.recovery_max", o.RecoveryMax},
		{"objectives.recover_all_within", o.RecoverAllWithin},
	} {
		if d.value == nil {
			continue
		}
		v.positive(d.path, d.value.Duration)
		if !health {
			e := v.atKey(d.path, "needs per-instance health to observe recovery", needsHealthHint)
			v.judged(e, healthPaths...)
		}
	}
	if p95, worst := o.RecoveryP95, o.RecoveryMax; p95 != nil && worst != nil && p95.Duration > worst.Duration {
		e := v.atValue("objectives.recovery_p95", fmt.Sprintf("recovery_p95 %s is more than recovery_max %s", p95, worst),
			"the 95th percentile of recovery times cannot exceed their maximum")
		v.judged(e, "objectives.recovery_max")
	}
}

var accountPattern = regexp.MustCompile(`^\d{12}$`)

func (v *validator) guardrails(s *Scenario) {
	g := s.Guardrails
	if g.RequireTag != nil && len(g.RequireTag) == 0 {
		v.atValue("guardrails.require_tag", "require_tag cannot be empty; gameday only touches opted-in instances",
			`leave it out for the default {gameday: opt-in}, or name your own tag`)
	}
	v.tagKeys("guardrails.require_tag", g.RequireTag)
	v.positive("guardrails.availability_window", g.AvailabilityWindow.Duration)
	if g.AbortBelowAvailability != nil && len(s.Verify.Services) == 0 {
		e := v.atKey("guardrails.abort_below_availability", "needs verify.services to measure availability", needsServicesHint)
		v.judged(e, "verify.services")
	}
	if g.MaxUnhealthyPercent != nil && !s.Verify.HasInstanceHealth() {
		e := v.atKey("guardrails.max_unhealthy_percent", "needs per-instance health to count unhealthy instances", needsHealthHint)
		v.judged(e, healthPaths...)
	}
	v.alarms("guardrails.cloudwatch_alarms", g.CloudWatchAlarms)
	v.accounts("guardrails.allowed_accounts", g.AllowedAccounts)
	v.regionList("guardrails.allowed_regions", g.AllowedRegions)
	if len(g.AllowedRegions) > 0 {
		v.allowedRegions(s, g.AllowedRegions)
	}
}

func (v *validator) accounts(path string, accounts []string) {
	notEmpty(v, path, accounts, "account")
	v.duplicates(path, accounts, "account")
	for i, a := range accounts {
		if !accountPattern.MatchString(a) {
			v.atValue(strictyaml.JoinIndex(path, i), fmt.Sprintf("expected a 12-digit AWS account ID, got %q", a), accountHint(a))
		}
	}
}

// alarmPattern is a CloudWatch alarm ARN, the only stop condition FIS takes.
var alarmPattern = regexp.MustCompile(`^arn:aws[a-z-]*:cloudwatch:[a-z0-9-]+:[0-9]{12}:alarm:\S{1,255}$`)

func (v *validator) alarms(path string, alarms []string) {
	notEmpty(v, path, alarms, "alarm")
	v.duplicates(path, alarms, "alarm")
	for i, a := range alarms {
		if !alarmPattern.MatchString(a) {
			v.atValue(strictyaml.JoinIndex(path, i), fmt.Sprintf("expected a CloudWatch alarm ARN, got %q", a),
				"arn:aws:cloudwatch:REGION:ACCOUNT:alarm:NAME")
		}
	}
}

// accountHint catches an ID that lost its leading zero on the way, say
// through a spreadsheet.
func accountHint(a string) string {
	if len(a) == 11 && strings.Trim(a, "0123456789") == "" {
		return fmt.Sprintf("it has 11 digits; if it starts with 0, write %q", "0"+a)
	}
	return ""
}

// allowedRegions checks every target section's regions against the
// guardrail, so a typo in a phase cannot act outside it.
func (v *validator) allowedRegions(s *Scenario, allowed []string) {
	targets := []scope{{targetPath: "target", target: s.Target}}
	for i, p := range s.Phases {
		if p.Target != nil {
			targets = append(targets, scope{targetPath: strictyaml.JoinIndex("phases", i) + ".target", target: *p.Target})
		}
	}
	hint := "guardrails.allowed_regions lists " + strings.Join(allowed, ", ")
	for _, sc := range targets {
		if r := sc.target.Region; r != "" && !slices.Contains(allowed, r) {
			e := v.atValue(sc.targetPath+".region", fmt.Sprintf("region %q is not in guardrails.allowed_regions", r), hint)
			v.judged(e, "guardrails.allowed_regions")
		}
		for i, r := range sc.target.Regions {
			if !slices.Contains(allowed, r) {
				e := v.atValue(strictyaml.JoinIndex(sc.targetPath+".regions", i), fmt.Sprintf("region %q is not in guardrails.allowed_regions", r), hint)
				v.judged(e, "guardrails.allowed_regions")
			}
		}
	}
}
