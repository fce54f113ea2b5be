//! `invalid-mapping-expression`: a REST API's `Cors` value or `GatewayResponses` CORS header
//! that is not an API Gateway mapping expression. SAM passes these values through unchecked;
//! API Gateway takes them as mapping expressions, where a literal needs inner single quotes
//! (`"'*'"`), and rejects the deployment otherwise. A list quoted item by item
//! (`"'Content-Type', 'Authorization'"`) is one literal whose items keep their quotes, so it
//! matches no header.

use std::collections::HashMap;

use super::{Context, Output, Rule, RuleSpec};
use crate::change::{Change, Value};
use crate::cors::{ApiCors, Setting, ANY_METHODS};
use crate::diagnostic::{Finding, Fix, FixReason, Reason, Refusal, Strategy, Warning, WarningKind};
use crate::facts::ApiFacts;
use crate::model::{is_intrinsic, is_shared, Api};
use crate::parse::{display_path, Kind, Node, Path, Resolved, Seg};

pub(super) const RULE: RuleSpec = RuleSpec {
    id: "invalid-mapping-expression",
    name: "InvalidMappingExpression",
    summary: "A REST API's CORS value is not an API Gateway mapping expression",
    description: "A `Cors` value (the origin string, `AllowOrigin`, `AllowHeaders`, `AllowMethods`, `MaxAge`) or a `GatewayResponses` `Access-Control-*` header that is not a mapping expression: SAM copies it as written, and API Gateway rejects the deployment (\"Invalid mapping expression\") unless a literal carries inner single quotes (`\"'*'\"`). A list quoted item by item is one literal that matches no header or method.",
    fix: "quotes the literal (`\"*\"` becomes `\"'*'\"`), adding any method or header the routes need, or joins a list quoted item by item into one literal",
    page: include_str!("../../docs/rules/invalid-mapping-expression.md"),
    reads: crate::cors::READS,
    check,
};

/// What a CORS header value says, which decides what a fixed value must look like.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    Origin,
    Headers,
    Methods,
    MaxAge,
    /// `Access-Control-Expose-Headers`, `-Allow-Credentials` in a gateway response.
    Other,
}

impl Field {
    fn of_header(header: &str) -> Field {
        match header.to_ascii_lowercase().as_str() {
            "access-control-allow-origin" => Field::Origin,
            "access-control-allow-headers" => Field::Headers,
            "access-control-allow-methods" => Field::Methods,
            "access-control-max-age" => Field::MaxAge,
            _ => Field::Other,
        }
    }
}

/// One value written in the template, and the APIs that read it.
struct Candidate<'t> {
    setting: Setting<'t>,
    field: Field,
    /// A `Cors` value, which SAM writes on the OPTIONS methods; otherwise a gateway response's.
    in_cors: bool,
    /// Indexes of the APIs that read it.
    readers: Vec<usize>,
}

/// What a value is, as API Gateway would read it.
#[derive(Debug, PartialEq)]
enum Shape {
    /// A mapping expression, or nothing samfix can judge.
    Fine,
    /// Text (or a list of texts, joined) that needs quotes to be a literal.
    Unquoted { shown: String, text: String },
    /// One literal of items quoted one by one: the items without their quotes.
    QuotedItems { items: Vec<String> },
    /// A number or boolean, which SAM passes on as it is.
    BareScalar { shown: String },
    /// A map, or a list that holds more than plain text.
    NotString { shown: String },
    /// Text that starts like a request, context or stage-variable expression but is none.
    Malformed { shown: String },
    /// Text with a single quote that does not wrap it.
    StrayQuote { shown: String },
    /// An intrinsic function that yields text that is not a mapping expression.
    Intrinsic { what: String },
}

/// What the rule concludes about one value.
enum Verdict {
    Fine,
    Note {
        message: String,
        help: String,
    },
    Fix {
        text: String,
        kind: &'static str,
        message: String,
    },
    Refuse(Reason),
}

