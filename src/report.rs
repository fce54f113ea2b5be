//! What samfix prints about a template.

use std::fmt::Write as _;

use crate::analyze::RULE;
use crate::plan::Strategy;
use crate::text::LineIndex;
use crate::{CheckError, Checked};

/// Findings, fixes, refusals and warnings, one compiler-style block each.
pub fn human(path: &str, source: &str, checked: &Checked) -> String {
    let lines = LineIndex::new(source);
    let mut out = String::new();
    for finding in &checked.findings {
        let (line, col) = lines.line_col(finding.key_span.start);
        let _ = writeln!(
            out,
            "{path}:{line}:{col}: {RULE}: `{}` requires an API key on its CORS preflight, which browsers send without one",
            finding.api
        );
        let _ = writeln!(out, "  key: {}.ApiKeyRequired", finding.source.describe());
        let _ = writeln!(out, "  preflight: {}", finding.preflight);
        let events = if finding.events.is_empty() {
            "none".to_string()
        } else {
            finding.events.join(", ")
        };
        let _ = writeln!(out, "  events: {events}");
        if let Some(fix) = checked
            .fixes
            .iter()
            .find(|fix| fix.apis.contains(&finding.api))
        {
            let _ = writeln!(
                out,
                "  fix ({}): {}",
                strategy_name(fix.strategy),
                fix.reason
            );
        }
        if let Some(refusal) = checked
            .refusals
            .iter()
            .find(|r| r.apis.contains(&finding.api))
        {
            let _ = writeln!(out, "  needs a human: {}", refusal.reason);
        }
    }
    for note in &checked.notes {
        let (line, col) = lines.line_col(note.span.start);
        let _ = writeln!(out, "{path}:{line}:{col}: warning: {}", note.message);
        if let Some(help) = &note.help {
            let _ = writeln!(out, "  help: {help}");
        }
    }
    out
}

pub fn strategy_name(strategy: Strategy) -> &'static str {
    match strategy {
        Strategy::Auto => "auto",
        Strategy::Events => "events",
        Strategy::Flag => "flag",
    }
}

/// A unified diff that `git apply` accepts.
pub fn diff(path: &str, before: &str, after: &str) -> String {
    let path = path.trim_start_matches('/');
    similar::TextDiff::from_lines(before, after)
        .unified_diff()
        .context_radius(3)
        .missing_newline_hint(true)
        .header(&format!("a/{path}"), &format!("b/{path}"))
        .to_string()
}

/// One line: where and what.
pub fn error(path: &str, source: Option<&str>, error: &CheckError) -> String {
    let Some((offset, source)) = error.offset.zip(source) else {
        return format!("{path}: error: {}", error.message);
    };
    let lines = LineIndex::new(source);
    let (line, col) = lines.line_col(offset);
    let related = error
        .related
        .map(|other| {
            let (line, col) = lines.line_col(other);
            format!(" (first at line {line}, column {col})")
        })
        .unwrap_or_default();
    format!("{path}:{line}:{col}: error: {}{related}", error.message)
}
