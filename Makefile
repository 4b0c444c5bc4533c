# plannerbench — the two commands a new user needs are `make demo` and `make test`.
GO      ?= go
BIN     := $(CURDIR)/bin
RESULTS ?= $(CURDIR)/results
PKGS    := ./...

SEED_TRACE_FLAGS := --time-duration 600 --request-rate-min 5 --request-rate-max 20 \
	--request-rate-period 150 --isl1 3000 --osl1 150 --isl2 3000 --osl2 150
SEED_TRACE := sin_b512_t600_rr5.0-20.0-150.0_io3000150-3000150-0.2-0.8-10.jsonl

.PHONY: all build test lint bench bench-sim bench-load parquet-check demo clean

all: build

build:
	$(GO) build -o $(BIN)/plannerbench ./starter

test:
	$(GO) test -count=1 -p 1 $(PKGS)  # one package at a time: some tests time real streams

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet $(PKGS)

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

# Reads a case's Parquet files with DuckDB (an independent reader, installed
# from npm into .tools/): make parquet-check DIR=results/<matrix>/<case>
DIR ?= results/bench-load/run
parquet-check:
	@command -v node >/dev/null || { echo "parquet-check needs Node.js (apt-get install nodejs npm)"; exit 1; }
	@[ -d .tools/duckdb/node_modules/@duckdb/node-api ] || npm install --prefix .tools/duckdb --no-audit --no-fund @duckdb/node-api@1.5.6-r.1
	@cp scripts/parquet-check.mjs .tools/duckdb/check.mjs
	node .tools/duckdb/check.mjs '$(abspath $(DIR))/requests/*.parquet'

# Until the Temporal pipeline lands, the demo does what exists: it checks the
# seed matrix, synthesizes the seed's trace and prints its statistics.
demo: build
	@mkdir -p $(RESULTS)/demo
	$(BIN)/plannerbench validate examples/seed.yaml
	$(BIN)/plannerbench trace synth $(SEED_TRACE_FLAGS) --output-file $(RESULTS)/demo/$(SEED_TRACE)
	$(BIN)/plannerbench trace stats $(RESULTS)/demo/$(SEED_TRACE)

clean:
	rm -rf $(BIN) $(RESULTS)
