//! `cors-on-other-api`: `Cors` written on an `AWS::Serverless::Api` that does not reach the
//! routes it was meant for. Events without `RestApiId` put their routes on the implicit
//! `ServerlessRestApi`, which only `Globals.Api` reaches; and an `AWS::Serverless::Api` named
//! `ServerlessRestApi` is thrown away, `Cors` and all, for the implicit API SAM builds.

use super::{Context, Output, Rule, RuleSpec};
use crate::cors::{
    apis_with_own_cors, cors_intent, quoted_list, replaced_by_implicit_api, shown_setting, Intent,
    INTENT_READS,
};
use crate::diagnostic::{EventLabels, Finding, Reason, WrittenIn};
use crate::model::{child, Api, IMPLICIT_API};
use crate::parse::Span;

pub(super) const RULE: RuleSpec = RuleSpec {
    id: "cors-on-other-api",
    name: "CorsOnOtherApi",
    summary: "`Cors` is set on an explicit API, but the routes are on the implicit one",
    description: "An AWS::Serverless::Api sets Cors while events without RestApiId put their routes on the implicit ServerlessRestApi, which that Cors does not reach (only Globals.Api does); or an AWS::Serverless::Api named ServerlessRestApi sets Cors, and SAM replaces that resource with the implicit API it builds for the events. Either way the routes get no OPTIONS answer and browsers can't call them.",
    fix: "none: reports the events and the two ways out (point them at the API with `Cors`, or give the implicit API `Cors` of its own), which change URLs or what is allowed",
    page: include_str!("../../docs/rules/cors-on-other-api.md"),
    reads: INTENT_READS,
    check,
};

/// Events that name no API build the implicit one, which the `Cors` misses.
const ROUTES_ON_IMPLICIT_API: &str = "routes-on-implicit-api";
/// The `ServerlessRestApi` written in the template gives way to the implicit API.
const REPLACED_BY_IMPLICIT_API: &str = "replaced-by-implicit-api";

/// How many events a message names before it counts the rest.
const NAMED_EVENTS: usize = 5;

fn check<'t>(context: &Context<'_, 't>) -> Output<'t> {
    let rule = Rule(&RULE);
    let template = context.template;
    let mut output = Output::default();
    let mut done = false;
    for (api, _, cors) in context.cors_apis() {
        // The written `ServerlessRestApi` and the implicit one share an id: one finding.
        if api.id != IMPLICIT_API || done {
            continue;
        }
        done = true;
        let events = template.event_labels(IMPLICIT_API);
        if replaced_by_implicit_api(template, api) {
            if let Some((entry, _)) = api.node.and_then(|props| props.lookup("Cors")) {
                if entry.value().is_truthy() {
                    push(
                        &mut output,
                        replaced_finding(api, entry.key_span(), &events),
                        REPLACED_BY_IMPLICIT_API,
                        format!(
                            "rename this resource and give {} `RestApiId: !Ref <its new name>` (their URLs change), or move its `Cors` to `Globals.Api`, which reaches the implicit `{IMPLICIT_API}`; samfix does not choose where the routes live",
                            events_named(&events)
                        ),
                    );
                }
            }
            continue;
        }
        let Some(Intent::CorsOnOtherApi { apis }) = cors_intent(template, api, cors) else {
            continue;
        };
        let owners = apis_with_own_cors(template);
        let Some((owner, span)) = owners.first() else {
            continue;
        };
        let (verb, them) = if events.len() == 1 {
            ("puts its route", "it")
        } else {
            ("put their routes", "them")
        };
        let message = format!(
            "`Cors` on {} does not reach `{IMPLICIT_API}`, where {} {verb}: browsers can't call {them}",
            quoted_list(&apis),
            events_named(&events),
        );
        let finding = Finding {
            rule,
            api: IMPLICIT_API.to_string(),
            message,
            label: "reaches only this API, not the events without `RestApiId`",
            span: span.clone(),
            setting_kind: "cors",
            setting: cors_setting(owner),
            written_in: WrittenIn::Api(owner.id.clone()),
            preflight: format!("none on `{IMPLICIT_API}`: only `Globals.Api.Cors` would reach it"),
            events: events.clone(),
            fix: None,
            refusal: None,
        };
        let target = &owner.id;
        push(
            &mut output,
            finding,
            ROUTES_ON_IMPLICIT_API,
            format!(
                "decide where the routes of {} belong: on `{target}` (give each `RestApiId: !Ref {target}`; their URLs become `{target}`'s), or on `{IMPLICIT_API}` with CORS of its own (`Cors` in `Globals.Api`, which also reaches every API that sets none)",
                events_named(&events)
            ),
        );
    }
    output
}

