#!/usr/bin/env python3
"""CORS conformance: what samfix's fixes do to the browser's view of every corpus template.

    python3 conformance/cors.py [--quick] [--keep DIR] [--samfix PATH]

Inputs
  * every corpus template run.py checks (real-world/ and sam-translator-inputs/, minus the
    `error_*` inputs and those ORACLE_STATUS.tsv marks as not translating);
  * variants made at run time by cors_inject.py, which inserts one CORS problem class into a
    real template (kinds `key`, `unquoted`, `authorizer`; see its docstring). A variant is kept
    when the oracle's `cors` view reports an error-level problem its source does not have;
    the others are counted by reason;
  * each of those converted to JSON with the oracle's loader: 2-space indent, and minified
    on one line without a final newline (the same values, so they share the YAML's view).

For each input: `samfix --format json FILE` (the findings, per rule), `samfix --write` on a
copy, a second `--write` on a copy of the result (it must change no byte; an exit status
that differs is shown, not failed).
Every written file is judged in one `sam_oracle.py compare-many` process with
`BEFORE<TAB>AFTER<TAB>cors` (plus `authorizer-fix` when an `authorizer-on-preflight` finding
was fixed), and its browser view is taken again. The error-level problems of BEFORE are the
oracle's targets; one that stays is "remaining", not wrong: samfix fixes part of them only.
A fix is wrong when the oracle reports a new problem, a changed operation or other
CloudFormation, or the file no longer translates (or a JSON input is no longer JSON).

Rows are per samfix rule, read from samfix's JSON report (never from a list here): a file's
verdict counts for every rule whose fix changed it. PROBLEM_RULE only says which rule should
answer which problem id, for the "remaining" lists.

Exit status 1 when a fix is wrong, a template with no error-level problem was changed, a
second --write changed something, samfix exited 2 on a valid template (or 1 after --write with
nothing left for a human), or a runner step failed; else 0.
"""

from __future__ import annotations

import argparse
import collections
import concurrent.futures
import difflib
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

# Which samfix rule answers which problem of the oracle's browser view: a problem id, or its
# prefix before ':', -> the rule id ("" while no rule covers it). Only the headline and the
# "remaining" lists read it; a rule missing here still gets its rows in the table. Keep it in
# step with the rules under crates/samfix-core/src/rules/ (the run warns about a rule that
# reports findings but is named nowhere here).
PROBLEM_RULE = {
    "preflight-requires-api-key": "api-key-on-preflight",
    "preflight-requires-authorizer": "authorizer-on-preflight",
    "preflight-missing": "",
    "preflight-origin-missing": "",
    "preflight-method-not-allowed": "",
    "preflight-header-not-allowed": "",
    "preflight-authorization-under-wildcard": "",
    "invalid-mapping-expression": "",
    "origin-invalid": "",
    "error-response-without-cors": "error-response-without-cors",
    "response-origin-missing": "",
    "cors-on-other-api": "",
    "httpapi-quoted-cors-value": "",
    "httpapi-origin-invalid": "origin-invalid",
    "httpapi-invalid-cors-value": "",
}

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HERE = os.path.join(REPO, "conformance")
SHARED = os.path.normpath(os.path.join(REPO, "..", "shared"))
CORPUS = os.path.join(SHARED, "corpus")
ORACLE_DIR = os.path.join(SHARED, "oracle")
ORACLE = os.path.join(ORACLE_DIR, "sam_oracle.py")
INJECT = os.path.join(HERE, "cors_inject.py")
WORKERS = 2
KINDS = ("key", "unquoted", "authorizer")
GROUPS = (  # (group, column head)
    ("corpus", "corpus"), ("corpus-json", "c:json"), ("corpus-json-min", "c:json-min"),
    ("var-key", "var:key"), ("var-unquoted", "var:unquoted"), ("var-authorizer", "var:authz"),
    ("var-json", "v:json"), ("var-json-min", "v:json-min"),
)
FAILING = ("wrong", "unaffected changed", "not idempotent", "unreported", "error", "runner")


T0 = time.time()


def log(msg):
    print(f"[{time.time() - T0:5.0f} s] {msg}", file=sys.stderr, flush=True)


def read_tsv(path):
    with open(path, encoding="utf-8") as fh:
        rows = [line.rstrip("\n").split("\t") for line in fh]
    return [dict(zip(rows[0], r + [""] * (len(rows[0]) - len(r)))) for r in rows[1:] if r and r[0]]


def writable_copy(src, dst):
    """Copy a template (and its `<name>.includes/` folder) to dst, every copy writable: the
    corpus files are read-only and copies would keep that mode."""
    os.makedirs(os.path.dirname(dst), exist_ok=True)
    shutil.copyfile(src, dst)
    os.chmod(dst, 0o644)
    copy_includes(src, dst)


