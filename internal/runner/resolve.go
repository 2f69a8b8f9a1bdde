package runner

import (
	"context"
	"fmt"
	"maps"
	"slices"

	"go.uber.org/zap"

	"gameday/internal/fleet"
	"gameday/internal/plan"
	"gameday/internal/scenario"
)

// Listers gives the provider of each region a scenario may read.
type Listers map[string]fleet.Provider

// ResolvePlan lists every step's target in every region it names (or
// defaultRegion, when the target names none) and builds the plan. Steps
// with the same target share one listing.
func ResolvePlan(ctx context.Context, scn *scenario.Scenario, listers Listers, defaultRegion string,
	seed uint64, est plan.EstimateOptions, log *zap.Logger) (*plan.Plan, error) {
	cache := map[string][]fleet.Instance{}
	var listings [][]fleet.Instance
	for _, step := range scn.Steps() {
		regions := step.Target.RegionList()
		if len(regions) == 0 {
			regions = []string{defaultRegion}
		}
		var instances []fleet.Instance
		for _, region := range regions {
			got, err := listRegion(ctx, listers, region, providerTarget(step.Target, region), cache)
			if err != nil {
				return nil, err
			}
			instances = append(instances, got...)
		}
		listings = append(listings, instances)
	}
	p, err := plan.Build(plan.Input{Scenario: scn, Instances: listings, Seed: seed, Estimate: est})
	if err != nil {
		return nil, err
	}
	logPlan(log, p)
	return p, nil
}

func listRegion(ctx context.Context, listers Listers, region string, target fleet.Target, cache map[string][]fleet.Instance) ([]fleet.Instance, error) {
	key := fmt.Sprintf("%#v", target) // fmt prints maps sorted: a stable key
	if got, ok := cache[key]; ok {
		return got, nil
	}
	lister, ok := listers[region]
	if !ok {
		return nil, fmt.Errorf("runner: no provider for region %s", region)
	}
	got, err := lister.List(ctx, target)
	if err != nil {
		return nil, err
	}
	cache[key] = got
	return got, nil
}

// providerTarget is what the provider filters on server side; plan checks
// the same rules again, and exclude_tags (which EC2 filters cannot
// express) only there.
func providerTarget(t scenario.Target, region string) fleet.Target {
	return fleet.Target{
		Region:            region,
		Tags:              t.Tags,
		AvailabilityZones: t.AvailabilityZones,
		States:            t.States,
		InstanceIDs:       t.InstanceIDs,
		Filters:           t.Filters,
	}
}

func logPlan(log *zap.Logger, p *plan.Plan) {
	for _, ph := range p.Phases {
		byReason := map[string]int{}
		for _, ex := range ph.Excluded {
			log.Debug("instance excluded", zap.String("phase", ph.Name), zap.String("instance_id", ex.Instance.ID), zap.String("reason", ex.Reason))
			byReason[ex.Reason]++
		}
		for _, reason := range slices.Sorted(maps.Keys(byReason)) {
			log.Info("instances excluded", zap.String("phase", ph.Name), zap.Int("count", byReason[reason]), zap.String("reason", reason))
		}
		log.Info("phase planned", zap.String("phase", ph.Name), zap.Int("matched", ph.Matched), zap.Int("eligible", len(ph.Eligible)),
			zap.Int("selected", len(ph.Selected)), zap.Int("waves", len(ph.Waves)), zap.String("rule", ph.SelectionRule),
			zap.Strings("notes", ph.Notes))
	}
}
