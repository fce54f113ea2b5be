//! `preflight-missing`: a path whose calls need a CORS preflight (a method other than GET,
//! HEAD and POST, or a request header that is not CORS-safelisted) has nothing that answers
//! OPTIONS, on an API that is meant for browsers. The browser sends the preflight, API
//! Gateway answers 403 "Missing Authentication Token", and the call never leaves the page.

use std::collections::{HashMap, HashSet};

use super::{Context, Output, Rule, RuleSpec};
use crate::cors::{
    authorizer_strictly, body_operations, cors_intent, event_in_body, event_owner, inline_body,
    loaded_entries, path_item_variants, quoted_list, replaced_by_implicit_api, shown_method,
    shown_setting, sibling_path, ApiCors, Intent, Operation, BODY_ANY_METHOD, INTENT_READS,
};
use crate::diagnostic::{Finding, Reason, WrittenIn};
use crate::facts::ApiFacts;
use crate::model::{child, is_intrinsic, Api, ApiEvent, Template, IMPLICIT_API};
use crate::parse::{Node, Path, Seg, Span};

pub(super) const RULE: RuleSpec = RuleSpec {
    id: "preflight-missing",
    name: "PreflightMissing",
    summary: "A path whose calls need a CORS preflight has no OPTIONS to answer it",
    description: "An API meant for browsers (an OPTIONS method, Access-Control-* headers in its gateway or integration responses, or Cors on another API that its routes were meant to share) with a path whose calls need a preflight (PUT, DELETE or PATCH, a JSON POST, or a call that sends the API key or an authorizer's token), and nothing that answers OPTIONS there: no Cors reaches the API, and the path has no OPTIONS and no ANY. API Gateway answers the preflight with 403, and the browser never sends the call.",
    fix: "none: reports what a person must add (`Cors`, or an OPTIONS on the path) and why samfix can't choose it",
    page: include_str!("../../docs/rules/preflight-missing.md"),
    reads: INTENT_READS,
    check,
};

/// Why a person must decide: what answers the preflight and what it allows.
const KIND: &str = "preflight-to-add";

/// One path of an API and what samfix knows of its routes.
struct Route {
    path: String,
    /// Where the path is written: its key in the body, or the first event's `Path`.
    span: Span,
    /// That value's path.
    setting: Path,
    /// Its methods that need a preflight, upper case, each once.
    needing: Vec<String>,
    /// An OPTIONS on the path (or on its other spelling), or an ANY on it, answers.
    answered: bool,
    /// Something on it can't be read: samfix can't tell whether the preflight is answered.
    unknown: bool,
    /// It is in the `DefinitionBody` (else only in events).
    in_body: bool,
    /// The events with a route on it, as `Owner.Event`.
    events: Vec<String>,
}

fn check<'t>(context: &Context<'_, 't>) -> Output<'t> {
    let rule = Rule(&RULE);
    let template = context.template;
    let mut output = Output::default();
    let mut seen = HashSet::new();
    for (api, facts, cors) in context.cors_apis() {
        // A `ServerlessRestApi` written in the template and the implicit one SAM puts in its
        // place are one API.
        if !seen.insert(api.id.as_str()) {
            continue;
        }
        let replaced = replaced_by_implicit_api(template, api);
        // SAM's `Cors` gives every path an OPTIONS mock; a replaced API keeps only
        // `Globals.Api`'s.
        let sam_cors = if replaced {
            template
                .globals_api()
                .and_then(|globals| globals.get("Cors"))
                .is_some_and(|cors| !cors.is_null())
        } else {
            cors.cors.is_some()
        };
        if sam_cors {
            continue;
        }
        let Some(intent) = cors_intent(template, api, cors) else {
            continue;
        };
        let Some(routes) = routes_of(template, api, facts, cors, replaced) else {
            continue;
        };
        for route in routes {
            if route.unknown || route.answered || route.needing.is_empty() {
                continue;
            }
            let methods: Vec<String> = route
                .needing
                .iter()
                .map(|method| format!("{method} {}", route.path))
                .collect();
            let (verb, them) = if methods.len() == 1 {
                ("sends", "it")
            } else {
                ("send", "them")
            };
            let finding = Finding {
                rule,
                api: api.id.clone(),
                message: format!(
                    "{} {verb} a CORS preflight, but nothing on `{}` answers OPTIONS for `{}`: the browser blocks {them}",
                    quoted_list(&methods),
                    api.id,
                    route.path
                ),
                label: "no OPTIONS or ANY answers the preflight for this path",
                span: route.span.clone(),
                setting_kind: "path",
                setting: shown_setting(&route.setting),
                written_in: WrittenIn::Api(api.id.clone()),
                preflight: if replaced {
                    format!("none: SAM drops the `Cors` of the `{IMPLICIT_API}` written here, and builds the implicit API in its place")
                } else {
                    format!("none: no `Cors` reaches `{}`, though {intent}", api.id)
                },
                events: route.events.as_slice().into(),
                fix: None,
                refusal: None,
            };
            let message = what_to_decide(template, api, &route, &intent, replaced);
            output.refuse(
                finding,
                Reason::Rule {
                    kind: KIND,
                    message,
                },
            );
        }
    }
    output
}

