#!/usr/bin/env bash
# Interleaved A/B rounds of two sigil binaries on the same command line, for changes that must
# not cost speed (the machine is shared and noisy: rounds alternate A and B, and medians and
# their ratio are reported).
#
#   benches/ab.sh OLD_BINARY NEW_BINARY ROUNDS -- hunt -r rules /tmp/ct200 --threads 1
#
# Output goes to /dev/null; each run's wall time is measured with GNU time's %e. With
# AB_MEASURE=scan, the scan time of `--stats`' speed line is taken instead (start-up excluded;
# the command must be a hunt).
set -euo pipefail
old=$1 new=$2 rounds=$3
shift 3
[ "$1" = "--" ] && shift
times() { /usr/bin/time -f %e "$@" >/dev/null 2>/tmp/ab.err || true; tail -1 /tmp/ab.err; }
if [ "${AB_MEASURE:-wall}" = scan ]; then
  times() { { "$@" --stats 2>&1 >/dev/null || true; } | sed -n 's/^speed: .* in \([0-9.]*\) s:.*/\1/p'; }
fi
a=() b=()
for ((i = 0; i < rounds; i++)); do
  a+=("$(times "$old" "$@")")
  b+=("$(times "$new" "$@")")
done
median() { printf '%s\n' "$@" | sort -n | awk '{v[NR]=$1} END {print (NR%2 ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2)}'; }
ma=$(median "${a[@]}") mb=$(median "${b[@]}")
echo "A ${a[*]} median $ma s"
echo "B ${b[*]} median $mb s"
awk -v a="$ma" -v b="$mb" 'BEGIN {printf "B/A time ratio %.3f\n", b / a}'