fn check<'t>(context: &Context<'_, 't>) -> Output<'t> {
    let rule = Rule(&RULE);
    let apis: Vec<(&Api<'t>, &ApiFacts<'t>, &ApiCors<'t>)> = context.cors_apis().collect();
    let mut candidates = candidates(context, &apis);
    // In the order they are written, as a reader meets them.
    candidates.sort_by_key(|candidate| candidate.setting.key_span.start);
    let mut output = Output::default();
    for candidate in &candidates {
        let shape = classify(candidate.setting.node);
        let verdict = decide(context, &apis, candidate, &shape);
        let setting = &candidate.setting;
        let name = setting_name(&setting.path);
        let (fix, refusal) = match verdict {
            Verdict::Fine => continue,
            Verdict::Note { message, help } => {
                output.warnings.push(Warning {
                    kind: WarningKind::Rule("bare-scalar"),
                    rule: Some(rule),
                    span: setting.key_span.clone(),
                    message,
                    help: Some(help),
                });
                continue;
            }
            Verdict::Fix {
                text,
                kind,
                message,
            } => {
                output.fixes.push(Fix {
                    rule,
                    written_in: setting.written_in.clone(),
                    apis: reader_ids(&apis, candidate),
                    strategy: Strategy::Auto,
                    why: FixReason::Rule { kind, message },
                    changes: replacement(context, setting, text),
                });
                let changes = output.fixes.last().map_or(0, |fix| fix.changes.len());
                output.holders.extend((0..changes).map(|_| None));
                (Some(output.fixes.len() - 1), None)
            }
            Verdict::Refuse(reason) => {
                output.refusals.push(Refusal {
                    rule,
                    written_in: setting.written_in.clone(),
                    apis: reader_ids(&apis, candidate),
                    span: setting.key_span.clone(),
                    reason,
                });
                (None, Some(output.refusals.len() - 1))
            }
        };
        for &reader in &candidate.readers {
            let (api, facts, _) = apis[reader];
            let (message, label) =
                describe(&shape, &name, &api.id, candidate.field, candidate.in_cors);
            output.findings.push(Finding {
                rule,
                api: api.id.clone(),
                message,
                label,
                span: setting.key_span.clone(),
                setting_kind: if candidate.in_cors {
                    "cors"
                } else {
                    "gateway response"
                },
                setting: name.clone(),
                written_in: setting.written_in.clone(),
                preflight: facts.preflight.clone().unwrap_or_else(|| {
                    format!("the gateway responses of `{}` set CORS headers", api.id)
                }),
                events: context.template.event_labels(&api.id),
                fix,
                refusal,
            });
        }
    }
    output
}

/// The changes that write `text` in place of the setting's value. A block list gives way to
/// the entry written again on one line, where the old one was: a scalar in place of the
/// list would sit alone on the line below its key.
fn replacement(context: &Context, setting: &Setting, text: String) -> Vec<Change> {
    let replace = || {
        vec![Change::Replace {
            path: setting.path.clone(),
            value: Value::str(text.clone()),
        }]
    };
    let block_list = setting
        .node
        .as_seq()
        .is_some_and(|seq| !seq.flow() && !seq.is_empty());
    let Some((Seg::Key(key), parent)) = setting.path.split_last() else {
        return replace();
    };
    let Some(map) = context.template.root.at(parent).and_then(Node::as_map) else {
        return replace();
    };
    if !block_list || map.flow() {
        return replace();
    }
    let after = map
        .get_index_of(key)
        .and_then(|at| at.checked_sub(1))
        .and_then(|at| map.get_index(at))
        .map(|entry| entry.key().into());
    vec![
        Change::Remove {
            map: parent.to_vec(),
            key: key.clone(),
        },
        Change::Insert {
            map: parent.to_vec(),
            key: key.clone(),
            value: Value::str(text),
            after,
        },
    ]
}

fn reader_ids(apis: &[(&Api, &ApiFacts, &ApiCors)], candidate: &Candidate) -> Vec<String> {
    candidate
        .readers
        .iter()
        .map(|&reader| apis[reader].0.id.clone())
        .collect()
}

/// Every CORS value the APIs read, once each, with the APIs that read it.
fn candidates<'t>(
    context: &Context<'_, 't>,
    apis: &[(&Api<'t>, &ApiFacts<'t>, &ApiCors<'t>)],
) -> Vec<Candidate<'t>> {
    let mut candidates: Vec<Candidate<'t>> = Vec::new();
    let mut by_path: HashMap<Path, usize> = HashMap::new();
    let mut add = |setting: Setting<'t>, field: Field, in_cors: bool, reader: usize| match by_path
        .get(&setting.path)
    {
        Some(&at) => candidates[at].readers.push(reader),
        None => {
            by_path.insert(setting.path.clone(), candidates.len());
            candidates.push(Candidate {
                setting,
                field,
                in_cors,
                readers: vec![reader],
            });
        }
    };
    for (reader, (_, _, api_cors)) in apis.iter().enumerate() {
        if let Some(cors) = &api_cors.cors {
            if cors.is_map {
                for (setting, field) in [
                    (&cors.allow_origin, Field::Origin),
                    (&cors.allow_headers, Field::Headers),
                    (&cors.allow_methods, Field::Methods),
                    (&cors.max_age, Field::MaxAge),
                ] {
                    if let Some(setting) = setting {
                        add(setting.clone(), field, true, reader);
                    }
                }
            } else {
                // A string, or an intrinsic, is the origin itself.
                add(cors.setting.clone(), Field::Origin, true, reader);
            }
        }
        for responses in &api_cors.gateway_responses {
            for (setting, field) in gateway_headers(context, responses) {
                add(setting, field, false, reader);
            }
        }
    }
    candidates
}

/// The `Access-Control-*` headers of a `GatewayResponses` map:
/// `<TYPE>.ResponseParameters.Headers.<H>`.
fn gateway_headers<'t>(
    context: &Context<'_, 't>,
    responses: &Setting<'t>,
) -> Vec<(Setting<'t>, Field)> {
    let mut out = Vec::new();
    let node = responses.node;
    if is_intrinsic(node) {
        return out;
    }
    let Some(map) = node.resolved().as_map() else {
        return out;
    };
    for response in map.iter() {
        let kind = response.key();
        let mut shared = responses.shared || is_shared(response.value());
        let mut at = Some(response.value());
        for key in ["ResponseParameters", "Headers"] {
            at = match at
                .filter(|node| !is_intrinsic(*node))
                .and_then(|node| node.lookup(key))
            {
                Some((entry, indirect)) => {
                    shared |= indirect || is_shared(entry.value());
                    Some(entry.value())
                }
                None => None,
            };
        }
        let Some(at) = at.filter(|node| !is_intrinsic(*node)) else {
            continue;
        };
        let Some(headers) = at.resolved().as_map() else {
            continue;
        };
        let via_alias = at.is_alias();
        for header in headers.iter() {
            let name = header.key();
            if !name.to_ascii_lowercase().starts_with("access-control-") {
                continue;
            }
            let mut path = responses.path.clone();
            path.extend([
                Seg::Key(kind.into()),
                Seg::Key("ResponseParameters".into()),
                Seg::Key("Headers".into()),
                Seg::Key(name.into()),
            ]);
            let shared = shared
                || via_alias
                || is_shared(header.value())
                || context.template.root.shared_on_path(&path).is_some()
                || context.template.root.at(&path) != Some(header.value());
            out.push((
                Setting {
                    written_in: responses.written_in.clone(),
                    path,
                    node: header.value(),
                    key_span: header.key_span(),
                    shared,
                },
                Field::of_header(name),
            ));
        }
    }
    out
}

