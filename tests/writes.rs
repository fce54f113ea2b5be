//! `--write` replaces a template whole or not at all: a temporary file beside it, synced,
//! renamed over it; the mode kept; symlinks followed; and on any failure the original as it
//! was, with exit status 2 and one diagnostic naming the file. CI runs these as root, which ignores
//! permission bits, so read-only cases use the immutable attribute (`chattr +i`), which binds
//! root too, and samfix's own refusal of files no one may write. Without root, `chattr +i` is
//! not allowed: the directory case falls back to mode 0555, and the immutable-file case says
//! it is skipped (the read-only refusal still runs).

mod common;

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Command;

use common::{compact, names, samfix, temp_dir_with};

use samfix::cli::{run_with, Args};
use samfix::edits::Edit;
use samfix::Strategy;
use samfix::{CheckError, Checked, Rule};

const TEMPLATE: &str = "Transform: AWS::Serverless-2016-10-31
Resources:
  Api:
    Type: AWS::Serverless::Api
    Properties:
      StageName: Prod
      Cors: \"'*'\"
      Auth:
        ApiKeyRequired: true
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Handler: index.handler
      Runtime: python3.12
      Events:
        Get:
          Type: Api
          Properties:
            RestApiId: !Ref Api
            Path: /x
            Method: GET
";

fn fixed() -> String {
    samfix::check(TEMPLATE, Strategy::Auto)
        .unwrap()
        .fixed
        .expect("the template has a fix")
}

/// A temporary directory holding `template.yaml`, and that file's path.
fn workspace() -> (tempfile::TempDir, PathBuf) {
    let dir = temp_dir_with(&[("template.yaml", TEMPLATE)]);
    let path = dir.path().join("template.yaml");
    (dir, path)
}

/// Sets or clears the immutable attribute, which even root can't write through.
fn chattr(flag: &str, path: &Path) {
    let status = Command::new("chattr").arg(flag).arg(path).status();
    assert!(
        status.as_ref().is_ok_and(|s| s.success()),
        "chattr {flag} {} failed ({status:?}): these tests need chattr and a file system \
         with the immutable attribute",
        path.display()
    );
}

fn is_root() -> bool {
    std::fs::metadata("/proc/self")
        .map(|meta| meta.uid() == 0)
        .unwrap_or(false)
}

/// Clears the attribute even when the test fails, so the temporary directory can go.
struct Immutable(PathBuf);

impl Immutable {
    fn set(path: &Path) -> Self {
        chattr("+i", path);
        Immutable(path.to_path_buf())
    }
}

impl Drop for Immutable {
    fn drop(&mut self) {
        let _ = Command::new("chattr").arg("-i").arg(&self.0).status();
    }
}

/// A directory no new file can be made in: immutable as root, mode 0555 otherwise.
struct Unwritable(PathBuf, Option<Immutable>);

impl Unwritable {
    fn set(dir: &Path) -> Self {
        if is_root() {
            return Unwritable(dir.to_path_buf(), Some(Immutable::set(dir)));
        }
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o555)).unwrap();
        Unwritable(dir.to_path_buf(), None)
    }
}

impl Drop for Unwritable {
    fn drop(&mut self) {
        if self.1.is_none() {
            let _ = std::fs::set_permissions(&self.0, std::fs::Permissions::from_mode(0o755));
        }
    }
}

#[test]
fn the_file_is_replaced_by_a_rename_not_rewritten() {
    let (dir, path) = workspace();
    // A second name for the same inode keeps the old bytes only if samfix renamed a new
    // file over the path instead of writing into the old one.
    let other_name = dir.path().join("hard-link.yaml.bak");
    std::fs::hard_link(&path, &other_name).unwrap();
    let inode = std::fs::metadata(&path).unwrap().ino();
    let out = samfix(&["--write", "template.yaml"], dir.path());
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert_eq!(std::fs::read_to_string(&path).unwrap(), fixed());
    assert_eq!(std::fs::read_to_string(&other_name).unwrap(), TEMPLATE);
    assert_ne!(std::fs::metadata(&path).unwrap().ino(), inode);
    assert_eq!(names(dir.path()), ["hard-link.yaml.bak", "template.yaml"]);
}

