#!/usr/bin/env bash
# Load-driver benchmark (issue 4): 500 req/s of 150-token streams for 30 s
# against `sim serve` in another process at time_scale 1. Reports dispatch
# lateness p50/p99/max, the driver's CPU seconds per 1,000 streamed tokens and
# its peak RSS. Both processes share this machine's cores; the driver runs on
# half of them unless DRIVER_GOMAXPROCS says otherwise (`load --procs`).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-$PWD/bin/plannerbench}
OUT=${OUT:-$PWD/results/bench-load}
RATE=${RATE:-500}
SECONDS_=${DURATION:-30}
. scripts/lib.sh
mkdir -p "$OUT"
trap stop_sim EXIT

"$BIN" trace synth --time-duration "$SECONDS_" --request-rate-min "$RATE" --request-rate-max "$RATE" \
  --isl1 100 --osl1 150 --isl2 100 --osl2 150 --seed 1 --output-file "$OUT/trace.jsonl" >/dev/null
start_bench_sim "$OUT"
rm -rf "$OUT/run"
s0=$(cpu_seconds "$SIM_PID")
env ${DRIVER_GOMAXPROCS:+GOMAXPROCS=$DRIVER_GOMAXPROCS} /usr/bin/time -f '%U %S %M' -o "$OUT/time.txt" \
  "$BIN" load ${CPUPROFILE:+--cpuprofile "$CPUPROFILE"} --url "$SIM_URL" --trace "$OUT/trace.jsonl" --out "$OUT/run" >"$OUT/table.txt"
s1=$(cpu_seconds "$SIM_PID")
read -r user sys rss <"$OUT/time.txt"
sum="$OUT/run/summary.json"
completed=$(summary_field "$sum" completed)
tokens=$(awk -v n="$completed" -v avg="$(summary_field "$sum" output_tokens.avg)" 'BEGIN { printf "%d", n * avg }')
echo "requests: $(summary_field "$sum" requests) sent, $completed completed, $(summary_field "$sum" errors) errors; $tokens tokens streamed"
echo "dispatch lateness (ms): p50 $(summary_field "$sum" lateness_ms.p50)  p99 $(summary_field "$sum" lateness_ms.p99)  max $(summary_field "$sum" lateness_ms.max)"
awk -v u="$user" -v s="$sys" -v t="$tokens" -v rss="$rss" -v c0="$s0" -v c1="$s1" 'BEGIN {
  printf "driver CPU: %.2f s user + %.2f s sys = %.2f ms per 1,000 tokens (%.0f tokens per CPU second)\n", u, s, 1000 * (u + s) / (t / 1000), t / (u + s)
  printf "driver peak RSS: %.1f MiB\n", rss / 1024
  printf "sim serve CPU meanwhile: %.2f s\n", c1 - c0
}'
