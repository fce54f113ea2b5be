//! The rules, one file each, and the registry that lists them.
//!
//! A rule file holds a [`RuleSpec`]: the rule's id, a one-line summary, its documentation
//! page (`crates/samfix-core/docs/rules/<id>.md`), what it reads from a template and its check. A check reads
//! the template and the [`Facts`] every rule shares, and returns its findings, each with a
//! fix (changes to the template's values) or a typed reason it needs a human.

use std::collections::HashMap;
use std::fmt;

use serde::Serialize;

use crate::cors::ApiCors;
use crate::diagnostic::{Finding, Fix, Reason, Refusal, Strategy, Warning};
use crate::facts::{ApiFacts, Facts};
use crate::model::{Api, Template};
use crate::parse::{Entry, Reads};

mod preflight;

/// The registry: every rule, one line each, in the order reports list them.
macro_rules! registry {
    ($($rule:ident),* $(,)?) => {
        $(mod $rule;)*
        impl Rule {
            /// Every rule, in registry order.
            pub const ALL: &'static [Rule] = &[$(Rule(&$rule::RULE)),*];
        }
    };
}

registry! {
    api_key_on_preflight,
    authorizer_on_preflight,
    cors_on_other_api,
    error_response_without_cors,
    httpapi_invalid_cors_value,
    httpapi_quoted_cors_value,
    invalid_mapping_expression,
    origin_invalid,
    preflight_header_not_allowed,
    preflight_method_not_allowed,
    preflight_missing,
    response_origin_missing,
}

/// What a rule is and does.
#[non_exhaustive]
pub struct RuleSpec {
    /// The id that `--select`, `--ignore` and reports use, e.g. `api-key-on-preflight`.
    pub id: &'static str,
    /// The rule's name in SARIF, e.g. `ApiKeyOnPreflight`.
    pub name: &'static str,
    /// What it finds, in one line.
    pub summary: &'static str,
    /// What it finds and why that breaks browsers, in a paragraph.
    pub description: &'static str,
    /// How it fixes what it finds, in one line.
    pub fix: &'static str,
    /// Its documentation page, `crates/samfix-core/docs/rules/<id>.md`.
    pub page: &'static str,
    /// What it reads of a template, beyond what [`Facts`] read.
    pub reads: Reads,
    check: for<'a, 't> fn(&Context<'a, 't>) -> Output<'t>,
}

/// A rule of the registry: a handle that compares, hashes and sorts by registry order.
#[derive(Clone, Copy)]
pub struct Rule(&'static RuleSpec);

impl Rule {
    /// The rule with this id.
    pub fn from_id(id: &str) -> Option<Rule> {
        Rule::ALL.iter().copied().find(|rule| rule.id() == id)
    }

    /// Its id, e.g. `api-key-on-preflight`.
    pub fn id(self) -> &'static str {
        self.0.id
    }

    /// Everything the registry says about it.
    pub fn spec(self) -> &'static RuleSpec {
        self.0
    }

    /// Its place in [`Rule::ALL`].
    pub fn index(self) -> usize {
        Rule::ALL
            .iter()
            .position(|rule| rule.id() == self.id())
            .expect("every rule is in the registry")
    }
}

impl PartialEq for Rule {
    fn eq(&self, other: &Self) -> bool {
        self.id() == other.id()
    }
}

impl Eq for Rule {}

impl std::hash::Hash for Rule {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.id().hash(state);
    }
}

impl PartialOrd for Rule {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Rule {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.index().cmp(&other.index())
    }
}

impl fmt::Debug for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

impl Serialize for Rule {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.id())
    }
}

/// What a check reads: the template, the facts every rule shares, and the strategy asked for.
pub(crate) struct Context<'a, 't> {
    pub template: &'a Template<'t>,
    pub facts: &'a Facts<'t>,
    pub strategy: Strategy,
    /// What a browser meets on each API, read when a rule first asks.
    cors: std::cell::OnceCell<Vec<ApiCors<'t>>>,
}

impl<'a, 't> Context<'a, 't> {
    /// Every API with its facts, in template order.
    pub fn apis(&self) -> impl Iterator<Item = (&'a Api<'t>, &'a ApiFacts<'t>)> {
        self.template.apis.iter().zip(&self.facts.apis)
    }

