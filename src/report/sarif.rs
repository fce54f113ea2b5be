//! `--format sarif`: SARIF 2.1.0, as GitHub code scanning takes it. Findings and warnings
//! are results; files samfix could not check are tool execution notifications.

use serde::Serialize;

use super::{fix_of, listed, FileReport, Mode, Place, Totals};
use crate::text::LineIndex;
use crate::Rule;

const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";
/// The rule of every warning: a template samfix reads but has something to say about.
const WARNING_RULE: &str = "template-warning";

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Log {
    #[serde(rename = "$schema")]
    schema: &'static str,
    version: &'static str,
    runs: Vec<Run>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Run {
    tool: Tool,
    /// Columns count characters, as in every other samfix output.
    column_kind: &'static str,
    results: Vec<SarifResult>,
    invocations: Vec<Invocation>,
}

#[derive(Serialize)]
struct Tool {
    driver: Driver,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Driver {
    name: &'static str,
    version: &'static str,
    semantic_version: &'static str,
    rules: Vec<RuleDescriptor>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RuleDescriptor {
    id: &'static str,
    name: &'static str,
    short_description: Text,
    full_description: Text,
    help: Help,
    default_configuration: Configuration,
}

#[derive(Serialize)]
struct Text {
    text: String,
}

#[derive(Serialize)]
struct Help {
    text: String,
    markdown: String,
}

#[derive(Serialize)]
struct Configuration {
    level: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifResult {
    rule_id: &'static str,
    rule_index: usize,
    /// `pass` for a finding whose fix this run wrote; otherwise left out (a `fail`).
    #[serde(skip_serializing_if = "Option::is_none")]
    kind: Option<&'static str>,
    level: &'static str,
    message: Text,
    locations: Vec<Location>,
    partial_fingerprints: Fingerprints,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    fixes: Vec<SarifFix>,
}

#[derive(Serialize)]
struct Fingerprints {
    #[serde(rename = "samfix/v1")]
    samfix: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Location {
    physical_location: PhysicalLocation,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PhysicalLocation {
    artifact_location: ArtifactLocation,
    #[serde(skip_serializing_if = "Option::is_none")]
    region: Option<Region>,
}

#[derive(Serialize, Clone)]
#[serde(rename_all = "camelCase")]
struct ArtifactLocation {
    uri: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    uri_base_id: Option<&'static str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Region {
    start_line: usize,
    start_column: usize,
    end_line: usize,
    end_column: usize,
}

impl From<Place> for Region {
    fn from(place: Place) -> Self {
        Region {
            start_line: place.start_line,
            start_column: place.start_col,
            end_line: place.end_line,
            end_column: place.end_col,
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifFix {
    description: Text,
    artifact_changes: Vec<ArtifactChange>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ArtifactChange {
    artifact_location: ArtifactLocation,
    replacements: Vec<Replacement>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Replacement {
    deleted_region: ByteRegion,
    inserted_content: Text,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ByteRegion {
    byte_offset: usize,
    byte_length: usize,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Invocation {
    execution_successful: bool,
    exit_code: u8,
    tool_execution_notifications: Vec<Notification>,
}

#[derive(Serialize)]
struct Notification {
    level: &'static str,
    message: Text,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    locations: Vec<Location>,
}

/// The whole run as one SARIF log (with a final newline).
pub fn render(reports: &[&FileReport], run_warnings: &[String], mode: Mode) -> String {
    let totals = Totals::of(reports, mode);
    let mut results = Vec::new();
    let mut notifications: Vec<Notification> = run_warnings
        .iter()
        .map(|warning| Notification {
            level: "warning",
            message: Text {
                text: warning.clone(),
            },
            locations: Vec::new(),
        })
        .collect();
    for report in reports {
        file(report, &mut results, &mut notifications);
    }
    let log = Log {
        schema: SCHEMA,
        version: "2.1.0",
        runs: vec![Run {
            tool: Tool {
                driver: Driver {
                    name: "samfix",
                    version: env!("CARGO_PKG_VERSION"),
                    semantic_version: env!("CARGO_PKG_VERSION"),
                    rules: rules(),
                },
            },
            column_kind: "unicodeCodePoints",
            results,
            invocations: vec![Invocation {
                execution_successful: totals.errors == 0,
                exit_code: totals.exit_code(),
                tool_execution_notifications: notifications,
            }],
        }],
    };
    let mut text = serde_json::to_string_pretty(&log).expect("the SARIF log serializes");
    text.push('\n');
    text
}

fn rules() -> Vec<RuleDescriptor> {
    let mut rules: Vec<RuleDescriptor> = Rule::ALL
        .iter()
        .map(|rule| {
            let spec = rule.spec();
            RuleDescriptor {
                id: spec.id,
                name: spec.name,
                short_description: Text {
                    text: spec.summary.into(),
                },
                full_description: Text {
                    text: spec.description.into(),
                },
                help: Help {
                    text: spec.page.into(),
                    markdown: spec.page.into(),
                },
                default_configuration: Configuration { level: "error" },
            }
        })
        .collect();
    let warning_help = "samfix reads the template but could not be sure of something that decides a fix (an unresolved reference, an alias, a document-wide security setting); the message says what and how to make it clear.";
    rules.push(RuleDescriptor {
        id: WARNING_RULE,
        name: "TemplateWarning",
        short_description: Text {
            text: "Something in the template limits what samfix can check or fix".into(),
        },
        full_description: Text {
            text: warning_help.into(),
        },
        help: Help {
            text: warning_help.into(),
            markdown: warning_help.into(),
        },
        default_configuration: Configuration { level: "warning" },
    });
    rules
}

fn rule_index(id: &str) -> usize {
    Rule::ALL
        .iter()
        .position(|rule| rule.id() == id)
        .unwrap_or(Rule::ALL.len())
}

fn file(report: &FileReport, results: &mut Vec<SarifResult>, notes: &mut Vec<Notification>) {
    let artifact = ArtifactLocation {
        uri: uri_of(&report.path),
        uri_base_id: (!report.path.starts_with('/')).then_some("%SRCROOT%"),
    };
    let source = report.source.as_deref().unwrap_or("");
    let lines = LineIndex::new(source);
    let location = |range: Option<std::ops::Range<usize>>| Location {
        physical_location: PhysicalLocation {
            artifact_location: artifact.clone(),
            region: range.map(|range| Region::from(Place::of(&lines, range))),
        },
    };
    for error in &report.errors {
        let offset = error.offset.filter(|_| report.source.is_some());
        notes.push(Notification {
            level: "error",
            message: Text {
                text: format!("{}: {}", report.path, error.message),
            },
            locations: vec![location(offset.map(|offset| offset..offset))],
        });
    }
    let Some(checked) = &report.checked else {
        return;
    };
    // All of a file's fixes are verified together, so each result carries the file's whole
    // set of edits: applying it fixes every finding of the file.
    let file_fix = |description: String| SarifFix {
        description: Text { text: description },
        artifact_changes: vec![ArtifactChange {
            artifact_location: artifact.clone(),
            replacements: checked
                .edits
                .iter()
                .map(|edit| Replacement {
                    deleted_region: ByteRegion {
                        byte_offset: edit.range.start,
                        byte_length: edit.range.len(),
                    },
                    inserted_content: Text {
                        text: edit.content.clone(),
                    },
                })
                .collect(),
        }],
    };
    for finding in &checked.findings {
        let fix = fix_of(checked, finding).filter(|_| !checked.edits.is_empty());
        let mut message = finding.message.clone();
        message.push_str(&format!(
            " ({}; preflight: {})",
            finding.setting, finding.preflight
        ));
        // A fix this run wrote leaves nothing to alert on: the result passes.
        let fixed = report.is_fixed(finding);
        results.push(SarifResult {
            rule_id: finding.rule.id(),
            rule_index: rule_index(finding.rule.id()),
            kind: fixed.then_some("pass"),
            level: if fixed { "none" } else { "error" },
            message: Text { text: message },
            locations: vec![location(Some(finding.span.clone()))],
            partial_fingerprints: Fingerprints {
                samfix: fingerprint(&[
                    finding.rule.id(),
                    &report.path,
                    &finding.api,
                    // Where its setting is written: the map that holds it.
                    finding
                        .setting
                        .rsplit_once('.')
                        .map_or(finding.setting.as_str(), |(map, _)| map),
                ]),
            },
            fixes: fix
                .map(|fix| {
                    file_fix(format!(
                        "{} ({}): {}",
                        fix.strategy,
                        fix.why,
                        listed(fix.changes.iter().map(ToString::to_string), "; ")
                    ))
                })
                .into_iter()
                .collect(),
        });
    }
    for note in &checked.warnings {
        let mut message = note.message.clone();
        if let Some(help) = &note.help {
            message.push_str(&format!(" ({help})"));
        }
        // A rule's note is a result of that rule, at warning level.
        let (rule_id, rule_index) = match note.rule {
            Some(rule) => (rule.id(), rule.index()),
            None => (WARNING_RULE, Rule::ALL.len()),
        };
        results.push(SarifResult {
            rule_id,
            rule_index,
            kind: None,
            level: "warning",
            message: Text { text: message },
            locations: vec![location(Some(note.span.clone()))],
            partial_fingerprints: Fingerprints {
                samfix: fingerprint(&[rule_id, &report.path, &note.message]),
            },
            fixes: Vec::new(),
        });
    }
}

/// A relative path as a URI reference: every byte but unreserved ones and `/` escaped.
/// An absolute path becomes a `file://` URI.
fn uri_of(path: &str) -> String {
    let mut uri = String::new();
    if path.starts_with('/') {
        uri.push_str("file://");
    }
    for byte in path.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~/".contains(&byte) {
            uri.push(byte as char);
        } else {
            uri.push_str(&format!("%{byte:02X}"));
        }
    }
    uri
}

/// FNV-1a (64 bits) of the parts: the same finding keeps its fingerprint across runs,
/// samfix versions and machines, as code scanning needs to match alerts.
fn fingerprint(parts: &[&str]) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for &byte in part.as_bytes().iter().chain(&[0]) {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    format!("{hash:016x}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_escape_what_is_not_a_path_character() {
        assert_eq!(uri_of("dir/a b%.yaml"), "dir/a%20b%25.yaml");
        assert_eq!(uri_of("/abs/t.yaml"), "file:///abs/t.yaml");
        assert_eq!(uri_of("<stdin>"), "%3Cstdin%3E");
    }

    #[test]
    fn fingerprints_are_stable_and_separate_their_parts() {
        assert_eq!(fingerprint(&[]), "cbf29ce484222325");
        assert_ne!(fingerprint(&["ab", "c"]), fingerprint(&["a", "bc"]));
        assert_eq!(
            fingerprint(&["rule", "t.yaml", "Api"]),
            fingerprint(&["rule", "t.yaml", "Api"])
        );
    }
}
