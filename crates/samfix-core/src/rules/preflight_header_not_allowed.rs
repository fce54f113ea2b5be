//! `preflight-header-not-allowed`: the routes of an API that SAM's `Cors` reaches send request
//! headers (the API key, an authorizer's token, SigV4's headers, a JSON `Content-Type`) that
//! the preflight's `Access-Control-Allow-Headers` does not allow, and without `AllowHeaders`
//! SAM writes none: the browser stops at the preflight.

use std::collections::hash_map::Entry;
use std::collections::{BTreeMap, HashMap};
use std::rc::Rc;

use super::invalid_mapping_expression::is_origin;
use super::{Context, Output, Rule, RuleSpec};
use crate::change::{Change, Value};
use crate::cors::{
    authorizer_strictly, needed_headers, ApiCors, Authorizer, Cors, Setting, ANY_METHODS,
};
use crate::diagnostic::{
    Finding, Fix, FixReason, Reason, Refusal, Strategy, Warning, WarningKind, WrittenIn,
};
use crate::facts::ApiFacts;
use crate::model::{child, is_intrinsic, is_shared, Api, Template};
use crate::parse::{display_path, Kind, Node, Path, Reads, Resolved, Seg, Span};

pub(super) const RULE: RuleSpec = RuleSpec {
    id: "preflight-header-not-allowed",
    name: "PreflightHeaderNotAllowed",
    summary: "An API's CORS preflight does not allow a request header its routes need",
    description: "An API that SAM's Cors reaches, whose routes need request headers (x-api-key where the key is required, the authorizer's identity header, SigV4's Authorization, X-Amz-Date and X-Amz-Security-Token for AWS_IAM, Content-Type for a JSON body) that the preflight's Access-Control-Allow-Headers does not list: without AllowHeaders SAM writes none, so a `Cors: \"'*'\"` allows no header at all, and the browser blocks the call after the preflight.",
    fix: "adds the missing headers to `Cors.AllowHeaders`, or adds `AllowHeaders` (a `Cors` string becomes a map with the same `AllowOrigin`)",
    page: include_str!("../../docs/rules/preflight-header-not-allowed.md"),
    reads: Reads {
        attributes: &[],
        sections: &[],
        resources: &[],
    },
    check,
};

/// The headers added first, in this order (the order of API Gateway's own CORS default);
/// any other header follows them in alphabetical order.
const ORDER: [&str; 5] = [
    "Content-Type",
    "X-Amz-Date",
    "Authorization",
    "X-Api-Key",
    "X-Amz-Security-Token",
];

/// How samfix names a problem it only warns about: `'*'` does not cover `Authorization`.
const UNDER_WILDCARD: &str = "authorization-under-wildcard";
/// An API whose routes samfix can't read: a refusal where it shares the value a fix edits,
/// and a note on the API itself.
const ROUTES_UNKNOWN: &str = "routes-unknown";

/// What the routes of one API need of their preflights.
struct Needs {
    /// The headers of the routes whose preflight SAM's `Cors` answers, each once (ignoring
    /// case).
    sam: Vec<String>,
    /// The paths whose own `options` in the `DefinitionBody` answers the preflight and lacks
    /// headers their routes need.
    body_options: Vec<BodyPreflight>,
}

/// An `options` operation of a `DefinitionBody` that answers a preflight without allowing
/// every header its path's routes need: SAM's `Cors` skips such a path.
struct BodyPreflight {
    path: String,
    /// The path of the `options` operation, and where its key is written.
    setting: Path,
    key_span: Span,
    lacking: Vec<String>,
}

/// How an `AllowHeaders` string reads.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Form {
    /// One quoted literal, `'A,B'`.
    Literal,
    /// A list quoted item by item, `'A', 'B'`: one literal whose items keep their quotes,
    /// which matches no header; it is joined into one literal.
    ItemByItem,
    /// Not a mapping expression at all (`A,B`), which API Gateway rejects: read as the
    /// literal it means.
    Unquoted,
    /// Null or empty: SAM writes no `Access-Control-Allow-Headers`.
    Empty,
}

/// Where an API's fix goes.
#[derive(Clone)]
enum Place<'t> {
    /// `AllowHeaders` is written as a string: its items are extended.
    Value {
        setting: Setting<'t>,
        text: String,
        form: Form,
    },
    /// No `AllowHeaders`: one goes into the `Cors` map at `map`.
    Insert {
        map: Path,
        written_in: WrittenIn,
        key_span: Span,
    },
    /// `Cors` is the origin itself: it becomes a map.
    CorsString {
        setting: Setting<'t>,
        /// The `AllowOrigin` it becomes.
        origin: String,
        /// Whether that is the string quoted as a mapping expression needs.
        quoted: bool,
    },
    /// Nowhere: a person must decide.
    Blocked {
        path: Path,
        written_in: WrittenIn,
        key_span: Span,
        reason: Reason,
        /// The `AllowHeaders` string it is about, if it is about one: its text, how it
        /// reads, and where the value is written.
        allows: Option<(String, Form, Span)>,
        label: &'static str,
    },
}

impl Place<'_> {
    /// The value the fix writes, which names the group of APIs that share it.
    fn path(&self) -> Path {
        match self {
            Place::Value { setting, .. } | Place::CorsString { setting, .. } => {
                setting.path.clone()
            }
            Place::Insert { map, .. } => child(map, "AllowHeaders"),
            Place::Blocked { path, .. } => path.clone(),
        }
    }

    fn written_in(&self) -> &WrittenIn {
        match self {
            Place::Value { setting, .. } | Place::CorsString { setting, .. } => &setting.written_in,
            Place::Insert { written_in, .. } | Place::Blocked { written_in, .. } => written_in,
        }
    }

    fn key_span(&self) -> Span {
        match self {
            Place::Value { setting, .. } | Place::CorsString { setting, .. } => {
                setting.key_span.clone()
            }
            Place::Insert { key_span, .. } | Place::Blocked { key_span, .. } => key_span.clone(),
        }
    }

    /// The `AllowHeaders` string it is about: its text, how it reads, where the value is.
    fn written(&self) -> Option<(&str, Form, Span)> {
        match self {
            Place::Value {
                setting,
                text,
                form,
            } => Some((text, *form, setting.node.span())),
            Place::Blocked {
                allows: Some((text, form, span)),
                ..
            } => Some((text, *form, span.clone())),
            _ => None,
        }
    }

    /// The headers the preflight allows now, lower case: none for a list quoted item by
    /// item, whose items keep their quotes.
    fn allowed_now(&self) -> Vec<String> {
        match self.written() {
            Some((_, Form::ItemByItem, _)) | None => Vec::new(),
            Some((text, form, _)) => lower(items_of(text, form)),
        }
    }

    /// The headers it allows once read as the list it means, lower case.
    fn allowed_as_meant(&self) -> Vec<String> {
        self.written()
            .map(|(text, form, _)| lower(items_of(text, form)))
            .unwrap_or_default()
    }

    fn label(&self) -> &'static str {
        match self {
            Place::Value { .. } => "lacks headers the routes send",
            Place::Insert { .. } => "no `AllowHeaders`: the preflight allows no request header",
            Place::CorsString { .. } => {
                "a `Cors` string sets only the origin: the preflight allows no request header"
            }
            Place::Blocked { label, .. } => label,
        }
    }
}

