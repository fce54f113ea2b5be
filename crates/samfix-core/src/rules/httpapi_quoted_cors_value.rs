//! `httpapi-quoted-cors-value`: an HTTP API's `CorsConfiguration` list item written with a
//! REST API's inner single quotes (`"'https://example.com'"`). HTTP APIs take plain values,
//! so the quotes become part of the origin, header or method, and nothing a browser sends
//! matches it.

use super::invalid_mapping_expression::{
    intrinsic_parts, is_header_name, is_method, is_serialized_origin, plain_text,
};
use super::{Context, Output, Rule, RuleSpec};
use crate::change::{Change, Value};
use crate::diagnostic::{
    EventLabels, Finding, Fix, FixReason, Reason, Refusal, Strategy, WrittenIn,
};
use crate::model::{child, is_intrinsic, is_shared};
use crate::parse::{
    display_path, Node, Path, Reads, Resolved, ResourceReads, ScalarStyle, Seg, Span,
};

pub(super) const RULE: RuleSpec = RuleSpec {
    id: "httpapi-quoted-cors-value",
    name: "HttpApiQuotedCorsValue",
    summary: "An HTTP API's CORS list item carries REST-style quotes",
    description: "An `AWS::Serverless::HttpApi` `CorsConfiguration` item (`AllowOrigins`, `AllowHeaders`, `AllowMethods`, `ExposeHeaders`) written with a REST API's inner single quotes (`\"'https://example.com'\"`): HTTP APIs take plain values, so the quotes become part of the origin, header or method, and no browser request matches it.",
    fix: "removes the inner quotes from each such item",
    page: include_str!("../../docs/rules/httpapi-quoted-cors-value.md"),
    reads: Reads {
        attributes: &["IgnoreGlobals"],
        sections: &[],
        resources: &[ResourceReads {
            kind: "AWS::Serverless::HttpApi",
            properties: &["CorsConfiguration"],
            edited: false,
        }],
    },
    check,
};

/// The list fields of a `CorsConfiguration`.
const FIELDS: [&str; 4] = [
    "AllowOrigins",
    "AllowHeaders",
    "AllowMethods",
    "ExposeHeaders",
];

/// The HTTP API SAM makes for `HttpApi` events that name no `ApiId`.
const IMPLICIT_HTTP_API: &str = "ServerlessHttpApi";

/// An HTTP API of the template.
struct HttpApi<'t> {
    id: String,
    /// Its own `CorsConfiguration`, if it has one.
    own: Option<Config<'t>>,
    /// Whether `IgnoreGlobals` keeps `Globals.HttpApi.CorsConfiguration` away from it.
    ignores_globals: bool,
    /// Its `HttpApi` events, as `Owner.Event`.
    events: EventLabels,
}

/// A `CorsConfiguration` as written.
#[derive(Clone)]
struct Config<'t> {
    written_in: WrittenIn,
    path: Path,
    node: Node<'t>,
    /// Where its key is written.
    key_span: Span,
    /// Reached through an anchor, alias or merge key.
    shared: bool,
}

