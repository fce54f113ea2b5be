//! `response-origin-missing`: an operation of an inline `DefinitionBody` with a non-proxy
//! integration (`aws`, `http`, `mock`) whose integration responses map no
//! `Access-Control-Allow-Origin` onto some of the method's responses (or a state machine's
//! `Api` event, whose `aws` integration SAM builds that way), on an API meant for browsers.
//! API Gateway returns only the headers those responses map, so the browser hides the answer
//! from the page even when the preflight passed.

use std::collections::HashSet;

use super::{Context, Output, Rule, RuleSpec};
use crate::cors::{
    body_operations, cors_intent, event_in_body, event_owner, inline_body, loaded_entries,
    path_item_variants, quoted_list, shown_method, shown_setting, ApiCors, Intent, ANY_METHODS,
    BODY_ANY_METHOD, INTENT_READS,
};
use crate::diagnostic::{EventLabels, Finding, Reason, WrittenIn};
use crate::model::{child, is_intrinsic, Api, ApiEvent, Template};
use crate::parse::{Node, Path, Seg};

pub(super) const RULE: RuleSpec = RuleSpec {
    id: "response-origin-missing",
    name: "ResponseOriginMissing",
    summary: "A non-proxy integration maps no Access-Control-Allow-Origin onto a response",
    description: "An operation of an API's inline DefinitionBody whose integration is not a proxy (type aws, http or mock), or a state machine's Api event (which SAM builds as an aws integration), on an API meant for browsers (Cors, an OPTIONS method, Access-Control-* headers in its gateway or integration responses), with an integration response whose responseParameters map no method.response.header.Access-Control-Allow-Origin. API Gateway sends only the headers a non-proxy integration maps, so the browser hides that answer from the page even after the preflight passed.",
    fix: "none: reports the integration response and what a person must map onto it",
    page: include_str!("../../docs/rules/response-origin-missing.md"),
    reads: INTENT_READS,
    check,
};

/// Why a person must decide: the origin to map, and the method response to declare it in.
const KIND: &str = "allow-origin-to-map";

/// The integration types whose responses the template maps itself.
const NON_PROXY: [&str; 3] = ["aws", "http", "mock"];

/// The key that maps `Access-Control-Allow-Origin`, lower case.
const ALLOW_ORIGIN_KEY: &str = "method.response.header.access-control-allow-origin";

fn check<'t>(context: &Context<'_, 't>) -> Output<'t> {
    let template = context.template;
    let mut output = Output::default();
    let mut seen = HashSet::new();
    for (api, facts, cors) in context.cors_apis() {
        if !seen.insert(api.id.as_str()) {
            continue;
        }
        let Some(intent) = cors_intent(template, api, cors) else {
            continue;
        };
        let preflight = facts
            .preflight
            .clone()
            .unwrap_or_else(|| format!("none, though the API is meant for browsers: {intent}"));
        for event in template.events_of(&api.id) {
            if let Some(finding) = state_machine_route(template, api, event, &preflight) {
                push(&mut output, finding.0, finding.1);
            }
        }
        let Some(body) = inline_body(template, api) else {
            continue;
        };
        let Some(paths) = body.get("paths").filter(|paths| !is_intrinsic(*paths)) else {
            continue;
        };
        let Some(properties) = api.properties.as_ref() else {
            continue;
        };
        let paths_path = child(&child(properties, "DefinitionBody"), "paths");
        for item in loaded_entries(paths) {
            let path = item.key();
            // Each branch of a path item written as `Fn::If` is judged as a path item.
            for (variant, into) in path_item_variants(item.value()).unwrap_or_default() {
                let mut item_path = paths_path.clone();
                item_path.push(Seg::Key(path.into()));
                item_path.extend(into);
                let operations = body_operations(variant);
                // ANY stands for the methods the path does not define itself.
                let explicit: Vec<&str> = operations.iter().map(|(m, _)| m.as_str()).collect();
                for (method, operation) in &operations {
                    if method == "options"
                        || (method == BODY_ANY_METHOD
                            && ANY_METHODS.iter().all(|any| explicit.contains(any)))
                    {
                        continue;
                    }
                    let operation_path = child(&item_path, operation.key());
                    let shown = format!("{} {path}", shown_method(method));
                    for response in lacking_responses(operation.value(), &operation_path) {
                        let finding = Finding {
                            rule: Rule(&RULE),
                            api: api.id.clone(),
                            message: format!(
                                "`{shown}`: integration response `{}` maps no Access-Control-Allow-Origin, so the browser hides this answer from the page",
                                response.pattern
                            ),
                            label: "maps no Access-Control-Allow-Origin onto the method's response",
                            span: response.span.clone(),
                            setting_kind: "integration response",
                            setting: shown_setting(&response.path),
                            written_in: WrittenIn::Api(api.id.clone()),
                            preflight: preflight.clone(),
                            // The body's own operation: no event makes it.
                            events: EventLabels::default(),
                            fix: None,
                            refusal: None,
                        };
                        let reason = what_to_map(&shown, &response, cors, &intent);
                        push(&mut output, finding, reason);
                    }
                }
            }
        }
    }
    output
}

