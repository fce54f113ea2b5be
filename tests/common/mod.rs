//! What the integration tests share: running the binary, pinning snapshots, temporary
//! directories, and the files under `tests/` (and the shared corpus, for the tests that
//! read it).
//!
//! Every test crate includes this module (`mod common;`) and uses only part of it.
#![allow(dead_code)]

use std::fmt::Write as _;
use std::io::{Read, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use samfix::report;
use samfix::Strategy;

/// The repository's root; `cargo test` runs the tests from here.
pub const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// A path under the repository's root.
pub fn repo_path(relative: &str) -> PathBuf {
    Path::new(ROOT).join(relative)
}

/// `tests/fixtures/NAME`.
pub fn fixture(name: &str) -> PathBuf {
    repo_path("tests/fixtures").join(name)
}

/// The files directly in `dir`, a folder under the root, sorted.
pub fn files_in(dir: &str) -> Vec<PathBuf> {
    let dir = repo_path(dir);
    let entries = std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    let mut files: Vec<PathBuf> = entries
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.is_file())
        .collect();
    files.sort();
    files
}

/// The templates (`.yaml`, `.yml`, `.json`) in `dir` and its folders, sorted.
pub fn templates_under(dir: &Path) -> Vec<PathBuf> {
    fn collect(dir: &Path, found: &mut Vec<PathBuf>) {
        let entries = std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        for entry in entries {
            let path = entry.unwrap().path();
            if path.is_dir() {
                collect(&path, found);
            } else if path
                .extension()
                .is_some_and(|ext| ext == "yaml" || ext == "yml" || ext == "json")
            {
                found.push(path);
            }
        }
    }
    let mut found = Vec::new();
    collect(dir, &mut found);
    found.sort();
    found
}

/// The shared corpus (`SAMFIX_CORPUS`, relative to the repository's root or absolute),
/// which is not part of the repository: the tests that read it are `#[ignore]`d, and
/// run with it set and `--include-ignored`. Asked for without it, they fail, so a run
/// that means to check the corpus cannot pass without having read it.
pub fn corpus() -> PathBuf {
    let Some(dir) = std::env::var_os("SAMFIX_CORPUS") else {
        panic!(
            "this test reads the shared corpus: set SAMFIX_CORPUS to its folder \
             (e.g. SAMFIX_CORPUS=../shared/corpus)"
        );
    };
    let dir = Path::new(ROOT).join(dir);
    assert!(
        dir.is_dir(),
        "SAMFIX_CORPUS names {}, which is not a folder",
        dir.display()
    );
    dir
}

// Running the binary.

/// How a run of samfix ended: its exit status (`None` when a signal ended it) and what it
/// wrote to each stream.
#[derive(Debug)]
pub struct Run {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

/// A run of the samfix binary to make: from the repository's root unless told otherwise,
/// with an empty standard input, and without the caller's `NO_COLOR`.
pub struct Samfix {
    args: Vec<String>,
    command: Command,
    input: Option<Vec<u8>>,
    time_limit: Option<Duration>,
}

impl Samfix {
    pub fn new(args: &[&str]) -> Self {
        let mut command = Command::new(env!("CARGO_BIN_EXE_samfix"));
        command
            .args(args)
            .current_dir(ROOT)
            .env_remove("NO_COLOR")
            .stdin(Stdio::null());
        Samfix {
            args: args.iter().map(|arg| arg.to_string()).collect(),
            command,
            input: None,
            time_limit: None,
        }
    }

    /// Runs in `dir`.
    pub fn dir(mut self, dir: &Path) -> Self {
        self.command.current_dir(dir);
        self
    }

    /// Reads `input` on its standard input.
    pub fn input(mut self, input: &[u8]) -> Self {
        self.input = Some(input.to_vec());
        self
    }

    /// Reads its standard input from `stdin` (a file, a device).
    pub fn stdin(mut self, stdin: impl Into<Stdio>) -> Self {
        self.command.stdin(stdin);
        self
    }

    pub fn env(mut self, key: &str, value: &str) -> Self {
        self.command.env(key, value);
        self
    }

    /// Fails the test if samfix runs longer than `limit` (and kills it).
    pub fn time_limit(mut self, limit: Duration) -> Self {
        self.time_limit = Some(limit);
        self
    }

