//! `httpapi-invalid-cors-value`: an HTTP API's `CorsConfiguration` value of the wrong shape.
//! `AllowOrigins`, `AllowHeaders`, `AllowMethods` and `ExposeHeaders` are lists of plain
//! strings (`AllowMethods` of HTTP methods or `*`), and `MaxAge` is a whole number of
//! seconds. SAM copies the configuration into the API unchecked, so a comma-separated
//! string, an item that is not text or a method, or a quoted number reaches API Gateway
//! as it is.

use super::{Context, Output, Rule, RuleSpec};
use crate::cors::{http_api_cors, HttpApiCors, Setting, HTTP_API_READS};
use crate::diagnostic::{Finding, Reason, Refusal, WrittenIn};
use crate::model::is_intrinsic;
use crate::parse::{display_path, Kind, Node, Resolved, Seg, Span};

pub(super) const RULE: RuleSpec = RuleSpec {
    id: "httpapi-invalid-cors-value",
    name: "HttpApiInvalidCorsValue",
    summary: "An HTTP API's CORS value is not the list or number API Gateway takes",
    description: "An `AWS::Serverless::HttpApi` `CorsConfiguration` (its own or `Globals.HttpApi`'s) whose `AllowOrigins`, `AllowHeaders`, `AllowMethods` or `ExposeHeaders` is not a list, holds an item that is not text, or (for `AllowMethods`) an item that is not an HTTP method, or whose `MaxAge` is not a whole number: SAM copies the configuration unchecked, and API Gateway does not answer the browser's preflight as the template means.",
    fix: "none: what the value should be is for a person to say",
    page: include_str!("../../docs/rules/httpapi-invalid-cors-value.md"),
    reads: HTTP_API_READS,
    check,
};

/// The list fields of a `CorsConfiguration`, and what each item names.
const LIST_FIELDS: [(&str, &str); 4] = [
    ("AllowOrigins", "origin"),
    ("AllowHeaders", "header"),
    ("AllowMethods", "method"),
    ("ExposeHeaders", "header"),
];

/// The methods an HTTP API's `AllowMethods` takes, and `*`.
const METHOD_NAMES: [&str; 8] = [
    "GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "*",
];

/// What is wrong with one value.
struct Problem<'t> {
    setting: Setting<'t>,
    /// Where the caret goes: the value's key, or the item at fault.
    span: Span,
    /// A machine-readable name, unique within the rule.
    kind: &'static str,
    /// What is wrong, for the finding.
    what: String,
    /// What a person must decide.
    decide: String,
    /// The HTTP APIs that read the value.
    readers: Vec<usize>,
}

fn check<'t>(context: &Context<'_, 't>) -> Output<'t> {
    let rule = Rule(&RULE);
    let apis = http_api_cors(context.template);
    let mut problems: Vec<Problem<'t>> = Vec::new();
    for (index, api) in apis.iter().enumerate() {
        for problem in problems_of(api) {
            match problems
                .iter_mut()
                .find(|p| p.span == problem.span && p.kind == problem.kind)
            {
                Some(known) => known.readers.push(index),
                None => problems.push(Problem {
                    readers: vec![index],
                    ..problem
                }),
            }
        }
    }
    let mut output = Output::default();
    for problem in problems {
        let name = shown_path(&problem.setting.path);
        output.refusals.push(Refusal {
            rule,
            written_in: problem.setting.written_in.clone(),
            apis: problem
                .readers
                .iter()
                .map(|&i| apis[i].id.clone())
                .collect(),
            span: problem.span.clone(),
            reason: Reason::Rule {
                kind: problem.kind,
                message: problem.decide.clone(),
            },
        });
        let refusal = Some(output.refusals.len() - 1);
        for &reader in &problem.readers {
            let api = &apis[reader];
            output.findings.push(Finding {
                rule,
                api: api.id.clone(),
                message: format!(
                    "`{}`'s CORS configuration {}: API Gateway does not answer the browser's preflight as the template means",
                    api.id, problem.what
                ),
                label: match problem.kind {
                    "not-a-list" => "not a list",
                    "not-an-integer" => "not a whole number",
                    "not-a-method" => "not an HTTP method",
                    _ => "not text",
                },
                span: problem.span.clone(),
                setting_kind: "cors",
                setting: name.clone(),
                written_in: problem.setting.written_in.clone(),
                preflight: match api.configured_in.last() {
                    Some(WrittenIn::Api(id)) => format!("`{id}` sets `CorsConfiguration`"),
                    _ => "`Globals.HttpApi` sets `CorsConfiguration`".to_string(),
                },
                events: api.events.clone(),
                fix: None,
                refusal,
            });
        }
    }
    output
}

