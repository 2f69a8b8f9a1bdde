package sim

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"gameday/internal/strictyaml"
)

// FuzzParseFleet checks that ParseFleet never panics, refuses a file with
// positioned strictyaml.Errors, and accepts only a fleet that validates and
// that WriteFleet writes back to a file read as the same fleet.
func FuzzParseFleet(f *testing.F) {
	for _, path := range []string{"../../scenarios/fleets/demo.yaml", "../../scenarios/fleets/default.yaml"} {
		data, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	hostile, _ := filepath.Glob("../../testdata/hostile/fleet-*")
	for _, path := range hostile {
		if data, err := os.ReadFile(path); err == nil {
			f.Add(data)
		}
	}
	var awkward bytes.Buffer
	if err := WriteFleet(&awkward, awkwardFleet(), "awkward"); err != nil {
		f.Fatal(err)
	}
	f.Add(awkward.Bytes())
	for _, seed := range []string{
		"groups: [{name: web, count: 2}]\n",
		"groups:\n  - &g {name: a, count: 1, tags: {app: web}}\n  - {<<: *g, name: b}\n",
		"region: eu-west-1\ngroups: [{name: web, count: 3, boot: {down: 2s, unreachable: hang}}]\n" +
			"events: [{code: system-reboot, not_before: +1h, count: 1}]\n" +
			"services: [{name: front, members: {app: web}, primary: true}]\n",
		"groups: [{name: web, count: 1}]\ngroups: []\n",
		"{\"groups\": [{\"name\": \"web\", \"count\": 1}]}",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		spec, err := ParseFleet("f.yaml", data)
		if err != nil {
			var errs strictyaml.Errors
			if !errors.As(err, &errs) || len(errs) == 0 {
				t.Fatalf("got %T %v; want non-empty strictyaml.Errors", err, err)
			}
			for _, e := range errs {
				if e.Source != "f.yaml" || e.Msg == "" {
					t.Fatalf("malformed error %+v", *e)
				}
			}
			return
		}
		if err := spec.Validate(); err != nil {
			t.Fatalf("ParseFleet accepted a fleet that Validate rejects: %v", err)
		}
		var buf bytes.Buffer
		if err := WriteFleet(&buf, spec, "fuzz"); err != nil {
			t.Fatalf("accepted fleet does not write: %v", err)
		}
		again, err := ParseFleet("again.yaml", buf.Bytes())
		if err != nil {
			t.Fatalf("written fleet does not parse: %v\n%s", err, buf.Bytes())
		}
		if !reflect.DeepEqual(again, spec) {
			t.Fatalf("written fleet reads back as\n%+v\nwant\n%+v\nfile:\n%s", again, spec, buf.Bytes())
		}
	})
}

// TestHostileFleetFiles loads every testdata/hostile/fleet-* file: each is
// refused with a positioned error, or accepted when it is only unusual.
func TestHostileFleetFiles(t *testing.T) {
	want := map[string]string{
		"fleet-billion-laughs.yaml": ":6:9: groups[0].availability_zones[0]: expected a string, got a list",
		"fleet-crlf-bom.yaml":       "",
		"fleet-deep-flow.yaml":      ":5:77: (document): nested deeper than 64 levels",
		"fleet-duplicate-key.yaml":  ":4:27: groups[0].count: duplicate key; first defined at line 4, column 17",
		"fleet-huge-count.yaml":     ":3:1: groups: the fleet has 999999999999 instances; the simulator holds at most 1000000",
		"fleet-nul.yaml":            ":5:4: (document): invalid YAML: control characters are not allowed",
		"fleet-small-aliases.yaml":  "",
	}
	files, err := filepath.Glob("../../testdata/hostile/fleet-*")
	if err != nil || len(files) == 0 {
		t.Fatalf("no samples: %v", err)
	}
	for _, path := range files {
		name := filepath.Base(path)
		w, ok := want[name]
		if !ok {
			t.Errorf("sample %s has no expectation in this test", name)
			continue
		}
		delete(want, name)
		_, err := LoadFleet(path)
		switch {
		case w == "" && err != nil:
			t.Errorf("%s: want it accepted, got:\n%v", name, err)
		case w != "" && (err == nil || !strings.Contains(err.Error(), path+w)):
			t.Errorf("%s: got:\n%.2000v\nwant an error containing:\n%s", name, err, path+w)
		}
	}
	for name := range want {
		t.Errorf("expectation for %s, which is not in testdata/hostile", name)
	}
}

// TestLoadFleetRefusesHugeFilesBySize: a fleet file over the limit is
// refused by its size, named in the error, without being read (the file
// is sparse).
func TestLoadFleetRefusesHugeFilesBySize(t *testing.T) {
	path := filepath.Join(t.TempDir(), "huge.yaml")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(16<<20 + 1); err != nil {
		t.Skipf("no sparse files here: %v", err)
	}
	f.Close()
	_, err = LoadFleet(path)
	var errs strictyaml.Errors
	want := path + ": (document): file is 16.0 MiB (16777217 bytes), larger than the 1 MiB limit"
	if !errors.As(err, &errs) || err.Error() != want {
		t.Errorf("got  %v\nwant %s", err, want)
	}
}
