//! Every output format on the same directory of templates (`tests/mixed/`: affected,
//! unaffected, refused, invalid, not SAM, ignored), pinned byte for byte with exit status and
//! both streams; the SARIF checked against the SARIF 2.1.0 schema; the JSON's documentation
//! checked against its fields; and the subcommands beside the paths.

use std::path::Path;
use std::process::Command;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// Exit status, stdout and stderr of samfix run from the repository's root.
fn samfix(args: &[&str], dir: &Path) -> (Option<i32>, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_samfix"))
        .args(args)
        .current_dir(dir)
        .env_remove("NO_COLOR")
        .output()
        .unwrap();
    let text = |bytes: Vec<u8>| String::from_utf8(bytes).unwrap();
    (out.status.code(), text(out.stdout), text(out.stderr))
}

fn snapshot(name: &str, args: &[&str]) {
    let (code, stdout, stderr) = samfix(args, Path::new(ROOT));
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path("../snapshots");
    settings.set_prepend_module_to_snapshot(false);
    settings.set_description(format!("samfix {}", args.join(" ")));
    settings.set_omit_expression(true);
    settings.bind(|| {
        insta::assert_snapshot!(
            name,
            format!("exit status: {code:?}\n--- stdout\n{stdout}--- stderr\n{stderr}")
        );
    });
}

#[test]
fn human() {
    snapshot("formats-human", &["--color", "never", "tests/mixed"]);
}

#[test]
fn human_in_colour() {
    snapshot("formats-human-color", &["--color", "always", "tests/mixed"]);
}

#[test]
fn quiet_leaves_out_the_summary() {
    snapshot(
        "formats-quiet",
        &["--quiet", "--color", "never", "tests/mixed"],
    );
}

#[test]
fn json() {
    snapshot("formats-json", &["--format", "json", "tests/mixed"]);
}

#[test]
fn sarif() {
    snapshot("formats-sarif", &["--format", "sarif", "tests/mixed"]);
}

#[test]
fn github() {
    snapshot("formats-github", &["--format", "github", "tests/mixed"]);
}

/// A copy of `tests/mixed/` in a new directory.
fn mixed_copy() -> tempfile::TempDir {
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
    copy(&Path::new(ROOT).join("tests/mixed"), dir.path());
    dir
}

/// `--write` says what it wrote and what is left; a second run finds only what needs a
/// human.
#[test]
fn write_reports_what_it_wrote() {
    let dir = mixed_copy();
    let (code, stdout, stderr) = samfix(&["--write", "--color", "never", "."], dir.path());
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path("../snapshots");
    settings.set_prepend_module_to_snapshot(false);
    settings.set_description("samfix --write --color never . (in a copy of tests/mixed)");
    settings.set_omit_expression(true);
    settings.bind(|| {
        insta::assert_snapshot!(
            "formats-write",
            format!("exit status: {code:?}\n--- stdout\n{stdout}--- stderr\n{stderr}")
        );
    });
    let (_, again, _) = samfix(&["--format", "json", "."], dir.path());
    let report: serde_json::Value = serde_json::from_str(&again).unwrap();
    let left: Vec<&str> = report["files"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|file| file["findings"].as_array().unwrap())
        .map(|finding| finding["api"].as_str().unwrap())
        .collect();
    assert_eq!(
        left,
        ["PublicApi", "PartnerApi"],
        "only the refused APIs are left"
    );
}

/// With `--diff`, stdout is the patch whatever the format, and the report goes to stderr.
#[test]
fn diff_keeps_stdout_for_the_patch_in_every_format() {
    for format in ["human", "json", "sarif", "github"] {
        let (code, stdout, stderr) = samfix(
            &["--diff", "--format", format, "tests/mixed/catalog.yaml"],
            Path::new(ROOT),
        );
        assert_eq!(code, Some(1), "{format}");
        assert!(
            stdout.starts_with("--- a/tests/mixed/catalog.yaml\n+++ b/tests/mixed/catalog.yaml\n"),
            "{format}: {stdout}"
        );
        assert!(stderr.contains("CatalogApi"), "{format}: {stderr}");
        if matches!(format, "json" | "sarif") {
            serde_json::from_str::<serde_json::Value>(&stderr).unwrap();
        }
    }
}

