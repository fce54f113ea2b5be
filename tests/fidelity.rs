//! The format fidelity matrix: one small template per way of writing one (line endings,
//! indentation, comments, flow and block style, quoting, JSON layouts, anchors), each
//! snapshotted like `tests/fixtures.rs` does, so every inserted line can be read against
//! the file's own style.

mod common;

use common::{files_in, snapshot_of, snapshot_settings};
use samfix::Strategy;

#[test]
fn fidelity() {
    snapshot_settings().bind(|| {
        insta::glob!("fidelity/*", |path| {
            insta::assert_snapshot!(snapshot_of(path));
        });
    });
}

/// Every fix of a JSON template is JSON, and every fix of any template loads with an
/// independent YAML parser; a fixed file keeps its byte order mark and final-newline state.
#[test]
fn fixes_stay_valid_in_their_own_format() {
    let mut fixes = 0;
    for path in files_in("tests/fidelity") {
        let source = std::fs::read_to_string(&path).unwrap();
        let json = path.extension().is_some_and(|e| e == "json");
        if json {
            serde_json::from_str::<serde_json::Value>(&source)
                .unwrap_or_else(|e| panic!("{}: the fixture is not JSON: {e}", path.display()));
        }
        for strategy in [Strategy::Auto, Strategy::Events, Strategy::Flag] {
            let Ok(checked) = samfix::check(&source, strategy) else {
                continue;
            };
            let Some(fixed) = checked.fixed else {
                continue;
            };
            fixes += 1;
            let what = format!("{} ({strategy:?})", path.display());
            if json {
                serde_json::from_str::<serde_json::Value>(&fixed)
                    .unwrap_or_else(|e| panic!("{what}: the fix is not JSON: {e}\n{fixed}"));
            }
            serde_norway::from_str::<serde_norway::Value>(fixed.trim_start_matches('\u{feff}'))
                .unwrap_or_else(|e| panic!("{what}: the fix does not load: {e}\n{fixed}"));
            assert_eq!(
                source.starts_with('\u{feff}'),
                fixed.starts_with('\u{feff}'),
                "{what}: byte order mark"
            );
            assert_eq!(
                source.ends_with('\n'),
                fixed.ends_with('\n'),
                "{what}: final newline"
            );
            if !source.contains('\r') {
                assert!(!fixed.contains('\r'), "{what}: a CR appeared");
            }
            if !source.replace("\r\n", "").contains('\n') {
                // Every line ending was CRLF (or there was one line): so is every new one.
                assert!(
                    !fixed.replace("\r\n", "").contains('\n'),
                    "{what}: a bare LF appeared"
                );
            }
        }
    }
    assert!(fixes > 80, "only {fixes} fixes were checked");
}
