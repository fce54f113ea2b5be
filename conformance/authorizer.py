"""The `authorizer-on-preflight` part of the conformance run (imported by run.py).

Inputs: the corpus templates run.py checks, plus authorizer variants made from the `api` and
`globals` variants of make_variants.sh: the `ApiKeyRequired: true` line mutate.py inserted is
replaced by `DefaultAuthorizer: AWS_IAM`, so an API (or Globals.Api) gets a default authorizer
and Cors, and nothing else changes. A variant whose Auth already has a DefaultAuthorizer is not
made (it would have a duplicate key).

Each input is fixed on a copy with both preflight rules (`--strategy auto`), then judged by
`sam_oracle.py compare --authorizer-fix`: every OPTIONS operation must end with neither an API key
nor an authorizer, and nothing else may change. An input samfix leaves alone is compared with
itself, so a preflight samfix missed shows up as wrong. A second run must change nothing, and
where only authorizer flags were added to block mappings, the diff must be one added line per
Auth map that holds a DefaultAuthorizer.
"""
import collections
import difflib
import json
import os
import re
import shutil
import subprocess

AUTHORIZER_LINE = "DefaultAuthorizer: AWS_IAM"
INSERTED_KEY = re.compile(r"^(\s*)ApiKeyRequired: true\s*$")
AUTHORIZER_SETTING = ".DefaultAuthorizer"


def json_report(stdout):
    """samfix's `--format json` document (runner.samfix_cmd asks for it); empty if there is none."""
    try:
        return json.loads(stdout)
    except ValueError:
        return {"files": []}


def authorizer_variant(variant_path, source_path):
    """The variant's text with its inserted key lines turned into a default authorizer, or None."""
    variant = open(variant_path, encoding="utf-8").read().splitlines(keepends=True)
    source = open(source_path, encoding="utf-8").read().splitlines(keepends=True)
    out, changed = list(variant), False
    matcher = difflib.SequenceMatcher(a=source, b=variant, autojunk=False)
    for tag, _, _, j1, j2 in matcher.get_opcodes():
        if tag != "insert":
            continue
        for j in range(j1, j2):
            m = INSERTED_KEY.match(variant[j].rstrip("\r\n"))
            if m:
                ending = variant[j][len(variant[j].rstrip("\r\n")):]
                out[j] = m.group(1) + AUTHORIZER_LINE + ending
                changed = True
    text = "".join(out)
    return text if changed else None


def inputs_for(runner, inputs, vdir):
    """[(group, show, path)] of the authorizer part, and the variants not made, by reason."""
    chosen, not_made = [], collections.Counter()
    sources = {}
    with open(os.path.join(vdir, "VARIANTS.tsv")) as fh:
        header = fh.readline().rstrip("\n").split("\t")
        for line in fh:
            row = dict(zip(header, line.rstrip("\n").split("\t")))
            sources[row["variant"]] = os.path.join(runner_corpus(), row["source"])
    base = os.path.join(runner.work, "auth-in")
    for i in inputs:
        if i["group"] in ("real-world", "sam-translator-inputs"):
            chosen.append(("auth:corpus", i["show"], i["path"]))
        elif i["group"] in ("variant-api", "variant-globals"):
            text = authorizer_variant(i["src"], sources[i["name"]])
            if text is None:
                not_made["no inserted ApiKeyRequired line"] += 1
                continue
            name = "authorizer__" + i["name"].split("__", 1)[1] if "__" in i["name"] else i["name"]
            name = i["group"].split("-")[1] + "-" + name
            path = os.path.join(base, name)
            os.makedirs(base, exist_ok=True)
            with open(path, "w", encoding="utf-8", newline="") as fh:
                fh.write(text)
            includes = i["src"] + ".includes"
            if os.path.isdir(includes):
                shutil.copytree(includes, path + ".includes", dirs_exist_ok=True)
            chosen.append(("auth:variants", "authorizer-variants/" + name, path))
    return chosen, not_made


def runner_corpus():
    return os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared", "corpus"))


def copy_with_includes(src, dst):
    os.makedirs(os.path.dirname(dst), exist_ok=True)
    shutil.copyfile(src, dst)
    if os.path.isdir(src + ".includes"):
        shutil.copytree(src + ".includes", dst + ".includes", dirs_exist_ok=True)


PREFLIGHT_RULES = "api-key-on-preflight,authorizer-on-preflight"


def run_one(runner, index, item):
    group, show, path = item
    work = os.path.join(runner.work, "auth-run", str(index))
    after = os.path.join(work, "after", os.path.basename(path))
    again = os.path.join(work, "again", os.path.basename(path))
    copy_with_includes(path, after)
    # The two preflight rules together; the CORS rules are judged by cors.py with `compare --cors`.
    rc, out, err = runner.samfix_cmd("--write", after, select=PREFLIGHT_RULES)
    copy_with_includes(after, again)
    arc, _, _ = runner.samfix_cmd("--write", again, select=PREFLIGHT_RULES)
    before_bytes, after_bytes = open(path, "rb").read(), open(after, "rb").read()
    return {"group": group, "show": show, "before": path, "after": after, "rc": rc, "out": out, "err": err,
            "changed": before_bytes != after_bytes, "idempotent": open(again, "rb").read() == after_bytes and arc == rc,
            "before_bytes": before_bytes, "after_bytes": after_bytes}