/// How reports name a value's path: from its resource, as `MyApi.Properties.Cors`.
fn setting_name(path: &Path) -> String {
    let name = display_path(path);
    match name.strip_prefix("Resources.") {
        Some(rest) => rest.to_string(),
        None => name,
    }
}

/// The untagged text a node loads to, if it loads to a string.
pub(super) fn plain_text(node: Node<'_>) -> Option<&str> {
    let node = node.resolved();
    if node.tag().is_some() {
        return None;
    }
    match node.as_scalar()?.resolve() {
        Resolved::Str(text) => Some(text),
        _ => None,
    }
}

/// What a value is, as API Gateway would read it.
fn classify(node: Node<'_>) -> Shape {
    if is_intrinsic(node) {
        return match intrinsic_yield(node.resolved()) {
            Some(what) => Shape::Intrinsic { what },
            None => Shape::Fine,
        };
    }
    let node = node.resolved();
    match node.kind() {
        Kind::Scalar(scalar) => {
            if node.tag().is_some() {
                return Shape::Fine;
            }
            match scalar.resolve() {
                Resolved::Null => Shape::Fine,
                Resolved::Str(text) => classify_text(text),
                Resolved::Bool(_) | Resolved::Int(_) | Resolved::Float(_) => Shape::BareScalar {
                    shown: scalar.value.to_string(),
                },
            }
        }
        Kind::Seq(seq) => {
            let items: Option<Vec<&str>> = seq.items().map(plain_text).collect();
            match items {
                Some(items)
                    if !items.is_empty()
                        && items
                            .iter()
                            .all(|item| !item.trim().is_empty() && !item.contains(['\'', ','])) =>
                {
                    let items: Vec<&str> = items.iter().map(|item| item.trim()).collect();
                    Shape::Unquoted {
                        shown: format!("[{}]", items.join(", ")),
                        text: items.join(","),
                    }
                }
                _ => Shape::NotString {
                    shown: "a list".into(),
                },
            }
        }
        Kind::Map(_) => Shape::NotString {
            shown: "a map".into(),
        },
        Kind::Alias(_) | Kind::Skipped(_) => Shape::Fine,
    }
}

/// What a string is, as API Gateway would read it.
fn classify_text(text: &str) -> Shape {
    if is_literal(text) {
        return match quoted_items(text) {
            Some(items) => Shape::QuotedItems { items },
            None => Shape::Fine,
        };
    }
    if text.trim().is_empty() || is_source(text) {
        return Shape::Fine;
    }
    let shown = text.to_string();
    if looks_like_source(text) {
        return Shape::Malformed { shown };
    }
    if text.contains('\'') {
        return Shape::StrayQuote { shown };
    }
    Shape::Unquoted {
        text: text.trim().to_string(),
        shown,
    }
}

/// `'...'`: a literal, as API Gateway reads it.
fn is_literal(text: &str) -> bool {
    text.len() >= 2 && text.starts_with('\'') && text.ends_with('\'')
}

/// The items of a literal quoted item by item, `'A', 'B'`: at least two, each quoted.
fn quoted_items(text: &str) -> Option<Vec<String>> {
    if !text[1..text.len() - 1].contains('\'') {
        return None;
    }
    let items: Option<Vec<String>> = text
        .split(',')
        .map(|part| {
            let inner = part.trim().strip_prefix('\'')?.strip_suffix('\'')?.trim();
            (!inner.is_empty() && !inner.contains('\'')).then(|| inner.to_string())
        })
        .collect();
    items.filter(|items| items.len() >= 2)
}

/// The request, response, context and stage-variable expressions API Gateway maps from.
const SOURCES: [&str; 4] = [
    "method.request.",
    "integration.response.",
    "context.",
    "stageVariables.",
];

/// A mapping expression that reads a value: `method.request.header.<name>`,
/// `integration.response.body`, `context.<var>`, `stageVariables.<name>`...
fn is_source(text: &str) -> bool {
    let rest_ok = |rest: &str| !rest.is_empty() && !rest.contains(char::is_whitespace);
    if let Some(rest) = text.strip_prefix("method.request.") {
        return [
            "header.",
            "querystring.",
            "path.",
            "multivalueheader.",
            "multivaluequerystring.",
        ]
        .iter()
        .any(|kind| rest.strip_prefix(kind).is_some_and(rest_ok));
    }
    if let Some(rest) = text.strip_prefix("integration.response.") {
        if rest == "body" || rest.strip_prefix("body.").is_some_and(rest_ok) {
            return true;
        }
        return ["header.", "multivalueheader."]
            .iter()
            .any(|kind| rest.strip_prefix(kind).is_some_and(rest_ok));
    }
    ["context.", "stageVariables."]
        .iter()
        .any(|kind| text.strip_prefix(kind).is_some_and(rest_ok))
}

