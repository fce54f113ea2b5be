//! `api-key-on-preflight`: an API's `Auth.ApiKeyRequired` reaches its CORS preflight, which
//! browsers send without `x-api-key`: every cross-origin call fails with 403.

use super::preflight::{
    by_place, editable, hits, preflight_flag, removal, settle, Located, Setting,
};
use super::{Context, Output, Rule, RuleSpec};
use crate::change::{Change, Value};
use crate::diagnostic::{EventProblem, FixReason, Reason, Strategy, WrittenIn};
use crate::facts::AuthSetting;
use crate::model::{child, is_intrinsic, is_shared, ApiEvent};
use crate::parse::{Entry, Node, Reads};

pub(super) const RULE: RuleSpec = RuleSpec {
    id: "api-key-on-preflight",
    name: "ApiKeyOnPreflight",
    summary: "An API requires its API key on the CORS preflight",
    description: "An AWS::Serverless::Api whose effective Auth.ApiKeyRequired is true and that has a CORS preflight: SAM requires the key on the generated OPTIONS methods too, browsers send the preflight without x-api-key, and every cross-origin call fails with 403.",
    fix: "moves the key to the events (`--strategy events`) or adds `AddApiKeyRequiredToCorsPreflight: false` beside it (`--strategy flag`); `auto` chooses per API",
    page: include_str!("../../docs/rules/api-key-on-preflight.md"),
    reads: Reads {
        attributes: &[],
        sections: &[],
        resources: &[],
    },
    check,
};

const SETTING: Setting = Setting {
    key: "ApiKeyRequired",
    flag: "AddApiKeyRequiredToCorsPreflight",
    kind: "key",
    what: "the key",
    of: |facts| {
        (
            facts.api_key.as_ref(),
            facts.api_key_preflight_flag.as_ref(),
        )
    },
};

fn check<'t>(context: &Context<'_, 't>) -> Output<'t> {
    let rule = Rule(&RULE);
    let hits = hits(
        context,
        rule,
        &SETTING,
        |api| {
            format!("`{api}` requires an API key on its CORS preflight, which browsers send without one")
        },
        "SAM requires the key on the preflight too",
    );
    let mut output = Output::default();
    let mut findings: Vec<_> = hits.iter().map(|hit| hit.finding.clone()).collect();
    // Globals sorts first, so whether its key moves is known when an API's own key is planned.
    let mut global_key_moves = false;
    for (written_in, group) in by_place(&hits) {
        let key = group[0].key;
        let apis: Vec<String> = group.iter().map(|hit| hit.finding.api.clone()).collect();
        let events = || move_to_events(context, key, global_key_moves);
        let flag = || {
            preflight_flag(context, &group, &SETTING).map(|located| {
                let why = FixReason::PreflightFlag {
                    flag: SETTING.flag,
                    what: SETTING.what,
                };
                (Strategy::Flag, why, located)
            })
        };
        let outcome = match context.strategy {
            Strategy::Events => events(),
            Strategy::Flag => flag(),
            Strategy::Auto => events().or_else(|because| {
                flag().map(|(strategy, _, located)| {
                    (strategy, FixReason::NotMovedToEvents { because }, located)
                })
            }),
        };
        global_key_moves |=
            *written_in == WrittenIn::Globals && matches!(outcome, Ok((Strategy::Events, _, _)));
        settle(
            &mut output,
            &mut findings,
            rule,
            written_in,
            apis,
            key.key_span.clone(),
            outcome,
        );
    }
    output.findings = findings;
    output
}

/// Remove the API-level key and require it on every event of every API that loses it.
fn move_to_events<'t>(
    context: &Context<'_, 't>,
    key: &AuthSetting,
    global_key_moves: bool,
) -> Result<(Strategy, FixReason, Located<'t>), Reason> {
    editable(context.template, key)?;
    // Every API that reads this key loses it, not only those with a preflight.
    let losing: Vec<_> = context
        .apis()
        .filter(|(_, facts)| {
            facts
                .api_key
                .as_ref()
                .is_some_and(|k| k.written_in == key.written_in && k.value.is_truthy())
        })
        .collect();
    for (api, facts) in &losing {
        if let Some(body) = facts.own_body {
            return Err(Reason::OwnDefinition {
                api: api.id.clone(),
                body,
            });
        }
        if facts.default_authorizer.is_some() {
            return Err(Reason::DefaultAuthorizer {
                api: api.id.clone(),
            });
        }
        if key.written_in != WrittenIn::Globals && facts.inherits_global_key && !global_key_moves {
            return Err(Reason::GlobalKeyTakesOver {
                api: api.id.clone(),
            });
        }
    }
    if let Some(warning) = context
        .facts
        .warnings
        .iter()
        .find(|warning| warning.kind.hides_an_events_api())
    {
        return Err(Reason::EventApiUnknown {
            warning: warning.message.clone(),
            help: warning.help.clone(),
        });
    }
    let root = context.template.root;
    let events: usize = losing
        .iter()
        .map(|(api, _)| context.template.events_of(&api.id).len())
        .sum();
    let mut changes = Vec::with_capacity(1 + events);
    changes.push(removal(root, &key.auth, SETTING.key));
    let mut holders = Vec::with_capacity(1 + events);
    holders.push(None);
    for (api, _) in &losing {
        for event in context.template.events_of(&api.id) {
            if let Some((change, holder)) =
                event_change(root, event).map_err(|problem| Reason::EventNotEditable {
                    event: event.label(),
                    problem,
                })?
            {
                changes.push(change);
                holders.push(holder);
            }
        }
    }
    let apis = losing.iter().map(|(api, _)| api.id.clone()).collect();
    Ok((
        Strategy::Events,
        FixReason::KeyMovedToEvents { apis },
        (changes, holders),
    ))
}