#[test]
fn the_mode_is_kept() {
    for mode in [0o600, 0o640, 0o755, 0o664] {
        let (dir, path) = workspace();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
        let out = samfix(&["--write", "template.yaml"], dir.path());
        assert_eq!(out.code, Some(0), "{}", out.stderr);
        assert_eq!(std::fs::read_to_string(&path).unwrap(), fixed());
        let kept = std::fs::metadata(&path).unwrap().permissions().mode() & 0o7777;
        assert_eq!(kept, mode, "mode {mode:o} became {kept:o}");
    }
}

/// A file nobody may write is refused by samfix itself, also for root.
#[test]
fn a_read_only_file_is_refused_even_for_root() {
    let (dir, path) = workspace();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o444)).unwrap();
    let out = samfix(&["--write", "template.yaml"], dir.path());
    assert_eq!(out.code, Some(2));
    assert_eq!(
        compact(&out.stderr),
        "template.yaml: error: it is read-only; the file is unchanged\n"
    );
    assert!(
        out.stdout
            .contains("= help: the fix was not written: see the error"),
        "{}",
        out.stdout
    );
    assert_eq!(std::fs::read_to_string(&path).unwrap(), TEMPLATE);
    assert_eq!(names(dir.path()), ["template.yaml"]);
}

/// An immutable file can't be renamed over, by root either: the temporary file is made,
/// the rename fails, the temporary file is removed and the original stays.
#[test]
fn an_immutable_file_is_left_intact() {
    if !is_root() {
        eprintln!(
            "SKIPPED an_immutable_file_is_left_intact: chattr +i needs root; \
             a_read_only_file_is_refused_even_for_root covers read-only files"
        );
        return;
    }
    let (dir, path) = workspace();
    let _guard = Immutable::set(&path);
    let out = samfix(&["--write", "template.yaml"], dir.path());
    assert_eq!(out.code, Some(2));
    let stderr = compact(&out.stderr);
    assert!(
        stderr.starts_with("template.yaml: error: cannot replace the file: ")
            && stderr.ends_with("; the file is unchanged\n")
            && stderr.lines().count() == 1,
        "{stderr}"
    );
    assert_eq!(std::fs::read_to_string(&path).unwrap(), TEMPLATE);
    assert_eq!(names(dir.path()), ["template.yaml"]);
}

/// No temporary file can be made in an immutable directory: samfix says so and writes
/// nothing anywhere else (the temporary file goes beside the original, nowhere else).
#[test]
fn a_directory_that_takes_no_new_file_leaves_the_original_intact() {
    let (dir, path) = workspace();
    let other = tempfile::tempdir().unwrap();
    let _guard = Unwritable::set(dir.path());
    let out = samfix(
        &["--write", path.to_str().unwrap(), "--max-size", "100000"],
        other.path(),
    );
    assert_eq!(out.code, Some(2));
    let stderr = compact(&out.stderr);
    let expected = format!(
        "{}: error: cannot create a temporary file beside it: ",
        path.display()
    );
    assert!(
        stderr.starts_with(&expected) && stderr.ends_with("; the file is unchanged\n"),
        "{stderr}"
    );
    assert_eq!(std::fs::read_to_string(&path).unwrap(), TEMPLATE);
    assert!(names(other.path()).is_empty());
}

/// An I/O error half way through writing the temporary file (here: the file size limit,
/// with SIGXFSZ ignored so the write fails with EFBIG) leaves the original, and no
/// temporary file.
#[test]
fn an_error_while_writing_leaves_the_original_intact() {
    // Pad the template past the 1 KiB limit so the write of the fix fails half way.
    let padded = format!("{TEMPLATE}# {}\n", "x".repeat(4000));
    let dir = temp_dir_with(&[("template.yaml", &padded)]);
    let path = dir.path().join("template.yaml");
    let script = format!(
        "trap '' XFSZ; ulimit -f 1; exec {} --write template.yaml",
        env!("CARGO_BIN_EXE_samfix")
    );
    let out = Command::new("bash")
        .args(["-c", &script])
        .current_dir(dir.path())
        .output()
        .unwrap();
    let stderr = compact(&String::from_utf8_lossy(&out.stderr));
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.starts_with("template.yaml: error: cannot write the temporary file: ")
            && stderr.ends_with("; the file is unchanged\n"),
        "{stderr}"
    );
    assert_eq!(std::fs::read_to_string(&path).unwrap(), padded);
    assert_eq!(names(dir.path()), ["template.yaml"]);
}