/// One API that SAM's `Cors` reaches, with what its routes need (or why samfix can't tell).
struct Member<'a, 't> {
    api: &'a Api<'t>,
    facts: &'a ApiFacts<'t>,
    needs: Result<Needs, String>,
}

fn check<'t>(context: &Context<'_, 't>) -> Output<'t> {
    let rule = Rule(&RULE);
    let template = context.template;
    let mut output = Output::default();
    // The APIs grouped by the value a fix edits: those that read one `Globals.Api` setting
    // share its fix. In template order of their first API.
    let mut groups: Vec<(Place<'t>, Vec<Member<'_, 't>>)> = Vec::new();
    let mut group_of: HashMap<Path, usize> = HashMap::new();
    // Read once: every API that reads a `Globals.Api.Cors` string asks.
    let own_cors_map = std::cell::OnceCell::new();
    for (api, facts, cors) in context.cors_apis() {
        // SAM skips a `Cors` that loads as false (`''`, `{}`, `false`): no preflight mock.
        let Some(sam_cors) = cors.cors.as_ref().filter(|c| c.setting.node.is_truthy()) else {
            continue;
        };
        let Some(place) = place_of(template, api, sam_cors, &own_cors_map) else {
            continue;
        };
        let needs = needs_of(template, api, facts, cors);
        if let Err(reason) = &needs {
            output.warnings.push(Warning {
                kind: WarningKind::Rule(ROUTES_UNKNOWN),
                rule: Some(rule),
                span: sam_cors.setting.key_span.clone(),
                message: format!(
                    "samfix can't tell which headers calls to `{}` send, so it does not check its preflight's `AllowHeaders`: {reason}",
                    api.id
                ),
                help: Some("make sure `AllowHeaders` lists every header its routes send: `x-api-key` for an API key, an authorizer's identity header, `Content-Type` for a JSON body".into()),
            });
        }
        let member = Member { api, facts, needs };
        match group_of.entry(place.path()) {
            Entry::Occupied(group) => {
                groups[*group.get()].1.push(member);
            }
            Entry::Vacant(group) => {
                group.insert(groups.len());
                groups.push((place, vec![member]));
            }
        }
    }
    for (place, members) in &groups {
        settle_group(context, rule, place, members, &mut output);
    }
    for (_, members) in &groups {
        for member in members {
            if let Ok(needs) = &member.needs {
                for body in &needs.body_options {
                    body_preflight_refusal(context, rule, member, body, &mut output);
                }
            }
        }
    }
    output
}

/// The findings of one group of APIs, and its fix or refusal.
fn settle_group<'t>(
    context: &Context<'_, 't>,
    rule: Rule,
    place: &Place<'t>,
    members: &[Member<'_, 't>],
    output: &mut Output<'t>,
) {
    let now = place.allowed_now();
    let as_meant = place.allowed_as_meant();
    let mut findings = Vec::new();
    let mut missing: Vec<String> = Vec::new();
    let mut under_wildcard = Vec::new();
    for member in members {
        let Ok(needs) = &member.needs else {
            continue;
        };
        let lacking = not_allowed(&needs.sam, &now);
        if lacking.is_empty() {
            continue;
        }
        if now.iter().any(|item| item == "*") {
            // `*` covers every header but `Authorization` (Fetch spec): a warning, no fix.
            under_wildcard.push(member.api.id.clone());
            continue;
        }
        add_all(&mut missing, not_allowed(&needs.sam, &as_meant));
        findings.push(finding(context, rule, member, place, &ordered(lacking)));
    }
    if !under_wildcard.is_empty() {
        if let Some((_, _, span)) = place.written() {
            output.warnings.push(Warning {
                kind: WarningKind::Rule(UNDER_WILDCARD),
                rule: Some(rule),
                span,
                message: format!(
                    "`{}` allows `*`, which does not cover `Authorization` (Fetch spec), and routes of {} send it",
                    shown_path(&place.path()),
                    listed_code(&under_wildcard)
                ),
                help: Some("list `Authorization` beside `*`".into()),
            });
        }
    }
    if findings.is_empty() {
        return;
    }
    let missing = ordered(missing);
    let apis: Vec<String> = members.iter().map(|m| m.api.id.clone()).collect();
    let unknown = members
        .iter()
        .find_map(|m| m.needs.as_ref().err().map(|why| (m.api, why)));
    let outcome = match (place, unknown) {
        (Place::Blocked { reason, .. }, _) => Err(reason.clone()),
        (_, Some((api, why))) => Err(Reason::Rule {
            kind: ROUTES_UNKNOWN,
            message: format!(
                "`{}` shares `{}`, and samfix can't tell which headers its routes send: {why}",
                api.id,
                shown_path(&place.path())
            ),
        }),
        _ => fix_of(place, &missing).ok_or_else(|| Reason::Rule {
            kind: "header-name-unusable",
            message: format!(
                "a header the routes send ({}) can't be written into a quoted literal",
                listed_code(&missing)
            ),
        }),
    };
    match outcome {
        Ok((why, change)) => {
            let index = output.fixes.len();
            output.fixes.push(Fix {
                rule,
                written_in: place.written_in().clone(),
                apis,
                strategy: Strategy::Auto,
                why,
                changes: vec![change],
            });
            output.holders.push(None);
            for finding in &mut findings {
                finding.fix = Some(index);
            }
        }
        Err(reason) => {
            let index = output.refusals.len();
            output.refusals.push(Refusal {
                rule,
                written_in: place.written_in().clone(),
                apis,
                span: place.key_span(),
                reason,
            });
            for finding in &mut findings {
                finding.refusal = Some(index);
            }
        }
    }
    output.findings.extend(findings);
}

