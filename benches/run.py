#!/usr/bin/env python3
"""Measures samfix side by side with its baseline and its floor, and prints one table.

    python3 benches/run.py [--quick] [--samfix PATH] [--out FILE]

1. batch: samfix over every corpus template in one process (check, and --write on a fresh
   copy) against ruamel_fix.py --batch --config tuned over the same files, in rounds that
   take turns;
2. one template, one process (the pre-commit case), median of many runs;
3. generated templates of about 0.1, 1 and 10 MB: samfix check and --diff against the
   parse-only floor (benches/parse_floor.rs), wall time and peak memory;
4. how time and memory grow from 0.1 to 1 to 10 MB;
5. how a check grows with the number of APIs and events, and with the length of ids.

It prepares what it needs (the ruamel venv, release builds, hyperfine when run as root),
writes everything it generates under a temporary directory, and exits 0 when a target is
missed: the table says which.
"""

import argparse
import datetime
import json
import os
import platform
import shlex
import shutil
import subprocess
import statistics
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RUAMEL_VERSION = "0.19.1"
TEMPLATE_EXTENSIONS = (".yaml", ".yml", ".json", ".template")
# Decimal megabytes, so "10 MB" is the size CloudFormation users read in its limits.
MB = 1_000_000
SIZES = [100_000, 1_000_000, 10_000_000]
# Every generated size fits, and the default (4 MiB) would refuse the largest.
MAX_SIZE = 64 * 1024 * 1024


class Settings:
    """How many runs each measurement gets; --quick trades precision for a short run."""

    def __init__(self, quick):
        self.quick = quick
        # Rounds of one ruamel batch (seconds) and a few samfix batches of each mode
        # (milliseconds), the first round a warmup; see `batch`.
        self.batch_rounds, self.batch_warmup_rounds = (3, 0) if quick else (5, 1)
        self.batch_runs_per_round = 5 if quick else 10
        self.single_runs, self.single_warmup = (50, 5) if quick else (300, 20)
        self.ruamel_single_runs, self.ruamel_single_warmup = (5, 1) if quick else (20, 2)
        self.sizes = SIZES[:2] if quick else SIZES
        # Cheap enough for every run, --quick included.
        self.growth_runs, self.growth_warmup = (7, 1) if quick else (21, 2)

    def large_runs(self, size):
        """Runs for a generated template: fewer where one run takes seconds."""
        if size >= 10 * MB:
            return 9, 1
        if size >= MB:
            return (3, 1) if self.quick else (15, 1)
        return (10, 2) if self.quick else (30, 3)


def progress(message):
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def run(args, **kwargs):
    return subprocess.run(args, check=True, **kwargs)


def output(args, **kwargs):
    return subprocess.run(args, check=True, capture_output=True, text=True, **kwargs).stdout


# --- preparation -----------------------------------------------------------------------


def ensure_tool(command, package):
    """Installs a missing Debian package when root; otherwise says how to get it."""
    if shutil.which(command) or os.path.exists(command):
        return
    if os.geteuid() == 0 and shutil.which("apt-get"):
        progress(f"installing {package} (apt-get)")
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        run(["apt-get", "update", "-qq"], env=env, stdout=subprocess.DEVNULL)
        run(["apt-get", "install", "-y", "-qq", package], env=env, stdout=subprocess.DEVNULL)
        if shutil.which(command) or os.path.exists(command):
            return
    sys.exit(f"benches/run.py needs {command}: install it with `sudo apt-get install {package}`")


def ensure_ruamel(shared):
    """The oracle venv with ruamel.yaml, as ../shared/bench/README.md sets it up."""
    venv = os.environ.get("SAM_ORACLE_VENV") or os.path.join(
        os.environ.get("TMPDIR", "/tmp"), "samfix-oracle-venv"
    )
    env = dict(os.environ, SAM_ORACLE_VENV=venv)
    run(["bash", os.path.join(shared, "oracle", "setup.sh")], env=env, stdout=subprocess.DEVNULL)
    python = os.path.join(venv, "bin", "python")
    probe = subprocess.run(
        [python, "-c", "import ruamel.yaml; print(ruamel.yaml.__version__)"],
        capture_output=True,
        text=True,
    )
    if probe.stdout.strip() != RUAMEL_VERSION:
        progress(f"installing ruamel.yaml=={RUAMEL_VERSION} into {venv}")
        run(
            [
                os.path.join(venv, "bin", "pip"),
                "install",
                "--quiet",
                "--disable-pip-version-check",
                f"ruamel.yaml=={RUAMEL_VERSION}",
            ]
        )
    return python


