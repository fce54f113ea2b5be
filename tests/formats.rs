//! Every output format on the same directory of templates (`tests/mixed/`: affected,
//! unaffected, refused, invalid, not SAM, ignored), pinned byte for byte with exit status and
//! both streams; the SARIF checked against the SARIF 2.1.0 schema; the JSON's documentation
//! checked against its fields; and the subcommands beside the paths.

mod common;

use common::{repo_path, samfix, snapshot_settings, temp_copy_of, temp_dir_with, Run, Samfix};

/// Pins a run's exit status and both streams as the snapshot `name`.
fn pin(name: &str, description: &str, run: Run) {
    let Run {
        code,
        stdout,
        stderr,
    } = run;
    let mut settings = snapshot_settings();
    settings.set_description(description);
    settings.set_omit_expression(true);
    settings.bind(|| {
        insta::assert_snapshot!(
            name,
            format!("exit status: {code:?}\n--- stdout\n{stdout}--- stderr\n{stderr}")
        );
    });
}

/// Pins samfix run from the repository's root with `args`.
fn snapshot(name: &str, args: &[&str]) {
    pin(
        name,
        &format!("samfix {}", args.join(" ")),
        Samfix::new(args).run(),
    );
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

/// `--write` says what it wrote and what is left; a second run finds only what needs a
/// human.
#[test]
fn write_reports_what_it_wrote() {
    let dir = temp_copy_of("tests/mixed");
    pin(
        "formats-write",
        "samfix --write --color never . (in a copy of tests/mixed)",
        samfix(&["--write", "--color", "never", "."], dir.path()),
    );
    let again = samfix(&["--format", "json", "."], dir.path()).stdout;
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
        let Run {
            code,
            stdout,
            stderr,
        } = Samfix::new(&["--diff", "--format", format, "tests/mixed/catalog.yaml"]).run();
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
        let mut run = Samfix::new(&[args, &["tests/mixed/catalog.yaml"]].concat());
        if let Some(value) = no_color {
            run = run.env("NO_COLOR", value);
        }
        run.run().stdout.contains('\u{1b}')
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

/// The SARIF 2.1.0 schema, as OASIS publishes it (`tests/schemas/`).
fn sarif_schema() -> jsonschema::Validator {
    let path = repo_path("tests/schemas/sarif-schema-2.1.0.json");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("the SARIF 2.1.0 schema at {}: {e}", path.display()));
    let schema: serde_json::Value = serde_json::from_str(&text).unwrap();
    jsonschema::draft7::new(&schema).expect("the SARIF schema compiles")
}

fn sarif_of(args: &[&str]) -> serde_json::Value {
    serde_json::from_str(&Samfix::new(args).run().stdout).unwrap()
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
            serde_json::from_str(&Samfix::new(args).run().stderr).unwrap()
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
    let doc = std::fs::read_to_string(repo_path("docs/json-format.md")).unwrap();
    let stdout = Samfix::new(&["--format", "json", "tests/mixed"])
        .run()
        .stdout;
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
    let template = std::fs::read_to_string(repo_path("tests/mixed/catalog.yaml")).unwrap();
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
        let Run { code, stdout, .. } = samfix(&["--format", "json", "."], dir.path());
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
    let template = std::fs::read_to_string(repo_path("tests/mixed/catalog.yaml")).unwrap();
    let dir = temp_dir_with(&[
        ("kept.yaml", template.as_str()),
        ("gitignored.yaml", &template),
        ("build/out.yaml", &template),
        ("vendor/lib.yaml", &template),
        (".gitignore", "gitignored.yaml\n"),
        (".ignore", "build/\n"),
    ]);
    let checked = |args: &[&str]| {
        let stdout = samfix(args, dir.path()).stdout;
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
    let Run { code, stdout, .. } = samfix(&["completions", "bash"], dir.path());
    assert_eq!(code, Some(0));
    assert!(stdout.contains("complete -F _samfix"), "{stdout}");
    assert!(stdout.contains("--exclude"), "{stdout}");
    let Run { code, stdout, .. } = samfix(&["completions", "zsh"], dir.path());
    assert_eq!(code, Some(0));
    assert!(stdout.starts_with("#compdef samfix"), "{stdout}");
    let Run { code, stdout, .. } = samfix(&["man"], dir.path());
    assert_eq!(code, Some(0));
    assert!(stdout.contains(".TH samfix 1"), "{stdout}");
    assert!(stdout.contains("\\-\\-format"), "{stdout}");
    let Run { code, stdout, .. } = samfix(&["help"], dir.path());
    assert_eq!(code, Some(0));
    assert!(
        stdout.contains("Usage: samfix [OPTIONS] [PATHS]..."),
        "{stdout}"
    );

    // Paths still work, `samfix` alone checks `.`, and `./completions` is a file.
    let template = std::fs::read_to_string(repo_path("tests/mixed/catalog.yaml")).unwrap();
    std::fs::write(dir.path().join("completions"), &template).unwrap();
    std::fs::write(dir.path().join("api.yaml"), &template).unwrap();
    let Run { code, stdout, .. } = samfix(&["--color", "never", "./completions"], dir.path());
    assert_eq!(code, Some(1));
    assert!(stdout.contains(" --> completions:11:9\n"), "{stdout}");
    let Run { code, stdout, .. } = samfix(&["--color", "never"], dir.path());
    assert_eq!(code, Some(1));
    assert!(
        stdout.ends_with("1 file checked: 3 findings, 3 fixable, 0 errors\n"),
        "{stdout}"
    );
    // Options and a subcommand don't mix.
    let Run { code, stderr, .. } = samfix(&["--diff", "completions", "bash"], dir.path());
    assert_eq!(code, Some(2), "{stderr}");
}
