//! `origin-invalid`: an API's CORS origin that no browser's `Origin` header can match. A
//! REST API's quoted `Access-Control-Allow-Origin` literal (SAM's `Cors`, its `AllowOrigin`,
//! or a `GatewayResponses` header) must be `'*'`, `'null'` or one serialized origin
//! `'scheme://host[:port]'`, and browsers compare it byte for byte with the page's origin,
//! which never ends in a slash, never has a path and is never a list or a pattern. An HTTP
//! API's `CorsConfiguration.AllowOrigins` items follow the same form, with `*` allowed in
//! the host.

use super::{Context, Output, Rule, RuleSpec};
use crate::change::{Change, Value};
use crate::cors::{http_api_cors, is_serialized_origin, Setting};
use crate::diagnostic::{
    EventLabels, Finding, Fix, FixReason, Reason, Refusal, Strategy, WrittenIn,
};
use crate::model::{child, is_intrinsic, is_shared, Template};
use crate::parse::{display_path, Node, Path, Reads, Resolved, ResourceReads, ScalarStyle, Seg};

pub(super) const RULE: RuleSpec = RuleSpec {
    id: "origin-invalid",
    name: "OriginInvalid",
    summary: "An API's CORS origin is not `*` or one origin `scheme://host[:port]`",
    description: "A REST API's quoted Access-Control-Allow-Origin literal (SAM's `Cors` string, its `AllowOrigin`, or a `GatewayResponses` header), or an HTTP API's `CorsConfiguration.AllowOrigins` item, that is not `*` (or `null`) or one origin `scheme://host[:port]`: a trailing slash, a path, a missing scheme, a comma-separated list or a `*.` pattern. Browsers compare the value byte for byte with the page's origin, which has none of these, so every cross-origin call fails.",
    fix: "removes a trailing slash from the origin; a list, a path, a missing scheme or a `*.` pattern is left for a human",
    page: include_str!("../../docs/rules/origin-invalid.md"),
    reads: Reads {
        attributes: &[],
        sections: &[],
        resources: &[
            ResourceReads {
                kind: "AWS::Serverless::Api",
                properties: &["GatewayResponses"],
                edited: true,
            },
            ResourceReads {
                kind: "AWS::Serverless::HttpApi",
                properties: &["CorsConfiguration"],
                edited: false,
            },
        ],
    },
    check,
};

const ALLOW_ORIGIN: &str = "Access-Control-Allow-Origin";

/// What is wrong with an origin, as far as samfix can tell.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Verdict {
    /// `*`, `null` (REST only) or one `scheme://host[:port]`.
    Valid,
    /// A valid origin followed by `/`: the origin without it.
    TrailingSlash(String),
    /// Several origins in one value.
    List,
    /// A host with no `scheme://`.
    NoScheme,
    /// `scheme://host[:port]` followed by a path.
    Path,
    /// `*.example.com` or `https://*.example.com` where only `*` or one origin is allowed.
    Pattern,
    /// Anything else: a query, user info, a bad port or scheme, spaces.
    Other,
}

/// Judges `text` (a REST literal without its quotes, or an HTTP API item) as an origin.
/// `http_api`: `*` may stand in the host (`https://*.example.com`), and `null` is no origin.
fn judge(text: &str, http_api: bool) -> Verdict {
    let valid = |text: &str| {
        text == "*" || (!http_api && text == "null") || is_serialized_origin(text, http_api)
    };
    if valid(text) {
        return Verdict::Valid;
    }
    if text.is_empty() || text == "null" {
        return Verdict::Other;
    }
    let parts = text
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|part| !part.is_empty())
        .count();
    if parts > 1 || text.contains(',') {
        return Verdict::List;
    }
    if let Some(stripped) = text.strip_suffix('/') {
        if is_serialized_origin(stripped, http_api) {
            return Verdict::TrailingSlash(stripped.to_string());
        }
    }
    let Some((_, rest)) = text.split_once("://") else {
        // A host names a domain (`www.example.com`), `localhost` or a port; a lone word
        // (`origins`) is a placeholder, not a host.
        let host = text.split(':').next().unwrap_or(text);
        return if text.starts_with("*.") {
            Verdict::Pattern
        } else if text.contains(['/', '*', '@', '?', '#']) || text.chars().any(char::is_whitespace)
        {
            Verdict::Other
        } else if host.contains('.') || host == "localhost" || text.contains(':') {
            Verdict::NoScheme
        } else {
            Verdict::Other
        };
    };
    let host_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    if !http_api && rest[..host_end].contains('*') {
        return Verdict::Pattern;
    }
    if rest[host_end..].starts_with('/') && !rest[..host_end].is_empty() {
        let origin = &text[..text.len() - rest.len() + host_end];
        if valid(origin) || (!http_api && is_serialized_origin(origin, true)) {
            return Verdict::Path;
        }
    }
    Verdict::Other
}

