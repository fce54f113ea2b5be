//! `--format json`: one document for the whole run, described in `docs/json-format.md`.
//! Bump [`SCHEMA_VERSION`] whenever a field changes meaning or goes away.

use serde::Serialize;

use super::{fix_of, refusal_of, FileReport, Mode, Place, Totals};
use crate::text::LineIndex;
use crate::{CheckError, Strategy, WrittenIn};

pub const SCHEMA_VERSION: u32 = 1;

#[derive(Serialize)]
pub struct Document<'a> {
    pub schema_version: u32,
    pub tool: Tool,
    pub mode: &'static str,
    pub strategy: &'static str,
    pub files: Vec<File<'a>>,
    /// Warnings about the run rather than a file: a directory that holds no template.
    pub run_warnings: Vec<RunWarning<'a>>,
    pub summary: Summary,
}

#[derive(Serialize)]
pub struct RunWarning<'a> {
    pub message: &'a str,
}

#[derive(Serialize)]
pub struct Tool {
    pub name: &'static str,
    pub version: &'static str,
}

#[derive(Serialize)]
pub struct File<'a> {
    pub path: &'a str,
    pub findings: Vec<FindingJson<'a>>,
    pub warnings: Vec<Warning<'a>>,
    pub edits: Vec<EditJson<'a>>,
    pub written: bool,
    pub errors: Vec<ErrorJson>,
}

#[derive(Serialize)]
pub struct FindingJson<'a> {
    pub rule: &'static str,
    pub api: &'a str,
    pub message: String,
    /// Where the setting is written: `Globals.Api.Auth` or an API's `Auth`.
    pub setting: String,
    pub setting_in: SettingIn<'a>,
    pub location: Location,
    pub preflight: &'a str,
    pub events: &'a [String],
    /// The planned fix, or null when there is none.
    pub fix: Option<FixJson<'a>>,
    /// Why no fix is made, or null.
    pub needs_human: Option<String>,
    /// The kind of that reason (`docs/json-format.md` lists them), or null.
    pub needs_human_kind: Option<&'static str>,
    /// `--write` wrote its fix in this run.
    pub fixed: bool,
}

#[derive(Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum SettingIn<'a> {
    Globals,
    Api { api: &'a str },
}

#[derive(Serialize)]
pub struct FixJson<'a> {
    pub strategy: &'static str,
    pub reason: String,
    /// The kind of that reason: `key-moved-to-events`, `preflight-flag` or
    /// `not-moved-to-events`.
    pub reason_kind: &'static str,
    /// Every API the same fix covers.
    pub apis: &'a [String],
    pub changes: Vec<String>,
}

#[derive(Serialize)]
pub struct Warning<'a> {
    /// What the warning is about (`docs/json-format.md` lists the kinds).
    pub kind: &'static str,
    /// The rule that gives it; null for what samfix notes while it reads the template.
    pub rule: Option<&'static str>,
    pub message: &'a str,
    pub help: Option<&'a str>,
    pub location: Location,
}

#[derive(Serialize)]
pub struct EditJson<'a> {
    /// The bytes replaced (empty for a pure insertion).
    pub location: Location,
    pub deleted: &'a str,
    pub inserted: &'a str,
}

#[derive(Serialize)]
pub struct ErrorJson {
    pub message: String,
    pub location: Option<Location>,
    pub related: Option<Location>,
}

/// A byte range (end exclusive) and its 1-based line and column (in characters) ends.
#[derive(Serialize)]
pub struct Location {
    pub byte_start: usize,
    pub byte_end: usize,
    pub start_line: usize,
    pub start_column: usize,
    pub end_line: usize,
    pub end_column: usize,
}

impl From<Place> for Location {
    fn from(place: Place) -> Self {
        Location {
            byte_start: place.start,
            byte_end: place.end,
            start_line: place.start_line,
            start_column: place.start_col,
            end_line: place.end_line,
            end_column: place.end_col,
        }
    }
}

