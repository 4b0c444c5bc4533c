# Helpers shared by the benchmark scripts. Source it; BIN must point at plannerbench.

# cpu_seconds PID: user+system CPU seconds the process has used so far.
cpu_seconds() {
  awk -v hz="$(getconf CLK_TCK)" '{ printf "%.2f\n", ($14 + $15) / hz }' "/proc/$1/stat"
}

# start_sim OUTDIR ARGS...: starts `plannerbench sim serve` in the background,
# waits for it to listen, and sets SIM_PID and SIM_URL.
start_sim() {
  local dir=$1; shift
  rm -f "$dir/ready.json"
  "$BIN" sim serve --port 0 --ready-file "$dir/ready.json" "$@" 2>"$dir/sim.log" &
  SIM_PID=$!
  for _ in $(seq 1 200); do
    [ -s "$dir/ready.json" ] && break
    sleep 0.05
  done
  SIM_URL=$(sed -n 's/.*"url": "\(.*\)".*/\1/p' "$dir/ready.json")
  [ -n "$SIM_URL" ] || { echo "sim serve did not start; see $dir/sim.log" >&2; return 1; }
}

stop_sim() { kill "$SIM_PID" 2>/dev/null || true; wait "$SIM_PID" 2>/dev/null || true; }

# summary_field FILE PATH: a number from summary.json, e.g. ttft_ms.avg.
summary_field() {
  python3 -c 'import json,sys; v=json.load(open(sys.argv[1]))
for k in sys.argv[2].split("."): v=v[k]
print(v)' "$1" "$2" 2>/dev/null || grep -o "\"${2##*.}\": [0-9.e+-]*" "$1" | head -1 | awk '{print $2}'
}

# start_bench_sim OUTDIR: the load benchmarks' simulator (bench-load.sh and
# its peer bench-vegeta.sh): enough engines that the graph is not the
# bottleneck — 100-token prompts prefill in 34 ms (30 req/s an engine);
# about 2,000 streams in flight — at time_scale 1.
start_bench_sim() {
  cat >"$1/graph.yaml" <<YML
name: bench-load
model: deepseek-ai/DeepSeek-R1-Distill-Llama-8B
prefill_workers: 24
decode_workers: 12
block_size: 64
max_model_len: 16384
max_gpus: 0
YML
  start_sim "$1" --config "$1/graph.yaml" --time-scale 1
}
