//! `--output-format concise`: one line per finding, warning and error, as compilers and
//! linters print them (`path:line:col: rule-id message`), for editors and `grep`.

use std::fmt::Write as _;

use super::FileReport;
use crate::text::LineIndex;

/// The lines of one file's findings and warnings. A finding whose fix this run wrote says
/// `[fixed]` after its rule; a warning says `warning`, with its rule when a rule gives it.
pub fn file(report: &FileReport) -> String {
    let (Some(source), Some(checked)) = (&report.source, &report.checked) else {
        return String::new();
    };
    let lines = LineIndex::new(source);
    let mut out = String::new();
    for finding in &checked.findings {
        let (line, col) = lines.line_col(finding.span.start);
        let fixed = if report.is_fixed(finding) {
            " [fixed]"
        } else {
            ""
        };
        let _ = writeln!(
            out,
            "{}:{line}:{col}: {}{fixed} {}",
            report.path,
            finding.rule.id(),
            one_line(&finding.message)
        );
    }
    for note in &checked.warnings {
        let (line, col) = lines.line_col(note.span.start);
        let _ = writeln!(
            out,
            "{}:{line}:{col}: warning{} {}",
            report.path,
            note.rule
                .map(|rule| format!("[{rule}]"))
                .unwrap_or_default(),
            one_line(&note.message)
        );
    }
    out
}

/// A message on one line, whatever it quotes.
fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}
