# The Makefile is the single entry point: `make demo` and `make test` are the
# two commands a newcomer needs (see README.md).
GO        ?= go
BIN       := bin
FUZZTIME  ?= 10s
TRIALS    ?= 12
SCHEDULES ?= 100000
SCALE     ?= 100
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2
# apt-get needs root; use sudo when we are not root and it exists.
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: all build test test-short sim demo bench bench-raft bench-scale fuzz lint deps test-deps tidy-check clean

all: build

## build: compile every binary into bin/, statically linked: no libc mapped
## into each sentinel (1.2 MiB less RSS, docs/benchmarks.md) and no glibc
## version to match on the target host; names resolve with Go's own resolver
build:
	CGO_ENABLED=0 $(GO) build -trimpath -o $(BIN)/ ./cmd/...

## deps: install redis-server, redis-sentinel and redis-tools when missing (Debian/Ubuntu): all that demo and bench need
deps:
	@if ! command -v redis-server >/dev/null 2>&1 || ! command -v redis-sentinel >/dev/null 2>&1 || ! command -v redis-cli >/dev/null 2>&1; then \
		echo "installing redis-server, redis-sentinel and redis-tools with apt-get"; \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server redis-sentinel redis-tools >/dev/null; \
	fi
	@redis-server --version

## test-deps: deps, plus chromium (the status page test), python3-redis (a client check) and prometheus (promtool, the scrape test) when missing
test-deps: deps
	@if ! command -v chromium >/dev/null 2>&1 || ! command -v promtool >/dev/null 2>&1 || ! python3 -c 'import redis' >/dev/null 2>&1; then \
		echo "installing chromium, python3-redis and prometheus with apt-get"; \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium python3-redis >/dev/null && \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus >/dev/null; \
	fi

## test: every test (unit, scenario, fuzz seeds, integration and end-to-end with real redis-server processes)
test: test-deps
	$(GO) test -race -count=1 -timeout 14m ./...

## test-short: the fast layers only (no real processes)
test-short:
	$(GO) test -short -count=1 ./...

## sim: the deterministic cluster simulation over SCHEDULES seeded fault schedules
## (make test runs 10,000); prints failures by kind and the failover latencies.
## Run from the package directory so the summary shows even when all pass.
sim:
	cd monitor && $(GO) test -count=1 -run '^TestSim(Liveness|Raft)$$' -timeout 60m -sim.schedules=$(SCHEDULES)

## demo: three of our sentinels fail a real master over, live, then clean up; prints
## each sentinel's status page URL and waits 5 s before the kill, 60 s after (Ctrl-C ends it)
demo: deps build
	$(BIN)/sentinel-demo -sentinel-binary $(BIN)/sentinel -page-wait 5s -linger 60s

## bench: our sentinel and Debian's redis-sentinel on the same topology, side by side, master killed at any moment 0-12 s after settling
bench: deps build
	$(BIN)/sentinel-bench -ours $(BIN)/sentinel -trials $(TRIALS) -kill-window 12s -rejoin=false
	$(GO) test -run '^$$' -bench . -benchmem ./...

## bench-raft: ours only, vote mode then raft mode, the same kill moments (issue 10: raft within 1.5x of vote)
bench-raft: deps build
	$(BIN)/sentinel-bench -ours $(BIN)/sentinel -impl ours -trials $(TRIALS) -kill-window 12s -rejoin=false -seed 42
	$(BIN)/sentinel-bench -ours $(BIN)/sentinel -impl ours -trials $(TRIALS) -kill-window 12s -rejoin=false -seed 42 -election raft

## bench-scale: ours and redis-sentinel on SCALE masters (+1 replica each): start-up, CPU and RSS over 60 s,
## query throughput (redis-benchmark, 1 and SCALE masters, plain and -P 16, alternating), 10 masters killed at once
bench-scale: deps build
	$(BIN)/sentinel-bench -ours $(BIN)/sentinel -scale $(SCALE) -scale-window 60s -down-after 5s -query-rounds 3 -mass-kill 10

## fuzz: run every fuzz target for FUZZTIME each
fuzz:
	@set -e; for pkg in $$($(GO) list ./...); do \
		for t in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz' || true); do \
			echo "fuzz $$pkg $$t"; \
			$(GO) test -run '^$$' -fuzz "^$$t$$" -fuzztime $(FUZZTIME) $$pkg; \
		done; \
	done

## lint: gofmt, go vet, staticcheck, and the core's dependency rule
lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) run $(STATICCHECK) ./...
	@extra=$$($(GO) list -deps -f '{{if not .Standard}}{{.ImportPath}}{{end}}' ./monitor | grep -v '^github.com/sentinelgo/sentinel/\(monitor\|election\|settings\|glob\)$$' || true); \
		if [ -n "$$extra" ]; then echo "monitor must depend on the standard library only, found: $$extra"; exit 1; fi

tidy-check:
	$(GO) mod tidy && git diff --exit-code go.mod go.sum

clean:
	rm -rf $(BIN)