/// What an event of an API that loses its key needs: the key, unless it is an OPTIONS
/// method, and never `ApiKeyRequired: false`, which SAM rejects once the API has no key.
/// With the change, the entry holding the map it adds to, if known (see
/// [`super::Plan::holders`]).
fn event_change<'t>(
    root: Node<'t>,
    event: &ApiEvent<'t>,
) -> Result<Option<(Change, Option<Entry<'t>>)>, EventProblem> {
    let properties = event.properties_path();
    let is_options = event.is_options();
    // The model knows, for almost every event, that its path leads straight to its node;
    // walking each path from the root again costs more than the rest of the plan.
    let props = if event.unshared {
        event.properties.value()
    } else {
        if root.shared_on_path(&properties).is_some() {
            return Err(EventProblem::SharedYaml);
        }
        root.at(&properties)
            .ok_or(EventProblem::PropertiesNotEditable)?
    };
    let key_required = || Value::map([(SETTING.key, Value::Bool(true))]);
    let Some((auth_entry, indirect)) = props.lookup("Auth") else {
        let change = Change::Insert {
            map: properties,
            key: "Auth".into(),
            value: key_required(),
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
        return Err(EventProblem::AuthShared);
    }
    if is_intrinsic(auth) {
        return Err(EventProblem::AuthIntrinsic);
    }
    if auth.is_null() {
        let change = Change::Insert {
            map: auth_path,
            key: SETTING.key.into(),
            value: Value::Bool(true),
            after: None,
        };
        return Ok((!is_options).then_some((change, None)));
    }
    if auth.as_map().is_none() {
        return Err(EventProblem::AuthNotAMap);
    }
    let change = match auth.lookup(SETTING.key) {
        Some((_, true)) => return Err(EventProblem::KeyThroughMergeKey),
        Some((entry, false)) if entry.value().is_truthy() => None,
        Some((entry, false)) if entry.value().is_null() => (!is_options).then(|| Change::Replace {
            path: child(&auth_path, SETTING.key),
            value: Value::Bool(true),
        }),
        Some(_) => Some(removal(root, &auth_path, SETTING.key)),
        None if is_options => None,
        None => Some(Change::Insert {
            map: auth_path,
            key: SETTING.key.into(),
            value: Value::Bool(true),
            after: None,
        }),
    };
    Ok(change.map(|change| (change, None)))
}

#[cfg(test)]
mod tests {
    use crate::{check_rules, Rule, Strategy};

    fn finding_apis(source: &str) -> Vec<String> {
        let rule = Rule::from_id("api-key-on-preflight").unwrap();
        check_rules(source, Strategy::Auto, &[rule])
            .unwrap()
            .findings
            .into_iter()
            .map(|f| f.api)
            .collect()
    }

    #[test]
    fn ignore_globals_opts_an_api_out_of_the_global_key() {
        let template = |ignore: &str| {
            format!(
                "Globals:\n  Api:\n    Cors: \"'*'\"\n    Auth:\n      ApiKeyRequired: true\nResources:\n  \
                 A:\n    Type: AWS::Serverless::Api\n    IgnoreGlobals: {ignore}\n    Properties:\n      StageName: p\n  \
                 B:\n    Type: AWS::Serverless::Api\n    Properties:\n      StageName: p\n"
            )
        };
        assert_eq!(finding_apis(&template("'*'")), ["B"]);
        assert_eq!(finding_apis(&template("[Auth]")), ["B"]);
        assert_eq!(
            finding_apis(&template("[Cors]")),
            ["B"],
            "without the global Cors, A has no preflight"
        );
        assert_eq!(finding_apis(&template("[Tags]")), ["A", "B"]);
        // SAM reads the attribute beside `Type`; under `Properties` it opts nothing out.
        let in_properties = template("'*'").replace(
            "    IgnoreGlobals: '*'\n    Properties:\n",
            "    Properties:\n      IgnoreGlobals: '*'\n",
        );
        assert_eq!(finding_apis(&in_properties), ["A", "B"]);
    }

    #[test]
    fn yaml_1_1_booleans_and_python_truthiness_decide() {
        let template = |key: &str, flag: &str| {
            format!(
                "Resources:\n  A:\n    Type: AWS::Serverless::Api\n    Properties:\n      Cors: x\n      \
                 Auth:\n        ApiKeyRequired: {key}\n        AddApiKeyRequiredToCorsPreflight: {flag}\n"
            )
        };
        for (key, flag, affected) in [
            ("true", "true", true),
            ("yes", "On", true),
            ("'false'", "~", false),
            ("'false'", "TRUE", true),
            ("!Ref Param", "Yes", true),
            ("FALSE", "true", false),
            ("no", "true", false),
            ("0", "true", false),
            ("~", "true", false),
            ("true", "off", false),
            ("true", "'off'", true),
        ] {
            let expected: &[&str] = if affected { &["A"] } else { &[] };
            assert_eq!(
                finding_apis(&template(key, flag)),
                expected,
                "ApiKeyRequired: {key}, flag: {flag}"
            );
        }
    }
}