#[test]
fn colour_follows_the_flag_and_no_color() {
    let has_escapes = |args: &[&str], no_color: Option<&str>| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_samfix"));
        command
            .args(args)
            .arg("tests/mixed/catalog.yaml")
            .current_dir(ROOT);
        match no_color {
            Some(value) => command.env("NO_COLOR", value),
            None => command.env_remove("NO_COLOR"),
        };
        let out = command.output().unwrap();
        String::from_utf8(out.stdout).unwrap().contains('\u{1b}')
    };
    assert!(has_escapes(&["--color", "always"], None));
    assert!(
        has_escapes(&["--color", "always"], Some("1")),
        "--color always wins"
    );
    assert!(!has_escapes(&["--color", "never"], None));
    // Auto colours a terminal only, and a pipe is none.
    assert!(!has_escapes(&["--color", "auto"], None));
    assert!(!has_escapes(&[], Some("1")));
}

fn sarif_schema() -> jsonschema::Validator {
    let path = std::env::var("SAMFIX_SARIF_SCHEMA")
        .unwrap_or_else(|_| format!("{ROOT}/../shared/schemas/sarif-schema-2.1.0.json"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!("the SARIF 2.1.0 schema at {path} (set SAMFIX_SARIF_SCHEMA): {e}")
    });
    let schema: serde_json::Value = serde_json::from_str(&text).unwrap();
    jsonschema::draft7::new(&schema).expect("the SARIF schema compiles")
}

fn sarif_of(args: &[&str]) -> serde_json::Value {
    let (_, stdout, _) = samfix(args, Path::new(ROOT));
    serde_json::from_str(&stdout).unwrap()
}

#[test]
fn sarif_is_valid_sarif_2_1_0() {
    let validator = sarif_schema();
    for args in [
        &["--format", "sarif", "tests/mixed"][..],
        &["--format", "sarif", "--diff", "tests/mixed/catalog.yaml"][..],
        &["--format", "sarif", "tests/mixed/healthy.yml"][..],
        &["--format", "sarif", "tests/mixed/no-such-file.yaml"][..],
    ] {
        let log = if args.contains(&"--diff") {
            // With --diff the report goes to stderr; stdout is the patch.
            let (_, _, stderr) = samfix(args, Path::new(ROOT));
            serde_json::from_str(&stderr).unwrap()
        } else {
            sarif_of(args)
        };
        let errors: Vec<String> = validator
            .iter_errors(&log)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "samfix {args:?}:\n{}", errors.join("\n"));
    }
}

/// The validator above rejects what the schema forbids, so its silence means something.
#[test]
fn the_sarif_schema_check_rejects_a_broken_log() {
    let validator = sarif_schema();
    let good = sarif_of(&["--format", "sarif", "tests/mixed"]);
    assert!(validator.is_valid(&good));
    type Breakage = fn(&mut serde_json::Value);
    let breakages: [(&str, Breakage); 3] = [
        ("an unknown level", |log| {
            log["runs"][0]["results"][0]["level"] = "fatal".into()
        }),
        ("line 0", |log| {
            log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]
                ["startLine"] = 0.into()
        }),
        ("no driver name", |log| {
            log["runs"][0]["tool"]["driver"]
                .as_object_mut()
                .unwrap()
                .remove("name");
        }),
    ];
    for (what, breakage) in breakages {
        let mut bad = good.clone();
        breakage(&mut bad);
        assert!(!validator.is_valid(&bad), "{what} passed the schema");
    }
}

/// Every field name in the JSON report is documented in `docs/json-format.md`.
#[test]
fn json_fields_are_documented() {
    let doc = std::fs::read_to_string(format!("{ROOT}/docs/json-format.md")).unwrap();
    let (_, stdout, _) = samfix(&["--format", "json", "tests/mixed"], Path::new(ROOT));
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(report["schema_version"], 1);
    assert!(
        doc.contains("`schema_version`: `1`"),
        "the doc names version 1"
    );
    let mut keys = std::collections::BTreeSet::new();
    fn collect(value: &serde_json::Value, keys: &mut std::collections::BTreeSet<String>) {
        match value {
            serde_json::Value::Object(map) => {
                for (key, value) in map {
                    keys.insert(key.clone());
                    collect(value, keys);
                }
            }
            serde_json::Value::Array(items) => items.iter().for_each(|v| collect(v, keys)),
            _ => {}
        }
    }
    collect(&report, &mut keys);
    let undocumented: Vec<&String> = keys
        .iter()
        .filter(|key| !doc.contains(&format!("`{key}`")))
        .collect();
    assert!(
        undocumented.is_empty(),
        "not in docs/json-format.md: {undocumented:?}"
    );
}

