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
  # Extra arguments (`--ignore RULE`, `--select RULE`...): split on blanks and newlines, each
  # one a single argument to samfix, never glob-expanded or evaluated.
  ARGS=()
  local a
  while IFS= read -r a; do
    if [[ -n "$a" ]]; then ARGS+=("$a"); fi
  done < <(printf '%s\n' "${INPUT_ARGS:-}" | tr '[:blank:]' '\n')
}

# write_sarif: the findings as SARIF 2.1.0 in the file the `sarif` input names, for
# github/codeql-action/upload-sarif. Written before anything is fixed.
write_sarif() {
  [[ -n "${INPUT_SARIF:-}" ]] || { set_output sarif ""; return 0; }
  # shellcheck disable=SC2034 # stderr is not needed here
  local sarif err rc=0
  samfix_run sarif err --check --format sarif || rc=$?
  ((rc == 2)) && [[ -z "$sarif" ]] && die "samfix could not write SARIF: $err"
  mkdir -p "$(dirname -- "$INPUT_SARIF")"
  printf '%s\n' "$sarif" >"$INPUT_SARIF"
  set_output sarif "$INPUT_SARIF"
  log "wrote SARIF to $INPUT_SARIF"
}

# samfix_run OUTVAR ERRVAR ARGS...: run samfix on PATHS; returns its exit status.
samfix_run() {
  local -n _out="$1" _err="$2"
  shift 2
  local errfile rc=0
  errfile="$(mktemp)"
  _out="$("$SAMFIX" "$@" "${ARGS[@]}" --strategy "$STRATEGY" -- "${PATHS[@]}" 2>"$errfile")" || rc=$?
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

# install_method: `release` when samfix-version names a version, or when the action itself is
# used at its release tag (`@vX.Y.Z`); `source` (cargo, from the action's own tree) otherwise.
install_method() {
  if [[ -n "${INPUT_SAMFIX_VERSION:-}" || "${SAMFIX_ACTION_REF:-}" == "v$(source_version)" ]]; then
    printf release
  else
    printf source
  fi
}

cmd_prepare() {
  local want have need=true method key
  want="$(wanted_version)"
  have="$(installed_version)"
  method="$(install_method)"
  [[ -n "$have" && "$have" == "$want" ]] && need=false
  key="samfix-cargo-${RUNNER_OS:-local}-$(
    {
      printf '%s\n' "$want" "${INPUT_SAMFIX_VERSION:-source}"
      if [[ "$method" == source ]]; then
        cat "$ACTION_ROOT/Cargo.lock" "$ACTION_ROOT/Cargo.toml"
        find "$ACTION_ROOT/src" -type f -print0 | LC_ALL=C sort -z | xargs -0 cat
      fi
    } | sha256sum | cut -c1-32
  )"
  set_output need-install "$need"
  set_output install-method "$method"
  set_output cache-key "$key"
  set_output restore-key "samfix-cargo-${RUNNER_OS:-local}-"
  log "samfix wanted: $want; on PATH: ${have:-none}; install needed: $need ($method)"
}

# release_target: the release archive's target for this runner. Linux gets the static musl
# build, which runs on glibc and musl systems alike (containers included).
release_target() {
  local os="${RUNNER_OS:-$(uname -s)}" arch="${RUNNER_ARCH:-$(uname -m)}"
  case "$arch" in
    X64 | x86_64 | amd64) arch=x86_64 ;;
    ARM64 | aarch64 | arm64) arch=aarch64 ;;
    *) return 1 ;;
  esac
  case "$os" in
    Linux) printf '%s-unknown-linux-musl' "$arch" ;;
    macOS | Darwin) printf '%s-apple-darwin' "$arch" ;;
    Windows | MINGW* | MSYS* | CYGWIN*) [[ "$arch" == x86_64 ]] && printf 'x86_64-pc-windows-msvc' ;;
    *) return 1 ;;
  esac
}

# fetch URL FILE: download with whatever the runner or container has.
fetch() {
  if command -v curl >/dev/null 2>&1; then
    curl --fail --silent --show-error --location --retry 2 --output "$2" -- "$1"
  elif command -v wget >/dev/null 2>&1; then
    wget --quiet --output-document="$2" -- "$1"
  else
    python3 -c 'import sys, urllib.request, shutil
with urllib.request.urlopen(sys.argv[1], timeout=60) as r, open(sys.argv[2], "wb") as f:
    shutil.copyfileobj(r, f)' "$1" "$2"
  fi
}

