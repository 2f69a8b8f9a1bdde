package scenario

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"gameday/internal/strictyaml"
)

const demoPath = scenarioData + "/valid/demo.yaml"

func TestValidFiles(t *testing.T) {
	files, err := filepath.Glob(scenarioData + "/valid/*")
	if err != nil || len(files) == 0 {
		t.Fatalf("no valid scenarios found: %v", err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			s, err := Load(f)
			if err != nil {
				t.Fatalf("unexpected errors:\n%v", err)
			}
			if err := s.Validate(); err != nil {
				t.Errorf("Validate after Load: %v", err)
			}
			if s.Source != f {
				t.Errorf("Source = %q, want %q", s.Source, f)
			}
		})
	}
}

func TestLoadDemo(t *testing.T) {
	s, err := Load(demoPath)
	if err != nil {
		t.Fatal(err)
	}
	yes := true
	want := &Scenario{
		APIVersion:  "gameday/v1",
		Name:        "demo-rolling-reboot",
		Description: "Reboot 50% of the web fleet (at most 30 hosts) in three waves.",
		Target: Target{
			Region:            "us-east-1",
			Tags:              map[string]string{"app": "web"},
			AvailabilityZones: []string{"us-east-1a", "us-east-1b", "us-east-1c"},
			States:            []string{"running"},
		},
		BlastRadius: BlastRadius{Percent: &Percent{50}, MaxInstances: ptr(30)},
		Action:      Action{Type: "reboot"},
		Waves: Waves{Count: 3, Interval: dur(2 * time.Second), Order: OrderRandom, WaitForHealthy: &yes,
			GateTimeout: dur(time.Minute), OnGateTimeout: OnGateTimeoutAbort},
		Schedule: Schedule{Mode: ScheduleImmediate},
		Verify: Verify{Instance: &InstanceProbe{
			Type: ProbeHTTP, URL: "http://{{.PrivateIP}}:8080/healthz", Interval: dur(500 * time.Millisecond), Timeout: dur(time.Second), ExpectStatus: 200,
		}},
		Objectives: Objectives{RecoverAllWithin: &Duration{time.Minute}},
		Guardrails: Guardrails{AvailabilityWindow: dur(time.Minute), RequireTag: map[string]string{"gameday": "opt-in"}},
		Source:     demoPath,
	}
	if !reflect.DeepEqual(s, want) {
		t.Errorf("got  %+v\nwant %+v", s, want)
	}
	got, err := s.Verify.Instance.RenderURL(URLFields{PrivateIP: "127.0.0.7"})
	if want := "http://127.0.0.7:8080/healthz"; got != want || err != nil {
		t.Errorf("RenderURL = %q, %v; want %q", got, err, want)
	}
}

func ptr[T any](v T) *T            { return &v }
func dur(d time.Duration) Duration { return Duration{d} }

func TestLoadMissingFile(t *testing.T) {
	_, err := Load(scenarioData + "/no-such-file.yaml")
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("got %v, want an error wrapping fs.ErrNotExist", err)
	}
}

func TestLoadTooLarge(t *testing.T) {
	path := filepath.Join(t.TempDir(), "big.yaml")
	big := "description: " + strings.Repeat("x", 2*strictyaml.MaxInputSize)
	if err := os.WriteFile(path, []byte(big), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Load(path)
	// Refused by its size, before it is read.
	if want := path + ": (document): file is 2.0 MiB (2097165 bytes), larger than the 1 MiB limit"; err == nil || err.Error() != want {
		t.Errorf("got %v, want %s", err, want)
	}
}

func TestParseReturnsErrors(t *testing.T) {
	_, err := Parse("x.yaml", []byte("name: [x]\nnmae: y\n"))
	var errs strictyaml.Errors
	if !errors.As(err, &errs) {
		t.Fatalf("got %T, want strictyaml.Errors", err)
	}
	// Decode and validation errors come together, sorted; "name: required"
	// is left out because name failed to decode.
	want := []string{
		`x.yaml:1:1: apiVersion: required (hint: start the file with "apiVersion: gameday/v1")`,
		`x.yaml:1:1: blast_radius: set exactly one of all: true, count, percent or per_az; none is set (hint: e.g. "blast_radius: {percent: 30%}")`,
		`x.yaml:1:1: action.type: required (hint: use type: reboot, stop-start, force-stop-start or stop)`,
		`x.yaml:1:1: verify.instance: per-instance health is needed when waves.wait_for_healthy is true, which is the default (hint: ` + needsHealth + `)`,
		`x.yaml:1:7: name: expected a string, got a list`,
		`x.yaml:2:1: nmae: unknown field (hint: did you mean "name"?)`,
	}
	var got []string
	for _, e := range errs {
		got = append(got, e.Error())
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got errors:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestValidateCodeBuiltScenario(t *testing.T) {
	s := &Scenario{
		APIVersion:  APIVersion,
		Name:        "built-in-code",
		BlastRadius: BlastRadius{All: true},
		Action:      Action{Type: ActionReboot},
		Verify:      Verify{Instance: &InstanceProbe{URL: "http://{{.PrivateIP}}/"}},
		Source:      "code",
	}
	s.ApplyDefaults()
	if err := s.Validate(); err != nil {
		t.Fatalf("unexpected errors: %v", err)
	}
	s.Action.Type = "terminate"
	s.Waves.Count = 2000
	want := "code: action.type: gameday never terminates instances (hint: use type: reboot)\n" +
		"code: waves.count: must be between 1 and 1000, got 2000"
	if err := s.Validate(); err == nil || err.Error() != want {
		t.Errorf("got:\n%v\nwant:\n%s", err, want)
	}
}
