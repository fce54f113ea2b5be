//! GitHub workflow commands (`::warning file=...::...`), which annotate a pull request.

use std::fmt::Write as _;

use std::ops::Range;

use super::{error_text, finding_details, FileReport, Place};
use crate::text::LineIndex;
use crate::{CheckError, Checked};

/// One annotation per finding (`::error`, as the human and SARIF reports rate it) and per
/// warning (`::warning`), its details on the following lines of the annotation.
pub fn github(path: &str, source: &str, checked: &Checked) -> String {
    annotations(path, source, checked, false)
}

/// [`github`]; when `written`, the findings whose fix this run wrote are `::notice`s that
/// say so.
fn annotations(path: &str, source: &str, checked: &Checked, written: bool) -> String {
    let lines = LineIndex::new(source);
    let mut out = String::new();
    let mut annotate = |command: &str,
                        span: Range<usize>,
                        title: String,
                        message: String,
                        details: Vec<String>| {
        let place = Place::of(&lines, span);
        let message = std::iter::once(message)
            .chain(details)
            .collect::<Vec<_>>()
            .join("\n");
        let _ = writeln!(
            out,
            "::{command} file={},line={},col={},endLine={},endColumn={},title={}::{}",
            escape_property(path),
            place.start_line,
            place.start_col,
            place.end_line,
            place.end_col,
            escape_property(&title),
            escape_data(&message)
        );
    };
    for finding in &checked.findings {
        let (command, title) = if written && finding.fix.is_some() {
            ("notice", format!("samfix: fixed {}", finding.rule.id()))
        } else {
            ("error", format!("samfix: {}", finding.rule.id()))
        };
        annotate(
            command,
            finding.span.clone(),
            title,
            finding.message.clone(),
            finding_details(checked, finding),
        );
    }
    for note in &checked.warnings {
        annotate(
            "warning",
            note.span.clone(),
            match note.rule {
                Some(rule) => format!("samfix: warning {rule}"),
                None => "samfix: warning".to_string(),
            },
            note.message.clone(),
            note.help
                .iter()
                .map(|help| format!("help: {help}"))
                .collect(),
        );
    }
    out
}

/// The error as a `::error` workflow command.
pub fn github_error(path: &str, source: Option<&str>, error: &CheckError) -> String {
    let (position, text) = match error.offset.zip(source) {
        Some((offset, source)) => {
            let (line, col) = LineIndex::new(source).line_col(offset);
            (format!(",line={line},col={col}"), error_text(source, error))
        }
        None => (String::new(), error.message.clone()),
    };
    format!(
        "::error file={}{position},title=samfix%3A error::{}\n",
        escape_property(path),
        escape_data(&text)
    )
}

/// Every annotation of one file: findings and warnings, then errors.
pub fn file(report: &FileReport) -> String {
    let mut out = match (&report.source, &report.checked) {
        (Some(source), Some(checked)) => annotations(&report.path, source, checked, report.written),
        _ => String::new(),
    };
    for error in &report.errors {
        out.push_str(&github_error(&report.path, report.source.as_deref(), error));
    }
    out
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Strategy;

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
        assert_eq!(out.lines().count(), checked.findings.len(), "{out}");
        assert!(out.starts_with(
            "::error file=t%2C1.yaml,line=9,col=9,endLine=9,endColumn=23,title=samfix%3A api-key-on-preflight::`SampleApi` requires an API key on its CORS preflight, which browsers send without one%0Akey: SampleApi.Properties.Auth.ApiKeyRequired%0A"
        ), "{out}");
    }
}
