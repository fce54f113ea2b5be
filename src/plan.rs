//! Chooses a fix for each finding and expresses it as changes to the template's values.

use std::collections::BTreeMap;

use crate::analyze::{settings, Analysis, ApiSettings, AuthSetting, Finding, KeySource, Rule};
use crate::model::{child, is_intrinsic, is_shared, ApiEvent, Template};
use crate::parse::{display_path, Entry, Kind, Node, NodeId, Path, Seg, Span, Tree};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Strategy {
    /// `events` where SAM generates the API's body, `flag` where the API brings its own.
    Auto,
    /// Move the key from the API to every `Type: Api` event of the API.
    Events,
    /// Add `AddApiKeyRequiredToCorsPreflight: false` beside the key.
    Flag,
}

/// A change to the template's value; `edits` turns it into text.
#[derive(Debug, Clone, PartialEq)]
pub enum Change {
    /// Remove `key` from the map at `map`.
    Remove { map: Path, key: String },
    /// Add `key: value` to the map at `map` (a null value becomes a map), right after
    /// `after` if the map has that key, else at its end.
    Insert {
        map: Path,
        key: String,
        value: NewValue,
        after: Option<String>,
    },
    /// Replace the scalar at `path`.
    Replace { path: Path, value: NewValue },
}

/// The few values samfix writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NewValue {
    True,
    False,
    /// `{ApiKeyRequired: true}`
    ApiKeyRequiredTrue,
}

impl NewValue {
    /// Adds the value to `tree`, outside it, for [`Tree::replace`] or [`Tree::insert`].
    pub fn add_to(self, tree: &mut Tree) -> NodeId {
        match self {
            NewValue::True => tree.add_plain("true"),
            NewValue::False => tree.add_plain("false"),
            NewValue::ApiKeyRequiredTrue => {
                let value = tree.add_plain("true");
                tree.add_map(&[("ApiKeyRequired", value)])
            }
        }
    }
}

/// The fix of one key: the APIs it covers, how, and the changes.
#[derive(Debug, Clone)]
pub struct Fix {
    pub rule: Rule,
    pub source: KeySource,
    pub apis: Vec<String>,
    pub strategy: Strategy,
    /// Why this strategy (and, for `auto`, why not the other).
    pub reason: String,
    pub changes: Vec<Change>,
}

/// A key samfix will not fix, and why.
#[derive(Debug, Clone)]
pub struct Refusal {
    pub rule: Rule,
    pub source: KeySource,
    pub apis: Vec<String>,
    pub span: Span,
    pub reason: String,
}

pub struct Plan<'t> {
    pub fixes: Vec<Fix>,
    pub refusals: Vec<Refusal>,
    /// One for each change of [`Plan::changes`], in that order: the map entry holding the map
    /// an insert adds to, when the planner had it in hand. Rendering starts there instead of
    /// walking the path from the root again, which on a large template costs more than the
    /// rest of the edit.
    pub holders: Vec<Option<Entry<'t>>>,
}

impl Plan<'_> {
    pub fn changes(&self) -> impl Iterator<Item = &Change> {
        self.fixes.iter().flat_map(|fix| fix.changes.iter())
    }
}

