package main

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"gameday/internal/ec2"
)

const versusAbout = `
The same job done twice against the same simulated fleet (a fresh
` + "`gameday sim serve --no-listeners`" + ` for every run, the same seed, EC2's rate limits on, 20 ms state changes):
list the running opted-in instances and reboot them all in waves, 100 ids per call, each wave
checked before the next. Once by [scripts/reboot-in-waves.sh](../scripts/reboot-in-waves.sh),
the shell script a team writes with the AWS CLI v2 (Debian's ` + "`awscli`" + `, ` + "`/usr/bin/aws`" + `):
describe-instances with filters (paginated), reboot-instances per wave, then describe-instance-status
until every instance of the wave is running; and once by ` + "`gameday run`" + ` with the equivalent
scenario (all opted-in ` + "`app=web`" + `, the same number of waves, no health gate), which also
checks the account, makes a DryRun, re-reads each wave before acting on it, journals every call
and writes its reports. Wall time is the whole process, start to exit; API calls are counted in
each simulator's audit log. The ratios are per run (script ÷ gameday, runs paired in order).`

const versusScenario = `apiVersion: gameday/v1
name: bench-versus-script
target: {region: us-east-1, tags: {app: web}}
blast_radius: {all: true}
action: {type: reboot}
waves: {count: %d, wait_for_healthy: false}
`

func (s *suite) runVersus(ctx context.Context) error {
	sec := s.versus
	n, waves := s.cfg.cliN, s.cfg.cliWaves
	if out, err := exec.Command(s.cfg.awsCLI, "--version").CombinedOutput(); err != nil || !strings.HasPrefix(string(out), "aws-cli/2") {
		sec.note("Not measured: %s is not the AWS CLI v2 (%v: %s); `apt-get install -y awscli` provides it.", s.cfg.awsCLI, err, strings.TrimSpace(string(out)))
		s.logf("cli: skipped: no AWS CLI v2 at %s", s.cfg.awsCLI)
		return nil
	}
	script, err := filepath.Abs(s.cfg.script)
	if err != nil {
		return err
	}
	var scriptWall, gdWall, scriptCalls, gdCalls, wallRatio, callRatio []float64
	for i := range s.cfg.cliRuns {
		// The script.
		fleet, err := fleetFile(s.cfg.work, fmt.Sprintf("versus-%d-fleet.yaml", i), n, 0, tinyBoot)
		if err != nil {
			return err
		}
		audit := filepath.Join(s.cfg.work, fmt.Sprintf("versus-script-%d.audit.jsonl", i))
		sp, err := startSim(ctx, s.cfg.gameday, fleet, false, audit)
		if err != nil {
			return err
		}
		wall, out, err := s.runScript(ctx, script, sp.url, waves)
		if _, serr := sp.stop(); err == nil {
			err = serr
		}
		if err != nil {
			return fmt.Errorf("%s: %w: %s", filepath.Base(script), err, lastLines(out, 3))
		}
		records, err := readAudit(audit)
		if err != nil {
			return err
		}
		rebooted := 0
		for _, r := range records {
			if r.Action == "RebootInstances" && r.ErrorCode == "" {
				rebooted += len(r.InstanceIDs)
			}
		}
		if rebooted != n {
			return fmt.Errorf("the script rebooted %d instances, want %d: %s", rebooted, n, lastLines(out, 3))
		}
		// gameday.
		res, err := s.execOnce(ctx, fmt.Sprintf("versus-gameday-%d", i), n, fmt.Sprintf(versusScenario, waves))
		if err != nil {
			return err
		}
		if res.code != 0 {
			return fmt.Errorf("gameday run exited %d: %s", res.code, lastLines(res.stderr, 3))
		}
		scriptWall = append(scriptWall, wall.Seconds())
		gdWall = append(gdWall, res.wall.Seconds())
		scriptCalls = append(scriptCalls, float64(len(records)))
		gdCalls = append(gdCalls, float64(res.calls))
		wallRatio = append(wallRatio, wall.Seconds()/res.wall.Seconds())
		callRatio = append(callRatio, float64(len(records))/float64(res.calls))
		s.logf("cli %s in %d waves: run %d/%d: script %.2fs, %d calls; gameday %.2fs, %d calls; %.1f× faster",
			thousands(int64(n)), waves, i+1, s.cfg.cliRuns, wall.Seconds(), len(records), res.wall.Seconds(), res.calls, wall.Seconds()/res.wall.Seconds())
	}
	label := fmt.Sprintf("%s instances, %d waves", thousands(int64(n)), waves)
	sec.add(label+": AWS CLI script wall time", unitSeconds, nil, scriptWall...)
	sec.add(label+": gameday run wall time", unitSeconds, nil, gdWall...)
	ratio := sec.add(label+": script ÷ gameday, wall time", unitRatio, atLeast(10, "≥ 10×"), wallRatio...)
	sec.add(label+": AWS CLI script API calls", unitCount, nil, scriptCalls...)
	sec.add(label+": gameday run API calls", unitCount, nil, gdCalls...)
	sec.add(label+": script ÷ gameday, API calls", unitRatio, nil, callRatio...)
	perCall := median(scriptWall) / median(scriptCalls)
	sec.note("The script spends about %.2f s per API call: each is a new `aws` process (Python start-up, loading the service model, signing) for a call the simulator answers in milliseconds; gameday makes its calls from one process over kept-alive connections.", perCall)
	if median(callRatio) < 1 {
		sec.note("gameday makes more calls than the script: STS GetCallerIdentity, a DryRun per 1,000 ids, and a DescribeInstances per wave that re-reads the wave's instances before acting (the script checks after each wave instead).")
	}
	if !ratio.metOK() {
		sec.note("Below 10×: the script's floor is its %d `aws` invocations at about %.2f s each on this machine; gameday's %.2f s is mostly its own start-up, the listing and its reports.", int(median(scriptCalls)), perCall, median(gdWall))
	}
	return nil
}

// runScript runs the reference script against a loopback simulator.
func (s *suite) runScript(ctx context.Context, script, endpoint string, waves int) (time.Duration, string, error) {
	if u, err := url.Parse(endpoint); err != nil || !ec2.IsLoopbackEndpoint(endpoint) || u.Scheme != "http" {
		return 0, "", fmt.Errorf("refusing to run the AWS CLI against %q: not a loopback simulator", endpoint)
	}
	cmd := exec.CommandContext(ctx, "bash", script, "-w", strconv.Itoa(waves), "-b", "100",
		"-t", "gameday=opt-in", "-t", "app=web", "-r", "us-east-1", "-e", endpoint)
	// Dummy credentials and no shared files: the CLI can only sign for
	// the simulator, never with the user's keys or profile.
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AWS_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, "AWS_CLI="+s.cfg.awsCLI, "AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test",
		"AWS_REGION=us-east-1", "AWS_DEFAULT_REGION=us-east-1", "AWS_PAGER=",
		"AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null")
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	err := cmd.Run()
	wall := time.Since(start)
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return wall, out.String(), fmt.Errorf("exit %d", ee.ExitCode())
	}
	return wall, out.String(), err
}
