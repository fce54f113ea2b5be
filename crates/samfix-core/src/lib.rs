//! The engine of samfix: reads an AWS SAM template, finds what breaks a browser's
//! cross-origin call, and fixes it with the smallest text edit, verified before it is
//! returned. Text in, text out: no file system, no printing, no threads unless the
//! `parallel` feature asks for them.
//!
//! ```
//! use samfix_core::{check, Strategy};
//!
//! let template = "\
//! Transform: AWS::Serverless-2016-10-31
//! Resources:
//!   Api:
//!     Type: AWS::Serverless::Api
//!     Properties:
//!       StageName: prod
//!       Cors: \"'*'\"
//!       Auth:
//!         ApiKeyRequired: true
//! ";
//! let checked = check(template, Strategy::Flag).unwrap();
//! assert_eq!(checked.findings[0].rule.id(), "api-key-on-preflight");
//! let fixed = checked.fixed.unwrap();
//! assert!(fixed.contains("AddApiKeyRequiredToCorsPreflight: false"));
//! print!("{fixed}");
//! ```
//!
//! The pipeline: [`parse`] reads the text into a tree that knows the byte span of every
//! value the rules read; [`model`] finds the APIs and their events; [`facts`] says what SAM
//! makes of each API; the [`rules`] find problems and plan [`change`]s; [`edits`] renders
//! them as text splices in the file's own layout; [`verify`] checks the result.

#![warn(missing_docs)]

pub mod change;
pub mod cors;
pub mod diagnostic;
pub mod diff;
pub mod edits;
pub mod facts;
pub mod model;
pub mod parse;
pub mod rules;
pub mod suppress;
pub mod text;
pub mod verify;

use std::fmt;

use serde::Serialize;

pub use change::{Change, Value};
pub use diagnostic::{
    EventProblem, Finding, Fix, FixReason, Reason, Refusal, Strategy, Warning, WarningKind,
    WrittenIn,
};
pub use edits::Edit;
pub use rules::{Rule, RuleSpec};

/// Everything samfix concluded about one template.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct Checked {
    /// What breaks a browser's call, in the order of the APIs in the template.
    pub findings: Vec<Finding>,
    /// What samfix could not read with certainty.
    pub warnings: Vec<Warning>,
    /// The fixes planned; a finding's [`Finding::fix`] indexes this.
    pub fixes: Vec<Fix>,
    /// What is left for a human; a finding's [`Finding::refusal`] indexes this.
    pub refusals: Vec<Refusal>,
    /// The text edits that make every fix, sorted and not overlapping.
    pub edits: Vec<Edit>,
    /// The verified text after the edits; `None` when there is nothing to change.
    pub fixed: Option<String>,
}

/// Why a template could not be checked or fixed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CheckError {
    /// Byte offset the error is about, when it is about a place in the file.
    pub offset: Option<usize>,
    /// What is wrong.
    pub message: String,
    /// Another place the message is about, such as the first of two duplicate keys.
    pub related: Option<usize>,
}

impl fmt::Display for CheckError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for CheckError {}

