//! A file reached more than once in a run is checked (and written) once.

mod common;

use common::{samfix, temp_dir_with, Run};

const TEMPLATE: &str = include_str!("../examples/template.yaml");

/// The rule whose fix of `TEMPLATE` these tests write; another rule leaves it a finding a
/// person must settle (its `AllowOrigin` is an intrinsic).
const KEY_RULE: &str = "api-key-on-preflight";

#[test]
fn a_file_named_twice_and_walked_is_written_once() {
    for _ in 0..5 {
        let dir = temp_dir_with(&[("t.yaml", TEMPLATE)]);
        let Run {
            code,
            stdout,
            stderr,
        } = samfix(
            &[
                "--select", KEY_RULE, "--write", "t.yaml", "t.yaml", "./t.yaml", ".",
            ],
            dir.path(),
        );
        assert_eq!(code, Some(0), "{stdout}{stderr}");
        assert!(stdout.contains("1 file checked"), "{stdout}");
        let fixed = std::fs::read_to_string(dir.path().join("t.yaml")).unwrap();
        assert_ne!(fixed, TEMPLATE);
        let again = samfix(&["--select", KEY_RULE, "t.yaml"], dir.path());
        assert_eq!(again.code, Some(0), "the fix is complete");
    }
}

#[test]
fn a_file_named_and_found_in_its_directory_counts_once() {
    let dir = temp_dir_with(&[("a/template.yaml", TEMPLATE)]);
    let Run { code, stdout, .. } = samfix(&["a/template.yaml", "."], dir.path());
    assert_eq!(code, Some(1));
    assert!(stdout.contains("1 file checked"), "{stdout}");
}
