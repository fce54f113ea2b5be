#!/usr/bin/env bash
# Backticks in single quotes are Markdown, not command substitution:
# shellcheck disable=SC2016
# The logic of the samfix GitHub Action (action.yml only wires inputs to it).
#
#   run.sh prepare   decide whether samfix must be built; cache key for the build
#   run.sh install   build samfix unless the wanted version is already on PATH
#   run.sh run       check / diff / pr, as INPUT_MODE says
#
# Every input arrives as an environment variable (INPUT_*) and is only ever
# used as data: quoted, passed as a single argument or through a file, never
# evaluated. Outside GitHub, set GITHUB_OUTPUT, GITHUB_STEP_SUMMARY,
# GITHUB_REPOSITORY and, to skip the install, SAMFIX=/path/to/samfix.
set -euo pipefail

ACTION_ROOT="${GITHUB_ACTION_PATH:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
SAMFIX="${SAMFIX:-samfix}"
BOT_NAME='github-actions[bot]'
BOT_EMAIL='41898282+github-actions[bot]@users.noreply.github.com'

log() { printf '%s\n' "$*" >&2; }
die() { printf '::error title=samfix action::%s\n' "$(escape_data "$*")"; exit 2; }

# --- GitHub workflow-command helpers ----------------------------------------

escape_data() {
  local s="$1"
  s="${s//'%'/%25}"
  s="${s//$'\r'/%0D}"
  s="${s//$'\n'/%0A}"
  printf '%s' "$s"
}

# set_output NAME VALUE: always the delimiter form, so multi-line values are safe.
set_output() {
  local name="$1" value="$2" delim
  delim="samfix_$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
  if [[ -n "${GITHUB_OUTPUT:-}" ]]; then
    printf '%s<<%s\n%s\n%s\n' "$name" "$delim" "$value" "$delim" >>"$GITHUB_OUTPUT"
  else
    log "output $name=$value"
  fi
}

summary() {
  if [[ -n "${GITHUB_STEP_SUMMARY:-}" ]]; then
    cat >>"$GITHUB_STEP_SUMMARY"
  else
    cat >/dev/null
  fi
}

# A Markdown code fence longer than any backtick run in the text on stdin.
fence_for() {
  local longest
  longest="$(grep -o '`\+' | awk '{ if (length($0) > m) m = length($0) } END { print m + 0 }')"
  ((longest < 3)) && longest=2
  printf '%*s' "$((longest + 1))" '' | tr ' ' '`'
}

# print_block LANG TEXT: TEXT as a fenced code block.
print_block() {
  local fence
  fence="$(printf '%s' "$2" | fence_for)"
  printf '%s%s\n%s\n%s\n' "$fence" "$1" "$2" "$fence"
}

# --- Reading samfix's report --------------------------------------------------
# Annotations come from `samfix --format github`, the Markdown of the summary and pull
# request body from `samfix --format json` (docs/json-format.md), and the log shows the
# human report, whose summary line gives the counts.

# annotate ARGS...: samfix's own GitHub workflow commands for PATHS.
annotate() {
  # shellcheck disable=SC2034 # the report and stderr are not needed here
  local commands ignored
  samfix_run commands ignored --format github "$@" || true
  grep '^::' <<<"$commands" || true
}

