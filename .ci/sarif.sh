#!/usr/bin/env bash
# Validates `samfix --format sarif` on tests/mixed (findings, a warning, a refusal and an
# error) against the SARIF 2.1.0 schema the tests ship, with check-jsonschema.
set -euo pipefail
cd "$(dirname "$0")/.."
TOOLS="${SAMFIX_TOOLS_VENV:-${TMPDIR:-/tmp}/samfix-tools-venv}"
if [[ ! -x "$TOOLS/bin/check-jsonschema" ]]; then
  python3 -m venv "$TOOLS"
  "$TOOLS/bin/pip" install -q check-jsonschema==0.39.0
fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cargo build --quiet --locked
rc=0
target/debug/samfix --format sarif tests/mixed >"$work/mixed.sarif" 2>"$work/mixed.stderr" || rc=$?
# tests/mixed holds an invalid template, so the run ends with exit status 2.
[[ "$rc" == 2 ]] || { echo "samfix --format sarif tests/mixed: exit $rc, expected 2" >&2; exit 1; }
target/debug/samfix --format sarif examples/template.yaml >"$work/example.sarif" || rc=$?
"$TOOLS/bin/check-jsonschema" --schemafile tests/schemas/sarif-schema-2.1.0.json \
  "$work/mixed.sarif" "$work/example.sarif"
