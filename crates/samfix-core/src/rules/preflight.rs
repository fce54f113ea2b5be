//! What the two preflight rules share: an `Auth` setting that SAM also puts on the CORS
//! preflight unless a flag beside it says otherwise.

use std::collections::BTreeMap;

use super::{Context, Output, Rule};
use crate::change::{Change, Value};
use crate::diagnostic::{Finding, Fix, FixReason, Reason, Refusal, Strategy, WrittenIn};
use crate::facts::{ApiFacts, AuthSetting};
use crate::model::{child, Template};
use crate::parse::{display_path, Entry, Kind, Node, Path, Seg};

/// An `Auth` setting that reaches the preflight, and the flag that keeps it off.
pub(super) struct Setting {
    /// The `Auth` key, e.g. `ApiKeyRequired`.
    pub key: &'static str,
    /// The flag, e.g. `AddApiKeyRequiredToCorsPreflight`.
    pub flag: &'static str,
    /// What the setting is, as a detail line names it: `key` or `authorizer`.
    pub kind: &'static str,
    /// What the flag keeps off the preflight: `the key` or `the authorizer`.
    pub what: &'static str,
    /// The setting and its flag, as an API sees them.
    pub of: for<'a, 't> fn(
        &'a ApiFacts<'t>,
    ) -> (Option<&'a AuthSetting<'t>>, Option<&'a AuthSetting<'t>>),
}

/// A finding before it is detached from the tree: the API and the setting that reaches its
/// preflight.
pub(super) struct Hit<'a, 't> {
    pub finding: Finding,
    pub key: &'a AuthSetting<'t>,
}

/// Every API with a preflight whose setting is on and whose flag does not keep it off.
/// `finding` words the finding of one API.
pub(super) fn hits<'a, 't>(
    context: &Context<'a, 't>,
    rule: Rule,
    setting: &Setting,
    message: fn(&str) -> String,
    label: &'static str,
) -> Vec<Hit<'a, 't>> {
    let mut hits = Vec::new();
    for (api, facts) in context.apis() {
        let Some(preflight) = &facts.preflight else {
            continue;
        };
        let (Some(key), flag) = (setting.of)(facts) else {
            continue;
        };
        // A flag that loads as false (or null) keeps the setting off the preflight.
        if !key.value.is_truthy() || flag.is_some_and(|flag| !flag.value.is_truthy()) {
            continue;
        }
        hits.push(Hit {
            finding: Finding {
                rule,
                api: api.id.clone(),
                message: message(&api.id),
                label,
                span: key.key_span.clone(),
                setting_kind: setting.kind,
                setting: format!("{}.{}", key.written_in.auth_map(), setting.key),
                written_in: key.written_in.clone(),
                preflight: preflight.clone(),
                events: context.template.event_labels(&api.id),
                fix: None,
                refusal: None,
            },
            key,
        });
    }
    hits
}

/// The hits grouped by where their setting is written: one fix for each place. `Globals`
/// sorts first.
pub(super) fn by_place<'h, 'a, 't>(
    hits: &'h [Hit<'a, 't>],
) -> BTreeMap<&'h WrittenIn, Vec<&'h Hit<'a, 't>>> {
    let mut groups: BTreeMap<&WrittenIn, Vec<&Hit>> = BTreeMap::new();
    for hit in hits {
        groups.entry(&hit.key.written_in).or_default().push(hit);
    }
    groups
}

/// How a group of hits was settled: changes with their holders (see
/// [`super::Plan::holders`]), or why not.
pub(super) type Located<'t> = (Vec<Change>, Vec<Option<Entry<'t>>>);

/// Records the fix or refusal of one group of hits, and links its findings to it.
pub(super) fn settle<'t>(
    output: &mut Output<'t>,
    findings: &mut [Finding],
    rule: Rule,
    written_in: &WrittenIn,
    apis: Vec<String>,
    span: crate::parse::Span,
    outcome: Result<(Strategy, FixReason, Located<'t>), Reason>,
) {
    let is_ours = |finding: &Finding| &finding.written_in == written_in;
    match outcome {
        Ok((strategy, why, (changes, holders))) => {
            let index = output.fixes.len();
            output.fixes.push(Fix {
                rule,
                written_in: written_in.clone(),
                apis,
                strategy,
                why,
                changes,
            });
            output.holders.extend(holders);
            for finding in findings.iter_mut().filter(|f| is_ours(f)) {
                finding.fix = Some(index);
            }
        }
        Err(reason) => {
            let index = output.refusals.len();
            output.refusals.push(Refusal {
                rule,
                written_in: written_in.clone(),
                apis,
                span,
                reason,
            });
            for finding in findings.iter_mut().filter(|f| is_ours(f)) {
                finding.refusal = Some(index);
            }
        }
    }
}

/// The rule's preflight flag set to false beside the setting (`AddApiKeyRequiredToCorsPreflight`
/// beside `ApiKeyRequired`, `AddDefaultAuthorizerToCorsPreflight` beside
/// `DefaultAuthorizer`), and wherever an API overrides it back to true.
pub(super) fn preflight_flag<'t>(
    context: &Context<'_, 't>,
    hits: &[&Hit],
    setting: &Setting,
) -> Result<Located<'t>, Reason> {
    let key = hits[0].key;
    editable(context.template, key)?;
    let mut changes = Vec::new();
    for hit in hits {
        let (api, facts) = context
            .apis()
            .find(|(api, _)| api.id == hit.finding.api)
            .expect("findings name APIs of the template");
        if facts.body_wide_security.is_some() {
            return Err(Reason::BodyWideSecurity {
                api: api.id.clone(),
                what: setting.what,
            });
        }
        let change = match (setting.of)(facts).1 {
            Some(flag) => {
                editable(context.template, flag)?;
                Change::Replace {
                    path: child(&flag.auth, setting.flag),
                    value: Value::Bool(false),
                }
            }
            None => Change::Insert {
                map: key.auth.clone(),
                key: setting.flag.into(),
                value: Value::Bool(false),
                after: Some(setting.key.into()),
            },
        };
        if !changes.contains(&change) {
            changes.push(change);
        }
    }
    let holders = vec![None; changes.len()];
    Ok((changes, holders))
}

/// The `Auth` map holding a setting can be edited in place.
pub(super) fn editable(template: &Template, setting: &AuthSetting) -> Result<(), Reason> {
    if setting.indirect {
        return Err(Reason::ReachedThroughAlias {
            path: display_path(&setting.auth),
        });
    }
    if let Some(shared) = template.root.shared_on_path(&setting.auth) {
        let shared_by = match shared.kind() {
            Kind::Alias(_) => "an alias",
            _ => "an anchor",
        };
        return Err(Reason::InsideSharedYaml {
            path: display_path(&setting.auth),
            shared_by,
        });
    }
    Ok(())
}

/// Removing the last key of a map removes the map's own entry too, so no empty `Auth:`
/// (or `Globals: Api:`) is left behind.
pub(super) fn removal(root: Node, map: &Path, key: &str) -> Change {
    let only_key = root
        .at(map)
        .and_then(Node::as_map)
        .is_some_and(|m| m.len() == 1);
    if let (true, Some((Seg::Key(map_key), parent))) = (only_key, map.split_last()) {
        if root.at(parent).and_then(Node::as_map).is_some() {
            return removal(root, &parent.to_vec(), map_key);
        }
    }
    Change::Remove {
        map: map.clone(),
        key: key.into(),
    }
}
