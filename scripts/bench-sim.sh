#!/usr/bin/env bash
# Simulator benchmarks (issue 3):
#  1. `sim serve` holding 2,000 concurrent streams at time_scale 1: its CPU use.
#  2. The seed load (5->20 req/s, 3000/150; the first 120 s of the seed trace,
#     on 2p2d) at time_scale 10 against the same slice at time_scale 1: CPU
#     and the error of mean TTFT and ITL.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-$PWD/bin/plannerbench}
OUT=${OUT:-$PWD/results/bench-sim}
. scripts/lib.sh
mkdir -p "$OUT"
trap stop_sim EXIT

echo "== 1. 2,000 concurrent streams at time_scale 1"
cat >"$OUT/wide.yaml" <<YML
name: wide
model: deepseek-ai/DeepSeek-R1-Distill-Llama-8B
prefill_workers: 16
decode_workers: 8
block_size: 64
max_model_len: 16384
max_gpus: 0
YML
"$BIN" trace synth --time-duration 1 --request-rate-min 2000 --request-rate-max 2000 \
  --isl1 10 --osl1 1000 --isl2 10 --osl2 1000 --seed 1 --output-file "$OUT/streams.jsonl" >/dev/null
start_sim "$OUT" --config "$OUT/wide.yaml" --time-scale 1
rm -rf "$OUT/streams"
"$BIN" load --url "$SIM_URL" --trace "$OUT/streams.jsonl" --out "$OUT/streams" --request-timeout 10m >"$OUT/streams.txt" 2>&1 &
LOAD_PID=$!
sleep 10   # all 2,000 admitted (prefill takes about 3.5 s)
active=$(curl -s "$SIM_URL/metrics" | awk '/^request_active_slots/ {s += $2} END {print s}')
c0=$(cpu_seconds "$SIM_PID"); l0=$(cpu_seconds "$LOAD_PID"); t0=$(date +%s.%N)
sleep 20
c1=$(cpu_seconds "$SIM_PID"); l1=$(cpu_seconds "$LOAD_PID"); t1=$(date +%s.%N)
active2=$(curl -s "$SIM_URL/metrics" | awk '/^request_active_slots/ {s += $2} END {print s}')
tokens=$(curl -s "$SIM_URL/metrics" | awk '/^sim_generated_tokens_total/ {print $2}')
awk -v c0="$c0" -v c1="$c1" -v l0="$l0" -v l1="$l1" -v t0="$t0" -v t1="$t1" -v a="$active" -v b="$active2" 'BEGIN {
  w = t1 - t0
  printf "streams held: %d at the start of the window, %d at its end\n", a, b
  printf "sim serve CPU: %.2f s over %.1f s = %.0f%% of one core\n", c1 - c0, w, 100 * (c1 - c0) / w
  printf "load driver CPU (same machine): %.2f s = %.0f%% of one core\n", l1 - l0, 100 * (l1 - l0) / w
}'
echo "tokens generated so far: $tokens"
kill "$LOAD_PID" 2>/dev/null; wait "$LOAD_PID" 2>/dev/null || true
stop_sim

echo "== 2. seed load, first 120 s, 2p2d: time_scale 10 vs 1"
"$BIN" trace synth --time-duration 120 --request-rate-min 5 --request-rate-max 20 --request-rate-period 150 \
  --isl1 3000 --osl1 150 --isl2 3000 --osl2 150 --output-file "$OUT/seed120.jsonl" >/dev/null
for k in 10 1; do
  start_sim "$OUT" --config planner_benchmark_2p2d --time-scale "$k"
  rm -rf "$OUT/seed_ts$k"
  s0=$(date +%s.%N)
  "$BIN" load --url "$SIM_URL" --trace "$OUT/seed120.jsonl" --out "$OUT/seed_ts$k" --time-scale "$k" >"$OUT/seed_ts$k.txt"
  s1=$(date +%s.%N)
  cpu=$(cpu_seconds "$SIM_PID")
  stop_sim
  printf "time_scale %-3s wall %6.1f s  sim serve CPU %6.2f s  mean TTFT %9.2f ms  mean ITL %7.3f ms\n" "$k" \
    "$(awk -v a="$s0" -v b="$s1" 'BEGIN{print b-a}')" "$cpu" "$(summary_field "$OUT/seed_ts$k/summary.json" ttft_ms.avg)" "$(summary_field "$OUT/seed_ts$k/summary.json" itl_ms.avg)"
done
awk -v a="$(summary_field "$OUT/seed_ts10/summary.json" ttft_ms.avg)" -v b="$(summary_field "$OUT/seed_ts1/summary.json" ttft_ms.avg)" \
    -v c="$(summary_field "$OUT/seed_ts10/summary.json" itl_ms.avg)" -v d="$(summary_field "$OUT/seed_ts1/summary.json" itl_ms.avg)" 'BEGIN {
  printf "error at time_scale 10 vs 1: mean TTFT %+.2f%%, mean ITL %+.2f%%\n", 100 * (a - b) / b, 100 * (c - d) / d
}'
