#!/usr/bin/env bash
# The load driver's peer (issue 14): vegeta v12.13 sends the same load as
# bench-load.sh (RATE req/s of 100-token prompts asking for 150 streamed
# tokens, DURATION s) at a `sim serve` with the same graph, and reads every
# stream to its end without parsing it. Dispatch lateness is each request's
# send time minus its slot (first send + seq / rate), from vegeta's own
# results; CPU per 1,000 tokens as for the driver (150 tokens a stream).
# vegeta is built into .tools/bin once (Go module proxy).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-$PWD/bin/plannerbench}
OUT=${OUT:-$PWD/results/bench-load}
RATE=${RATE:-500}
SECONDS_=${DURATION:-30}
VEGETA=${VEGETA:-$PWD/.tools/bin/vegeta}
. scripts/lib.sh
mkdir -p "$OUT"
if [ ! -x "$VEGETA" ]; then
  echo "building vegeta v12.13.0 into $(dirname "$VEGETA") (once)"
  GOBIN=$(dirname "$VEGETA") go install github.com/tsenart/vegeta/v12@v12.13.0
fi
trap stop_sim EXIT
start_bench_sim "$OUT"
# A 100-word prompt; the simulator counts words as tokens like the driver's
# prompts, and ignore_eos/min_tokens make every stream 150 tokens long.
prompt=$(python3 -c 'print(" ".join("w%d" % i for i in range(100)))')
body=$(printf '{"model":"deepseek-ai/DeepSeek-R1-Distill-Llama-8B","messages":[{"role":"user","content":"%s"}],"max_tokens":150,"min_tokens":150,"ignore_eos":true,"stream":true,"stream_options":{"include_usage":true}}' "$prompt" | base64 -w0)
printf '{"method":"POST","url":"%s/v1/chat/completions","header":{"Content-Type":["application/json"]},"body":"%s"}\n' "$SIM_URL" "$body" >"$OUT/vegeta-targets.json"
/usr/bin/time -f '%U %S %M' -o "$OUT/vegeta-time.txt" "$VEGETA" attack -format=json -targets="$OUT/vegeta-targets.json" \
  -rate="$RATE/s" -duration="${SECONDS_}s" -timeout=120s -max-body=-1 >"$OUT/vegeta.bin"
read -r user sys rss <"$OUT/vegeta-time.txt"
"$VEGETA" encode --to csv <"$OUT/vegeta.bin" >"$OUT/vegeta.csv"
# csv: timestamp(ns),code,latency(ns),bytes_out,bytes_in,error,body,attack,seq,...
python3 - "$OUT/vegeta.csv" "$RATE" "$user" "$sys" "$rss" <<'PY'
import csv, sys
path, rate, user, sys_, rss = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5])
rows = [(int(r[0]), int(r[1]), int(r[8])) for r in csv.reader(open(path))]
t0 = min(ts - seq * 1e9 / rate for ts, _, seq in rows)
late = sorted(max(0.0, (ts - (t0 + seq * 1e9 / rate)) / 1e6) for ts, _, seq in rows)
def pct(p):
    k = (len(late) - 1) * p / 100; f = int(k); c = min(f + 1, len(late) - 1)
    return late[f] + (late[c] - late[f]) * (k - f)
ok = sum(1 for _, code, _ in rows if code == 200)
tokens = ok * 150
print(f"vegeta: {len(rows)} sent, {ok} answered 200; {tokens} tokens streamed")
print(f"vegeta dispatch lateness (ms): p50 {pct(50):.3f}  p99 {pct(99):.3f}  max {late[-1]:.3f}")
print(f"vegeta CPU: {user:.2f} s user + {sys_:.2f} s sys = {1000*(user+sys_)/(tokens/1000):.2f} ms per 1,000 tokens; peak RSS {rss/1024:.1f} MiB")
PY
