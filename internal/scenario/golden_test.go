package scenario

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the .golden files of testdata/invalid")

// TestInvalidFiles parses every file of testdata/invalid and compares the
// full error output with the .golden file beside it. Run
// "go test ./internal/scenario -run TestInvalidFiles -update" after changing
// a message, and review the diff.
func TestInvalidFiles(t *testing.T) {
	inputs, err := filepath.Glob("testdata/invalid/*.*")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, in := range inputs {
		if strings.HasSuffix(in, ".golden") {
			continue
		}
		n++
		t.Run(filepath.Base(in), func(t *testing.T) {
			checkGolden(t, in)
		})
	}
	if n < 12 {
		t.Errorf("found %d invalid scenarios, want at least 12", n)
	}
}

func checkGolden(t *testing.T, in string) {
	t.Helper()
	s, err := Load(filepath.ToSlash(in))
	if err == nil {
		t.Fatalf("Load succeeded, want errors; got %+v", s)
	}
	if s != nil {
		t.Errorf("Load returned a scenario along with errors")
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
}