    /// Runs samfix to its end. Both streams are read while it runs, so a large report
    /// can't stall it on a full pipe.
    pub fn run(mut self) -> Run {
        self.command.stdout(Stdio::piped()).stderr(Stdio::piped());
        if self.input.is_some() {
            self.command.stdin(Stdio::piped());
        }
        let mut child = self.command.spawn().expect("samfix starts");
        let writer = self.input.map(|input| {
            let mut stdin = child.stdin.take().unwrap();
            // samfix may stop reading early (at --max-size): a broken pipe is its answer.
            std::thread::spawn(move || {
                let _ = stdin.write_all(&input);
            })
        });
        let stdout = drain(child.stdout.take().unwrap());
        let stderr = drain(child.stderr.take().unwrap());
        let status = match self.time_limit {
            None => child.wait().unwrap(),
            Some(limit) => {
                let started = Instant::now();
                loop {
                    if let Some(status) = child.try_wait().unwrap() {
                        break status;
                    }
                    if started.elapsed() > limit {
                        let _ = child.kill();
                        let _ = child.wait();
                        panic!("samfix {:?} ran longer than {limit:?}", self.args);
                    }
                    std::thread::sleep(Duration::from_millis(5));
                }
            }
        };
        if let Some(writer) = writer {
            writer.join().unwrap();
        }
        let text = |stream: &str, bytes: Vec<u8>| {
            String::from_utf8(bytes).unwrap_or_else(|e| {
                panic!("samfix {:?} wrote non-UTF-8 to {stream}: {e}", self.args)
            })
        };
        Run {
            code: status.code(),
            stdout: text("stdout", stdout.join().unwrap()),
            stderr: text("stderr", stderr.join().unwrap()),
        }
    }
}

fn drain(mut pipe: impl Read + Send + 'static) -> std::thread::JoinHandle<Vec<u8>> {
    std::thread::spawn(move || {
        let mut bytes = Vec::new();
        pipe.read_to_end(&mut bytes).unwrap();
        bytes
    })
}

/// Runs samfix with `args` in `dir`.
pub fn samfix(args: &[&str], dir: &Path) -> Run {
    Samfix::new(args).dir(dir).run()
}

/// Each `error: MESSAGE` diagnostic whose second line is `--> PLACE` becomes
/// `PLACE: error: MESSAGE`; anything else is kept as it is. Assertions about a file's error
/// compare this one-line form; the snippets themselves are pinned by the snapshots of
/// `tests/formats.rs`.
pub fn compact(stderr: &str) -> String {
    let mut out = String::new();
    for block in stderr
        .split("\n\n")
        .filter(|block| !block.trim().is_empty())
    {
        let mut lines = block.lines();
        let message = lines.next().and_then(|title| title.strip_prefix("error: "));
        let place = lines
            .next()
            .and_then(|line| line.trim_start().strip_prefix("--> "));
        match message.zip(place) {
            Some((message, place)) => out.push_str(&format!("{place}: error: {message}\n")),
            None => {
                out.push_str(block.trim_end_matches('\n'));
                out.push('\n');
            }
        }
    }
    out
}

// Temporary directories.

/// A new temporary directory holding `files`: each a name (which may go through folders)
/// and its contents.
pub fn temp_dir_with<C: AsRef<[u8]>>(files: &[(&str, C)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (name, contents) in files {
        let path = dir.path().join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, contents).unwrap();
    }
    dir
}

/// A new temporary directory holding copies of the named fixtures.
pub fn temp_dir_with_fixtures(names: &[&str]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for name in names {
        std::fs::copy(fixture(name), dir.path().join(name)).unwrap();
    }
    dir
}

/// A copy of `from`, a folder under the root, and all it holds, in a new temporary
/// directory.
pub fn temp_copy_of(from: &str) -> tempfile::TempDir {
    fn copy(from: &Path, to: &Path) {
        std::fs::create_dir_all(to).unwrap();
        for entry in std::fs::read_dir(from).unwrap() {
            let entry = entry.unwrap();
            let target = to.join(entry.file_name());
            if entry.file_type().unwrap().is_dir() {
                copy(&entry.path(), &target);
            } else {
                std::fs::copy(entry.path(), target).unwrap();
            }
        }
    }
    let dir = tempfile::tempdir().unwrap();
    copy(&repo_path(from), dir.path());
    dir
}

/// The names in `dir`, sorted: a leftover temporary file shows up here.
pub fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

// Snapshots.

/// Insta's settings for every snapshot: kept in `snapshots/` at the root, and named
/// without the test crate's name.
pub fn snapshot_settings() -> insta::Settings {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(repo_path("snapshots"));
    settings.set_prepend_module_to_snapshot(false);
    settings
}

/// A template's report and the diff (or refusal) of every strategy, line endings shown.
pub fn snapshot_of(path: &Path) -> String {
    let source = std::fs::read_to_string(path).unwrap();
    let name = path.file_name().unwrap().to_string_lossy().to_string();
    let mut out = String::new();
    for strategy in [Strategy::Auto, Strategy::Events, Strategy::Flag] {
        let label = strategy.name();
        match samfix::check(&source, strategy) {
            Err(error) => {
                let _ = writeln!(
                    out,
                    "--- error ({label})\n{}",
                    report::error(&name, Some(&source), &error)
                );
            }
            Ok(checked) => {
                if strategy == Strategy::Auto {
                    let _ = write!(
                        out,
                        "--- report ({label})\n{}",
                        report::human(&name, &source, &checked)
                    );
                }
                let diff = match &checked.fixed {
                    Some(_) => report::diff(&name, &source, &checked.edits),
                    None => "(no change)\n".to_string(),
                };
                let refused: String = checked
                    .refusals
                    .iter()
                    .map(|r| format!("refused {}: {}\n", r.apis.join(", "), r.reason))
                    .collect();
                let _ = write!(out, "--- diff ({label})\n{refused}{diff}");
            }
        }
    }
    // Line endings are part of what is pinned: show them.
    out.replace('\r', "␍")
}
