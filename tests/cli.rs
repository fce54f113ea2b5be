//! The command line as a user meets it: exit codes, streams, and what is written.

use std::process::Command;

mod common;

use common::{compact, fixture, samfix, temp_dir_with, temp_dir_with_fixtures, Samfix};

/// The rules these tests drive the command line with; every rule has fixtures of its own.
const PREFLIGHT_RULES: &str = "api-key-on-preflight,authorizer-on-preflight";

#[test]
fn check_reports_the_key_and_exits_1() {
    let dir = temp_dir_with_fixtures(&["resource_key.yaml"]);
    let out = samfix(
        &["--select", PREFLIGHT_RULES, "resource_key.yaml"],
        dir.path(),
    );
    assert_eq!(out.code, Some(1));
    let stdout = out.stdout;
    assert!(
        stdout.starts_with(
            "error[api-key-on-preflight]: `SampleApi` requires an API key on its CORS preflight"
        ),
        "{stdout}"
    );
    assert!(
        stdout.contains("\n --> resource_key.yaml:9:9\n"),
        "{stdout}"
    );
    assert!(
        stdout.contains("= events: SampleFunction.Api\n"),
        "{stdout}"
    );
    assert!(
        stdout.ends_with("1 file checked: 1 finding, 1 fixable, 0 errors\n"),
        "{stdout}"
    );
}

#[test]
fn nothing_to_fix_exits_0_and_write_leaves_the_file_alone() {
    let dir = temp_dir_with_fixtures(&["nothing_to_fix.yaml"]);
    let before = std::fs::read(dir.path().join("nothing_to_fix.yaml")).unwrap();
    assert_eq!(
        samfix(
            &["--select", PREFLIGHT_RULES, "nothing_to_fix.yaml"],
            dir.path()
        )
        .code,
        Some(0)
    );
    assert_eq!(
        samfix(
            &[
                "--select",
                PREFLIGHT_RULES,
                "--write",
                "nothing_to_fix.yaml"
            ],
            dir.path()
        )
        .code,
        Some(0)
    );
    assert_eq!(
        std::fs::read(dir.path().join("nothing_to_fix.yaml")).unwrap(),
        before
    );
}

#[test]
fn write_fixes_in_place_and_a_second_run_changes_nothing() {
    let dir = temp_dir_with_fixtures(&["globals_everywhere.yaml", "crlf_bom.yaml"]);
    let write = [
        "--select",
        PREFLIGHT_RULES,
        "--write",
        "globals_everywhere.yaml",
        "crlf_bom.yaml",
    ];
    let out = samfix(&write, dir.path());
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert!(out
        .stdout
        .ends_with("2 files checked: 3 findings, 3 fixable, 2 files fixed, 0 errors\n"));
    let fixed: Vec<Vec<u8>> = ["globals_everywhere.yaml", "crlf_bom.yaml"]
        .iter()
        .map(|n| std::fs::read(dir.path().join(n)).unwrap())
        .collect();
    assert_ne!(
        fixed[0],
        std::fs::read(fixture("globals_everywhere.yaml")).unwrap()
    );
    assert!(
        fixed[1].starts_with(b"\xef\xbb\xbf"),
        "the byte order mark stays"
    );

    let again = samfix(&write, dir.path());
    assert_eq!(again.code, Some(0));
    assert!(again.stdout.contains("0 findings"));
    let after: Vec<Vec<u8>> = ["globals_everywhere.yaml", "crlf_bom.yaml"]
        .iter()
        .map(|n| std::fs::read(dir.path().join(n)).unwrap())
        .collect();
    assert_eq!(fixed, after);
    assert_eq!(
        samfix(
            &[
                "--select",
                PREFLIGHT_RULES,
                "globals_everywhere.yaml",
                "crlf_bom.yaml"
            ],
            dir.path()
        )
        .code,
        Some(0)
    );
}

