#!/usr/bin/env bash
# The 10 -> 3,000 rules ratio of two sigil binaries, measured in the same rounds: each round
# runs the small rule set then the large one, each with both binaries (their order alternating
# from round to round), and the medians of wall time and large / small are reported per binary.
#
#   benches/ratio.sh OLD_BINARY NEW_BINARY ROUNDS SMALL_RULES LARGE_RULES DATA
#
# e.g. with SMALL_RULES = the SigmaHQ CloudTrail rules and the pack, compiled (`sigil compile`),
# LARGE_RULES = all of SigmaHQ and the pack, compiled with --any-logsource, DATA = 200 MB of
# CloudTrail (benches/RESULTS.md, stop 31). One thread, JSONL to /dev/null; wall time from
# bash's EPOCHREALTIME (millisecond resolution). A run that fails stops the script.
set -euo pipefail
old=$1 new=$2 rounds=$3 small_rules=$4 large_rules=$5 data=$6
common=(--threads 1 --format jsonl -o /dev/null)
times=$(mktemp)
trap 'rm -f "$times"' EXIT
declare -A binary=([A]=$old [B]=$new)
run() { # label workload args...
  local label=$1 workload=$2 start
  shift 2
  start=$EPOCHREALTIME
  "${binary[$label]}" "$@" >/dev/null
  echo "$label $workload $start $EPOCHREALTIME" >>"$times"
}
for ((i = 0; i < rounds; i++)); do
  order=(A B)
  ((i % 2)) && order=(B A)
  for label in "${order[@]}"; do
    run "$label" small hunt -r "$small_rules" "$data" "${common[@]}"
  done
  for label in "${order[@]}"; do
    run "$label" large hunt -r "$large_rules" --any-logsource "$data" "${common[@]}"
  done
done
python3 - "$times" <<'PY'
import statistics, sys
runs = {}
for line in open(sys.argv[1]):
    label, workload, start, end = line.split()
    runs.setdefault((label, workload), []).append(float(end) - float(start))
for label in "AB":
    small, large = (runs[(label, w)] for w in ("small", "large"))
    s, l = statistics.median(small), statistics.median(large)
    print(f"{label}: small {s:.3f} s ({min(small):.3f}-{max(small):.3f}), "
          f"large {l:.3f} s ({min(large):.3f}-{max(large):.3f}), large / small {l / s:.3f}")
PY
