//! What each API of a template is, as SAM sees it once `Globals` are merged in: computed
//! once per check and read by every rule (see SAM-FACTS.md).

use std::collections::{HashMap, HashSet};

use crate::diagnostic::{Warning, WarningKind, WrittenIn};
use crate::model::{child, is_intrinsic, Api, Target, Template, IMPLICIT_API};
use crate::parse::{Node, Path, Reads, ResourceReads, Seg, Span};

/// What the model and the facts read of a template: the SAM transform, `Globals`, an API's
/// `Auth`, `Cors` and body, every resource's `IgnoreGlobals`, and the events of functions and state machines.
pub const READS: Reads = Reads {
    attributes: &["IgnoreGlobals"],
    sections: &["Transform", "Globals"],
    resources: &[
        ResourceReads {
            kind: "AWS::Serverless::Api",
            properties: &["Auth", "Cors", "DefinitionBody", "DefinitionUri"],
            edited: true,
        },
        ResourceReads {
            kind: "AWS::Serverless::Function",
            properties: &["Events"],
            edited: false,
        },
        ResourceReads {
            kind: "AWS::Serverless::StateMachine",
            properties: &["Events"],
            edited: false,
        },
    ],
};

/// A setting in an `Auth` map, as an API sees it after Globals are merged in.
#[derive(Debug, Clone)]
pub struct AuthSetting<'t> {
    /// Whether the setting is written in `Globals.Api.Auth` or in the API's own `Auth`.
    pub written_in: WrittenIn,
    /// Path of the `Auth` map that holds it.
    pub auth: Path,
    /// Where its key is written.
    pub key_span: Span,
    /// Its value.
    pub value: Node<'t>,
    /// Reached through an alias or a `<<` merge key: readable, not editable.
    pub indirect: bool,
}

/// What SAM makes of one API: its effective `Auth` settings, whether it has a CORS
/// preflight and why, and whether it brings its own body.
#[derive(Debug)]
pub struct ApiFacts<'t> {
    /// The effective `Auth.ApiKeyRequired`.
    pub api_key: Option<AuthSetting<'t>>,
    /// The effective `Auth.AddApiKeyRequiredToCorsPreflight`.
    pub api_key_preflight_flag: Option<AuthSetting<'t>>,
    /// The effective `Auth.DefaultAuthorizer`.
    pub default_authorizer: Option<AuthSetting<'t>>,
    /// The effective `Auth.AddDefaultAuthorizerToCorsPreflight`.
    pub authorizer_preflight_flag: Option<AuthSetting<'t>>,
    /// Why the API has a CORS preflight, if it has one.
    pub preflight: Option<String>,
    /// `DefinitionBody` or `DefinitionUri`: the API brings its own body, which events don't reach.
    pub own_body: Option<&'static str>,
    /// `Globals.Api.Auth` requires the key and reaches this API wherever its own `Auth`
    /// does not say otherwise.
    pub inherits_global_key: bool,
    /// The `DefinitionBody`'s document-wide `security`, if it sets one: an operation without
    /// its own `security` falls back to it.
    pub body_wide_security: Option<Node<'t>>,
}

/// Every API's facts, in the order of [`Template::apis`], and the warnings found while
/// reading them.
pub struct Facts<'t> {
    /// One for each API of the template, in the same order.
    pub apis: Vec<ApiFacts<'t>>,
    /// What samfix could not read with certainty.
    pub warnings: Vec<Warning>,
}

impl<'t> Facts<'t> {
    /// Reads the facts of every API of `template`.
    pub fn read(template: &Template<'t>) -> Self {
        let mut warnings = unresolved_targets(template);
        let mut apis = Vec::with_capacity(template.apis.len());
        for api in &template.apis {
            let facts = api_facts(template, api, &mut warnings);
            if let (Some(security), Some(_)) = (facts.body_wide_security, &facts.preflight) {
                warnings.push(Warning {
                    kind: WarningKind::BodyWideSecurity,
                    rule: None,
                    span: security.span(),
                    message: format!(
                        "the `DefinitionBody` of `{}` sets a document-wide `security`, which its OPTIONS operations inherit unless they set their own: browsers' preflight requests will be refused",
                        api.id
                    ),
                    help: Some("give each `options` operation `security: []`, or set `security` per operation instead".into()),
                });
            }
            if let Some(warning) = included_body_warning(api) {
                warnings.push(warning);
            }
            apis.push(facts);
        }
        Facts { apis, warnings }
    }
}

