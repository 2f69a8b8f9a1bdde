package report

import (
	"encoding/xml"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// JUnit XML for CI test reporters: one test suite named after the scenario,
// one test case per objective, so a missed objective shows up as a failed
// test with what was measured against what was wanted.
//
//   - A run that completed: one case per objective, <failure> when missed.
//   - No objectives set: one case "run completed" that passes, since such a
//     run passes when it completes; the score is informational.
//   - Aborted, error or unfinished: one case "run" with an <error> carrying
//     the reason; the objectives follow as skipped, since a run that was
//     stopped early did not measure what they ask for.
//   - Dry run: one skipped case "run".

type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Skipped  int          `xml:"skipped,attr"`
	Time     string       `xml:"time,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name       string          `xml:"name,attr"`
	Tests      int             `xml:"tests,attr"`
	Failures   int             `xml:"failures,attr"`
	Errors     int             `xml:"errors,attr"`
	Skipped    int             `xml:"skipped,attr"`
	Time       string          `xml:"time,attr"`
	Timestamp  string          `xml:"timestamp,attr,omitempty"`
	Properties []junitProperty `xml:"properties>property"`
	Cases      []junitCase     `xml:"testcase"`
}

type junitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	ClassName string        `xml:"classname,attr"`
	Time      string        `xml:"time,attr"`
	Failure   *junitProblem `xml:"failure,omitempty"`
	Error     *junitProblem `xml:"error,omitempty"`
	Skipped   *junitProblem `xml:"skipped,omitempty"`
	SystemOut *junitText    `xml:"system-out,omitempty"`
}

type junitProblem struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr,omitempty"`
	// Text is CDATA: encoding/xml would turn each newline of chardata
	// into &#xA;, unreadable in a CI log.
	Text string `xml:",cdata"`
}

type junitText struct {
	Text string `xml:",cdata"`
}

// WriteJUnit writes r as JUnit XML.
func WriteJUnit(w io.Writer, r *Report) error {
	class := "gameday." + r.Scenario.Name
	seconds := strconv.FormatFloat(r.Seconds, 'f', 3, 64)
	suite := junitSuite{Name: r.Scenario.Name, Time: seconds, Properties: junitProperties(r)}
	if !r.StartedAt.IsZero() {
		suite.Timestamp = r.StartedAt.UTC().Format("2006-01-02T15:04:05Z")
	}
	newCase := func(name string) junitCase { return junitCase{Name: name, ClassName: class, Time: "0"} }

	switch r.Status {
	case StatusAborted, StatusError, StatusRunning:
		c := newCase("run")
		c.Time = seconds
		reason := r.Reason
		if r.Status == StatusRunning {
			reason = "the run did not finish: its report still says running"
		}
		c.Error = &junitProblem{Message: fmt.Sprintf("run %s: %s", statusTitle(r.Status), reason), Type: r.Status,
			Text: runStory(r)}
		suite.Cases = append(suite.Cases, c)
		for _, o := range r.Score.Objectives {
			oc := newCase(o.Name)
			oc.Skipped = &junitProblem{Message: fmt.Sprintf("not judged: the run was %s (measured so far: %s; target %s)",
				r.Status, o.Measured, o.Target)}
			suite.Cases = append(suite.Cases, oc)
		}
	case StatusDryRun:
		c := newCase("run")
		c.Skipped = &junitProblem{Message: "dry run: no instance was changed, nothing was measured"}
		suite.Cases = append(suite.Cases, c)
	default:
		if len(r.Score.Objectives) == 0 {
			c := newCase("run completed")
			c.Time = seconds
			c.SystemOut = &junitText{"The scenario sets no objectives, so the run passes when it completes. " +
				"The score (" + scoreText(r.Score) + ") is informational: add objectives to gate on it.\n\n" + runStory(r)}
			suite.Cases = append(suite.Cases, c)
		}
		for _, o := range r.Score.Objectives {
			c := newCase(o.Name)
			if o.Met {
				c.SystemOut = &junitText{fmt.Sprintf("met: measured %s, target %s", o.Measured, o.Target)}
			} else {
				c.Failure = &junitProblem{Message: fmt.Sprintf("%s missed: measured %s, target %s", o.Name, o.Measured, o.Target),
					Type: "objective-missed", Text: runStory(r)}
			}
			suite.Cases = append(suite.Cases, c)
		}
	}
	for _, c := range suite.Cases {
		suite.Tests++
		switch {
		case c.Failure != nil:
			suite.Failures++
		case c.Error != nil:
			suite.Errors++
		case c.Skipped != nil:
			suite.Skipped++
		}
	}
	doc := junitSuites{Name: "gameday", Tests: suite.Tests, Failures: suite.Failures, Errors: suite.Errors,
		Skipped: suite.Skipped, Time: seconds, Suites: []junitSuite{suite}}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return fmt.Errorf("report: junit: %w", err)
	}
	_, err := io.WriteString(w, "\n")
	return err
}

func junitProperties(r *Report) []junitProperty {
	props := []junitProperty{
		{"run_id", r.RunID},
		{"status", r.Status},
		{"score", scoreText(r.Score)},
		{"seed", strconv.FormatUint(r.Seed, 10)},
		{"region", r.Region},
		{"action", r.Scenario.Action},
		{"gameday_version", r.GamedayVersion},
	}
	if r.Account != "" {
		props = append(props, junitProperty{"account", r.Account})
	}
	if r.Scenario.File != "" {
		props = append(props, junitProperty{"scenario_file", r.Scenario.File})
	}
	if r.Baseline != nil {
		props = append(props, junitProperty{"baseline_run_id", r.Baseline.RunID},
			junitProperty{"baseline_score", formatScore(r.Baseline.Score)})
	}
	return props
}

// runStory is a few plain lines on what the run did, for a failure's body:
// what a CI log shows when someone opens the failed test.
func runStory(r *Report) string {
	t := buildTables(r)
	var b strings.Builder
	fmt.Fprintf(&b, "run %s, scenario %s, seed %d: %s\n", r.RunID, r.Scenario.Name, r.Seed, statusSentence(r))
	fmt.Fprintf(&b, "score %s\n", scoreText(r.Score))
	for _, p := range t.Parts {
		fmt.Fprintf(&b, "  %s %s (weight %s): %s\n", p.Name, p.Value, p.Weight, p.Detail)
	}
	fmt.Fprintf(&b, "%s %d, recovered %d\n", pastTense(r.Scenario.Action), t.Acted, t.Recovered)
	for _, o := range t.Objectives {
		fmt.Fprintf(&b, "%s %s: target %s, measured %s\n", o.Icon, o.Name, o.Target, o.Measured)
	}
	for _, p := range t.NeverRecovered {
		fmt.Fprintf(&b, "never recovered: %s (%s, wave %s)", p.InstanceID, p.AZ, p.Wave)
		if p.LastProbe != "" {
			fmt.Fprintf(&b, ", last probe: %s", p.LastProbe)
		}
		b.WriteString("\n")
	}
	for _, g := range t.Regressions {
		fmt.Fprintf(&b, "regression vs baseline %s: %s %s -> %s\n", r.Baseline.RunID, g.Objective, g.Baseline, g.Current)
	}
	b.WriteString("details: summary.md and report.html in the run directory\n")
	return b.String()
}