/// What a person must add, in the terms of where the API's routes come from.
fn what_to_decide(
    template: &Template<'_>,
    api: &Api<'_>,
    route: &Route,
    intent: &Intent,
    replaced: bool,
) -> String {
    let choose = "which origin, methods and headers to allow is a choice samfix leaves to you";
    let path = &route.path;
    if replaced {
        return format!(
            "SAM replaces the `{IMPLICIT_API}` written in this template with the API it builds for its events, and drops its `Cors`: rename the resource and give its events `RestApiId` (their URLs change), or set `Cors` in `Globals.Api`, which reaches `{IMPLICIT_API}`; {choose}"
        );
    }
    if api.properties.is_none() {
        let other = match intent {
            Intent::CorsOnOtherApi { apis } => format!(
                ", or give its events `RestApiId: !Ref {}` (their URLs change)",
                apis[0]
            ),
            _ => String::new(),
        };
        return format!(
            "add `Cors` to `Globals.Api` (it reaches `{IMPLICIT_API}` and every API without its own), or an OPTIONS event on `{path}`{other}; {choose}"
        );
    }
    if route.in_body || inline_body(template, api).is_some() {
        format!(
            "add `Cors` to `{}` (SAM then adds an OPTIONS mock to every path of its `DefinitionBody`), or an `options` operation on `{path}` in the body whose integration response maps Access-Control-Allow-Origin, -Methods and -Headers; {choose}",
            api.id
        )
    } else {
        format!(
            "add `Cors` to `{}` (SAM then answers OPTIONS on every path), or an OPTIONS event on `{path}`; {choose}",
            api.id
        )
    }
}

