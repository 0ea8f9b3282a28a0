#!/usr/bin/env bash
# Builds the sigil-lambda deployment package for the provided.al2023 runtime:
# target/lambda/sigil-lambda.zip, holding `bootstrap` (the binary) and `rules/` (the bundled
# pack, read from $LAMBDA_TASK_ROOT/rules unless SIGIL_RULES says otherwise).
#
#   deploy/build.sh [x86_64|arm64]        (default arm64)
#
# Needs, for the chosen architecture, one of:
# - cargo-lambda (`pip install cargo-lambda` or `cargo install cargo-lambda`): it cross-links
#   with Zig, nothing else to install. Used when present.
# - plain cargo with the musl target (`rustup target add x86_64-unknown-linux-musl` or
#   `aarch64-unknown-linux-musl`) and, for arm64 on an x86 machine, a linker for it
#   (Debian: `apt-get install gcc-aarch64-linux-gnu`, then
#   CARGO_TARGET_AARCH64_UNKNOWN_LINUX_MUSL_LINKER=aarch64-linux-gnu-gcc). A static musl
#   binary runs on provided.al2023 whatever its glibc.
# And `zip`.
set -euo pipefail
cd "$(dirname "$0")/.."

arch="${1:-arm64}"
case "$arch" in
  x86_64) target=x86_64-unknown-linux-musl; lambda_flag=--x86-64 ;;
  arm64)  target=aarch64-unknown-linux-musl; lambda_flag=--arm64 ;;
  *) echo "usage: $0 [x86_64|arm64]" >&2; exit 1 ;;
esac

out=target/lambda
stage="$out/package"
rm -rf "$stage" && mkdir -p "$stage"

if command -v cargo-lambda >/dev/null 2>&1; then
  cargo lambda build --release -p sigil-lambda "$lambda_flag" --lambda-dir "$out/cargo-lambda"
  cp "$out/cargo-lambda/sigil-lambda/bootstrap" "$stage/bootstrap"
else
  cargo build --release -p sigil-lambda --target "$target"
  cp "target/$target/release/sigil-lambda" "$stage/bootstrap"
fi

cp -r rules "$stage/rules"
find "$stage/rules" -name '*.tests.yml' -delete
rm -f "$out/sigil-lambda.zip"
(cd "$stage" && zip -qr9 ../sigil-lambda.zip bootstrap rules)
echo "$out/sigil-lambda.zip ($arch, $(du -h "$out/sigil-lambda.zip" | cut -f1)); deploy with:"
echo "  sam deploy --guided --template-file deploy/template.yaml --parameter-overrides Architecture=$arch"
