//! samfix reads templates into a tree of only what its rules read, and fingerprints the
//! rest as it streams past (`parse::parse_template`). These tests show that this changes
//! nothing: on every template at hand, the findings, fixes, refusals, edits and errors are
//! those of the tree of every node, and the fingerprints agree.
//!
//! The shared corpus is not part of the repository: the tests over it are ignored by a
//! plain `cargo test`, and run with
//! `SAMFIX_CORPUS=../shared/corpus cargo test --test template_tree -- --include-ignored`.

mod common;

use std::path::PathBuf;

use common::{corpus, repo_path, templates_under};
use samfix::Strategy;
use samfix::{check_on_full_tree, check_rules, parse, Rule};

/// The templates in the repository's tests and examples.
fn repo_templates() -> Vec<PathBuf> {
    let mut found = templates_under(&repo_path("tests"));
    found.extend(templates_under(&repo_path("examples")));
    found.sort();
    found
}

/// The repository's templates and the shared corpus's (`SAMFIX_CORPUS`).
fn all_templates() -> Vec<PathBuf> {
    let corpus = corpus();
    let mut found = repo_templates();
    found.extend(templates_under(&corpus.join("real-world")));
    found.extend(templates_under(&corpus.join("sam-translator-inputs")));
    found.sort();
    found
}

/// Checks each template on the template tree and on the tree of every node, with every
/// strategy, and compares the outcomes; returns how many of them were fixes.
fn decided_alike(templates: &[PathBuf]) -> usize {
    let mut fixed = 0;
    for path in templates {
        let Ok(source) = std::fs::read_to_string(path) else {
            continue;
        };
        for strategy in [Strategy::Auto, Strategy::Events, Strategy::Flag] {
            let sparse = check_rules(&source, strategy, Rule::ALL);
            let full = check_on_full_tree(&source, strategy, Rule::ALL);
            assert_eq!(
                format!("{sparse:?}"),
                format!("{full:?}"),
                "{} with {strategy:?}",
                path.display()
            );
            fixed += usize::from(matches!(&sparse, Ok(checked) if checked.fixed.is_some()));
        }
    }
    fixed
}

#[test]
fn the_template_tree_decides_as_the_full_tree_does() {
    let templates = repo_templates();
    // The fixtures, fidelity cases, hostile inputs and examples hold over 80.
    assert!(templates.len() > 80, "found {} templates", templates.len());
    let fixed = decided_alike(&templates);
    // Agreement on templates with nothing to fix would show little.
    assert!(fixed > 150, "only {fixed} fixes compared");
}

#[test]
#[ignore = "reads the shared corpus: set SAMFIX_CORPUS and pass --include-ignored"]
fn over_the_corpus_the_template_tree_decides_as_the_full_tree_does() {
    let templates = all_templates();
    // The shared corpus alone holds over 300 templates: a missing one is a broken setup.
    assert!(templates.len() > 300, "found {} templates", templates.len());
    let fixed = decided_alike(&templates);
    assert!(fixed > 100, "only {fixed} fixes compared");
}

/// Checks that the template tree, the tree of every node and the fingerprint of the text
/// alone agree on each template's fingerprint (or all fail to read it).
fn fingerprints_agree(templates: &[PathBuf]) {
    for path in templates {
        let Ok(source) = std::fs::read_to_string(path) else {
            continue;
        };
        let Ok(full) = parse::parse(&source) else {
            assert!(
                parse::parse_template(&source, &samfix::rules::reads(samfix::Rule::ALL)).is_err(),
                "{}",
                path.display()
            );
            assert!(
                parse::fingerprint_text(&source).is_err(),
                "{}",
                path.display()
            );
            continue;
        };
        let expected = full.fingerprint();
        let template =
            parse::parse_template(&source, &samfix::rules::reads(samfix::Rule::ALL)).unwrap();
        assert_eq!(template.fingerprint(), expected, "{}", path.display());
        assert_eq!(
            parse::fingerprint_text(&source).unwrap(),
            expected,
            "{}",
            path.display()
        );
        assert_eq!(
            template.root().first_bool_spelling(),
            full.root().first_bool_spelling(),
            "{}",
            path.display()
        );
    }
}

#[test]
fn fingerprints_agree_however_the_template_is_read() {
    fingerprints_agree(&repo_templates());
}

#[test]
#[ignore = "reads the shared corpus: set SAMFIX_CORPUS and pass --include-ignored"]
fn over_the_corpus_fingerprints_agree_however_the_template_is_read() {
    fingerprints_agree(&all_templates());
}

/// A function's `Properties` keep only `Events`, yet a duplicate among the keys they leave
/// out is still warned about where it is written.
#[test]
fn a_duplicate_among_left_out_keys_is_warned_about() {
    let source = "Transform: AWS::Serverless-2016-10-31\nResources:\n  Fn:\n    Type: AWS::Serverless::Function\n    Properties:\n      Handler: a.b\n      Events: {}\n      Handler: c.d\n";
    let checked = check_rules(source, Strategy::Auto, Rule::ALL).unwrap();
    let warning = &checked.warnings[0];
    assert_eq!(warning.kind.name(), "duplicate-key");
    assert_eq!(Some(warning.span.start), source.rfind("Handler"));
    assert!(
        warning.message.contains("first at line 6, column 7"),
        "{}",
        warning.message
    );
}