def copy_includes(src, dst):
    """The `<src>.includes/` folder (AWS::Include files), if any, as `<dst>.includes/`, writable."""
    inc = src + ".includes"
    if not os.path.isdir(inc):
        return
    shutil.copytree(inc, dst + ".includes", copy_function=shutil.copyfile, dirs_exist_ok=True)
    for d, _, files in os.walk(dst + ".includes"):
        os.chmod(d, 0o755)
        for f in files:
            os.chmod(os.path.join(d, f), 0o644)


def diff_lines(before: bytes, after: bytes):
    def lines(b):
        return re.findall(r"[^\n]*\n|[^\n]+$", b.decode("utf-8", "surrogateescape"))
    return list(difflib.unified_diff(lines(before), lines(after), "before", "after", n=0))


def report_of(stdout):
    """samfix's `--format json` document (docs/json-format.md)."""
    try:
        doc = json.loads(stdout)
    except ValueError:
        return None
    if doc.get("schema_version") != 1:
        sys.exit(f"samfix --format json: unknown schema_version {doc.get('schema_version')!r}")
    return doc


def findings_of(stdout):
    doc = report_of(stdout)
    return [f for file in (doc or {}).get("files", []) for f in file.get("findings", [])]


def warnings_of(stdout):
    doc = report_of(stdout)
    return [w for file in (doc or {}).get("files", []) for w in file.get("warnings", [])]


RULES_SEEN = set()  # every rule id samfix reported in this run


def problem_rule(pid):
    """The rule that answers a problem id: PROBLEM_RULE's (the full id first, then its prefix);
    where that is "", a rule samfix reported that is named like the prefix; else "" (none yet),
    or None for an id PROBLEM_RULE does not know."""
    prefix = pid.split(":", 1)[0]
    rule = PROBLEM_RULE[pid] if pid in PROBLEM_RULE else PROBLEM_RULE.get(prefix)
    if not rule and prefix in RULES_SEEN:
        return prefix
    return rule


def report_summary(stdout):
    """One line about a samfix JSON report: its exit code and each finding's rule and state."""
    doc = report_of(stdout) or {}
    parts = []
    for f in findings_of(stdout):
        state = "fix" if f.get("fix") else f"needs a human: {f.get('needs_human_kind')}" if f.get("needs_human") else "-"
        parts.append(f"{f['rule']} {f.get('api', '')} ({state})")
    return f"exit {doc.get('summary', {}).get('exit_code')}; findings: " + ("; ".join(parts) or "none")


def problems_of(view):
    """{key: (id, level)} of a `cors` view; keys as the oracle's problem_index makes them."""
    out = {}
    for kind in ("rest_apis", "http_apis"):
        for lid, api in (view.get(kind) or {}).items():
            for p in api.get("problems", []):
                out[f"{lid}: {p['id']}"] = (p["id"], p["level"])
            for path, ops in (api.get("operations") or {}).items():
                for method, op in ops.items():
                    for p in op.get("problems", []):
                        out[f"{lid} {method} {path}: {p['id']}"] = (p["id"], p["level"])
    return out


def error_ids(problems):
    return sorted({pid for pid, level in problems.values() if level == "error"})