    /// Every API with its facts and what a browser meets on it, in template order.
    pub fn cors_apis(&self) -> impl Iterator<Item = (&'a Api<'t>, &'a ApiFacts<'t>, &ApiCors<'t>)> {
        let cors = self.cors.get_or_init(|| {
            self.apis()
                .map(|(api, facts)| ApiCors::read(self.template, api, facts))
                .collect()
        });
        self.apis()
            .zip(cors)
            .map(|((api, facts), cors)| (api, facts, cors))
    }
}

/// What one rule's check concludes. A finding's `fix` and `refusal` index this output's
/// own lists.
#[derive(Default)]
pub(crate) struct Output<'t> {
    pub findings: Vec<Finding>,
    pub fixes: Vec<Fix>,
    pub refusals: Vec<Refusal>,
    /// Notes about what the rule could not be sure of; they fix nothing.
    pub warnings: Vec<Warning>,
    /// One for each change of `fixes`, in order: see [`Plan::holders`].
    pub holders: Vec<Option<Entry<'t>>>,
}

impl Output<'_> {
    /// Records a finding that needs a person for its API alone, and why.
    pub fn refuse(&mut self, mut finding: Finding, reason: Reason) {
        finding.refusal = Some(self.refusals.len());
        self.refusals.push(Refusal {
            rule: finding.rule,
            written_in: finding.written_in.clone(),
            apis: vec![finding.api.clone()],
            span: finding.span.clone(),
            reason,
        });
        self.findings.push(finding);
    }
}

/// Every selected rule's conclusions about one template.
pub(crate) struct Plan<'t> {
    pub findings: Vec<Finding>,
    pub fixes: Vec<Fix>,
    pub refusals: Vec<Refusal>,
    /// The rules' own notes.
    pub warnings: Vec<Warning>,
    /// One for each change of [`Plan::changes`], in that order: the map entry holding the map
    /// an insert adds to, when the rule had it in hand. Rendering starts there instead of
    /// walking the path from the root again, which on a large template costs more than the
    /// rest of the edit.
    pub holders: Vec<Option<Entry<'t>>>,
}

impl Plan<'_> {
    pub fn changes(&self) -> impl Iterator<Item = &crate::change::Change> {
        self.fixes.iter().flat_map(|fix| fix.changes.iter())
    }
}

/// What the parser must keep for the facts and the given rules.
pub fn reads(rules: &[Rule]) -> Vec<Reads> {
    std::iter::once(crate::facts::READS)
        .chain(rules.iter().map(|rule| rule.spec().reads))
        .collect()
}

/// Runs the given rules (in registry order) and puts their conclusions together: findings
/// in template order of their APIs, then registry order.
pub(crate) fn run<'t>(
    template: &Template<'t>,
    facts: &Facts<'t>,
    strategy: Strategy,
    rules: &[Rule],
) -> Plan<'t> {
    let context = Context {
        template,
        facts,
        strategy,
        cors: std::cell::OnceCell::new(),
    };
    let mut plan = Plan {
        findings: Vec::new(),
        fixes: Vec::new(),
        refusals: Vec::new(),
        warnings: Vec::new(),
        holders: Vec::new(),
    };
    for &rule in Rule::ALL.iter().filter(|rule| rules.contains(rule)) {
        let output = (rule.spec().check)(&context);
        let (fixes, refusals) = (plan.fixes.len(), plan.refusals.len());
        plan.findings
            .extend(output.findings.into_iter().map(|mut finding| {
                finding.fix = finding.fix.map(|index| index + fixes);
                finding.refusal = finding.refusal.map(|index| index + refusals);
                finding
            }));
        plan.fixes.extend(output.fixes);
        plan.refusals.extend(output.refusals);
        plan.warnings.extend(output.warnings);
        plan.holders.extend(output.holders);
    }
    // Findings come in template order of their APIs; a template may have thousands of each.
    let mut positions: HashMap<&str, usize> = HashMap::with_capacity(template.apis.len());
    for (index, api) in template.apis.iter().enumerate() {
        positions.entry(api.id.as_str()).or_insert(index);
    }
    let api_index = |finding: &Finding| {
        positions
            .get(finding.api.as_str())
            .copied()
            .unwrap_or(usize::MAX)
    };
    plan.findings
        .sort_by_cached_key(|finding| (api_index(finding), finding.rule));
    plan
}
