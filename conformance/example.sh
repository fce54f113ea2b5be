#!/usr/bin/env bash
# Fixes examples/template.yaml with each strategy and asks the SAM translator (through
# ../shared/oracle) whether the fix is right; also checks the events fix is the minimal
# one: one line removed, two added.
set -euo pipefail
cd "$(dirname "$0")/.."
py="${SAM_ORACLE_VENV:?set SAM_ORACLE_VENV to the oracle venv}/bin/python"
oracle=../shared/oracle/sam_oracle.py
cargo build --quiet --release --locked
samfix=target/release/samfix
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

for strategy in events flag; do
  cp examples/template.yaml "$work/$strategy.yaml"
  "$samfix" --write --strategy "$strategy" "$work/$strategy.yaml" > /dev/null
  printf '%s\t%s\n' examples/template.yaml "$work/$strategy.yaml"
done > "$work/pairs.tsv"
"$py" "$oracle" compare-many "$work/pairs.tsv" | "$py" -c '
import json, sys
verdicts = [json.loads(line) for line in sys.stdin]
for v in verdicts:
    print(v["verdict"] + ":", v["after"].rsplit("/", 1)[-1], *v.get("problems", []))
sys.exit(0 if len(verdicts) == 2 and all(v["verdict"] == "fix-is-correct" for v in verdicts) else 1)'

diff=$("$samfix" --diff examples/template.yaml 2>/dev/null || true)
removed=$(grep -c '^-[^-]' <<< "$diff" || true)
added=$(grep -c '^+[^+]' <<< "$diff" || true)
echo "examples/template.yaml --diff: $removed line removed, $added added"
[ "$removed" = 1 ] && [ "$added" = 2 ]
