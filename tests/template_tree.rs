//! samfix reads templates into a tree of only what its rules read, and fingerprints the
//! rest as it streams past (`parse::parse_template`). These tests show that this changes
//! nothing: on every template at hand, the findings, fixes, refusals, edits and errors are
//! those of the tree of every node, and the fingerprints agree.

use std::path::{Path, PathBuf};

use samfix::plan::Strategy;
use samfix::{check_on_full_tree, check_rules, parse, Rule};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// The templates in the project's tests and in the shared corpus beside it.
fn templates() -> Vec<PathBuf> {
    let mut found = Vec::new();
    let roots = [
        format!("{ROOT}/tests"),
        format!("{ROOT}/examples"),
        format!("{ROOT}/../shared/corpus/real-world"),
        format!("{ROOT}/../shared/corpus/sam-translator-inputs"),
    ];
    for root in &roots {
        collect(Path::new(root), &mut found);
    }
    found.sort();
    found
}

fn collect(dir: &Path, found: &mut Vec<PathBuf>) {
    let entries = std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    for entry in entries {
        let path = entry.unwrap().path();
        if path.is_dir() {
            collect(&path, found);
        } else if path
            .extension()
            .is_some_and(|ext| ext == "yaml" || ext == "yml" || ext == "json")
        {
            found.push(path);
        }
    }
}

#[test]
fn the_template_tree_decides_as_the_full_tree_does() {
    let templates = templates();
    // The shared corpus alone holds over 300 templates: a missing one is a broken setup.
    assert!(templates.len() > 300, "found {} templates", templates.len());
    let mut fixed = 0;
    for path in &templates {
        let Ok(source) = std::fs::read_to_string(path) else {
            continue;
        };
        for strategy in [Strategy::Auto, Strategy::Events, Strategy::Flag] {
            let sparse = check_rules(&source, strategy, &Rule::ALL);
            let full = check_on_full_tree(&source, strategy, &Rule::ALL);
            assert_eq!(
                format!("{sparse:?}"),
                format!("{full:?}"),
                "{} with {strategy:?}",
                path.display()
            );
            fixed += usize::from(matches!(&sparse, Ok(checked) if checked.fixed.is_some()));
        }
    }
    // Agreement on templates with nothing to fix would show little.
    assert!(fixed > 100, "only {fixed} fixes compared");
}

#[test]
fn fingerprints_agree_however_the_template_is_read() {
    for path in templates() {
        let Ok(source) = std::fs::read_to_string(&path) else {
            continue;
        };
        let Ok(full) = parse::parse(&source) else {
            assert!(
                parse::parse_template(&source).is_err(),
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
        let template = parse::parse_template(&source).unwrap();
        assert_eq!(template.fingerprint(), expected, "{}", path.display());
        assert_eq!(
            parse::fingerprint_text(&source).unwrap(),
            expected,
            "{}",
            path.display()
        );
        assert_eq!(
            template.first_bool_spelling(),
            full.first_bool_spelling(),
            "{}",
            path.display()
        );
    }
}

/// A function's `Properties` keep only `Events`, yet a duplicate among the keys they leave
/// out is still refused where it is written.
#[test]
fn a_duplicate_among_left_out_keys_is_refused() {
    let source = "Transform: AWS::Serverless-2016-10-31\nResources:\n  Fn:\n    Type: AWS::Serverless::Function\n    Properties:\n      Handler: a.b\n      Events: {}\n      Handler: c.d\n";
    let error = check_rules(source, Strategy::Auto, &Rule::ALL).unwrap_err();
    assert_eq!(error.message, "duplicate key `Handler`");
    assert_eq!(error.offset, source.rfind("Handler"));
    assert_eq!(error.related, source.find("Handler"));
}