fn finding(
    context: &Context,
    rule: Rule,
    member: &Member,
    place: &Place,
    lacking: &[String],
) -> Finding {
    let api = &member.api.id;
    Finding {
        rule,
        api: api.clone(),
        message: format!(
            "`{api}`'s CORS preflight does not allow {}, which its routes send: browsers block those calls",
            listed_code(lacking)
        ),
        label: place.label(),
        span: place.key_span(),
        setting_kind: "cors",
        setting: shown_path(&place.path()),
        written_in: place.written_in().clone(),
        preflight: member
            .facts
            .preflight
            .clone()
            .unwrap_or_else(|| format!("`Cors` reaches `{api}`")),
        events: context.template.event_labels(api),
        fix: None,
        refusal: None,
    }
}

/// A path whose own `options` answers the preflight: editing `Cors` would not help.
fn body_preflight_refusal(
    context: &Context,
    rule: Rule,
    member: &Member,
    body: &BodyPreflight,
    output: &mut Output,
) {
    let api = &member.api.id;
    let lacking = listed_code(&body.lacking);
    let index = output.refusals.len();
    output.refusals.push(Refusal {
        rule,
        written_in: WrittenIn::Api(api.clone()),
        apis: vec![api.clone()],
        span: body.key_span.clone(),
        reason: Reason::Rule {
            kind: "preflight-in-definition-body",
            message: format!(
                "`{}` has its own `options` in the `DefinitionBody` of `{api}`, which answers the preflight instead of SAM's `Cors`: add {lacking} to the `Access-Control-Allow-Headers` its integration response maps",
                body.path
            ),
        },
    });
    output.findings.push(Finding {
        rule,
        api: api.clone(),
        message: format!(
            "the CORS preflight of `{}` on `{api}` does not allow {lacking}, which its routes send: browsers block those calls",
            body.path
        ),
        label: "answers the preflight instead of `Cors`",
        span: body.key_span.clone(),
        setting_kind: "body",
        setting: shown_path(&body.setting),
        written_in: WrittenIn::Api(api.clone()),
        preflight: format!("its `DefinitionBody` defines OPTIONS on `{}`", body.path),
        events: context.template.event_labels(api),
        fix: None,
        refusal: Some(index),
    });
}

/// The fix of a group, given the headers it lacks (in the order they are added); `None`
/// when a header can't be written into a literal.
fn fix_of(place: &Place, missing: &[String]) -> Option<(FixReason, Change)> {
    if missing
        .iter()
        .any(|header| header.contains(['\'', ',']) || header.trim() != header)
    {
        return None;
    }
    let added = listed_code(missing);
    Some(match place {
        Place::Value {
            setting,
            text,
            form,
        } => {
            let (kind, message) = match form {
                Form::Literal | Form::Empty => (
                    "headers-added",
                    format!("adds {added} to `AllowHeaders`"),
                ),
                Form::ItemByItem if missing.is_empty() => (
                    "items-joined",
                    "joins the items `AllowHeaders` quotes one by one into one literal".to_string(),
                ),
                Form::ItemByItem => (
                    "items-joined-and-headers-added",
                    format!("joins the items `AllowHeaders` quotes one by one into one literal, and adds {added}"),
                ),
                Form::Unquoted => (
                    "quoted-and-headers-added",
                    format!("quotes `AllowHeaders` as the literal API Gateway needs, and adds {added}"),
                ),
            };
            (
                FixReason::Rule { kind, message },
                Change::Replace {
                    path: setting.path.clone(),
                    value: Value::str(extended(text, *form, missing)),
                },
            )
        }
        Place::Insert { map, .. } => (
            FixReason::Rule {
                kind: "allow-headers-added",
                message: format!("`Cors` sets no `AllowHeaders`, so SAM allows no header: adds one with {added}"),
            },
            Change::Insert {
                map: map.clone(),
                key: "AllowHeaders".into(),
                value: Value::str(format!("'{}'", missing.join(","))),
                after: Some("AllowOrigin".into()),
            },
        ),
        Place::CorsString {
            setting,
            origin,
            quoted,
        } => (
            FixReason::Rule {
                kind: "cors-string-to-map",
                message: format!(
                    "a `Cors` string sets only the origin: makes it a map with the same `AllowOrigin`{} and an `AllowHeaders` of {added}",
                    if *quoted { " (quoted, as API Gateway needs)" } else { "" }
                ),
            },
            Change::Replace {
                path: setting.path.clone(),
                value: Value::map([
                    ("AllowOrigin", Value::str(origin.clone())),
                    ("AllowHeaders", Value::str(format!("'{}'", missing.join(",")))),
                ]),
            },
        ),
        Place::Blocked { .. } => return None,
    })
}

/// `text` (read in `form`) with `missing` appended: the existing items and their separator
/// as written, then the new ones.
fn extended(text: &str, form: Form, missing: &[String]) -> String {
    match form {
        Form::Literal | Form::Unquoted => {
            let inner = match form {
                Form::Literal => &text[1..text.len() - 1],
                _ => text.trim(),
            };
            let separator = if inner.contains(", ") { ", " } else { "," };
            let kept = inner.trim_end().trim_end_matches(',').trim_end();
            if kept.trim().is_empty() {
                format!("'{}'", missing.join(separator))
            } else {
                format!("'{kept}{separator}{}'", missing.join(separator))
            }
        }
        Form::ItemByItem => {
            // Joined as `invalid-mapping-expression` joins them, so the two rules agree.
            let mut items = items_of(text, form);
            items.extend(missing.iter().cloned());
            format!("'{}'", items.join(","))
        }
        Form::Empty => format!("'{}'", missing.join(",")),
    }
}

/// The items an `AllowHeaders` string allows, read in `form`.
fn items_of(text: &str, form: Form) -> Vec<String> {
    let inner = match form {
        Form::Literal => &text[1..text.len() - 1],
        Form::Unquoted => text,
        Form::Empty => "",
        Form::ItemByItem => {
            return text
                .split(',')
                .map(|item| item.trim().trim_matches('\'').trim().to_string())
                .filter(|item| !item.is_empty())
                .collect()
        }
    };
    inner
        .split(',')
        .map(|item| item.trim().to_string())
        .filter(|item| !item.is_empty())
        .collect()
}