/// Reads each template that can be read in parts both in parts and whole, and compares
/// the trees and the fingerprints; returns how many were read in parts.
fn read_in_parts_alike(templates: &[PathBuf]) -> usize {
    let mut read_in_parts = 0;
    for path in templates {
        let Ok(source) = std::fs::read_to_string(path) else {
            continue;
        };
        let Some(in_parts) =
            parse::parse_template_in_parts(&source, &samfix::rules::reads(samfix::Rule::ALL))
        else {
            continue;
        };
        let whole = parse::parse_template(&source, &samfix::rules::reads(samfix::Rule::ALL))
            .unwrap_or_else(|e| panic!("{}: {e:?}", path.display()));
        assert_eq!(
            format!("{in_parts:?}"),
            format!("{whole:?}"),
            "{}",
            path.display()
        );
        assert_eq!(
            parse::fingerprint_text_in_parts(&source),
            Some(parse::fingerprint_text(&source).unwrap()),
            "{}",
            path.display()
        );
        read_in_parts += 1;
    }
    read_in_parts
}

/// Large templates are read in parts on two threads; read in parts, every template that
/// can be gives the tree and the fingerprint of a whole read.
#[test]
fn reading_in_parts_gives_what_a_whole_read_gives() {
    let read_in_parts = read_in_parts_alike(&repo_templates());
    assert!(
        read_in_parts > 10,
        "only {read_in_parts} templates read in parts"
    );
}

#[test]
#[ignore = "reads the shared corpus: set SAMFIX_CORPUS and pass --include-ignored"]
fn over_the_corpus_reading_in_parts_gives_what_a_whole_read_gives() {
    let read_in_parts = read_in_parts_alike(&all_templates());
    assert!(
        read_in_parts > 100,
        "only {read_in_parts} templates read in parts"
    );
}

/// A template of `count` functions, with `insert` written as one more resource in the
/// middle of them.
fn resources_around(count: usize, insert: &str) -> String {
    let mut text = String::from("Transform: AWS::Serverless-2016-10-31\nResources:\n");
    for i in 0..count {
        if i == count / 2 {
            text.push_str(insert);
        }
        text.push_str(&format!(
            "  Fn{i}:\n    Type: AWS::Serverless::Function\n    Properties:\n      Handler: a.b\n"
        ));
    }
    text.push_str("Outputs:\n  Out:\n    Value: 1\n");
    text
}

/// Where a cut would fall inside something that spans lines, or where parts could reach
/// into each other, the template is read whole; where it can be cut, the parts join to
/// what a whole read gives.
#[test]
fn parts_are_read_only_where_they_join_to_the_whole() {
    let cases = [
        // Continuation lines that look like resources, inside a value that spans them.
        ("  Quoted:\n    Value: \"one\n  Fn: two\"\n", None),
        ("  Single:\n    Value: 'one\n  Fn: two'\n", None),
        ("  Flow:\n    Value: {a: 1,\n  Fn: 2}\n", None),
        ("  Seq:\n    Value: [1,\n  Fn, 2]\n", None),
        // Anchors and aliases could reach across the cut.
        ("  Anchored: &shared\n    Type: AWS::SNS::Topic\n", None),
        ("  Aliased:\n    Type: *missing\n", None),
        // A resource id written twice, once on each side of the cut.
        ("  Fn0:\n    Type: AWS::SNS::Topic\n", None),
        // Things that do not stop a cut.
        (
            "  Literal:\n    Value: |\n      text\n\n      more\n",
            Some(()),
        ),
        (
            "# a comment at the first column\n  Commented:\n    Type: AWS::SNS::Topic\n",
            Some(()),
        ),
    ];
    for (insert, cut) in cases {
        for count in [6, 7, 40] {
            let source = resources_around(count, insert);
            let in_parts =
                parse::parse_template_in_parts(&source, &samfix::rules::reads(samfix::Rule::ALL));
            if cut.is_some() {
                assert!(in_parts.is_some(), "not read in parts:\n{source}");
            }
            let whole = parse::parse_template(&source, &samfix::rules::reads(samfix::Rule::ALL));
            match (in_parts, whole) {
                (Some(in_parts), Ok(whole)) => {
                    assert_eq!(format!("{in_parts:?}"), format!("{whole:?}"), "{source}");
                }
                (Some(_), Err(error)) => {
                    panic!("read in parts, whole fails with {error:?}:\n{source}")
                }
                (None, _) => {}
            }
            if let Some(in_parts) = parse::fingerprint_text_in_parts(&source) {
                assert_eq!(Ok(in_parts), parse::fingerprint_text(&source), "{source}");
            }
        }
    }
    // Line breaks and a byte order mark as Windows editors write them.
    let windows = format!("\u{feff}{}", resources_around(40, "").replace('\n', "\r\n"));
    let in_parts =
        parse::parse_template_in_parts(&windows, &samfix::rules::reads(samfix::Rule::ALL))
            .expect("read in parts");
    assert_eq!(
        format!("{in_parts:?}"),
        format!(
            "{:?}",
            parse::parse_template(&windows, &samfix::rules::reads(samfix::Rule::ALL)).unwrap()
        )
    );
}