#[cfg(unix)]
#[test]
fn write_keeps_the_mode_and_replaces_a_symlinks_target() {
    use std::os::unix::fs::PermissionsExt;
    let dir = temp_dir_with_fixtures(&["resource_key.yaml"]);
    let real = dir.path().join("resource_key.yaml");
    std::fs::set_permissions(&real, std::fs::Permissions::from_mode(0o640)).unwrap();
    std::os::unix::fs::symlink("resource_key.yaml", dir.path().join("link.yaml")).unwrap();
    assert_eq!(samfix(&["--write", "link.yaml"], dir.path()).code, Some(0));
    assert!(std::fs::symlink_metadata(dir.path().join("link.yaml"))
        .unwrap()
        .file_type()
        .is_symlink());
    assert_eq!(
        std::fs::metadata(&real).unwrap().permissions().mode() & 0o777,
        0o640
    );
    assert!(std::fs::read_to_string(&real)
        .unwrap()
        .contains("              ApiKeyRequired: true\n"));
}

#[test]
fn diff_is_a_patch_git_applies_to_the_same_result_as_write() {
    let dir = temp_dir_with_fixtures(&["resource_key.yaml", "json_template.json"]);
    let out = samfix(
        &[
            "--select",
            PREFLIGHT_RULES,
            "--diff",
            "resource_key.yaml",
            "json_template.json",
        ],
        dir.path(),
    );
    assert_eq!(out.code, Some(1));
    let patch = out.stdout;
    assert!(
        patch.starts_with("--- a/resource_key.yaml\n+++ b/resource_key.yaml\n"),
        "{patch}"
    );
    let yaml_part = patch.split("--- a/json_template.json").next().unwrap();
    let changed = |sign: char| {
        yaml_part
            .lines()
            .filter(|l| l.starts_with(sign) && !l.starts_with("---") && !l.starts_with("+++"))
            .count()
    };
    assert_eq!((changed('-'), changed('+')), (1, 2), "{yaml_part}");
    assert!(
        out.stderr.contains("api-key-on-preflight"),
        "the report goes to stderr"
    );

    std::fs::write(dir.path().join("fix.patch"), &patch).unwrap();
    let git = |args: &[&str]| {
        Command::new("git")
            .args(args)
            .current_dir(dir.path())
            .output()
            .unwrap()
    };
    assert!(git(&["init", "-q"]).status.success());
    let applied = git(&["apply", "fix.patch"]);
    assert!(
        applied.status.success(),
        "{}",
        String::from_utf8_lossy(&applied.stderr)
    );

    let written = temp_dir_with_fixtures(&["resource_key.yaml", "json_template.json"]);
    samfix(
        &[
            "--select",
            PREFLIGHT_RULES,
            "--write",
            "resource_key.yaml",
            "json_template.json",
        ],
        written.path(),
    );
    for name in ["resource_key.yaml", "json_template.json"] {
        assert_eq!(
            std::fs::read(dir.path().join(name)).unwrap(),
            std::fs::read(written.path().join(name)).unwrap()
        );
    }
}

#[test]
fn the_seed_typo_is_reported_with_a_suggestion() {
    let dir = temp_dir_with_fixtures(&["seed_typo.yaml"]);
    let out = samfix(&["seed_typo.yaml"], dir.path());
    let stdout = out.stdout;
    assert!(
        stdout.contains("warning: `RestApiId` of event `SampleFunction.Api` refers to `SampleAPI`, which is not a resource in this template\n  --> seed_typo.yaml:22:29\n"),
        "{stdout}"
    );
    assert!(
        stdout.contains("help: did you mean `SampleApi`?"),
        "{stdout}"
    );
    assert!(
        stdout.contains("fix (flag): not moved to the events"),
        "{stdout}"
    );
}

