# gameday: `make demo` rehearses a mass reboot on a simulated fleet;
# `make test` runs every test. See README.md.

GO      ?= go
BIN     := bin/gameday
VERSION := $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X gameday/internal/version.Version=$(VERSION)

.PHONY: all build test demo lint fmt clean soak bench

all: build

build:
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/gameday

# vet first: it is fast and catches what the race detector cannot.
test:
	$(GO) vet ./...
	$(GO) test -race -count=1 ./...

# The safety soak (docs/safety.md): 200 crash trials (SIGKILL at a random
# moment of a run, then gameday recover) and 200 runs under injected API
# faults, checked against the simulator's audit log. It prints the figures
# and rewrites the figure blocks of docs/safety.md. About 6 minutes on 2
# CPUs; `make test` runs 20 trials and 4 runs.
soak:
	GAMEDAY_CRASH_TRIALS=200 GAMEDAY_FAULT_RUNS=200 GAMEDAY_SOAK_WORKERS=4 \
	GAMEDAY_SOAK_FIGURES=$(CURDIR)/docs/safety.md \
		$(GO) test -count=1 -timeout 20m -run '^(TestCrashTrials|TestFaultSoak)$$' ./cmd/gameday
	@sed -n '/<!-- crash-trials:begin -->/,/<!-- fault-soak:end -->/p' docs/safety.md | grep -v -e '^<!--' -e '^```'

# The benchmark suite (docs/benchmarks.md, bench/): planning, execution
# against EC2's token buckets, an AWS CLI script, the probe engine and the
# simulator's capacity, min/median/max of several runs, written into the
# generated block of docs/benchmarks.md. About 12 minutes on 2 CPUs; not
# part of `make test`. BENCH_SMOKE=1 runs small sizes once (about a minute)
# and only prints. Needs Debian's awscli and wrk.
bench: build
	BENCH_SMOKE=$(BENCH_SMOKE) $(GO) run ./bench -gameday $(BIN)

demo: build
	./$(BIN) demo

lint:
	@unformatted=$$(gofmt -l cmd internal scenarios); \
	if [ -n "$$unformatted" ]; then echo "gofmt needed:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet ./...

fmt:
	gofmt -w cmd internal scenarios

clean:
	rm -rf bin runs
