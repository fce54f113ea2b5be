//! samfix-core for a web page. [`check`] takes a template's text, a strategy and the rules
//! to run, and returns an [`Outcome`]: the findings, warnings and errors with their lines
//! and columns (as `samfix --format json` gives them), the unified diff of the fix (as
//! `samfix --diff` prints it) and the fixed text (as `samfix --write` writes it). Nothing
//! leaves the page: this is the engine alone, with no I/O.
//!
//! The same functions are plain Rust off WebAssembly, which is how the tests call them.

use serde::Serialize;
use wasm_bindgen::prelude::*;

use samfix_core::diff::UnifiedDiff;
use samfix_core::text::LineIndex;
use samfix_core::{check_rules, CheckError, Checked, Rule, Strategy};

/// What one check of a template concluded.
#[wasm_bindgen]
pub struct Outcome {
    report: Report,
    diff: String,
    fixed: Option<String>,
}

#[wasm_bindgen]
impl Outcome {
    /// The findings, warnings and errors as a JSON document ([`Report`]).
    pub fn report(&self) -> String {
        serde_json::to_string(&self.report).expect("the report serializes")
    }

    /// The unified diff of the fix; empty when nothing changes or the check failed.
    pub fn diff(&self) -> String {
        self.diff.clone()
    }

    /// The text `samfix --write` leaves in the file: the fixed template, or the template
    /// itself when nothing needs a change. `undefined` when the template could not be
    /// checked or safely fixed, where `--write` leaves the file alone and reports an error.
    pub fn fixed(&self) -> Option<String> {
        self.fixed.clone()
    }

    /// Whether the fix changes the template.
    pub fn changed(&self) -> bool {
        self.report.changed
    }
}

/// The JSON of [`Outcome::report`]. Locations are 1-based lines and columns (columns in
/// characters), with the same names as `--format json`'s.
#[derive(Debug, Serialize)]
pub struct Report {
    /// What breaks a browser's call, in the order `--format json` lists them.
    pub findings: Vec<FindingOut>,
    /// What samfix could not read with certainty.
    pub warnings: Vec<WarningOut>,
    /// Why the template could not be checked or fixed; then there are no findings.
    pub errors: Vec<ErrorOut>,
    /// Whether the fix changes the template.
    pub changed: bool,
}

/// One finding.
#[derive(Debug, Serialize)]
pub struct FindingOut {
    /// The rule's id, e.g. `api-key-on-preflight`.
    pub rule: &'static str,
    /// The logical id of the API it is about.
    pub api: String,
    /// What goes wrong in the browser.
    pub message: String,
    /// What the setting at the location does.
    pub label: &'static str,
    /// The setting that causes it.
    pub setting: String,
    /// Where that setting is written.
    pub location: Location,
    /// Why the API has a preflight.
    pub preflight: String,
    /// The fix, or null.
    pub fix: Option<FixOut>,
    /// Why a person must decide instead, or null.
    pub needs_human: Option<String>,
    /// The kind of that reason, or null.
    pub needs_human_kind: Option<&'static str>,
}

/// The fix of a finding.
#[derive(Debug, Serialize)]
pub struct FixOut {
    /// `events` or `flag` (a rule's own fixes say `auto`).
    pub strategy: &'static str,
    /// Why this fix.
    pub reason: String,
    /// The changes to the template's values, one line each.
    pub changes: Vec<String>,
}

/// One warning.
#[derive(Debug, Serialize)]
pub struct WarningOut {
    /// What it is about.
    pub kind: &'static str,
    /// The rule that gives it, if a rule does.
    pub rule: Option<&'static str>,
    /// What samfix could not be sure of.
    pub message: String,
    /// How to make it clear.
    pub help: Option<String>,
    /// Where.
    pub location: Location,
}

/// Why a template could not be checked or fixed.
#[derive(Debug, Serialize)]
pub struct ErrorOut {
    /// What is wrong.
    pub message: String,
    /// Where, when it is about a place in the file.
    pub location: Option<Location>,
    /// Another place it is about, such as the first of two duplicate keys.
    pub related: Option<Location>,
}

/// A place in the text: 1-based lines and columns (in characters) of both ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Location {
    /// First line.
    pub start_line: usize,
    /// First column.
    pub start_column: usize,
    /// Last line.
    pub end_line: usize,
    /// Column just past the end.
    pub end_column: usize,
}

