//! One behaviour of the command line per case file in `tests/cases/`: the arguments, the
//! files it runs among, what it must print on each stream and its exit status.
//!
//! A case file is a few header lines, then sections that each start with `=== `:
//!
//! ```text
//! # What the case shows (comment lines start with `#`).
//! args: --show-files .
//! status: 0
//! === file: app/template.yaml < examples/template.yaml
//! === file: notes/readme.md
//! text of the file
//! === stdin
//! what samfix reads on standard input
//! === stdout
//! what it must print on standard output
//! === stderr
//! what it must print on standard error
//! === after: app/template.yaml
//! the file as the run must leave it
//! ```
//!
//! `file: NAME < REPO-PATH` copies a file of the repository; otherwise the section's text is
//! the file. Arguments are split at spaces. `[DIR]` in the expected text stands for the
//! temporary directory the case runs in. A missing `stdout` or `stderr` section means the
//! stream must be empty. `SAMFIX_BLESS=1 cargo test --test cases` rewrites the expected
//! streams and statuses from what the binary does; review the diff before committing it.

mod common;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use common::{repo_path, Samfix};

struct Case {
    path: PathBuf,
    comments: Vec<String>,
    args: Vec<String>,
    status: i32,
    files: Vec<(String, Vec<u8>)>,
    /// Files copied from the repository, kept as the header says.
    copies: Vec<(String, String)>,
    /// Text files, kept as written.
    texts: Vec<(String, String)>,
    stdin: Option<String>,
    stdout: String,
    stderr: String,
    after: Vec<(String, String)>,
}

fn parse(path: &Path) -> Case {
    let text = std::fs::read_to_string(path).unwrap();
    let mut case = Case {
        path: path.to_path_buf(),
        comments: Vec::new(),
        args: Vec::new(),
        status: 0,
        files: Vec::new(),
        copies: Vec::new(),
        texts: Vec::new(),
        stdin: None,
        stdout: String::new(),
        stderr: String::new(),
        after: Vec::new(),
    };
    // Each section is its title and the lines up to the next title, each with its newline.
    let mut header = String::new();
    let mut sections: Vec<(String, String)> = Vec::new();
    for line in text.split_inclusive('\n') {
        if let Some(title) = line.strip_prefix("=== ") {
            sections.push((title.trim_end().to_string(), String::new()));
        } else if let Some((_, body)) = sections.last_mut() {
            body.push_str(line);
        } else {
            header.push_str(line);
        }
    }
    for line in header.lines() {
        if let Some(args) = line.strip_prefix("args:") {
            case.args = args.split_whitespace().map(String::from).collect();
        } else if let Some(status) = line.strip_prefix("status:") {
            case.status = status.trim().parse().unwrap();
        } else if line.starts_with('#') || line.trim().is_empty() {
            case.comments.push(line.to_string());
        } else {
            panic!("{}: unknown header line {line:?}", path.display());
        }
    }
    for (title, body) in &sections {
        let (title, body) = (title.as_str(), body.as_str());
        if let Some(file) = title.strip_prefix("file:") {
            match file.split_once(" < ") {
                Some((name, from)) => {
                    let (name, from) = (name.trim(), from.trim());
                    case.files
                        .push((name.into(), std::fs::read(repo_path(from)).unwrap()));
                    case.copies.push((name.into(), from.into()));
                }
                None => {
                    let name = file.trim();
                    case.files.push((name.into(), body.as_bytes().to_vec()));
                    case.texts.push((name.into(), body.into()));
                }
            }
        } else if let Some(name) = title.strip_prefix("after:") {
            case.after.push((name.trim().into(), body.into()));
        } else {
            match title {
                "stdin" => case.stdin = Some(body.into()),
                "stdout" => case.stdout = body.into(),
                "stderr" => case.stderr = body.into(),
                _ => panic!("{}: unknown section {title:?}", path.display()),
            }
        }
    }
    case
}

/// The case as a file, with `status`, `stdout` and `stderr` as given.
fn render(case: &Case, status: i32, stdout: &str, stderr: &str) -> String {
    let mut out = String::new();
    for comment in &case.comments {
        let _ = writeln!(out, "{comment}");
    }
    let _ = writeln!(out, "args: {}", case.args.join(" "));
    let _ = writeln!(out, "status: {status}");
    for (name, from) in &case.copies {
        let _ = writeln!(out, "=== file: {name} < {from}");
    }
    for (name, body) in &case.texts {
        let _ = write!(out, "=== file: {name}\n{body}");
    }
    if let Some(stdin) = &case.stdin {
        let _ = write!(out, "=== stdin\n{stdin}");
    }
    if !stdout.is_empty() {
        let _ = write!(out, "=== stdout\n{stdout}");
    }
    if !stderr.is_empty() {
        let _ = write!(out, "=== stderr\n{stderr}");
    }
    for (name, body) in &case.after {
        let _ = write!(out, "=== after: {name}\n{body}");
    }
    out
}

/// Runs one case; returns what differs, if anything.
fn run(case: &Case, bless: bool) -> Option<String> {
    let dir = tempfile::tempdir().unwrap();
    for (name, contents) in &case.files {
        let path = dir.path().join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, contents).unwrap();
    }
    let args: Vec<&str> = case.args.iter().map(String::as_str).collect();
    let mut samfix = Samfix::new(&args).dir(dir.path());
    if let Some(stdin) = &case.stdin {
        samfix = samfix.input(stdin.as_bytes());
    }
    let result = samfix.run();
    let root = dir.path().to_string_lossy().into_owned();
    let mask = |text: &str| text.replace(&root, "[DIR]");
    let (stdout, stderr) = (mask(&result.stdout), mask(&result.stderr));
    let status = result.code.expect("samfix exits");
    let mut problems = String::new();
    if status != case.status {
        let _ = writeln!(problems, "status: expected {}, got {status}", case.status);
    }
    for (stream, expected, actual) in [
        ("stdout", &case.stdout, &stdout),
        ("stderr", &case.stderr, &stderr),
    ] {
        if expected != actual {
            let _ = writeln!(
                problems,
                "{stream}: expected\n{expected}\n--- got\n{actual}\n---"
            );
        }
    }
    for (name, expected) in &case.after {
        let actual = std::fs::read_to_string(dir.path().join(name)).unwrap_or_default();
        if &actual != expected {
            let _ = writeln!(
                problems,
                "{name} after the run: expected\n{expected}\n--- got\n{actual}\n---"
            );
        }
    }
    if problems.is_empty() {
        return None;
    }
    if bless {
        std::fs::write(&case.path, render(case, status, &stdout, &stderr)).unwrap();
    }
    Some(problems)
}

#[test]
fn every_case_behaves_as_its_file_says() {
    let bless = std::env::var_os("SAMFIX_BLESS").is_some();
    let mut cases: Vec<PathBuf> = std::fs::read_dir(repo_path("tests/cases"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "case"))
        .collect();
    cases.sort();
    assert!(!cases.is_empty(), "tests/cases holds the cases");
    let mut failed = String::new();
    for path in &cases {
        let case = parse(path);
        if let Some(problems) = run(&case, bless) {
            let _ = writeln!(failed, "## {}\n{problems}", path.display());
        }
    }
    assert!(failed.is_empty(), "{failed}");
}