/// How an `AllowHeaders` string reads, or `None` when the browser view does not judge it (a
/// request echo such as `method.request.header.X`, a context or stage variable) or it can't
/// be read as a list (quotes inside that are not item by item).
fn form_of(text: &str) -> Option<Form> {
    if text.trim().is_empty() {
        return Some(Form::Empty);
    }
    if text.len() >= 2 && text.starts_with('\'') && text.ends_with('\'') {
        if !text[1..text.len() - 1].contains('\'') {
            return Some(Form::Literal);
        }
        let item_by_item = text.split(',').all(|item| {
            let item = item.trim();
            item.len() >= 2
                && item.starts_with('\'')
                && item.ends_with('\'')
                && !item[1..item.len() - 1].contains('\'')
        });
        return item_by_item.then_some(Form::ItemByItem);
    }
    // A request echo, a context or stage variable, or a mistyped one of them.
    let source = ["method.", "integration.", "context.", "stageVariables."]
        .iter()
        .any(|prefix| text.starts_with(prefix));
    if source || text.contains('\'') {
        return None;
    }
    Some(Form::Unquoted)
}

/// Where the fix of `api`'s preflight headers goes; `None` when the browser view does not
/// judge its `AllowHeaders` (an intrinsic, a request echo) or SAM rejects its `Cors`.
fn place_of<'t>(
    template: &Template<'t>,
    api: &Api<'t>,
    cors: &Cors<'t>,
    own_cors_map: &std::cell::OnceCell<Option<String>>,
) -> Option<Place<'t>> {
    let root = template.root;
    const NONE_ALLOWED: &str = "the preflight allows no request header the routes send";
    const LACKS: &str = "lacks headers the routes send";
    let blocked_with = |setting: &Setting,
                        kind: &'static str,
                        message: String,
                        allows: Option<(String, Form, Span)>,
                        label: &'static str| Place::Blocked {
        path: setting.path.clone(),
        written_in: setting.written_in.clone(),
        key_span: setting.key_span.clone(),
        reason: Reason::Rule { kind, message },
        allows,
        label,
    };
    let blocked = |setting: &Setting, kind: &'static str, message: String| {
        blocked_with(setting, kind, message, None, NONE_ALLOWED)
    };
    let shared_message = |path: &Path| {
        format!(
            "`{}` is shared through a YAML anchor, alias or merge key; editing it would change every place that shares it",
            shown_path(path)
        )
    };
    let shared = |setting: &Setting| blocked(setting, "shared-yaml", shared_message(&setting.path));
    let cors_setting = &cors.setting;
    if !cors.is_map {
        if is_intrinsic(cors_setting.node) {
            return Some(blocked(
                cors_setting,
                "cors-intrinsic",
                format!(
                    "`{}` is an intrinsic function, which SAM reads as the origin; samfix does not rewrite it: make `Cors` a map with that `AllowOrigin` and an `AllowHeaders`",
                    shown_path(&cors_setting.path)
                ),
            ));
        }
        let origin = string_of(cors_setting.node)?;
        if cors_setting.shared {
            return Some(shared(cors_setting));
        }
        if let Some(reason) = merge_blocker(template, api, cors_setting, own_cors_map) {
            return Some(blocked(cors_setting, reason.0, reason.1));
        }
        let mapped = origin_as_mapped(origin);
        return Some(Place::CorsString {
            setting: cors_setting.clone(),
            quoted: mapped != origin,
            origin: mapped,
        });
    }
    match &cors.allow_headers {
        Some(setting) => {
            if is_intrinsic(setting.node) {
                return None;
            }
            let node = setting.node.resolved();
            let text = match node.kind() {
                _ if node.is_null() => String::new(),
                // A list of names, which SAM passes on as it is: read as the literal it means.
                Kind::Seq(seq) => {
                    let items: Option<Vec<&str>> = seq
                        .items()
                        .map(|item| string_of(item).filter(|item| !item.contains(['\'', ','])))
                        .collect();
                    let items: Vec<&str> = items?.iter().map(|item| item.trim()).collect();
                    if items.iter().any(|item| item.is_empty()) {
                        return None;
                    }
                    items.join(",")
                }
                _ => string_of(node)?.to_string(),
            };
            let Some(form) = form_of(&text) else {
                if text.contains('\'') {
                    return Some(blocked_with(
                        setting,
                        "allow-headers-not-a-list",
                        format!(
                            "`{}` has quotes samfix can't read as a list of headers",
                            shown_path(&setting.path)
                        ),
                        None,
                        LACKS,
                    ));
                }
                return None;
            };
            if setting.shared {
                return Some(blocked_with(
                    setting,
                    "shared-yaml",
                    shared_message(&setting.path),
                    Some((text, form, setting.node.span())),
                    LACKS,
                ));
            }
            Some(Place::Value {
                setting: setting.clone(),
                text,
                form,
            })
        }
        None => {
            // Into the map where `AllowOrigin` is written, else the API's own `Cors` map,
            // else `Globals.Api`'s.
            let map = match &cors.allow_origin {
                Some(origin) => {
                    if origin.shared {
                        return Some(shared(origin));
                    }
                    origin.path[..origin.path.len() - 1].to_vec()
                }
                None => cors_setting.path.clone(),
            };
            let written_in = if map.first() == Some(&Seg::Key("Globals".into())) {
                WrittenIn::Globals
            } else {
                WrittenIn::Api(api.id.clone())
            };
            let key_span = key_span_at(root, &map).unwrap_or(cors_setting.key_span.clone());
            let node = root.at(&map)?;
            if is_shared(node) || root.shared_on_path(&map).is_some() || cors_setting.shared {
                return Some(Place::Blocked {
                    path: child(&map, "AllowHeaders"),
                    written_in,
                    key_span,
                    reason: Reason::Rule {
                        kind: "shared-yaml",
                        message: shared_message(&map),
                    },
                    allows: None,
                    label: NONE_ALLOWED,
                });
            }
            Some(Place::Insert {
                map,
                written_in,
                key_span,
            })
        }
    }
}

/// The `AllowOrigin` a `Cors` string becomes: the same text, quoted where it is an origin
/// written without the quotes a mapping expression needs (`*`), just as
/// `invalid-mapping-expression` quotes it, so the two rules write one value.
fn origin_as_mapped(text: &str) -> String {
    let trimmed = text.trim();
    let literal = text.len() >= 2 && text.starts_with('\'') && text.ends_with('\'');
    let source_like = ["method.", "integration.", "context.", "stageVariables."]
        .iter()
        .any(|prefix| text.starts_with(prefix));
    if literal || source_like || text.contains('\'') || !is_origin(trimmed) {
        text.to_string()
    } else {
        format!("'{trimmed}'")
    }
}