/// Runs the whole pipeline on a template's text, with every rule.
pub fn check(source: &str, strategy: Strategy) -> Result<Checked, CheckError> {
    check_rules(source, strategy, Rule::ALL)
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
    let reads = rules::reads(rules);
    run(
        source,
        strategy,
        rules,
        |source| parse::parse_template(source, &reads),
        tamper,
    )
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

/// How many passes a check may take: a fix that overlaps another's waits for the next.
/// Each rule's fix of a value settles it, so two passes suffice for any two rules that
/// meet on one value; more would mean fixes that keep undoing each other.
const MAX_PASSES: usize = 4;

fn run(
    source: &str,
    strategy: Strategy,
    rules: &[Rule],
    read_tree: impl Fn(&str) -> Result<parse::Tree<'_>, parse::ParseError>,
    tamper: impl FnOnce(&mut Vec<Edit>),
) -> Result<Checked, CheckError> {
    let first = pass(source, strategy, rules, &read_tree, tamper)?;
    let mut checked = first.checked;
    let mut deferred = first.deferred;
    let mut passes = 1;
    while deferred {
        passes += 1;
        let text = checked
            .fixed
            .as_deref()
            .expect("a pass that defers a fix makes another");
        if passes > MAX_PASSES {
            return Err(unverified(
                "the fixes keep changing what the others fixed".into(),
            ));
        }
        let next = pass(text, strategy, rules, &read_tree, |_| {})?;
        deferred = next.deferred;
        if let Some(fixed) = next.checked.fixed {
            checked.edits = edits::compose(source, &checked.edits, &next.checked.edits)
                .ok_or_else(|| unverified("the passes' edits do not compose".into()))?;
            checked.fixed = Some(fixed);
        }
    }
    Ok(checked)
}

/// What one pass over a text concluded, and whether some fix waits for another pass.
struct Pass {
    checked: Checked,
    deferred: bool,
}

/// A warning for each key written twice, naming both places.
fn duplicate_warnings(source: &str, duplicates: &[parse::Duplicate]) -> Vec<Warning> {
    if duplicates.is_empty() {
        return Vec::new();
    }
    let lines = text::LineIndex::new(source);
    duplicates
        .iter()
        .map(|duplicate| {
            let (first_line, first_column) = lines.line_col(duplicate.first.start);
            let (line, _) = lines.line_col(duplicate.second.start);
            Warning {
                kind: WarningKind::DuplicateKey,
                rule: None,
                span: duplicate.second.start..duplicate.second.start + duplicate.key.len(),
                message: format!(
                    "`{}` is written twice in its map (first at line {first_line}, column \
                     {first_column}): SAM reads this one, on line {line}, and ignores the first",
                    duplicate.key
                ),
                help: Some("delete the copy that is not meant".into()),
            }
        })
        .collect()
}

fn unverified(message: String) -> CheckError {
    CheckError {
        offset: None,
        message: format!("no fix written: {message}"),
        related: None,
    }
}

/// One pass: read `source`, run the rules, render the fixes that don't overlap an earlier
/// one, and verify the text they make.
fn pass(
    source: &str,
    strategy: Strategy,
    rules: &[Rule],
    read_tree: impl Fn(&str) -> Result<parse::Tree<'_>, parse::ParseError>,
    tamper: impl FnOnce(&mut Vec<Edit>),
) -> Result<Pass, CheckError> {
    let mut tree = read_tree(source).map_err(|error| CheckError {
        offset: Some(error.offset),
        message: error.message,
        related: error.related,
    })?;
    // Read before the tree takes the changes.
    let duplicates = tree.duplicates().to_vec();
    let template = model::Template::read(tree.root()).map_err(|error| CheckError {
        offset: Some(error.offset),
        message: error.message,
        related: None,
    })?;
    let facts = facts::Facts::read(&template);
    let mut plan = rules::run(&template, &facts, strategy, rules);
    suppress::apply(source, &template, &mut plan);
    let (
        edits::Rendered {
            mut edits,
            deferred,
        },
        kept,
    ) = suppress::render_keeping_comments(source, tree.root(), &duplicates, &mut plan)
        .map_err(unverified)?;
    tamper(&mut edits);
    let mut warnings = duplicate_warnings(source, &duplicates);
    warnings.extend(facts.warnings);
    // What stays of the plan no longer borrows the tree, which is about to change.
    let rules::Plan {
        findings,
        fixes,
        refusals,
        warnings: rule_warnings,
        ..
    } = plan;
    warnings.extend(rule_warnings);
    // Its events and indexes would otherwise stay until the end, beside the second check's.
    drop(facts.apis);
    let labels = template.take_labels();
    drop(template);
    let fixed = if edits.is_empty() {
        None
    } else {
        // The original tree takes the changes in place and is dropped once checked, so
        // the tree and the fixed text are never held together.
        let changes: Vec<_> = fixes
            .iter()
            .enumerate()
            .filter(|(index, _)| !deferred.contains(index))
            .flat_map(|(_, fix)| &fix.changes)
            .collect();
        change::apply_to_tree(&mut tree, &changes)
            .ok_or_else(|| unverified("the planned changes do not apply to the template".into()))?;
        // A deferred fix is still to come: the pass that makes it checks that all settles.
        if deferred.is_empty() {
            verify::settles(
                source,
                &kept,
                tree.root(),
                strategy,
                rules,
                refusals.len(),
                labels,
            )
            .map_err(unverified)?;
        }
        let expected = tree.fingerprint();
        drop(tree);
        let fixed = edits::apply(source, &edits);
        verify::reparses_to(expected, &fixed).map_err(unverified)?;
        Some(fixed)
    };
    Ok(Pass {
        checked: Checked {
            findings,
            warnings,
            fixes,
            refusals,
            edits,
            fixed,
        },
        deferred: !deferred.is_empty(),
    })
}