pub fn plan<'t>(template: &Template<'t>, analysis: &Analysis, strategy: Strategy) -> Plan<'t> {
    // Once per API, not once per finding: a template with many APIs stays linear.
    let mut notes = Vec::new();
    let all_settings: Vec<_> = template
        .apis
        .iter()
        .map(|api| settings(template, api, &mut notes))
        .collect();
    let mut groups: BTreeMap<(Rule, KeySource), Vec<&Finding>> = BTreeMap::new();
    for finding in &analysis.findings {
        groups
            .entry((finding.rule, finding.key.source.clone()))
            .or_default()
            .push(finding);
    }
    // Globals sorts first, so whether its key moves is known when an API's own key is planned.
    let mut global_key_moves = false;
    let mut plan = Plan {
        fixes: Vec::new(),
        refusals: Vec::new(),
        holders: Vec::new(),
    };
    for ((rule, source), findings) in groups {
        let apis: Vec<String> = findings.iter().map(|f| f.api.clone()).collect();
        let key = &findings[0].key;
        let refuse = |reason: String| Refusal {
            rule,
            source: source.clone(),
            apis: apis.clone(),
            span: key.key_span.clone(),
            reason,
        };
        let fix = |strategy, reason: String, (changes, holders): Located<'t>| {
            let fix = Fix {
                rule,
                source: source.clone(),
                apis: apis.clone(),
                strategy,
                reason,
                changes,
            };
            (fix, holders)
        };
        let events = || move_to_events(template, &all_settings, analysis, key, global_key_moves);
        let flag = || {
            let changes = preflight_flag(template, &all_settings, &findings, key, rule)?;
            let holders = vec![None; changes.len()];
            Ok((changes, holders))
        };
        let outcome = match (rule, strategy) {
            // The authorizer has one fix, whatever the strategy for keys.
            (Rule::AuthorizerOnPreflight, _) => flag().map(|located| {
                fix(
                    Strategy::Flag,
                    "AddDefaultAuthorizerToCorsPreflight: false keeps the authorizer off the preflight".into(),
                    located,
                )
            }),
            (_, strategy) => match strategy {
            Strategy::Events => {
                events().map(|(located, reason)| fix(Strategy::Events, reason, located))
            }
            Strategy::Flag => flag().map(|located| {
                fix(
                    Strategy::Flag,
                    "AddApiKeyRequiredToCorsPreflight: false keeps the key off the preflight"
                        .into(),
                    located,
                )
            }),
            Strategy::Auto => match events() {
                Ok((located, reason)) => Ok(fix(Strategy::Events, reason, located)),
                Err(why_not) => flag().map(|located| {
                    fix(
                        Strategy::Flag,
                        format!("not moved to the events: {why_not}"),
                        located,
                    )
                }),
            },
            },
        };
        match outcome {
            Ok((fix, holders)) => {
                global_key_moves |= rule == Rule::ApiKeyOnPreflight
                    && source == KeySource::Globals
                    && fix.strategy == Strategy::Events;
                plan.fixes.push(fix);
                plan.holders.extend(holders);
            }
            Err(reason) => plan.refusals.push(refuse(reason)),
        }
    }
    plan
}

/// Changes, and for each the entry holding the map it adds to if known (see [`Plan::holders`]).
type Located<'t> = (Vec<Change>, Vec<Option<Entry<'t>>>);

/// Remove the API-level key and require it on every event of every API that loses it.
fn move_to_events<'t>(
    template: &Template<'t>,
    all_settings: &[ApiSettings],
    analysis: &Analysis,
    key: &AuthSetting,
    global_key_moves: bool,
) -> Result<(Located<'t>, String), String> {
    editable(template, key)?;
    // Every API that reads this key loses it, not only those with a preflight.
    let losing: Vec<_> = template
        .apis
        .iter()
        .zip(all_settings)
        .filter(|(_, settings)| {
            settings
                .api_key
                .as_ref()
                .is_some_and(|k| k.source == key.source && k.value.is_truthy())
        })
        .collect();
    for (api, settings) in &losing {
        if let Some(body) = settings.own_body {
            return Err(format!(
                "`{}` has its own `{body}`, which events don't reach: moving the key would strip it from every path of that body",
                api.id
            ));
        }
        if settings.default_authorizer.is_some() {
            return Err(format!(
                "`{}` has a `DefaultAuthorizer`, and giving its events an `Auth` changes how SAM applies that authorizer to them",
                api.id
            ));
        }
        if key.source != KeySource::Globals && settings.inherits_global_key && !global_key_moves {
            return Err(format!(
                "removing the key from `{}` would let the one in `Globals.Api.Auth` take its place",
                api.id
            ));
        }
    }
    if let Some(note) = analysis.notes.iter().find(|note| note.blocks_moving_keys) {
        let help = note
            .help
            .as_deref()
            .map(|h| format!(" ({h})"))
            .unwrap_or_default();
        return Err(format!(
            "{}{help}, so samfix can't tell whether that event needs the key",
            note.message
        ));
    }
    let mut changes = vec![removal(template.root, &key.auth, "ApiKeyRequired")];
    let mut holders = vec![None];
    for (api, _) in &losing {
        for event in template.events_of(&api.id) {
            if let Some((change, holder)) = event_change(template.root, event)
                .map_err(|why| format!("event `{}`: {why}", event.label()))?
            {
                changes.push(change);
                holders.push(holder);
            }
        }
    }
    let ids: Vec<&str> = losing.iter().map(|(api, _)| api.id.as_str()).collect();
    Ok((
        (changes, holders),
        format!(
            "SAM generates the body of {}, so the events carry the key",
            ids.join(", ")
        ),
    ))
}