/// Why a `Cors` string can't become a map: SAM's `Globals` merge two maps key by key, but
/// not a map and a string, so the new map would merge with another `Cors` map.
/// `own_cors_map` holds, once read, the first API that reads `Globals.Api` and has a
/// `Cors` map of its own.
fn merge_blocker(
    template: &Template,
    api: &Api,
    setting: &Setting,
    own_cors_map: &std::cell::OnceCell<Option<String>>,
) -> Option<(&'static str, String)> {
    let is_map =
        |node: Node| !node.is_null() && !is_intrinsic(node) && node.resolved().as_map().is_some();
    match &setting.written_in {
        WrittenIn::Globals => {
            let merging = own_cors_map
                .get_or_init(|| {
                    template
                        .apis
                        .iter()
                        .find(|other| {
                            !other.ignores_global("Cors")
                                && other.node.and_then(|p| p.get("Cors")).is_some_and(is_map)
                        })
                        .map(|other| other.id.clone())
                })
                .as_ref()?;
            Some((
                "globals-cors-would-merge",
                format!(
                    "`Globals.Api.Cors` is a string, and `{merging}` has a `Cors` map of its own: as a map, the global one would merge into it and change it"
                ),
            ))
        }
        WrittenIn::Api(id) => {
            if api.ignores_global("Cors") {
                return None;
            }
            template
                .globals_api()
                .and_then(|g| g.get("Cors"))
                .filter(|global| is_map(*global))?;
            Some((
                "resource-cors-would-merge",
                format!(
                    "the `Cors` of `{id}` is a string, which keeps `Globals.Api.Cors` out; as a map, the global `Cors` map would merge into it"
                ),
            ))
        }
    }
}

/// The text of a plain string (not an intrinsic, a number or a boolean).
fn string_of(node: Node<'_>) -> Option<&str> {
    if is_intrinsic(node) {
        return None;
    }
    let scalar = node.as_scalar()?;
    match scalar.resolve() {
        Resolved::Str(_) => node.as_str(),
        _ => None,
    }
}

/// Where the key of the value at `path` is written.
fn key_span_at(root: Node, path: &[Seg]) -> Option<Span> {
    let (Seg::Key(key), parent) = path.split_last()? else {
        return None;
    };
    Some(root.at(parent)?.as_map()?.get(key)?.key_span())
}

