//! What the snapshot tests share.

use std::fmt::Write as _;
use std::path::Path;

use samfix::report;
use samfix::Strategy;

/// A template's report and the diff (or refusal) of every strategy, line endings shown.
pub fn snapshot_of(path: &Path) -> String {
    let source = std::fs::read_to_string(path).unwrap();
    let name = path.file_name().unwrap().to_string_lossy().to_string();
    let mut out = String::new();
    for strategy in [Strategy::Auto, Strategy::Events, Strategy::Flag] {
        let label = strategy.name();
        match samfix::check(&source, strategy) {
            Err(error) => {
                let _ = writeln!(
                    out,
                    "--- error ({label})\n{}",
                    report::error(&name, Some(&source), &error)
                );
            }
            Ok(checked) => {
                if strategy == Strategy::Auto {
                    let _ = write!(
                        out,
                        "--- report ({label})\n{}",
                        report::human(&name, &source, &checked)
                    );
                }
                let diff = match &checked.fixed {
                    Some(_) => report::diff(&name, &source, &checked.edits),
                    None => "(no change)\n".to_string(),
                };
                let refused: String = checked
                    .refusals
                    .iter()
                    .map(|r| format!("refused {}: {}\n", r.apis.join(", "), r.reason))
                    .collect();
                let _ = write!(out, "--- diff ({label})\n{refused}{diff}");
            }
        }
    }
    // Line endings are part of what is pinned: show them.
    out.replace('\r', "␍")
}