def diff_counts(before, after):
    a = before.decode("utf-8", "surrogateescape").splitlines()
    b = after.decode("utf-8", "surrogateescape").splitlines()
    removed = added = 0
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if tag in ("replace", "delete"):
            removed += i2 - i1
        if tag in ("replace", "insert"):
            added += j2 - j1
    return removed, added


def check(runner, inputs, vdir, pool, oracle):
    """Runs the authorizer part; returns (rows, groups, failures, not_made)."""
    items, not_made = inputs_for(runner, inputs, vdir)
    results = list(pool.map(lambda pair: run_one(runner, *pair), enumerate(items)))
    pairs = []
    for r in results:
        if r["rc"] == 0 and not r["changed"]:
            pairs.append((r["before"], r["before"]))
        elif r["rc"] in (0, 1):
            pairs.append((r["before"], r["after"]))
    tsv = os.path.join(runner.work, "auth-pairs.tsv")
    with open(tsv, "w") as fh:
        fh.writelines(f"{b}\t{a}\tauthorizer-fix\n" for b, a in pairs)
    chunks = [pairs[k::2] for k in range(2)]
    procs = []
    for k, chunk in enumerate(chunks):
        path = f"{tsv}.{k}"
        with open(path, "w") as fh:
            fh.writelines(f"{b}\t{a}\tauthorizer-fix\n" for b, a in chunk)
        procs.append(subprocess.Popen([runner.py, oracle, "compare-many", path],
                                      stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True))
    verdicts = {}
    for p in procs:
        for line in p.stdout:
            v = json.loads(line)
            verdicts[(v["before"], v["after"])] = v
        p.wait()

    counts = collections.defaultdict(collections.Counter)
    failures = []

    def count(row, group):
        counts[row][group] += 1

    for r in results:
        g = r["group"]
        count("inputs", g)
        report = json_report(r["out"])
        found = [f for file in report["files"] for f in file["findings"]]
        findings = [(f["rule"], f["api"]) for f in found]
        authorizer_apis = [api for rule, api in findings if rule == "authorizer-on-preflight"]
        if authorizer_apis:
            count("  with an authorizer on a preflight (samfix findings)", g)
        if r["rc"] == 2:
            if g == "auth:variants" and "duplicate key `DefaultAuthorizer`" in r["err"]:
                count("variant not usable: its Auth already had a DefaultAuthorizer", g)
            elif re.search("duplicate key", r["err"], re.I):
                count("invalid input (reported, exit 2)", g)
            else:
                count("errors (unexpected samfix exit)", g)
                failures.append(("error", r["show"], r["err"].strip()))
            continue
        refusals = [f["needs_human"] for f in found if f["needs_human"]]
        key = (r["before"], r["before"]) if r["rc"] == 0 and not r["changed"] else (r["before"], r["after"])
        v = verdicts.get(key)
        if v is None:
            failures.append(("runner", r["show"], "no oracle verdict"))
            continue
        if v["verdict"] == "untranslatable":
            if "before" in v.get("translation_errors", {}):
                count("input does not translate (excluded)", g)
            else:
                count("untranslatable after the fix", g)
                failures.append(("untranslatable", r["show"], v.get("translation_errors")))
            continue
        problems = v.get("problems", [])
        if refusals:
            refused_apis = {api for rule, api in findings}  # conservative: any API with a finding
            problems = [p for p in problems if p.split(" ")[0] not in refused_apis or "still" not in p]
        if problems:
            if r["changed"]:
                count("wrong (oracle: fix-is-wrong)", g)
                failures.append(("wrong", r["show"], problems[:5]))
            elif any("sets a document-wide `security`" in w["message"]
                     for file in report["files"] for w in file["warnings"]):
                # Outside both rules: no SAM flag changes what OPTIONS inherit from the body.
                count("unchanged, OPTIONS inherit the body's security: samfix warns", g)
                failures.append(("warned", r["show"], problems[:5]))
            else:
                count("missed: unchanged, but the oracle finds a preflight problem", g)
                failures.append(("missed", r["show"], problems[:5]))
            continue
        if refusals:
            count("partly fixed or refused, the rest correct", g)
        elif r["changed"]:
            count("fixed correct (auto, every rule)", g)
        else:
            count("nothing to fix, oracle agrees", g)
        if not r["idempotent"]:
            count("not idempotent", g)
            failures.append(("not idempotent", r["show"], "a second --write changed the file or its exit"))
        if r["changed"] and authorizer_apis and len(authorizer_apis) == len(findings):
            sources = {f["setting"][:-len(AUTHORIZER_SETTING)] for f in found
                       if f["setting"].endswith(AUTHORIZER_SETTING)}
            removed, added = diff_counts(r["before_bytes"], r["after_bytes"])
            if (removed, added) == (0, len(sources)):
                count("  diff size = minimal (one line per Auth map)", g)
            elif removed == added == len(sources):
                count("  diff: flow-style Auth, one changed line each", g)
            else:
                count("larger than minimal", g)
                failures.append(("larger than minimal", r["show"], f"-{removed} +{added} for {len(sources)} Auth map(s)"))
    return counts, failures, not_made