/// What an event of an API that loses its key needs: the key, unless it is an OPTIONS
/// method, and never `ApiKeyRequired: false`, which SAM rejects once the API has no key.
/// With the change, the entry holding the map it adds to, if known (see [`Plan::holders`]).
fn event_change<'t>(
    root: Node<'t>,
    event: &ApiEvent<'t>,
) -> Result<Option<(Change, Option<Entry<'t>>)>, String> {
    let properties = event.properties_path();
    let is_options = event.is_options();
    // The model knows, for almost every event, that its path leads straight to its node;
    // walking each path from the root again costs more than the rest of the plan.
    let props = if event.unshared {
        event.properties.value()
    } else {
        if root.shared_on_path(&properties).is_some() {
            return Err("it sits in YAML shared through an anchor or alias".into());
        }
        root.at(&properties)
            .ok_or("its `Properties` can't be edited")?
    };
    let Some((auth_entry, indirect)) = props.lookup("Auth") else {
        let change = Change::Insert {
            map: properties,
            key: "Auth".into(),
            value: NewValue::ApiKeyRequiredTrue,
            after: None,
        };
        let holder = event.unshared.then_some(event.properties);
        return Ok((!is_options).then_some((change, holder)));
    };
    let auth_path = child(&properties, "Auth");
    let auth = auth_entry.value();
    // Nothing on the way to `props` is shared, and `props` holds `Auth` itself unless it is
    // indirect: only the `Auth` node itself can be shared.
    if indirect || is_shared(auth) {
        return Err("its `Auth` comes through an anchor, alias or merge key".into());
    }
    if is_intrinsic(auth) {
        return Err("its `Auth` is an intrinsic function".into());
    }
    if auth.is_null() {
        let change = Change::Insert {
            map: auth_path,
            key: "ApiKeyRequired".into(),
            value: NewValue::True,
            after: None,
        };
        return Ok((!is_options).then_some((change, None)));
    }
    if auth.as_map().is_none() {
        return Err("its `Auth` is not a mapping".into());
    }
    let change = match auth.lookup("ApiKeyRequired") {
        Some((_, true)) => return Err("its `ApiKeyRequired` comes through a merge key".into()),
        Some((entry, false)) if entry.value().is_truthy() => None,
        Some((entry, false)) if entry.value().is_null() => (!is_options).then(|| Change::Replace {
            path: child(&auth_path, "ApiKeyRequired"),
            value: NewValue::True,
        }),
        Some(_) => Some(removal(root, &auth_path, "ApiKeyRequired")),
        None if is_options => None,
        None => Some(Change::Insert {
            map: auth_path,
            key: "ApiKeyRequired".into(),
            value: NewValue::True,
            after: None,
        }),
    };
    Ok(change.map(|change| (change, None)))
}