/// A note for an API whose `DefinitionBody` CloudFormation includes from another file
/// (`Fn::Transform: AWS::Include`): its routes, OPTIONS answers and gateway responses are
/// in that file, which samfix does not read, so what a browser meets there goes unchecked.
fn included_body_warning(api: &Api<'_>) -> Option<Warning> {
    let (entry, _) = api.node?.lookup("DefinitionBody")?;
    let transform = entry.value().get("Fn::Transform")?;
    if transform.get("Name").and_then(Node::as_str) != Some("AWS::Include") {
        return None;
    }
    let location = transform
        .get("Parameters")
        .and_then(|parameters| parameters.get("Location"))
        .and_then(Node::as_str)
        .map_or_else(
            || "another file".to_string(),
            |location| format!("`{location}`"),
        );
    Some(Warning {
        kind: WarningKind::IncludedBody,
        rule: None,
        span: entry.key_span(),
        message: format!(
            "the `DefinitionBody` of `{}` is included from {location} (`AWS::Include`), which samfix does not read: the CORS of its routes (their OPTIONS answers, Access-Control-* headers and gateway responses) is not checked",
            api.id
        ),
        help: Some("check that file by hand, or write the body inline to have samfix check it".into()),
    })
}

fn api_facts<'t>(
    template: &Template<'t>,
    api: &Api<'t>,
    warnings: &mut Vec<Warning>,
) -> ApiFacts<'t> {
    let globals = template.globals_api();
    let ignores = |section: &str| api.ignores_global(section);
    let global_auth = globals
        .filter(|_| !ignores("Auth"))
        .and_then(|g| g.get("Auth"));
    let own_auth = api.node.and_then(|p| p.get("Auth"));
    let globals_auth_path = vec![
        Seg::Key("Globals".into()),
        Seg::Key("Api".into()),
        Seg::Key("Auth".into()),
    ];

    let mut auth_maps: Vec<(Node, WrittenIn, Path)> = Vec::new();
    match own_auth {
        Some(auth) if is_intrinsic(auth) => {
            warnings.push(Warning {
                kind: WarningKind::IntrinsicAuth,
                rule: None,
                span: auth.span(),
                message: format!("`Auth` of `{}` is an intrinsic function; samfix can't tell whether it requires an API key", api.id),
                help: Some("check this API's preflight by hand".into()),
            });
        }
        Some(auth) => {
            let path = child(
                api.properties
                    .as_ref()
                    .expect("explicit APIs have a properties path"),
                "Auth",
            );
            auth_maps.push((auth, WrittenIn::Api(api.id.clone()), path));
        }
        None => {}
    }
    // An intrinsic Auth on the resource replaces the global one wholesale.
    if !own_auth.is_some_and(is_intrinsic) {
        match global_auth {
            Some(auth) if is_intrinsic(auth) => warnings.push(Warning {
                kind: WarningKind::IntrinsicGlobalAuth,
                rule: None,
                span: auth.span(),
                message: "`Globals.Api.Auth` is an intrinsic function; samfix can't tell whether it requires an API key".into(),
                help: Some("check the preflight of every API by hand".into()),
            }),
            Some(auth) => auth_maps.push((auth, WrittenIn::Globals, globals_auth_path)),
            None => {}
        }
    }
    let setting = |key: &str| {
        auth_maps.iter().find_map(|(auth, written_in, path)| {
            let (entry, indirect) = auth.lookup(key)?;
            Some(AuthSetting {
                written_in: written_in.clone(),
                auth: path.clone(),
                key_span: entry.key_span(),
                value: entry.value(),
                indirect: indirect || auth.is_alias(),
            })
        })
    };

    let own_cors = api
        .node
        .and_then(|p| p.get("Cors"))
        .filter(|c| !c.is_null());
    let global_cors = globals
        .filter(|_| !ignores("Cors"))
        .and_then(|g| g.get("Cors"))
        .filter(|c| !c.is_null());
    let options_event = template.events_of(&api.id).find(|event| event.is_options());
    let body = api.node.and_then(|p| p.get("DefinitionBody"));
    let preflight = if own_cors.is_some() {
        Some(format!("`{}` sets `Cors`", api.id))
    } else if global_cors.is_some() {
        Some("`Globals.Api` sets `Cors`".to_string())
    } else if let Some(event) = options_event {
        Some(format!("event `{}` is an OPTIONS method", event.label()))
    } else {
        body.and_then(options_path_in_body)
            .map(|path| format!("its `DefinitionBody` defines OPTIONS on `{path}`"))
    };
    let own_body = if body.is_some() {
        Some("DefinitionBody")
    } else if api.node.and_then(|p| p.get("DefinitionUri")).is_some() {
        Some("DefinitionUri")
    } else {
        None
    };
    let inherits_global_key = !own_auth.is_some_and(is_intrinsic)
        && global_auth.is_some_and(|auth| {
            !is_intrinsic(auth) && auth.get("ApiKeyRequired").is_some_and(Node::is_truthy)
        });
    let body_wide_security = body
        .and_then(|b| b.get("security"))
        .filter(|security| security.is_truthy());
    ApiFacts {
        api_key: setting("ApiKeyRequired"),
        api_key_preflight_flag: setting("AddApiKeyRequiredToCorsPreflight"),
        default_authorizer: setting("DefaultAuthorizer"),
        authorizer_preflight_flag: setting("AddDefaultAuthorizerToCorsPreflight"),
        preflight,
        own_body,
        inherits_global_key,
        body_wide_security,
    }
}