/// Text that starts like a source expression: a mistyped one, not a literal.
fn looks_like_source(text: &str) -> bool {
    ["method.", "integration.", "context.", "stageVariables."]
        .iter()
        .any(|start| text.starts_with(start))
}

/// What an intrinsic surely yields that is not a mapping expression, in words; `None` when
/// its value is known only to CloudFormation, or is fine.
fn intrinsic_yield(node: Node<'_>) -> Option<String> {
    let (function, args) = intrinsic_parts(node)?;
    let bad = |text: &str| {
        matches!(
            classify_text(text),
            Shape::Unquoted { .. } | Shape::Malformed { .. } | Shape::StrayQuote { .. }
        )
    };
    match function {
        "Fn::If" => {
            let branches = args.resolved().as_seq()?;
            branches.items().skip(1).take(2).find_map(|branch| {
                if is_intrinsic(branch) {
                    return intrinsic_yield(branch.resolved());
                }
                if let Some(text) = plain_text(branch) {
                    return bad(text).then(|| format!("`Fn::If` gives `{text}` in one branch"));
                }
                // `Cors: !If [C, {AllowOrigin: ...}, ...]`: the fields of a branch map.
                let map = branch.resolved().as_map()?;
                map.iter()
                    .filter(|entry| {
                        ["AllowOrigin", "AllowHeaders", "AllowMethods", "MaxAge"]
                            .contains(&entry.key())
                    })
                    .find_map(|entry| {
                        let text = plain_text(entry.value())?;
                        bad(text).then(|| {
                            format!("`Fn::If` gives `{}: {text}` in one branch", entry.key())
                        })
                    })
            })
        }
        "Fn::Sub" => {
            let args = args.resolved();
            let template = match args.kind() {
                // `!Sub text` carries the function's own tag.
                Kind::Scalar(scalar) => scalar.value,
                _ => plain_text(args.as_seq()?.get(0)?)?,
            };
            let Some(open) = template.find("${") else {
                return bad(template).then(|| format!("`Fn::Sub` gives `{template}`"));
            };
            let prefix = &template[..open];
            let suffix = template
                .rfind('}')
                .map_or("", |close| &template[close + 1..]);
            if prefix.starts_with('\'') {
                return (!suffix.is_empty() && !suffix.ends_with('\''))
                    .then(|| format!("`Fn::Sub` gives text that opens a literal with `'` but ends with `{suffix}`"));
            }
            unsure_prefix(prefix)
                .then(|| format!("`Fn::Sub` gives text that starts with `{prefix}`"))
        }
        "Fn::Join" => {
            let args = args.resolved().as_seq()?;
            let delimiter = plain_text(args.get(0)?)?;
            let items: Vec<Node> = args.get(1)?.resolved().as_seq()?.items().collect();
            let texts: Option<Vec<&str>> = items.iter().map(|item| plain_text(*item)).collect();
            if let Some(texts) = texts {
                let joined = texts.join(delimiter);
                return bad(&joined).then(|| format!("`Fn::Join` gives `{joined}`"));
            }
            let first = plain_text(*items.first()?)?;
            unsure_prefix(first)
                .then(|| format!("`Fn::Join` gives text that starts with `{first}`"))
        }
        _ => None,
    }
}

/// Whether text that starts with `prefix` (and continues with what only CloudFormation
/// knows) surely is neither a literal nor a source expression.
fn unsure_prefix(prefix: &str) -> bool {
    !prefix.is_empty()
        && !prefix.starts_with('\'')
        && !SOURCES
            .iter()
            .any(|source| source.starts_with(prefix) || prefix.starts_with(source))
}

/// `!If [...]` or `{Fn::If: [...]}`: the function's full name and its arguments.
pub(super) fn intrinsic_parts(node: Node<'_>) -> Option<(&str, Node<'_>)> {
    if let Some(tag) = node.tag() {
        let name = tag.strip_prefix('!')?;
        return Some((
            match name {
                "If" => "Fn::If",
                "Sub" => "Fn::Sub",
                "Join" => "Fn::Join",
                _ => return None,
            },
            node,
        ));
    }
    let map = node.as_map()?;
    let entry = map.first()?;
    (map.len() == 1).then(|| (entry.key(), entry.value()))
}

/// `*`, `null` or one serialized origin, `scheme://host[:port]`: what a browser compares
/// the `Origin` of a call with.
pub(super) fn is_origin(text: &str) -> bool {
    text == "*" || text == "null" || is_serialized_origin(text, false)
}

