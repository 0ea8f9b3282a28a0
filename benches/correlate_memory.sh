#!/usr/bin/env bash
# Correlation memory (issue 7): GB gigabytes of generated CloudTrail events streamed into
# `sigil hunt -` (stdin), once with correlation rules whose base rule matches about 1% of the
# events, once with plain detection by the same base rule; wall time, MB/s, CPU time (user +
# system) and peak RSS of each, with the base and correlation matches. See benches/RESULTS.md.
#
#   benches/correlate_memory.sh          # GB=10: ~10 GB, ~6.7 M events, about a minute a run
#   GB=1 benches/correlate_memory.sh     # quick
#
# Rules: benches/rules/correlate_memory/ (the base rule, DescribeSubnets, alone for plain
# detection; with its event_count and value_count correlations per sourceIPAddress otherwise).
# The events never touch the disk (`sigil-corpus generate --out -`); the matches are written
# to a temporary folder and counted. The generator runs beside Sigil on the same cores, so the
# wall times include feeding (the first row times the generator alone); the CPU time and peak
# RSS of the hunt rows are Sigil's own.
# Installs GNU time (apt) if missing; set SIGIL and CORPUS to use built binaries.
set -euo pipefail
cd "$(dirname "$0")/.."

GB=${GB:-10}
SEED=${SEED:-7}
SPAN=${SPAN:-24h}
RULES=benches/rules/correlate_memory
if [ ! -x /usr/bin/time ]; then
  apt-get update -qq && apt-get install -y -qq time
fi
if [ -z "${SIGIL:-}" ] || [ -z "${CORPUS:-}" ]; then
  cargo build --release --quiet -p sigil -p sigil-corpus
  SIGIL=${CARGO_TARGET_DIR:-target}/release/sigil
  CORPUS=${CARGO_TARGET_DIR:-target}/release/sigil-corpus
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
generate=("$CORPUS" generate --seed "$SEED" --sources cloudtrail --mb "$((GB * 1000))"
  --span "$SPAN" --out -)
measure=(/usr/bin/time -f '%e %M %U %S' -o)

# hunt NAME ARGS...: generate | sigil hunt ARGS - ; leaves NAME.time, NAME.stats, NAME.jsonl.
hunt() {
  local name=$1
  shift
  echo "== $name" >&2
  "${generate[@]}" 2>/dev/null | "${measure[@]}" "$work/$name.time" \
    "$SIGIL" hunt "$@" - --format jsonl --stats -o "$work/$name.jsonl" 2>"$work/$name.stats"
}

# row NAME TIMEFILE BASE CORRELATIONS: one line of the table, from a GNU time file.
row() {
  read -r seconds kb user sys <"$2"
  awk -v name="$1" -v s="$seconds" -v kb="$kb" -v cpu="$(awk "BEGIN {print $user + $sys}")" \
    -v bytes="$bytes" -v base="$3" -v corr="$4" \
    'BEGIN { printf "| %s | %.1f | %.0f | %.1f | %.0f | %s | %s |\n",
                    name, s, bytes / 1e6 / s, cpu, kb / 1024, base, corr }'
}

echo "== generator alone" >&2
"${measure[@]}" "$work/generate.time" "${generate[@]}" >/dev/null 2>"$work/generate.log"
bytes=$(awk '/^wrote/ {for (i = 1; i <= NF; i++) if ($i == "MB") print $(i - 1) * 1e6}' \
  "$work/generate.log")
hunt plain -r "$RULES/ec2_describe_subnets.yml"
hunt correlation -r "$RULES"
base=$(wc -l <"$work/plain.jsonl")
correlations=$(wc -l <"$work/correlation.jsonl")

records=$(awk '/^records:/ {print $2; exit}' "$work/plain.stats")
echo "Data: ${generate[*]}"
echo "      $(cat "$work/generate.log")"
echo "Base matches: $base of $records events ($(awk "BEGIN {printf \"%.2f\", 100 * $base / $records}")%)"
for name in plain correlation; do
  echo "Sigil $name: $(grep -E '^(records|prefilter|correlations):' "$work/$name.stats" |
    tr -s ' ' | paste -sd ';')"
done
echo
echo "| run ($GB GB, stdin) | s | MB/s | CPU s | peak RSS MB | base matches | correlation matches |"
echo "|---|---|---|---|---|---|---|"
row "sigil-corpus generate --out - > /dev/null" "$work/generate.time" - -
row "plain detection: base rule alone" "$work/plain.time" "$base" -
row "correlation: base rule + 2 correlations" "$work/correlation.time" \
  "$base (inputs, not written)" "$correlations"
