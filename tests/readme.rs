//! The README shows real output: each `$ samfix ...` block is run and compared.

use std::process::Command;

#[test]
fn readme_console_blocks_match_the_binary() {
    let root = env!("CARGO_MANIFEST_DIR");
    let readme = std::fs::read_to_string(format!("{root}/README.md")).unwrap();
    let mut checked = 0;
    for block in readme.split("```console\n").skip(1) {
        let block = block.split("```").next().unwrap();
        for session in block.split("$ ").filter(|s| !s.is_empty()) {
            let (command, expected) = session.split_once('\n').unwrap();
            let args: Vec<&str> = command.split_whitespace().skip(1).collect();
            let out = Command::new(env!("CARGO_BIN_EXE_samfix"))
                .args(&args)
                .current_dir(root)
                .output()
                .unwrap();
            let stdout = String::from_utf8(out.stdout).unwrap();
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