/// What the routes of `api` need of their preflights, or why samfix can't tell.
fn needs_of<'t>(
    template: &Template<'t>,
    api: &Api<'t>,
    facts: &ApiFacts<'t>,
    cors: &ApiCors<'t>,
) -> Result<Needs, String> {
    let own_auth = api.node.and_then(|p| p.get("Auth"));
    if own_auth.is_some_and(is_intrinsic) {
        return Err("its `Auth` is an intrinsic function".into());
    }
    let global_auth = template
        .globals_api()
        .filter(|_| !api.ignores_global("Auth"))
        .and_then(|g| g.get("Auth"));
    if own_auth.is_none() && global_auth.is_some_and(is_intrinsic) {
        return Err("`Globals.Api.Auth` is an intrinsic function".into());
    }
    let named = |name: &str| -> Result<Option<Authorizer>, String> {
        if name == "NONE" {
            return Ok(None);
        }
        match authorizer_strictly(template, api, name) {
            Authorizer::Unknown => Err(format!("the authorizer `{name}` can't be read")),
            authorizer => Ok(Some(authorizer)),
        }
    };
    let default_authorizer = match &facts.default_authorizer {
        Some(setting) if !setting.value.is_null() => match string_of(setting.value) {
            Some(name) => named(name)?.map(Rc::new),
            None => return Err("its `DefaultAuthorizer` is not a plain name".into()),
        },
        _ => None,
    };
    let api_key = facts
        .api_key
        .as_ref()
        .is_some_and(|setting| setting.value.is_truthy());

    // Every route but the OPTIONS ones, as it is called. A large template has a route per
    // event, and the headers of each would cost more than what makes them.
    let mut routes: Vec<Route> = Vec::new();
    // Paths with their own OPTIONS: the body's `options` operation, or an OPTIONS event
    // (whose Lambda function answers, which the browser view does not judge).
    let mut options: BTreeMap<String, Option<(Node<'t>, Path, Span)>> = BTreeMap::new();

    let events: Vec<_> = template.events_of(&api.id).collect();
    match facts.own_body {
        // SAM leaves a body it did not make as it is: the events add no path to it, and
        // their `Auth` changes its operations only with `OverrideApiAuth`, or when
        // `MergeDefinitions` merges what they make into it.
        Some("DefinitionBody") => {
            let merges = [
                api.node.and_then(|p| p.get("MergeDefinitions")),
                template
                    .globals_api()
                    .filter(|_| !api.ignores_global("MergeDefinitions"))
                    .and_then(|g| g.get("MergeDefinitions")),
            ]
            .into_iter()
            .flatten()
            .next();
            if merges.is_some_and(Node::is_truthy) {
                return Err(
                    "`MergeDefinitions` merges its events into its `DefinitionBody`".into(),
                );
            }
            let overriding = events.iter().find(|event| {
                let auth = event.properties.value().get("Auth");
                auth.is_some_and(|auth| {
                    is_intrinsic(auth) || auth.get("OverrideApiAuth").is_some_and(Node::is_truthy)
                })
            });
            if let Some(event) = overriding {
                return Err(format!(
                    "event `{}` changes the auth of its `DefinitionBody` (`OverrideApiAuth`)",
                    event.label()
                ));
            }
            let body = api
                .node
                .and_then(|p| p.get("DefinitionBody"))
                .ok_or("its `DefinitionBody` can't be read")?;
            let properties = api
                .properties
                .clone()
                .ok_or("its `DefinitionBody` can't be read")?;
            let body_path = child(&properties, "DefinitionBody");
            body_routes(
                body,
                &body_path,
                api_key,
                &default_authorizer,
                facts,
                &mut routes,
                &mut options,
            )?;
        }
        Some(other) => return Err(format!("its body comes from `{other}`")),
        None => {
            if events.len() != cors.operations.len() {
                return Err("an event's `Auth` is an intrinsic function".into());
            }
            for (event, operation) in events.iter().zip(&cors.operations) {
                // The label is made only for a message: a large template has an event per
                // route.
                let not_plain = |key: &str| {
                    format!(
                        "the `{key}` of event `{}` is not a plain string",
                        event.label()
                    )
                };
                let path = operation.path.ok_or_else(|| not_plain("Path"))?;
                if operation.method.is_empty() {
                    return Err(not_plain("Method"));
                }
                if operation.method == "options" {
                    options.entry(path.to_string()).or_insert(None);
                    continue;
                }
                // A null setting is no setting: SAM applies the API's own (`is not None`).
                let auth = event
                    .properties
                    .value()
                    .get("Auth")
                    .filter(|a| !a.is_null());
                let setting =
                    |key: &str| auth.and_then(|auth| auth.get(key)).filter(|v| !v.is_null());
                let api_key = setting("ApiKeyRequired").map_or(api_key, Node::is_truthy);
                let authorizer = match setting("Authorizer") {
                    Some(name) => match string_of(name) {
                        Some(name) => named(name)?.map(Rc::new),
                        None => {
                            return Err(format!(
                                "the `Authorizer` of event `{}` is not a plain name",
                                event.label()
                            ))
                        }
                    },
                    None => default_authorizer.clone(),
                };
                routes.push(Route {
                    path,
                    method: &operation.method,
                    api_key,
                    authorizer,
                });
            }
        }
    }

    let mut sam: Vec<String> = Vec::new();
    let mut by_body: Vec<(String, Node<'t>, Path, Span, Vec<String>)> = Vec::new();
    for route in &routes {
        let path = route.path;
        let headers = route.headers();
        if headers.is_empty() {
            continue;
        }
        match options.get(path) {
            Some(None) => continue,
            Some(Some((node, setting, span))) => {
                match by_body.iter_mut().find(|(p, ..)| p == path) {
                    Some((.., needed)) => add_all(needed, headers),
                    None => by_body.push((
                        path.to_string(),
                        *node,
                        setting.clone(),
                        span.clone(),
                        headers,
                    )),
                }
                continue;
            }
            None => {}
        }
        if options.contains_key(&sibling(path)) {
            return Err(format!(
                "`{path}` has no OPTIONS but `{}` has one, and which answers the preflight depends on their order",
                sibling(path)
            ));
        }
        add_all(&mut sam, headers);
    }
    let body_options = by_body
        .into_iter()
        .filter_map(|(path, node, setting, key_span, needed)| {
            let lacking = ordered(body_options_lacking(node, &needed)?);
            (!lacking.is_empty()).then_some(BodyPreflight {
                path,
                setting,
                key_span,
                lacking,
            })
        })
        .collect();
    Ok(Needs { sam, body_options })
}

/// The routes of a `DefinitionBody`: SAM gives each operation the API's `DefaultAuthorizer`
/// and `ApiKeyRequired`, as it gives them to an event without `Auth`.
fn body_routes<'t: 'r, 'r>(
    body: Node<'t>,
    body_path: &Path,
    api_key: bool,
    default_authorizer: &Option<Rc<Authorizer>>,
    facts: &ApiFacts<'t>,
    routes: &mut Vec<Route<'r>>,
    options: &mut BTreeMap<String, Option<(Node<'t>, Path, Span)>>,
) -> Result<(), String> {
    let unreadable = || "its `DefinitionBody` is not a mapping samfix can read".to_string();
    if is_intrinsic(body) {
        return Err("its `DefinitionBody` is an intrinsic function".into());
    }
    body.resolved().as_map().ok_or_else(unreadable)?;
    if facts.body_wide_security.is_some() {
        return Err("its `DefinitionBody` sets a document-wide `security`".into());
    }
    let Some(paths) = body.get("paths") else {
        return Ok(());
    };
    if is_intrinsic(paths) {
        return Err("the `paths` of its `DefinitionBody` are an intrinsic function".into());
    }
    let paths_map = paths.resolved().as_map().ok_or_else(unreadable)?;
    let paths_path = child(body_path, "paths");
    for entry in paths_map.iter() {
        let path = entry.key();
        let variants = path_item_variants(entry.value())
            .ok_or_else(|| format!("the path `{path}` of its `DefinitionBody` can't be read"))?;
        let conditional = variants.len() != 1;
        for methods in variants.into_iter().flat_map(|item| item.iter()) {
            let method = methods;
            let key = method.key();
            let lower = key.to_ascii_lowercase();
            let verb = match lower.as_str() {
                "x-amazon-apigateway-any-method" => "any",
                "options" => "options",
                other => match ANY_METHODS.iter().find(|method| **method == other) {
                    Some(method) => method,
                    None => continue,
                },
            };
            if key != lower {
                return Err(format!("`{path}` writes the method `{key}` in capitals"));
            }
            let operation = method.value();
            if verb == "options" && conditional {
                return Err(format!(
                    "`{path}` of its `DefinitionBody` has an `options` under `Fn::If`"
                ));
            }
            if verb == "options" {
                let mut at = child(&paths_path, path);
                at.push(Seg::Key(key.into()));
                options.insert(path.to_string(), Some((operation, at, method.key_span())));
                continue;
            }
            if is_intrinsic(operation) || operation.resolved().as_map().is_none() {
                return Err(format!(
                    "`{key} {path}` of its `DefinitionBody` is not a mapping"
                ));
            }
            if operation.get("security").is_some_and(|s| s.is_truthy()) {
                return Err(format!(
                    "`{key} {path}` of its `DefinitionBody` sets its own `security`"
                ));
            }
            routes.push(Route {
                path,
                method: verb,
                api_key,
                authorizer: default_authorizer.clone(),
            });
        }
    }
    Ok(())
}

/// The path items a `paths` entry stands for: itself, or the branches of an `Fn::If` (an
/// `AWS::NoValue` branch stands for none); `None` when it is something else.
fn path_item_variants<'t>(item: Node<'t>) -> Option<Vec<crate::parse::Map<'t>>> {
    fn as_item<'t>(node: Node<'t>) -> Option<crate::parse::Map<'t>> {
        let map = node.resolved().as_map()?;
        (!is_intrinsic(node) && map.get("$ref").is_none()).then_some(map)
    }
    if !is_intrinsic(item) {
        return as_item(item).map(|map| vec![map]);
    }
    let resolved = item.resolved();
    let branches = match resolved.tag() {
        Some("!If") => resolved,
        Some(_) => return None,
        None => resolved.get("Fn::If")?,
    };
    let branches = branches.resolved().as_seq().filter(|seq| seq.len() == 3)?;
    let mut variants = Vec::new();
    for branch in branches.items().skip(1) {
        let branch = branch.resolved();
        let reference = match branch.tag() {
            Some("!Ref") => branch.as_scalar().map(|scalar| scalar.value),
            Some(_) => None,
            None => branch.get("Ref").and_then(Node::as_str),
        };
        if reference == Some("AWS::NoValue") {
            continue;
        }
        variants.push(as_item(branch)?);
    }
    Some(variants)
}

