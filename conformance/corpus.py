#!/usr/bin/env python3
"""Corpus conformance: the real SAM translator judges every fix samfix makes.

Inputs: every template of ../shared/corpus (real-world/ and sam-translator-inputs/, minus the
translator's own error_* inputs and those ORACLE_STATUS.tsv marks as not translating), plus
the broken variants ../shared/corpus/make_variants.sh makes from them. For each input, on a
copy, with each strategy (auto, flag, events):

* unaffected (the oracle finds no affected API): samfix exits 0 and --write leaves the bytes;
* affected: the fixed file passes `sam_oracle.py compare`, or samfix refused with its reason
  (exit 1, "needs a human"); a second --write changes nothing.

A template samfix rejects as invalid (exit 2 with a location, e.g. duplicate keys, which
CloudFormation rejects) is listed with its message. Exits 1 if any fix is wrong, not
idempotent, an unaffected file changed, or samfix failed unexpectedly.

usage: conformance/corpus.py [--samfix PATH] [--variants DIR]
Needs SAM_ORACLE_VENV (the oracle's venv, made by ../shared/oracle/setup.sh).
"""
import argparse
import collections
import concurrent.futures
import json
import os
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED = os.path.join(ROOT, "..", "shared")
CORPUS = os.path.join(SHARED, "corpus")
ORACLE = os.path.join(SHARED, "oracle", "sam_oracle.py")
STRATEGIES = ("auto", "flag", "events")


def corpus_inputs():
    """(path, affected) for every translatable original; the skipped ones, with why."""
    kept, skipped = [], collections.Counter()
    with open(os.path.join(CORPUS, "ORACLE_STATUS.tsv")) as status:
        next(status)
        for line in status:
            cols = line.rstrip("\n").split("\t")
            name, translate, affected = cols[0], cols[1], cols[7]
            if os.path.basename(name).startswith("error_"):
                skipped["translator error_* input"] += 1
            elif translate != "ok":
                skipped["does not translate offline"] += 1
            else:
                kept.append((os.path.join(CORPUS, name), bool(affected)))
    return kept, skipped


def variant_inputs(directory, python):
    env = dict(os.environ)
    subprocess.run(["bash", os.path.join(CORPUS, "make_variants.sh"), directory], check=True, env=env,
                   stdout=subprocess.DEVNULL)
    with open(os.path.join(directory, "VARIANTS.tsv")) as variants:
        next(variants)
        return [(os.path.join(directory, line.split("\t")[0]), True) for line in variants]


def copy_input(source, directory, label):
    target = os.path.join(directory, label)
    os.makedirs(target, exist_ok=True)
    destination = os.path.join(target, os.path.basename(source))
    shutil.copyfile(source, destination)
    includes = source + ".includes"
    if os.path.isdir(includes):
        shutil.copytree(includes, destination + ".includes", dirs_exist_ok=True)
    return destination


def run_samfix(samfix, args):
    result = subprocess.run([samfix, *args], capture_output=True, text=True)
    return result.returncode, result.stdout, result.stderr


def check_one(samfix, work, index, source, affected, strategy):
    """Runs samfix on a copy; returns a record for the table."""
    copy = copy_input(source, work, f"{index}-{strategy}")
    original = open(source, "rb").read()
    code, out, err = run_samfix(samfix, ["--write", "--strategy", strategy, copy])
    record = {"input": source, "copy": copy, "strategy": strategy, "affected": affected, "code": code}
    fixed = open(copy, "rb").read()
    record["changed"] = fixed != original
    if code == 2:
        record["error"] = (err.strip().splitlines() or ["(no message)"])[0]
        return record
    refusals = [line.strip()[len("needs a human: "):] for line in out.splitlines()
                if line.strip().startswith("needs a human: ")]
    record["refusals"] = refusals
    if record["changed"]:
        again, _, _ = run_samfix(samfix, ["--write", "--strategy", strategy, copy])
        record["idempotent"] = open(copy, "rb").read() == fixed and again in (0, 1)
    return record


def reason_key(reason):
    for phrase in ("has its own `DefinitionBody`", "has its own `DefinitionUri`", "has a `DefaultAuthorizer`",
                   "document-wide `security`", "take its place", "anchor", "intrinsic", "RestApiId"):
        if phrase in reason:
            return phrase
    return reason[:60]


