//! samfix: finds AWS SAM APIs whose API key is required on the CORS preflight, and fixes
//! them with the smallest text edit the SAM translator agrees with.
//!
//! The pipeline, one module each: [`parse`] → [`model`] → [`analyze`] → [`plan`] →
//! [`edits`] → [`verify`] → [`report`].

pub mod analyze;
pub mod cli;
pub mod diff;
pub mod edits;
pub mod model;
pub mod parse;
pub mod plan;
pub mod report;
pub mod text;
pub mod verify;

pub use analyze::Rule;
use analyze::{KeySource, Note};
use edits::Edit;
use parse::Span;
use plan::{Fix, Refusal, Strategy};

/// A finding, detached from the parsed tree.
#[derive(Debug, Clone)]
pub struct Finding {
    pub rule: Rule,
    pub api: String,
    pub source: KeySource,
    pub key_span: Span,
    pub preflight: String,
    pub events: Vec<String>,
}

/// Everything samfix concluded about one template.
#[derive(Debug, Clone)]
pub struct Checked {
    pub findings: Vec<Finding>,
    pub notes: Vec<Note>,
    pub fixes: Vec<Fix>,
    pub refusals: Vec<Refusal>,
    pub edits: Vec<Edit>,
    /// The verified text after the edits; `None` when there is nothing to change.
    pub fixed: Option<String>,
}

/// Why a template could not be checked or fixed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckError {
    /// Byte offset the error is about, when it is about a place in the file.
    pub offset: Option<usize>,
    pub message: String,
    pub related: Option<usize>,
}

/// Runs the whole pipeline on a template's text, with every rule.
pub fn check(source: &str, strategy: Strategy) -> Result<Checked, CheckError> {
    check_rules(source, strategy, &Rule::ALL)
}

/// Runs the whole pipeline with the given rules only.
pub fn check_rules(
    source: &str,
    strategy: Strategy,
    rules: &[Rule],
) -> Result<Checked, CheckError> {
    check_with_tampered_edits(source, strategy, rules, |_| {})
}

/// [`check_rules`], with `tamper` changing the rendered edits before they are applied and
/// verified: how the tests show that a faulty edit is never written. Not for other uses.
#[doc(hidden)]
pub fn check_with_tampered_edits(
    source: &str,
    strategy: Strategy,
    rules: &[Rule],
    tamper: impl FnOnce(&mut Vec<Edit>),
) -> Result<Checked, CheckError> {
    run(source, strategy, rules, parse::parse_template, tamper)
}

/// [`check_rules`] on a tree of every node instead of the tree of what the rules read:
/// how the tests show that leaving the rest out changes nothing. Not for other uses.
#[doc(hidden)]
pub fn check_on_full_tree(
    source: &str,
    strategy: Strategy,
    rules: &[Rule],
) -> Result<Checked, CheckError> {
    run(source, strategy, rules, parse::parse, |_| {})
}

fn run(
    source: &str,
    strategy: Strategy,
    rules: &[Rule],
    read_tree: fn(&str) -> Result<parse::Tree<'_>, parse::ParseError>,
    tamper: impl FnOnce(&mut Vec<Edit>),
) -> Result<Checked, CheckError> {
    let mut tree = read_tree(source).map_err(|error| CheckError {
        offset: Some(error.offset),
        message: error.message,
        related: error.related,
    })?;
    let template = model::Template::read(tree.root()).map_err(|error| CheckError {
        offset: Some(error.offset),
        message: error.message,
        related: None,
    })?;
    let analysis = analyze::analyze(&template, rules);
    let plan = plan::plan(&template, &analysis, strategy);
    let unverified = |message: String| CheckError {
        offset: None,
        message: format!("no fix written: {message}"),
        related: None,
    };
    let mut edits = edits::render(source, tree.root(), &plan).map_err(unverified)?;
    tamper(&mut edits);
    // Moved, not copied: a finding lists every event of its API.
    let findings = analysis
        .findings
        .into_iter()
        .map(|finding| Finding {
            rule: finding.rule,
            api: finding.api,
            source: finding.key.source,
            key_span: finding.key.key_span,
            preflight: finding.preflight,
            events: finding.events,
        })
        .collect();
    let notes = analysis.notes;
    // What stays of the plan no longer borrows the tree, which is about to change.
    let plan::Plan {
        fixes, refusals, ..
    } = plan;
    // Its events and indexes would otherwise stay until the end, beside the second check's.
    drop(template);
    let fixed = if edits.is_empty() {
        None
    } else {
        // The original tree takes the changes in place and is dropped once checked, so
        // the tree and the fixed text are never held together.
        let changes: Vec<_> = fixes.iter().flat_map(|fix| &fix.changes).collect();
        plan::apply_to_tree(&mut tree, &changes)
            .ok_or_else(|| unverified("the planned changes do not apply to the template".into()))?;
        verify::settles(tree.root(), strategy, rules, refusals.len()).map_err(unverified)?;
        let expected = tree.fingerprint();
        drop(tree);
        let fixed = edits::apply(source, &edits);
        verify::reparses_to(expected, &fixed).map_err(unverified)?;
        Some(fixed)
    };
    Ok(Checked {
        findings,
        notes,
        fixes,
        refusals,
        edits,
        fixed,
    })
}