/// `scheme://host[:port]`: no path, no trailing slash, no list. `wildcard_host` lets the host
/// hold `*` (as HTTP APIs allow, `https://*.example.com`) and not a bracketed IPv6 address.
pub(super) fn is_serialized_origin(text: &str, wildcard_host: bool) -> bool {
    let Some((scheme, rest)) = text.split_once("://") else {
        return false;
    };
    let mut scheme_chars = scheme.chars();
    if !scheme_chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        || !scheme_chars.all(|c| c.is_ascii_alphanumeric() || "+.-".contains(c))
    {
        return false;
    }
    let (host, port) = if !wildcard_host && rest.starts_with('[') {
        let Some(end) = rest.find(']') else {
            return false;
        };
        let inner = &rest[1..end];
        if inner.is_empty()
            || !inner
                .chars()
                .all(|c| c.is_ascii_hexdigit() || c == ':' || c == '.')
        {
            return false;
        }
        (&rest[..=end], &rest[end + 1..])
    } else {
        let end = rest.find(':').unwrap_or(rest.len());
        let host = &rest[..end];
        let forbidden = if wildcard_host { ",?#@:" } else { ",*?#@:[]" };
        if host.is_empty()
            || host
                .chars()
                .any(|c| c == '/' || c.is_whitespace() || forbidden.contains(c))
        {
            return false;
        }
        (host, &rest[end..])
    };
    let _ = host;
    port.is_empty()
        || port
            .strip_prefix(':')
            .is_some_and(|digits| !digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit()))
}

/// The methods a CORS method list may name.
pub(super) const METHOD_NAMES: [&str; 8] = [
    "GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "*",
];

/// An HTTP method, in any case, or `*`.
pub(super) fn is_method(item: &str) -> bool {
    METHOD_NAMES
        .iter()
        .any(|method| method.eq_ignore_ascii_case(item))
}

/// A header name (an HTTP token, RFC 9110), or `*`.
pub(super) fn is_header_name(item: &str) -> bool {
    !item.is_empty()
        && item
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "!#$%&*+-.^_`|~".contains(c))
}

/// The items of a comma-separated list, trimmed, without empty ones.
fn list_items(text: &str) -> Vec<&str> {
    text.split(',')
        .map(str::trim)
        .filter(|item| !item.is_empty())
        .collect()
}

/// What the rule does about one value.
fn decide(
    context: &Context,
    apis: &[(&Api, &ApiFacts, &ApiCors)],
    candidate: &Candidate,
    shape: &Shape,
) -> Verdict {
    let setting = &candidate.setting;
    let name = setting_name(&setting.path);
    let refuse =
        |kind: &'static str, message: String| Verdict::Refuse(Reason::Rule { kind, message });
    let (text, joined) = match shape {
        Shape::Fine => return Verdict::Fine,
        Shape::BareScalar { shown } => {
            return Verdict::Note {
                message: format!(
                    "`{name}` is the bare value `{shown}`: API Gateway's mapping expressions are quoted literals, so it may reject the deployment (not confirmed for a bare value)"
                ),
                help: format!("write `\"'{shown}'\"` to be sure"),
            }
        }
        Shape::NotString { shown } => {
            return refuse(
                "not-a-string",
                format!("`{name}` is {shown}, not text: which literal is meant is for a person to say"),
            )
        }
        Shape::Malformed { shown } => {
            return refuse(
                "malformed-expression",
                format!(
                    "`{shown}` starts like a mapping expression but is none of API Gateway's (`method.request.header.<name>`, `context.<variable>`, `stageVariables.<name>`...); quoting it would send its text"
                ),
            )
        }
        Shape::StrayQuote { shown } => {
            return refuse(
                "stray-quote",
                format!("`{shown}` holds a single quote that does not wrap the whole value; which literal is meant is for a person to say"),
            )
        }
        Shape::Intrinsic { what } => {
            return refuse(
                "inside-intrinsic",
                format!("{what}, which is not a mapping expression; samfix does not edit inside an intrinsic function: quote the literal there (`\"'...'\"`)"),
            )
        }
        Shape::Unquoted { text, .. } => (text.clone(), false),
        Shape::QuotedItems { items } => (items.join(","), true),
    };
    // A value that the path does not lead straight to (a merge key) is shared too.
    if setting.shared || context.template.root.at(&setting.path) != Some(setting.node) {
        return Verdict::Refuse(Reason::ReachedThroughAlias { path: name });
    }
    let items = list_items(&text);
    // Methods or headers the API's calls need that the list leaves out.
    let mut added: Vec<String> = Vec::new();
    match candidate.field {
        Field::Origin => {
            if joined {
                return refuse(
                    "origin-list",
                    format!("`{name}` lists several origins, but `Access-Control-Allow-Origin` takes one (`'*'` or one `scheme://host[:port]`); which one, or echoing `method.request.header.Origin` after checking it, is for a person to decide"),
                );
            }
            if !is_origin(&text) {
                return refuse(
                    "not-one-origin",
                    format!("quoted, `{text}` would still not be an origin a browser accepts (`'*'`, `'null'` or one `scheme://host[:port]`, with no path, trailing slash or list): which origin is meant is for a person to say"),
                );
            }
            if candidate.in_cors && text == "*" {
                let with_credentials = candidate.readers.iter().find(|&&reader| {
                    apis[reader]
                        .2
                        .cors
                        .as_ref()
                        .and_then(|cors| cors.allow_credentials.as_ref())
                        .is_some_and(|credentials| {
                            let node = credentials.node.resolved();
                            node.tag().is_none()
                                && node
                                    .as_scalar()
                                    .is_some_and(|s| s.resolve() == Resolved::Bool(true))
                        })
                });
                if let Some(&reader) = with_credentials {
                    return refuse(
                        "credentials-with-wildcard",
                        format!("`{}` sets `AllowCredentials: true`, which SAM rejects with the origin `'*'` and browsers refuse with `*`: name the one origin that may send credentials", apis[reader].0.id),
                    );
                }
            }
        }
        Field::Methods => {
            if let Some(item) = items.iter().find(|item| !is_method(item)) {
                return refuse(
                    "not-methods",
                    format!("`{item}` in `{name}` is not an HTTP method: quoting `{text}` would allow no real method; which methods are meant is for a person to say"),
                );
            }
            if candidate.in_cors && !joined {
                match missing(context, apis, candidate, &items, Need::Methods) {
                    Ok(lacking) => added = lacking,
                    Err(reason) => return Verdict::Refuse(reason),
                }
            }
        }
        Field::Headers => {
            if let Some(item) = items.iter().find(|item| !is_header_name(item)) {
                return refuse(
                    "not-header-names",
                    format!("`{item}` in `{name}` is not a header name: which headers are meant is for a person to say"),
                );
            }
            if candidate.in_cors && joined && items.contains(&"*") {
                return refuse(
                    "wildcard-in-list",
                    format!("`{name}` lists `*`, which does not cover `Authorization`; whether the clients send it is for a person to say"),
                );
            }
            if candidate.in_cors && !joined {
                match missing(context, apis, candidate, &items, Need::Headers) {
                    Ok(lacking) => added = lacking,
                    Err(reason) => return Verdict::Refuse(reason),
                }
            }
        }
        Field::MaxAge => {
            if joined || text.is_empty() || !text.chars().all(|c| c.is_ascii_digit()) {
                return refuse(
                    "not-seconds",
                    format!("`{text}` is not a number of seconds: what `{name}` should be is for a person to say"),
                );
            }
        }
        Field::Other => {}
    }
    if !added.is_empty() {
        canonical_order(&mut added, candidate.field);
        // A list written with `, ` keeps `, `.
        let separator = if text.contains(", ") { ", " } else { "," };
        let quoted = format!("'{text}{separator}{}'", added.join(separator));
        let readers = reader_ids(apis, candidate).join("`, `");
        return Verdict::Fix {
            message: format!(
                "quotes `{text}` as the literal `{quoted}`, adding {}, which calls to `{readers}` need",
                added.join(", ")
            ),
            text: quoted,
            kind: "quoted-literal-completed",
        };
    }
    let quoted = format!("'{text}'");
    if joined {
        Verdict::Fix {
            message: format!("joins the items into the one literal `{quoted}`"),
            text: quoted,
            kind: "joined-literal",
        }
    } else {
        Verdict::Fix {
            message: format!("quotes `{text}` as the literal `{quoted}`"),
            text: quoted,
            kind: "quoted-literal",
        }
    }
}

