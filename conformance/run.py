#!/usr/bin/env python3
"""Corpus conformance runner: every fix samfix makes must be accepted by the real SAM
translator (through ../shared/oracle/sam_oracle.py), be idempotent and be minimal.

    python3 conformance/run.py [--quick] [--keep DIR] [--samfix PATH] [--variants DIR]

Inputs
  * every template in ../shared/corpus/real-world and ../shared/corpus/sam-translator-inputs,
    except the `error_*` inputs and those ORACLE_STATUS.tsv marks as not translating (both
    are counted and listed as skipped);
  * the broken variants of make_variants.sh (kinds api, globals, definitionbody);
  * each variant converted to JSON with the oracle's own loader (cfn-lint, so `!Ref X`
    becomes {"Ref": "X"}): once with a 2-space indent, once minified on one line (and
    without a final newline).
  `<name>.includes/` folders are copied beside every copy, so AWS::Include still resolves.

Checks (each on a copy in a temporary work directory)
  * unaffected input (ORACLE_STATUS / VARIANTS list no affected API): `samfix FILE`
    exits 0 and `samfix --write FILE` leaves the bytes as they were;
  * affected input, for each of --strategy auto, flag, events: the written file is judged by
    `sam_oracle.py compare-many` and must be `fix-is-correct`; a strategy may instead refuse
    (exit 1 and a `needs a human:` line), which is counted per reason; if it still fixed
    other APIs of the file, the oracle's problems must all be about the refused APIs;
  * every written file: a second `samfix --write` with the same strategy changes nothing and
    exits 0 when the first one did (idempotent);
  * every written file: the unified diff (difflib, n=0) has exactly as many changed lines
    (removed + added) as the minimal edit needs.

The minimal count is computed by this runner (not by ../shared/bench/ruamel_fix.py, whose
count is layout-blind: it charges 2 lines for every edit in a JSON object). A small helper,
run in the oracle venv, loads the template with the oracle's loader, asks the oracle's
`summarize_sam_auth` which key source each API reads, and takes the strategy samfix chose
for each key source from samfix's own report (`fix (events)` / `fix (flag)`). From that it
derives, independently of samfix's code, the value edits the strategy needs (SAM-FACTS /
the oracle README):
  flag:   `AddApiKeyRequiredToCorsPreflight: false` added to the Auth holding the key (or an
          existing `AddApiKeyRequiredToCorsPreflight: true` turned false);
  events: the key removed from that Auth (a map left empty is removed with its key, up to
          the first map that still has entries), and on every `Type: Api` event of every API
          that read the key: `Auth: {ApiKeyRequired: true}` added (not on OPTIONS events),
          `ApiKeyRequired: false` removed, an existing true kept.
It applies those edits to the loaded values and checks the result equals what samfix wrote
(so no edit is missing or extra), and prices each edit in the file's own layout with PyYAML
node positions: in block YAML a removed entry costs its lines, an added scalar entry 1 line,
an added `Auth:` map 2; in a flow mapping on one line (YAML flow, minified JSON) every edited
line costs 2 (removed + added) however many edits it holds; in a multi-line JSON object an
entry is added as new lines before the first entry (1 line, or 3 for a new `Auth` object),
removing a non-last entry costs its lines, removing the last one also rewrites the comma of
the entry before it (+2). Lines edited by several edits count once.

Exit status: 0 when nothing is wrong; 1 when a fix is wrong or untranslatable, not idempotent,
larger than minimal, makes edits other than the expected ones, when samfix changed or flagged
an unaffected template, or on unexpected errors (samfix exit 2 other than an invalid input,
or a runner step that failed).
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

import authorizer
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED = os.path.normpath(os.path.join(REPO, "..", "shared"))
CORPUS = os.path.join(SHARED, "corpus")
ORACLE_DIR = os.path.join(SHARED, "oracle")
ORACLE = os.path.join(ORACLE_DIR, "sam_oracle.py")
STRATEGIES = ("auto", "flag", "events")
WORKERS = 2
GROUPS = (
    ("real-world", "real-world"),
    ("sam-translator-inputs", "translator-inputs"),
    ("variant-api", "variants: api"),
    ("variant-globals", "variants: globals"),
    ("variant-definitionbody", "variants: definitionbody"),
    ("json", "variants as JSON (indent 2)"),
    ("json-min", "variants as JSON (minified)"),
)

# --------------------------------------------------------------------------------------
# The helper that runs inside the oracle venv (PyYAML, cfn-lint, the oracle's loader).
# --------------------------------------------------------------------------------------
HELPER = r'''
import copy, json, re, sys, traceback
sys.path.insert(0, sys.argv[1])
import sam_oracle  # noqa: E402  (the oracle's loader and its summary of SAM Api auth)
import yaml  # noqa: E402

Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def convert(req):
    sam_oracle.WARNINGS.clear()
    t = sam_oracle.load_template(req["src"])
    with open(req["pretty"], "w", encoding="utf-8") as fh:
        fh.write(json.dumps(t, indent=2, ensure_ascii=False) + "\n")
    with open(req["min"], "w", encoding="utf-8") as fh:
        fh.write(json.dumps(t, separators=(",", ":"), ensure_ascii=False))
    return {"warnings": list(sam_oracle.WARNINGS)}


# ---- positions ------------------------------------------------------------------------
def get(node, key):
    """(key node, value node) of the last entry named key, or None."""
    if not isinstance(node, yaml.MappingNode):
        return None
    found = None
    for k, v in node.value:
        if isinstance(k, yaml.ScalarNode) and k.value == key:
            found = (k, v)
    return found


def at(root, path):
    node = root
    for key in path:
        kv = get(node, key)
        if kv is None:
            raise KeyError("/".join(path))
        node = kv[1]
    return node


def last_line(node):
    if isinstance(node, yaml.ScalarNode):
        if node.style in ("|", ">"):
            return node.end_mark.line - (1 if node.end_mark.column == 0 else 0)
        return node.end_mark.line
    if node.flow_style or not node.value:
        return node.end_mark.line
    last = node.value[-1]
    return last_line(last[1] if isinstance(last, tuple) else last)


def is_flow(node):
    return bool(getattr(node, "flow_style", False))


class Cost:
    def __init__(self, lines):
        self.lines, self.removed, self.changed, self.inserted = lines, set(), set(), 0

    def total(self):
        return len(self.removed) + 2 * len(self.changed - self.removed) + self.inserted

    def own_lines(self, m, i):
        """Entry i of flow mapping m sits alone on its lines (JSON pretty layout)."""
        k, v = m.value[i]
        a, b = k.start_mark.line, last_line(v)
        before = self.lines[a][: k.start_mark.column]
        after = self.lines[b][v.end_mark.column:] if v.end_mark.line == b else ""
        prev_ok = i == 0 or last_line(m.value[i - 1][1]) < a
        next_ok = (m.value[i + 1][0].start_mark.line > b) if i + 1 < len(m.value) else m.end_mark.line > b
        return not before.strip() and re.fullmatch(r"\s*,?\s*", after) is not None and prev_ok and next_ok

    def remove(self, m, key):
        idx = max(i for i, (k, _) in enumerate(m.value) if isinstance(k, yaml.ScalarNode) and k.value == key)
        k, v = m.value[idx]
        a, b = k.start_mark.line, last_line(v)
        if not is_flow(m):
            self.removed |= set(range(a, b + 1))
        elif m.start_mark.line == m.end_mark.line or not self.own_lines(m, idx):
            self.changed |= set(range(a, b + 1))
        else:
            self.removed |= set(range(a, b + 1))
            if idx == len(m.value) - 1 and idx > 0:
                self.changed.add(last_line(m.value[idx - 1][1]))

    def insert(self, m, new_lines_block, new_lines_json):
        if not isinstance(m, yaml.MappingNode):  # an empty (null) value: `Auth:`
            if m.start_mark.line == m.end_mark.line and m.value in ("", "~", "null", "Null", "NULL") and m.start_mark.index == m.end_mark.index:
                self.inserted += new_lines_block - 1 if new_lines_block > 1 else 1
            else:
                self.changed.add(m.start_mark.line)
            return
        if not is_flow(m):
            self.inserted += new_lines_block
        elif m.start_mark.line == m.end_mark.line or not m.value:
            self.changed.add(m.start_mark.line)
        elif m.value[0][0].start_mark.line > m.start_mark.line:
            self.inserted += new_lines_json
        else:
            self.changed.add(m.start_mark.line)
            self.inserted += new_lines_json - 1

    def replace(self, v):
        self.changed |= set(range(v.start_mark.line, last_line(v) + 1))


# ---- the edits a strategy needs ------------------------------------------------------
def truthy(v):
    return v is True or (isinstance(v, str) and v.lower() == "true")


def dget(d, path):
    for k in path:
        if not isinstance(d, dict) or k not in d:
            return None
        d = d[k]
    return d


def topmost_removal(values, map_path, key):
    """Removing the last key of a map removes the map's own entry, up the tree."""
    while map_path and isinstance(dget(values, map_path), dict) and len(dget(values, map_path)) == 1 \
            and isinstance(dget(values, map_path[:-1]), dict):
        map_path, key = map_path[:-1], map_path[-1]
    return map_path, key


