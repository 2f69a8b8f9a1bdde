package scenario

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the .golden files of testdata/scenarios/invalid")

// scenarioData is the repository's top-level testdata/scenarios, seen from
// this package; displayed is how goldens name the files in it.
const (
	scenarioData = "../../testdata/scenarios"
	displayed    = "testdata/scenarios"
)

// goldenLine is the shape of every reported problem: file:line:col: path:
// message; problems of the whole file name the path "(document)".
var goldenLine = regexp.MustCompile(`^testdata/scenarios/invalid/[^:]+:\d+:\d+: [^ :][^ ]*: \S`)

// TestInvalidFiles parses every file of testdata/scenarios/invalid and
// compares the full error output with the .golden file beside it. Run
// "go test ./internal/scenario -run TestInvalidFiles -update" after
// changing a message, and review the diff.
func TestInvalidFiles(t *testing.T) {
	inputs, err := filepath.Glob(filepath.Join(scenarioData, "invalid", "*.*"))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	goldens := map[string]string{}
	for _, in := range inputs {
		if strings.HasSuffix(in, ".golden") {
			continue
		}
		n++
		stem := strings.TrimSuffix(in, filepath.Ext(in))
		if other, dup := goldens[stem]; dup {
			t.Errorf("%s and %s would share one .golden file; rename one", other, in)
		}
		goldens[stem] = in
		t.Run(filepath.Base(in), func(t *testing.T) {
			checkGolden(t, in)
		})
	}
	if n < 45 {
		t.Errorf("found %d invalid scenarios, want at least 45", n)
	}
}

func checkGolden(t *testing.T, in string) {
	t.Helper()
	data, err := os.ReadFile(in)
	if err != nil {
		t.Fatal(err)
	}
	s, err := Parse(displayed+"/invalid/"+filepath.Base(in), data)
	if err == nil {
		t.Fatalf("Parse succeeded, want errors; got %+v", s)
	}
	if s != nil {
		t.Errorf("Parse returned a scenario along with errors")
	}
	got := []byte(err.Error() + "\n")
	golden := strings.TrimSuffix(in, filepath.Ext(in)) + ".golden"
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("errors differ from %s\ngot:\n%s\nwant:\n%s", golden, got, want)
	}
	checkGoldenShape(t, filepath.Base(golden), want)
}

// checkGoldenShape asserts that every line of a golden is a positioned
// problem with a field path, so that editors can jump to it.
func checkGoldenShape(t *testing.T, name string, golden []byte) {
	t.Helper()
	for _, line := range strings.Split(strings.TrimSuffix(string(golden), "\n"), "\n") {
		if !goldenLine.MatchString(line) {
			t.Errorf("%s: line is not %s\n%s", name, goldenLine, line)
		}
	}
}
