#!/usr/bin/env bash
# Whole-command benchmark: Sigil against the engines users would pick instead, and against the
# limits of the machine, on the same generated CloudTrail, in one run. See benches/RESULTS.md.
#
#   benches/compare.sh                 # ~1 GB of CloudTrail, 3 runs per command, medians
#   MB=200 RUNS=1 benches/compare.sh   # quicker
#
# Installs what it needs: ripgrep and GNU time (apt), rsigma 0.23.0 (cargo install, ~5 min),
# and builds the sigma-rust harness in benches/peers/sigma-rust.
set -euo pipefail
cd "$(dirname "$0")/.."

need() { command -v "$1" >/dev/null 2>&1; }
if ! need rg || [ ! -x /usr/bin/time ]; then
  apt-get update -qq && apt-get install -y -qq ripgrep time
fi
RSIGMA=${RSIGMA:-$(command -v rsigma || echo "$HOME/.cargo/bin/rsigma")}
if [ ! -x "$RSIGMA" ]; then
  cargo install rsigma --version 0.23.0 --locked --no-default-features \
    --features rsigma-runtime,daachorse-index
  RSIGMA="$HOME/.cargo/bin/rsigma"
fi
cargo build --release --quiet -p sigil -p sigil-corpus
cargo build --release --quiet --manifest-path benches/peers/sigma-rust/Cargo.toml \
  --target-dir target/peers

exec python3 benches/compare.py --rsigma "$RSIGMA" \
  --sigma-rust target/peers/release/sigma-rust-harness "$@"