def expected_edits(values, fixes):
    """[(op, map_path, key, value)] for the fixes samfix reported: {source, strategy}."""
    res = values.get("Resources") if isinstance(values.get("Resources"), dict) else {}
    sam_apis = sam_oracle.summarize_sam_auth(values)
    sources = {}
    for name, e in sam_apis.items():
        api = name.split(" ")[0]
        src = {"resource": api, "Globals": "Globals"}.get(e["ApiKeyRequired_from"])
        if src and truthy(e["ApiKeyRequired"]):
            sources.setdefault(src, []).append(api)

    def auth_path(source):
        return ["Globals", "Api", "Auth"] if source == "Globals" else ["Resources", source, "Properties", "Auth"]

    edits = []

    def add(edit):
        if edit not in edits:
            edits.append(edit)

    events = []
    for owner, r in res.items():
        if not isinstance(r, dict) or r.get("Type") not in ("AWS::Serverless::Function", "AWS::Serverless::StateMachine"):
            continue
        evs = (r.get("Properties") or {}).get("Events") if isinstance(r.get("Properties"), dict) else None
        if not isinstance(evs, dict):
            continue
        for name, ev in evs.items():
            if not isinstance(ev, dict) or ev.get("Type") != "Api" or not isinstance(ev.get("Properties"), dict):
                continue
            p = ev["Properties"]
            t = p.get("RestApiId", {"Ref": "ServerlessRestApi"})
            t = t.get("Ref") if isinstance(t, dict) and list(t) == ["Ref"] else t
            events.append((["Resources", owner, "Properties", "Events", name, "Properties"], p, t))

    for fix in fixes:
        source, strategy = fix["source"], fix["strategy"]
        apath = auth_path(source)
        if strategy == "flag":
            for api in fix["apis"]:
                own = ["Resources", api, "Properties", "Auth"]
                own_auth = dget(values, own)
                if isinstance(own_auth, dict) and "AddApiKeyRequiredToCorsPreflight" in own_auth:
                    add(("replace", own, "AddApiKeyRequiredToCorsPreflight", False))
                elif isinstance(dget(values, apath), dict) and "AddApiKeyRequiredToCorsPreflight" in dget(values, apath):
                    add(("replace", apath, "AddApiKeyRequiredToCorsPreflight", False))
                else:
                    add(("insert", apath, "AddApiKeyRequiredToCorsPreflight", False))
            continue
        add(("remove",) + tuple(topmost_removal(values, apath, "ApiKeyRequired")) + (None,))
        losing = set(sources.get(source, []))
        for ppath, p, target in events:
            if target not in losing:
                continue
            options = str(p.get("Method", "")).lower() == "options"
            if "Auth" not in p:
                if not options:
                    add(("insert", ppath, "Auth", {"ApiKeyRequired": True}))
            elif p["Auth"] is None:
                if not options:
                    add(("fill", ppath, "Auth", {"ApiKeyRequired": True}))
            elif isinstance(p["Auth"], dict):
                a = p["Auth"]
                if "ApiKeyRequired" not in a:
                    if not options:
                        add(("insert", ppath + ["Auth"], "ApiKeyRequired", True))
                elif a["ApiKeyRequired"] is None:
                    if not options:
                        add(("replace", ppath + ["Auth"], "ApiKeyRequired", True))
                elif not truthy(a["ApiKeyRequired"]):
                    add(("remove",) + tuple(topmost_removal(values, ppath + ["Auth"], "ApiKeyRequired")) + (None,))
    return edits


