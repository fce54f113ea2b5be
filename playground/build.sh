#!/usr/bin/env bash
# Builds the playground into playground/dist: samfix-wasm compiled to WebAssembly, its
# JavaScript glue from wasm-bindgen-cli (the version of the wasm-bindgen crate in
# Cargo.lock, installed when missing), the page compiled by tsc, and the example template.
#
#   bash playground/build.sh        (then serve playground/dist as static files)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PLAY="$ROOT/playground"
cd "$ROOT"

step() { printf '# %s\n' "$*"; }
timed() {
  local name="$1" start=$SECONDS
  shift
  "$@"
  printf '# %s: %ds\n' "$name" $((SECONDS - start))
}

# The glue must come from the same version as the crate, or the page fails to load.
version="$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/"/, "", $3); print $3; exit }' Cargo.lock)"
if [[ "$(wasm-bindgen --version 2>/dev/null)" != "wasm-bindgen $version" ]]; then
  step "installing wasm-bindgen-cli $version"
  # Without its default TLS feature (only its test runner downloads) and unoptimised, it builds
  # in a quarter of the time (about 2 minutes on 2 cores) and still runs in a second.
  timed "wasm-bindgen-cli install" cargo install --locked --quiet --debug --no-default-features \
    --bin wasm-bindgen wasm-bindgen-cli --version "=$version"
fi
rustup target list --installed | grep -qx wasm32-unknown-unknown ||
  rustup target add wasm32-unknown-unknown

# The `wasm` profile (Cargo.toml): optimised for size.
timed "samfix-wasm (wasm32, profile wasm)" \
  cargo build --locked --profile wasm --quiet -p samfix-wasm --target wasm32-unknown-unknown
rm -rf "$PLAY/src/pkg" "$PLAY/dist"
# Without the name and producers sections the .wasm is a sixth smaller (Debian's wasm-opt,
# binaryen 108, saves less and breaks the glue's table).
timed "wasm-bindgen" wasm-bindgen --target web --remove-name-section --remove-producers-section \
  --out-dir "$PLAY/src/pkg" \
  "$ROOT/target/wasm32-unknown-unknown/wasm/samfix_wasm.wasm"
cd "$PLAY"
[[ -d node_modules/typescript ]] || timed "npm ci" npm ci --no-audit --no-fund --loglevel=error
timed "tsc" npx --no-install tsc -p tsconfig.json
mkdir -p dist/pkg
cp index.html style.css dist/
cp src/pkg/samfix_wasm.js src/pkg/samfix_wasm_bg.wasm dist/pkg/
cp "$ROOT/examples/template.yaml" dist/example.yaml
step "built $PLAY/dist: $(wc -c <dist/pkg/samfix_wasm_bg.wasm) bytes of wasm, $(gzip -9 -c dist/pkg/samfix_wasm_bg.wasm | wc -c) gzipped"