/// An integration response that maps no `Access-Control-Allow-Origin`.
struct Lacking {
    /// Its key: the selection pattern, or `default`.
    pattern: String,
    /// The method response it fills, when `statusCode` is plain text.
    status: Option<String>,
    span: crate::parse::Span,
    path: Path,
}

/// The integration responses of a non-proxy `operation` at `at` that map no
/// `Access-Control-Allow-Origin`. A response or `responseParameters` written as an intrinsic
/// is not judged.
fn lacking_responses(operation: Node<'_>, at: &Path) -> Vec<Lacking> {
    if is_intrinsic(operation) {
        return Vec::new();
    }
    let Some(integration) = operation
        .get("x-amazon-apigateway-integration")
        .filter(|integration| !is_intrinsic(*integration))
    else {
        return Vec::new();
    };
    let non_proxy = integration
        .get("type")
        .and_then(Node::as_str)
        .is_some_and(|kind| NON_PROXY.contains(&kind.to_ascii_lowercase().as_str()));
    if !non_proxy {
        return Vec::new();
    }
    let Some(responses) = integration
        .get("responses")
        .filter(|responses| !is_intrinsic(*responses))
    else {
        return Vec::new();
    };
    let mut responses_path = child(at, "x-amazon-apigateway-integration");
    responses_path.push(Seg::Key("responses".into()));
    let mut lacking = Vec::new();
    for response in loaded_entries(responses) {
        let value = response.value();
        if is_intrinsic(value) || value.resolved().as_map().is_none() {
            continue;
        }
        let maps_origin = match value.get("responseParameters") {
            None => false,
            Some(parameters) if parameters.is_null() => false,
            Some(parameters) if is_intrinsic(parameters) => continue,
            Some(parameters) => loaded_entries(parameters)
                .iter()
                .any(|entry| entry.key().eq_ignore_ascii_case(ALLOW_ORIGIN_KEY)),
        };
        if !maps_origin {
            lacking.push(Lacking {
                pattern: response.key().to_string(),
                status: value
                    .get("statusCode")
                    .and_then(Node::as_str)
                    .map(String::from),
                span: response.key_span(),
                path: child(&responses_path, response.key()),
            });
        }
    }
    lacking
}

/// What a person must write, with the origin the API's `Cors` allows when it is a literal.
fn what_to_map(shown: &str, response: &Lacking, cors: &ApiCors<'_>, intent: &Intent) -> String {
    let origin = cors
        .cors
        .as_ref()
        .filter(|_| matches!(intent, Intent::SamCors(_)))
        .and_then(|cors| cors.allow_origin.as_ref())
        .and_then(|origin| origin.text())
        .map(|origin| format!(" (the API's `Cors` allows `{origin}`)"))
        .unwrap_or_default();
    let declare = match &response.status {
        Some(status) => format!(
            ", and declare `Access-Control-Allow-Origin` in the `headers` of `{shown}`'s method response `{status}`"
        ),
        None => ", and declare `Access-Control-Allow-Origin` in the `headers` of the method response it fills".to_string(),
    };
    format!(
        "in `responseParameters` of integration response `{}`, map `method.response.header.Access-Control-Allow-Origin` to the origin browsers call `{shown}` from{origin}{declare}; samfix does not choose the origin",
        response.pattern
    )
}

/// Records a finding and what a person must decide about it.
fn push(output: &mut Output<'_>, finding: Finding, message: String) {
    output.refuse(
        finding,
        Reason::Rule {
            kind: KIND,
            message,
        },
    );
}

/// The integration responses SAM writes for a state machine's `Api` event: an `aws`
/// integration whose responses `200` and `400` map no header, and no property of the event
/// adds one.
const STATE_MACHINE_RESPONSES: [&str; 2] = ["200", "400"];