/// What is wrong with the values that make `api`'s configuration.
fn problems_of<'t>(api: &HttpApiCors<'t>) -> Vec<Problem<'t>> {
    let mut problems = Vec::new();
    for (field, names) in LIST_FIELDS {
        for setting in api.field(field) {
            // SAM leaves out a value that is false, empty or null.
            if is_intrinsic(setting.node) || !setting.node.is_truthy() {
                continue;
            }
            let name = shown_path(&setting.path);
            let Some(seq) = setting.node.resolved().as_seq() else {
                let shown = shown_value(setting.node);
                let split = plain_text(setting.node)
                    .filter(|text| text.contains(','))
                    .map(|text| {
                        let items: Vec<&str> = text
                            .split(',')
                            .map(str::trim)
                            .filter(|item| !item.is_empty())
                            .collect();
                        format!(" (`[{}]`)", items.join(", "))
                    })
                    .unwrap_or_default();
                problems.push(Problem {
                    setting: setting.clone(),
                    span: setting.key_span.clone(),
                    kind: "not-a-list",
                    what: format!("sets `{field}` to `{shown}`, which is not a list"),
                    decide: format!(
                        "`{name}` is `{shown}`, but an HTTP API takes a list with one {names} per item: write the {names}s meant as a list{split}"
                    ),
                    readers: Vec::new(),
                });
                continue;
            };
            for item in seq.items() {
                if is_intrinsic(item) {
                    continue;
                }
                let shown = shown_value(item);
                let Some(text) = plain_text(item) else {
                    problems.push(Problem {
                        setting: setting.clone(),
                        span: item.span(),
                        kind: "item-not-text",
                        what: format!("lists `{shown}` in `{field}`, which is not text"),
                        decide: format!(
                            "`{shown}` in `{name}` is not text, and each item of an HTTP API's `{field}` is one {names}: which {names} is meant is for a person to say (quote it if `{shown}` is)"
                        ),
                        readers: Vec::new(),
                    });
                    continue;
                };
                // Quoted items are `httpapi-quoted-cors-value`'s.
                let quoted = text.len() >= 2 && text.starts_with('\'') && text.ends_with('\'');
                if field != "AllowMethods"
                    || quoted
                    || METHOD_NAMES.iter().any(|m| m.eq_ignore_ascii_case(text))
                {
                    continue;
                }
                let decide = if text.contains(',') {
                    format!(
                        "`{text}` in `{name}` holds several methods in one item; an HTTP API takes one method per item: list each method as an item of its own"
                    )
                } else {
                    format!(
                        "`{text}` in `{name}` is not an HTTP method (`GET`, `HEAD`, `POST`, `PUT`, `DELETE`, `PATCH`, `OPTIONS` or `*`): which method is meant is for a person to say"
                    )
                };
                problems.push(Problem {
                    setting: setting.clone(),
                    span: item.span(),
                    kind: "not-a-method",
                    what: format!("lists `{text}` in `AllowMethods`, which is not an HTTP method"),
                    decide,
                    readers: Vec::new(),
                });
            }
        }
    }
    // `MaxAge` is the resource's when both set one.
    if let Some(setting) = api.field("MaxAge").last() {
        let node = setting.node.resolved();
        let integer = node.tag().is_none()
            && node
                .as_scalar()
                .is_some_and(|scalar| matches!(scalar.resolve(), Resolved::Int(_)));
        if !is_intrinsic(setting.node) && !integer && !setting.node.is_null() {
            let shown = shown_value(setting.node);
            let name = shown_path(&setting.path);
            let number = plain_text(setting.node)
                .map(str::trim)
                .filter(|text| !text.is_empty() && text.chars().all(|c| c.is_ascii_digit()));
            let decide = match number {
                Some(number) => format!(
                    "`{name}` is the text `{shown}`, but an HTTP API takes a whole number of seconds: write `{number}` without quotes, if that is the time meant"
                ),
                None => format!(
                    "`{name}` is `{shown}`, but an HTTP API takes a whole number of seconds: how long browsers may cache the preflight is for a person to say"
                ),
            };
            problems.push(Problem {
                setting: setting.clone(),
                span: setting.key_span.clone(),
                kind: "not-an-integer",
                what: format!("sets `MaxAge` to `{shown}`, which is not a whole number of seconds"),
                decide,
                readers: Vec::new(),
            });
        }
    }
    problems
}