/// Puts added items in the order and spelling `preflight-header-not-allowed` adds headers
/// in (API Gateway's own CORS default, then the rest alphabetically), and methods in the
/// order `ANY` stands for them: both rules then write the same literal.
fn canonical_order(items: &mut [String], field: Field) {
    const HEADERS: [&str; 5] = [
        "Content-Type",
        "X-Amz-Date",
        "Authorization",
        "X-Api-Key",
        "X-Amz-Security-Token",
    ];
    let rank = |item: &str| -> (usize, String) {
        let known: &[&str] = if field == Field::Methods {
            &ANY_METHODS
        } else {
            &HEADERS
        };
        let at = known
            .iter()
            .position(|name| name.eq_ignore_ascii_case(item))
            .unwrap_or(known.len());
        (at, item.to_ascii_lowercase())
    };
    for item in items.iter_mut() {
        if let Some(name) = HEADERS.iter().find(|name| name.eq_ignore_ascii_case(item)) {
            if field == Field::Headers {
                *item = name.to_string();
            }
        }
    }
    items.sort_by_key(|item| rank(item));
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Need {
    Methods,
    Headers,
}

/// One way a browser calls an API: a method (lower case) and the headers it sends.
struct Call {
    method: String,
    headers: Vec<String>,
}

/// What the literal of `items`, once `AllowMethods` or `AllowHeaders` of every API that
/// reads it, would leave out of the calls a browser makes to them. Before, the value was
/// not a literal and nothing was judged; quoted, it must not leave a method or header out.
fn missing(
    context: &Context,
    apis: &[(&Api, &ApiFacts, &ApiCors)],
    candidate: &Candidate,
    items: &[&str],
    need: Need,
) -> Result<Vec<String>, Reason> {
    let has = |wanted: &str| items.iter().any(|item| item.eq_ignore_ascii_case(wanted));
    let mut missing: Vec<String> = Vec::new();
    for &reader in &candidate.readers {
        let (api, facts, cors) = apis[reader];
        let calls = calls(context, api, facts, cors).map_err(|why| Reason::Rule {
            kind: "routes-unknown",
            message: format!("samfix can't read every route of `{}` ({why}), so it can't tell whether the literal would leave out a method or header they need", api.id),
        })?;
        for call in &calls {
            let lacking: Vec<String> = match need {
                Need::Methods => {
                    let safe = ["get", "head", "post", "options"].contains(&call.method.as_str());
                    (!safe && !has("*") && !has(&call.method))
                        .then(|| call.method.to_ascii_uppercase())
                        .into_iter()
                        .collect()
                }
                Need::Headers => call
                    .headers
                    .iter()
                    .filter(|header| {
                        // `*` covers every header but `Authorization` (Fetch).
                        let allowed = has(header)
                            || (has("*") && !header.eq_ignore_ascii_case("authorization"));
                        !allowed
                    })
                    .cloned()
                    .collect(),
            };
            for item in lacking {
                if !missing.iter().any(|m| m.eq_ignore_ascii_case(&item)) {
                    missing.push(item);
                }
            }
        }
    }
    Ok(missing)
}

/// Every call a browser makes to an API, as the browser view counts them; `Err` says why
/// samfix can't know them.
fn calls(
    context: &Context,
    api: &Api,
    facts: &ApiFacts,
    cors: &ApiCors,
) -> Result<Vec<Call>, String> {
    let events = context.template.events_of(&api.id).count();
    if cors.operations.len() != events {
        return Err("an event's `Auth` is an intrinsic function".into());
    }
    let mut calls = Vec::new();
    for operation in &cors.operations {
        if matches!(
            operation.authorizer.as_deref(),
            Some(crate::cors::Authorizer::Unknown)
        ) {
            return Err(format!(
                "the authorizer of `{}` is unknown",
                operation.label()
            ));
        }
        for method in operation.methods() {
            calls.push(Call {
                method: method.to_string(),
                headers: operation.needed_headers(method),
            });
        }
    }
    match facts.own_body {
        None => {}
        Some("DefinitionBody") => {
            let body = api
                .node
                .and_then(|properties| properties.get("DefinitionBody"))
                .ok_or("its `DefinitionBody` can't be read")?;
            calls.extend(body_calls(body, facts)?);
        }
        Some(other) => return Err(format!("its routes are in `{other}`")),
    }
    Ok(calls)
}

/// The calls of a `DefinitionBody`'s paths, when no security can add headers to them.
fn body_calls(body: Node, facts: &ApiFacts) -> Result<Vec<Call>, String> {
    let unknown = || "its `DefinitionBody` is not plain paths".to_string();
    if is_intrinsic(body) {
        return Err(unknown());
    }
    if body.get("security").is_some_and(Node::is_truthy) {
        return Err("its `DefinitionBody` sets `security`".into());
    }
    if facts
        .default_authorizer
        .as_ref()
        .is_some_and(|setting| setting.value.as_str() != Some("NONE"))
    {
        return Err("a `DefaultAuthorizer` reaches its `DefinitionBody`".into());
    }
    let api_key = facts
        .api_key
        .as_ref()
        .is_some_and(|setting| setting.value.is_truthy());
    let paths = body.get("paths").ok_or_else(unknown)?;
    if is_intrinsic(paths) {
        return Err(unknown());
    }
    let paths = paths.resolved().as_map().ok_or_else(unknown)?;
    let mut calls = Vec::new();
    for item in paths.iter() {
        let item = item.value();
        if is_intrinsic(item) {
            return Err(unknown());
        }
        let Some(methods) = item.resolved().as_map() else {
            return Err(unknown());
        };
        for entry in methods.iter() {
            let key = entry.key().to_ascii_lowercase();
            let methods: Vec<&str> = if key == "x-amazon-apigateway-any-method" {
                ANY_METHODS.to_vec()
            } else if let Some(&method) = ANY_METHODS.iter().find(|m| **m == key) {
                vec![method]
            } else {
                continue;
            };
            if entry.value().get("security").is_some_and(|security| {
                security
                    .resolved()
                    .as_seq()
                    .is_none_or(|seq| !seq.is_empty())
            }) {
                return Err("an operation of its `DefinitionBody` sets `security`".into());
            }
            for method in methods {
                let mut headers = Vec::new();
                if matches!(method, "post" | "put" | "patch") {
                    headers.push("Content-Type".to_string());
                }
                if api_key {
                    headers.push("x-api-key".to_string());
                }
                calls.push(Call {
                    method: method.to_string(),
                    headers,
                });
            }
        }
    }
    Ok(calls)
}

/// The finding's message and label for a value of this shape.
fn describe(
    shape: &Shape,
    name: &str,
    api: &str,
    field: Field,
    in_cors: bool,
) -> (String, &'static str) {
    match shape {
        Shape::QuotedItems { .. } if field == Field::Origin => (
            format!("`{name}` quotes several origins one by one: one literal that no browser's `Origin` matches, so `{api}` answers no cross-origin call"),
            "each item quoted on its own",
        ),
        Shape::QuotedItems { .. } => (
            format!(
                "`{name}` quotes each item on its own: one literal whose items keep their quotes, so {} none of them",
                if in_cors { "the preflight of `".to_string() + api + "` allows" } else { "the response allows".to_string() }
            ),
            "each item quoted on its own",
        ),
        Shape::Intrinsic { what } => (
            format!("{what}, not a mapping expression: API Gateway may reject the deployment of `{api}`"),
            "not a mapping expression",
        ),
        Shape::NotString { shown } => (
            format!("`{name}` is {shown}, not a mapping expression: API Gateway rejects the deployment of `{api}`, so no browser call works"),
            "not a mapping expression",
        ),
        Shape::Unquoted { shown, .. } | Shape::Malformed { shown } | Shape::StrayQuote { shown } => (
            format!("`{shown}` is not a mapping expression: API Gateway rejects the deployment of `{api}` (\"Invalid mapping expression\"), so no browser call works"),
            "a literal needs inner single quotes",
        ),
        Shape::Fine | Shape::BareScalar { .. } => (String::new(), ""),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{check_rules, Rule, Strategy};

    fn fixed(source: &str) -> Option<String> {
        let rule = Rule::from_id("invalid-mapping-expression").unwrap();
        check_rules(source, Strategy::Auto, &[rule]).unwrap().fixed
    }

    fn refusals(source: &str) -> Vec<&'static str> {
        let rule = Rule::from_id("invalid-mapping-expression").unwrap();
        check_rules(source, Strategy::Auto, &[rule])
            .unwrap()
            .refusals
            .iter()
            .map(|refusal| refusal.reason.kind())
            .collect()
    }

    #[test]
    fn texts_are_read_as_api_gateway_reads_them() {
        assert_eq!(classify_text("'*'"), Shape::Fine);
        assert_eq!(classify_text("method.request.header.Origin"), Shape::Fine);
        assert_eq!(classify_text("integration.response.body"), Shape::Fine);
        assert_eq!(classify_text("context.requestId"), Shape::Fine);
        assert_eq!(classify_text("stageVariables.origin"), Shape::Fine);
        assert!(matches!(
            classify_text("method.request.Origin"),
            Shape::Malformed { .. }
        ));
        assert!(matches!(classify_text("'*"), Shape::StrayQuote { .. }));
        assert_eq!(
            classify_text("*"),
            Shape::Unquoted {
                shown: "*".into(),
                text: "*".into()
            }
        );
        assert_eq!(
            classify_text("'Content-Type', 'Authorization'"),
            Shape::QuotedItems {
                items: vec!["Content-Type".into(), "Authorization".into()]
            }
        );
        assert_eq!(classify_text("'it''s'"), Shape::Fine);
    }

    #[test]
    fn origins_are_one_serialized_origin() {
        for good in [
            "*",
            "null",
            "https://example.com",
            "http://localhost:3000",
            "https://[::1]:8443",
        ] {
            assert!(is_origin(good), "{good}");
        }
        for bad in [
            "origins",
            "www.amazon.com,www.google.com",
            "https://example.com/",
            "https://example.com/app",
            "https://*.example.com",
            "https://a.com,https://b.com",
            "https://example.com:",
        ] {
            assert!(!is_origin(bad), "{bad}");
        }
        assert!(is_serialized_origin("https://*.example.com", true));
    }

    const EVENTS: &str = "Resources:\n  Fn:\n    Type: AWS::Serverless::Function\n    Properties:\n      Events:\n        Put:\n          Type: Api\n          Properties:\n            RestApiId: !Ref MyApi\n            Path: /items\n            Method: put\n  MyApi:\n    Type: AWS::Serverless::Api\n    Properties:\n      StageName: prod\n      Cors:\n";

    #[test]
    fn a_quoted_list_gains_what_the_calls_need() {
        let with = |field: &str| format!("{EVENTS}        {field}\n");
        let fixed_with = |field: &str| fixed(&with(field)).unwrap();
        assert!(fixed_with("AllowMethods: GET,PUT").contains("AllowMethods: \"'GET,PUT'\""));
        assert!(fixed_with("AllowMethods: GET,POST").contains("AllowMethods: \"'GET,POST,PUT'\""));
        assert!(fixed_with("AllowHeaders: Content-Type").contains("\"'Content-Type'\""));
        assert!(fixed_with("AllowHeaders: X-Trace").contains("\"'X-Trace,Content-Type'\""));
        assert_eq!(refusals(&with("AllowMethods: methods")), ["not-methods"]);
    }

    #[test]
    fn origins_that_quoting_would_not_mend_are_refused() {
        let with = |field: &str| format!("{EVENTS}        {field}\n");
        assert!(fixed(&with("AllowOrigin: https://example.com")).is_some());
        assert_eq!(refusals(&with("AllowOrigin: origins")), ["not-one-origin"]);
        assert_eq!(
            refusals(&with("AllowOrigin: '*'\n        AllowCredentials: true")),
            ["credentials-with-wildcard"]
        );
        assert_eq!(
            refusals(&with("AllowOrigin: \"'https://a.com', 'https://b.com'\"")),
            ["origin-list"]
        );
    }

    #[test]
    fn a_bare_number_is_only_a_note() {
        let rule = Rule::from_id("invalid-mapping-expression").unwrap();
        let checked = check_rules(
            &format!("{EVENTS}        MaxAge: 600\n"),
            Strategy::Auto,
            &[rule],
        )
        .unwrap();
        assert!(checked.findings.is_empty() && checked.fixed.is_none());
        assert_eq!(checked.warnings.len(), 1);
        assert!(fixed(&format!("{EVENTS}        MaxAge: '600'\n"))
            .unwrap()
            .contains("\"'600'\""));
    }

    #[test]
    fn intrinsics_and_anchors_are_left_to_a_person() {
        let with = |field: &str| format!("{EVENTS}        {field}\n");
        assert_eq!(
            refusals(&with("AllowOrigin: !If [Prod, https://example.com, '*']")),
            ["inside-intrinsic"]
        );
        assert_eq!(
            refusals(&with("AllowOrigin: !Sub 'https://${Domain}'")),
            ["inside-intrinsic"]
        );
        assert!(refusals(&with("AllowOrigin: !Sub \"'https://${Domain}'\"")).is_empty());
        assert!(refusals(&with("AllowOrigin: !Ref Origin")).is_empty());
        assert_eq!(
            refusals(&format!(
                "{EVENTS}        AllowOrigin: &o '*'\n      Description: *o\n"
            )),
            ["reached-through-alias"]
        );
    }
}