fn check<'t>(context: &Context<'_, 't>) -> Output<'t> {
    let rule = Rule(&RULE);
    let root = context.template.root;
    let apis = http_apis(root);
    let globals = root
        .get("Globals")
        .and_then(|globals| globals.lookup("HttpApi"))
        .and_then(|(entry, indirect)| {
            let http_api = entry.value();
            let (config, config_indirect) = http_api.lookup("CorsConfiguration")?;
            let path: Path = ["Globals", "HttpApi", "CorsConfiguration"]
                .iter()
                .map(|key| Seg::Key((*key).into()))
                .collect();
            Some(Config {
                written_in: WrittenIn::Globals,
                shared: indirect
                    || config_indirect
                    || is_shared(http_api)
                    || is_shared(config.value())
                    || root.shared_on_path(&path).is_some(),
                path,
                node: config.value(),
                key_span: config.key_span(),
            })
        })
        .filter(|config| !config.node.is_null());
    let mut output = Output::default();
    // The global configuration first, then each API's own.
    let mut configs: Vec<(Config, Vec<&HttpApi>)> = Vec::new();
    if let Some(global) = &globals {
        let readers: Vec<&HttpApi> = apis
            .iter()
            .filter(|api| {
                !api.ignores_globals
                    && api.own.as_ref().is_none_or(|own| {
                        !is_intrinsic(own.node) && own.node.resolved().as_map().is_some()
                    })
            })
            .collect();
        if !readers.is_empty() {
            configs.push((global.clone(), readers));
        }
    }
    for api in &apis {
        if let Some(own) = &api.own {
            configs.push((own.clone(), vec![api]));
        }
    }
    for (config, readers) in &configs {
        if is_intrinsic(config.node) {
            if let Some((field, item)) = quoted_in_branches(config.node, None) {
                let name = setting_name(&config.path);
                refuse_in_intrinsic(
                    &mut output,
                    rule,
                    config,
                    readers,
                    field,
                    &name,
                    item,
                    &config.key_span,
                );
            }
            continue;
        }
        let Some(map) = config.node.resolved().as_map() else {
            continue;
        };
        let credentials = [Some(config), globals.as_ref()]
            .into_iter()
            .flatten()
            .any(|config| {
                config.node.get("AllowCredentials").is_some_and(|value| {
                    let value = value.resolved();
                    value.tag().is_none()
                        && value
                            .as_scalar()
                            .is_some_and(|s| s.resolve() == Resolved::Bool(true))
                })
            });
        for field in FIELDS {
            let Some((entry, indirect)) = config.node.lookup(field) else {
                continue;
            };
            let list = entry.value();
            if is_intrinsic(list) {
                if let Some((field, item)) = quoted_in_branches(list, Some(field)) {
                    let name = setting_name(&child(&config.path, field));
                    refuse_in_intrinsic(
                        &mut output,
                        rule,
                        config,
                        readers,
                        field,
                        &name,
                        item,
                        &entry.key_span(),
                    );
                }
                continue;
            }
            let Some(seq) = list.resolved().as_seq() else {
                continue;
            };
            let quoted: Vec<(usize, &str)> = seq
                .items()
                .enumerate()
                .filter_map(|(index, item)| {
                    let text = plain_text(item)?;
                    is_quoted(text).then_some((index, text))
                })
                .collect();
            let Some(&(_, first)) = quoted.first() else {
                continue;
            };
            let path = child(&config.path, field);
            let name = setting_name(&path);
            let shared = config.shared
                || indirect
                || is_shared(list)
                || map.get(field).is_none()
                || root.shared_on_path(&path).is_some()
                || root.at(&path) != Some(list);
            let outcome = if shared {
                Err(Reason::ReachedThroughAlias { path: name.clone() })
            } else {
                plan(
                    field,
                    &name,
                    &path,
                    entry.key_style(),
                    list,
                    &quoted,
                    credentials,
                )
            };
            let span = entry.key_span();
            let apis: Vec<String> = readers.iter().map(|api| api.id.clone()).collect();
            let (fix, refusal) = match outcome {
                Ok(changes) => {
                    output.holders.extend(changes.iter().map(|_| None));
                    output.fixes.push(Fix {
                        rule,
                        written_in: config.written_in.clone(),
                        apis,
                        strategy: Strategy::Auto,
                        why: FixReason::Rule {
                            kind: "unquoted-items",
                            message: format!(
                                "removes the REST-style quotes: `{first}` becomes `{}`",
                                &first[1..first.len() - 1]
                            ),
                        },
                        changes,
                    });
                    (Some(output.fixes.len() - 1), None)
                }
                Err(reason) => {
                    output.refusals.push(Refusal {
                        rule,
                        written_in: config.written_in.clone(),
                        apis,
                        span: span.clone(),
                        reason,
                    });
                    (None, Some(output.refusals.len() - 1))
                }
            };
            for api in readers {
                output.findings.push(finding(
                    rule, api, config, field, &name, first, &span, fix, refusal,
                ));
            }
        }
    }
    output
}

/// A quoted item in a branch of `Fn::If`, with its field: samfix does not edit inside an
/// intrinsic function.
fn quoted_in_branches<'t>(node: Node<'t>, field: Option<&'t str>) -> Option<(&'t str, &'t str)> {
    let node = node.resolved();
    if is_intrinsic(node) {
        let (function, args) = intrinsic_parts(node)?;
        if function != "Fn::If" {
            return None;
        }
        return args
            .resolved()
            .as_seq()?
            .items()
            .skip(1)
            .find_map(|branch| quoted_in_branches(branch, field));
    }
    match field {
        None => FIELDS.iter().find_map(|field| {
            let value = node.as_map()?.get(field)?.value();
            quoted_in_branches(value, Some(field))
        }),
        Some(field) => node.as_seq()?.items().find_map(|item| {
            let text = plain_text(item)?;
            is_quoted(text).then_some((field, text))
        }),
    }
}

