package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// serveOnce runs `gameday sim serve` with args until it has printed its
// environment: the context is cancelled before it starts, as Ctrl-C would.
func serveOnce(t *testing.T, args ...string) cliResult {
	t.Helper()
	var out, errOut bytes.Buffer
	a := &app{in: strings.NewReader(""), out: &out, errOut: &errOut, exit: func(code int) { t.Fatalf("exit(%d) called", code) }}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	code := a.run(ctx, append([]string{"sim", "serve"}, args...))
	return cliResult{code: code, stdout: out.String(), stderr: errOut.String()}
}

func TestSimServeFleets(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "fleet.yaml")
	if err := os.WriteFile(bad, []byte("groups:\n  - name: web\n    count: 0\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		args   []string
		code   int
		stdout []string
		stderr string
	}{
		{"demo by default", nil, ExitMet,
			[]string{"63 instances in us-east-1", "health endpoints: http://<private-ip>:8080/healthz, e.g. http://127.", "export AWS_ENDPOINT_URL_EC2=",
				"services (200 while", "  storefront   http://127.", ".255.1:8080/  36 members, min healthy 18, depends on db",
				".255.2:8080/  3 members, min healthy 1, primary db-01 (i-", "), fails over after 5s",
				"export AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING_V2=", "elbv2 describe-target-health --target-group-arn arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/storefront/"}, ""},
		{"built-in default, API only", []string{"--fleet", "default", "--no-listeners", "--seed", "3"}, ExitMet,
			[]string{"71 instances", "health endpoints: none", "scheduled events", "system-reboot on 3 instances, not before ",
				"services: not served (--no-listeners)", "  api          arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/api/", "depends on api"}, ""},
		{"unknown name", []string{"--fleet", "nope"}, ExitInvalid, nil, "no built-in fleet of that name (demo, default)"},
		{"missing file", []string{"--fleet", "fleets/nope.yaml"}, ExitInvalid, nil, "no such file"},
		{"invalid file", []string{"--fleet", bad}, ExitInvalid, nil, bad + ":3:12: groups[0].count: expected at least 1 instance, got 0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := serveOnce(t, tt.args...)
			if res.code != tt.code {
				t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", res.code, tt.code, res.stdout, res.stderr)
			}
			for _, want := range tt.stdout {
				if !strings.Contains(res.stdout, want) {
					t.Errorf("stdout lacks %q:\n%s", want, res.stdout)
				}
			}
			if !strings.Contains(res.stderr, tt.stderr) {
				t.Errorf("stderr lacks %q:\n%s", tt.stderr, res.stderr)
			}
		})
	}
}