sha256_of() {
  if command -v sha256sum >/dev/null 2>&1; then
    sha256sum -- "$1" | awk '{ print $1 }'
  elif command -v shasum >/dev/null 2>&1; then
    shasum -a 256 -- "$1" | awk '{ print $1 }'
  else
    python3 -c 'import hashlib, sys; print(hashlib.sha256(open(sys.argv[1], "rb").read()).hexdigest())' "$1"
  fi
}

# install_release VERSION DIR: the release archive for this runner, checked against the
# release's checksum file, unpacked into DIR. Returns 3 when the release has no archive for
# this runner (the caller may use pip); a checksum that does not match is fatal.
install_release() {
  local version="$1" dir="$2" target name ext base tmp want got
  target="$(release_target)" || return 3
  ext=tar.gz
  [[ "$target" == *windows* ]] && ext=zip
  name="samfix-$version-$target"
  if [[ -n "${INPUT_RELEASE_BASE_URL:-}" ]]; then
    base="$INPUT_RELEASE_BASE_URL"
  elif [[ -n "${SAMFIX_ACTION_REPOSITORY:-}" ]]; then
    base="${GITHUB_SERVER_URL:-https://github.com}/$SAMFIX_ACTION_REPOSITORY/releases/download"
  else
    log "the action's repository is unknown, so is its release"
    return 3
  fi
  base="${base%/}/v$version"
  tmp="$(mktemp -d)"
  if ! fetch "$base/samfix-$version-sha256sums.txt" "$tmp/sums" || ! fetch "$base/$name.$ext" "$tmp/$name.$ext"; then
    rm -rf "$tmp"
    log "no samfix $version archive for $target at $base"
    return 3
  fi
  want="$(awk -v f="$name.$ext" '$2 == f || $2 == "*" f { print $1 }' "$tmp/sums")"
  got="$(sha256_of "$tmp/$name.$ext")"
  if [[ -z "$want" || "$want" != "$got" ]]; then
    rm -rf "$tmp"
    die "checksum mismatch for $name.$ext: the release lists ${want:-nothing}, the download is $got; not installed"
  fi
  mkdir -p "$tmp/x" "$dir"
  if [[ "$ext" == zip ]]; then
    (cd "$tmp/x" && tar -xf "../$name.$ext")
  else
    tar -xzf "$tmp/$name.$ext" -C "$tmp/x"
  fi
  local exe=samfix
  [[ "$ext" == zip ]] && exe=samfix.exe
  [[ -f "$tmp/x/$name/$exe" ]] || { rm -rf "$tmp"; die "$name.$ext holds no $name/$exe"; }
  mv -f "$tmp/x/$name/$exe" "$dir/$exe"
  chmod +x "$dir/$exe"
  rm -rf "$tmp"
  log "installed samfix $version ($target, sha256 $got) from $base"
}

# install_pip VERSION DIR: `pip install samfix==VERSION` into a venv whose bin is DIR.
install_pip() {
  local version="$1" venv="${2%/bin}"
  python3 -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --only-binary samfix "samfix==$version"
  log "installed samfix $version with pip"
}

cmd_install() {
  local want have dir rc=0
  want="$(wanted_version)"
  have="$(installed_version)"
  if [[ -n "$have" && "$have" == "$want" ]]; then
    log "samfix $have is already on PATH"
    return 0
  fi
  if [[ "$(install_method)" == source ]]; then
    cargo install --locked --path "$ACTION_ROOT"
    dir="${CARGO_HOME:-$HOME/.cargo}/bin"
  else
    [[ "$want" =~ ^[0-9A-Za-z.+-]+$ ]] || die "samfix-version is not a version: $want"
    dir="${RUNNER_TEMP:-${TMPDIR:-/tmp}}/samfix-$want/bin"
    install_release "$want" "$dir" || rc=$?
    if ((rc == 3)); then
      install_pip "$want" "$dir"
    elif ((rc != 0)); then
      exit "$rc"
    fi
    have="$(SAMFIX="$dir/samfix" installed_version)"
    [[ "$have" == "$want" ]] || die "the installed samfix says version ${have:-none}, not $want"
  fi
  if [[ -n "${GITHUB_PATH:-}" ]]; then
    printf '%s\n' "$dir" >>"$GITHUB_PATH"
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
      write_sarif
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