/// Records that a quoted item inside an intrinsic function is left to a person.
#[allow(clippy::too_many_arguments)]
fn refuse_in_intrinsic(
    output: &mut Output,
    rule: Rule,
    config: &Config,
    readers: &[&HttpApi],
    field: &str,
    name: &str,
    item: &str,
    span: &Span,
) {
    output.refusals.push(Refusal {
        rule,
        written_in: config.written_in.clone(),
        apis: readers.iter().map(|api| api.id.clone()).collect(),
        span: span.clone(),
        reason: Reason::Rule {
            kind: "inside-intrinsic",
            message: format!(
                "`{name}` gives `{item}` in a branch of `Fn::If`; samfix does not edit inside an intrinsic function: take the quotes off there"
            ),
        },
    });
    let refusal = Some(output.refusals.len() - 1);
    for api in readers {
        output.findings.push(finding(
            rule, api, config, field, name, item, span, None, refusal,
        ));
    }
}

#[allow(clippy::too_many_arguments)]
fn finding(
    rule: Rule,
    api: &HttpApi,
    config: &Config,
    field: &str,
    name: &str,
    first: &str,
    span: &Span,
    fix: Option<usize>,
    refusal: Option<usize>,
) -> Finding {
    let what = match field {
        "AllowOrigins" => "no browser's `Origin` matches it",
        "AllowMethods" => "no request method matches it",
        "ExposeHeaders" => "no response header matches it",
        _ => "no request header matches it",
    };
    Finding {
        rule,
        api: api.id.clone(),
        message: format!(
            "`{field}` of `{}` lists `{first}` with REST-style quotes: HTTP APIs take plain values, so {what}",
            api.id
        ),
        label: "REST-style quotes",
        span: span.clone(),
        setting_kind: "cors",
        setting: name.to_string(),
        written_in: config.written_in.clone(),
        preflight: match &config.written_in {
            WrittenIn::Globals => "`Globals.HttpApi` sets `CorsConfiguration`".to_string(),
            WrittenIn::Api(id) => format!("`{id}` sets `CorsConfiguration`"),
        },
        events: api.events.clone(),
        fix,
        refusal,
    }
}

/// `'...'` around a value.
fn is_quoted(text: &str) -> bool {
    text.len() >= 2 && text.starts_with('\'') && text.ends_with('\'')
}

/// The changes that take the quotes off every quoted item of the list, or why not.
fn plan(
    field: &str,
    name: &str,
    path: &Path,
    key_style: ScalarStyle,
    list: Node,
    quoted: &[(usize, &str)],
    credentials: bool,
) -> Result<Vec<Change>, Reason> {
    let refuse = |kind: &'static str, message: String| Err(Reason::Rule { kind, message });
    for &(_, text) in quoted {
        let inner = &text[1..text.len() - 1];
        if inner.trim().is_empty() || inner.contains('\'') {
            return refuse(
                "stray-quote",
                format!("`{text}` in `{name}` is not one quoted value; which values are meant is for a person to say"),
            );
        }
        if inner.contains(',') {
            return refuse(
                "comma-list",
                format!("`{text}` in `{name}` is a REST-style list in one item; an HTTP API takes one value per item: split it into items by hand"),
            );
        }
        let (ok, kind, what) = match field {
            "AllowOrigins" => (
                inner == "*" || is_serialized_origin(inner, true),
                "origin-invalid",
                "an origin (`*` or `scheme://host[:port]`)",
            ),
            "AllowMethods" => (is_method(inner), "not-a-method", "an HTTP method"),
            _ => (is_header_name(inner), "not-a-header-name", "a header name"),
        };
        if !ok {
            return refuse(
                kind,
                format!("without its quotes, `{inner}` in `{name}` would still not be {what}: which value is meant is for a person to say"),
            );
        }
        if field == "AllowOrigins" && inner == "*" && credentials {
            return refuse(
                "credentials-with-wildcard",
                format!("`{name}` would allow `*` together with `AllowCredentials: true`, which browsers refuse: name the origins that may send credentials"),
            );
        }
    }
    let seq = list.resolved().as_seq().expect("the list is a sequence");
    // An item of a JSON array can only be written again with the array: a lone item would
    // be written as YAML.
    if seq.flow() && key_style == ScalarStyle::DoubleQuoted {
        let items: Option<Vec<Value>> = seq
            .items()
            .map(|item| {
                let text = plain_text(item)?;
                Some(Value::str(if is_quoted(text) {
                    &text[1..text.len() - 1]
                } else {
                    text
                }))
            })
            .collect();
        return match items {
            Some(items) => Ok(vec![Change::Replace {
                path: path.clone(),
                value: Value::Seq(items),
            }]),
            None => refuse(
                "mixed-list",
                format!("`{name}` mixes plain values with others, and samfix writes a JSON array only whole: take the quotes off by hand"),
            ),
        };
    }
    Ok(quoted
        .iter()
        .map(|&(index, text)| {
            let mut item = path.clone();
            item.push(Seg::Index(index));
            Change::Replace {
                path: item,
                value: Value::str(&text[1..text.len() - 1]),
            }
        })
        .collect())
}

