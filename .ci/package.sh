#!/usr/bin/env bash
# What `cargo publish` would upload for each crate: the licence texts and the source, and no
# tests, fixtures, snapshots, benchmarks or CI scripts (the `include` lists of Cargo.toml).
# Then `cargo publish --dry-run` packages both crates and builds them from their packages alone.
set -euo pipefail
cd "$(dirname "$0")/.."
fail=0
for crate in samfix samfix-core; do
  list="$(cargo package --locked --no-verify --list --allow-dirty -p "$crate")"
  for want in Cargo.toml LICENSE-MIT LICENSE-APACHE src/lib.rs; do
    grep -qx "$want" <<<"$list" || { echo "$crate: the package lacks $want" >&2; fail=1; }
  done
  if grep -E '^(tests|snapshots|fuzz|benches|conformance|examples|action|\.ci|\.github|python)/' <<<"$list"; then
    echo "$crate: the package ships the files above, which are not the crate's" >&2
    fail=1
  fi
  echo "$crate: $(wc -l <<<"$list") files in the package"
done
grep -qx README.md <<<"$(cargo package --locked --no-verify --list --allow-dirty -p samfix)" ||
  { echo "samfix: the package lacks README.md" >&2; fail=1; }
[ "$fail" = 0 ] || exit 1
cargo publish --dry-run --locked --workspace --exclude samfix-wasm
