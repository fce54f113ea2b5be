#!/usr/bin/env bash
# Fixes examples/template.yaml with each strategy and asks the SAM translator (through
# ../shared/oracle) whether the key fix is right; checks the events fix is the minimal one
# (one line removed, two added); then fixes it with every rule and asks the browser view
# (`compare --cors`) whether every CORS problem is gone and nothing else changed.
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
  "$samfix" --write --select api-key-on-preflight --strategy "$strategy" "$work/$strategy.yaml" > /dev/null
  printf '%s\t%s\n' examples/template.yaml "$work/$strategy.yaml"
done > "$work/pairs.tsv"
"$py" "$oracle" compare-many "$work/pairs.tsv" | "$py" -c '
import json, sys
verdicts = [json.loads(line) for line in sys.stdin]
for v in verdicts:
    print(v["verdict"] + ":", v["after"].rsplit("/", 1)[-1], *v.get("problems", []))
sys.exit(0 if len(verdicts) == 2 and all(v["verdict"] == "fix-is-correct" for v in verdicts) else 1)'

diff=$("$samfix" --diff --select api-key-on-preflight examples/template.yaml 2>/dev/null || true)
removed=$(grep -c '^-[^-]' <<< "$diff" || true)
added=$(grep -c '^+[^+]' <<< "$diff" || true)
echo "examples/template.yaml --diff: $removed line removed, $added added"
[ "$removed" = 1 ] && [ "$added" = 2 ]

cp examples/template.yaml "$work/all-rules.yaml"
# Exit 1: the example's origin is a `!Sub`, so its gateway responses are left to a human.
"$samfix" --write "$work/all-rules.yaml" > /dev/null || [ $? = 1 ]
"$py" "$oracle" compare --cors --cors-target preflight-requires-api-key \
  examples/template.yaml "$work/all-rules.yaml" | "$py" -c '
import json, sys
v = json.load(sys.stdin)
print("every rule:", v["verdict"], *v.get("problems", []))
sys.exit(0 if v["verdict"] == "fix-is-correct" else 1)'
# The problem the oracle still sees is the one samfix said needs a human.
report=$("$samfix" --format json "$work/all-rules.yaml") || [ $? = 1 ]
"$py" -c '
import json, sys
found = [f for file in json.load(sys.stdin)["files"] for f in file["findings"]]
print("left:", *[f["rule"] + " needs a human: " + str(f.get("needs_human_kind")) for f in found])
sys.exit(0 if [(f["rule"], f.get("needs_human_kind")) for f in found]
         == [("error-response-without-cors", "origin-intrinsic")] else 1)' <<< "$report"