fn options_path_in_body(body: Node<'_>) -> Option<String> {
    let paths = body.get("paths")?.resolved().as_map()?;
    paths.iter().find_map(|item| {
        let methods = item.value().resolved().as_map()?;
        methods
            .keys()
            .any(|m| m.eq_ignore_ascii_case("options"))
            .then(|| item.key().to_string())
    })
}

fn unresolved_targets(template: &Template) -> Vec<Warning> {
    let api_ids: Vec<&str> = template
        .apis
        .iter()
        .map(|api| api.id.as_str())
        .filter(|id| *id != IMPLICIT_API)
        .collect();
    // Sets and a memo: thousands of events may name the same (missing) API. The set holds
    // every resource and hears from every event, so it hashes with foldhash, as the tree does.
    let mut resource_ids = HashSet::with_capacity_and_hasher(
        template.resource_ids.len(),
        foldhash::fast::RandomState::default(),
    );
    resource_ids.extend(template.resource_ids.iter().copied());
    let mut suggestions: HashMap<&str, Option<String>> = HashMap::new();
    let mut warnings = Vec::new();
    for event in &template.events {
        match &event.target {
            Target::Implicit => {}
            Target::Named { id, span } => {
                if resource_ids.contains(id) {
                    continue;
                }
                let help = suggestions
                    .entry(id)
                    .or_insert_with(|| {
                        closest(id, &api_ids).map(|best| format!("did you mean `{best}`?"))
                    })
                    .clone();
                warnings.push(Warning {
                    kind: WarningKind::UnknownRestApiId,
                    rule: None,
                    span: span.clone(),
                    message: format!(
                        "`RestApiId` of event `{}` refers to `{id}`, which is not a resource in this template",
                        event.label()
                    ),
                    help,
                });
            }
            Target::Unresolvable { span } => warnings.push(Warning {
                kind: WarningKind::UnresolvableRestApiId,
                rule: None,
                span: span.clone(),
                message: format!(
                    "`RestApiId` of event `{}` is not a `!Ref` to an API in this template; SAM rejects it",
                    event.label()
                ),
                help: Some("write `RestApiId: !Ref <ApiLogicalId>`".into()),
            }),
        }
    }
    warnings
}

/// The candidate nearest to `name`, if it is near enough to be a typo. Logical ids are at
/// most 255 characters; longer names get no suggestion, which keeps this cheap.
fn closest<'a>(name: &str, candidates: &[&'a str]) -> Option<&'a str> {
    const LOGICAL_ID_MAX: usize = 255;
    if name.len() > LOGICAL_ID_MAX {
        return None;
    }
    candidates
        .iter()
        .filter(|candidate| {
            candidate.len() <= LOGICAL_ID_MAX
                && candidate.len().abs_diff(name.len()) <= (candidate.len() / 3).max(1)
        })
        .map(|candidate| {
            (
                edit_distance(&name.to_lowercase(), &candidate.to_lowercase()),
                *candidate,
            )
        })
        .filter(|(distance, candidate)| *distance <= (candidate.len() / 3).max(1))
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, candidate)| candidate)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut previous = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous + usize::from(ca != *cb);
            previous = row[j + 1];
            row[j + 1] = substitution.min(row[j] + 1).min(previous + 1);
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typo_suggestions_ignore_case_and_stay_close() {
        assert_eq!(
            closest("SampleAPI", &["SampleApi", "Other"]),
            Some("SampleApi")
        );
        assert_eq!(closest("Completely", &["SampleApi"]), None);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }
}