/// The finding for a state machine's `Api` event whose route SAM writes into the API's body,
/// and what a person must decide about it.
fn state_machine_route(
    template: &Template<'_>,
    api: &Api<'_>,
    event: &ApiEvent<'_>,
    preflight: &str,
) -> Option<(Finding, String)> {
    let owner = event_owner(template, event)?;
    // A state machine with a `Condition` gets its route inside an `Fn::If`, which is not
    // judged.
    if owner.get("Type").and_then(Node::as_str) != Some("AWS::Serverless::StateMachine")
        || owner.get("Condition").is_some()
        || !event_in_body(template, api, event)
    {
        return None;
    }
    // An OPTIONS route answers the preflight, which is judged elsewhere.
    if event.is_options() {
        return None;
    }
    let props = event.properties.value();
    let (path_entry, _) = props.lookup("Path")?;
    let path = path_entry.value().as_str()?;
    let shown = format!("{} {path}", shown_method(event.method?));
    let responses = quoted_list(&STATE_MACHINE_RESPONSES);
    let finding = Finding {
        rule: Rule(&RULE),
        api: api.id.clone(),
        message: format!(
            "`{shown}` (event `{}`): SAM's integration responses {responses} for the state machine map no Access-Control-Allow-Origin, so the browser hides the answer from the page",
            event.label()
        ),
        label: "SAM builds an `aws` integration for this route whose responses map no headers",
        span: path_entry.key_span(),
        setting_kind: "event",
        setting: shown_setting(&event.properties_path()),
        written_in: WrittenIn::Api(api.id.clone()),
        preflight: preflight.to_string(),
        events: [event.label()].into(),
        fix: None,
        refusal: None,
    };
    let reason = format!(
        "SAM builds the `aws` integration of a state machine's `Api` event itself, and the event has no property that maps a response header: describe `{shown}` in a `DefinitionBody` of `{}` whose integration responses map `method.response.header.Access-Control-Allow-Origin`, or start the execution from a function behind a proxy integration that returns the header; samfix does not choose",
        api.id
    );
    Some((finding, reason))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `METHOD /path response` of this rule's findings, and the kind of every refusal.
    fn lacking(source: &str) -> Vec<String> {
        let checked = crate::check_rules(source, crate::Strategy::Auto, &[Rule(&RULE)]).unwrap();
        assert!(checked
            .refusals
            .iter()
            .all(|refusal| refusal.reason.kind() == KIND));
        assert_eq!(checked.findings.len(), checked.refusals.len());
        checked
            .findings
            .iter()
            .map(|finding| {
                let quoted: Vec<&str> = finding.message.split('`').collect();
                format!("{} {}", quoted[1], quoted[3])
            })
            .collect()
    }

    #[test]
    fn keys_are_read_in_any_case_through_merge_keys_and_intrinsics_are_not_judged() {
        let source = "\
Transform: AWS::Serverless-2016-10-31
Parameters:
  Origin: {Type: String}
Resources:
  Api:
    Type: AWS::Serverless::Api
    Properties:
      StageName: prod
      Cors: \"'*'\"
      DefinitionBody:
        swagger: '2.0'
        paths:
          /a:
            get:
              x-amazon-apigateway-integration:
                type: HTTP
                responses:
                  default:
                    statusCode: '200'
                    responseParameters:
                      <<: {METHOD.RESPONSE.HEADER.ACCESS-CONTROL-ALLOW-ORIGIN: \"'*'\"}
                  '4\\d{2}':
                    statusCode: '400'
                    responseParameters: {method.response.header.X-Other: \"'x'\"}
                  '5\\d{2}': !Ref Origin
            post:
              x-amazon-apigateway-integration:
                type: mock
                responses:
                  default:
                    responseParameters: !Ref Origin
            put:
              x-amazon-apigateway-integration:
                type: !Ref Origin
                responses: {default: {statusCode: '200'}}
";
        assert_eq!(lacking(source), ["GET /a 4\\d{2}"]);
    }

    #[test]
    fn a_state_machine_route_counts_where_sam_writes_it() {
        let source = "\
Transform: AWS::Serverless-2016-10-31
Globals:
  Api:
    Cors: \"'*'\"
Resources:
  Written:
    Type: AWS::Serverless::Api
    Properties:
      StageName: prod
      DefinitionBody: {swagger: '2.0', paths: {}}
  Machine:
    Type: AWS::Serverless::StateMachine
    Properties:
      Events:
        Start: {Type: Api, Properties: {Path: /start, Method: post}}
        Preflight: {Type: Api, Properties: {Path: /start, Method: options}}
        Elsewhere: {Type: Api, Properties: {RestApiId: !Ref Written, Path: /elsewhere, Method: post}}
  Conditional:
    Type: AWS::Serverless::StateMachine
    Condition: Somewhere
    Properties:
      Events:
        Start: {Type: Api, Properties: {Path: /conditional, Method: post}}
";
        assert_eq!(lacking(source), ["POST /start Machine.Start"]);
    }

    #[test]
    fn an_api_for_servers_only_is_not_judged() {
        let source = "\
Transform: AWS::Serverless-2016-10-31
Resources:
  Api:
    Type: AWS::Serverless::Api
    Properties:
      StageName: prod
      DefinitionBody:
        swagger: '2.0'
        paths:
          /a:
            post:
              x-amazon-apigateway-integration:
                type: aws
                responses: {default: {statusCode: '200'}}
";
        assert!(lacking(source).is_empty());
        let with_options = source.replace(
            "            post:",
            "            options: {x-amazon-apigateway-integration: {type: mock}}\n            post:",
        );
        assert_eq!(lacking(&with_options), ["POST /a default"]);
    }
}