impl Location {
    fn of(lines: &LineIndex, range: std::ops::Range<usize>) -> Location {
        let (start_line, start_column) = lines.line_col(range.start);
        let (end_line, end_column) = lines.line_col(range.end);
        Location {
            start_line,
            start_column,
            end_line,
            end_column,
        }
    }
}

/// Checks `source` and plans its fix. `path` names the file in the diff's headers;
/// `strategy` is `auto`, `events` or `flag`; `select` lists rule ids separated by commas
/// (empty: every rule) and `ignore` the ones to leave out, as `--select` and `--ignore` do.
/// An unknown strategy or rule is an error.
#[wasm_bindgen]
pub fn check(
    source: &str,
    path: &str,
    strategy: &str,
    select: &str,
    ignore: &str,
) -> Result<Outcome, JsError> {
    let options = Options::parse(strategy, select, ignore).map_err(|e| JsError::new(&e))?;
    Ok(outcome(source, path, &options))
}

/// A strategy and the rules to run.
#[derive(Debug, Clone)]
pub struct Options {
    /// How a key on the preflight is fixed.
    pub strategy: Strategy,
    /// The rules that run.
    pub rules: Vec<Rule>,
}

impl Options {
    /// The options by name, as the command line takes them.
    pub fn parse(strategy: &str, select: &str, ignore: &str) -> Result<Options, String> {
        let strategy = strategy.parse()?;
        let ids = |list: &str| -> Result<Vec<Rule>, String> {
            list.split(',')
                .map(str::trim)
                .filter(|id| !id.is_empty())
                .map(|id| Rule::from_id(id).ok_or_else(|| format!("unknown rule `{id}`")))
                .collect()
        };
        let selected = ids(select)?;
        let ignored = ids(ignore)?;
        let selected = if selected.is_empty() {
            Rule::ALL.to_vec()
        } else {
            selected
        };
        Ok(Options {
            strategy,
            rules: selected
                .into_iter()
                .filter(|rule| !ignored.contains(rule))
                .collect(),
        })
    }
}

/// [`check`] with parsed options: what the tests call.
pub fn outcome(source: &str, path: &str, options: &Options) -> Outcome {
    let lines = LineIndex::new(source);
    match check_rules(source, options.strategy, &options.rules) {
        Ok(checked) => checked_outcome(source, path, &lines, checked),
        Err(error) => Outcome {
            report: Report {
                findings: Vec::new(),
                warnings: Vec::new(),
                errors: vec![error_out(&lines, &error)],
                changed: false,
            },
            diff: String::new(),
            fixed: None,
        },
    }
}

fn checked_outcome(source: &str, path: &str, lines: &LineIndex, checked: Checked) -> Outcome {
    let findings = checked
        .findings
        .iter()
        .map(|finding| {
            let refusal = finding.refusal.map(|index| &checked.refusals[index]);
            FindingOut {
                rule: finding.rule.id(),
                api: finding.api.clone(),
                message: finding.message.clone(),
                label: finding.label,
                setting: finding.setting.clone(),
                location: Location::of(lines, finding.span.clone()),
                preflight: finding.preflight.clone(),
                fix: finding.fix.map(|index| {
                    let fix = &checked.fixes[index];
                    FixOut {
                        strategy: fix.strategy.name(),
                        reason: fix.why.to_string(),
                        changes: fix.changes.iter().map(ToString::to_string).collect(),
                    }
                }),
                needs_human: refusal.map(|refusal| refusal.reason.to_string()),
                needs_human_kind: refusal.map(|refusal| refusal.reason.kind()),
            }
        })
        .collect();
    let warnings = checked
        .warnings
        .iter()
        .map(|warning| WarningOut {
            kind: warning.kind.name(),
            rule: warning.rule.map(|rule| rule.id()),
            message: warning.message.clone(),
            help: warning.help.clone(),
            location: Location::of(lines, warning.span.clone()),
        })
        .collect();
    let changed = checked.fixed.is_some();
    let diff = if changed {
        UnifiedDiff::new(path, source, &checked.edits).to_string()
    } else {
        String::new()
    };
    Outcome {
        report: Report {
            findings,
            warnings,
            errors: Vec::new(),
            changed,
        },
        diff,
        // `--write` leaves a template with nothing to fix as it is.
        fixed: Some(checked.fixed.unwrap_or_else(|| source.to_string())),
    }
}

fn error_out(lines: &LineIndex, error: &CheckError) -> ErrorOut {
    let at = |offset: Option<usize>| offset.map(|offset| Location::of(lines, offset..offset));
    ErrorOut {
        message: error.message.clone(),
        location: at(error.offset),
        related: at(error.related),
    }
}