def compare_many(python, pairs, work):
    """Oracle verdicts for (before, after) pairs, two processes in parallel."""
    chunks = [pairs[0::2], pairs[1::2]]
    files = []
    for i, chunk in enumerate(chunks):
        path = os.path.join(work, f"pairs{i}.tsv")
        with open(path, "w") as f:
            f.writelines(f"{b}\t{a}\n" for b, a in chunk)
        files.append(path)
    procs = [subprocess.Popen([python, ORACLE, "compare-many", f], stdout=subprocess.PIPE, text=True)
             for f in files if os.path.getsize(f)]
    verdicts = {}
    for proc in procs:
        for line in proc.stdout:
            verdict = json.loads(line)
            verdicts[verdict["after"]] = verdict
        proc.wait()
    return verdicts


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--samfix", default=os.path.join(ROOT, "target", "release", "samfix"))
    parser.add_argument("--variants", help="directory for make_variants.sh (default: a temporary one)")
    args = parser.parse_args()
    venv = os.environ.get("SAM_ORACLE_VENV")
    if not venv:
        sys.exit("set SAM_ORACLE_VENV to the oracle's venv (../shared/oracle/setup.sh makes it)")
    python = os.path.join(venv, "bin", "python")

    work = tempfile.mkdtemp(prefix="samfix-conformance-")
    try:
        originals, skipped = corpus_inputs()
        variants = variant_inputs(args.variants or os.path.join(work, "variants"), python)
        inputs = originals + variants
        jobs = [(i, src, aff, st) for i, (src, aff) in enumerate(inputs) for st in STRATEGIES]
        with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
            records = list(pool.map(lambda job: check_one(args.samfix, os.path.join(work, "runs"), *job), jobs))

        pairs = [(r["input"], r["copy"]) for r in records if r["changed"] and r["affected"]]
        verdicts = compare_many(python, pairs, work)

        table = collections.Counter()
        problems = []
        for r in records:
            st = r["strategy"]
            name = os.path.relpath(r["input"], SHARED) if r["input"].startswith(SHARED) else os.path.basename(r["input"])
            if "error" in r:
                table["invalid input (reported)" if ": error: " in r["error"] and r["error"].split(":")[1].isdigit()
                      else "samfix failed"] += 1
                if not r["error"].split(":")[1].isdigit():
                    problems.append(f"samfix failed [{st}] {name}: {r['error']}")
                else:
                    problems.append(f"invalid input [{st}] {name}: {r['error']}")
                continue
            if not r["affected"]:
                if r["changed"] or r["code"] != 0:
                    table["unaffected but changed"] += 1
                    problems.append(f"unaffected but changed [{st}] {name} (exit {r['code']})")
                else:
                    table["unchanged"] += 1
                continue
            for reason in r["refusals"]:
                table[f"refused [{st}]: {reason_key(reason)}"] += 1
            if not r["changed"]:
                if not r["refusals"]:
                    table["affected but unchanged"] += 1
                    problems.append(f"affected but unchanged [{st}] {name}")
                continue
            if not r.get("idempotent", True):
                table["not idempotent"] += 1
                problems.append(f"not idempotent [{st}] {name}")
            verdict = verdicts.get(r["copy"], {"verdict": "no verdict"})
            if verdict["verdict"] == "fix-is-correct":
                table[f"fixed-correct [{st}]"] += 1
            elif r["refusals"]:
                table[f"partly fixed, rest refused [{st}]"] += 1
            else:
                table["wrong"] += 1
                problems.append(f"wrong [{st}] {name}: {verdict['verdict']} {verdict.get('problems', [])[:3]}")

        print(f"inputs: {len(inputs)} templates ({len(originals)} corpus, {len(variants)} variants) "
              f"x {len(STRATEGIES)} strategies = {len(records)} runs")
        for why, count in sorted(skipped.items()):
            print(f"skipped: {count} ({why})")
        for key in sorted(table):
            print(f"{table[key]:6}  {key}")
        for problem in problems:
            print(problem)
        failing = sum(table[k] for k in ("wrong", "not idempotent", "unaffected but changed",
                                          "affected but unchanged", "samfix failed"))
        print(f"conformance: {len(records) - failing} passed, {failing} failed")
        return 1 if failing else 0
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