/// Killed while writing (SIGXFSZ's default action): the original is still whole. Only the
/// temporary file, which no one cleaned up, may be left beside it.
#[test]
fn killed_while_writing_leaves_the_original_intact() {
    let padded = format!("{TEMPLATE}# {}\n", "x".repeat(4000));
    let dir = temp_dir_with(&[("template.yaml", &padded)]);
    let path = dir.path().join("template.yaml");
    let script = format!(
        "ulimit -f 1; exec {} --write template.yaml",
        env!("CARGO_BIN_EXE_samfix")
    );
    let out = Command::new("bash")
        .args(["-c", &script])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), None, "killed by a signal");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), padded);
    for name in names(dir.path()) {
        assert!(
            name == "template.yaml" || name.starts_with(".tmp"),
            "{name}"
        );
    }
}

#[test]
fn a_symlink_is_followed_and_its_target_replaced() {
    let root = tempfile::tempdir().unwrap();
    let real_dir = root.path().join("real");
    let link_dir = root.path().join("links");
    std::fs::create_dir(&real_dir).unwrap();
    std::fs::create_dir(&link_dir).unwrap();
    let real = real_dir.join("template.yaml");
    std::fs::write(&real, TEMPLATE).unwrap();
    std::os::unix::fs::symlink("../real/template.yaml", link_dir.join("link.yaml")).unwrap();
    // A chain of two links.
    std::os::unix::fs::symlink("link.yaml", link_dir.join("link2.yaml")).unwrap();
    let out = samfix(&["--write", "link2.yaml"], &link_dir);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert_eq!(std::fs::read_to_string(&real).unwrap(), fixed());
    for link in ["link.yaml", "link2.yaml"] {
        let meta = std::fs::symlink_metadata(link_dir.join(link)).unwrap();
        assert!(meta.file_type().is_symlink(), "{link} is no longer a link");
    }
    assert_eq!(
        std::fs::read_link(link_dir.join("link.yaml")).unwrap(),
        Path::new("../real/template.yaml")
    );
    assert_eq!(names(&real_dir), ["template.yaml"]);
    assert_eq!(names(&link_dir), ["link.yaml", "link2.yaml"]);
}

/// Two samfix processes fix the same file at once, twenty times over, while a reader
/// watches: every read, and the end result, is the original or the whole fix. The second
/// writer either writes the same fix or sees the file changed under it and leaves it.
#[test]
fn concurrent_writers_leave_the_original_or_the_fix() {
    let (dir, path) = workspace();
    let fixed = fixed();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let reader = {
        let (path, stop, fixed) = (path.clone(), stop.clone(), fixed.clone());
        std::thread::spawn(move || {
            let mut reads = 0;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                if let Ok(seen) = std::fs::read_to_string(&path) {
                    assert!(seen == TEMPLATE || seen == fixed, "a reader saw:\n{seen}");
                    reads += 1;
                }
            }
            reads
        })
    };
    for round in 0..20 {
        // Put the original back atomically too, so the reader never sees a partial file.
        let temp = dir.path().join(".restore");
        std::fs::write(&temp, TEMPLATE).unwrap();
        std::fs::rename(&temp, &path).unwrap();
        let runs = std::thread::scope(|scope| {
            let write = || samfix(&["--write", "template.yaml"], dir.path());
            let (a, b) = (scope.spawn(write), scope.spawn(write));
            [a.join().unwrap(), b.join().unwrap()]
        });
        for out in runs {
            let stderr = compact(&out.stderr);
            match out.code {
                Some(0) => assert!(stderr.is_empty(), "{stderr}"),
                Some(2) => assert_eq!(
                    stderr,
                    "template.yaml: error: it changed while samfix was fixing it; the file \
                     is unchanged\n",
                    "round {round}"
                ),
                other => panic!("round {round}: exit {other:?}: {stderr}"),
            }
        }
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            fixed,
            "round {round}"
        );
        assert_eq!(names(dir.path()), ["template.yaml"], "round {round}");
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    assert!(reader.join().unwrap() > 0);
}