/// An API that reads a value, as its findings name it.
struct Reader {
    api: String,
    preflight: String,
    events: EventLabels,
}

/// Where an origin value answers the browser.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Source {
    /// SAM's `Cors`: the answer to the preflight.
    Cors,
    /// A `GatewayResponses` header: API Gateway's own error answers.
    GatewayResponse,
    /// An HTTP API's `AllowOrigins` item.
    HttpApi,
}

/// One origin value written in the template, and the APIs that read it.
struct Candidate<'t> {
    source: Source,
    /// The value (a REST literal, or the HTTP API's `AllowOrigins` list).
    setting: Setting<'t>,
    /// The item of the `AllowOrigins` list, for an HTTP API.
    item: Option<(usize, Node<'t>)>,
    /// The text judged: a REST literal without its quotes, or the HTTP API item.
    text: String,
    /// The value as written, for messages.
    shown: String,
    verdict: Verdict,
    readers: Vec<Reader>,
}

impl Candidate<'_> {
    fn http_api(&self) -> bool {
        self.source == Source::HttpApi
    }

    /// The path of the value at fault: the literal, or the list item.
    fn path(&self) -> Path {
        let mut path = self.setting.path.clone();
        if let Some((index, _)) = self.item {
            path.push(Seg::Index(index));
        }
        path
    }
}

fn check<'t>(context: &Context<'_, 't>) -> Output<'t> {
    let rule = Rule(&RULE);
    let template = context.template;
    let mut candidates: Vec<Candidate<'t>> = Vec::new();
    let mut add = |candidate: Candidate<'t>| {
        let path = candidate.path();
        match candidates.iter_mut().find(|c| c.path() == path) {
            Some(known) => {
                for reader in candidate.readers {
                    if !known.readers.iter().any(|r| r.api == reader.api) {
                        known.readers.push(reader);
                    }
                }
            }
            None => candidates.push(candidate),
        }
    };
    for (api, facts, cors) in context.cors_apis() {
        let events = template.event_labels(&api.id);
        let cors_origin = cors.cors.as_ref().and_then(|c| c.allow_origin.as_ref());
        let preflight = facts
            .preflight
            .clone()
            .unwrap_or_else(|| format!("`{}` sets `Cors`", api.id));
        if let Some(candidate) =
            cors_origin.and_then(|setting| rest_candidate(setting, Source::Cors))
        {
            add(Candidate {
                readers: vec![Reader {
                    api: api.id.clone(),
                    preflight: preflight.clone(),
                    events: events.clone(),
                }],
                ..candidate
            });
        }
        for setting in gateway_response_origins(template, &cors.gateway_responses) {
            if let Some(candidate) = rest_candidate(&setting, Source::GatewayResponse) {
                let preflight = facts.preflight.clone().unwrap_or_else(|| {
                    format!("the gateway responses of `{}` set CORS headers", api.id)
                });
                add(Candidate {
                    readers: vec![Reader {
                        api: api.id.clone(),
                        preflight,
                        events: events.clone(),
                    }],
                    ..candidate
                });
            }
        }
    }
    for http_api in http_api_cors(template) {
        let preflight = match http_api.configured_in.last() {
            Some(WrittenIn::Api(id)) => format!("`{id}` sets `CorsConfiguration`"),
            _ => "`Globals.HttpApi` sets `CorsConfiguration`".to_string(),
        };
        for setting in http_api.field("AllowOrigins") {
            if is_intrinsic(setting.node) {
                continue;
            }
            let Some(seq) = setting.node.resolved().as_seq() else {
                continue;
            };
            for (index, item) in seq.items().enumerate() {
                let Some(text) = plain_text(item) else {
                    continue;
                };
                // Quoted items are `httpapi-quoted-cors-value`'s.
                if text.len() >= 2 && text.starts_with('\'') && text.ends_with('\'') {
                    continue;
                }
                let verdict = judge(text, true);
                if verdict == Verdict::Valid {
                    continue;
                }
                add(Candidate {
                    source: Source::HttpApi,
                    setting: setting.clone(),
                    item: Some((index, item)),
                    text: text.to_string(),
                    shown: text.to_string(),
                    verdict,
                    readers: vec![Reader {
                        api: http_api.id.clone(),
                        preflight: preflight.clone(),
                        events: http_api.events.clone(),
                    }],
                });
            }
        }
    }
    let mut output = Output::default();
    for candidate in &candidates {
        settle(context, rule, candidate, &mut output);
    }
    output
}

