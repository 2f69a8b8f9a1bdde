package main

import (
	"fmt"
	"os"
	"runtime/pprof"

	"gameday/internal/cli"
)

// childGameday is gameday itself (cli.Main), under a CPU profile written
// to $BENCH_CPUPROFILE when that is set: `go run ./bench -pprof DIR`
// measures the gameday runs this way, to find what dominates them.
func childGameday(args []string) int {
	if path := os.Getenv("BENCH_CPUPROFILE"); path != "" {
		f, err := os.Create(path)
		if err != nil {
			fmt.Fprintln(os.Stderr, "bench gameday:", err)
			return 4
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintln(os.Stderr, "bench gameday:", err)
			return 4
		}
		defer pprof.StopCPUProfile()
	}
	os.Args = append([]string{"gameday"}, args...)
	return cli.Main()
}