#[test]
fn stdin_is_read_and_write_prints_the_fixed_template() {
    let source = std::fs::read_to_string(fixture("resource_key.yaml")).unwrap();
    let check = Samfix::new(&["-"]).input(source.as_bytes()).run();
    assert_eq!(check.code, Some(1));
    assert!(check.stdout.contains("\n --> <stdin>:9:9\n"));

    let fixed = Samfix::new(&["--write", "-"])
        .input(source.as_bytes())
        .run();
    assert_eq!(fixed.code, Some(0));
    let expected = samfix::check(&source, samfix::Strategy::Auto)
        .unwrap()
        .fixed
        .unwrap();
    assert_eq!(fixed.stdout, expected);

    let clean = std::fs::read_to_string(fixture("nothing_to_fix.yaml")).unwrap();
    let unchanged = Samfix::new(&["--select", PREFLIGHT_RULES, "--write", "-"])
        .input(clean.as_bytes())
        .run();
    assert_eq!(unchanged.stdout, clean);
}

#[test]
fn bad_input_is_named_with_line_and_column_and_other_files_still_get_fixed() {
    let dir = temp_dir_with_fixtures(&["resource_key.yaml"]);
    std::fs::write(
        dir.path().join("broken.yaml"),
        "Resources:\n  Api:\n    Type: [unclosed\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("latin1.yaml"), b"Description: caf\xe9\n").unwrap();
    let out = samfix(
        &["--write", "broken.yaml", "latin1.yaml", "resource_key.yaml"],
        dir.path(),
    );
    assert_eq!(out.code, Some(2));
    let stderr = compact(&out.stderr);
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 2, "{stderr}");
    assert!(
        lines[0].starts_with("broken.yaml:3:11: error: "),
        "{stderr}"
    );
    assert_eq!(
        lines[1],
        "latin1.yaml:1:17: error: not UTF-8 text: invalid byte 0xE9"
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("broken.yaml")).unwrap(),
        "Resources:\n  Api:\n    Type: [unclosed\n"
    );
    assert_ne!(
        std::fs::read(dir.path().join("resource_key.yaml")).unwrap(),
        std::fs::read(fixture("resource_key.yaml")).unwrap()
    );
}

#[test]
fn duplicate_keys_are_read_last_wins_and_name_both_places() {
    let dir = temp_dir_with(&[(
        "dup.yaml",
        "Resources:\n  A:\n    Type: X\n  A:\n    Type: Y\n",
    )]);
    let out = samfix(&["dup.yaml"], dir.path());
    assert_eq!(out.code, Some(0), "{}{}", out.stdout, out.stderr);
    assert!(
        out.stdout.starts_with(
            "warning: `A` is written twice in its map (first at line 2, column 3): SAM reads \
             this one, on line 4, and ignores the first\n --> dup.yaml:4:3\n"
        ),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.ends_with("1 warning, 0 errors\n"),
        "{}",
        out.stdout
    );
}

#[test]
fn directories_are_walked_for_sam_templates_only() {
    let dir = temp_dir_with_fixtures(&[
        "resource_key.yaml",
        "json_template.json",
        "nothing_to_fix.yaml",
    ]);
    std::fs::create_dir(dir.path().join("nested")).unwrap();
    std::fs::copy(
        fixture("definition_body.yaml"),
        dir.path().join("nested/api.yml"),
    )
    .unwrap();
    std::fs::write(dir.path().join("workflow.yaml"), "on: push\njobs: {}\n").unwrap();
    std::fs::write(dir.path().join("broken-but-not-sam.yaml"), "a: [\n").unwrap();
    std::fs::create_dir(dir.path().join(".hidden")).unwrap();
    std::fs::copy(
        fixture("resource_key.yaml"),
        dir.path().join(".hidden/skipped.yaml"),
    )
    .unwrap();
    let out = samfix(&["--select", PREFLIGHT_RULES, "."], dir.path());
    assert_eq!(out.code, Some(1));
    let stdout = out.stdout;
    let files: Vec<&str> = stdout
        .lines()
        .filter_map(|l| {
            l.trim_start()
                .strip_prefix("--> ")
                .or_else(|| l.contains(" checked: ").then_some(l))
        })
        .map(|place| place.split(':').next().unwrap())
        .collect();
    assert_eq!(
        files,
        [
            "json_template.json",
            "nested/api.yml",
            "resource_key.yaml",
            "4 files checked"
        ],
        "{stdout}"
    );
}

