package runner

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"go.uber.org/zap"

	"gameday/internal/report"
	"gameday/internal/score"
)

// BaselineNone turns the comparison with an earlier run off.
const BaselineNone = "none"

// FindBaseline picks the run this one is compared with: the run named by
// spec, or with spec empty the most recent completed run (passed or
// failed) of the same scenario under runsDir, or none. Aborted runs and dry
// runs measured something else and never serve as a baseline by default.
func FindBaseline(runsDir, scenarioName, spec string) (*report.Report, error) {
	switch spec {
	case BaselineNone:
		return nil, nil
	case "":
		return latestCompleted(runsDir, scenarioName)
	}
	rep, err := report.ReadJSON(filepath.Join(runsDir, spec, report.JSONFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("baseline run %s: no %s under %s", spec, report.JSONFile, filepath.Join(runsDir, spec))
	}
	if err != nil {
		return nil, fmt.Errorf("baseline run %s: %w", spec, err)
	}
	if rep.Scenario.Name != scenarioName {
		return nil, fmt.Errorf("baseline run %s ran scenario %q, not %q: only runs of the same scenario compare", spec,
			rep.Scenario.Name, scenarioName)
	}
	return rep, nil
}

func latestCompleted(runsDir, scenarioName string) (*report.Report, error) {
	entries, err := os.ReadDir(runsDir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("baseline: %w", err)
	}
	var latest *report.Report
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		rep, err := report.ReadJSON(filepath.Join(runsDir, e.Name(), report.JSONFile))
		if err != nil {
			continue // a run without a readable report cannot be compared with
		}
		completed := rep.Status == report.StatusPassed || rep.Status == report.StatusFailed
		if rep.Scenario.Name == scenarioName && completed && (latest == nil || rep.StartedAt.After(latest.StartedAt)) {
			latest = rep
		}
	}
	return latest, nil
}

// baselineSection compares a finished run's score with the baseline's.
func baselineSection(current score.Score, base *report.Report) *report.Baseline {
	if base == nil {
		return nil
	}
	return &report.Baseline{
		RunID: base.RunID, StartedAt: base.StartedAt, Score: base.Score.Value,
		Regressions: score.Compare(current, base.Score),
	}
}

func logBaseline(log *zap.Logger, base *report.Report) {
	if base == nil {
		log.Info("no baseline", zap.String("reason", "no earlier completed run of this scenario under the runs directory, or --baseline none"))
		return
	}
	log.Info("comparing with baseline", zap.String("baseline_run_id", base.RunID), zap.Time("baseline_started_at", base.StartedAt),
		zap.Float64("baseline_score", base.Score.Value))
}
