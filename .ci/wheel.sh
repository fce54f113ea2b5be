#!/usr/bin/env bash
# The wheel installs and works where there is no Rust: build it, pip install it into a fresh
# venv whose PATH has no cargo or rustc, run it on the example (exit 1 with the finding) and
# fix a copy, which the SAM translator (../shared/oracle) must judge correct. Prints the
# wheel's size and the seconds from `pip install` to the first finding.
set -euo pipefail
cd "$(dirname "$0")/.."
py="${SAM_ORACLE_VENV:?set SAM_ORACLE_VENV to the oracle venv}/bin/python"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }'; }

t0="$(now)"
wheel="$(bash .ci/build-wheel.sh)"
echo "wheel: ${wheel##*/}, $(stat -c %s "$wheel") bytes, built in $(since "$t0") s"
version="$(sed -n '/^\[package\]/,/^\[/ s/^version *= *"\([^"]*\)".*/\1/p' Cargo.toml | head -n1)"
case "${wheel##*/}" in
  "samfix-$version-py3-none-"*linux_*.whl) ;;
  *) echo "the wheel's name does not say samfix $version for a Linux platform" >&2; exit 1 ;;
esac
python3 -m zipfile -l "$wheel" >"$work/listing"
for f in "samfix-$version.data/scripts/samfix" "samfix-$version.dist-info/licenses/LICENSE-MIT" \
  "samfix-$version.dist-info/licenses/LICENSE-APACHE"; do
  grep -qF "$f " "$work/listing" || { echo "the wheel lacks $f" >&2; exit 1; }
done

python3 -m venv "$work/venv"
# Only the venv and the system's own directories: no ~/.cargo/bin, no pyenv shims.
clean_path="$work/venv/bin:/usr/sbin:/usr/bin:/sbin:/bin"
for tool in cargo rustc; do
  if found="$(env PATH="$clean_path" bash -c "command -v $tool")"; then
    echo "$tool is on the test's PATH ($found): it would not show that the wheel needs no Rust" >&2
    exit 1
  fi
done
cp examples/template.yaml "$work/template.yaml"
in_venv() { env -u CARGO_HOME -u RUSTUP_HOME PATH="$clean_path" "$@"; }

t0="$(now)"
in_venv pip install --quiet --no-index --disable-pip-version-check "$wheel"
installed="$(since "$t0")"
rc=0
in_venv samfix "$work/template.yaml" >"$work/report" 2>&1 || rc=$?
first="$(since "$t0")"
[[ "$rc" == 1 ]] || { cat "$work/report"; echo "samfix examples/template.yaml: exit $rc, expected 1" >&2; exit 1; }
# shellcheck disable=SC2016 # the backticks are the report's own
grep -q '^error\[api-key-on-preflight\]: `SampleApi` requires an API key' "$work/report" ||
  { cat "$work/report"; echo "no api-key-on-preflight finding" >&2; exit 1; }
[[ "$(in_venv bash -c "command -v samfix")" == "$work/venv/bin/samfix" ]]
[[ "$(in_venv samfix --version)" == "samfix $version" ]]
echo "pip install: $installed s; pip install to the first finding: $first s"

cp "$work/template.yaml" "$work/fixed.yaml"
in_venv samfix --write --select api-key-on-preflight "$work/fixed.yaml" >/dev/null
verdict="$("$py" ../shared/oracle/sam_oracle.py compare "$work/template.yaml" "$work/fixed.yaml" |
  "$py" -c 'import json, sys; v = json.load(sys.stdin); print(v["verdict"], *v.get("problems", []))')"
echo "the wheel's samfix --write, judged by the SAM translator: $verdict"
[[ "$verdict" == fix-is-correct ]]
