//! What samfix prints about a template.

use std::fmt::Write as _;

use crate::analyze::Rule;
use crate::plan::Strategy;
use crate::text::LineIndex;
use crate::{CheckError, Checked};

/// Findings, fixes, refusals and warnings, one compiler-style block each.
pub fn human(path: &str, source: &str, checked: &Checked) -> String {
    let mut out = String::new();
    for item in items(source, checked) {
        let _ = writeln!(
            out,
            "{path}:{}:{}: {}: {}",
            item.line, item.col, item.kind, item.message
        );
        for detail in &item.details {
            let _ = writeln!(out, "  {detail}");
        }
    }
    out
}

/// GitHub workflow commands: one `::warning` per finding or warning, its details on the
/// following lines of the annotation.
pub fn github(path: &str, source: &str, checked: &Checked) -> String {
    let mut out = String::new();
    for item in items(source, checked) {
        let message = std::iter::once(item.message.as_str())
            .chain(item.details.iter().map(String::as_str))
            .collect::<Vec<_>>()
            .join("\n");
        let _ = writeln!(
            out,
            "::warning file={},line={},col={},title={}::{}",
            escape_property(path),
            item.line,
            item.col,
            escape_property(&format!("samfix: {}", item.kind)),
            escape_data(&message)
        );
    }
    out
}

/// The error as a `::error` workflow command.
pub fn github_error(path: &str, source: &str, error: &CheckError) -> String {
    let position = error
        .offset
        .map(|offset| {
            let (line, col) = LineIndex::new(source).line_col(offset);
            format!(",line={line},col={col}")
        })
        .unwrap_or_default();
    let text = error_text(source, error);
    format!(
        "::error file={}{position},title=samfix%3A error::{}\n",
        escape_property(path),
        escape_data(&text)
    )
}

/// What GitHub requires escaped in a workflow command's message.
fn escape_data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// ...and in its properties (`file=`, `title=`).
fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

/// One reported thing at one place.
struct Item {
    line: usize,
    col: usize,
    kind: &'static str,
    message: String,
    details: Vec<String>,
}

fn items(source: &str, checked: &Checked) -> Vec<Item> {
    let lines = LineIndex::new(source);
    let mut items = Vec::new();
    for finding in &checked.findings {
        let (line, col) = lines.line_col(finding.key_span.start);
        let events = if finding.events.is_empty() {
            "none".to_string()
        } else {
            finding.events.join(", ")
        };
        let (what, message) = match finding.rule {
            Rule::ApiKeyOnPreflight => (
                "key",
                format!(
                    "`{}` requires an API key on its CORS preflight, which browsers send without one",
                    finding.api
                ),
            ),
            Rule::AuthorizerOnPreflight => (
                "authorizer",
                format!(
                    "`{}` puts its default authorizer on its CORS preflight, which browsers send without credentials",
                    finding.api
                ),
            ),
        };
        let mut details = vec![
            format!(
                "{what}: {}.{}",
                finding.source.describe(),
                finding.rule.setting()
            ),
            format!("preflight: {}", finding.preflight),
            format!("events: {events}"),
        ];
        if let Some(fix) = checked
            .fixes
            .iter()
            .find(|fix| fix.rule == finding.rule && fix.apis.contains(&finding.api))
        {
            details.push(format!(
                "fix ({}): {}",
                strategy_name(fix.strategy),
                fix.reason
            ));
        }
        if let Some(refusal) = checked
            .refusals
            .iter()
            .find(|r| r.rule == finding.rule && r.apis.contains(&finding.api))
        {
            details.push(format!("needs a human: {}", refusal.reason));
        }
        items.push(Item {
            line,
            col,
            kind: finding.rule.id(),
            message,
            details,
        });
    }
    for note in &checked.notes {
        let (line, col) = lines.line_col(note.span.start);
        items.push(Item {
            line,
            col,
            kind: "warning",
            message: note.message.clone(),
            details: note
                .help
                .iter()
                .map(|help| format!("help: {help}"))
                .collect(),
        });
    }
    items
}

pub fn strategy_name(strategy: Strategy) -> &'static str {
    match strategy {
        Strategy::Auto => "auto",
        Strategy::Events => "events",
        Strategy::Flag => "flag",
    }
}

/// A unified diff that `git apply` accepts.
pub fn diff(path: &str, before: &str, after: &str, edits: &[crate::edits::Edit]) -> String {
    crate::diff::UnifiedDiff::new(path, before, after, edits).to_string()
}

/// One line: where and what.
pub fn error(path: &str, source: Option<&str>, error: &CheckError) -> String {
    let Some((offset, source)) = error.offset.zip(source) else {
        return format!("{path}: error: {}", error.message);
    };
    let (line, col) = LineIndex::new(source).line_col(offset);
    format!("{path}:{line}:{col}: error: {}", error_text(source, error))
}

/// The message, with the other place it is about.
fn error_text(source: &str, error: &CheckError) -> String {
    let related = error
        .related
        .map(|other| {
            let (line, col) = LineIndex::new(source).line_col(other);
            format!(" (first at line {line}, column {col})")
        })
        .unwrap_or_default();
    format!("{}{related}", error.message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn workflow_commands_escape_what_github_requires() {
        assert_eq!(
            escape_data("100% done\r\nnext: a,b"),
            "100%25 done%0D%0Anext: a,b"
        );
        assert_eq!(escape_property("dir/a,b:c.yaml"), "dir/a%2Cb%3Ac.yaml");
    }

    #[test]
    fn a_finding_becomes_one_annotation_with_its_details() {
        let source = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/resource_key.yaml"
        ))
        .unwrap();
        let checked = crate::check(&source, Strategy::Auto).unwrap();
        let out = github("t,1.yaml", &source, &checked);
        assert_eq!(out.lines().count(), 1, "{out}");
        assert!(out.starts_with(
            "::warning file=t%2C1.yaml,line=9,col=9,title=samfix%3A api-key-on-preflight::`SampleApi` requires an API key on its CORS preflight, which browsers send without one%0Akey: SampleApi.Properties.Auth.ApiKeyRequired%0A"
        ), "{out}");
    }
}