/// Many files on every core come out in sorted order, the same each run.
#[test]
fn output_order_is_the_sorted_paths_whatever_the_threads() {
    let dir = tempfile::tempdir().unwrap();
    let template = std::fs::read_to_string(format!("{ROOT}/tests/mixed/catalog.yaml")).unwrap();
    let mut names: Vec<String> = (0..60)
        .map(|i| format!("t{:02}.yaml", (i * 37) % 60))
        .collect();
    for (i, name) in names.iter().enumerate() {
        // Every tenth template is padded, so the files take different times.
        let padding = if i % 10 == 0 {
            "#\n".repeat(20_000)
        } else {
            String::new()
        };
        std::fs::write(dir.path().join(name), format!("{padding}{template}")).unwrap();
    }
    names.sort();
    for _ in 0..3 {
        let (code, stdout, _) = samfix(&["--format", "json", "."], dir.path());
        assert_eq!(code, Some(1));
        let report: serde_json::Value = serde_json::from_str(&stdout).unwrap();
        let paths: Vec<&str> = report["files"]
            .as_array()
            .unwrap()
            .iter()
            .map(|file| file["path"].as_str().unwrap())
            .collect();
        assert_eq!(paths, names);
    }
}

/// `.gitignore` and `.ignore` count in any directory, git repository or not; `--exclude`
/// applies to walked and named files alike.
#[test]
fn ignore_files_and_exclude_choose_the_files() {
    let dir = tempfile::tempdir().unwrap();
    let template = std::fs::read_to_string(format!("{ROOT}/tests/mixed/catalog.yaml")).unwrap();
    for name in [
        "kept.yaml",
        "gitignored.yaml",
        "build/out.yaml",
        "vendor/lib.yaml",
    ] {
        let path = dir.path().join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, &template).unwrap();
    }
    std::fs::write(dir.path().join(".gitignore"), "gitignored.yaml\n").unwrap();
    std::fs::write(dir.path().join(".ignore"), "build/\n").unwrap();
    let checked = |args: &[&str]| {
        let (_, stdout, _) = samfix(args, dir.path());
        let report: serde_json::Value = serde_json::from_str(&stdout).unwrap();
        report["files"]
            .as_array()
            .unwrap()
            .iter()
            .map(|file| file["path"].as_str().unwrap().to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        checked(&["--format", "json", "."]),
        ["kept.yaml", "vendor/lib.yaml"]
    );
    assert_eq!(
        checked(&["--format", "json", "--exclude", "vendor", "."]),
        ["kept.yaml"]
    );
    assert_eq!(
        checked(&[
            "--format",
            "json",
            "--exclude",
            "*.yaml",
            "kept.yaml",
            "gitignored.yaml"
        ]),
        Vec::<String>::new()
    );
    // A named file is checked even when an ignore file lists it: only --exclude skips it.
    assert_eq!(
        checked(&["--format", "json", "gitignored.yaml"]),
        ["gitignored.yaml"]
    );
}

#[test]
fn completions_and_man_page_are_subcommands_beside_the_paths() {
    let dir = tempfile::tempdir().unwrap();
    let (code, stdout, _) = samfix(&["completions", "bash"], dir.path());
    assert_eq!(code, Some(0));
    assert!(stdout.contains("complete -F _samfix"), "{stdout}");
    assert!(stdout.contains("--exclude"), "{stdout}");
    let (code, stdout, _) = samfix(&["completions", "zsh"], dir.path());
    assert_eq!(code, Some(0));
    assert!(stdout.starts_with("#compdef samfix"), "{stdout}");
    let (code, stdout, _) = samfix(&["man"], dir.path());
    assert_eq!(code, Some(0));
    assert!(stdout.contains(".TH samfix 1"), "{stdout}");
    assert!(stdout.contains("\\-\\-format"), "{stdout}");
    let (code, stdout, _) = samfix(&["help"], dir.path());
    assert_eq!(code, Some(0));
    assert!(
        stdout.contains("Usage: samfix [OPTIONS] [PATHS]..."),
        "{stdout}"
    );

    // Paths still work, `samfix` alone checks `.`, and `./completions` is a file.
    let template = std::fs::read_to_string(format!("{ROOT}/tests/mixed/catalog.yaml")).unwrap();
    std::fs::write(dir.path().join("completions"), &template).unwrap();
    std::fs::write(dir.path().join("api.yaml"), &template).unwrap();
    let (code, stdout, _) = samfix(&["--color", "never", "./completions"], dir.path());
    assert_eq!(code, Some(1));
    assert!(stdout.contains(" --> completions:11:9\n"), "{stdout}");
    let (code, stdout, _) = samfix(&["--color", "never"], dir.path());
    assert_eq!(code, Some(1));
    assert!(
        stdout.ends_with("1 file checked: 1 finding, 1 fixable, 0 errors\n"),
        "{stdout}"
    );
    // Options and a subcommand don't mix.
    let (code, _, stderr) = samfix(&["--diff", "completions", "bash"], dir.path());
    assert_eq!(code, Some(2), "{stderr}");
}