# warning_annotations < stderr: samfix's own warnings (a path that holds no template) as
# annotations, so a wrong `paths` input shows on the run instead of passing quietly.
warning_annotations() {
  local line
  while IFS= read -r line; do
    if [[ "$line" == "warning: "* ]]; then
      printf '::warning title=samfix::%s\n' "$(escape_data "${line#warning: }")"
    fi
  done
}

# report_findings < report: the number of findings from the summary line.
report_findings() {
  local line n=0
  while IFS= read -r line; do
    if [[ "$line" =~ ^[0-9]+\ files?\ checked:\ ([0-9]+)\ findings? ]]; then
      n="${BASH_REMATCH[1]}"
    fi
  done
  printf '%s' "$n"
}

# json_findings < json: the number of findings of a `--format json` report.
json_findings() {
  python3 -c 'import json, sys
try:
    print(json.load(sys.stdin)["summary"]["findings"])
except ValueError:
    print(0)'
}

# report_markdown < json: each finding and warning of a `--format json` report as a
# Markdown list item, its details nested.
report_markdown() {
  python3 -c '
import json, sys
try:
    report = json.load(sys.stdin)
except ValueError:
    sys.exit(0)
if report.get("schema_version") != 1:
    sys.exit("samfix --format json: unknown schema_version %r" % report.get("schema_version"))
for file in report["files"]:
    for f in file["findings"]:
        at = f["location"]
        print("- `%s:%d:%d` (%s): %s" % (file["path"], at["start_line"], at["start_column"], f["rule"], f["message"]))
        what = "key" if f["rule"] == "api-key-on-preflight" else "authorizer"
        print("  - %s: %s" % (what, f["setting"]))
        print("  - preflight: %s" % f["preflight"])
        print("  - events: %s" % (", ".join(f["events"]) or "none"))
        if f["fix"]:
            print("  - fix (%s): %s" % (f["fix"]["strategy"], f["fix"]["reason"]))
        if f["needs_human"]:
            print("  - needs a human: %s" % f["needs_human"])
    for w in file["warnings"]:
        at = w["location"]
        print("- `%s:%d:%d` (warning): %s" % (file["path"], at["start_line"], at["start_column"], w["message"]))
        if w["help"]:
            print("  - help: %s" % w["help"])
'
}

# --- Inputs -------------------------------------------------------------------

read_inputs() {
  MODE="${INPUT_MODE:-pr}"
  STRATEGY="${INPUT_STRATEGY:-auto}"
  case "$MODE" in check | diff | pr) ;; *) die "mode must be pr, check or diff, not: $MODE" ;; esac
  case "$STRATEGY" in auto | events | flag) ;; *) die "strategy must be auto, events or flag, not: $STRATEGY" ;; esac
  # Paths: separated by newlines or spaces; never glob-expanded.
  PATHS=()
  local p
  while IFS= read -r p; do
    [[ -n "$p" ]] && PATHS+=("$p")
  done < <(printf '%s\n' "${INPUT_PATHS:-.}" | tr '[:blank:]' '\n')
  ((${#PATHS[@]})) || PATHS=(.)
}

# samfix_run OUTVAR ERRVAR ARGS...: run samfix on PATHS; returns its exit status.
samfix_run() {
  local -n _out="$1" _err="$2"
  shift 2
  local errfile rc=0
  errfile="$(mktemp)"
  _out="$("$SAMFIX" "$@" --strategy "$STRATEGY" -- "${PATHS[@]}" 2>"$errfile")" || rc=$?
  _err="$(cat "$errfile")"
  rm -f "$errfile"
  return "$rc"
}

# --- prepare / install ----------------------------------------------------------

source_version() {
  sed -n '/^\[package\]/,/^\[/ s/^version *= *"\([^"]*\)".*/\1/p' "$ACTION_ROOT/Cargo.toml" | head -n1
}

installed_version() {
  command -v "$SAMFIX" >/dev/null 2>&1 || return 0
  "$SAMFIX" --version 2>/dev/null | awk '{ print $2 }'
}

wanted_version() {
  if [[ -n "${INPUT_SAMFIX_VERSION:-}" ]]; then
    printf '%s' "${INPUT_SAMFIX_VERSION#v}"
  else
    source_version
  fi
}

cmd_prepare() {
  local want have need=true key
  want="$(wanted_version)"
  have="$(installed_version)"
  [[ -n "$have" && "$have" == "$want" ]] && need=false
  key="samfix-cargo-${RUNNER_OS:-local}-$(
    {
      printf '%s\n' "$want" "${INPUT_SAMFIX_VERSION:-source}"
      if [[ -z "${INPUT_SAMFIX_VERSION:-}" ]]; then
        cat "$ACTION_ROOT/Cargo.lock" "$ACTION_ROOT/Cargo.toml"
        find "$ACTION_ROOT/src" -type f -print0 | LC_ALL=C sort -z | xargs -0 cat
      fi
    } | sha256sum | cut -c1-32
  )"
  set_output need-install "$need"
  set_output cache-key "$key"
  set_output restore-key "samfix-cargo-${RUNNER_OS:-local}-"
  log "samfix wanted: $want; on PATH: ${have:-none}; build needed: $need"
}

cmd_install() {
  local want have
  want="$(wanted_version)"
  have="$(installed_version)"
  if [[ -n "$have" && "$have" == "$want" ]]; then
    log "samfix $have is already on PATH"
    return 0
  fi
  if [[ -z "${INPUT_SAMFIX_VERSION:-}" ]]; then
    cargo install --locked --path "$ACTION_ROOT"
  else
    [[ "$want" =~ ^[0-9A-Za-z.+-]+$ ]] || die "samfix-version is not a version: $want"
    cargo install --locked --version "=$want" samfix
  fi
  if [[ -n "${GITHUB_PATH:-}" ]]; then
    printf '%s\n' "${CARGO_HOME:-$HOME/.cargo}/bin" >>"$GITHUB_PATH"
  fi
}

# --- check / diff ---------------------------------------------------------------

cmd_check() {
  # shellcheck disable=SC2034 # derr and jerr are filled through a nameref
  local report err diff derr json jerr rc=0 findings
  samfix_run report err --check || rc=$?
  [[ -n "$err" ]] && log "$err"
  warning_annotations <<<"$err"
  printf '%s\n' "$report"
  findings="$(report_findings <<<"$report")"
  set_output findings "$findings"
  set_output changed false
  set_output pull-request-number ""
  set_output pull-request-url ""
  ((rc == 2)) && die "samfix could not check every template (exit 2); see the log above"
  annotate --check
  if ((rc == 0)); then
    printf '### samfix\n\nNo API requires an API key on its CORS preflight.\n' | summary
    return 0
  fi
  samfix_run diff derr --diff || true
  samfix_run json jerr --check --format json || true
  {
    printf '### samfix: %s finding(s)\n\n' "$findings"
    report_markdown <<<"$json"
    printf '\nRun `samfix --write` (or the action in `pr` mode) to apply:\n\n'
    print_block diff "$diff"
  } | summary
  log "samfix: $findings finding(s); a fix is pending"
  exit 1
}

cmd_diff() {
  local diff report rc=0 findings
  samfix_run diff report --diff || rc=$?
  [[ -n "$report" ]] && log "$report"
  ((rc == 2)) && die "samfix could not check every template (exit 2); see the log above"
  [[ -n "$diff" ]] && printf '%s\n' "$diff"
  findings="$(report_findings <<<"$report")"
  set_output findings "$findings"
  set_output changed false
  set_output pull-request-number ""
  set_output pull-request-url ""
  if [[ -n "$diff" ]]; then
    { printf '### samfix: proposed fixes\n\n'; print_block diff "$diff"; } | summary
  else
    printf '### samfix\n\nNothing to fix.\n' | summary
  fi
}

# --- pr ---------------------------------------------------------------------------

# git_auth ARGS...: git with the token supplied by a credential helper that reads
# it from the environment of this one command. Nothing is written to git config,
# and the token never appears on a command line.
git_auth() {
  local server="${GITHUB_SERVER_URL:-https://github.com}"
  SAMFIX_GIT_TOKEN="$TOKEN" git \
    -c "http.extraheader=" -c "http.${server}/.extraheader=" \
    -c credential.helper= \
    -c 'credential.helper=!f() { test "$1" = get || exit 0; echo username=x-access-token; echo "password=$SAMFIX_GIT_TOKEN"; }; f' \
    "$@"
}

valid_branch() {
  [[ "$1" != -* ]] && git check-ref-format --branch "$1" >/dev/null 2>&1
}

default_branch() {
  local b
  b="$(git_auth ls-remote --symref origin HEAD 2>/dev/null | awk '$1 == "ref:" { sub("^refs/heads/", "", $2); print $2; exit }')" || true
  if [[ -z "$b" ]]; then
    b="$(gh repo view "$GITHUB_REPOSITORY" --json defaultBranchRef --jq .defaultBranchRef.name 2>/dev/null)" || true
  fi
  printf '%s' "$b"
}

# pr_body REPORT FIXED_JSON REMAINING_JSON N_LEFT: the pull request's description.
pr_body() {
  local report="$1" fixed="$2" remaining="$3" n_left="$4"
  cat <<EOF
samfix found API Gateway APIs in this repository's AWS SAM templates that require an API key on their CORS preflight, and fixed them.

### What changed

$(report_markdown <<<"$fixed")

Strategy: \`--strategy $STRATEGY\` (\`events\` moves the key from the API to each of its \`Type: Api\` events, so the generated \`OPTIONS\` methods stop requiring it; \`flag\` adds \`AddApiKeyRequiredToCorsPreflight: false\` beside the key; \`auto\` picks \`events\` where SAM generates the API's body and \`flag\` where the API brings its own).

### Why it matters

Browsers never send custom headers such as \`x-api-key\` on a CORS preflight (\`OPTIONS\`) request. An API that requires an API key on the preflight answers it with 403, so the browser blocks the real request, even from allowed origins with a valid key. The key stays required on every real method.

### How it was verified

samfix re-parses every fixed template and checks it again before writing it: a fix that does not parse or still leaves a key on the preflight is never written. After writing, this run checked the templates once more: ${n_left} finding(s) remain.
EOF
  if ((n_left > 0)); then
    printf '\n### Left for a human\n\n%s\n' "$(report_markdown <<<"$remaining")"
  fi
  printf '\n<details><summary>samfix report</summary>\n\n%s\n\n</details>\n\n_Opened by the samfix GitHub Action. Pushing again to `%s` replaces this branch._\n' \
    "$(print_block text "$report")" "$BRANCH"
}

cmd_pr() {
  # shellcheck disable=SC2034 # rerr and berr are filled through a nameref
  local report err rc=0 before berr remaining rerr findings n_left changed_files base msgfile bodyfile
  local existing number="" url="" label
  BRANCH="${INPUT_BRANCH:-samfix/cors-preflight}"
  TOKEN="${INPUT_TOKEN:-${GITHUB_TOKEN:-}}"
  local title="${INPUT_TITLE:-samfix: stop requiring an API key on CORS preflight}"
  local message="${INPUT_COMMIT_MESSAGE:-Stop requiring an API key on CORS preflight requests}"
  [[ -n "${GITHUB_REPOSITORY:-}" ]] || die "GITHUB_REPOSITORY is not set"
  git rev-parse --is-inside-work-tree >/dev/null 2>&1 || die "pr mode needs a git checkout (actions/checkout)"
  valid_branch "$BRANCH" || die "branch is not a valid branch name: $BRANCH"
  [[ -z "$(git status --porcelain --untracked-files=no)" ]] ||
    die "pr mode needs a clean checkout: tracked files are already modified"

  # What the fix is about, read before the files change.
  samfix_run before berr --check --format json || true
  samfix_run report err --write || rc=$?
  [[ -n "$err" ]] && log "$err"
  printf '%s\n' "$report"
  ((rc == 2)) && { git checkout -- . 2>/dev/null || true; die "samfix failed (exit 2); nothing was committed"; }
  findings="$(report_findings <<<"$report")"
  set_output findings "$findings"

  samfix_run remaining rerr --check --format json || true
  n_left="$(json_findings <<<"$remaining")"
  annotate --check

  changed_files="$(git diff --name-only)"
  if [[ -z "$changed_files" ]]; then
    log "samfix: nothing to fix"
    set_output changed false
    set_output pull-request-number ""
    set_output pull-request-url ""
    printf '### samfix\n\nNothing to fix; no pull request.\n' | summary
    return 0
  fi
  set_output changed true

  base="${INPUT_BASE:-}"
  [[ -n "$base" ]] || base="$(default_branch)"
  [[ -n "$base" ]] || die "could not find the default branch of origin; set the base input"
  valid_branch "$base" || die "base is not a valid branch name: $base"

  MSGFILE="$(mktemp)" BODYFILE="$(mktemp)"
  trap 'rm -f "$MSGFILE" "$BODYFILE"' EXIT
  msgfile="$MSGFILE" bodyfile="$BODYFILE"
  printf '%s\n' "$message" >"$msgfile"
  pr_body "$report" "$before" "$remaining" "$n_left" >"$bodyfile"

  git switch --quiet -C "$BRANCH"
  git add --update -- :/
  git -c "user.name=$BOT_NAME" -c "user.email=$BOT_EMAIL" -c commit.gpgsign=false \
    commit --quiet --cleanup=whitespace --author="$BOT_NAME <$BOT_EMAIL>" --file="$msgfile"
  git_auth push --quiet --force origin "HEAD:refs/heads/$BRANCH"
  log "pushed $(git rev-parse --short HEAD) to $BRANCH"

  export GH_TOKEN="$TOKEN"
  existing="$(gh pr list --repo "$GITHUB_REPOSITORY" --head "$BRANCH" --state open --json number,url)"
  number="$(jq -r '.[0].number // empty' <<<"$existing")"
  if [[ -n "$number" ]]; then
    url="$(jq -r '.[0].url // empty' <<<"$existing")"
    gh pr edit "$number" --repo "$GITHUB_REPOSITORY" --title "$title" --body-file "$bodyfile" >/dev/null ||
      log "warning: could not update the description of pull request #$number"
    log "updated pull request #$number: $url"
  else
    url="$(gh pr create --repo "$GITHUB_REPOSITORY" --base "$base" --head "$BRANCH" \
      --title "$title" --body-file "$bodyfile" | tail -n1)"
    number="${url##*/}"
    log "opened pull request #$number: $url"
  fi
  while IFS= read -r label; do
    label="${label#"${label%%[![:space:]]*}"}"
    label="${label%"${label##*[![:space:]]}"}"
    [[ -n "$label" ]] || continue
    gh pr edit "$number" --repo "$GITHUB_REPOSITORY" --add-label "$label" >/dev/null ||
      printf '::warning title=samfix action::%s\n' "$(escape_data "could not add label: $label")"
  done < <(printf '%s\n' "${INPUT_LABELS:-}" | tr ',' '\n')

  set_output pull-request-number "$number"
  set_output pull-request-url "$url"
  {
    printf '### samfix: %s finding(s), pull request %s\n\n' "$findings" "$url"
    report_markdown <<<"$before"
  } | summary
}

main() {
  case "${1:-run}" in
    prepare) cmd_prepare ;;
    install) cmd_install ;;
    run)
      read_inputs
      case "$MODE" in
        check) cmd_check ;;
        diff) cmd_diff ;;
        pr) cmd_pr ;;
      esac
      ;;
    *) die "usage: run.sh prepare|install|run" ;;
  esac
}

# Sourced (by action/test.sh) for its functions; executed as the action.
if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  main "$@"
fi