/// The headers among `needed` that the body's own `options` operation does not allow in
/// any of its integration responses (absent allows none; `*` all but `Authorization`);
/// `None` when the browser view does not judge it (a proxy integration answers).
fn body_options_lacking(options: Node, needed: &[String]) -> Option<Vec<String>> {
    const ALLOW_HEADERS: &str = "method.response.header.access-control-allow-headers";
    let integration = options.get("x-amazon-apigateway-integration");
    if let Some(integration) = integration {
        if is_intrinsic(integration) {
            return None;
        }
        let kind = integration.get("type").and_then(Node::as_str).unwrap_or("");
        if ["aws_proxy", "http_proxy"].contains(&kind.to_ascii_lowercase().as_str()) {
            return None;
        }
    }
    let responses: Vec<Node> = integration
        .and_then(|i| i.get("responses"))
        .and_then(|r| r.resolved().as_map())
        .map(|map| map.iter().map(|entry| entry.value()).collect())
        .unwrap_or_default();
    // What each response allows: `None` for a value the view does not judge.
    let allowed: Vec<Option<Vec<String>>> = if responses.is_empty() {
        vec![Some(Vec::new())]
    } else {
        responses
            .iter()
            .map(|response| {
                let value = response
                    .get("responseParameters")
                    .and_then(|p| p.resolved().as_map())
                    .and_then(|map| {
                        map.iter()
                            .find(|e| e.key().eq_ignore_ascii_case(ALLOW_HEADERS))
                            .map(|e| e.value())
                    });
                match value {
                    None => Some(Vec::new()),
                    Some(value) => {
                        let text = string_of(value)?;
                        (form_of(text)? == Form::Literal).then(|| {
                            items_of(text, Form::Literal)
                                .into_iter()
                                .map(|item| item.to_ascii_lowercase())
                                .collect()
                        })
                    }
                }
            })
            .collect()
    };
    let lacks = |header: &String| {
        allowed.iter().all(|items| {
            items
                .as_ref()
                .is_some_and(|items| !not_allowed(std::slice::from_ref(header), items).is_empty())
        })
    };
    Some(needed.iter().filter(|h| lacks(h)).cloned().collect())
}

/// `/p` for `/p/` and the other way round: API Gateway treats them as one resource.
fn sibling(path: &str) -> String {
    match path.strip_suffix('/') {
        Some(stripped) if !stripped.is_empty() => stripped.to_string(),
        _ => format!("{path}/"),
    }
}

/// A route of an API, as a browser calls it.
struct Route<'r> {
    path: &'r str,
    /// Lower case; `any` stands for every method.
    method: &'r str,
    api_key: bool,
    /// Shared by every route that takes the API's default.
    authorizer: Option<Rc<Authorizer>>,
}

impl Route<'_> {
    /// The headers a browser's calls of the route send that need the preflight's
    /// permission, over every method it stands for.
    fn headers(&self) -> Vec<String> {
        let methods = if self.method == "any" {
            &ANY_METHODS[..]
        } else {
            std::slice::from_ref(&self.method)
        };
        let mut headers = Vec::new();
        for method in methods {
            add_all(
                &mut headers,
                needed_headers(method, self.api_key, self.authorizer.as_deref()),
            );
        }
        headers
    }
}

/// The headers of `needs` that the items `allowed` (lower case) do not allow: `*` allows
/// every header but `Authorization`.
fn not_allowed(needs: &[String], allowed: &[String]) -> Vec<String> {
    let wildcard = allowed.iter().any(|item| item == "*");
    needs
        .iter()
        .filter(|header| {
            let header = header.to_ascii_lowercase();
            let covered = allowed.contains(&header) || (wildcard && header != "authorization");
            !covered
        })
        .cloned()
        .collect()
}

fn lower(items: Vec<String>) -> Vec<String> {
    items.iter().map(|item| item.to_ascii_lowercase()).collect()
}

/// Adds each header of `more` that `headers` lacks, ignoring case.
fn add_all(headers: &mut Vec<String>, more: Vec<String>) {
    for header in more {
        if !headers.iter().any(|h| h.eq_ignore_ascii_case(&header)) {
            headers.push(header);
        }
    }
}

/// The headers in the order they are added: [`ORDER`]'s first, spelled as it spells them,
/// then the others alphabetically.
fn ordered(headers: Vec<String>) -> Vec<String> {
    let rank = |header: &str| {
        ORDER
            .iter()
            .position(|known| known.eq_ignore_ascii_case(header))
            .unwrap_or(ORDER.len())
    };
    let mut headers: Vec<String> = headers
        .into_iter()
        .map(|header| match ORDER.get(rank(&header)) {
            Some(known) => (*known).to_string(),
            None => header,
        })
        .collect();
    headers.sort_by_cached_key(|header| (rank(header), header.to_ascii_lowercase()));
    headers.dedup_by(|a, b| a.eq_ignore_ascii_case(b));
    headers
}

/// A path as the findings show it: from the resource's logical id, `MyApi.Properties.Cors`.
fn shown_path(path: &[Seg]) -> String {
    let shown = display_path(path);
    match shown.strip_prefix("Resources.") {
        Some(rest) => rest.to_string(),
        None => shown,
    }
}