#[derive(Serialize)]
pub struct Summary {
    pub files: usize,
    pub findings: usize,
    pub fixable: usize,
    pub fixed: usize,
    pub warnings: usize,
    pub errors: usize,
    pub exit_code: u8,
}

/// The whole run as one JSON document (with a final newline).
pub fn render(
    reports: &[&FileReport],
    run_warnings: &[String],
    mode: Mode,
    strategy: Strategy,
) -> String {
    let totals = Totals::of(reports, mode);
    let document = Document {
        schema_version: SCHEMA_VERSION,
        tool: Tool {
            name: "samfix",
            version: env!("CARGO_PKG_VERSION"),
        },
        mode: mode.name(),
        strategy: strategy.name(),
        files: reports.iter().map(|report| file(report)).collect(),
        run_warnings: run_warnings
            .iter()
            .map(|message| RunWarning { message })
            .collect(),
        summary: Summary {
            files: totals.files,
            findings: totals.findings,
            fixable: totals.fixable,
            fixed: totals.fixed_files,
            warnings: totals.warnings,
            errors: totals.errors,
            exit_code: totals.exit_code(),
        },
    };
    let mut text = serde_json::to_string_pretty(&document).expect("the report serializes");
    text.push('\n');
    text
}

fn file(report: &FileReport) -> File<'_> {
    let source = report.source.as_deref().unwrap_or("");
    let lines = LineIndex::new(source);
    let place = |range: std::ops::Range<usize>| Location::from(Place::of(&lines, range));
    let mut out = File {
        path: &report.path,
        findings: Vec::new(),
        warnings: Vec::new(),
        edits: Vec::new(),
        written: report.written,
        errors: report
            .errors
            .iter()
            .map(|error| error_json(report.source.as_deref(), &lines, error))
            .collect(),
    };
    let Some(checked) = &report.checked else {
        return out;
    };
    out.findings = checked
        .findings
        .iter()
        .map(|finding| FindingJson {
            rule: finding.rule.id(),
            api: &finding.api,
            message: finding.message.clone(),
            setting: finding.setting.clone(),
            setting_in: match &finding.written_in {
                WrittenIn::Globals => SettingIn::Globals,
                WrittenIn::Api(api) => SettingIn::Api { api },
            },
            location: place(finding.span.clone()),
            preflight: &finding.preflight,
            events: &finding.events,
            fix: fix_of(checked, finding).map(|fix| FixJson {
                strategy: fix.strategy.name(),
                reason: fix.why.to_string(),
                reason_kind: fix.why.kind(),
                apis: &fix.apis,
                changes: fix.changes.iter().map(ToString::to_string).collect(),
            }),
            needs_human: refusal_of(checked, finding).map(|refusal| refusal.reason.to_string()),
            needs_human_kind: refusal_of(checked, finding).map(|refusal| refusal.reason.kind()),
            fixed: report.is_fixed(finding),
        })
        .collect();
    out.warnings = checked
        .warnings
        .iter()
        .map(|note| Warning {
            kind: note.kind.name(),
            rule: note.rule.map(|rule| rule.id()),
            message: &note.message,
            help: note.help.as_deref(),
            location: place(note.span.clone()),
        })
        .collect();
    out.edits = checked
        .edits
        .iter()
        .map(|edit| EditJson {
            location: place(edit.range.clone()),
            deleted: &source[edit.range.clone()],
            inserted: &edit.content,
        })
        .collect();
    out
}

fn error_json(source: Option<&str>, lines: &LineIndex, error: &CheckError) -> ErrorJson {
    let at = |offset: Option<usize>| {
        offset
            .filter(|_| source.is_some())
            .map(|offset| Location::from(Place::of(lines, offset..offset)))
    };
    ErrorJson {
        message: error.message.clone(),
        location: at(error.offset),
        related: at(error.related),
    }
}