/// A REST origin value that is a quoted literal samfix judges invalid; `None` for a valid
/// one, or one this rule does not judge: an intrinsic, a request echo, an unquoted value
/// and a list quoted item by item (those are `invalid-mapping-expression`'s).
fn rest_candidate<'t>(setting: &Setting<'t>, source: Source) -> Option<Candidate<'t>> {
    if is_intrinsic(setting.node) {
        return None;
    }
    let literal = plain_text(setting.node)?;
    let inner = literal.strip_prefix('\'')?.strip_suffix('\'')?;
    if quoted_item_by_item(inner) {
        return None;
    }
    let text = inner.trim();
    let verdict = judge(text, false);
    (verdict != Verdict::Valid).then(|| Candidate {
        source,
        setting: setting.clone(),
        item: None,
        text: text.to_string(),
        shown: literal.to_string(),
        verdict,
        readers: Vec::new(),
    })
}

/// `a', 'b` (the inside of `'a', 'b'`): several items, each quoted.
fn quoted_item_by_item(inner: &str) -> bool {
    inner.contains('\'')
        && format!("'{inner}'")
            .split(',')
            .filter(|part| {
                let part = part.trim();
                part.len() >= 2
                    && part.starts_with('\'')
                    && part.ends_with('\'')
                    && !part[1..part.len() - 1].contains('\'')
            })
            .count()
            == format!("'{inner}'").split(',').count()
}

/// The `Access-Control-Allow-Origin` header of each gateway response as an API reads it:
/// SAM merges the API's `GatewayResponses` and `Globals.Api`'s key by key, the API's
/// first.
fn gateway_response_origins<'t>(
    template: &Template<'t>,
    responses: &[Setting<'t>],
) -> Vec<Setting<'t>> {
    let mut kinds: Vec<&str> = Vec::new();
    for map in responses {
        if let Some(map) = map.node.resolved().as_map() {
            for kind in map.keys() {
                if !kinds.contains(&kind) {
                    kinds.push(kind);
                }
            }
        }
    }
    let mut origins = Vec::new();
    for kind in kinds {
        let found = responses.iter().find_map(|map| {
            if is_intrinsic(map.node) {
                return None;
            }
            let response = map.node.get(kind)?;
            let parameters = response.get("ResponseParameters")?;
            let headers = parameters.get("Headers")?;
            let header_map = headers.resolved().as_map()?;
            let key = header_map
                .keys()
                .find(|key| key.eq_ignore_ascii_case(ALLOW_ORIGIN))?;
            let (entry, indirect) = headers.lookup(key)?;
            let mut path = child(&map.path, kind);
            path.extend([
                Seg::Key("ResponseParameters".into()),
                Seg::Key("Headers".into()),
                Seg::Key(key.into()),
            ]);
            let node = entry.value();
            let shared = map.shared
                || indirect
                || is_shared(node)
                || template.root.shared_on_path(&path).is_some()
                || template.root.at(&path) != Some(node);
            Some(Setting {
                written_in: map.written_in.clone(),
                path,
                node,
                key_span: entry.key_span(),
                shared,
            })
        });
        origins.extend(found);
    }
    origins
}