def apply_values(values, edits):
    v = copy.deepcopy(values)
    for op, path, key, value in edits:
        m = dget(v, path)
        if op == "remove":
            del m[key]
        else:
            m[key] = value
    return v


def describe(edit):
    op, path, key, value = edit
    where = ".".join(path[1:] if path[:1] == ["Resources"] else path)
    return f"{op} {where}.{key}" + ("" if value is None else " = " + json.dumps(value))


def minimal(req):
    values = sam_oracle.load_template(req["before"])
    after = sam_oracle.load_template(req["after"])
    edits = expected_edits(values, req["fixes"])
    expected = apply_values(values, edits)
    mismatch = sam_oracle.deep_diff(expected, after)
    raw = open(req["before"], "rb").read()
    text = raw.decode("utf-8", "surrogateescape")
    if text.startswith("\ufeff"):
        text = text[1:]
    root = yaml.compose(raw, Loader=Loader)
    cost = Cost(re.split(r"\r?\n", text))
    for op, path, key, value in edits:
        m = at(root, path)
        if op == "remove":
            cost.remove(m, key)
        elif op == "replace":
            cost.replace(get(m, key)[1])
        elif op == "fill":
            cost.insert(get(m, key)[1], 1, 1)
        elif isinstance(value, dict):
            cost.insert(m, 2, 3)
        else:
            cost.insert(m, 1, 1)
    return {"minimal": cost.total(), "edits": [describe(e) for e in edits],
            "edits_differ": ["values, expected -> samfix's: " + d.lstrip('/') for d in mismatch]}


def main():
    cmd = sys.argv[2]
    fn = {"convert": convert, "minimal": minimal}[cmd]
    for line in sys.stdin:
        req = json.loads(line)
        try:
            out = fn(req)
            out["ok"] = True
        except Exception as e:  # noqa: BLE001
            out = {"ok": False, "error": f"{type(e).__name__}: {e}", "trace": traceback.format_exc()[-800:]}
        out["id"] = req["id"]
        print(json.dumps(out), flush=True)


