// Command bench is gameday's benchmark suite (issue 8). `make bench` runs
// it: it builds nothing itself (the Makefile builds bin/gameday first),
// starts simulators and gameday processes on loopback, measures, and
// rewrites the block between the bench markers of docs/benchmarks.md with
// the machine, the command and min / median / max of every figure.
//
//	go run ./bench                      # the full suite (about 12 minutes)
//	go run ./bench -smoke               # small sizes, one run each; prints, writes no doc
//	go run ./bench -only plan,exec      # some sections (the doc is not written)
//
// Progress goes to stderr; the table is printed to stdout as well. The
// sections, what they measure and how are described in docs/benchmarks.md
// (and generated into it, so the figures and their explanation travel
// together).
//
// The same binary has hidden child modes (first argument "child-plan",
// "child-probe" or "gameday"): measurements that need a clean process of
// their own (peak memory, CPU time) run in one.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"
)

// config is what one invocation of the suite measures.
type config struct {
	gameday  string // path of the gameday binary
	awsCLI   string // path of the AWS CLI v2
	wrk      string // path of wrk
	script   string // scripts/reboot-in-waves.sh
	doc      string // file whose bench block is rewritten; "" for none
	work     string // scratch directory
	pprofDir string // when set, CPU profiles of the gameday processes go here
	smoke    bool
	only     map[string]bool
	command  string // as documented

	// Sizes and run counts.
	planSizes   []int
	planRuns    map[int]int
	rebootN     int
	rebootWaves int
	rebootArgs  []string // extra gameday run flags
	stopStartN  int
	stopWaves   int
	execRuns    int
	cliN        int
	cliWaves    int
	cliRuns     int
	probeSizes  []int
	probeRuns   int
	probeWarmUp time.Duration
	probeWindow time.Duration
	wrkRuns     int
	wrkDuration time.Duration
	capRuns     int
	capSmall    int
}

func fullConfig() config {
	return config{
		planSizes: []int{1_000, 10_000, 100_000},
		planRuns:  map[int]int{1_000: 5, 10_000: 5, 100_000: 3},
		rebootN:   10_000, rebootWaves: 10,
		stopStartN: 2_000, stopWaves: 4,
		execRuns: 3,
		cliN:     1_000, cliWaves: 10, cliRuns: 3,
		probeSizes: []int{1_000, 5_000}, probeRuns: 3,
		probeWarmUp: 3 * time.Second, probeWindow: 60 * time.Second,
		wrkRuns: 3, wrkDuration: 5 * time.Second,
		capRuns: 3, capSmall: 5_000,
	}
}

// smokeConfig is a quick check that every part works: small sizes, one
// run each, about a minute.
func smokeConfig() config {
	return config{
		planSizes: []int{1_000, 10_000},
		planRuns:  map[int]int{1_000: 1, 10_000: 1},
		// 10 ids per call: 100 reboots, so that the buckets bound the run.
		rebootN: 1_000, rebootWaves: 10, rebootArgs: []string{"--batch-size", "10"},
		stopStartN: 1_040, stopWaves: 4,
		execRuns: 1,
		cliN:     100, cliWaves: 4, cliRuns: 1,
		probeSizes: []int{200}, probeRuns: 1,
		probeWarmUp: time.Second, probeWindow: 5 * time.Second,
		wrkRuns: 1, wrkDuration: 2 * time.Second,
		capRuns: 1, capSmall: 1_000,
	}
}

var sections = []string{"capacity", "plan", "exec", "cli", "probe"}

func main() {
	if len(os.Args) > 1 {
		switch os.Args[1] {
		case "child-plan":
			os.Exit(childPlan(os.Args[2:]))
		case "child-probe":
			os.Exit(childProbe(os.Args[2:]))
		case "gameday":
			os.Exit(childGameday(os.Args[2:]))
		}
	}
	os.Exit(run())
}

func run() int {
	var (
		gamedayBin = flag.String("gameday", "bin/gameday", "the gameday binary to measure (make bench builds it)")
		awsCLI     = flag.String("aws", "/usr/bin/aws", "AWS CLI v2 for the shell-script comparison (Debian's awscli)")
		wrkBin     = flag.String("wrk", "wrk", "wrk, for the loopback HTTP ceiling")
		script     = flag.String("script", "scripts/reboot-in-waves.sh", "the reference AWS CLI script")
		doc        = flag.String("doc", "docs/benchmarks.md", "rewrite the bench block of this file (not with -smoke or -only)")
		smoke      = flag.Bool("smoke", os.Getenv("BENCH_SMOKE") != "", "small sizes, one run each; writes no doc (also BENCH_SMOKE=1)")
		only       = flag.String("only", "", "comma-separated sections to run: "+strings.Join(sections, ","))
		keep       = flag.Bool("keep", false, "keep the scratch directory")
		pprofDir   = flag.String("pprof", "", "write CPU profiles of the measured gameday processes to this directory")
		runs       = flag.Int("runs", 0, "override every run count (development)")
	)
	flag.Parse()

	cfg := fullConfig()
	if *smoke {
		cfg = smokeConfig()
	}
	if *runs > 0 {
		for k := range cfg.planRuns {
			cfg.planRuns[k] = *runs
		}
		cfg.execRuns, cfg.cliRuns, cfg.probeRuns, cfg.wrkRuns, cfg.capRuns = *runs, *runs, *runs, *runs, *runs
	}
	cfg.smoke = *smoke
	cfg.awsCLI, cfg.wrk, cfg.script = *awsCLI, *wrkBin, *script
	cfg.command = "make bench"
	if *smoke {
		cfg.command = "BENCH_SMOKE=1 make bench"
	}
	if *only != "" {
		cfg.only = map[string]bool{}
		for _, s := range strings.Split(*only, ",") {
			if !slices.Contains(sections, s) {
				fmt.Fprintf(os.Stderr, "bench: -only %s: unknown section (want %s)\n", s, strings.Join(sections, ","))
				return 2
			}
			cfg.only[s] = true
		}
	}
	if !*smoke && *only == "" && *runs == 0 {
		cfg.doc = *doc
	}
	var err error
	if cfg.gameday, err = filepath.Abs(*gamedayBin); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		return 2
	}
	if _, err := os.Stat(cfg.gameday); err != nil {
		fmt.Fprintf(os.Stderr, "bench: %v (make bench builds it; or pass -gameday)\n", err)
		return 2
	}
	if *pprofDir != "" {
		if cfg.pprofDir, err = filepath.Abs(*pprofDir); err == nil {
			err = os.MkdirAll(cfg.pprofDir, 0o755)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			return 2
		}
	}
	cfg.work, err = os.MkdirTemp("", "gameday-bench-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		return 2
	}
	if !*keep {
		defer os.RemoveAll(cfg.work)
	} else {
		defer fmt.Fprintf(os.Stderr, "bench: scratch files kept in %s\n", cfg.work)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	s := &suite{cfg: cfg, start: time.Now()}
	s.machine = readMachine()
	if err := s.run(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		return 1
	}
	return 0
}

func (c config) want(section string) bool { return c.only == nil || c.only[section] }