/// The findings of one value, and its fix or refusal.
fn settle<'t>(
    context: &Context<'_, 't>,
    rule: Rule,
    candidate: &Candidate<'t>,
    output: &mut Output<'t>,
) {
    let name = shown_path(&candidate.path());
    let outcome = match &candidate.verdict {
        Verdict::TrailingSlash(origin) => fix_of(context, candidate, origin, &name),
        verdict => Err(refusal_of(candidate, verdict, &name)),
    };
    let span = match candidate.item {
        Some((_, item)) => item.span(),
        None => candidate.setting.key_span.clone(),
    };
    let apis: Vec<String> = candidate.readers.iter().map(|r| r.api.clone()).collect();
    let (fix, refusal) = match outcome {
        Ok((why, changes)) => {
            output.holders.extend(changes.iter().map(|_| None));
            output.fixes.push(Fix {
                rule,
                written_in: candidate.setting.written_in.clone(),
                apis,
                strategy: Strategy::Auto,
                why,
                changes,
            });
            (Some(output.fixes.len() - 1), None)
        }
        Err(reason) => {
            output.refusals.push(Refusal {
                rule,
                written_in: candidate.setting.written_in.clone(),
                apis,
                span: span.clone(),
                reason,
            });
            (None, Some(output.refusals.len() - 1))
        }
    };
    let (label, what) = describe(&candidate.verdict);
    for reader in &candidate.readers {
        let (api, shown) = (&reader.api, &candidate.shown);
        let message = match candidate.source {
            Source::HttpApi => format!(
                "`{api}` allows the origin `{shown}`: it {what}, so browsers calling from that site are refused"
            ),
            Source::Cors => format!(
                "`{api}` answers the CORS preflight with the origin `{shown}`: it {what}, so browsers refuse every call that needs a preflight"
            ),
            Source::GatewayResponse => format!(
                "`{api}`'s gateway responses allow the origin `{shown}`: it {what}, so browsers show API Gateway's own errors as CORS errors"
            ),
        };
        output.findings.push(Finding {
            rule,
            api: reader.api.clone(),
            message,
            label,
            span: span.clone(),
            setting_kind: "cors",
            setting: name.clone(),
            written_in: candidate.setting.written_in.clone(),
            preflight: reader.preflight.clone(),
            events: reader.events.clone(),
            fix,
            refusal,
        });
    }
}

/// The label beside the value, and what the message says of it.
fn describe(verdict: &Verdict) -> (&'static str, &'static str) {
    match verdict {
        Verdict::TrailingSlash(_) => (
            "a trailing slash",
            "ends in a slash, which no browser's `Origin` does",
        ),
        Verdict::List => (
            "several origins in one value",
            "lists several origins where a browser expects one",
        ),
        Verdict::NoScheme => (
            "no scheme",
            "lacks the `scheme://` that every browser's `Origin` has",
        ),
        Verdict::Path => ("a path", "has a path, which no browser's `Origin` has"),
        Verdict::Pattern => (
            "a pattern",
            "is a pattern, where a browser expects `*` or one origin",
        ),
        Verdict::Other | Verdict::Valid => (
            "not an origin",
            "is not `*` or one origin `scheme://host[:port]`",
        ),
    }
}

