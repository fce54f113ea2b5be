#!/usr/bin/env bash
# A short fuzz run for CI: the `check` target, seeded with every template under tests/,
# for FUZZ_SECONDS (default 60) seconds. Any crash, hang (10 s) or memory blow-up (2 GB)
# fails it and leaves the input in fuzz/artifacts/check/.
set -euo pipefail
cd "$(dirname "$0")"
seconds="${FUZZ_SECONDS:-60}"

if ! cargo fuzz --version >/dev/null 2>&1; then
    cargo install cargo-fuzz --locked --version =0.13.2
fi
# cargo-fuzz needs nightly features (-Z sanitizer); the stable toolchain lends them.
export RUSTC_BOOTSTRAP=1

mkdir -p corpus/check
cp ../tests/fixtures/* ../tests/fidelity/* ../tests/hostile/* seeds/* corpus/check/ 2>/dev/null || true

cargo fuzz run check corpus/check -- \
    -dict=yaml.dict -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -max_len=8192 -print_final_stats=1
