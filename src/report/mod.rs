//! What samfix prints about the templates it checked: one [`FileReport`] per file, rendered
//! for people ([`human`](mod@human)), as JSON ([`json`]), as SARIF ([`sarif`]) or as GitHub workflow
//! commands ([`github`]).

pub mod concise;
pub mod github;
pub mod human;
pub mod json;
pub mod sarif;

use std::ops::Range;

use crate::text::LineIndex;
use crate::{CheckError, Checked, Finding, Fix, Refusal};

pub use human::{human, Style};

/// What one run does with the fixes; it decides what counts as still pending.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Check,
    Diff,
    Write,
}

impl Mode {
    pub fn name(self) -> &'static str {
        match self {
            Mode::Check => "check",
            Mode::Diff => "diff",
            Mode::Write => "write",
        }
    }
}

/// Everything samfix learned about one path: a template it checked, or a file or directory
/// it could not.
#[derive(Debug, Clone)]
pub struct FileReport {
    /// The path as the user sees it (`<stdin>` for standard input).
    pub path: String,
    /// Counted in "files checked": false for a directory that could not be walked.
    pub is_file: bool,
    /// The text, once it was read as UTF-8.
    pub source: Option<String>,
    pub checked: Option<Checked>,
    /// Why it could not be read, checked or written; offsets are into `source`.
    pub errors: Vec<CheckError>,
    /// `--write` replaced the file (or printed the fixed template, for `-`).
    pub written: bool,
}

impl FileReport {
    pub fn new(path: String) -> Self {
        FileReport {
            path,
            is_file: true,
            source: None,
            checked: None,
            errors: Vec::new(),
            written: false,
        }
    }

    pub fn with_error(mut self, message: impl Into<String>) -> Self {
        self.errors.push(CheckError {
            offset: None,
            message: message.into(),
            related: None,
        });
        self
    }

    /// Whether this run wrote the fix of `finding`: `--write` replaced the file (or printed
    /// the fixed template), and the finding had a fix.
    pub fn is_fixed(&self, finding: &Finding) -> bool {
        self.written && finding.fix.is_some()
    }

    /// The number of APIs whose fix is planned.
    pub fn fixable(&self) -> usize {
        self.checked.as_ref().map_or(0, |checked| {
            checked.fixes.iter().map(|fix| fix.apis.len()).sum()
        })
    }
}

/// The counts of the closing summary line.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Totals {
    pub files: usize,
    pub findings: usize,
    pub fixable: usize,
    pub fixed_files: usize,
    /// Findings still pending after this run: every finding unless `--write` fixed it.
    pub pending: usize,
    pub errors: usize,
    /// The templates' warnings: what samfix could not be sure of.
    pub warnings: usize,
}

impl Totals {
    pub fn of(reports: &[&FileReport], mode: Mode) -> Totals {
        let mut totals = Totals::default();
        for report in reports {
            totals.files += usize::from(report.is_file);
            totals.errors += report.errors.len();
            totals.fixed_files += usize::from(report.written);
            totals.fixable += report.fixable();
            if let Some(checked) = &report.checked {
                totals.findings += checked.findings.len();
                totals.warnings += checked.warnings.len();
                totals.pending += match mode {
                    Mode::Check | Mode::Diff => checked.findings.len(),
                    Mode::Write => checked.refusals.iter().map(|r| r.apis.len()).sum(),
                };
            }
        }
        totals
    }

    /// 0 nothing left to do (nothing found, or everything fixed), 1 something left to fix
    /// (a fix pending, or a finding samfix leaves to a person), 2 an error.
    pub fn exit_code(&self) -> u8 {
        if self.errors > 0 {
            2
        } else if self.pending > 0 {
            1
        } else {
            0
        }
    }

    pub fn summary(&self, mode: Mode) -> String {
        let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
        let fixed = if mode == Mode::Write {
            format!(", {} fixed", plural(self.fixed_files, "file"))
        } else {
            String::new()
        };
        // Warnings are named only when there are some, so the usual line stays short.
        let warnings = if self.warnings > 0 {
            format!(", {}", plural(self.warnings, "warning"))
        } else {
            String::new()
        };
        format!(
            "{} checked: {}, {} fixable{fixed}{warnings}, {}",
            plural(self.files, "file"),
            plural(self.findings, "finding"),
            self.fixable,
            plural(self.errors, "error")
        )
    }
}

/// A place in a file: byte range and 1-based line and column (in characters) of both ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Place {
    pub start: usize,
    pub end: usize,
    pub start_line: usize,
    pub start_col: usize,
    pub end_line: usize,
    pub end_col: usize,
}

impl Place {
    pub fn of(lines: &LineIndex, range: Range<usize>) -> Place {
        let (start_line, start_col) = lines.line_col(range.start);
        let (end_line, end_col) = lines.line_col(range.end);
        Place {
            start: range.start,
            end: range.end,
            start_line,
            start_col,
            end_line,
            end_col,
        }
    }
}

/// The fix planned for a finding, if there is one.
pub fn fix_of<'c>(checked: &'c Checked, finding: &Finding) -> Option<&'c Fix> {
    finding.fix.map(|index| &checked.fixes[index])
}

/// Why a finding is left for a human, if it is.
pub fn refusal_of<'c>(checked: &'c Checked, finding: &Finding) -> Option<&'c Refusal> {
    finding.refusal.map(|index| &checked.refusals[index])
}

/// The events of a finding's API, the first few named.
pub fn finding_events(finding: &Finding) -> String {
    if finding.events.is_empty() {
        "none".to_string()
    } else {
        listed(finding.events.iter().cloned(), ", ")
    }
}

/// The lines under a finding's headline: the setting, the preflight, the events, and the
/// fix or why there is none.
pub fn finding_details(checked: &Checked, finding: &Finding) -> Vec<String> {
    let mut details = vec![
        format!("{}: {}", finding.setting_kind, finding.setting),
        format!("preflight: {}", finding.preflight),
        format!("events: {}", finding_events(finding)),
    ];
    if let Some(fix) = fix_of(checked, finding) {
        details.push(format!("fix ({}): {}", fix.strategy, fix.why));
    }
    if let Some(refusal) = refusal_of(checked, finding) {
        details.push(format!("needs a human: {}", refusal.reason));
    }
    details
}

/// How many events or changes a text report names before it counts the rest: a Globals
/// key can reach thousands of events, and `--format json` lists them all.
const LISTED: usize = 8;

/// The first items joined by `separator`, then how many more there are.
pub fn listed<I: IntoIterator<Item = String>>(items: I, separator: &str) -> String {
    let mut items = items.into_iter();
    let mut text = items
        .by_ref()
        .take(LISTED)
        .collect::<Vec<_>>()
        .join(separator);
    let rest = items.count();
    if rest > 0 {
        text.push_str(&format!("{separator}and {rest} more"));
    }
    text
}

/// A unified diff that `git apply` accepts.
pub fn diff(path: &str, before: &str, edits: &[crate::Edit]) -> String {
    crate::diff::UnifiedDiff::new(path, before, edits).to_string()
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
pub fn error_text(source: &str, error: &CheckError) -> String {
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
    fn long_lists_name_the_first_items_and_count_the_rest() {
        let names = |n: usize| (1..=n).map(|i| format!("E{i}"));
        assert_eq!(listed(names(2), ", "), "E1, E2");
        assert_eq!(
            listed(names(LISTED), "; ").matches("; ").count(),
            LISTED - 1
        );
        assert_eq!(
            listed(names(LISTED + 1000), ", "),
            "E1, E2, E3, E4, E5, E6, E7, E8, and 1000 more"
        );
    }
}