def build(samfix_given):
    """Release builds of samfix (unless --samfix names a binary) and of the floor."""
    targets = ["--example", "parse_floor"]
    if not samfix_given:
        targets += ["--bin", "samfix"]
    progress("cargo build --release --locked " + " ".join(targets))
    run(["cargo", "build", "--release", "--locked", "--quiet", *targets], cwd=REPO)
    target_dir = json.loads(
        output(["cargo", "metadata", "--format-version", "1", "--no-deps"], cwd=REPO)
    )["target_directory"]
    release = os.path.join(target_dir, "release")
    return os.path.join(release, "samfix"), os.path.join(release, "examples", "parse_floor")


def read_bytes(path):
    with open(path, "rb") as fh:
        return fh.read()


def corpus_templates(shared):
    """The 346 corpus templates; `*.includes/` folders hold OpenAPI files they pull in."""
    files = []
    for part in ("real-world", "sam-translator-inputs"):
        folder = os.path.join(shared, "corpus", part)
        for name in sorted(os.listdir(folder)):
            path = os.path.join(folder, name)
            if os.path.isfile(path) and name.endswith(TEMPLATE_EXTENSIONS):
                files.append(path)
    return files


# --- measuring -------------------------------------------------------------------------


def hyperfine(command, runs, warmup, work, prepare=None):
    """Median wall time in seconds of `command` (a list of words), run without a shell."""
    return statistics.median(hyperfine_times(command, runs, warmup, work, prepare))


def hyperfine_times(command, runs, warmup, work, prepare=None):
    """The wall time in seconds of each of `runs` runs of `command`, as `hyperfine`."""
    export = os.path.join(work, "hyperfine.json")
    args = [
        "hyperfine",
        "--shell=none",
        "--ignore-failure",  # samfix exits 1 when it finds something: that is the work
        "--style",
        "none",
        "--runs",
        str(runs),
        "--warmup",
        str(warmup),
        "--export-json",
        export,
    ]
    if prepare:
        args += ["--prepare", shlex.join(prepare)]
    done = subprocess.run(args + [shlex.join(command)], capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"hyperfine failed on {shlex.join(command)}:\n{done.stderr}")
    with open(export, encoding="utf-8") as fh:
        return json.load(fh)["results"][0]["times"]


def interleaved(commands, runs, warmup):
    """Median wall time in seconds of each command (a dict of name to list of words), run
    one of each per round: on a shared machine the speed drifts from second to second, and
    alternating lets the drift fall on every command alike, which the ratios between them
    need. For runs of tens of milliseconds and more, where starting a process from Python
    costs little beside them."""
    samples = {name: [] for name in commands}
    for round_ in range(warmup + runs):
        for name, command in commands.items():
            start = time.perf_counter()
            timed_run(command)
            if round_ >= warmup:
                samples[name].append(time.perf_counter() - start)
    return {name: statistics.median(values) for name, values in samples.items()}


# No run here takes a minute; one that hangs would otherwise hold CI until its own limit.
RUN_TIMEOUT = 600


def timed_run(command):
    """Runs `command` for its time alone, its output discarded; a hang is an error."""
    try:
        subprocess.run(
            command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=RUN_TIMEOUT
        )
    except subprocess.TimeoutExpired:
        sys.exit(f"{shlex.join(command[:2])} ... ran past {RUN_TIMEOUT} s")


def memory_dir():
    """Where the runs' files go: a file system in memory when the machine has one, so that
    the --write rows time samfix and ruamel rather than the disk. Replacing a file frees the
    old one's blocks, and on a disk mounted with `discard` each free waits on the device,
    which would add milliseconds to a batch, and noise, that neither tool decides. Otherwise
    the system's temporary directory."""
    shm = "/dev/shm"
    return shm if os.path.isdir(shm) and os.access(shm, os.W_OK) else tempfile.gettempdir()