/// Every rule as a JSON array of `{id, summary, fix, page}`, `page` being its
/// documentation in Markdown (what `samfix --explain` prints).
#[wasm_bindgen]
pub fn rules() -> String {
    #[derive(Serialize)]
    struct RuleOut {
        id: &'static str,
        summary: &'static str,
        fix: &'static str,
        page: &'static str,
    }
    let rules: Vec<_> = Rule::ALL
        .iter()
        .map(|rule| {
            let spec = rule.spec();
            RuleOut {
                id: spec.id,
                summary: spec.summary,
                fix: spec.fix,
                page: spec.page,
            }
        })
        .collect();
    serde_json::to_string(&rules).expect("the rules serialize")
}

/// The strategies by name, first the default.
#[wasm_bindgen]
pub fn strategies() -> Vec<String> {
    Strategy::ALL.iter().map(|s| s.name().to_string()).collect()
}

/// samfix's version.
#[wasm_bindgen]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXAMPLE: &str = include_str!("../../../examples/template.yaml");

    fn all(strategy: &str) -> Options {
        Options::parse(strategy, "", "").unwrap()
    }

    #[test]
    fn the_example_has_its_key_finding_and_the_cli_s_fix() {
        let outcome = outcome(EXAMPLE, "template.yaml", &all("auto"));
        let line = EXAMPLE
            .lines()
            .position(|line| line.contains("ApiKeyRequired: true"))
            .unwrap()
            + 1;
        let finding = outcome
            .report
            .findings
            .iter()
            .find(|finding| finding.rule == "api-key-on-preflight")
            .expect("the example's key is found");
        assert_eq!(finding.location.start_line, line);
        assert!(outcome.report.errors.is_empty());
        let fixed = outcome.fixed().unwrap();
        let expected = check_rules(EXAMPLE, Strategy::Auto, Rule::ALL)
            .unwrap()
            .fixed
            .unwrap();
        assert_eq!(fixed, expected);
        assert!(outcome
            .diff()
            .starts_with("--- a/template.yaml\n+++ b/template.yaml\n@@ "));
        let report: serde_json::Value = serde_json::from_str(&outcome.report()).unwrap();
        assert_eq!(report["changed"], true);
    }

    #[test]
    fn a_fixed_template_is_downloaded_as_it_is() {
        let fixed = outcome(EXAMPLE, "t.yaml", &all("flag")).fixed().unwrap();
        let again = outcome(&fixed, "t.yaml", &all("flag"));
        assert!(!again.changed());
        assert_eq!(again.diff(), "");
        assert_eq!(again.fixed().unwrap(), fixed);
    }

    #[test]
    fn invalid_yaml_is_an_error_with_its_line_and_column() {
        let source = "Transform: AWS::Serverless-2016-10-31\nResources:\n  Api: [unclosed\n";
        let outcome = outcome(source, "t.yaml", &all("auto"));
        assert!(outcome.fixed().is_none());
        assert!(outcome.report.findings.is_empty());
        let error = &outcome.report.errors[0];
        let location = error.location.expect("the error has a place");
        assert!(location.start_line >= 3, "{error:?}");
    }

    #[test]
    fn rules_are_selected_and_ignored_as_on_the_command_line() {
        let only = Options::parse("auto", "api-key-on-preflight", "").unwrap();
        assert_eq!(only.rules, [Rule::from_id("api-key-on-preflight").unwrap()]);
        let without = Options::parse("events", "", "api-key-on-preflight, origin-invalid").unwrap();
        assert_eq!(without.rules.len(), Rule::ALL.len() - 2);
        assert_eq!(without.strategy, Strategy::Events);
        assert!(Options::parse("auto", "no-such-rule", "").is_err());
        assert!(Options::parse("sometimes", "", "").is_err());
        let none = outcome(
            EXAMPLE,
            "t.yaml",
            &Options::parse("auto", "origin-invalid", "").unwrap(),
        );
        assert!(none
            .report
            .findings
            .iter()
            .all(|finding| finding.rule == "origin-invalid"));
    }

    #[test]
    fn every_rule_has_its_page() {
        let rules: Vec<serde_json::Value> = serde_json::from_str(&rules()).unwrap();
        assert_eq!(rules.len(), Rule::ALL.len());
        for rule in rules {
            assert!(rule["page"]
                .as_str()
                .unwrap()
                .contains(rule["id"].as_str().unwrap()));
        }
    }
}
