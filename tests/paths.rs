//! A file reached more than once in a run is checked (and written) once.

use std::process::Command;

fn samfix(dir: &std::path::Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_samfix"))
        .current_dir(dir)
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

const TEMPLATE: &str = include_str!("../examples/template.yaml");

#[test]
fn a_file_named_twice_and_walked_is_written_once() {
    for _ in 0..5 {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("t.yaml"), TEMPLATE).unwrap();
        let (code, stdout, stderr) = samfix(
            dir.path(),
            &["--write", "t.yaml", "t.yaml", "./t.yaml", "."],
        );
        assert_eq!(code, 0, "{stdout}{stderr}");
        assert!(stdout.contains("1 file checked"), "{stdout}");
        let fixed = std::fs::read_to_string(dir.path().join("t.yaml")).unwrap();
        assert_ne!(fixed, TEMPLATE);
        let (again, _, _) = samfix(dir.path(), &["t.yaml"]);
        assert_eq!(again, 0, "the fix is complete");
    }
}

#[test]
fn a_file_named_and_found_in_its_directory_counts_once() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("a")).unwrap();
    std::fs::write(dir.path().join("a/template.yaml"), TEMPLATE).unwrap();
    let (code, stdout, _) = samfix(dir.path(), &["a/template.yaml", "."]);
    assert_eq!(code, 1);
    assert!(stdout.contains("1 file checked"), "{stdout}");
}