def restore_and_sync(pristine, copy, files):
    """A --prepare command that puts back the original files and flushes them to disk: a
    file samfix fixes is fsynced, and on ext4 that fsync would otherwise also write out
    every file the copy just dirtied."""
    return ["sh", "-c", 'cp -rT "$0" "$1" && exec sync "$@"', pristine, copy, *files]


def peak_rss(command, work):
    """Maximum resident set size in bytes of one run, as GNU time reports it (KiB)."""
    report = os.path.join(work, "time.txt")
    subprocess.run(
        ["/usr/bin/time", "-f", "%M", "-o", report, *command],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    with open(report, encoding="utf-8") as fh:
        return int(fh.read().split()[-1]) * 1024


# --- formatting ------------------------------------------------------------------------


def fmt_time(seconds):
    if seconds < 1:
        ms = seconds * 1000
        return f"{ms:.3g} ms" if ms >= 1 else f"{ms:.2f} ms"
    return f"{seconds:.3g} s"


def fmt_bytes(n):
    return f"{n / MB:.3g} MB" if n >= MB else f"{n / 1000:.3g} kB"


def fmt_size(n):
    return f"{n / MB:g} MB"


def yes_no(ok):
    return "yes" if ok else "**no**"


class Table:
    def __init__(self):
        self.rows = []

    def add(self, scenario, samfix, other, ratio, target="", met=None):
        self.rows.append((scenario, samfix, other, ratio, target, "" if met is None else yes_no(met)))

    def missed(self):
        return [row for row in self.rows if row[5] == yes_no(False)]

    def markdown(self):
        head = ("scenario", "samfix", "baseline / floor", "ratio", "target", "met")
        lines = ["| " + " | ".join(head) + " |", "|" + " --- |" * len(head)]
        lines += ["| " + " | ".join(row) + " |" for row in self.rows]
        return "\n".join(lines)


def machine_line(samfix, samfix_given):
    cpu = "unknown CPU"
    with open("/proc/cpuinfo", encoding="utf-8") as fh:
        for line in fh:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo", encoding="utf-8") as fh:
        mem_kib = int(next(line for line in fh if line.startswith("MemTotal")).split()[1])
    os_name = platform.system()
    try:
        with open("/etc/os-release", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("PRETTY_NAME="):
                    os_name = line.split("=", 1)[1].strip().strip('"')
    except OSError:
        pass
    rustc = output(["rustc", "--version"]).split(" (")[0]
    commit = output(["git", "rev-parse", "--short", "HEAD"], cwd=REPO).strip()
    if output(["git", "status", "--porcelain", "--untracked-files=no"], cwd=REPO).strip():
        commit += " with uncommitted changes"
    built = f"samfix {commit}"
    if samfix_given:
        version = output([samfix, "--version"]).strip()
        built = f"{version} at {samfix} (worktree at {commit})"
    date = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    load = os.getloadavg()[0]
    return (
        f"{cpu}, {os.cpu_count()} cores, {mem_kib / 1024 / 1024:.1f} GiB, "
        f"{os_name} (Linux {platform.release()}), {rustc}, {date}, load {load:.1f} at start; "
        f"{built}"
    )


# --- scenarios -------------------------------------------------------------------------


def batch(table, notes, cfg, samfix, python, shared, work):
    files = corpus_templates(shared)
    total = sum(os.path.getsize(f) for f in files)
    progress(f"batch: {len(files)} corpus templates, {fmt_bytes(total)}")
    # A copy laid out like the corpus, restored before every --write run.
    pristine = os.path.join(work, "batch-pristine")
    scratch = os.path.join(work, "batch-write")
    copies = []
    for f in files:
        rel = os.path.relpath(f, os.path.join(shared, "corpus"))
        dest = os.path.join(pristine, rel)
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        # copyfile leaves the corpus's read-only mode behind; samfix --write refuses such files.
        shutil.copyfile(f, dest)
        copies.append(os.path.join(scratch, rel))
    run(["cp", "-rT", pristine, scratch])
    restore = restore_and_sync(pristine, scratch, copies)
    ruamel_out = os.path.join(work, "ruamel-batch")
    ruamel = [python, os.path.join(shared, "bench", "ruamel_fix.py"), "--batch", "--config", "tuned"]
    ruamel += [ruamel_out, *files]

    # Once outside the timings, to say what work each side did.
    subprocess.run([samfix, "--write", *copies], capture_output=True)
    fixed = sum(
        read_bytes(c) != read_bytes(os.path.join(pristine, os.path.relpath(c, scratch)))
        for c in copies
    )
    notes.append(f"batch: samfix --write changes {fixed} of the {len(files)} corpus templates")

    # The two sides take seconds and milliseconds, and this machine's speed drifts over
    # seconds: each round runs ruamel once and then samfix a few times in each mode, so that
    # drift falls on both sides of the ratio alike, as in `interleaved`.
    samples = {"ruamel": [], "check": [], "--write": []}
    runs = cfg.batch_runs_per_round
    for round_ in range(cfg.batch_warmup_rounds + cfg.batch_rounds):
        progress(f"batch: round {round_ + 1} of {cfg.batch_warmup_rounds + cfg.batch_rounds}")
        start = time.perf_counter()
        timed_run(ruamel)
        ruamel_time = time.perf_counter() - start
        check_times = hyperfine_times([samfix, "--check", *files], runs, 1, work)
        write_times = hyperfine_times(
            [samfix, "--write", *copies], runs, 1, work, prepare=restore
        )
        if round_ >= cfg.batch_warmup_rounds:
            samples["ruamel"].append(ruamel_time)
            samples["check"] += check_times
            samples["--write"] += write_times
    baseline = statistics.median(samples["ruamel"])
    check = statistics.median(samples["check"])
    write = statistics.median(samples["--write"])
    label = f"batch, {len(files)} templates ({fmt_bytes(total)}), one process"
    for mode, t in (("check", check), ("--write", write)):
        ratio = baseline / t
        table.add(
            f"{label}: {mode}", fmt_time(t), f"ruamel {fmt_time(baseline)}",
            f"{ratio:.0f}× faster", "≥ 200× faster", ratio >= 200,
        )


def single(table, cfg, samfix, python, shared, work):
    template = os.path.join(REPO, "examples", "template.yaml")
    progress("one template: examples/template.yaml")
    copy = os.path.join(work, "single", "template.yaml")
    os.makedirs(os.path.dirname(copy), exist_ok=True)
    restore = restore_and_sync(template, copy, [copy])
    ruamel = [
        python, os.path.join(shared, "bench", "ruamel_fix.py"), "--config", "tuned",
        template, os.path.join(work, "single", "ruamel-out.yaml"),
    ]
    baseline = hyperfine(ruamel, cfg.ruamel_single_runs, cfg.ruamel_single_warmup, work)
    check = hyperfine([samfix, template], cfg.single_runs, cfg.single_warmup, work)
    write = hyperfine(
        [samfix, "--write", copy], cfg.single_runs, cfg.single_warmup, work, prepare=restore
    )
    for mode, t in (("check", check), ("--write", write)):
        ratio = baseline / t
        table.add(
            f"one template ({os.path.getsize(template)} B), one process: {mode}",
            fmt_time(t), f"ruamel {fmt_time(baseline)}", f"{ratio:.0f}× faster",
            "< 3 ms and ≥ 15× faster", t < 0.003 and ratio >= 15,
        )


def large(table, notes, cfg, samfix, floor, work):
    """Times and peak memory per generated size: {size: {name: (seconds, bytes)}}."""
    results = {}
    for target in cfg.sizes:
        path = os.path.join(work, f"generated-{target}.yaml")
        run(
            [sys.executable, os.path.join(REPO, "benches", "gen_template.py"), str(target), path],
            stderr=subprocess.DEVNULL,
        )
        size = os.path.getsize(path)
        progress(f"large: {fmt_size(target)} template ({size} bytes)")
        with open(path, encoding="utf-8") as fh:
            events = sum(line.strip() == "Type: Api" for line in fh)
        commands = {
            "check": [samfix, "--max-size", str(MAX_SIZE), path],
            "--diff": [samfix, "--max-size", str(MAX_SIZE), "--diff", path],
            "floor": [floor, path],
        }
        diff = subprocess.run(commands["--diff"], capture_output=True, text=True)
        inserted = sum(
            line.startswith("+") and line[1:].strip() == "Auth:" for line in diff.stdout.splitlines()
        )
        notes.append(
            f"{fmt_size(target)} template: {size} bytes, {events} `Type: Api` events; "
            f"samfix reports {'1 finding' if diff.returncode == 1 else f'exit {diff.returncode}'} "
            f"and its diff inserts {inserted} event `Auth`s"
        )
        runs, warmup = cfg.large_runs(target)
        if target >= MB:
            times = interleaved(commands, runs, warmup)
        else:
            times = {name: hyperfine(command, runs, warmup, work) for name, command in commands.items()}
        measured = {name: (times[name], peak_rss(command, work)) for name, command in commands.items()}
        results[target] = (size, measured)

        floor_t, floor_m = measured["floor"]
        for mode in ("check", "--diff"):
            t, m = measured[mode]
            is_check_at_10 = mode == "check" and target == 10 * MB
            table.add(
                f"{fmt_size(target)} template: {mode}, time", fmt_time(t),
                f"floor {fmt_time(floor_t)}", f"{t / floor_t:.1f}× floor",
                "≤ 2.5× floor" if is_check_at_10 else "",
                (t / floor_t <= 2.5) if is_check_at_10 else None,
            )
        for mode in ("check", "--diff"):
            t, m = measured[mode]
            # The target is the 10 MB template's: at 1 MB the floor process alone, with
            # its code and the file, is about 3× the file.
            judged = target == 10 * MB
            table.add(
                f"{fmt_size(target)} template: {mode}, peak memory",
                f"{fmt_bytes(m)} ({m / size:.1f}× file)", f"floor {fmt_bytes(floor_m)}",
                f"{m / floor_m:.1f}× floor",
                f"< 4× file ({fmt_bytes(4 * size)})" if judged else "",
                (m < 4 * size) if judged else None,
            )
    return results


def scaling(table, results):
    sizes = sorted(results)
    for small, big in zip(sizes, sizes[1:]):
        judged = (small, big) == (MB, 10 * MB)
        for mode in ("check", "--diff"):
            t0, t1 = results[small][1][mode][0], results[big][1][mode][0]
            f0, f1 = results[small][1]["floor"][0], results[big][1]["floor"][0]
            table.add(
                f"scaling {fmt_size(small)} → {fmt_size(big)}: {mode}, time",
                f"{fmt_time(t0)} → {fmt_time(t1)}", f"floor ×{f1 / f0:.1f}",
                f"×{t1 / t0:.1f}", "≤ ×11" if judged else "",
                (t1 / t0 <= 11) if judged else None,
            )
        for mode in ("check", "--diff"):
            m0, m1 = results[small][1][mode][1], results[big][1][mode][1]
            f0, f1 = results[small][1]["floor"][1], results[big][1]["floor"][1]
            table.add(
                f"scaling {fmt_size(small)} → {fmt_size(big)}: {mode}, peak memory",
                f"{fmt_bytes(m0)} → {fmt_bytes(m1)}", f"floor ×{f1 / f0:.1f}", f"×{m1 / m0:.1f}",
            )


# Two layouts that once made a fix quadratic: booleans spelled yes/no (no true to copy the
# spelling from, so each insert searched the whole tree) and one-line JSON (each key looked
# back to the start of its line, which is the file's). PyYAML, in the oracle venv, turns
# the YAML into JSON with CloudFormation's long-form intrinsics.
TO_MINIFIED_JSON = """
import json, sys, yaml
class Loader(yaml.SafeLoader):
    pass
def intrinsic(loader, suffix, node):
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    return {suffix if suffix in ("Ref", "Condition") else "Fn::" + suffix: value}
Loader.add_multi_constructor("!", intrinsic)
with open(sys.argv[1]) as source, open(sys.argv[2], "w") as out:
    json.dump(yaml.load(source, Loader=Loader), out, separators=(",", ":"))
"""


def shapes(table, cfg, samfix, python, work):
    """Growth of a check over the layouts in TO_MINIFIED_JSON's comment, per size step."""
    sizes = cfg.sizes[-2:]
    files = {"booleans spelled yes": {}, "one-line JSON": {}}
    for target in sizes:
        source = os.path.join(work, f"generated-{target}.yaml")
        yes = os.path.join(work, f"yes-{target}.yaml")
        with open(source, encoding="utf-8") as fh, open(yes, "w", encoding="utf-8") as out:
            out.write(fh.read().replace(": true", ": yes"))
        minified = os.path.join(work, f"minified-{target}.json")
        run([python, "-c", TO_MINIFIED_JSON, source, minified])
        files["booleans spelled yes"][target] = yes
        files["one-line JSON"][target] = minified
    runs, warmup = cfg.large_runs(sizes[-1])
    times = {}
    for name, by_size in files.items():
        progress(f"shapes: {name}, " + " and ".join(fmt_size(size) for size in sizes))
        # The sizes alternate, so that drift falls on both ends of the ratio alike.
        commands = {size: [samfix, "--max-size", str(MAX_SIZE), path] for size, path in by_size.items()}
        times[name] = interleaved(commands, runs, warmup)
    for name, by_size in times.items():
        for small, big in zip(sizes, sizes[1:]):
            t0, t1 = by_size[small], by_size[big]
            judged = (small, big) == (MB, 10 * MB)
            table.add(
                f"scaling {fmt_size(small)} → {fmt_size(big)}, {name}: check, time",
                f"{fmt_time(t0)} → {fmt_time(t1)}", "", f"×{t1 / t0:.1f}",
                "≤ ×11" if judged else "", (t1 / t0 <= 11) if judged else None,
            )


# Two more shapes that once grew quadratically, each at two sizes a doubling apart: many APIs
# with a key and one event each (the settings of every API were read once per finding), and
# events whose RestApiId names a missing id of tens of kilobytes beside APIs with ids as long
# (a "did you mean" edit distance ran over the whole of both ids).
SAM_HEADER = "Transform: AWS::Serverless-2016-10-31\nResources:\n"
GROWTH_APIS = [1_000, 2_000]
GROWTH_ID_LENGTHS = [50_000, 100_000]


def many_apis(count):
    """`count` APIs with `Cors` and `ApiKeyRequired`, and one function event on each."""
    lines = [SAM_HEADER]
    for i in range(count):
        lines.append(
            f"  A{i}: {{Type: AWS::Serverless::Api, Properties: "
            f"{{Cors: x, Auth: {{ApiKeyRequired: true}}}}}}\n"
        )
    for i in range(count):
        lines.append(
            f"  F{i}: {{Type: AWS::Serverless::Function, Properties: {{Events: {{E: {{Type: Api, "
            f"Properties: {{RestApiId: !Ref A{i}, Path: /, Method: GET}}}}}}}}}}\n"
        )
    return "".join(lines)


def long_refs(length):
    """Five APIs with ids of `length` characters, and five events whose RestApiId names a
    missing id as long."""
    lines = [SAM_HEADER]
    for i in range(5):
        lines.append(
            f"  ? A{'x' * length}{i}\n"
            f"  : {{Type: AWS::Serverless::Api, Properties: {{StageName: p}}}}\n"
        )
    for i in range(5):
        lines.append(
            f"  F{i}: {{Type: AWS::Serverless::Function, Properties: {{Events: {{E: {{Type: Api, "
            f"Properties: {{RestApiId: !Ref B{'y' * length}{i}, Path: /, Method: GET}}}}}}}}}}\n"
        )
    return "".join(lines)


def growth(table, notes, cfg, samfix, work):
    """Growth of a check over each shape above, from one size to its double."""
    cases = [
        (
            "APIs with a key and one event each", "many-apis", many_apis, GROWTH_APIS,
            lambda n: f"{n:,}",
        ),
        (
            "ids, five APIs and five unresolved RestApiIds", "long-refs", long_refs,
            GROWTH_ID_LENGTHS, lambda n: f"{n // 1000} kB",
        ),
    ]
    for name, stem, make, sizes, label in cases:
        commands = {}
        for size in sizes:
            path = os.path.join(work, f"{stem}-{size}.yaml")
            with open(path, "w", encoding="utf-8") as fh:
                fh.write(make(size))
            commands[size] = [samfix, "--max-size", str(MAX_SIZE), path]
            # Once outside the timings, to say what work the check did.
            done = subprocess.run(commands[size], capture_output=True, text=True)
            summary = (done.stdout.strip().splitlines() or ["no output"])[-1]
            notes.append(
                f"{label(size)} {name}: {os.path.getsize(path)} bytes; samfix exits "
                f"{done.returncode} with `{summary}`"
            )
        progress(f"growth: {name}, " + " and ".join(label(size) for size in sizes))
        # The sizes alternate, so that drift falls on both ends of the ratio alike.
        times = interleaved(commands, cfg.growth_runs, cfg.growth_warmup)
        for small, big in zip(sizes, sizes[1:]):
            t0, t1 = times[small], times[big]
            # Doubling: linear work is ×2 (less, with the process's fixed cost), quadratic ×4.
            table.add(
                f"scaling {label(small)} → {label(big)} {name}: check, time",
                f"{fmt_time(t0)} → {fmt_time(t1)}", "", f"×{t1 / t0:.1f}",
                "≤ ×3", t1 / t0 <= 3,
            )


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="fewer runs, no 10 MB template")
    ap.add_argument("--samfix", metavar="PATH", help="measure this binary instead of a release build")
    ap.add_argument("--out", metavar="FILE", help="also write the table to FILE")
    ap.add_argument(
        "--shared", metavar="DIR", default=os.path.join(os.path.dirname(REPO), "shared"),
        help="the shared folder with corpus/, bench/ and oracle/ (default: ../shared)",
    )
    args = ap.parse_args()
    cfg = Settings(args.quick)
    started = datetime.datetime.now()

    ensure_tool("hyperfine", "hyperfine")
    ensure_tool("/usr/bin/time", "time")
    python = ensure_ruamel(args.shared)
    samfix, floor = build(args.samfix is not None)
    if args.samfix:
        samfix = os.path.abspath(args.samfix)

    header = machine_line(samfix, args.samfix is not None)
    table, notes = Table(), []
    files_dir = memory_dir()
    with tempfile.TemporaryDirectory(prefix="samfix-bench-", dir=files_dir) as work:
        batch(table, notes, cfg, samfix, python, args.shared, work)
        single(table, cfg, samfix, python, args.shared, work)
        results = large(table, notes, cfg, samfix, floor, work)
        scaling(table, results)
        shapes(table, cfg, samfix, python, work)
        growth(table, notes, cfg, samfix, work)

    elapsed = (datetime.datetime.now() - started).total_seconds()
    missed = table.missed()
    lines = [f"Machine: {header}", "", table.markdown(), ""]
    lines += [f"- {note}" for note in notes]
    lines.append(f"- files written in {files_dir}")
    if cfg.quick:
        lines.append("- --quick: fewer runs and no 10 MB template; its targets were not measured")
    lines.append(
        "- medians: for the corpus, rounds of one ruamel batch and a few hyperfine runs of each "
        "samfix mode; for the 0.1 MB template, hyperfine runs; for 1 MB and up and the growth "
        "rows, rounds that run each command once in turn; rounds let drift fall on both sides "
        "of a ratio alike; "
        f"peak memory is GNU time's maximum RSS; {elapsed:.0f} s in all"
    )
    lines.append("")
    if missed:
        lines.append(f"Missed {len(missed)} target(s): " + "; ".join(f"{r[0]} ({r[4]})" for r in missed))
    else:
        lines.append("Every target met.")
    text = "\n".join(lines) + "\n"
    sys.stdout.write(text)
    if args.out:
        with open(args.out, "w", encoding="utf-8") as fh:
            fh.write(text)


if __name__ == "__main__":
    main()