/// The rule's preflight flag set to false beside the setting (`AddApiKeyRequiredToCorsPreflight`
/// beside `ApiKeyRequired`, `AddDefaultAuthorizerToCorsPreflight` beside
/// `DefaultAuthorizer`), and wherever an API overrides it back to true.
fn preflight_flag(
    template: &Template,
    all_settings: &[ApiSettings],
    findings: &[&Finding],
    key: &AuthSetting,
    rule: Rule,
) -> Result<Vec<Change>, String> {
    editable(template, key)?;
    let mut changes = Vec::new();
    for finding in findings {
        let index = template
            .apis
            .iter()
            .position(|api| api.id == finding.api)
            .expect("findings name APIs of the template");
        let (api, settings) = (&template.apis[index], &all_settings[index]);
        if settings.body_wide_security.is_some() {
            let what = match rule {
                Rule::ApiKeyOnPreflight => "the key",
                Rule::AuthorizerOnPreflight => "the authorizer",
            };
            return Err(format!(
                "the `DefinitionBody` of `{}` sets a document-wide `security`, which its OPTIONS operations would fall back to once {what} is off them",
                api.id
            ));
        }
        let change = match settings.for_rule(rule).1 {
            Some(flag) => {
                editable(template, flag)?;
                Change::Replace {
                    path: child(&flag.auth, rule.preflight_flag()),
                    value: NewValue::False,
                }
            }
            None => Change::Insert {
                map: key.auth.clone(),
                key: rule.preflight_flag().into(),
                value: NewValue::False,
                after: Some(rule.setting().into()),
            },
        };
        if !changes.contains(&change) {
            changes.push(change);
        }
    }
    Ok(changes)
}

/// The `Auth` map holding a setting can be edited in place.
fn editable(template: &Template, setting: &AuthSetting) -> Result<(), String> {
    if setting.indirect {
        return Err(format!(
            "`{}` reaches the API through an anchor, alias or `<<` merge key; editing it would change every place that shares it",
            display_path(&setting.auth)
        ));
    }
    if let Some(shared) = template.root.shared_on_path(&setting.auth) {
        let what = match shared.kind() {
            Kind::Alias(_) => "an alias",
            _ => "an anchor",
        };
        return Err(format!(
            "`{}` is inside {what}; editing it would change every place that shares it",
            display_path(&setting.auth)
        ));
    }
    Ok(())
}

/// Removing the last key of a map removes the map's own entry too, so no empty `Auth:`
/// (or `Globals: Api:`) is left behind.
fn removal(root: Node, map: &Path, key: &str) -> Change {
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
        key: key.to_string(),
    }
}

/// Turns the tree into the value the changes should produce, for checking the text edits.
/// `None` when a change does not apply. Aliases stand for their anchored node itself, so an
/// edit through an anchor shows in its aliases too, as it does in the text.
pub fn apply_to_tree(tree: &mut Tree<'_>, changes: &[&Change]) -> Option<()> {
    // Changes that add the same value share one node of it: no change edits inside a value
    // another adds, and a template with 16,000 events needs one `{ApiKeyRequired: true}`.
    let mut added: Vec<(NewValue, NodeId)> = Vec::new();
    let mut add =
        |tree: &mut Tree<'_>, value: NewValue| match added.iter().find(|(v, _)| *v == value) {
            Some(&(_, node)) => node,
            None => {
                let node = value.add_to(tree);
                added.push((value, node));
                node
            }
        };
    for change in changes {
        match change {
            Change::Remove { map, key } => {
                let map = tree.id_at(map)?;
                tree.remove(map, key)?;
            }
            Change::Insert {
                map, key, value, ..
            } => {
                let (target, is_null) = tree.root().at(map).map(|n| (n.id(), n.is_null()))?;
                let value = add(tree, *value);
                if is_null {
                    let map = tree.add_map(&[(key.as_str(), value)]);
                    tree.replace(target, map);
                } else {
                    tree.insert(target, key, value)?;
                }
            }
            Change::Replace { path, value } => {
                let at = tree.id_at(path)?;
                let value = add(tree, *value);
                tree.replace(at, value);
            }
        }
    }
    Some(())
}