// A faulty edit plan, injected between rendering and verification through the test seam
// (`check_with_tampered_edits` and `run_with`; the binary has no such hook).

fn tampered(source: &str, tamper: impl FnOnce(&mut Vec<Edit>)) -> Result<Checked, CheckError> {
    samfix::check_with_tampered_edits(source, Strategy::Auto, Rule::ALL, tamper)
}

/// Drops the last edit: half a fix.
fn half_a_fix(source: &str, _: Strategy, _: &[Rule]) -> Result<Checked, CheckError> {
    tampered(source, |edits| {
        edits.pop();
    })
}

/// Writes a different value than planned.
fn wrong_value(source: &str, _: Strategy, _: &[Rule]) -> Result<Checked, CheckError> {
    tampered(source, |edits| {
        for edit in edits {
            edit.content = edit.content.replace("true", "false");
        }
    })
}

/// Breaks the syntax.
fn broken_syntax(source: &str, _: Strategy, _: &[Rule]) -> Result<Checked, CheckError> {
    tampered(source, |edits| edits[0].content.push_str("\n  - ]: {\n"))
}

/// Edits something the plan never mentioned.
fn stray_edit(source: &str, _: Strategy, _: &[Rule]) -> Result<Checked, CheckError> {
    tampered(source, |edits| {
        let at = source.find("index.handler").unwrap();
        edits.push(Edit {
            range: at..at + "index".len(),
            content: "other".into(),
        });
        edits.sort_by_key(|edit| edit.range.start);
    })
}

#[test]
fn a_faulty_edit_plan_is_never_written() {
    type Checker = fn(&str, Strategy, &[Rule]) -> Result<Checked, CheckError>;
    let cases: [(&str, Checker, &str); 4] = [
        (
            "half a fix",
            half_a_fix,
            "the fixed template's values differ from the planned change",
        ),
        (
            "wrong value",
            wrong_value,
            "the fixed template's values differ from the planned change",
        ),
        (
            "broken syntax",
            broken_syntax,
            "the fixed text does not parse",
        ),
        (
            "stray edit",
            stray_edit,
            "the fixed template's values differ from the planned change",
        ),
    ];
    for (what, checker, message) in cases {
        let (dir, path) = workspace();
        let args: Args = clap::Parser::parse_from(["samfix", "--write", path.to_str().unwrap()]);
        let (mut stdout, mut stderr) = (Vec::new(), Vec::new());
        let code = run_with(args, checker, &mut stdout, &mut stderr);
        let stderr = compact(&String::from_utf8_lossy(&stderr));
        assert_eq!(code, 2, "{what}: {stderr}");
        assert!(
            stderr.starts_with(&format!(
                "{}: error: no fix written: {message}",
                path.display()
            )) && stderr.lines().count() == 1,
            "{what}: {stderr}"
        );
        assert_eq!(std::fs::read_to_string(&path).unwrap(), TEMPLATE, "{what}");
        assert_eq!(names(dir.path()), ["template.yaml"], "{what}");
    }
    // The same seam untampered writes the fix, so the cases above fail for their faults.
    let (_dir, path) = workspace();
    let args: Args = clap::Parser::parse_from(["samfix", "--write", path.to_str().unwrap()]);
    let code = run_with(args, samfix::check_rules, &mut Vec::new(), &mut Vec::new());
    assert_eq!(code, 0);
    assert_eq!(std::fs::read_to_string(&path).unwrap(), fixed());
}
