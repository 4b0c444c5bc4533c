#!/usr/bin/env bash
# Replays the seed trace with every shipped profile and four planner cases
# (load from 1p1d with the seed's thresholds, noop at 2p2d, load-fpm and
# sla from 1p1d) and writes each case folder and the SHA-256 of every file
# it holds, so that two builds' outputs can be compared byte for byte:
#
#   scripts/replay-outputs.sh ./old-plannerbench /tmp/old
#   scripts/replay-outputs.sh ./bin/plannerbench /tmp/new
#   diff /tmp/old/SHA256SUMS /tmp/new/SHA256SUMS
#
# The trace is written to OUT/../seed.jsonl so that both runs name the same
# path in case.json. About 5 s a build on 2 cores.
set -euo pipefail
pb=$(realpath "$1")
out=$(realpath -m "$2")
trace=$(dirname "$out")/seed.jsonl
rm -rf "$out"
mkdir -p "$out"
"$pb" trace synth --time-duration 600 --request-rate-min 5 --request-rate-max 20 --request-rate-period 150 \
	--isl1 3000 --osl1 150 --isl2 3000 --osl2 150 --phase mean --seed 0 --output-file "$trace" >/dev/null
cat >"$out/planner.yaml" <<YAML
prefill_queue_scale_up_threshold: 10
prefill_queue_scale_down_threshold: 0.2
decode_kv_scale_up_threshold: 0.6
decode_kv_scale_down_threshold: 0.3
YAML
for profile in $(ls "$(dirname "$0")/../deploy/sim/profiles" | sed 's/\.yaml$//'); do
	"$pb" replay --trace "$trace" --profile "$profile" --deployment 1p1d --planner load --planner-config "$out/planner.yaml" --out "$out/$profile-1p1d-load" -o json >"$out/$profile-1p1d-load.json"
	"$pb" replay --trace "$trace" --profile "$profile" --deployment 2p2d --planner noop --out "$out/$profile-2p2d-noop" -o json >"$out/$profile-2p2d-noop.json"
	"$pb" replay --trace "$trace" --profile "$profile" --deployment 1p1d --planner load-fpm --out "$out/$profile-1p1d-load-fpm" -o json >"$out/$profile-1p1d-load-fpm.json"
	"$pb" replay --trace "$trace" --profile "$profile" --deployment 1p1d --planner sla --out "$out/$profile-1p1d-sla" -o json >"$out/$profile-1p1d-sla.json"
done
(cd "$out" && find . -type f ! -name SHA256SUMS ! -name planner.yaml | sort | xargs sha256sum) >"$out/SHA256SUMS"
echo "$(wc -l <"$out/SHA256SUMS") files in $out; sums in $out/SHA256SUMS"
