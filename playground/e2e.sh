#!/usr/bin/env bash
# End-to-end test of the playground: builds it (build.sh), serves it on localhost and drives
# Debian's Chromium headless with playwright-core (e2e.mjs) against the samfix command line.
# Prints the measurements (engine time in Chromium, .wasm size) and "N passed, N failed".
#
#   bash playground/e2e.sh                          (non-zero on a failed check)
#   SCREENSHOT=docs/playground.png bash playground/e2e.sh   (also saves the page's picture)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PLAY="$ROOT/playground"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/samfix-playground.XXXXXX")"
SERVER=""
# shellcheck disable=SC2317  # called by the trap
cleanup() {
  [[ -z "$SERVER" ]] || kill "$SERVER" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT
TOTAL_START=$SECONDS
timed() {
  local name="$1" start=$SECONDS
  shift
  "$@"
  printf '# %s: %ds\n' "$name" $((SECONDS - start))
}

# Debian's Chromium: npm cannot bring a browser here.
missing=()
[[ -x /usr/bin/chromium ]] || missing+=(chromium)
if ((${#missing[@]})); then
  sudo=()
  ((EUID == 0)) || sudo=(sudo)
  # shellcheck disable=SC2317  # called through timed
  install_packages() {
    "${sudo[@]}" apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null
  }
  timed "apt-get install ${missing[*]}" install_packages
fi

timed "build the playground" bash "$PLAY/build.sh"
timed "build samfix" cargo build --locked --quiet --bin samfix
SAMFIX="$ROOT/target/debug/samfix"

# The 1 MB template, made as the benchmark makes its templates.
python3 "$ROOT/benches/gen_template.py" 1000000 "$WORK/big-1mb.yaml"

# A static server on a free port of the loopback address.
python3 -u -m http.server --bind 127.0.0.1 --directory "$PLAY/dist" 0 >"$WORK/server.log" 2>&1 &
SERVER=$!
port=""
for _ in $(seq 100); do
  port="$(sed -n 's/.* port \([0-9]*\).*/\1/p' "$WORK/server.log" | head -n 1)"
  [[ -z "$port" ]] || break
  sleep 0.1
done
[[ -n "$port" ]] || { echo "the server did not start" >&2; cat "$WORK/server.log" >&2; exit 1; }

screenshot="${SCREENSHOT:-}"
[[ -z "$screenshot" || "$screenshot" == /* ]] || screenshot="$ROOT/$screenshot"
status=0
(
  cd "$PLAY"
  export BASE_URL="http://127.0.0.1:$port/" SAMFIX ROOT WORK BIG="$WORK/big-1mb.yaml" \
    SCREENSHOT="$screenshot" MEASUREMENTS="${MEASUREMENTS:-}"
  timed "browser checks" node e2e.mjs
) || status=$?
printf '# playground e2e total: %ds\n' $((SECONDS - TOTAL_START))
exit "$status"
