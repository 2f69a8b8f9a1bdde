package runner

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCheckRunsDir(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	file := filepath.Join(dir, "a-file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	fresh := filepath.Join(dir, "new", "runs")
	if err := CheckRunsDir(fresh); err != nil {
		t.Fatalf("a runs directory that can be created: %v", err)
	}
	if entries, err := os.ReadDir(fresh); err != nil || len(entries) != 0 {
		t.Errorf("the check left %v (%v) behind, want an empty directory", entries, err)
	}
	for _, bad := range []string{filepath.Join(file, "runs"), file} {
		err := CheckRunsDir(bad)
		if err == nil || !strings.Contains(err.Error(), "runs directory "+bad) {
			t.Errorf("CheckRunsDir(%s) = %v, want an error naming it", bad, err)
		}
	}
}
