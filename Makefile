# plannerbench — the two commands a new user needs are `make demo` and `make test`.
GO      ?= go
BIN     := $(CURDIR)/bin
RESULTS ?= $(CURDIR)/results
PKGS    := ./...
# go-nvml's cgo header marks functions deprecated that it still binds;
# without this every cold build prints pages of warnings.
export CGO_CFLAGS ?= -O2 -g -Wno-deprecated-declarations

SEED_TRACE_FLAGS := --time-duration 600 --request-rate-min 5 --request-rate-max 20 \
	--request-rate-period 150 --isl1 3000 --osl1 150 --isl2 3000 --osl2 150 --phase mean
SEED_TRACE := sin_b512_t600_rr5.0-20.0-150.0_io3000150-3000150-0.2-0.8-10.jsonl

# The Temporal CLI (dev server and UI): the one on PATH, else built into ./bin
# (v1.5.1 is the newest that `go install` can build).
TEMPORAL_VERSION := v1.5.1
TEMPORAL ?= $(shell command -v temporal 2>/dev/null || echo $(BIN)/temporal)
TEMPORAL_PORT ?= 7233
UI_PORT ?= 8233
STATE := $(CURDIR)/.plannerbench
SEARCH_ATTRIBUTES := --search-attribute BenchStage=Keyword --search-attribute BenchMatrix=Keyword \
	--search-attribute BenchCase=Keyword --search-attribute Deployment=Keyword --search-attribute PlannerMode=Keyword
# The demo replays the seed's 600 s trace this many times faster.
DEMO_TIME_SCALE ?= 5

.PHONY: all build test test-short fuzz soak lint bench bench-sim bench-load bench-load-peer parquet-check verify-report duckdb demo up down temporal clean

all: build

build:
	$(GO) build -o $(BIN)/plannerbench ./starter
	$(GO) build -o $(BIN)/plannerbench-worker ./worker

# Builds the Temporal CLI into ./bin when none is on PATH.
temporal: $(TEMPORAL)
$(BIN)/temporal:
	@echo "building the Temporal CLI $(TEMPORAL_VERSION) into $(BIN) (a few minutes, once)"
	GOBIN=$(BIN) $(GO) install github.com/temporalio/cli/cmd/temporal@$(TEMPORAL_VERSION)

# Starts the Temporal dev server (UI on :$(UI_PORT)) and a worker in the
# background; logs and pid files go to .plannerbench/.
up: build temporal
	@mkdir -p $(STATE)
	@if [ -f $(STATE)/temporal.pid ] && kill -0 $$(cat $(STATE)/temporal.pid) 2>/dev/null; then \
		echo "Temporal dev server already running (pid $$(cat $(STATE)/temporal.pid))"; \
	else \
		nohup $(TEMPORAL) server start-dev --db-filename $(STATE)/temporal.db --port $(TEMPORAL_PORT) --ui-port $(UI_PORT) \
			$(SEARCH_ATTRIBUTES) >$(STATE)/temporal.log 2>&1 & echo $$! >$(STATE)/temporal.pid; \
		echo "Temporal dev server starting (pid $$(cat $(STATE)/temporal.pid), log $(STATE)/temporal.log)"; \
	fi
	@for i in $$(seq 1 120); do \
		$(TEMPORAL) operator cluster health --address localhost:$(TEMPORAL_PORT) >/dev/null 2>&1 && break; sleep 0.5; \
		if [ $$i = 120 ]; then echo "the dev server did not come up; see $(STATE)/temporal.log"; exit 1; fi; \
	done
	@if [ -f $(STATE)/worker.pid ] && kill -0 $$(cat $(STATE)/worker.pid) 2>/dev/null; then kill $$(cat $(STATE)/worker.pid); sleep 1; fi
	@nohup $(BIN)/plannerbench-worker --address localhost:$(TEMPORAL_PORT) --results-dir $(RESULTS) >$(STATE)/worker.log 2>&1 & echo $$! >$(STATE)/worker.pid
	@echo "worker running (pid $$(cat $(STATE)/worker.pid), log $(STATE)/worker.log)"
	@echo "Temporal UI: http://localhost:$(UI_PORT)"

# Stops the worker and the dev server started by `make up`.
down:
	@for p in worker temporal; do \
		if [ -f $(STATE)/$$p.pid ]; then kill $$(cat $(STATE)/$$p.pid) 2>/dev/null && echo "stopped $$p"; rm -f $(STATE)/$$p.pid; fi; \
	done

# Every test, the end-to-end ones against a real Temporal dev server
# included (the CLI is built first when missing). One package at a time:
# some tests time real streams. The output is go test's own, then the five
# slowest tests (internal/testtime), so that the suite's cost stays in
# view; the end-to-end package takes about seventeen minutes on 2 cores,
# past go test's default timeout.
test: $(TEMPORAL) $(BIN)/testtime
	PLANNERBENCH_E2E=1 PLANNERBENCH_TEMPORAL=$(TEMPORAL) $(GO) test -json -count=1 -p 1 -timeout 35m $(PKGS) 2>&1 | $(BIN)/testtime

# The quick loop: unit and workflow tests, no real servers, no long timings.
test-short: $(BIN)/testtime
	$(GO) test -json -count=1 -short -p 1 $(PKGS) 2>&1 | $(BIN)/testtime

