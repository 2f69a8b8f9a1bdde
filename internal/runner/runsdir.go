package runner

import (
	"fmt"
	"os"
)

// CheckRunsDir makes sure the runs directory exists and takes a file, before
// the run connects to anything. A run writes its journal there before its
// first mutation and stops if it cannot; checking first reports a runs/
// that is read-only, full or in the way of a regular file at once, the same
// way whatever the cause, rather than after the plan and the permission
// checks (or, for a runs/ that cannot even be listed, as a --baseline
// problem). The probe file is removed.
func CheckRunsDir(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("runs directory %s cannot be created: %w", dir, err)
	}
	f, err := os.CreateTemp(dir, ".write-check-*")
	if err != nil {
		return fmt.Errorf("runs directory %s is not writable: %w", dir, err)
	}
	defer os.Remove(f.Name())
	_, err = f.WriteString("gameday write check\n")
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("runs directory %s is not writable: %w", dir, err)
	}
	return nil
}
