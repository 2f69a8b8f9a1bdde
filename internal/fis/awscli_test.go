package fis

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// awsCLIs returns the AWS CLIs to check with, or skips: these tests only
// add a second opinion when an AWS CLI is installed. Debian's v2 at
// /usr/bin/aws comes first (the one .ci/run installs; its FIS model is from
// early 2023, which is why experimentOptions is opt-in), then whatever
// "aws" is on PATH, when it is another install. They never reach AWS: the
// skeleton is printed locally, and the create call goes to a closed
// loopback port with made-up credentials, after the CLI has validated the
// input against its own copy of the FIS API model.
func awsCLIs(t *testing.T) []string {
	t.Helper()
	var out []string
	for _, candidate := range []string{"/usr/bin/aws", "aws"} {
		path, err := exec.LookPath(candidate)
		if err != nil {
			continue
		}
		if real, err := filepath.EvalSymlinks(path); err == nil {
			path = real
		}
		if !slices.Contains(out, path) {
			out = append(out, path)
		}
	}
	if len(out) == 0 {
		t.Skip("no AWS CLI installed")
	}
	return out
}

func runAWS(t *testing.T, aws string, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, aws, args...)
	home := t.TempDir()
	cmd.Env = []string{
		"PATH=" + os.Getenv("PATH"), "HOME=" + home,
		"AWS_CONFIG_FILE=" + filepath.Join(home, "config"), "AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(home, "credentials"),
		"AWS_ACCESS_KEY_ID=AKIDGAMEDAYTEST", "AWS_SECRET_ACCESS_KEY=gameday-test-not-a-secret",
		"AWS_EC2_METADATA_DISABLED=true", "AWS_MAX_ATTEMPTS=1", "AWS_RETRY_MODE=standard", "AWS_PAGER=",
	}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.String(), err
}

// TestTemplateKeysMatchTheAWSCLISkeleton compares field names with what
// `aws fis create-experiment-template --generate-cli-skeleton input` lists.
func TestFISTemplateKeysMatchTheAWSCLISkeleton(t *testing.T) {
	t.Parallel()
	for _, aws := range awsCLIs(t) {
		t.Run(aws, func(t *testing.T) { checkSkeleton(t, aws) })
	}
}

func checkSkeleton(t *testing.T, aws string) {
	out, err := runAWS(t, aws, "fis", "create-experiment-template", "--generate-cli-skeleton", "input")
	if err != nil {
		t.Skipf("this aws CLI has no FIS skeleton: %v\n%s", err, out)
	}
	var skeleton struct {
		Targets map[string]map[string]any `json:"targets"`
		Actions map[string]map[string]any `json:"actions"`
	}
	var top map[string]any
	if err := json.Unmarshal([]byte(out), &top); err != nil {
		t.Fatalf("skeleton: %v\n%s", err, out)
	}
	if err := json.Unmarshal([]byte(out), &skeleton); err != nil {
		t.Fatal(err)
	}
	allowedTop := keysOf(top)
	allowedTarget := keysOf(firstValue(skeleton.Targets))
	allowedAction := keysOf(firstValue(skeleton.Actions))
	for _, c := range goldenCases {
		data, err := os.ReadFile(filepath.Join("testdata", "golden", c.Name+".json"))
		if err != nil {
			t.Fatal(err)
		}
		var doc struct {
			Targets map[string]map[string]any `json:"targets"`
			Actions map[string]map[string]any `json:"actions"`
		}
		var docTop map[string]any
		if err := json.Unmarshal(data, &docTop); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(data, &doc); err != nil {
			t.Fatal(err)
		}
		notIn(t, c.Name, keysOf(docTop), allowedTop)
		for _, tg := range doc.Targets {
			notIn(t, c.Name+" target", keysOf(tg), allowedTarget)
		}
		for _, a := range doc.Actions {
			notIn(t, c.Name+" action", keysOf(a), allowedAction)
		}
	}
}

// TestGoldensPassTheAWSCLIParameterValidation hands every golden to `aws
// fis create-experiment-template`, pointed at a closed loopback port: the
// CLI checks required fields, types and lengths against its FIS model
// before it sends anything, so "could not connect" means the input passed.
func TestFISGoldensPassTheAWSCLIParameterValidation(t *testing.T) {
	t.Parallel()
	for _, aws := range awsCLIs(t) {
		t.Run(aws, func(t *testing.T) { t.Parallel(); checkCreateInput(t, aws) })
	}
}

func checkCreateInput(t *testing.T, aws string) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	endpoint := "http://" + l.Addr().String()
	_ = l.Close()
	for _, c := range goldenCases {
		t.Run(c.Name, func(t *testing.T) {
			t.Parallel()
			path, err := filepath.Abs(filepath.Join("testdata", "golden", c.Name+".json"))
			if err != nil {
				t.Fatal(err)
			}
			out, err := runAWS(t, aws, "fis", "create-experiment-template", "--region", "us-east-1",
				"--endpoint-url", endpoint, "--cli-input-json", "file://"+path)
			switch {
			case err == nil:
				t.Fatalf("the create call succeeded against a closed port?\n%s", out)
			case strings.Contains(out, "Parameter validation failed"), strings.Contains(out, "Unknown parameter"):
				t.Errorf("aws CLI rejected %s:\n%s", path, out)
			case !strings.Contains(out, "Could not connect"):
				t.Skipf("unexpected aws CLI output, cannot tell: %s", out)
			}
		})
	}
}

func keysOf(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func firstValue(m map[string]map[string]any) map[string]any {
	for _, v := range m {
		return v
	}
	return nil
}

func notIn(t *testing.T, where string, keys, allowed []string) {
	t.Helper()
	for _, k := range keys {
		if !slices.Contains(allowed, k) {
			t.Errorf("%s: field %q is not in the aws CLI skeleton %v", where, k, allowed)
		}
	}
}