main()
'''


# --------------------------------------------------------------------------------------
def log(msg):
    print(msg, file=sys.stderr, flush=True)


def sh(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, **kw)


def read_tsv(path):
    with open(path, encoding="utf-8") as fh:
        rows = [line.rstrip("\n").split("\t") for line in fh]
    head = rows[0]
    return [dict(zip(head, r + [""] * (len(head) - len(r)))) for r in rows[1:] if r and r[0]]


def copy_input(src, dst):
    """Copy a template and its `<name>.includes/` folder (if any) to dst."""
    os.makedirs(os.path.dirname(dst), exist_ok=True)
    shutil.copyfile(src, dst)
    inc = src + ".includes"
    if os.path.isdir(inc):
        shutil.copytree(inc, dst + ".includes", dirs_exist_ok=True)


def diff_lines(before: bytes, after: bytes):
    """The unified diff (n=0) and its number of removed + added lines."""
    def lines(b):
        t = b.decode("utf-8", "surrogateescape")
        return re.findall(r"[^\n]*\n|[^\n]+$", t)

    out = list(difflib.unified_diff(lines(before), lines(after), "before", "after", n=0))
    body = [ln for ln in out[2:] if not ln.startswith("@@")]
    return out, sum(1 for ln in body if ln[:1] in "+-")


def json_report(stdout: str):
    """samfix's `--format json` document (docs/json-format.md); an empty one if there is none."""
    try:
        report = json.loads(stdout)
    except ValueError:
        return {"files": []}
    if report.get("schema_version") != 1:
        sys.exit(f"samfix --format json: unknown schema_version {report.get('schema_version')!r}")
    return report


def json_findings(stdout: str, rule=None):
    """Every finding of the report (of one rule, if given)."""
    return [f for file in json_report(stdout)["files"] for f in file["findings"] if rule in (None, f["rule"])]


def parse_report(stdout: str):
    """samfix's report -> [{api, source, strategy, reason}] (strategy None = refused)."""
    findings = []
    for f in json_findings(stdout, "api-key-on-preflight"):
        source = "Globals" if f["setting_in"]["kind"] == "globals" else f["setting_in"]["api"]
        fix = f["fix"] or {}
        findings.append({"api": f["api"], "source": source, "strategy": fix.get("strategy"),
                         "reason": f["needs_human"] or fix.get("reason"),
                         "kind": f["needs_human_kind"] or fix.get("reason_kind")})
    return findings


def fixes_of(findings):
    groups = collections.OrderedDict()
    for f in findings:
        if f["strategy"]:
            g = groups.setdefault((f["source"], f["strategy"]), {"source": f["source"], "strategy": f["strategy"], "apis": []})
            g["apis"].append(f["api"])
    return list(groups.values())


# --------------------------------------------------------------------------------------
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
            self.work = tempfile.mkdtemp(prefix="samfix-conformance-")
        self.excluded = []      # (what, why) - inputs not run, with the reason
        self.failures = []      # dicts: kind, input, strategy, details
        self.notes = []         # free text shown under the table
        self.counts = collections.defaultdict(collections.Counter)  # row -> group -> n
        self.rows = []          # row order

    # ---- setup ----------------------------------------------------------------------
    def setup(self):
        env = dict(os.environ, SAM_ORACLE_VENV=self.venv)
        r = sh(["bash", os.path.join(ORACLE_DIR, "setup.sh")], cwd=REPO, env=env)
        if r.returncode != 0:
            sys.exit(f"oracle setup failed:\n{r.stdout}{r.stderr}")
        log(r.stdout.strip())
        if self.args.samfix:
            self.samfix = os.path.abspath(self.args.samfix)
        else:
            log("cargo build --release --locked")
            r = sh(["cargo", "build", "--release", "--locked"], cwd=REPO)
            if r.returncode != 0:
                sys.exit(f"cargo build failed:\n{r.stderr}")
            self.samfix = os.path.join(REPO, "target", "release", "samfix")
        self.helper = os.path.join(self.work, "helper.py")
        with open(self.helper, "w") as fh:
            fh.write(HELPER)

    def variants(self):
        vdir = os.path.abspath(self.args.variants) if self.args.variants else os.path.join(self.work, "variants")
        tsv = os.path.join(vdir, "VARIANTS.tsv")
        sources = [os.path.join(CORPUS, f) for f in ("make_variants.sh", "mutate.py", "ORACLE_STATUS.tsv")]
        fresh = os.path.exists(tsv) and all(os.path.getmtime(tsv) >= os.path.getmtime(s) for s in sources)
        if fresh:
            log(f"reusing variants in {vdir}")
        else:
            log(f"make_variants.sh {vdir} (about 1.5 min)")
            env = dict(os.environ, SAM_ORACLE_VENV=self.venv)
            r = sh(["bash", os.path.join(CORPUS, "make_variants.sh"), vdir], env=env)
            if r.returncode != 0:
                sys.exit(f"make_variants.sh failed:\n{r.stdout}{r.stderr}")
            with open(os.path.join(vdir, "make_variants.out"), "w") as fh:
                fh.write(r.stdout)
        return vdir

    # ---- inputs -----------------------------------------------------------------------
    def collect(self):
        status = {r["file"]: r for r in read_tsv(os.path.join(CORPUS, "ORACLE_STATUS.tsv"))}
        inputs = []
        skipped_error, skipped_nt = [], []
        for sub, group in (("real-world", "real-world"), ("sam-translator-inputs", "sam-translator-inputs")):
            for name in sorted(os.listdir(os.path.join(CORPUS, sub))):
                path = os.path.join(CORPUS, sub, name)
                if not os.path.isfile(path):
                    continue
                rel = f"{sub}/{name}"
                if name.startswith("error_"):
                    skipped_error.append(rel)
                    continue
                st = status.get(rel)
                if st is None:
                    skipped_nt.append((rel, "not in ORACLE_STATUS.tsv"))
                    continue
                if st["translate"] != "ok":
                    skipped_nt.append((rel, " ".join(st["detail"].split())[:200]))
                    continue
                affected = st["affected_apis(ApiKeyRequired+Cors,preflight not disabled)"]
                inputs.append({"group": group, "name": name, "src": path, "show": rel,
                               "affected": [a for a in affected.split(",") if a]})
        self.excluded.append((f"{len(skipped_error)} `error_*` translator inputs",
                              "the translator is meant to reject them"))
        for rel, why in skipped_nt:
            self.excluded.append((rel, "does not translate (ORACLE_STATUS.tsv): " + why))

        vdir = self.variants()
        for row in read_tsv(os.path.join(vdir, "VARIANTS.tsv")):
            path = os.path.join(vdir, row["variant"])
            inputs.append({"group": "variant-" + row["kind"], "name": row["variant"], "src": path,
                           "show": "variants/" + row["variant"],
                           "affected": [a for a in row["affected_apis"].split(",") if a]})
        skipped = read_tsv(os.path.join(vdir, "SKIPPED.tsv"))
        by = collections.Counter()
        for r in skipped:
            why = re.sub(r"^(mutate: skip: )\w+\.Properties", r"\1<Api>.Properties", r["reason"])
            why = re.sub(r"translation failed: (Resource with id \[\w+\] is invalid\. )?", "", why)
            by[(r["kind"], why[:110])] += 1
        for (kind, why), n in sorted(by.items()):
            self.excluded.append((f"{n} {kind} variant(s) not made", why))

        for v in [i for i in inputs if i["group"].startswith("variant-")]:
            stem = re.sub(r"\.(ya?ml|template)$", "", v["name"])
            for group in ("json", "json-min"):
                inputs.append({"group": group, "name": f"{stem}.json", "src": None, "from": v["src"],
                               "show": f"{group}:{v['show']}", "affected": v["affected"]})

        if self.args.quick:  # a deterministic tenth of every group
            inputs = [i for i in inputs if int(hashlib.sha1(i["show"].encode()).hexdigest(), 16) % 10 == 0]
        for n, i in enumerate(inputs):
            i["id"] = n
            i["path"] = os.path.join(self.work, "in", i["group"], i["name"])
        self.convert_json([i for i in inputs if i["src"] is None])
        inputs = [i for i in inputs if i.get("src")]
        for i in inputs:
            if i["group"] not in ("json", "json-min"):
                copy_input(i["src"], i["path"])
        return inputs

    def helper_run(self, cmd, reqs):
        if not reqs:
            return {}
        r = subprocess.run([self.py, self.helper, ORACLE_DIR, cmd], input="".join(json.dumps(q) + "\n" for q in reqs),
                           capture_output=True, text=True)
        out = {}
        for line in r.stdout.splitlines():
            o = json.loads(line)
            out[o["id"]] = o
        if r.returncode != 0 or len(out) != len(reqs):
            self.fail("runner", "helper " + cmd, None, f"helper exited {r.returncode}: {r.stderr[-2000:]}")
        return out

    def convert_json(self, todo):
        pairs = {}
        for i in todo:
            pairs.setdefault(i["from"], {})[i["group"]] = i
        reqs = []
        for n, (src, d) in enumerate(sorted(pairs.items())):
            for i in d.values():
                os.makedirs(os.path.dirname(i["path"]), exist_ok=True)
            pretty = d.get("json", {}).get("path") or os.path.join(self.work, "scratch", f"{n}.json")
            mini = d.get("json-min", {}).get("path") or os.path.join(self.work, "scratch", f"{n}.min.json")
            os.makedirs(os.path.join(self.work, "scratch"), exist_ok=True)
            reqs.append({"id": n, "src": src, "pretty": pretty, "min": mini})
        res = self.helper_run("convert", reqs)
        for req in reqs:
            o = res.get(req["id"], {"ok": False, "error": "no helper output"})
            for i in pairs[req["src"]].values():
                if not o["ok"]:
                    self.excluded.append((i["show"], "JSON conversion failed: " + o["error"]))
                    continue
                i["src"] = i["path"]
                if os.path.isdir(req["src"] + ".includes"):
                    shutil.copytree(req["src"] + ".includes", i["path"] + ".includes", dirs_exist_ok=True)
                if o.get("warnings"):
                    i["note"] = "converted with the oracle's fallback loader: " + "; ".join(o["warnings"])[:200]

    # ---- samfix -----------------------------------------------------------------------
    def samfix_cmd(self, *args, select="api-key-on-preflight"):
        """samfix with ARGS; the checks above are about one rule, the authorizer part about all."""
        if select:
            args = ("--select", select, *args)
        args = ("--format", "json", *args)
        try:
            r = subprocess.run([self.samfix, *args], capture_output=True, text=True, timeout=120)
            return r.returncode, r.stdout, r.stderr
        except subprocess.TimeoutExpired:
            return 2, "", "timeout after 120 s"

    def run_input(self, i):
        """All samfix invocations of one input. Returns a list of run dicts."""
        runs = []
        before = open(i["path"], "rb").read()
        if not i["affected"]:
            rc, out, err = self.samfix_cmd(i["path"])
            w = os.path.join(self.work, "run", "write", i["group"], i["name"])
            copy_input(i["path"], w)
            rc2, out2, err2 = self.samfix_cmd("--write", w)
            runs.append({"strategy": None, "check": (rc, out, err), "write": (rc2, out2, err2), "after": w,
                         "after_bytes": open(w, "rb").read(), "before_bytes": before})
            return runs
        for s in STRATEGIES:
            w = os.path.join(self.work, "run", s, i["group"], i["name"])
            copy_input(i["path"], w)
            res = self.samfix_cmd("--write", "--strategy", s, w)
            after = open(w, "rb").read()
            run = {"strategy": s, "write": res, "after": w, "after_bytes": after, "before_bytes": before}
            if res[0] in (0, 1) and after != before or res[0] == 0:
                again = os.path.join(self.work, "run", s + "-again", i["group"], i["name"])
                copy_input(w, again)
                run["again"] = self.samfix_cmd("--write", "--strategy", s, again)
                run["again_bytes"] = open(again, "rb").read()
            runs.append(run)
        return runs

    # ---- bookkeeping ------------------------------------------------------------------
    def count(self, row, group, n=1):
        if row not in self.rows:
            self.rows.append(row)
        self.counts[row][group] += n

    def fail(self, kind, what, strategy, detail, diff=None):
        strip = lambda t: t.replace(self.work + os.sep, "") if isinstance(t, str) else t  # noqa: E731
        detail = [strip(d) for d in detail] if isinstance(detail, list) else strip(detail)
        self.failures.append({"kind": kind, "input": what, "strategy": strategy, "detail": detail, "diff": diff})

    # ---- the oracle -------------------------------------------------------------------
    def compare_many(self, pairs):
        """pairs: [(before, after)] -> {(before, after): verdict}; 2 processes in parallel."""
        chunks = [pairs[k::WORKERS] for k in range(WORKERS)]
        procs = []
        for k, chunk in enumerate(chunks):
            if not chunk:
                continue
            tsv = os.path.join(self.work, f"pairs.{k}.tsv")
            with open(tsv, "w") as fh:
                fh.writelines(f"{b}\t{a}\n" for b, a in chunk)
            out = open(os.path.join(self.work, f"verdicts.{k}.jsonl"), "w")
            err = open(os.path.join(self.work, f"verdicts.{k}.stderr"), "w")
            procs.append((subprocess.Popen([self.py, ORACLE, "compare-many", tsv], stdout=out, stderr=err), out, err, k))
        return procs

    def collect_verdicts(self, procs):
        verdicts = {}
        for p, out, err, k in procs:
            p.wait()
            out.close()
            err.close()
            with open(os.path.join(self.work, f"verdicts.{k}.jsonl")) as fh:
                for line in fh:
                    v = json.loads(line)
                    verdicts[(v["before"], v["after"])] = v
            if p.returncode not in (0, 1, 2):
                with open(os.path.join(self.work, f"verdicts.{k}.stderr")) as fh:
                    self.fail("runner", "compare-many", None, f"exit {p.returncode}: {fh.read()[-2000:]}")
        return verdicts

    # ---- main -------------------------------------------------------------------------
    def run(self):
        self.setup()
        inputs = self.collect()
        log(f"{len(inputs)} inputs; running samfix ({WORKERS} workers)")
        with concurrent.futures.ThreadPoolExecutor(WORKERS) as ex:
            results = list(ex.map(self.run_input, inputs))

        # which files go to the oracle (one comparison per distinct result)
        pairs, key_of = [], {}
        seen = {}
        minimal_reqs = []
        for i, runs in zip(inputs, results):
            for n, run in enumerate(runs):
                rc = run["write"][0]
                changed = run["after_bytes"] != run["before_bytes"]
                if i["affected"] and rc in (0, 1) and (changed or rc == 0) or (not i["affected"] and changed):
                    h = (i["path"], hashlib.sha256(run["after_bytes"]).hexdigest())
                    if h not in seen:
                        seen[h] = (i["path"], run["after"])
                        pairs.append(seen[h])
                    key_of[(i["id"], n)] = seen[h]
                if i["affected"] and changed and rc in (0, 1):
                    run["findings"] = parse_report(run["write"][1])
                    minimal_reqs.append({"id": f"{i['id']}/{n}", "before": i["path"], "after": run["after"],
                                         "fixes": fixes_of(run["findings"])})
        log(f"oracle: {len(pairs)} comparisons in {WORKERS} processes; minimal edits of {len(minimal_reqs)} fixes")
        procs = self.compare_many(pairs)
        minimal = self.helper_run("minimal", minimal_reqs)
        verdicts = self.collect_verdicts(procs)
        for i, runs in zip(inputs, results):
            self.judge(i, runs, [verdicts.get(key_of.get((i["id"], n))) for n in range(len(runs))],
                       [minimal.get(f"{i['id']}/{n}") for n in range(len(runs))])
        self.print_table(inputs)
        log("authorizer-on-preflight: fixing every rule, judged by compare --authorizer-fix")
        with concurrent.futures.ThreadPoolExecutor(WORKERS) as ex:
            counts, auth_failures, not_made = authorizer.check(self, inputs, self.variants(), ex, ORACLE)
        self.print_authorizer_table(counts, auth_failures, not_made)
        if not self.args.keep:
            shutil.rmtree(self.work, ignore_errors=True)
        bad = ("wrong", "untranslatable", "not idempotent", "larger than minimal", "edits differ", "error",
               "runner", "unaffected changed", "unaffected flagged", "missed")
        failed = any(f["kind"] in bad for f in self.failures) or any(kind in bad for kind, _, _ in auth_failures)
        return 1 if failed else 0

    def print_authorizer_table(self, counts, failures, not_made):
        heads = ["auth:corpus", "auth:variants"]
        order = ["inputs", "  with an authorizer on a preflight (samfix findings)", "fixed correct (auto, every rule)",
                 "nothing to fix, oracle agrees", "partly fixed or refused, the rest correct",
                 "  diff size = minimal (one line per Auth map)", "  diff: flow-style Auth, one changed line each",
                 "wrong (oracle: fix-is-wrong)", "missed: unchanged, but the oracle finds a preflight problem",
                 "unchanged, OPTIONS inherit the body's security: samfix warns",
                 "untranslatable after the fix", "not idempotent", "larger than minimal",
                 "invalid input (reported, exit 2)", "errors (unexpected samfix exit)",
                 "input does not translate (excluded)",
                 "variant not usable: its Auth already had a DefaultAuthorizer"]
        rows = order + [r for r in counts if r not in order]
        w0 = max(len(r) for r in rows) + 1
        print()
        print("authorizer-on-preflight (and both rules together): every input fixed with all rules, "
              "`--strategy auto`, judged by `sam_oracle.py compare --authorizer-fix`")
        print("| " + "check".ljust(w0) + " | " + " | ".join(h.rjust(13) for h in heads) + " | " + "total".rjust(7) + " |")
        print("|" + "-" * (w0 + 2) + "|" + "|".join("-" * 14 + ":" for _ in heads) + "|" + "-" * 8 + ":|")
        for r in rows:
            cells = [counts[r][h] for h in heads]
            print("| " + r.ljust(w0) + " | " + " | ".join(str(c).rjust(13) for c in cells) + " | "
                  + str(sum(cells)).rjust(7) + " |")
        for why, n in sorted(not_made.items()):
            print(f"  - {n} authorizer variant(s) not made: {why}")
        for kind, what, detail in failures:
            print(f"  - {kind}: {what}: {detail}")

    def judge(self, i, runs, verdicts, minimals):
        g = i["group"]
        self.count("inputs", g)
        if i.get("note"):
            self.notes.append(f"{i['show']}: {i['note']}")
        invalid = [r for r in runs if r["write"][0] == 2 and re.search(r"duplicate key", r["write"][2], re.I)]
        if not i["affected"]:
            self.count("  unaffected (must not change)", g)
            run = runs[0]
            rc, _, err = run["check"]
            wrc, _, werr = run["write"]
            if (rc == 2 or wrc == 2) and re.search(r"duplicate key", err + werr, re.I):
                self.count("invalid input (reported, exit 2)", g)
                self.fail("invalid input", i["show"], None, (err or werr).strip())
                if run["after_bytes"] != run["before_bytes"]:
                    self.fail("unaffected changed", i["show"], None, "changed although samfix reported an error")
                return
            if rc == 2 or wrc == 2:
                self.count("errors (unexpected samfix exit)", g)
                self.fail("error", i["show"], None, (err or werr).strip())
                return
            ok = True
            if run["after_bytes"] != run["before_bytes"]:
                ok = False
                self.count("unaffected but changed", g)
                v = verdicts[0] or {}
                d, _ = diff_lines(run["before_bytes"], run["after_bytes"])
                self.fail("unaffected changed", i["show"], "auto",
                          f"--write changed a template the oracle calls unaffected (oracle: {v.get('verdict')}; "
                          f"{'; '.join(v.get('problems', [])[:5])})", d)
            elif rc != 0 or wrc != 0:
                ok = False
                self.count("unaffected but flagged", g)
                self.fail("unaffected flagged", i["show"], None, f"check exit {rc}, --write exit {wrc}: "
                          + " | ".join(f"{f['api']}: {f['needs_human'] or f['message']}"
                                       for f in json_findings(run["check"][1])))
            if ok:
                self.count("  unchanged (exit 0, --write byte-identical)", g)
            return

        self.count("  affected (run with auto, flag, events)", g)
        if invalid:
            self.count("invalid input (reported, exit 2)", g)
            self.fail("invalid input", i["show"], None, invalid[0]["write"][2].strip())
        for run, v, mn in zip(runs, verdicts, minimals):
            self.judge_run(i, run, v, mn, bool(invalid))

    def judge_run(self, i, run, v, mn, invalid):
        g, s = i["group"], run["strategy"]
        rc, out, err = run["write"]
        d, nlines = diff_lines(run["before_bytes"], run["after_bytes"])
        changed = run["after_bytes"] != run["before_bytes"]
        if rc == 2:
            if changed:
                self.fail("error", i["show"], s, "exit 2 but the file was changed", d)
            if invalid:
                return
            self.count("errors (unexpected samfix exit)", g)
            self.fail("error", i["show"], s, err.strip())
            return
        refused = [f for f in parse_report(out) if f["strategy"] is None and f["reason"]]
        if rc == 1 and not refused:
            self.count("errors (unexpected samfix exit)", g)
            self.fail("error", i["show"], s, "exit 1 without a `needs a human` reason: " + out.strip()[-500:])
            return
        for kind in sorted({f["kind"] for f in refused}):
            self.count(f"refused ({s}): {kind}", g)
            self.fail("refused", i["show"], s, next(f for f in refused if f["kind"] == kind))
        if rc == 0 or changed:
            if v is None:
                self.fail("runner", i["show"], s, "no oracle verdict")
            elif v["verdict"] == "untranslatable":
                if "before" in v.get("translation_errors", {}):
                    self.count("input does not translate (excluded)", g)
                    self.excluded.append((i["show"], "the input does not translate: " + v["translation_errors"]["before"][:300]))
                    return
                self.count("untranslatable after the fix", g)
                self.fail("untranslatable", i["show"], s, v["translation_errors"]["after"], d)
            else:
                problems = list(v.get("problems", []))
                # A duplicate key the input already had is the input's (samfix reads it as SAM
                # does, last one wins); a fix must not add one.
                def duplicated(path):
                    return collections.Counter(
                        name for w in v.get("warnings", []) if w.startswith(path + ":")
                        for name in re.findall(r"Duplicate found '([^']*)'", w))
                added = duplicated(run["after"]) - duplicated(i["path"])
                problems += [f"the fixed file has duplicate keys the input lacks: {sorted(added)}"] if added else []
                if i["group"] in ("json", "json-min"):
                    try:
                        json.loads(run["after_bytes"])
                    except ValueError as e:
                        problems.append(f"the fixed file is not valid JSON: {e}")
                if refused:  # a partial fix: only the refused APIs may keep the key on OPTIONS
                    apis = {f["api"] for f in refused}
                    problems = [p for p in problems if not (p.endswith("OPTIONS still requires an API key")
                                                            and p.split(" ")[0] in apis)]
                if problems:
                    self.count("wrong (oracle: fix-is-wrong)", g)
                    self.fail("wrong", i["show"], s, problems, d)
                elif not refused:
                    self.count(f"fixed correct: {s}", g)
                else:
                    self.count(f"partly fixed, rest refused, correct: {s}", g)
        if "again" in run:
            arc, aout, aerr = run["again"]
            why = []
            if run["again_bytes"] != run["after_bytes"]:
                why.append("a second --write changed the file:\n" + "".join(diff_lines(run["after_bytes"], run["again_bytes"])[0]))
            if arc != rc:
                why.append(f"the second --write exited {arc} (first {rc}): {(aerr or aout).strip()[-400:]}")
            if why:
                self.count("not idempotent", g)
                self.fail("not idempotent", i["show"], s, why, d)
        if changed and mn is not None:
            if not mn.get("ok"):
                self.fail("runner", i["show"], s, "minimal count failed: " + mn.get("error", "") + mn.get("trace", ""))
                return
            if mn["edits_differ"]:
                self.count("edits differ from the expected ones", g)
                self.fail("edits differ", i["show"], s, mn["edits_differ"] + ["expected: " + "; ".join(mn["edits"])], d)
            if nlines > mn["minimal"]:
                self.count("larger than minimal", g)
                self.fail("larger than minimal", i["show"], s,
                          [f"{nlines} diff lines, minimal {mn['minimal']}", "expected edits: " + "; ".join(mn["edits"])], d)
            elif nlines < mn["minimal"]:
                self.count("smaller than the computed minimal (count disputed)", g)
                self.fail("smaller than minimal", i["show"], s,
                          [f"{nlines} diff lines, computed minimal {mn['minimal']}", "expected edits: " + "; ".join(mn["edits"])], d)
            else:
                self.count("  diff size = minimal", g)

    # ---- output -----------------------------------------------------------------------
    def print_table(self, inputs):
        groups = [(k, label) for k, label in GROUPS]
        order = ["inputs", "  unaffected (must not change)", "  unchanged (exit 0, --write byte-identical)",
                 "  affected (run with auto, flag, events)", "fixed correct: auto", "fixed correct: flag",
                 "fixed correct: events"]
        rows = order + sorted(r for r in self.rows if r.startswith("partly")) \
            + sorted(r for r in self.rows if r.startswith("refused")) \
            + ["wrong (oracle: fix-is-wrong)", "untranslatable after the fix", "not idempotent", "larger than minimal",
               "  diff size = minimal", "smaller than the computed minimal (count disputed)",
               "edits differ from the expected ones", "unaffected but changed", "unaffected but flagged",
               "invalid input (reported, exit 2)", "errors (unexpected samfix exit)", "input does not translate (excluded)"]
        rows += [r for r in self.rows if r not in rows]
        heads = ["real-world", "sam-inputs", "var:api", "var:globals", "var:defbody", "json", "json-min", "total"]
        w0 = max(len(r) for r in rows) + 1
        print()
        print(f"samfix corpus conformance ({'quick subset' if self.args.quick else 'full run'}; "
              f"samfix {self.samfix}; {time.time() - self.t0:.0f} s)")
        print("counts: `inputs` rows count templates; the other rows count runs (one per strategy for affected inputs).")
        print("| " + "check".ljust(w0) + " | " + " | ".join(h.rjust(11) for h in heads) + " |")
        print("|" + "-" * (w0 + 2) + "|" + "|".join("-" * 12 + ":" for _ in heads) + "|")
        for r in rows:
            c = self.counts.get(r, {})
            vals = [c.get(k, 0) for k, _ in groups]
            print("| " + r.ljust(w0) + " | " + " | ".join(str(x).rjust(11) for x in vals + [sum(vals)]) + " |")
        print()
        print("Excluded (not run):")
        for what, why in self.excluded:
            print(f"  - {what}: {why}")
        if self.notes:
            print("Notes:")
            for n in self.notes:
                print(f"  - {n}")
        order_k = ["wrong", "untranslatable", "not idempotent", "larger than minimal", "edits differ", "error",
                   "runner", "unaffected changed", "unaffected flagged", "smaller than minimal", "invalid input", "refused"]
        by = collections.defaultdict(list)
        for f in self.failures:
            by[f["kind"]].append(f)
        for k in order_k:
            fs = by.get(k, [])
            if not fs:
                continue
            if k == "refused":
                print(f"\nRefused ({len(fs)} runs; the reason samfix gave):")
                reasons = collections.defaultdict(list)
                for f in fs:
                    reasons[(f["strategy"], f["detail"]["kind"])].append(f"{f['input']}: {f['detail']['reason']}")
                for (s, r), names in sorted(reasons.items()):
                    print(f"  [{s}] {r}: {len(names)}")
                    for n in names:
                        print(f"      {n}")
                continue
            print(f"\n{k.upper()} ({len(fs)}):")
            for f in fs:
                print(f"  - {f['input']}" + (f" [--strategy {f['strategy']}]" if f["strategy"] else ""))
                detail = f["detail"] if isinstance(f["detail"], list) else [f["detail"]]
                for dline in detail:
                    for ln in str(dline).splitlines():
                        print(f"      {ln}")
                if f["diff"]:
                    for ln in f["diff"][2:42]:
                        print("      | " + ln.rstrip("\n"))
                    if len(f["diff"]) > 42:
                        print(f"      | ... ({len(f['diff']) - 42} more diff lines)")
        print(f"\nwall time {time.time() - self.t0:.0f} s" + (f"; work dir kept in {self.work}" if self.args.keep else ""))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="a deterministic tenth of every input group (picked by a hash of the name), for local iteration")
    ap.add_argument("--keep", metavar="DIR", help="use DIR (new or empty) as the work dir and keep it")
    ap.add_argument("--samfix", metavar="PATH", help="samfix binary to test (default: cargo build --release)")
    ap.add_argument("--variants", metavar="DIR",
                    help="make_variants.sh output to reuse if it is newer than the corpus scripts "
                         "(else it is made there); default: made afresh in the work dir")
    args = ap.parse_args()
    sys.exit(Runner(args).run())


if __name__ == "__main__":
    main()