#[test]
fn events_strategy_refuses_a_definition_body_and_says_why() {
    let dir = temp_dir_with_fixtures(&["definition_body.yaml"]);
    let out = samfix(
        &[
            "--select",
            PREFLIGHT_RULES,
            "--write",
            "--strategy",
            "events",
            "definition_body.yaml",
        ],
        dir.path(),
    );
    assert_eq!(out.code, Some(1));
    assert!(out
        .stdout
        .contains("needs a human: `Api` has its own `DefinitionBody`"));
    assert_eq!(
        std::fs::read(dir.path().join("definition_body.yaml")).unwrap(),
        std::fs::read(fixture("definition_body.yaml")).unwrap()
    );
}

/// Verification fingerprints each anchored value once, so a billion laughs costs what its
/// text costs, and the fix is written.
#[test]
fn an_alias_bomb_is_fixed_without_expanding() {
    let mut lines = vec!["a0: &a0 [x, x, x, x, x, x, x, x, x, x]".to_string()];
    for i in 1..10 {
        lines.push(format!(
            "a{i}: &a{i} [{}]",
            vec![format!("*a{}", i - 1); 10].join(", ")
        ));
    }
    let api = "Resources: {X: {Type: AWS::Serverless::Api, Properties: {Cors: x, Auth: {ApiKeyRequired: *a9}}}}";
    lines.push(api.into());
    let bomb = lines.join("\n") + "\n";
    let dir = temp_dir_with(&[("bomb.yaml", &bomb)]);
    let out = samfix(
        &["--select", PREFLIGHT_RULES, "--write", "bomb.yaml"],
        dir.path(),
    );
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert_eq!(
        std::fs::read_to_string(dir.path().join("bomb.yaml")).unwrap(),
        bomb.replace(
            api,
            "Resources: {X: {Type: AWS::Serverless::Api, Properties: {Cors: x}}}"
        )
    );
}

#[test]
fn a_broken_sam_template_in_a_directory_is_reported_and_sam_only_skips_other_named_files() {
    let dir = temp_dir_with_fixtures(&["resource_key.yaml"]);
    std::fs::write(
        dir.path().join("broken.yaml"),
        "Transform: AWS::Serverless-2016-10-31\nResources: [\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("chart.yaml"),
        "image: {{ .Values.image }}\n",
    )
    .unwrap();
    let walked = samfix(&["--select", PREFLIGHT_RULES, "."], dir.path());
    assert_eq!(walked.code, Some(2));
    assert!(
        compact(&walked.stderr).starts_with("broken.yaml:2:12: error: unclosed bracket"),
        "{}",
        walked.stderr
    );
    assert!(walked
        .stdout
        .ends_with("2 files checked: 1 finding, 1 fixable, 1 error\n"));

    let hook = samfix(
        &[
            "--select",
            PREFLIGHT_RULES,
            "--write",
            "--sam-only",
            "chart.yaml",
            "resource_key.yaml",
        ],
        dir.path(),
    );
    assert_eq!(hook.code, Some(0), "{}", hook.stderr);
    assert!(hook
        .stdout
        .ends_with("1 file checked: 1 finding, 1 fixable, 1 file fixed, 0 errors\n"));
    assert_eq!(
        samfix(&["chart.yaml"], dir.path()).code,
        Some(2),
        "a named file is checked without --sam-only"
    );
}

