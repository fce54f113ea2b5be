#!/usr/bin/env bash
# Builds the samfix wheel for this machine (python/pyproject.toml: maturin, `bindings = "bin"`) into
# target/wheels and prints its path. maturin checks the platform tag (manylinux/musllinux) as
# it builds. It reuses the `cargo build --release` of the same tree, so after one it only
# packs. Used by .ci/wheel.sh and action/test.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
TOOLS="${SAMFIX_TOOLS_VENV:-${TMPDIR:-/tmp}/samfix-tools-venv}"
maturin_version="$(sed -n 's/^requires = \["maturin==\([0-9.]*\)"\]$/\1/p' python/pyproject.toml)"
[[ -n "$maturin_version" ]] || { echo "python/pyproject.toml pins no maturin version" >&2; exit 1; }
if [[ "$("$TOOLS/bin/maturin" --version 2>/dev/null)" != "maturin $maturin_version" ]]; then
  [[ -x "$TOOLS/bin/pip" ]] || python3 -m venv "$TOOLS"
  "$TOOLS/bin/pip" install -q "maturin==$maturin_version" >&2
fi
rm -f target/wheels/samfix-*.whl
(cd python && "$TOOLS/bin/maturin" build --quiet --release --locked --out ../target/wheels) >&2
wheels=(target/wheels/samfix-*.whl)
((${#wheels[@]} == 1)) || { echo "expected one wheel, found: ${wheels[*]}" >&2; exit 1; }
printf '%s\n' "$PWD/${wheels[0]}"