/// The text of an untagged scalar that loads as a string.
fn plain_text(node: Node<'_>) -> Option<&str> {
    let node = node.resolved();
    if node.tag().is_some() {
        return None;
    }
    match node.as_scalar()?.resolve() {
        Resolved::Str(text) => Some(text),
        _ => None,
    }
}

/// A value as a finding shows it: a scalar as written, a map or list by what it is.
fn shown_value(node: Node<'_>) -> String {
    let node = node.resolved();
    match node.kind() {
        Kind::Scalar(scalar) => scalar.value.to_string(),
        Kind::Map(_) => "a map".into(),
        Kind::Seq(_) => "a list".into(),
        Kind::Alias(_) | Kind::Skipped(_) => "a value".into(),
    }
}

/// A path as the findings show it: from the resource's logical id.
fn shown_path(path: &[Seg]) -> String {
    let shown = display_path(path);
    match shown.strip_prefix("Resources.") {
        Some(rest) => rest.to_string(),
        None => shown,
    }
}

#[cfg(test)]
mod tests {
    use crate::{check_rules, Rule, Strategy};

    /// (API, setting) of each finding.
    fn found(source: &str) -> Vec<(String, String)> {
        let rule = Rule::from_id("httpapi-invalid-cors-value").unwrap();
        let checked = check_rules(source, Strategy::Auto, &[rule]).unwrap();
        assert!(checked.fixed.is_none());
        assert!(checked.findings.iter().all(|f| f.refusal.is_some()));
        checked
            .findings
            .iter()
            .map(|f| (f.api.clone(), f.setting.clone()))
            .collect()
    }

    const GLOBALS: &str = "Globals:\n  HttpApi:\n    CorsConfiguration:\n      AllowMethods: [GET, fetch]\n      MaxAge: '60'\nResources:\n";

    #[test]
    fn globals_reach_the_apis_that_merge_them() {
        let source = format!(
            "{GLOBALS}  Merged:\n    Type: AWS::Serverless::HttpApi\n    Properties:\n      CorsConfiguration:\n        MaxAge: 60\n  \
             Wildcard:\n    Type: AWS::Serverless::HttpApi\n    Properties:\n      CorsConfiguration: true\n  \
             Off:\n    Type: AWS::Serverless::HttpApi\n    Properties:\n      CorsConfiguration:\n  \
             Fn:\n    Type: AWS::Serverless::Function\n    Properties:\n      Events:\n        Get:\n          Type: HttpApi\n"
        );
        // `Merged` takes the global list and its own `MaxAge`; `true` and null keep the
        // global configuration out; the implicit API takes all of it.
        assert_eq!(
            found(&source),
            [
                ("Merged", "Globals.HttpApi.CorsConfiguration.AllowMethods"),
                (
                    "ServerlessHttpApi",
                    "Globals.HttpApi.CorsConfiguration.AllowMethods"
                ),
                (
                    "ServerlessHttpApi",
                    "Globals.HttpApi.CorsConfiguration.MaxAge"
                ),
            ]
            .map(|(a, s)| (a.to_string(), s.to_string()))
        );
    }

    #[test]
    fn values_sam_leaves_out_and_intrinsics_are_not_judged() {
        let source = "Resources:\n  Api:\n    Type: AWS::Serverless::HttpApi\n    Properties:\n      CorsConfiguration:\n        \
             AllowOrigins: !Ref Origins\n        AllowHeaders: ''\n        AllowMethods: [GET, !Ref Method]\n        ExposeHeaders:\n        MaxAge: !Ref Age\n";
        assert!(found(source).is_empty());
    }
}
