//! ruff's spellings mean the same in samfix: `check` as a first word, `--fix`,
//! `--output-format`, and `--exit-zero`.

mod common;

use std::path::Path;

use common::temp_dir_with;

/// Exit status and everything samfix wrote, stdout then stderr.
fn samfix(dir: &Path, args: &[&str]) -> (i32, String) {
    let run = common::samfix(args, dir);
    (run.code.unwrap(), run.stdout + &run.stderr)
}

fn with_template() -> tempfile::TempDir {
    temp_dir_with(&[("t.yaml", include_str!("../examples/template.yaml"))])
}

#[test]
fn check_as_a_first_word_is_the_default_mode() {
    let dir = with_template();
    assert_eq!(
        samfix(dir.path(), &["check", "t.yaml"]),
        samfix(dir.path(), &["t.yaml"])
    );
    let (code, text) = samfix(dir.path(), &["check", "."]);
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("1 file checked"), "{text}");
}

#[test]
fn a_file_named_check_is_still_a_path() {
    let dir = with_template();
    std::fs::rename(dir.path().join("t.yaml"), dir.path().join("check")).unwrap();
    let (code, text) = samfix(dir.path(), &["check"]);
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("--> check:"), "{text}");
}

#[test]
fn fix_writes_and_output_format_chooses_the_format() {
    let dir = with_template();
    let (code, json) = samfix(dir.path(), &["--output-format", "json", "t.yaml"]);
    assert_eq!(code, 1);
    assert!(json.starts_with("{\n  \"schema_version\""), "{json}");
    // The key's fix is written; the template's intrinsic `AllowOrigin` leaves another
    // rule's finding to a person.
    let key = "api-key-on-preflight";
    let (code, text) = samfix(dir.path(), &["check", "--select", key, "--fix", "t.yaml"]);
    assert_eq!(code, 0, "{text}");
    assert_eq!(
        samfix(dir.path(), &["--select", key, "t.yaml"]).0,
        0,
        "the file was fixed"
    );
}

#[test]
fn exit_zero_leaves_errors_failing() {
    let dir = with_template();
    assert_eq!(samfix(dir.path(), &["--exit-zero", "t.yaml"]).0, 0);
    std::fs::write(dir.path().join("bad.yaml"), "a: [").unwrap();
    assert_eq!(samfix(dir.path(), &["--exit-zero", "bad.yaml"]).0, 2);
}