/// `` `A`, `B` ``.
fn listed_code(items: &[String]) -> String {
    items
        .iter()
        .map(|item| format!("`{item}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_are_added_keeping_the_separator_and_the_quoting_is_made_whole() {
        let missing = ["Authorization".to_string(), "X-Api-Key".to_string()];
        for (text, expected) in [
            (
                "'Content-Type,X-Amz-Date'",
                "'Content-Type,X-Amz-Date,Authorization,X-Api-Key'",
            ),
            (
                "'Content-Type, X-Amz-Date'",
                "'Content-Type, X-Amz-Date, Authorization, X-Api-Key'",
            ),
            ("'Content-Type,'", "'Content-Type,Authorization,X-Api-Key'"),
            ("''", "'Authorization,X-Api-Key'"),
            (
                "'Content-Type', 'X-Amz-Date'",
                "'Content-Type,X-Amz-Date,Authorization,X-Api-Key'",
            ),
            (
                "'Content-Type','X-Amz-Date'",
                "'Content-Type,X-Amz-Date,Authorization,X-Api-Key'",
            ),
            ("headers", "'headers,Authorization,X-Api-Key'"),
            ("", "'Authorization,X-Api-Key'"),
        ] {
            let form = form_of(text).unwrap();
            assert_eq!(extended(text, form, &missing), expected, "{text}");
            let items = items_of(expected, form_of(expected).unwrap());
            assert!(items.contains(&"Authorization".to_string()), "{expected}");
        }
    }

    #[test]
    fn echoes_and_stray_quotes_are_not_read_as_lists() {
        assert!(form_of("method.request.header.Access-Control-Request-Headers").is_none());
        assert!(form_of("'a'b'").is_none());
        assert!(form_of("a'b").is_none());
        assert!(form_of("'Content-Type', 'Authorization'") == Some(Form::ItemByItem));
        assert_eq!(
            items_of("'Content-Type', 'Authorization'", Form::ItemByItem),
            ["Content-Type", "Authorization"]
        );
    }

    use crate::{check_rules, Rule, Strategy};

    /// The headers each API's finding names, and the fixed text.
    fn run(source: &str) -> (Vec<(String, String)>, Option<String>) {
        let rule = Rule::from_id("preflight-header-not-allowed").unwrap();
        let checked = check_rules(source, Strategy::Auto, &[rule]).unwrap();
        let findings = checked
            .findings
            .iter()
            .map(|f| {
                let lacking = f.message.split("does not allow ").nth(1).unwrap_or("");
                (
                    f.api.clone(),
                    lacking.split(", which").next().unwrap().to_string(),
                )
            })
            .collect();
        (findings, checked.fixed)
    }

    fn api_with(cors: &str, auth: &str, event_auth: &str, method: &str) -> String {
        format!(
            "Transform: AWS::Serverless-2016-10-31\nResources:\n  A:\n    Type: AWS::Serverless::Api\n    Properties:\n      \
             StageName: p\n      Cors: {cors}\n      Auth: {auth}\n  F:\n    Type: AWS::Serverless::Function\n    Properties:\n      \
             Handler: h\n      Runtime: python3.12\n      Events:\n        E:\n          Type: Api\n          Properties:\n            \
             RestApiId: !Ref A\n            Path: /p\n            Method: {method}\n            Auth: {event_auth}\n"
        )
    }

    #[test]
    fn a_null_event_setting_leaves_the_api_default() {
        let key = "{ApiKeyRequired: true, AddApiKeyRequiredToCorsPreflight: false}";
        let (findings, _) = run(&api_with("\"'*'\"", key, "{ApiKeyRequired: ~}", "get"));
        assert_eq!(findings, [("A".to_string(), "`X-Api-Key`".to_string())]);
        let (findings, _) = run(&api_with("\"'*'\"", key, "{ApiKeyRequired: false}", "get"));
        assert!(findings.is_empty());
    }

    #[test]
    fn a_cors_that_loads_as_false_makes_no_preflight() {
        let key = "{ApiKeyRequired: true, AddApiKeyRequiredToCorsPreflight: false}";
        for cors in ["''", "{}", "false"] {
            let (findings, _) = run(&api_with(cors, key, "~", "put"));
            assert!(findings.is_empty(), "{cors}");
        }
    }

    #[test]
    fn an_unreadable_authorizer_header_is_not_guessed() {
        let auth = "{DefaultAuthorizer: T, AddDefaultAuthorizerToCorsPreflight: false, Authorizers: {T: {FunctionArn: x, Identity: {Header: !Ref H}}}}";
        let (findings, fixed) = run(&api_with("\"'*'\"", auth, "~", "post"));
        assert!(findings.is_empty() && fixed.is_none());
        let auth = "{DefaultAuthorizer: T, AddDefaultAuthorizerToCorsPreflight: false, Authorizers: {T: {FunctionArn: x, Identity: {Header: X-Token}}}}";
        let (findings, fixed) = run(&api_with("\"'*'\"", auth, "~", "post"));
        assert_eq!(
            findings,
            [("A".to_string(), "`Content-Type`, `X-Token`".to_string())]
        );
        assert!(fixed
            .unwrap()
            .contains("AllowHeaders: \"'Content-Type,X-Token'\"}"));
    }

    #[test]
    fn the_events_of_a_definition_body_add_nothing_to_it() {
        let source = "Transform: AWS::Serverless-2016-10-31\nResources:\n  A:\n    Type: AWS::Serverless::Api\n    Properties:\n      \
             StageName: p\n      Cors: \"'*'\"\n      DefinitionBody:\n        swagger: '2.0'\n        paths:\n          /b:\n            \
             Fn::If: [C, {get: {}}, {Ref: AWS::NoValue}]\n  F:\n    Type: AWS::Serverless::Function\n    Properties:\n      \
             Handler: h\n      Events:\n        E:\n          Type: Api\n          Properties: {RestApiId: !Ref A, Path: /e, Method: post}\n";
        assert!(
            run(source).0.is_empty(),
            "the event's POST is not in the body"
        );
        let put = source.replace("{get: {}}", "{put: {}}");
        assert_eq!(
            run(&put).0,
            [("A".to_string(), "`Content-Type`".to_string())]
        );
    }

    #[test]
    fn an_origin_without_quotes_is_quoted_as_the_other_rule_quotes_it() {
        for (text, mapped) in [
            ("*", "'*'"),
            ("https://app.example.com", "'https://app.example.com'"),
            ("'*'", "'*'"),
            ("origins", "origins"),
            ("context.x://y", "context.x://y"),
            ("https://a'b", "https://a'b"),
        ] {
            assert_eq!(origin_as_mapped(text), mapped, "{text}");
        }
    }

    #[test]
    fn headers_are_added_in_the_fixed_order() {
        let headers = [
            "Authorization1",
            "x-api-key",
            "X-Amz-Security-Token",
            "content-type",
            "Accept-Token",
        ]
        .map(String::from)
        .to_vec();
        assert_eq!(
            ordered(headers),
            [
                "Content-Type",
                "X-Api-Key",
                "X-Amz-Security-Token",
                "Accept-Token",
                "Authorization1"
            ]
        );
    }
}
