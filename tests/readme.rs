//! The README shows real output: each `$ samfix ...` block is run and compared.

mod common;

use common::{repo_path, Samfix};

#[test]
fn readme_console_blocks_match_the_binary() {
    let readme = std::fs::read_to_string(repo_path("README.md")).unwrap();
    let mut checked = 0;
    for block in readme.split("```console\n").skip(1) {
        let block = block.split("```").next().unwrap();
        for session in block.split("$ ").filter(|s| !s.is_empty()) {
            let (command, expected) = session.split_once('\n').unwrap();
            let args: Vec<&str> = command.split_whitespace().skip(1).collect();
            let stdout = Samfix::new(&args).run().stdout;
            assert_eq!(
                stdout.trim_end(),
                expected.trim_end(),
                "README block for `{command}`"
            );
            checked += 1;
        }
    }
    assert!(checked >= 2, "the README has console examples");
}