/// The API's paths with what samfix knows of them, body paths first, then the events'; `None`
/// when samfix can't see them all (a body it can't read, an OPTIONS or ANY event whose path
/// it can't read).
fn routes_of<'t>(
    template: &Template<'t>,
    api: &Api<'t>,
    facts: &ApiFacts<'t>,
    cors: &ApiCors<'t>,
    replaced: bool,
) -> Option<Vec<Route>> {
    let mut routes: Vec<Route> = Vec::new();
    let operations: HashMap<(&str, &str), &Operation> = cors
        .operations
        .iter()
        .map(|operation| ((operation.owner, operation.event), operation))
        .collect();
    let sends_header = |event: &ApiEvent<'_>, method: &str| {
        operations
            .get(&(event.owner, event.name))
            .map(|operation| !operation.needed_headers(method).is_empty())
    };
    // The events whose routes SAM writes into the body, and the others, which only put their
    // `Auth` on the body's operation of the same path and method, with `OverrideApiAuth`.
    let (events, others): (Vec<_>, Vec<_>) = template
        .events_of(&api.id)
        .partition(|event| event_in_body(template, api, event));
    let overriding: Vec<_> = others
        .into_iter()
        .filter(|event| {
            event
                .properties
                .value()
                .get("Auth")
                .and_then(|auth| auth.get("OverrideApiAuth"))
                .is_some_and(|flag| flag.is_truthy())
        })
        .collect();
    if !replaced {
        match facts.own_body {
            Some("DefinitionBody") => {
                let body = inline_body(template, api)?;
                let paths = body.get("paths")?;
                if is_intrinsic(paths) || paths.resolved().as_map().is_none() {
                    return None;
                }
                // (path, method, whether the event's `Auth` sends a header): `None` when
                // samfix can't read it.
                let overridden: Vec<Override> = overriding
                    .iter()
                    .map(|event| Override {
                        path: event.properties.value().get("Path").and_then(Node::as_str),
                        method: event.method.map(str::to_ascii_lowercase),
                        sends_header: sends_header(event, "get"),
                    })
                    .collect();
                let body_path = child(api.properties.as_ref()?, "DefinitionBody");
                let paths_path = child(&body_path, "paths");
                for item in loaded_entries(paths) {
                    routes.push(body_route(
                        template,
                        api,
                        facts,
                        &paths_path,
                        item,
                        &overridden,
                    ));
                }
            }
            Some(_) => return None,
            None => {}
        }
    }
    let mut index_of: HashMap<String, usize> = routes
        .iter()
        .enumerate()
        .map(|(index, route)| (route.path.clone(), index))
        .collect();
    for event in events {
        let props = event.properties.value();
        let path_entry = props.lookup("Path").map(|(entry, _)| entry);
        let path = path_entry.and_then(|entry| entry.value().as_str());
        let method = event.method.map(str::to_ascii_lowercase);
        let Some(path) = path else {
            // A route samfix can't place might be the OPTIONS or ANY of any path.
            match method.as_deref() {
                Some(m) if m != "options" && m != "any" => continue,
                _ => return None,
            }
        };
        let index = match index_of.get(path) {
            Some(&index) => index,
            None => {
                let span = path_entry.map_or(0..0, |entry| entry.key_span());
                routes.push(Route {
                    path: path.to_string(),
                    span,
                    setting: child(&event.properties_path(), "Path"),
                    needing: Vec::new(),
                    answered: false,
                    unknown: false,
                    in_body: false,
                    events: Vec::new(),
                });
                index_of.insert(path.to_string(), routes.len() - 1);
                routes.len() - 1
            }
        };
        let route = &mut routes[index];
        route.events.push(event.label());
        match method.as_deref() {
            None => route.unknown = true,
            Some("options" | "any") => route.answered = true,
            Some(method @ ("get" | "head")) => {
                // Whether a read sends a header rests on its `Auth`, which a replaced API
                // loses, and which SAM places inside an `Fn::If` for a resource with a
                // `Condition`: only a plain one is read.
                let conditional = event_owner(template, event)
                    .is_none_or(|owner| owner.get("Condition").is_some());
                let needs = !replaced && !conditional && sends_header(event, method) == Some(true);
                if needs {
                    add_method(route, method);
                }
            }
            Some(method) => add_method(route, method),
        }
    }
    // An OPTIONS on `/p/` answers `/p` too (and the other way round), and one samfix can't
    // read might; an ANY answers only its own path.
    let with_options = paths_with_options(template, api, replaced);
    let unreadable: HashSet<String> = routes
        .iter()
        .filter(|route| route.unknown)
        .map(|route| route.path.clone())
        .collect();
    for route in &mut routes {
        let sibling = sibling_path(&route.path);
        route.answered |= with_options.contains(&sibling);
        route.unknown |= unreadable.contains(&sibling);
    }
    Some(routes)
}

/// The paths that have an OPTIONS of their own: in the body or from an event SAM writes there.
fn paths_with_options(template: &Template<'_>, api: &Api<'_>, replaced: bool) -> HashSet<String> {
    let mut paths: HashSet<String> = HashSet::new();
    if !replaced {
        if let Some(items) = inline_body(template, api).and_then(|body| body.get("paths")) {
            for item in loaded_entries(items) {
                let variants = path_item_variants(item.value()).unwrap_or_default();
                if variants.iter().any(|(variant, _)| {
                    body_operations(*variant)
                        .iter()
                        .any(|(method, _)| method == "options")
                }) {
                    paths.insert(item.key().to_string());
                }
            }
        }
    }
    for event in template.events_of(&api.id) {
        if event.is_options() && event_in_body(template, api, event) {
            if let Some(path) = event.properties.value().get("Path").and_then(Node::as_str) {
                paths.insert(path.to_string());
            }
        }
    }
    paths
}

/// An event whose `Auth` SAM puts on the body's operation of its path and method
/// (`OverrideApiAuth`): either `None` when not plain text.
struct Override<'t> {
    path: Option<&'t str>,
    method: Option<String>,
    /// Whether the call sends a header that is not CORS-safelisted, by the event's `Auth`;
    /// `None` when samfix can't read it.
    sends_header: Option<bool>,
}