#[test]
fn github_format_annotates_findings_warnings_and_errors() {
    let dir = temp_dir_with_fixtures(&["seed_typo.yaml"]);
    std::fs::write(dir.path().join("bad.yaml"), "a: [\n").unwrap();
    let out = samfix(
        &["--format", "github", "seed_typo.yaml", "bad.yaml"],
        dir.path(),
    );
    assert_eq!(out.code, Some(2));
    let stdout = out.stdout;
    let commands: Vec<&str> = stdout.lines().filter(|l| l.starts_with("::")).collect();
    assert_eq!(commands.len(), 3, "{stdout}");
    assert!(commands[0].starts_with(
        "::error file=seed_typo.yaml,line=9,col=9,endLine=9,endColumn=23,title=samfix%3A api-key-on-preflight::"
    ));
    assert!(commands[1].starts_with("::warning file=seed_typo.yaml,line=22,col=29,endLine=22,"));
    assert!(commands[1].ends_with("%0Ahelp: did you mean `SampleApi`?"));
    assert_eq!(
        commands[2],
        "::error file=bad.yaml,line=1,col=4,title=samfix%3A error::unclosed bracket '['"
    );
    assert_eq!(
        compact(&out.stderr),
        "bad.yaml:1:4: error: unclosed bracket '['\n"
    );
}

#[test]
fn select_and_ignore_choose_the_rules() {
    let dir = temp_dir_with_fixtures(&["authorizer_and_key.yaml"]);
    let rules_reported = |args: &[&str]| {
        let mut all = args.to_vec();
        all.push("authorizer_and_key.yaml");
        let out = samfix(&all, dir.path());
        let stdout = out.stdout;
        let mut rules: Vec<String> = stdout
            .lines()
            .filter_map(|l| l.strip_prefix("error["))
            .filter_map(|l| l.split(']').next().map(str::to_string))
            .collect();
        rules.dedup();
        (out.code, rules)
    };
    let both = [
        "api-key-on-preflight",
        "authorizer-on-preflight",
        "api-key-on-preflight",
    ];
    assert_eq!(
        rules_reported(&["--select", PREFLIGHT_RULES]),
        (Some(1), both.map(String::from).to_vec())
    );
    assert_eq!(
        rules_reported(&["--select", "authorizer-on-preflight"]),
        (Some(1), vec!["authorizer-on-preflight".to_string()])
    );
    // Ignoring every selected rule would check nothing: tests/cases/ pins the error.
    assert_eq!(
        rules_reported(&[
            "--select",
            PREFLIGHT_RULES,
            "--ignore",
            "authorizer-on-preflight,api-key-on-preflight"
        ]),
        (Some(2), vec![])
    );
    let out = samfix(
        &[
            "--write",
            "--select",
            "authorizer-on-preflight",
            "authorizer_and_key.yaml",
        ],
        dir.path(),
    );
    assert_eq!(out.code, Some(0));
    let fixed = std::fs::read_to_string(dir.path().join("authorizer_and_key.yaml")).unwrap();
    assert!(fixed.contains("AddDefaultAuthorizerToCorsPreflight: false"));
    assert!(
        !fixed.contains("AddApiKeyRequiredToCorsPreflight"),
        "the ignored rule is left alone"
    );
    let unknown = samfix(&["--select", "no-such-rule", "."], dir.path());
    assert_eq!(unknown.code, Some(2));
    assert!(unknown
        .stderr
        .contains("possible values: api-key-on-preflight, authorizer-on-preflight"));
}

#[test]
fn explain_prints_the_rule_page_from_docs() {
    let dir = tempfile::tempdir().unwrap();
    for rule in ["api-key-on-preflight", "authorizer-on-preflight"] {
        let out = samfix(&["--explain", rule], dir.path());
        assert_eq!(out.code, Some(0));
        let page = std::fs::read_to_string(common::repo_path(&format!(
            "crates/samfix-core/docs/rules/{rule}.md"
        )))
        .unwrap();
        assert_eq!(out.stdout, page);
        for section in [
            "## What it finds",
            "## Why it breaks browsers",
            "## How to verify",
        ] {
            assert!(page.contains(section), "{rule}: {section}");
        }
    }
}