/// The value without its trailing slash, or why samfix can't write it.
fn fix_of(
    context: &Context,
    candidate: &Candidate,
    origin: &str,
    name: &str,
) -> Result<(FixReason, Vec<Change>), Reason> {
    let root = context.template.root;
    let setting = &candidate.setting;
    let path = candidate.path();
    let shared = match candidate.item {
        Some((_, item)) => {
            setting.shared
                || is_shared(item)
                || root.shared_on_path(&path).is_some()
                || root.at(&path) != Some(item)
        }
        None => {
            setting.shared
                || root.shared_on_path(&path).is_some()
                || root.at(&path) != Some(setting.node)
        }
    };
    if shared {
        return Err(Reason::Rule {
            kind: "shared-yaml",
            message: format!(
                "`{name}` is shared through a YAML anchor, alias or merge key; editing it would change every place that shares it: remove the trailing slash where the anchor is written"
            ),
        });
    }
    let why = FixReason::Rule {
        kind: "trailing-slash-removed",
        message: format!(
            "removes the trailing slash: a browser's `Origin` is `{origin}`, never `{}`",
            candidate.text
        ),
    };
    let Some((index, _)) = candidate.item else {
        return Ok((
            why,
            vec![Change::Replace {
                path,
                value: Value::str(format!("'{origin}'")),
            }],
        ));
    };
    // An item of a JSON array is written again with its array: a lone item would be
    // written as YAML.
    let seq = setting
        .node
        .resolved()
        .as_seq()
        .expect("an HTTP API's origins are a list");
    if seq.flow() && key_style(root, &setting.path) == Some(ScalarStyle::DoubleQuoted) {
        let items: Option<Vec<Value>> = seq
            .items()
            .enumerate()
            .map(|(i, item)| {
                let text = plain_text(item)?;
                Some(Value::str(if i == index { origin } else { text }))
            })
            .collect();
        return match items {
            Some(items) => Ok((
                why,
                vec![Change::Replace {
                    path: setting.path.clone(),
                    value: Value::Seq(items),
                }],
            )),
            None => Err(Reason::Rule {
                kind: "list-not-rewritable",
                message: format!(
                    "`{}` holds values other than text, and samfix writes a JSON array only whole: remove the trailing slash of `{}` by hand",
                    shown_path(&setting.path),
                    candidate.text
                ),
            }),
        };
    }
    Ok((
        why,
        vec![Change::Replace {
            path,
            value: Value::str(origin),
        }],
    ))
}

