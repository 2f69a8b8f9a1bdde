# gameday: `make demo` rehearses a mass reboot on a simulated fleet;
# `make test` runs every test. See README.md.

GO      ?= go
BIN     := bin/gameday
VERSION := $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X gameday/internal/version.Version=$(VERSION)

.PHONY: all build test demo lint fmt clean

all: build

build:
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/gameday

# vet first: it is fast and catches what the race detector cannot.
test:
	$(GO) vet ./...
	$(GO) test -race -count=1 ./...

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