/// A path of the `DefinitionBody`. A GET or HEAD whose `Auth` an event replaces takes the
/// event's.
fn body_route<'t>(
    template: &Template<'t>,
    api: &Api<'t>,
    facts: &ApiFacts<'t>,
    paths_path: &Path,
    item: crate::parse::Entry<'t>,
    overridden: &[Override<'_>],
) -> Route {
    let mut setting = paths_path.clone();
    setting.push(Seg::Key(item.key().into()));
    let mut route = Route {
        path: item.key().to_string(),
        span: item.key_span(),
        setting,
        needing: Vec::new(),
        answered: false,
        unknown: false,
        in_body: true,
        events: Vec::new(),
    };
    // Each branch of a path item written as `Fn::If` is a path item of its own: the
    // preflight of one is answered only by its own OPTIONS or ANY (or the other spelling's).
    let Some(variants) = path_item_variants(item.value()) else {
        route.unknown = true;
        return route;
    };
    route.answered = true;
    for (variant, _) in variants {
        let mut answered = false;
        let mut needing = Vec::new();
        for (method, operation) in body_operations(variant) {
            match method.as_str() {
                "options" | BODY_ANY_METHOD => answered = true,
                "get" | "head" => {
                    // An event's `Auth` may replace the operation's: it decides, when samfix
                    // can read both it and which operation it lands on.
                    let mut overrides = overridden.iter().filter(|o| {
                        o.path.is_none_or(|path| path == route.path)
                            && o.method.as_deref().is_none_or(|m| m == method)
                    });
                    let needs = match overrides.next() {
                        Some(first)
                            if overrides.next().is_none()
                                && first.path.is_some()
                                && first.method.is_some() =>
                        {
                            first.sends_header == Some(true)
                        }
                        Some(_) => false,
                        None => body_read_needs_preflight(template, api, facts, operation.value()),
                    };
                    if needs {
                        needing.push(method);
                    }
                }
                _ => needing.push(method),
            }
        }
        if !answered {
            route.answered = false;
            for method in needing {
                add_method(&mut route, &method);
            }
        }
    }
    route
}

/// Whether a GET or HEAD of the body surely sends a request header that is not
/// CORS-safelisted: SAM gives every operation with an integration the API's key, and its
/// `DefaultAuthorizer` to one without `security` of its own. Anything else (the body's own
/// security) is not read, and counts as no header.
fn body_read_needs_preflight<'t>(
    template: &Template<'t>,
    api: &Api<'t>,
    facts: &ApiFacts<'t>,
    operation: Node<'t>,
) -> bool {
    if is_intrinsic(operation)
        || operation
            .get("x-amazon-apigateway-integration")
            .is_none_or(|integration| !integration.is_truthy())
    {
        return false;
    }
    if facts
        .api_key
        .as_ref()
        .is_some_and(|key| key.value.is_truthy())
    {
        return true;
    }
    if operation.get("security").is_some() {
        return false;
    }
    let Some(name) = facts
        .default_authorizer
        .as_ref()
        .and_then(|setting| setting.value.as_str())
        .filter(|name| *name != "NONE")
    else {
        return false;
    };
    let operation = Operation {
        owner: "",
        event: "",
        path: None,
        method: "get".into(),
        api_key: false,
        authorizer: Some(std::rc::Rc::new(authorizer_strictly(template, api, name))),
    };
    !operation.needed_headers("get").is_empty()
}