/// What a person must decide about an origin samfix does not fix.
fn refusal_of(candidate: &Candidate, verdict: &Verdict, name: &str) -> Reason {
    let text = &candidate.text;
    let (kind, message) = if candidate.http_api() {
        match verdict {
            Verdict::List => (
                "origin-list",
                format!("`{text}` in `{name}` holds several origins in one item; an HTTP API takes one origin per item: list each origin as an item of its own"),
            ),
            Verdict::NoScheme => (
                "origin-no-scheme",
                format!("`{text}` in `{name}` has no scheme, and browsers send the origin with one: write it as `https://{text}` or `http://{text}`, whichever the site is served over"),
            ),
            Verdict::Path => (
                "origin-path",
                format!("`{text}` in `{name}` has a path, which an origin never has: if the site at its `scheme://host[:port]` is the one meant, write only that"),
            ),
            Verdict::Pattern => (
                "origin-pattern",
                format!("`{text}` in `{name}` is a pattern without a scheme: write it as `https://{text}` (an HTTP API allows `*` in the host), or list the origins"),
            ),
            _ => (
                "origin-not-one",
                format!("`{text}` in `{name}` is not `*` or an origin `scheme://host[:port]`: which origin is meant is for a person to say"),
            ),
        }
    } else {
        match verdict {
            Verdict::List => (
                "origin-list",
                format!("`{name}` lists several origins, but `Access-Control-Allow-Origin` carries one, and an API's `Cors` gives it one value: choose one origin, `'*'`, or the echo `method.request.header.origin` with a function that checks the origin against the list"),
            ),
            Verdict::NoScheme => (
                "origin-no-scheme",
                format!("`{text}` in `{name}` has no scheme, and browsers send the origin with one: write `'https://{text}'` or `'http://{text}'`, whichever the site is served over"),
            ),
            Verdict::Path => (
                "origin-path",
                format!("`{text}` in `{name}` has a path, which an origin never has: if the site at its `scheme://host[:port]` is the one meant, write only that"),
            ),
            Verdict::Pattern => (
                "origin-pattern",
                format!("`{name}` is the pattern `{text}`, but `Access-Control-Allow-Origin` takes `*` or one origin: choose `'*'`, one origin, or the echo `method.request.header.origin` with a function that checks the origin against the pattern"),
            ),
            _ => (
                "origin-not-one",
                format!("`{text}` in `{name}` is not `*`, `null` or one origin `scheme://host[:port]`: which origin is meant is for a person to say"),
            ),
        }
    };
    Reason::Rule { kind, message }
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

/// How the key of the value at `path` is written.
fn key_style(root: Node, path: &[Seg]) -> Option<ScalarStyle> {
    let (Seg::Key(key), parent) = path.split_last()? else {
        return None;
    };
    Some(root.at(parent)?.as_map()?.get(key)?.key_style())
}

/// A path as the findings show it: from the resource's logical id, `MyApi.Properties.Cors`.
fn shown_path(path: &[Seg]) -> String {
    let shown = display_path(path);
    match shown.strip_prefix("Resources.") {
        Some(rest) => rest.to_string(),
        None => shown,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_are_judged_as_browsers_send_them() {
        for valid in [
            "*",
            "null",
            "https://example.com",
            "http://localhost:3000",
            "https://[::1]:8443",
        ] {
            assert_eq!(judge(valid, false), Verdict::Valid, "{valid}");
        }
        for (text, verdict) in [
            (
                "https://example.com/",
                Verdict::TrailingSlash("https://example.com".into()),
            ),
            (
                "http://localhost:3000/",
                Verdict::TrailingSlash("http://localhost:3000".into()),
            ),
            ("https://a.com,https://b.com", Verdict::List),
            ("https://a.com, https://b.com", Verdict::List),
            ("https://a.com https://b.com", Verdict::List),
            ("www.example.com", Verdict::NoScheme),
            ("origins", Verdict::Other),
            ("localhost:3000", Verdict::NoScheme),
            ("https://example.com/app", Verdict::Path),
            ("https://example.com/app/", Verdict::Path),
            ("*.example.com", Verdict::Pattern),
            ("https://*.example.com", Verdict::Pattern),
            ("https://example.com?x", Verdict::Other),
            ("https://example.com:", Verdict::Other),
            ("https://example.com//", Verdict::Path),
            ("", Verdict::Other),
            ("*/", Verdict::Other),
        ] {
            assert_eq!(judge(text, false), verdict, "{text}");
        }
    }

    #[test]
    fn http_api_origins_allow_a_wildcard_host_and_not_null() {
        assert_eq!(judge("https://*.example.com", true), Verdict::Valid);
        assert_eq!(
            judge("https://*.example.com/", true),
            Verdict::TrailingSlash("https://*.example.com".into())
        );
        assert_eq!(judge("*.example.com", true), Verdict::Pattern);
        assert_eq!(judge("null", true), Verdict::Other);
        assert_eq!(judge("*/", true), Verdict::Other);
    }

    #[test]
    fn validity_agrees_with_the_browser_view() {
        // (origin, valid on a REST API, valid on an HTTP API), as the oracle's regexes say.
        for (text, rest, http) in [
            ("*", true, true),
            ("null", true, false),
            ("https://example.com", true, true),
            ("https://example.com/", false, false),
            ("http://localhost:3000", true, true),
            ("http://localhost:3000/", false, false),
            ("https://[::1]", true, false),
            ("https://[::1]:443/", false, false),
            ("https://*.example.com", false, true),
            ("https://*.example.com/", false, false),
            ("*.example.com", false, false),
            ("example.com", false, false),
            ("origins", false, false),
            ("https://a.com,https://b.com", false, false),
            ("https://a.com https://b.com", false, false),
            ("https://example.com/app", false, false),
            ("https://example.com:", false, false),
            ("https://example.com:abc", false, false),
            ("https://user@example.com", false, false),
            ("ftp://example.com", true, true),
            ("1http://example.com", false, false),
            ("https://example.com?x", false, false),
            ("https://example.com#x", false, false),
            ("https://", false, false),
            ("://example.com", false, false),
            ("*/", false, false),
            ("null/", false, false),
            ("HTTPS://EXAMPLE.COM", true, true),
            ("https://exa mple.com", false, false),
            ("https://example.com//", false, false),
            ("https://[zz]", false, true),
            ("https://a.b.c:8080", true, true),
        ] {
            assert_eq!(judge(text, false) == Verdict::Valid, rest, "REST {text}");
            assert_eq!(judge(text, true) == Verdict::Valid, http, "HTTP API {text}");
        }
    }

    #[test]
    fn lists_quoted_item_by_item_are_left_to_invalid_mapping_expression() {
        assert!(quoted_item_by_item("https://a.com', 'https://b.com"));
        assert!(!quoted_item_by_item("https://a.com,https://b.com"));
        assert!(!quoted_item_by_item("it's"));
    }
}
