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
# The dry run serves samfix-core to samfix from a local registry. Cargo takes a registry
# crate of a given version to be the same forever: it reuses an earlier run's unpacked copy
# (under $CARGO_HOME/registry/src; samfix-core is not on crates.io, so every copy there is
# one of those) and its build in the target directory, either of which would stand in for
# this source. So the copies go, and the dry run builds in a target directory of its own.
rm -rf "${CARGO_HOME:-$HOME/.cargo}"/registry/src/*/samfix-core-[0-9]*
package_target="$(mktemp -d)"
trap 'rm -rf "$package_target"' EXIT
CARGO_TARGET_DIR="$package_target" cargo publish --dry-run --locked --workspace --exclude samfix-wasm
