package runner

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"time"

	"go.uber.org/zap"

	"gameday/internal/fleet"
	"gameday/internal/plan"
	"gameday/internal/recovery"
	"gameday/internal/scenario"
)

// preflight runs the checks that must pass before the first mutation: no
// other run holds the selected instances, and every call the run will make
// is allowed (DryRun). A refusal names the run or the missing permission.
func preflight(ctx context.Context, opts Options, p *plan.Plan, runID string, log *zap.Logger) error {
	selected := p.Selected()
	if claims := recovery.ActiveForeignRuns(selected, time.Now(), runID); len(claims) > 0 {
		if !opts.Force {
			return fmt.Errorf("%w: another run holds %d selected instances (its dead-man tags are unexpired): %s; "+
				"wait for it, run gameday recover, or pass --force", ErrAborted, len(claims), recovery.FormatClaims(claims))
		}
		log.Warn("acting on instances another run claims", zap.String("reason", "--force"), zap.String("claims", recovery.FormatClaims(claims)))
	}
	for _, ph := range p.Phases {
		byRegion := idsByRegion(ph.Selected)
		for _, region := range slices.Sorted(maps.Keys(byRegion)) {
			ids := byRegion[region]
			for _, action := range callsOf(ph.Step.Action) {
				if err := opts.Operators[region].DryRun(ctx, action, ids); err != nil {
					log.Error("permission check failed", zap.String("phase", ph.Name), zap.String("region", region),
						zap.String("action", string(action)), zap.Error(err))
					return fmt.Errorf("runner: permission check (DryRun) before any change, phase %s, region %s: %w", ph.Name, region, err)
				}
				log.Info("permission check passed", zap.String("phase", ph.Name), zap.String("region", region),
					zap.String("action", string(action)), zap.Int("instances", len(ids)))
			}
		}
	}
	return nil
}

// callsOf lists the mutating calls an action makes.
func callsOf(a scenario.Action) []fleet.Action {
	switch a.Type {
	case scenario.ActionReboot:
		return []fleet.Action{fleet.ActionReboot}
	case scenario.ActionStop:
		return []fleet.Action{fleet.ActionTag, fleet.ActionStop, fleet.ActionUntag}
	}
	return []fleet.Action{fleet.ActionTag, fleet.ActionStop, fleet.ActionStart, fleet.ActionUntag}
}

func idsByRegion(instances []fleet.Instance) map[string][]string {
	out := map[string][]string{}
	for _, inst := range instances {
		out[inst.Region] = append(out[inst.Region], inst.ID)
	}
	return out
}