fn add_method(route: &mut Route, method: &str) {
    let shown = shown_method(method);
    if !route.needing.contains(&shown) {
        route.needing.push(shown);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The paths of this rule's findings, and the kind of every refusal.
    fn paths(source: &str) -> Vec<String> {
        let checked = crate::check_rules(source, crate::Strategy::Auto, &[Rule(&RULE)]).unwrap();
        assert!(checked
            .refusals
            .iter()
            .all(|refusal| refusal.reason.kind() == KIND));
        assert_eq!(checked.findings.len(), checked.refusals.len());
        checked
            .findings
            .iter()
            .map(|finding| finding.message.split('`').nth(1).unwrap().to_string())
            .collect()
    }

    #[test]
    fn each_branch_of_a_conditional_path_item_needs_its_own_options() {
        let source = "\
Transform: AWS::Serverless-2016-10-31
Conditions:
  Beta: !Equals [!Ref 'AWS::Region', us-east-1]
Resources:
  Api:
    Type: AWS::Serverless::Api
    Properties:
      StageName: prod
      DefinitionBody:
        swagger: '2.0'
        info: {title: t, version: '1'}
        x-amazon-apigateway-gateway-responses:
          DEFAULT_4XX:
            responseParameters:
              gatewayresponse.header.Access-Control-Allow-Origin: \"'*'\"
        paths:
          /answered:
            !If
              - Beta
              - options: {x-amazon-apigateway-integration: {type: mock}}
                put: &put {x-amazon-apigateway-integration: {type: aws_proxy}}
              - options: {x-amazon-apigateway-integration: {type: mock}}
                put: *put
          /half:
            !If
              - Beta
              - options: {x-amazon-apigateway-integration: {type: mock}}
                put: *put
              - put: *put
          /merged:
            <<: {delete: *put}
";
        assert_eq!(paths(source), ["PUT /half", "DELETE /merged"]);
    }

    #[test]
    fn events_reach_a_written_body_only_where_it_merges_definitions() {
        let source = "\
Transform: AWS::Serverless-2016-10-31
Globals:
  Api:
    MergeDefinitions: true
Resources:
  Merged:
    Type: AWS::Serverless::Api
    Properties:
      StageName: prod
      DefinitionBody:
        swagger: '2.0'
        paths:
          /a: {options: {x-amazon-apigateway-integration: {type: mock}}}
  Kept:
    Type: AWS::Serverless::Api
    Properties:
      StageName: prod
      MergeDefinitions: false
      DefinitionBody:
        swagger: '2.0'
        paths:
          /a: {options: {x-amazon-apigateway-integration: {type: mock}}}
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Events:
        MergedPut: {Type: Api, Properties: {RestApiId: !Ref Merged, Path: /b, Method: put}}
        KeptPut: {Type: Api, Properties: {RestApiId: !Ref Kept, Path: /b, Method: put}}
";
        assert_eq!(paths(source), ["PUT /b"]);
    }

    #[test]
    fn a_read_counts_only_when_the_header_it_sends_is_known() {
        let source = "\
Transform: AWS::Serverless-2016-10-31
Parameters:
  Pool: {Type: String}
Resources:
  Api:
    Type: AWS::Serverless::Api
    Properties:
      StageName: prod
      Auth:
        DefaultAuthorizer: Cognito
        Authorizers:
          Cognito: {UserPoolArn: !Ref Pool}
          Unread: !Ref Pool
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Events:
        Preflight: {Type: Api, Properties: {RestApiId: !Ref Api, Path: /options, Method: options}}
        Token: {Type: Api, Properties: {RestApiId: !Ref Api, Path: /token, Method: get}}
        Public: {Type: Api, Properties: {RestApiId: !Ref Api, Path: /public, Method: get, Auth: {Authorizer: NONE}}}
        Unread: {Type: Api, Properties: {RestApiId: !Ref Api, Path: /unread, Method: get, Auth: {Authorizer: Unread}}}
        Unplaced: {Type: Api, Properties: {RestApiId: !Ref Api, Path: !Ref Pool, Method: post}}
  Conditional:
    Type: AWS::Serverless::Function
    Condition: Somewhere
    Properties:
      Events:
        Token: {Type: Api, Properties: {RestApiId: !Ref Api, Path: /conditional, Method: get}}
";
        assert_eq!(paths(source), ["GET /token"]);
    }

    #[test]
    fn an_options_or_any_event_samfix_cannot_place_hides_every_path() {
        let source = "\
Transform: AWS::Serverless-2016-10-31
Parameters:
  Where: {Type: String}
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Events:
        Preflight: {Type: Api, Properties: {Path: /a, Method: options}}
        Put: {Type: Api, Properties: {Path: /b, Method: put}}
        Any: {Type: Api, Properties: {Path: !Ref Where, Method: any}}
";
        assert!(paths(source).is_empty());
        let placed = source.replace("!Ref Where", "/c");
        assert_eq!(paths(&placed), ["PUT /b"]);
    }
}
