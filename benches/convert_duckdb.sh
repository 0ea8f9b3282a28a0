#!/usr/bin/env bash
# SigmaHQ's AWS rules as DuckDB queries (sigil convert) against sigil hunt, on the same generated
# CloudTrail, interleaved rounds. See benches/convert_duckdb.py and benches/RESULTS.md.
#
#   benches/convert_duckdb.sh                # ~200 MB, 3 rounds, medians
#   MB=50 ROUNDS=1 benches/convert_duckdb.sh # quicker
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m pip install --quiet --disable-pip-version-check duckdb
cargo build --release --quiet -p sigil -p sigil-corpus
exec python3 benches/convert_duckdb.py "$@"