$(BIN)/testtime: $(wildcard internal/testtime/*.go internal/testtime/cmd/testtime/*.go)
	$(GO) build -o $(BIN)/testtime ./internal/testtime/cmd/testtime

# 50 short cases on one worker, max_parallel 4: completion, the bound,
# history sizes, the worker's peak memory (not part of test or CI).
soak: $(TEMPORAL)
	PLANNERBENCH_E2E=1 PLANNERBENCH_SOAK=1 PLANNERBENCH_TEMPORAL=$(TEMPORAL) $(GO) test -count=1 -run '^TestSoak$$' -v -timeout 20m ./workflows/e2e

# Each fuzz target for FUZZTIME (not part of test or CI): the matrix and
# trace parsers, the load driver's stream chunk parser, the simulator's
# request decoding. Failing inputs land in the packages' testdata/fuzz.
FUZZTIME ?= 60s
fuzz:
	$(GO) test -run '^$$' -fuzz '^FuzzParseMatrix$$' -fuzztime $(FUZZTIME) ./schemas
	$(GO) test -run '^$$' -fuzz '^FuzzTraceReader$$' -fuzztime $(FUZZTIME) ./schemas
	$(GO) test -run '^$$' -fuzz '^FuzzParseChunk$$' -fuzztime $(FUZZTIME) ./internal/loadgen
	$(GO) test -run '^$$' -fuzz '^FuzzSSEReader$$' -fuzztime $(FUZZTIME) ./internal/loadgen
	$(GO) test -run '^$$' -fuzz '^FuzzRequestDecoding$$' -fuzztime $(FUZZTIME) ./deploy/sim/simserver

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet $(PKGS)
	@[ -x $(BIN)/workflowcheck ] || GOBIN=$(BIN) $(GO) install go.temporal.io/sdk/contrib/tools/workflowcheck@v0.6.0
	$(BIN)/workflowcheck ./workflows/...

# Benchmarks, then the one-hour 1,000 req/s trace (3.6M requests) through the
# CLI with its wall time and peak RSS.
bench: build
	$(GO) test -run '^$$' -bench . -benchmem $(PKGS)
	@mkdir -p $(RESULTS)/bench
	@if [ -x /usr/bin/time ]; then \
		/usr/bin/time -f 'peak RSS %M KiB, %e s wall, %U s user' $(BIN)/plannerbench trace synth \
			--time-duration 3600 --request-rate-min 1000 --request-rate-max 1000 \
			--isl1 3000 --osl1 150 --isl2 3000 --osl2 150 --output-file $(RESULTS)/bench/hour_1000rps.jsonl; \
	else \
		$(BIN)/plannerbench trace synth --time-duration 3600 --request-rate-min 1000 --request-rate-max 1000 \
			--isl1 3000 --osl1 150 --isl2 3000 --osl2 150 --output-file $(RESULTS)/bench/hour_1000rps.jsonl; \
	fi
	@rm -f $(RESULTS)/bench/hour_1000rps.jsonl

# Simulator benchmarks: 2,000 concurrent streams, and the seed load at
# time_scale 10 vs 1 (about 4 minutes).
bench-sim: build
	BIN=$(BIN)/plannerbench scripts/bench-sim.sh

# Load-driver benchmark: 500 req/s of 150-token streams for 30 s.
bench-load: build
	BIN=$(BIN)/plannerbench scripts/bench-load.sh

# The driver and its peer side by side on the same simulator and machine:
# bench-load (the driver on half the cores, its default), the driver on
# every core, then vegeta v12.13 sending the same load and reading the same
# streams without parsing them (built into .tools/bin once).
bench-load-peer: build
	@echo "== plannerbench load (default: half the cores)"
	BIN=$(BIN)/plannerbench scripts/bench-load.sh
	@echo "== plannerbench load on every core"
	BIN=$(BIN)/plannerbench DRIVER_GOMAXPROCS=$$(nproc) scripts/bench-load.sh
	@echo "== vegeta"
	BIN=$(BIN)/plannerbench scripts/bench-vegeta.sh

# Reads a case's Parquet files with DuckDB (an independent reader, installed
# from npm into .tools/): make parquet-check DIR=results/<matrix>/<case>
DIR ?= results/bench-load/run
duckdb:
	@command -v node >/dev/null || { echo "this needs Node.js (apt-get install nodejs npm)"; exit 1; }
	@[ -d .tools/duckdb/node_modules/@duckdb/node-api ] || npm install --prefix .tools/duckdb --no-audit --no-fund @duckdb/node-api@1.5.6-r.1
parquet-check: duckdb
	@cp scripts/parquet-check.mjs .tools/duckdb/check.mjs
	@if [ -f '$(abspath $(DIR))/requests.parquet' ]; then node .tools/duckdb/check.mjs '$(abspath $(DIR))/requests.parquet'; \
	else node .tools/duckdb/check.mjs '$(abspath $(DIR))/requests/*.parquet'; fi

# Recomputes a matrix report's numbers from its Parquet files with DuckDB:
# make verify-report DIR=results/seed
verify-report: duckdb
	@cp scripts/verify-report.mjs .tools/duckdb/verify.mjs
	node .tools/duckdb/verify.mjs '$(abspath $(DIR))'

# The seed experiment end to end: dev server, UI and worker, then the seed
# matrix (planner from 1p1d vs fixed 2p2d) at DEMO_TIME_SCALE, watched live,
# then its results table.
demo: up
	$(BIN)/plannerbench submit examples/seed.yaml --address localhost:$(TEMPORAL_PORT) --set time_scale=$(DEMO_TIME_SCALE) --wait
	@echo
	$(BIN)/plannerbench report seed --results-dir $(RESULTS)
	@echo
	@echo "Temporal UI: http://localhost:$(UI_PORT)  (stop everything with: make down)"

clean: down
	rm -rf $(BIN) $(RESULTS) $(STATE)