class Runner:
    def __init__(self, args):
        self.args = args
        self.t0 = time.time()
        self.venv = os.path.abspath(os.environ.get("SAM_ORACLE_VENV")
                                    or os.path.join(tempfile.gettempdir(), "samfix-oracle-venv"))
        self.py = os.path.join(self.venv, "bin", "python")
        if args.keep:
            self.work = os.path.abspath(args.keep)
            if os.path.exists(self.work) and os.listdir(self.work):
                sys.exit(f"--keep {self.work}: the directory must be new or empty")
            os.makedirs(self.work, exist_ok=True)
        else:
            self.work = tempfile.mkdtemp(prefix="samfix-cors-")
        self.excluded = []          # (what, why)
        self.failures = []          # {kind, input, rules, detail, diff}
        self.notes = {}             # (template, text) -> the forms it holds for: yaml, json, min
        self.counts = collections.defaultdict(collections.Counter)   # (section, row) -> group -> n
        self.tried = collections.Counter()                           # kind -> templates tried
        self.made = collections.Counter()                            # kind -> variants made
        self.kept = collections.Counter()
        self.skipped = collections.defaultdict(collections.Counter)  # kind -> reason -> n

    # ---- setup --------------------------------------------------------------------------
    def setup(self):
        env = dict(os.environ, SAM_ORACLE_VENV=self.venv)
        r = subprocess.run(["bash", os.path.join(ORACLE_DIR, "setup.sh")], cwd=REPO, env=env,
                           capture_output=True, text=True)
        if r.returncode != 0:
            sys.exit(f"oracle setup failed:\n{r.stdout}{r.stderr}")
        if self.args.samfix:
            self.samfix = os.path.abspath(self.args.samfix)
        else:
            log("cargo build --release --locked")
            r = subprocess.run(["cargo", "build", "--release", "--locked"], cwd=REPO, capture_output=True, text=True)
            if r.returncode != 0:
                sys.exit(f"cargo build failed:\n{r.stderr}")
            self.samfix = os.path.join(REPO, "target", "release", "samfix")

    def helper(self, cmd, reqs):
        """cors_inject.py CMD in the oracle venv: JSON requests in, {id: result} out."""
        if not reqs:
            return {}
        r = subprocess.run([self.py, INJECT, ORACLE_DIR, CORPUS, cmd],
                           input="".join(json.dumps(q) + "\n" for q in reqs), capture_output=True, text=True)
        out = {}
        for line in r.stdout.splitlines():
            o = json.loads(line)
            out[o["id"]] = o
        if r.returncode != 0 or len(out) != len(reqs):
            self.fail("runner", f"cors_inject.py {cmd}", [], f"exited {r.returncode}: {r.stderr[-2000:]}")
        return out

    def views(self, paths, procs=WORKERS):
        """The oracle's `cors` view of every path ({path: view}), in PROCS processes at a time."""
        def run(part):
            r = subprocess.run([self.py, ORACLE, "cors", *part], capture_output=True, text=True)
            try:
                got = [json.loads(r.stdout)] if len(part) == 1 else [json.loads(ln) for ln in r.stdout.splitlines()]
            except ValueError:
                got = []
            if r.returncode not in (0, 1, 2) or len(got) != len(part):
                self.fail("runner", "sam_oracle.py cors", [], f"exit {r.returncode}: {r.stderr[-2000:]}")
                return {}
            return dict(zip(part, got))

        out = {}
        parts = [paths[n:n + 100] for n in range(0, len(paths), 100)]
        with concurrent.futures.ThreadPoolExecutor(procs) as ex:
            for res in ex.map(run, parts):
                out.update(res)
        return out

    # ---- inputs -------------------------------------------------------------------------
    def sample(self, show):
        return not self.args.quick or int(hashlib.sha1(show.encode()).hexdigest(), 16) % 10 == 0

    def collect(self):
        status = {r["file"]: r for r in read_tsv(os.path.join(CORPUS, "ORACLE_STATUS.tsv"))}
        corpus, n_error = [], 0
        for sub in ("real-world", "sam-translator-inputs"):
            for name in sorted(os.listdir(os.path.join(CORPUS, sub))):
                path = os.path.join(CORPUS, sub, name)
                if not os.path.isfile(path):
                    continue
                rel = f"{sub}/{name}"
                if name.startswith("error_"):
                    n_error += 1
                    continue
                st = status.get(rel)
                if st is None or st["translate"] != "ok":
                    why = "not in ORACLE_STATUS.tsv" if st is None else " ".join(st["detail"].split())[:200]
                    self.excluded.append((rel, "does not translate (ORACLE_STATUS.tsv): " + why))
                    continue
                corpus.append({"group": "corpus", "src": path, "show": rel,
                               "path": os.path.join(self.work, "in", "corpus", sub, name)})
        self.excluded.insert(0, (f"{n_error} `error_*` translator inputs", "the translator is meant to reject them"))

        # variants: every corpus template x kind, injected into a copy
        reqs = []
        for c in corpus:
            for kind in KINDS:
                if not self.sample(f"{kind}:{c['show']}"):
                    continue
                name = f"{kind}__{os.path.basename(c['src'])}"
                reqs.append({"id": len(reqs), "src": c["src"], "kind": kind, "source": c,
                             "out": os.path.join(self.work, "in", "var-" + kind, name)})
        for kind in KINDS:
            os.makedirs(os.path.join(self.work, "in", "var-" + kind), exist_ok=True)
        log(f"injecting {len(KINDS)} CORS problem kinds into {len(corpus)} templates")
        res = self.helper("inject", [{k: q[k] for k in ("id", "src", "kind", "out")} for q in reqs])
        variants = []
        for q in reqs:
            self.tried[q["kind"]] += 1
            o = res.get(q["id"], {"ok": False, "error": "no helper output"})
            if not o["ok"]:
                self.skipped[q["kind"]]["injection failed: " + o["error"][:120]] += 1
                self.fail("runner", f"inject {q['kind']} {q['source']['show']}", [], o["error"] + o.get("trace", ""))
                continue
            if not o["made"]:
                self.skipped[q["kind"]][re.sub(r"^\w+\.Properties", "<Api>.Properties", o["reason"])] += 1
                continue
            self.made[q["kind"]] += 1
            copy_includes(q["src"], q["out"])
            variants.append({"group": "var-" + q["kind"], "kind": q["kind"], "src": q["out"], "path": q["out"],
                             "show": f"{q['kind']}:{q['source']['show']}", "source": q["source"],
                             "sites": o["sites"]})

        yaml_inputs = [i for i in corpus + variants if self.sample(i["show"])]
        for i in yaml_inputs:
            if i["group"] == "corpus":
                writable_copy(i["src"], i["path"])
        log(f"oracle `cors` view of {len(yaml_inputs)} YAML inputs")
        # a variant is judged against its source's view: sources --quick left out are viewed too
        extra = {v["source"]["path"]: v["source"] for v in yaml_inputs
                 if v["group"] != "corpus" and not self.sample(v["source"]["show"])}
        for c in extra.values():
            writable_copy(c["src"], c["path"])
        before = self.views([i["path"] for i in yaml_inputs] + sorted(extra))

        kept = []
        for i in yaml_inputs:
            v = before.get(i["path"])
            if v is None:
                continue
            if i["group"] == "corpus":
                i["view"] = v
                kept.append(i)
                continue
            kind = i["kind"]
            if not v.get("ok"):
                why = re.sub(r"translation failed: (Resource with id \[\w+\] is invalid\. )?", "", v.get("error", ""))
                self.skipped[kind]["the variant does not translate: " + short(why)[:110]] += 1
                continue
            mine, theirs = problems_of(v), problems_of(before.get(i["source"]["path"], {}))
            fresh = {k for k, (_, level) in mine.items() if level == "error"} - set(theirs)
            if not any(level == "error" for _, level in mine.values()):
                self.skipped[kind]["the oracle reports no error-level problem"] += 1
                continue
            if not fresh:
                self.skipped[kind]["no error-level problem that the source lacks"] += 1
                continue
            i["view"] = v
            i["injected"] = sorted({mine[k][0] for k in fresh})
            self.kept[kind] += 1
            kept.append(i)
        for i in list(kept):
            if i["group"] == "corpus" and not i["view"].get("ok"):
                self.excluded.append((i["show"], "does not translate: " + short(i["view"].get("error", ""))))
                kept.remove(i)

        # JSON forms of every kept YAML input
        jsons, reqs = [], []
        for n, i in enumerate(kept):
            stem = re.sub(r"\.(ya?ml|template)$", "", os.path.basename(i["path"]))
            base = "corpus" if i["group"] == "corpus" else "var"
            sub = os.path.basename(os.path.dirname(i["path"]))
            forms = {}
            for suffix in ("json", "json-min"):
                g = f"{base}-{suffix}"
                p = os.path.join(self.work, "in", g, sub, stem + ".json")
                os.makedirs(os.path.dirname(p), exist_ok=True)
                forms[suffix] = {"group": g, "path": p, "show": f"{suffix}:{i['show']}", "origin": i}
            reqs.append({"id": n, "src": i["path"], "pretty": forms["json"]["path"], "min": forms["json-min"]["path"]})
            jsons.append((i, forms))
        log(f"converting {len(reqs)} inputs to JSON")
        res = self.helper("convert", reqs)
        todo = []
        for n, (i, forms) in enumerate(jsons):
            o = res.get(n, {"ok": False, "error": "no helper output"})
            for f in forms.values():
                if not o["ok"]:
                    self.excluded.append((f["show"], "JSON conversion failed: " + o["error"]))
                    continue
                copy_includes(i["path"], f["path"])
                if o.get("warnings"):
                    self.note(f, "converted to JSON with the oracle's fallback loader: " + "; ".join(o["warnings"])[:200])
                todo.append(f)
        for f in todo:  # the oracle loads both with the same loader: same values, same view
            f["view"] = f["origin"]["view"]
            kept.append(f)
        order = {g: n for n, (g, _) in enumerate(GROUPS)}
        kept.sort(key=lambda i: (order[i["group"]], i["show"]))
        return kept

    # ---- samfix -------------------------------------------------------------------------
    def samfix_cmd(self, *args):
        try:
            r = subprocess.run([self.samfix, "--format", "json", *args], capture_output=True, text=True, timeout=120)
            return r.returncode, r.stdout, r.stderr
        except subprocess.TimeoutExpired:
            return 2, "", "timeout after 120 s"

    def run_input(self, i):
        rel = os.path.relpath(i["path"], os.path.join(self.work, "in"))
        i["before_bytes"] = open(i["path"], "rb").read()
        i["check"] = self.samfix_cmd(i["path"])
        w = os.path.join(self.work, "run", "write", rel)
        writable_copy(i["path"], w)
        i["write"] = self.samfix_cmd("--write", w)
        i["after"] = w
        i["after_bytes"] = open(w, "rb").read()
        if i["write"][0] in (0, 1):
            again = os.path.join(self.work, "run", "again", rel)
            writable_copy(w, again)
            i["again"] = self.samfix_cmd("--write", again)
            i["again_bytes"] = open(again, "rb").read()
        return i

    # ---- bookkeeping --------------------------------------------------------------------
    def count(self, section, row, group, n=1):
        self.counts[(section, row)][group] += n

    def note(self, i, text):
        """A line under Notes; the same text for a template's JSON forms is shown once."""
        if "origin" in i:
            base, form = i["origin"]["show"], "min" if i["group"].endswith("-min") else "json"
        else:
            base, form = i["show"], "yaml"
        self.notes.setdefault((base, " ".join(text.replace(self.work + os.sep, "").split())), []).append(form)

    def fail(self, kind, what, rules, detail, diff=None):
        strip = lambda t: t.replace(self.work + os.sep, "") if isinstance(t, str) else t  # noqa: E731
        detail = [strip(d) for d in detail] if isinstance(detail, list) else strip(detail)
        self.failures.append({"kind": kind, "input": what, "rules": rules, "detail": detail, "diff": diff})

    # ---- main ---------------------------------------------------------------------------
    def run(self):
        self.setup()
        inputs = self.collect()
        log(f"{len(inputs)} inputs; running samfix ({WORKERS} workers)")
        with concurrent.futures.ThreadPoolExecutor(WORKERS) as ex:
            inputs = list(ex.map(self.run_input, inputs))
        RULES_SEEN.update(f["rule"] for i in inputs for f in findings_of(i["check"][1]) + findings_of(i["write"][1]))

        changed = [i for i in inputs if i["write"][0] in (0, 1) and i["after_bytes"] != i["before_bytes"]]
        lines = []
        for i in changed:
            i["fixed_rules"] = sorted({f["rule"] for f in findings_of(i["write"][1]) if f.get("fix")})
            flags = ["cors"] + (["authorizer-fix"] if "authorizer-on-preflight" in i["fixed_rules"] else [])
            lines.append("\t".join([i["path"], i["after"], *flags]) + "\n")
        log(f"oracle: compare-many of {len(lines)} written files, and their `cors` view")
        pairs = os.path.join(self.work, "pairs.tsv")
        with open(pairs, "w") as fh:
            fh.writelines(lines)
        with open(os.path.join(self.work, "verdicts.jsonl"), "w") as out, \
                open(os.path.join(self.work, "verdicts.stderr"), "w") as err:
            proc = subprocess.Popen([self.py, ORACLE, "compare-many", pairs], stdout=out, stderr=err)
            after_views = self.views([i["after"] for i in changed], procs=1)
            proc.wait()
        verdicts = {}
        with open(os.path.join(self.work, "verdicts.jsonl")) as fh:
            for line in fh:
                v = json.loads(line)
                verdicts[v["after"]] = v
        if proc.returncode not in (0, 1, 2) or len(verdicts) != len(changed):
            with open(os.path.join(self.work, "verdicts.stderr")) as fh:
                self.fail("runner", "compare-many", [], f"exit {proc.returncode}, {len(verdicts)} verdicts for "
                          f"{len(changed)} pairs: {fh.read()[-2000:]}")
        for i in inputs:
            i["verdict"] = verdicts.get(i["after"])
            i["after_view"] = after_views.get(i["after"])
            self.judge(i)
        self.print_all(inputs)
        if not self.args.keep:
            shutil.rmtree(self.work, ignore_errors=True)
        return 1 if any(f["kind"] in FAILING for f in self.failures) else 0

    # ---- judging ------------------------------------------------------------------------
    def judge(self, i):
        g = i["group"]
        self.count("", "inputs", g)
        before = problems_of(i["view"])
        i["before_ids"] = error_ids(before)
        i["after_ids"] = i["before_ids"]
        check_rc, check_out, check_err = i["check"]
        wrc, wout, werr = i["write"]
        found = findings_of(check_out)
        i["finding_rules"] = sorted({f["rule"] for f in found})
        # what a rule only notes (a warning), by rule: the problem is reported, not fixed
        i["warning_kinds"] = collections.defaultdict(set)
        for w in warnings_of(check_out):
            # an engine note (no rule) says what samfix did not read, such as an included body
            i["warning_kinds"][w.get("rule") or "(not read)"].add(w["kind"])
        # why each rule's findings are left for a human after --write
        i["left_kinds"] = collections.defaultdict(set)
        for f in findings_of(i["write"][1]):
            if f.get("needs_human"):
                i["left_kinds"][f["rule"]].add(f.get("needs_human_kind") or "(no kind)")
        for f in found:
            r = f["rule"]
            self.count(r, "findings", g)
            if f.get("fix"):
                self.count(r, "  with a fix planned", g)
            if f.get("needs_human"):
                self.count(r, f"  left for a human: {f.get('needs_human_kind') or '(no kind)'}", g)
        for r in i["finding_rules"]:
            self.count(r, "files with findings", g)
            if not i["before_ids"]:
                self.count(r, "  files with no error-level problem (flagged anyway)", g)
        if i["before_ids"]:
            self.count("", "  with an error-level problem", g)
        changed = i["after_bytes"] != i["before_bytes"]
        diff = diff_lines(i["before_bytes"], i["after_bytes"]) if changed else None
        if 2 in (check_rc, wrc):
            i["samfix_error"] = True
            msg = " ".join((check_err or werr).split())
            if re.search(r"duplicate key", check_err + werr, re.I):
                self.count("", "invalid input (samfix reports it, exit 2)", g)
                self.note(i, f"invalid input: {msg[:200]}")
            else:
                self.count("", "errors (unexpected samfix exit)", g)
                self.fail("error", i["show"], [], f"check exit {check_rc}, --write exit {wrc}: {msg[-600:]}")
            if changed:
                self.fail("error", i["show"], [], "exit 2 but the file was changed", diff)
            return
        wfound = findings_of(wout)
        if wrc == 1 and not any(f.get("needs_human") for f in wfound):
            self.count("", "errors (unexpected samfix exit)", g)
            self.fail("error", i["show"], [], "--write exited 1 but no finding is left for a human: " + wout[-400:])
        rules = i.get("fixed_rules") or []
        if changed and not rules:
            rules = ["(no finding with a fix)"]
        sections = rules if changed else []

        # idempotence: the second --write must leave every byte; a different exit (a finding
        # left for a human that the first pass's other fixes made moot) is shown, not failed
        if "again" in i:
            arc = i["again"][0]
            if i["again_bytes"] != i["after_bytes"]:
                self.count("", "not idempotent", g)
                for r in sections or i["finding_rules"] or ["(no finding)"]:
                    self.count(r, "not idempotent", g)
                self.fail("not idempotent", i["show"], sections,
                          ["a second --write changed the file:"] + diff_lines(i["after_bytes"], i["again_bytes"])[2:40],
                          diff)
            elif arc != wrc:
                self.count("", "second --write reports differently (bytes kept)", g)
                for r in sections or i["finding_rules"] or ["(no finding)"]:
                    self.count(r, "second --write reports differently (bytes kept)", g)
                self.note(i, f"--write: {report_summary(wout)}; the second --write: {report_summary(i['again'][1])}")

        if not changed:
            self.count("", "  unchanged by samfix --write", g)
            if not i["before_ids"]:
                self.count("", "  unaffected (no error-level problem, unchanged)", g)
            return
        self.count("", "  changed by samfix --write", g)
        for r in rules:
            self.count(r, "files changed", g)
        if not i["before_ids"]:
            self.count("", "unaffected changed", g)
            for r in rules:
                self.count(r, "unaffected changed", g)
            v = i["verdict"] or {}
            self.fail("unaffected changed", i["show"], rules,
                      f"no error-level problem before, but --write changed it (oracle: {v.get('verdict')}; "
                      + "; ".join(v.get("problems", [])[:5]) + ")", diff)

        v, av = i["verdict"], i["after_view"]
        if v is None or av is None:
            self.fail("runner", i["show"], rules, "no oracle verdict or view for the written file")
            return
        if v["verdict"] == "untranslatable" and "before" in v.get("translation_errors", {}):
            self.count("", "input does not translate (excluded)", g)
            self.excluded.append((i["show"], "does not translate: " + short(v["translation_errors"]["before"])))
            return
        if v["verdict"] == "untranslatable":
            self.count("", "wrong", g)
            for r in rules:
                self.count(r, "wrong: untranslatable after the fix", g)
            self.fail("wrong", i["show"], rules, "untranslatable after the fix: "
                      + json.dumps(v.get("translation_errors", {}))[:600], diff)
            return
        i["after_ids"] = error_ids(problems_of(av))
        other = [p for p in v.get("problems", []) if not p.startswith("still present after fix: ")]
        if g.endswith("json") or g.endswith("json-min"):
            try:
                json.loads(i["after_bytes"])
            except ValueError as e:
                other.append(f"the fixed file is not valid JSON: {e}")
        if other:
            self.count("", "wrong", g)
            for r in rules:
                self.count(r, "wrong (new problem, other change, or not JSON)", g)
            self.fail("wrong", i["show"], rules, other, diff)
            return
        gone = set(i["before_ids"]) - set(i["after_ids"])
        i["gone"] = gone
        for r in rules:
            left = sorted({k.rsplit(": ", 1)[1] for k in v["cors"]["remaining"]
                           if problem_rule(k.rsplit(": ", 1)[1]) == r})
            if left:
                self.count(r, "  correct, but problems it answers remain", g)
                self.note(i, f"changed by {r}, but {', '.join(left)} remain"
                          + ("" if any(f.get("needs_human") and f["rule"] == r for f in wfound)
                             else " (and no finding of it is left for a human)"))
            else:
                self.count(r, "fixed correct", g)
        self.count("", "fixed correct (no new problem, nothing else changed)", g)
        if not i["after_ids"]:
            self.count("", "  no error-level problem left", g)

    # ---- output -------------------------------------------------------------------------
    def print_all(self, inputs):
        heads = [h for _, h in GROUPS] + ["total"]
        print(f"## CORS conformance ({'quick subset' if self.args.quick else 'full run'}; samfix {self.samfix})")
        print()
        print("Every input: `samfix --format json`, `samfix --write` on a copy, a second `--write`; written files "
              "judged by `sam_oracle.py compare-many` (`cors`, + `authorizer-fix` where that rule fixed). "
              "`inputs`/`files` rows count templates, `findings` rows count findings.")
        print()
        w0, wn = 56, [max(8, len(h)) for h in heads]
        print("| " + "row".ljust(w0) + " | " + " | ".join(h.rjust(n) for h, n in zip(heads, wn)) + " |")
        print("|" + "-" * (w0 + 2) + "|" + "|".join("-" * (n + 1) + ":" for n in wn) + "|")

        def row(label, c):
            vals = [c.get(gr, 0) for gr, _ in GROUPS]
            print("| " + label.ljust(w0) + " | " + " | ".join(str(x).rjust(n) for x, n in zip(vals + [sum(vals)], wn))
                  + " |")

        main_rows = ["inputs", "  with an error-level problem", "  unchanged by samfix --write",
                     "  unaffected (no error-level problem, unchanged)", "  changed by samfix --write",
                     "fixed correct (no new problem, nothing else changed)", "  no error-level problem left",
                     "wrong", "unaffected changed", "not idempotent", "second --write reports differently (bytes kept)",
                     "invalid input (samfix reports it, exit 2)",
                     "errors (unexpected samfix exit)", "input does not translate (excluded)"]
        for r in main_rows:
            row(r, self.counts.get(("", r), {}))
        rules = sorted({s for s, _ in self.counts if s})
        rule_rows = ["files with findings", "findings", "  with a fix planned", "files changed", "fixed correct",
                     "  correct, but problems it answers remain", "wrong (new problem, other change, or not JSON)",
                     "wrong: untranslatable after the fix", "unaffected changed", "not idempotent",
                     "second --write reports differently (bytes kept)",
                     "  files with no error-level problem (flagged anyway)"]
        for r in rules:
            print("| " + f"**{r}**".ljust(w0) + " | " + " | ".join("".rjust(n) for n in wn) + " |")
            rows = rule_rows[:3] + sorted(x for s, x in self.counts if s == r and x.startswith("  left for a human")) \
                + rule_rows[3:]
            for x in rows:
                if x in ("fixed correct", "wrong (new problem, other change, or not JSON)", "unaffected changed",
                         "not idempotent", "files with findings", "findings", "files changed") or (r, x) in self.counts:
                    row("  " + x, self.counts.get((r, x), {}))
        mapped = {v for v in PROBLEM_RULE.values() if v}
        for r in rules:
            if r.startswith("(") or r in mapped:
                continue
            if r in PROBLEM_RULE:
                print(f"\nnote: samfix rule `{r}` is taken to answer the problem id of its name "
                      "(PROBLEM_RULE in conformance/cors.py names no rule for it)")
            else:
                print(f"\nnote: samfix rule `{r}` answers no problem id in PROBLEM_RULE (conformance/cors.py)")

        # which problems went away where one rule alone changed the file
        learnt = collections.defaultdict(collections.Counter)
        for i in inputs:
            rs = i.get("fixed_rules") or []
            if len(rs) == 1 and i.get("gone"):
                for pid in i["gone"]:
                    learnt[rs[0]][pid.split(":", 1)[0]] += 1
        if learnt:
            print("\nProblem ids gone from files that one rule alone changed (templates):")
            for r, c in sorted(learnt.items()):
                print(f"  - {r}: " + ", ".join(f"{p} {n}" for p, n in c.most_common()))

        self.print_variants(inputs)
        self.print_problems(inputs)
        self.print_headline(inputs)

        print("\nExcluded (not run):")
        for what, why in self.excluded:
            print(f"  - {what}: {why}")
        if self.notes:
            print("\nNotes (`[yaml, json, min]`: the template and which of its forms the note holds for):")
            for (base, text), forms in self.notes.items():
                print(f"  - {base} [{', '.join(forms)}]: {text}")
        by = collections.defaultdict(list)
        for f in self.failures:
            by[f["kind"]].append(f)
        for k in FAILING:
            fs = by.get(k, [])
            if not fs:
                continue
            print(f"\n{k.upper()} ({len(fs)}):")
            for f in fs:
                print(f"  - {f['input']}" + (f" [{', '.join(f['rules'])}]" if f["rules"] else ""))
                for d in f["detail"] if isinstance(f["detail"], list) else [f["detail"]]:
                    for ln in str(d).splitlines():
                        print(f"      {ln}")
                for ln in (f["diff"] or [])[2:42]:
                    print("      | " + ln.rstrip("\n"))
                if f["diff"] and len(f["diff"]) > 42:
                    print(f"      | ... ({len(f['diff']) - 42} more diff lines)")
        bad = sum(1 for f in self.failures if f["kind"] in FAILING)
        print(f"\n{'FAIL' if bad else 'OK'}: {bad} failure(s); wall time {time.time() - self.t0:.0f} s"
              + (f"; work dir kept in {self.work}" if self.args.keep else ""))

    def print_variants(self, inputs):
        print("\nVariants (made by cors_inject.py; kept when the oracle reports an error-level problem the "
              "source lacks):")
        print("| kind | templates tried | made | kept | skipped (not made, or dropped) |")
        print("|---|---:|---:|---:|---:|")
        for k in KINDS:
            n = sum(self.skipped[k].values())
            print(f"| {k} | {self.tried[k]} | {self.made[k]} | {self.kept[k]} | {n} |")
        added = [i for i in inputs if i["group"] == "var-authorizer" and any("added" in x for x in i["sites"])]
        print(f"  - authorizer: {len(added)} of the kept ones got their DefaultAuthorizer from the injection "
              "(the Api defined the authorizer but no default)")
        for k in KINDS:
            for why, n in self.skipped[k].most_common():
                print(f"  - {k}: {n} skipped: {why}")

    def print_problems(self, inputs):
        cols = (("corpus", ("corpus",)), ("variants", ("var-key", "var-unquoted", "var-authorizer")),
                ("JSON forms", ("corpus-json", "corpus-json-min", "var-json", "var-json-min")))
        table = collections.defaultdict(lambda: collections.Counter())
        for i in inputs:
            col = next(c for c, gs in cols if i["group"] in gs)
            for pid in i["before_ids"]:
                table[pid][(col, "before")] += 1
            for pid in i["after_ids"]:
                table[pid][(col, "after")] += 1
        print("\nError-level problem ids: templates with the problem before -> after `samfix --write`")
        print("| problem id | " + " | ".join(c for c, _ in cols) + " | rule |")
        print("|---|" + "|".join("---:" for _ in cols) + "|---|")
        for pid in sorted(table):
            c = table[pid]
            rule = problem_rule(pid)
            print(f"| `{pid}` | " + " | ".join(f"{c[(col, 'before')]} → {c[(col, 'after')]}" for col, _ in cols)
                  + f" | {rule or ('(none yet)' if rule == '' else '(not in PROBLEM_RULE)')} |")

    @staticmethod
    def how_reported(i):
        """Each error-level problem left after `samfix --write`, with how samfix reported it,
        or None where it did not."""
        out = []
        for pid in i["after_ids"]:
            rule = problem_rule(pid)
            if i.get("samfix_error"):
                how = "samfix exited 2"
            elif not rule:
                how = None  # no rule answers it: not reported
            elif rule in i["left_kinds"]:
                how = f"finding: {rule}, needs a human: {', '.join(sorted(i['left_kinds'][rule]))}"
            elif rule in i["warning_kinds"]:
                how = f"warning: {rule} {', '.join(sorted(i['warning_kinds'][rule]))}"
            elif "included-body" in i["warning_kinds"].get("(not read)", ()):
                how = "warning: included-body, the routes are in a file samfix does not read"
            elif rule in i["finding_rules"]:
                how = f"finding: {rule}, fixed, yet the problem remains"
            else:
                how = None
            out.append((pid, rule, how))
        return out

    def print_headline(self, inputs):
        corpus = [i for i in inputs if i["group"] == "corpus" and i["before_ids"]]
        left = [i for i in corpus if i["after_ids"]]
        print(f"\n**Headline: {len(corpus) - len(left)} of {len(corpus)} corpus templates with an error-level "
              f"problem have none after `samfix --write`.** Remaining ({len(left)}):")
        for i in left:
            parts = [f"{pid} ({how or (f'no finding from {rule}' if rule else 'no rule')})"
                     for pid, rule, how in self.how_reported(i)]
            print(f"  - {i['show']}: " + ", ".join(parts))
        unreported = [i for i in inputs if any(how is None for _, _, how in self.how_reported(i))]
        print(f"\nInputs (of {len(inputs)}, every group) left with an error-level problem samfix did not "
              f"report: {len(unreported)}")
        for i in unreported:
            missed = [pid for pid, _, how in self.how_reported(i) if how is None]
            print(f"  - {i['show']}: {', '.join(missed)}")
            self.fail("unreported", i["show"], [], f"no finding or note of the rule for {', '.join(missed)}")


def short(msg):
    return " ".join(msg.split())[:160]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true",
                    help="a deterministic tenth of the corpus templates and of the variants (with their JSON forms)")
    ap.add_argument("--keep", metavar="DIR", help="use DIR (new or empty) as the work dir and keep it")
    ap.add_argument("--samfix", metavar="PATH", help="samfix binary to test (default: cargo build --release)")
    args = ap.parse_args()
    sys.exit(Runner(args).run())


if __name__ == "__main__":
    main()