/// How reports name a value's path: from its resource, as `MyApi.Properties.CorsConfiguration`.
fn setting_name(path: &Path) -> String {
    let name = display_path(path);
    match name.strip_prefix("Resources.") {
        Some(rest) => rest.to_string(),
        None => name,
    }
}

/// Every `AWS::Serverless::HttpApi` of the template, then the implicit `ServerlessHttpApi`
/// when an `HttpApi` event names no `ApiId`.
fn http_apis(root: Node<'_>) -> Vec<HttpApi<'_>> {
    let mut apis = Vec::new();
    let mut events: Vec<(Option<String>, String)> = Vec::new();
    if let Some((resources, indirect)) = root.lookup("Resources") {
        let path = vec![Seg::Key("Resources".into())];
        let shared = indirect || is_shared(resources.value());
        read_resources(
            root,
            resources.value(),
            &path,
            shared,
            &mut apis,
            &mut events,
        );
    }
    if events.iter().any(|(target, _)| target.is_none())
        && !apis.iter().any(|api| api.id == IMPLICIT_HTTP_API)
    {
        apis.push(HttpApi {
            id: IMPLICIT_HTTP_API.to_string(),
            own: None,
            ignores_globals: false,
            events: EventLabels::default(),
        });
    }
    for api in &mut apis {
        api.events = events
            .iter()
            .filter(|(target, _)| target.as_deref().unwrap_or(IMPLICIT_HTTP_API) == api.id)
            .map(|(_, label)| label.clone())
            .collect();
    }
    apis
}

fn read_resources<'t>(
    root: Node<'t>,
    resources: Node<'t>,
    path: &Path,
    shared: bool,
    apis: &mut Vec<HttpApi<'t>>,
    events: &mut Vec<(Option<String>, String)>,
) {
    let Some(map) = resources.resolved().as_map() else {
        return;
    };
    for entry in map.iter() {
        let id = entry.key();
        let resource = entry.value();
        if id.starts_with("Fn::ForEach::") {
            // [Identifier, Collection, {LogicalId${Identifier}: Resource}]
            if let Some(body) = resource.resolved().as_seq().and_then(|seq| seq.get(2)) {
                let mut body_path = path.clone();
                body_path.extend([Seg::Key(id.into()), Seg::Index(2)]);
                let shared = shared || is_shared(resource) || is_shared(body);
                read_resources(root, body, &body_path, shared, apis, events);
            }
            continue;
        }
        let shared = shared || is_shared(resource);
        let properties = resource.lookup("Properties");
        match resource.get("Type").and_then(Node::as_str) {
            Some("AWS::Serverless::HttpApi") => {
                let mut properties_path = path.clone();
                properties_path.extend([Seg::Key(id.into()), Seg::Key("Properties".into())]);
                let props = properties.map(|(entry, indirect)| (entry.value(), indirect));
                let own = props.and_then(|(props, props_indirect)| {
                    let (config, indirect) = props.lookup("CorsConfiguration")?;
                    let config_path = child(&properties_path, "CorsConfiguration");
                    Some(Config {
                        written_in: WrittenIn::Api(id.to_string()),
                        shared: shared
                            || props_indirect
                            || indirect
                            || is_shared(props)
                            || is_shared(config.value())
                            || root.shared_on_path(&config_path).is_some(),
                        path: config_path,
                        node: config.value(),
                        key_span: config.key_span(),
                    })
                });
                let ignores_globals = crate::model::ignores_global(
                    resource.get("IgnoreGlobals"),
                    "CorsConfiguration",
                );
                apis.push(HttpApi {
                    id: id.to_string(),
                    own: own.filter(|config| !config.node.is_null()),
                    ignores_globals,
                    events: EventLabels::default(),
                });
            }
            Some("AWS::Serverless::Function") => {
                let Some(function_events) = properties
                    .and_then(|(props, _)| props.value().get("Events"))
                    .and_then(|events| events.resolved().as_map())
                else {
                    continue;
                };
                for event in function_events.iter() {
                    if event.value().get("Type").and_then(Node::as_str) != Some("HttpApi") {
                        continue;
                    }
                    let api_id = event
                        .value()
                        .get("Properties")
                        .and_then(|props| props.get("ApiId"));
                    let target = match api_id {
                        None => None,
                        Some(api_id) => {
                            let api_id = api_id.resolved();
                            let named = if api_id.tag() == Some("!Ref") {
                                api_id.as_scalar().map(|scalar| scalar.value)
                            } else {
                                api_id.get("Ref").and_then(Node::as_str).or(api_id.as_str())
                            };
                            Some(named.unwrap_or("").to_string())
                        }
                    };
                    events.push((target, format!("{id}.{}", event.key())));
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::{check_rules, Rule, Strategy};

    fn run(source: &str) -> (Option<String>, Vec<&'static str>, Vec<String>) {
        let rule = Rule::from_id("httpapi-quoted-cors-value").unwrap();
        let checked = check_rules(source, Strategy::Auto, &[rule]).unwrap();
        (
            checked.fixed,
            checked.refusals.iter().map(|r| r.reason.kind()).collect(),
            checked.findings.iter().map(|f| f.api.clone()).collect(),
        )
    }

    const API: &str = "Resources:\n  HttpApi:\n    Type: AWS::Serverless::HttpApi\n    Properties:\n      CorsConfiguration:\n";

    #[test]
    fn quoted_items_lose_their_quotes() {
        let (fixed, refused, apis) = run(&format!(
            "{API}        AllowOrigins:\n          - \"'https://example.com'\"\n          - https://other.example\n        AllowHeaders: [\"'Content-Type'\", x-api-key]\n        AllowMethods:\n          - \"'*'\"\n"
        ));
        let fixed = fixed.unwrap();
        assert!(
            fixed.contains("          - https://example.com\n"),
            "{fixed}"
        );
        assert!(
            fixed.contains("AllowHeaders: [Content-Type, x-api-key]"),
            "{fixed}"
        );
        assert!(fixed.contains("          - '*'\n"), "{fixed}");
        assert!(refused.is_empty());
        assert_eq!(apis, ["HttpApi", "HttpApi", "HttpApi"]);
    }

    #[test]
    fn values_that_would_stay_wrong_are_refused() {
        for (field, kind) in [
            (
                "AllowOrigins: [\"'https://example.com/'\"]",
                "origin-invalid",
            ),
            ("AllowMethods: [\"'GET,POST'\"]", "comma-list"),
            ("AllowMethods: [\"'methods'\"]", "not-a-method"),
            (
                "AllowOrigins: [\"'*'\"]\n        AllowCredentials: true",
                "credentials-with-wildcard",
            ),
        ] {
            let (fixed, refused, _) = run(&format!("{API}        {field}\n"));
            assert_eq!((fixed, refused), (None, vec![kind]), "{field}");
        }
    }

    #[test]
    fn globals_reach_every_http_api_that_takes_them() {
        let source = "Globals:\n  HttpApi:\n    CorsConfiguration:\n      AllowOrigins: [\"'https://example.com'\"]\nResources:\n  \
            A:\n    Type: AWS::Serverless::HttpApi\n  \
            B:\n    Type: AWS::Serverless::HttpApi\n    IgnoreGlobals: [CorsConfiguration]\n  \
            Fn:\n    Type: AWS::Serverless::Function\n    Properties:\n      Events:\n        Get:\n          Type: HttpApi\n";
        let (fixed, _, apis) = run(source);
        assert!(fixed
            .unwrap()
            .contains("AllowOrigins: [https://example.com]"));
        assert_eq!(apis, ["A", "ServerlessHttpApi"]);
    }
}