fn replaced_finding(api: &Api<'_>, span: Span, events: &EventLabels) -> Finding {
    Finding {
        rule: Rule(&RULE),
        api: api.id.clone(),
        message: format!(
            "SAM replaces this `{IMPLICIT_API}` with the implicit API it builds for {}, so its `Cors` never reaches {}",
            events_named(events),
            if events.len() == 1 { "that route" } else { "their routes" },
        ),
        label: "dropped with the rest of this resource",
        span,
        setting_kind: "cors",
        setting: cors_setting(api),
        written_in: WrittenIn::Api(api.id.clone()),
        preflight: format!("none: SAM drops the `Cors` of the `{IMPLICIT_API}` written here"),
        events: events.clone(),
        fix: None,
        refusal: None,
    }
}

/// Records the finding and what a person must decide about it.
fn push(output: &mut Output<'_>, finding: Finding, kind: &'static str, message: String) {
    output.refuse(finding, Reason::Rule { kind, message });
}

/// `MyApi.Properties.Cors`.
fn cors_setting(api: &Api<'_>) -> String {
    api.properties
        .as_ref()
        .map(|properties| shown_setting(&child(properties, "Cors")))
        .unwrap_or_default()
}

/// The events, by name up to [`NAMED_EVENTS`], then counted.
fn events_named(events: &[String]) -> String {
    let noun = if events.len() == 1 { "event" } else { "events" };
    if events.len() <= NAMED_EVENTS {
        return format!("{noun} {}", quoted_list(events));
    }
    let (named, rest) = events.split_at(NAMED_EVENTS);
    let named: Vec<String> = named.iter().map(|event| format!("`{event}`")).collect();
    format!("{noun} {} and {} more", named.join(", "), rest.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The kinds of this rule's refusals, one for each finding.
    fn kinds(source: &str) -> Vec<&'static str> {
        let checked = crate::check_rules(source, crate::Strategy::Auto, &[Rule(&RULE)]).unwrap();
        assert_eq!(checked.findings.len(), checked.refusals.len());
        checked
            .refusals
            .iter()
            .map(|refusal| refusal.reason.kind())
            .collect()
    }

    const TWO_APIS: &str = "\
Transform: AWS::Serverless-2016-10-31
Resources:
  Explicit:
    Type: AWS::Serverless::Api
    Properties:
      StageName: prod
      Cors: CORS
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Events:
        Put: {Type: Api, Properties: {Path: /b, Method: put}}
";

    #[test]
    fn only_a_cors_sam_acts_on_counts() {
        assert_eq!(
            kinds(&TWO_APIS.replace("CORS", "\"'*'\"")),
            [ROUTES_ON_IMPLICIT_API]
        );
        assert!(kinds(&TWO_APIS.replace("CORS", "''")).is_empty());
        assert!(kinds(&TWO_APIS.replace("CORS", "~")).is_empty());
    }

    #[test]
    fn an_implicit_api_with_cors_intent_of_its_own_is_left_to_the_other_rules() {
        let with_options = format!(
            "{}        Preflight: {{Type: Api, Properties: {{Path: /b, Method: options}}}}\n",
            TWO_APIS.replace("CORS", "\"'*'\"")
        );
        assert!(kinds(&with_options).is_empty());
        let with_globals = TWO_APIS.replace("CORS", "\"'*'\"").replace(
            "Resources:",
            "Globals:\n  Api:\n    Cors: \"'*'\"\nResources:",
        );
        assert!(kinds(&with_globals).is_empty());
    }

    #[test]
    fn an_api_named_like_the_implicit_one_is_replaced_once_an_event_targets_it() {
        let named = TWO_APIS
            .replace("Explicit:", "ServerlessRestApi:")
            .replace("CORS", "\"'*'\"");
        assert_eq!(kinds(&named), [REPLACED_BY_IMPLICIT_API]);
        let unused = named.replace("Put: {Type: Api,", "Put: {Type: Sqs,");
        assert!(kinds(&unused).is_empty());
    }

    #[test]
    fn long_event_lists_are_counted() {
        let events: Vec<String> = (1..=7).map(|n| format!("F.E{n}")).collect();
        assert_eq!(
            events_named(&events),
            "events `F.E1`, `F.E2`, `F.E3`, `F.E4`, `F.E5` and 2 more"
        );
        assert_eq!(events_named(&events[..1]), "event `F.E1`");
    }
}
