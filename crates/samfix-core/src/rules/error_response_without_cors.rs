//! `error-response-without-cors`: an API that SAM's `Cors` reaches, whose calls API Gateway
//! may reject itself (a missing key, an authorizer's 401/403, a bad SigV4 signature, a usage
//! plan's 429, a validator's 400), answers those rejections with gateway responses that carry no
//! `Access-Control-Allow-Origin`: the browser reports a CORS error instead of the status.

use std::collections::BTreeSet;

use indexmap::IndexMap;

use super::{Context, Output, Rule, RuleSpec};
use crate::change::{Change, Value};
use crate::cors::{authorizer_strictly, cors_intent, ApiCors, Authorizer, Cors};
use crate::diagnostic::{
    Finding, Fix, FixReason, Reason, Refusal, Strategy, Warning, WarningKind, WrittenIn,
};
use crate::facts::ApiFacts;
use crate::model::{child, is_intrinsic, is_shared, Api, Template};
use crate::parse::{display_path, Kind, Node, Path, Reads, Resolved, ResourceReads, Seg, Span};

pub(super) const RULE: RuleSpec = RuleSpec {
    id: "error-response-without-cors",
    name: "ErrorResponseWithoutCors",
    summary: "API Gateway's own 4XX answers of a CORS API carry no Access-Control-Allow-Origin",
    description: "An API that SAM's Cors reaches (or that is meant for browsers without it), whose routes API Gateway may reject itself (an API key, a Cognito or Lambda authorizer, AWS_IAM, a usage plan, a request validator), and whose gateway responses for those rejections set no Access-Control-Allow-Origin: SAM's Cors only builds the OPTIONS answer, so the browser reports a CORS error instead of the 401, 403 or 429.",
    fix: "adds `GatewayResponses` `DEFAULT_4XX` and `DEFAULT_5XX` (and any customised rejection type) with `Access-Control-Allow-Origin` set to the API's own `AllowOrigin`, where its `Cors` is written",
    page: include_str!("../../docs/rules/error-response-without-cors.md"),
    reads: READS,
    check,
};

/// What the rule reads beyond the facts: an API's `GatewayResponses` and `MergeDefinitions`,
/// and the `AWS::ApiGateway::GatewayResponse` resources, which override both.
const READS: Reads = Reads {
    attributes: &[],
    sections: &[],
    resources: &[
        ResourceReads {
            kind: "AWS::Serverless::Api",
            properties: &["GatewayResponses", "MergeDefinitions"],
            edited: true,
        },
        ResourceReads {
            kind: GATEWAY_RESPONSE_RESOURCE,
            properties: &["RestApiId", "ResponseType", "ResponseParameters"],
            edited: false,
        },
    ],
};

const GATEWAY_RESPONSE_RESOURCE: &str = "AWS::ApiGateway::GatewayResponse";
const ALLOW_ORIGIN: &str = "Access-Control-Allow-Origin";
const ALLOW_CREDENTIALS: &str = "Access-Control-Allow-Credentials";
/// Where a `DefinitionBody` keeps its own gateway responses.
const BODY_RESPONSES: &str = "x-amazon-apigateway-gateway-responses";
/// The prefix of a header in a body's or a resource's `responseParameters`.
const HEADER_PREFIX: &str = "gatewayresponse.header.";

const DEFAULT_4XX: &str = "DEFAULT_4XX";
const DEFAULT_5XX: &str = "DEFAULT_5XX";

/// The gateway responses API Gateway answers with when it rejects a call itself, and their
/// statuses: every one is a 4XX, so a type that is not customised falls back to
/// `DEFAULT_4XX`.
const STATUSES: [(&str, u16); 10] = [
    ("INVALID_API_KEY", 403),
    ("THROTTLED", 429),
    ("QUOTA_EXCEEDED", 429),
    ("UNAUTHORIZED", 401),
    ("ACCESS_DENIED", 403),
    ("MISSING_AUTHENTICATION_TOKEN", 403),
    ("INVALID_SIGNATURE", 403),
    ("EXPIRED_TOKEN", 403),
    ("BAD_REQUEST_BODY", 400),
    ("BAD_REQUEST_PARAMETERS", 400),
];
const KEY: &[&str] = &["INVALID_API_KEY"];
const USAGE_PLAN: &[&str] = &["THROTTLED", "QUOTA_EXCEEDED"];
const COGNITO: &[&str] = &["UNAUTHORIZED"];
const LAMBDA: &[&str] = &["UNAUTHORIZED", "ACCESS_DENIED"];
const IAM: &[&str] = &[
    "MISSING_AUTHENTICATION_TOKEN",
    "INVALID_SIGNATURE",
    "EXPIRED_TOKEN",
    "ACCESS_DENIED",
];
/// Whatever an authorizer samfix can't read may answer with.
const ANY_AUTHORIZER: &[&str] = &[
    "UNAUTHORIZED",
    "ACCESS_DENIED",
    "MISSING_AUTHENTICATION_TOKEN",
    "INVALID_SIGNATURE",
    "EXPIRED_TOKEN",
];
const BODY_VALIDATOR: &str = "BAD_REQUEST_BODY";
const PARAMS_VALIDATOR: &str = "BAD_REQUEST_PARAMETERS";

fn check<'t>(context: &Context<'_, 't>) -> Output<'t> {
    let rule = Rule(&RULE);
    let apis: Vec<(&Api<'t>, &ApiFacts<'t>, &ApiCors<'t>)> = context.cors_apis().collect();
    let resources = GatewayResponseResources::read(context.template.root);
    let mut hits: Vec<Hit> = Vec::new();
    let mut warnings = Vec::new();
    let mut without_sam_cors: Vec<(Finding, Reason)> = Vec::new();
    for &(api, facts, cors) in &apis {
        let Some(sam_cors) = &cors.cors else {
            without_sam_cors.extend(judge_without_sam_cors(
                context,
                rule,
                api,
                facts,
                cors,
                &resources,
                &mut warnings,
            ));
            continue;
        };
        if facts.own_body == Some("DefinitionUri") {
            continue;
        }
        let rejections = rejections(context.template, api, facts, cors);
        if rejections.causes.is_empty() {
            continue;
        }
        let Some((responses, lacking)) = lacking_origin(
            rule,
            api,
            cors,
            &resources,
            &rejections,
            &sam_cors.setting.key_span,
            &mut warnings,
        ) else {
            continue;
        };
        let place = match sam_cors.setting.written_in {
            WrittenIn::Globals if !api.ignores_global("GatewayResponses") => WrittenIn::Globals,
            _ => WrittenIn::Api(api.id.clone()),
        };
        let want = origin_of(sam_cors).and_then(|(origin, credentials)| {
            let (kinds, own_kinds) =
                kinds_to_write(&responses, &rejections, place == WrittenIn::Globals)?;
            Ok(Want {
                origin,
                credentials,
                kinds,
                own_kinds,
            })
        });
        hits.push(Hit {
            finding: finding(context, rule, api, facts, sam_cors, &lacking),
            place,
            want,
        });
    }

    let mut output = Output::default();
    // The hits of each place, places in the order they first come.
    let mut places: IndexMap<&WrittenIn, Vec<usize>> = IndexMap::new();
    for (index, hit) in hits.iter().enumerate() {
        places.entry(&hit.place).or_default().push(index);
    }
    let mut findings: Vec<Finding> = hits.iter().map(|hit| hit.finding.clone()).collect();
    for (place, group) in places {
        let api_ids: Vec<String> = group.iter().map(|&i| hits[i].finding.api.clone()).collect();
        let outcome = plan(context, &apis, &resources, place, &group, &hits);
        let first = &hits[group[0]].finding;
        match outcome {
            Ok((changes, why)) => {
                let index = output.fixes.len();
                output.holders.extend(changes.iter().map(|_| None));
                output.fixes.push(Fix {
                    rule,
                    written_in: place.clone(),
                    apis: api_ids,
                    strategy: Strategy::Auto,
                    why,
                    changes,
                });
                for &i in &group {
                    findings[i].fix = Some(index);
                }
            }
            Err(reason) => {
                let index = output.refusals.len();
                output.refusals.push(Refusal {
                    rule,
                    written_in: place.clone(),
                    apis: api_ids,
                    span: first.span.clone(),
                    reason,
                });
                for &i in &group {
                    findings[i].refusal = Some(index);
                }
            }
        }
    }
    output.findings = findings;
    for (finding, reason) in without_sam_cors {
        output.refuse(finding, reason);
    }
    output.warnings = warnings;
    output
}

/// An API that no SAM `Cors` reaches but that is meant for browsers all the same (an OPTIONS
/// route, a gateway or integration response with Access-Control-* headers), whose
/// rejections carry no origin. With no `Cors` to take the origin from, which origin the
/// rejections should allow is for a person to say.
fn judge_without_sam_cors<'t>(
    context: &Context<'_, 't>,
    rule: Rule,
    api: &Api<'t>,
    facts: &ApiFacts<'t>,
    cors: &ApiCors<'t>,
    resources: &GatewayResponseResources,
    warnings: &mut Vec<Warning>,
) -> Option<(Finding, Reason)> {
    if facts.own_body == Some("DefinitionUri") {
        return None;
    }
    let intent = cors_intent(context.template, api, cors)?;
    let rejections = rejections(context.template, api, facts, cors);
    if rejections.causes.is_empty() {
        return None;
    }
    // Where its routes are written: its body, else its gateway responses, else (for the
    // implicit API too) the first event on it.
    let written = api
        .node
        .zip(api.properties.as_ref())
        .and_then(|(properties, path)| {
            ["DefinitionBody", "GatewayResponses"]
                .into_iter()
                .find_map(|key| {
                    let (entry, _) = properties.lookup(key)?;
                    Some(("api", shown_path(&child(path, key)), entry.key_span()))
                })
        });
    let (setting_kind, setting, span) = match written {
        Some(written) => written,
        None => {
            let event = context.template.events_of(&api.id).next()?;
            ("event", event.label(), event.properties.key_span())
        }
    };
    let (_, lacking) = lacking_origin(rule, api, cors, resources, &rejections, &span, warnings)?;
    let finding = Finding {
        rule,
        api: api.id.clone(),
        message: rejections_message(api, &lacking),
        label: "API Gateway's own 4XX answers of this API carry no Access-Control-Allow-Origin",
        span,
        setting_kind,
        setting,
        written_in: WrittenIn::Api(api.id.clone()),
        preflight: format!(
            "none from SAM: no `Cors` reaches `{}`, though {intent}",
            api.id
        ),
        events: context.template.event_labels(&api.id),
        fix: None,
        refusal: None,
    };
    let reason = refusal(
        "no-sam-cors",
        format!(
            "no SAM `Cors` reaches `{}`, so there is no origin to copy: give the gateway responses that answer {} (`DEFAULT_4XX`, where a type is not customised) an `Access-Control-Allow-Origin` of the origin its browser calls come from",
            api.id,
            lacking.join(", ")
        ),
    );
    Some((finding, reason))
}

/// The responses that answer `api`'s rejections and the rejection types among them that set
/// no origin, or `None` when every one does. Where samfix can't read what answers the
/// rejections, it can't tell whether they lack the origin: a note at `span`, not a finding.
fn lacking_origin<'t>(
    rule: Rule,
    api: &Api<'t>,
    cors: &ApiCors<'t>,
    resources: &GatewayResponseResources,
    rejections: &Rejections,
    span: &Span,
    warnings: &mut Vec<Warning>,
) -> Option<(Responses<'t>, Vec<&'static str>)> {
    let responses = match Responses::read(api, cors, resources) {
        Ok(responses) => responses,
        Err(reason) => {
            warnings.push(Warning {
                kind: WarningKind::Rule(reason.kind()),
                rule: Some(rule),
                span: span.clone(),
                message: reason.to_string(),
                help: Some(format!(
                    "make sure API Gateway's own answers of `{}` ({}) set Access-Control-Allow-Origin; `DEFAULT_4XX` covers every type that is not customised",
                    api.id,
                    rejections.causes.iter().copied().collect::<Vec<_>>().join(", ")
                )),
            });
            return None;
        }
    };
    let lacking: Vec<&'static str> = rejections
        .causes
        .iter()
        .copied()
        .filter(|kind| !responses.sets_origin(kind))
        .collect();
    (!lacking.is_empty()).then_some((responses, lacking))
}

/// "API Gateway's own rejections of calls to `A` (401 UNAUTHORIZED, ...) carry no ..."
fn rejections_message(api: &Api<'_>, lacking: &[&str]) -> String {
    let answers: Vec<String> = lacking
        .iter()
        .map(|kind| {
            let status = STATUSES
                .iter()
                .find(|(k, _)| k == kind)
                .map_or(400, |(_, status)| *status);
            format!("{status} {kind}")
        })
        .collect();
    format!(
        "API Gateway's own rejections of calls to `{}` ({}) carry no Access-Control-Allow-Origin: the browser shows a CORS error instead of the status",
        api.id,
        answers.join(", ")
    )
}

/// An API with the problem: its finding, where its gateway responses go, and what they need.
struct Hit {
    finding: Finding,
    /// `Globals` when its `Cors` comes from `Globals.Api` and it takes `Globals.Api`'s
    /// `GatewayResponses`; otherwise the API resource.
    place: WrittenIn,
    want: Result<Want, Reason>,
}

/// The gateway responses an API needs, and the header values they carry.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Want {
    /// The `Access-Control-Allow-Origin` value: a quoted literal.
    origin: String,
    /// Whether `Cors.AllowCredentials` is `true`, which a credentialed call needs echoed.
    credentials: bool,
    /// The response types to give the headers where the gateway responses go.
    kinds: BTreeSet<&'static str>,
    /// Types only the API's own `GatewayResponses` customise, which get the headers there
    /// even when the rest goes to `Globals.Api`: there they would customise the type for
    /// every API, and a customised type no longer falls back to `DEFAULT_4XX`.
    own_kinds: BTreeSet<&'static str>,
}

impl Want {
    fn headers(&self) -> Vec<(&'static str, String)> {
        let mut headers = vec![(ALLOW_ORIGIN, self.origin.clone())];
        if self.credentials {
            headers.push((ALLOW_CREDENTIALS, "'true'".to_string()));
        }
        headers
    }
}

fn finding(
    context: &Context<'_, '_>,
    rule: Rule,
    api: &Api<'_>,
    facts: &ApiFacts<'_>,
    cors: &Cors<'_>,
    lacking: &[&str],
) -> Finding {
    Finding {
        rule,
        api: api.id.clone(),
        message: rejections_message(api, lacking),
        label: "only the OPTIONS answer gets this origin; API Gateway's own 4XX answers do not",
        span: cors.setting.key_span.clone(),
        setting_kind: "cors",
        setting: shown_path(&cors.setting.path),
        written_in: cors.setting.written_in.clone(),
        preflight: facts
            .preflight
            .clone()
            .unwrap_or_else(|| "SAM `Cors` reaches it".to_string()),
        events: context.template.event_labels(&api.id),
        fix: None,
        refusal: None,
    }
}

/// A path as reports show it: a resource's without the leading `Resources.`.
fn shown_path(path: &[Seg]) -> String {
    let shown = display_path(path);
    match shown.strip_prefix("Resources.") {
        Some(rest) => rest.to_string(),
        None => shown,
    }
}

fn refusal(kind: &'static str, message: String) -> Reason {
    Reason::Rule { kind, message }
}

// ---------------------------------------------------------------------------------------
// Which rejections an API's routes may meet
// ---------------------------------------------------------------------------------------

/// The gateway response types API Gateway may answer an API's routes with.
#[derive(Debug, Default)]
struct Rejections {
    /// From the key, an authorizer, SigV4, a usage plan or a request validator a route
    /// uses: what the rule is about.
    causes: BTreeSet<&'static str>,
    /// From validators the body defines but no route uses: not reason enough for a
    /// finding, but a customised type among them gets the header with the rest.
    validators: BTreeSet<&'static str>,
    /// Whether samfix read every route and authorizer; when not, every customised
    /// rejection type gets the header.
    complete: bool,
}

impl Rejections {
    fn key(&mut self, usage_plan: bool) {
        self.causes.extend(KEY);
        if usage_plan {
            self.causes.extend(USAGE_PLAN);
        }
    }

    fn authorizer(&mut self, authorizer: &Authorizer) {
        let kinds = match authorizer {
            Authorizer::Cognito { .. } => COGNITO,
            Authorizer::Token { .. } | Authorizer::Request { .. } => LAMBDA,
            Authorizer::Iam => IAM,
            Authorizer::Unknown => {
                self.complete = false;
                ANY_AUTHORIZER
            }
        };
        self.causes.extend(kinds);
    }

    /// Every type a customised response may need the header on.
    fn considered(&self) -> BTreeSet<&'static str> {
        if self.complete {
            self.causes.union(&self.validators).copied().collect()
        } else {
            STATUSES.iter().map(|(kind, _)| *kind).collect()
        }
    }
}

fn rejections<'t>(
    template: &Template<'t>,
    api: &Api<'t>,
    facts: &ApiFacts<'t>,
    cors: &ApiCors<'t>,
) -> Rejections {
    let mut rejections = Rejections {
        complete: true,
        ..Rejections::default()
    };
    let merges = || {
        let own = api.node.and_then(|p| p.get("MergeDefinitions"));
        let global = template
            .globals_api()
            .filter(|_| !api.ignores_global("MergeDefinitions"))
            .and_then(|g| g.get("MergeDefinitions"));
        own.or(global).is_some_and(Node::is_truthy)
    };
    // The API's key and default authorizer, which SAM puts on every route of its own body,
    // and on every event whose `Auth` does not say otherwise.
    let api_level = |rejections: &mut Rejections| {
        if facts
            .api_key
            .as_ref()
            .is_some_and(|key| key.value.is_truthy())
        {
            rejections.key(cors.usage_plan);
        }
        if let Some(setting) = &facts.default_authorizer {
            let name = setting.value;
            if is_intrinsic(name) {
                rejections.authorizer(&Authorizer::Unknown);
            } else if let Some(name) = name.as_str().filter(|name| *name != "NONE") {
                rejections.authorizer(&authorizer_strictly(template, api, name));
            }
        }
    };
    let events_reach_body = facts.own_body.is_none() || merges();
    if events_reach_body {
        if facts.own_body.is_none() && !cors.operations_known {
            // An event's `Auth` is an intrinsic: it may keep what the API sets.
            rejections.complete = false;
            api_level(&mut rejections);
        }
        for operation in &cors.operations {
            if operation.api_key {
                rejections.key(cors.usage_plan);
            }
            if let Some(authorizer) = &operation.authorizer {
                rejections.authorizer(authorizer);
            }
        }
        // SAM gives a route a request validator where its `RequestModel` asks for one.
        for event in template
            .events_of(&api.id)
            .filter(|event| !event.is_options())
        {
            let model = event.properties.value().get("RequestModel");
            if let Some(model) = model.filter(|m| !is_intrinsic(*m)) {
                if model.get("ValidateBody").is_some_and(Node::is_truthy) {
                    rejections.causes.insert(BODY_VALIDATOR);
                }
                if model.get("ValidateParameters").is_some_and(Node::is_truthy) {
                    rejections.causes.insert(PARAMS_VALIDATOR);
                }
            }
        }
    }
    if facts.own_body.is_some() {
        api_level(&mut rejections);
        match api.node.and_then(|p| p.get("DefinitionBody")) {
            Some(body) if !is_intrinsic(body) && body.resolved().as_map().is_some() => {
                body_rejections(body, cors.usage_plan, &mut rejections);
            }
            _ => rejections.complete = false,
        }
    }
    rejections
}

/// What a `DefinitionBody`'s own `security` and request validators may reject.
fn body_rejections(body: Node<'_>, usage_plan: bool, rejections: &mut Rejections) {
    let schemes = body.get("securityDefinitions").or_else(|| {
        body.get("components")
            .and_then(|components| components.get("securitySchemes"))
    });
    let mut requirements: Vec<Node> = body.get("security").into_iter().collect();
    // The validators the routes use: the document's, unless an operation names its own.
    let validator_of_document = body.get("x-amazon-apigateway-request-validator");
    let mut validators_used: Vec<Node> = Vec::new();
    match body.get("paths") {
        Some(paths) if !is_intrinsic(paths) && paths.resolved().as_map().is_some() => {
            for item in paths.resolved().as_map().into_iter().flat_map(|m| m.iter()) {
                let item = item.value();
                let Some(methods) = item.resolved().as_map().filter(|_| !is_intrinsic(item)) else {
                    rejections.complete = false;
                    continue;
                };
                for method in methods.iter() {
                    if method.key().eq_ignore_ascii_case("options") {
                        continue;
                    }
                    let operation = method.value();
                    if is_intrinsic(operation) {
                        rejections.complete = false;
                        continue;
                    }
                    requirements.extend(operation.get("security"));
                    validators_used.extend(
                        operation
                            .get("x-amazon-apigateway-request-validator")
                            .or(validator_of_document),
                    );
                }
            }
        }
        Some(_) => rejections.complete = false,
        None => {}
    }
    for security in requirements {
        let Some(list) = security
            .resolved()
            .as_seq()
            .filter(|_| !is_intrinsic(security))
        else {
            rejections.complete = false;
            continue;
        };
        for requirement in list.items() {
            let Some(names) = requirement
                .resolved()
                .as_map()
                .filter(|_| !is_intrinsic(requirement))
            else {
                rejections.complete = false;
                continue;
            };
            for name in names.keys() {
                match scheme_kind(name, schemes.and_then(|s| s.get(name))) {
                    SchemeKind::None => {}
                    SchemeKind::ApiKey => rejections.key(usage_plan),
                    SchemeKind::Authorizer(authorizer) => rejections.authorizer(&authorizer),
                }
            }
        }
    }
    if let Some(validators) = body.get("x-amazon-apigateway-request-validators") {
        match validators
            .resolved()
            .as_map()
            .filter(|_| !is_intrinsic(validators))
        {
            Some(map) => {
                let used: Vec<Option<&str>> =
                    validators_used.iter().map(|name| name.as_str()).collect();
                if used.contains(&None) {
                    // A name samfix can't read: any validator may be the one.
                    rejections.complete = false;
                }
                for validator in map.iter() {
                    // A validator a route uses rejects its bad requests; one no route uses
                    // only matters where its type is customised.
                    let kinds = if used.contains(&Some(validator.key())) {
                        &mut rejections.causes
                    } else {
                        &mut rejections.validators
                    };
                    let validator = validator.value();
                    if validator
                        .get("validateRequestBody")
                        .is_some_and(Node::is_truthy)
                    {
                        kinds.insert(BODY_VALIDATOR);
                    }
                    if validator
                        .get("validateRequestParameters")
                        .is_some_and(Node::is_truthy)
                    {
                        kinds.insert(PARAMS_VALIDATOR);
                    }
                }
            }
            None => rejections.complete = false,
        }
    }
}

enum SchemeKind {
    /// `NONE`: no authorizer.
    None,
    ApiKey,
    Authorizer(Authorizer),
}

/// What a security scheme of a body is, as the browser view reads it.
fn scheme_kind(name: &str, scheme: Option<Node<'_>>) -> SchemeKind {
    if name == "NONE" {
        return SchemeKind::None;
    }
    if name == "AWS_IAM" {
        return SchemeKind::Authorizer(Authorizer::Iam);
    }
    let Some(scheme) = scheme.filter(|s| !is_intrinsic(*s) && s.resolved().as_map().is_some())
    else {
        return SchemeKind::Authorizer(Authorizer::Unknown);
    };
    let text = |node: Option<Node>| {
        node.and_then(Node::as_str)
            .unwrap_or_default()
            .to_ascii_lowercase()
    };
    let auth_type = text(scheme.get("x-amazon-apigateway-authtype"));
    let authorizer_type = text(
        scheme
            .get("x-amazon-apigateway-authorizer")
            .and_then(|a| a.get("type")),
    );
    if auth_type == "awssigv4" {
        SchemeKind::Authorizer(Authorizer::Iam)
    } else if auth_type == "cognito_user_pools" || authorizer_type == "cognito_user_pools" {
        SchemeKind::Authorizer(Authorizer::Cognito {
            header: String::new(),
        })
    } else if authorizer_type == "token" || authorizer_type == "request" {
        SchemeKind::Authorizer(Authorizer::Token {
            header: String::new(),
        })
    } else if text(scheme.get("type")) == "apikey"
        && text(scheme.get("name")) == "x-api-key"
        && auth_type.is_empty()
    {
        SchemeKind::ApiKey
    } else {
        SchemeKind::Authorizer(Authorizer::Unknown)
    }
}

// ---------------------------------------------------------------------------------------
// What an API's gateway responses say
// ---------------------------------------------------------------------------------------

/// Where a response type of an API is customised; the later in this list, the later it is
/// deployed, and the one deployed last is the one API Gateway uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Source {
    /// Not customised.
    None,
    /// The `DefinitionBody`'s own `x-amazon-apigateway-gateway-responses`: SAM's
    /// `GatewayResponses` of the same type replace it whole.
    Body,
    /// SAM's `GatewayResponses`, the API's own merged over `Globals.Api`'s.
    Sam,
    /// An `AWS::ApiGateway::GatewayResponse` resource.
    Resource,
}

/// An API's gateway responses, wherever they are customised.
struct Responses<'t> {
    /// Its own `GatewayResponses` and then `Globals.Api`'s, each a plain map.
    sam: Vec<Node<'t>>,
    /// `Globals.Api`'s, if it reaches the API.
    global: Option<Node<'t>>,
    /// Its body's `x-amazon-apigateway-gateway-responses`, if any.
    body: Option<Node<'t>>,
    /// The types the `AWS::ApiGateway::GatewayResponse` resources of this API set, and
    /// whether each sets the origin.
    resources: Vec<(String, bool)>,
}

impl<'t> Responses<'t> {
    /// Fails when a part that decides the answer can't be read.
    fn read(
        api: &Api<'t>,
        cors: &ApiCors<'t>,
        resources: &GatewayResponseResources,
    ) -> Result<Self, Reason> {
        let unreadable = |what: String| {
            refusal(
                "gateway-responses-unreadable",
                format!("{what}, so samfix can't tell which gateway responses of `{}` carry Access-Control-Allow-Origin", api.id),
            )
        };
        let mut sam = Vec::new();
        let mut global = None;
        for setting in &cors.gateway_responses {
            let map = setting.node;
            if is_intrinsic(map) || map.resolved().as_map().is_none() {
                return Err(unreadable(format!(
                    "`{}` is not a plain map",
                    shown_path(&setting.path)
                )));
            }
            for response in map.resolved().as_map().into_iter().flat_map(|m| m.iter()) {
                headers_of_sam(response.value()).map_err(|()| {
                    unreadable(format!(
                        "`{}.{}` is not a map of maps",
                        shown_path(&setting.path),
                        response.key()
                    ))
                })?;
            }
            sam.push(map);
            if setting.written_in == WrittenIn::Globals {
                global = Some(map);
            }
        }
        let body = match api.node.and_then(|p| p.get("DefinitionBody")) {
            None => None,
            Some(body) if is_intrinsic(body) || body.resolved().as_map().is_none() => {
                return Err(unreadable(format!(
                    "the `DefinitionBody` of `{}` is not a plain map (an intrinsic such as AWS::Include)",
                    api.id
                )));
            }
            Some(body) => match body.get(BODY_RESPONSES) {
                None => None,
                Some(ext) if is_intrinsic(ext) || ext.resolved().as_map().is_none() => {
                    return Err(unreadable(format!(
                        "`{BODY_RESPONSES}` in the `DefinitionBody` of `{}` is not a plain map",
                        api.id
                    )));
                }
                Some(ext) => Some(ext),
            },
        };
        if resources.unknown {
            return Err(refusal(
                "gateway-response-resource",
                format!(
                    "an `{GATEWAY_RESPONSE_RESOURCE}` resource names its API or type in a way samfix can't follow, so it may override the gateway responses of `{}`",
                    api.id
                ),
            ));
        }
        let resources = resources
            .of(&api.id)
            .map(|(kind, origin)| (kind.to_string(), origin))
            .collect();
        Ok(Responses {
            sam,
            global,
            body,
            resources,
        })
    }

    /// Where `kind` is customised, the last deployed first.
    fn source(&self, kind: &str) -> Source {
        if self.resources.iter().any(|(k, _)| k == kind) {
            Source::Resource
        } else if self.sam.iter().any(|map| map.get(kind).is_some()) {
            Source::Sam
        } else if self.body.is_some_and(|body| body.get(kind).is_some()) {
            Source::Body
        } else {
            Source::None
        }
    }

    /// Whether the response of `kind` as API Gateway uses it carries the origin; `None`
    /// when `kind` is not customised.
    fn origin_in(&self, kind: &str) -> Option<bool> {
        match self.source(kind) {
            Source::None => None,
            Source::Resource => Some(
                self.resources
                    .iter()
                    .any(|(k, origin)| k == kind && *origin),
            ),
            // The API's own map merges over the global one key by key, down to the headers.
            Source::Sam => Some(self.sam.iter().any(|map| {
                map.get(kind)
                    .and_then(|response| headers_of_sam(response).ok().flatten())
                    .is_some_and(|headers| has_header(headers.keys(), ALLOW_ORIGIN))
            })),
            Source::Body => Some(self.body.and_then(|body| body.get(kind)).is_some_and(
                |response| {
                    response
                        .get("responseParameters")
                        .and_then(|p| p.resolved().as_map())
                        .is_some_and(|params| {
                            has_header(
                                params
                                    .keys()
                                    .filter_map(|key| strip_prefix_ci(key, HEADER_PREFIX)),
                                ALLOW_ORIGIN,
                            )
                        })
                },
            )),
        }
    }

    /// Whether API Gateway's answer of `kind` carries the origin: a customised type as
    /// written, any other as `DEFAULT_4XX`.
    fn sets_origin(&self, kind: &str) -> bool {
        self.origin_in(kind)
            .or_else(|| self.origin_in(DEFAULT_4XX))
            .unwrap_or(false)
    }
}

/// The `ResponseParameters.Headers` of a SAM gateway response: `Ok(None)` when it has none,
/// `Err` when a level is not a plain map.
fn headers_of_sam(response: Node<'_>) -> Result<Option<crate::parse::Map<'_>>, ()> {
    fn map(node: Node<'_>) -> Result<crate::parse::Map<'_>, ()> {
        (!is_intrinsic(node))
            .then(|| node.resolved().as_map())
            .flatten()
            .ok_or(())
    }
    map(response)?;
    let Some(parameters) = response.get("ResponseParameters") else {
        return Ok(None);
    };
    map(parameters)?;
    let Some(headers) = parameters.get("Headers") else {
        return Ok(None);
    };
    map(headers).map(Some)
}

fn has_header<'a>(mut names: impl Iterator<Item = &'a str>, header: &str) -> bool {
    names.any(|name| name.eq_ignore_ascii_case(header))
}

fn strip_prefix_ci<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &text[prefix.len()..])
}

/// The template's `AWS::ApiGateway::GatewayResponse` resources.
#[derive(Default)]
struct GatewayResponseResources {
    /// (API logical id, response type, whether it sets the origin).
    known: Vec<(String, String, bool)>,
    /// Whether one names its API or type in a way samfix can't follow.
    unknown: bool,
}

impl GatewayResponseResources {
    fn read(root: Node<'_>) -> Self {
        let mut out = GatewayResponseResources::default();
        let Some(resources) = root.get("Resources").and_then(|r| r.resolved().as_map()) else {
            return out;
        };
        for entry in resources.iter() {
            let resource = entry.value();
            if entry.key().starts_with("Fn::ForEach::") {
                // Ids and values made per item: whether one is a gateway response of an API
                // samfix can't tell without expanding it.
                let body = resource.resolved().as_seq().and_then(|seq| seq.get(2));
                let has_one = body
                    .and_then(|body| body.resolved().as_map())
                    .is_some_and(|map| {
                        map.iter().any(|r| {
                            r.value().get("Type").and_then(Node::as_str)
                                == Some(GATEWAY_RESPONSE_RESOURCE)
                        })
                    });
                out.unknown |= has_one;
                continue;
            }
            if resource.get("Type").and_then(Node::as_str) != Some(GATEWAY_RESPONSE_RESOURCE) {
                continue;
            }
            let properties = resource.get("Properties");
            let api = properties
                .and_then(|p| p.get("RestApiId"))
                .and_then(ref_target);
            let kind = properties
                .and_then(|p| p.get("ResponseType"))
                .filter(|k| !is_intrinsic(*k))
                .and_then(Node::as_str);
            let parameters = properties.and_then(|p| p.get("ResponseParameters"));
            let origin = match parameters {
                None => Some(false),
                Some(p) if is_intrinsic(p) => None,
                Some(p) => p.resolved().as_map().map(|map| {
                    has_header(
                        map.keys()
                            .filter_map(|key| strip_prefix_ci(key, HEADER_PREFIX)),
                        ALLOW_ORIGIN,
                    )
                }),
            };
            match (api, kind, origin) {
                (Some(api), Some(kind), Some(origin)) => {
                    out.known.push((api, kind.to_string(), origin));
                }
                _ => out.unknown = true,
            }
        }
        out
    }

    fn of<'a>(&'a self, api: &'a str) -> impl Iterator<Item = (&'a str, bool)> + 'a {
        self.known
            .iter()
            .filter(move |(id, _, _)| id == api)
            .map(|(_, kind, origin)| (kind.as_str(), *origin))
    }
}

/// The logical id a `RestApiId` names: `!Ref X`, `{Ref: X}` or the plain string `X`.
fn ref_target(node: Node<'_>) -> Option<String> {
    let node = node.resolved();
    match node.kind() {
        Kind::Scalar(scalar) if node.tag() == Some("!Ref") => Some(scalar.value.to_string()),
        Kind::Scalar(_) if node.tag().is_none() => node.as_str().map(String::from),
        Kind::Map(map) if map.len() == 1 && node.tag().is_none() => map
            .get("Ref")
            .and_then(|entry| entry.value().as_str())
            .map(String::from),
        _ => None,
    }
}

// ---------------------------------------------------------------------------------------
// What to write
// ---------------------------------------------------------------------------------------

/// The response types that need the headers: `DEFAULT_4XX` (which every rejection type
/// that is not customised falls back to), `DEFAULT_5XX`, and every customised rejection
/// type that lacks the origin.
fn kinds_to_write(
    responses: &Responses<'_>,
    rejections: &Rejections,
    to_globals: bool,
) -> Result<(BTreeSet<&'static str>, BTreeSet<&'static str>), Reason> {
    let lacks = |kind: &str| responses.origin_in(kind) != Some(true);
    let by_hand = |kind: &str, source: Source| {
        match source {
        Source::Body => refusal(
            "body-gateway-response",
            format!(
                "`{kind}` is customised in the `DefinitionBody`'s `{BODY_RESPONSES}` without Access-Control-Allow-Origin; a `GatewayResponses` entry of that type would replace it whole, so add the header to the body by hand"
            ),
        ),
        _ => refusal(
            "gateway-response-resource",
            format!(
                "an `{GATEWAY_RESPONSE_RESOURCE}` resource customises `{kind}` without Access-Control-Allow-Origin, and it overrides `GatewayResponses`: add the header to that resource by hand"
            ),
        ),
    }
    };
    let mut kinds = BTreeSet::new();
    let mut own_kinds = BTreeSet::new();
    // Every rejection type that is not customised falls back to DEFAULT_4XX.
    let falls_back = rejections
        .causes
        .iter()
        .any(|kind| responses.source(kind) == Source::None);
    if lacks(DEFAULT_4XX) {
        match responses.source(DEFAULT_4XX) {
            Source::None | Source::Sam => {
                kinds.insert(DEFAULT_4XX);
            }
            source if falls_back => return Err(by_hand(DEFAULT_4XX, source)),
            _ => {}
        }
    }
    for kind in rejections.considered() {
        match responses.source(kind) {
            Source::None => {}
            _ if !lacks(kind) => {}
            Source::Sam if to_globals && responses.global.is_none_or(|g| g.get(kind).is_none()) => {
                own_kinds.insert(kind);
            }
            Source::Sam => {
                kinds.insert(kind);
            }
            source => return Err(by_hand(kind, source)),
        }
    }
    // 5XX answers (an authorizer's failure, a timeout) lose the origin the same way; a
    // DEFAULT_5XX that only the body or a resource customises is left as written.
    if lacks(DEFAULT_5XX) && matches!(responses.source(DEFAULT_5XX), Source::None | Source::Sam) {
        kinds.insert(DEFAULT_5XX);
    }
    Ok((kinds, own_kinds))
}

/// The `Access-Control-Allow-Origin` literal an API's `Cors` allows, and whether it allows
/// credentials; or why samfix can't take one from it.
fn origin_of(cors: &Cors<'_>) -> Result<(String, bool), Reason> {
    let origin = match &cors.allow_origin {
        // SAM's default AllowOrigin.
        None if cors.is_map => "'*'".to_string(),
        None => {
            return Err(refusal(
                "origin-intrinsic",
                format!(
                    "`{}` is an intrinsic function: only CloudFormation knows the origin the gateway responses should allow",
                    shown_path(&cors.setting.path)
                ),
            ));
        }
        Some(setting) => {
            // Named with its value where it is text: `Cors` (`origins`).
            let path = match setting.text() {
                Some(text) => format!("`{}` ({text})", shown_path(&setting.path)),
                None => format!("`{}`", shown_path(&setting.path)),
            };
            origin_literal(setting.node).map_err(|problem| problem.reason(&path))?
        }
    };
    let credentials = match &cors.allow_credentials {
        None => false,
        Some(setting) => {
            let node = setting.node.resolved();
            if is_intrinsic(node) {
                return Err(refusal(
                    "credentials-intrinsic",
                    format!(
                        "`{}` is an intrinsic function: samfix can't tell whether the gateway responses should allow credentials",
                        shown_path(&setting.path)
                    ),
                ));
            }
            // SAM writes the header only for a boolean true.
            node.tag().is_none()
                && node
                    .as_scalar()
                    .is_some_and(|s| s.resolve() == Resolved::Bool(true))
        }
    };
    if credentials && origin == "'*'" {
        return Err(refusal(
            "credentials-with-wildcard",
            "`Cors` allows credentials with the origin `*`, which browsers refuse and SAM rejects: choose the origin to allow".to_string(),
        ));
    }
    Ok((origin, credentials))
}

/// Why an `AllowOrigin` value gives no literal to copy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum OriginProblem {
    Intrinsic,
    NotAString,
    /// A mapping expression that echoes a request, context or stage value.
    Echo,
    /// More than one origin.
    List,
    /// Not `*`, `null` or one `scheme://host[:port]`.
    Invalid,
}

impl OriginProblem {
    fn reason(self, path: &str) -> Reason {
        let (kind, message) = match self {
            OriginProblem::Intrinsic => (
                "origin-intrinsic",
                format!("{path} is an intrinsic function: only CloudFormation knows the origin the gateway responses should allow"),
            ),
            OriginProblem::NotAString => (
                "origin-not-a-string",
                format!("{path} is not a string, so it gives no origin for the gateway responses"),
            ),
            OriginProblem::Echo => (
                "origin-echo",
                format!("{path} echoes a request value rather than naming an origin: decide which origin the gateway responses should allow"),
            ),
            OriginProblem::List => (
                "origin-list",
                format!("{path} lists several origins, but Access-Control-Allow-Origin takes one: decide which the gateway responses should allow"),
            ),
            OriginProblem::Invalid => (
                "origin-invalid",
                format!("{path} is not `'*'`, `'null'` or one `'scheme://host[:port]'`, so it gives no origin the gateway responses could allow"),
            ),
        };
        refusal(kind, message)
    }
}

/// The quoted literal an `AllowOrigin` value stands for: the value itself when it is a valid
/// quoted origin, its quoted form when it is written without the inner quotes.
fn origin_literal(node: Node<'_>) -> Result<String, OriginProblem> {
    if is_intrinsic(node) {
        return Err(OriginProblem::Intrinsic);
    }
    let node = node.resolved();
    let text = match node.as_scalar().map(|s| s.resolve()) {
        Some(Resolved::Str(text)) if node.tag().is_none() => text,
        _ => return Err(OriginProblem::NotAString),
    };
    let inner = match text
        .strip_prefix('\'')
        .and_then(|rest| rest.strip_suffix('\''))
    {
        Some(inner) => inner,
        None if is_source_expression(text) => return Err(OriginProblem::Echo),
        None => text,
    };
    if inner.contains('\'') || inner.contains(',') {
        return Err(if inner.contains(',') {
            OriginProblem::List
        } else {
            OriginProblem::Invalid
        });
    }
    let literal = format!("'{inner}'");
    // `origin-invalid` drops a trailing slash in the same run; the responses carry the origin
    // it leaves, so a second run finds them right.
    if let Some(fixed) = crate::cors::origin_literal_without_trailing_slash(&literal) {
        return Ok(fixed);
    }
    if !origin_is_valid(inner) {
        return Err(OriginProblem::Invalid);
    }
    Ok(literal)
}

/// Whether `text` is one of API Gateway's mapping-expression sources (a request value, the
/// integration's response, `context.*` or `stageVariables.*`).
fn is_source_expression(text: &str) -> bool {
    const SOURCES: [&str; 10] = [
        "method.request.header.",
        "method.request.querystring.",
        "method.request.path.",
        "method.request.multivalueheader.",
        "method.request.multivaluequerystring.",
        "integration.response.header.",
        "integration.response.multivalueheader.",
        "integration.response.body",
        "context.",
        "stageVariables.",
    ];
    SOURCES.iter().any(|source| text.starts_with(source))
}

/// `*`, `null`, or one serialized origin `scheme://host[:port]`: no path, no trailing
/// slash, no `*.` pattern, no surrounding space (browsers compare it byte for byte).
fn origin_is_valid(text: &str) -> bool {
    if text == "*" || text == "null" {
        return true;
    }
    let Some((scheme, rest)) = text.split_once("://") else {
        return false;
    };
    let mut scheme_chars = scheme.chars();
    if !scheme_chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        || !scheme_chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '.' | '-'))
    {
        return false;
    }
    // What follows the host: nothing, or `:` and the port.
    let port = if let Some(literal) = rest.strip_prefix('[') {
        let Some((address, after)) = literal.split_once(']') else {
            return false;
        };
        if address.is_empty()
            || !address
                .chars()
                .all(|c| c.is_ascii_hexdigit() || matches!(c, ':' | '.'))
        {
            return false;
        }
        after
    } else {
        let (host, after) = rest.split_at(rest.find(':').unwrap_or(rest.len()));
        if host.is_empty()
            || host.chars().any(|c| {
                c.is_whitespace() || matches!(c, '/' | ',' | '*' | '?' | '#' | '@' | '[' | ']')
            })
        {
            return false;
        }
        after
    };
    match port.strip_prefix(':') {
        None => port.is_empty(),
        Some(digits) => !digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit()),
    }
}

// ---------------------------------------------------------------------------------------
// The fix of one place
// ---------------------------------------------------------------------------------------

type Apis<'a, 't> = [(&'a Api<'t>, &'a ApiFacts<'t>, &'a ApiCors<'t>)];

/// The changes for the APIs of `group`, whose gateway responses go to `place`.
fn plan(
    context: &Context<'_, '_>,
    apis: &Apis<'_, '_>,
    resources: &GatewayResponseResources,
    place: &WrittenIn,
    group: &[usize],
    hits: &[Hit],
) -> Result<(Vec<Change>, FixReason), Reason> {
    let mut want: Option<Want> = None;
    for &i in group {
        let this = hits[i].want.clone()?;
        want = Some(match want {
            None => this,
            Some(mut want) => {
                if (&want.origin, want.credentials) != (&this.origin, this.credentials) {
                    return Err(other_origin(&hits[i].finding.api, &want));
                }
                want.kinds.extend(this.kinds);
                want
            }
        });
    }
    let want = want.expect("a group has a hit");
    let root = context.template.root;
    let (map_path, map, reached): (Path, Option<Node>, Vec<usize>) = match place {
        WrittenIn::Globals => {
            let path = vec![Seg::Key("Globals".into()), Seg::Key("Api".into())];
            // Every API that takes Globals.Api's GatewayResponses gets them, Cors or not.
            let reached = (0..apis.len())
                .filter(|&i| !apis[i].0.ignores_global("GatewayResponses"))
                .collect();
            (path, context.template.globals_api(), reached)
        }
        WrittenIn::Api(id) => {
            let i = apis
                .iter()
                .position(|(api, _, _)| api.id == *id)
                .expect("hits name APIs of the template");
            let api = apis[i].0;
            let Some(path) = api.properties.clone() else {
                return Err(refusal(
                    "gateway-responses-unreadable",
                    format!("`{id}` is not a resource of the template, so samfix can't give it `GatewayResponses`"),
                ));
            };
            (path, api.node, vec![i])
        }
    };
    for &i in &reached {
        reach(apis[i], resources, &want, place)?;
    }
    let Some(map) = map.filter(|map| map.resolved().as_map().is_some()) else {
        return Err(refusal(
            "gateway-responses-unreadable",
            format!(
                "`{}` is not a plain map, so samfix can't add `GatewayResponses` to it",
                shown_path(&map_path)
            ),
        ));
    };
    let headers = want.headers();
    let mut changes = changes_at(root, &map_path, map, &want.kinds, &headers)?;
    let mut kinds: BTreeSet<&str> = want.kinds.clone();
    for &i in group {
        let Ok(this) = &hits[i].want else { continue };
        if this.own_kinds.is_empty() {
            continue;
        }
        let api = apis
            .iter()
            .map(|(api, _, _)| *api)
            .find(|api| api.id == hits[i].finding.api)
            .expect("hits name APIs of the template");
        let (Some(path), Some(node)) = (&api.properties, api.node) else {
            return Err(shared(&map_path));
        };
        changes.extend(changes_at(root, path, node, &this.own_kinds, &headers)?);
        kinds.extend(&this.own_kinds);
    }
    let kinds: Vec<&str> = ordered(&kinds);
    let why = FixReason::Rule {
        kind: "gateway-responses-with-origin",
        message: format!(
            "the gateway responses {} carry the origin {} that `Cors` allows{}",
            kinds.join(", "),
            want.origin,
            if want.credentials {
                ", with credentials"
            } else {
                ""
            }
        ),
    };
    Ok((changes, why))
}

fn other_origin(api: &str, want: &Want) -> Reason {
    refusal(
        "globals-reach-other-origin",
        format!(
            "`Globals.Api.GatewayResponses` would also reach `{api}`, whose `Cors` allows another origin than {}{}: give each API its own `GatewayResponses`",
            want.origin,
            if want.credentials { " with credentials" } else { "" }
        ),
    )
}

/// Whether the responses written at `place` are right for an API they reach.
fn reach(
    (api, facts, cors): (&Api<'_>, &ApiFacts<'_>, &ApiCors<'_>),
    resources: &GatewayResponseResources,
    want: &Want,
    place: &WrittenIn,
) -> Result<(), Reason> {
    let Some(sam_cors) = &cors.cors else {
        return Err(refusal(
            "globals-reach-api-without-cors",
            format!(
                "`Globals.Api.GatewayResponses` would also reach `{}`, which `Cors` does not reach: its gateway responses would allow an origin its routes don't; give the APIs with `Cors` their own `GatewayResponses`",
                api.id
            ),
        ));
    };
    if facts.own_body == Some("DefinitionUri") {
        return Err(refusal(
            "globals-reach-definition-uri",
            format!(
                "`Globals.Api.GatewayResponses` would also reach `{}`, whose body is a `DefinitionUri`, which SAM can't add gateway responses to",
                api.id
            ),
        ));
    }
    if *place == WrittenIn::Globals
        && origin_of(sam_cors).ok() != Some((want.origin.clone(), want.credentials))
    {
        return Err(other_origin(&api.id, want));
    }
    let responses = Responses::read(api, cors, resources).map_err(|reason| match place {
        WrittenIn::Globals => refusal(
            reason.kind(),
            format!(
                "`Globals.Api.GatewayResponses` would also reach `{}`: {reason}",
                api.id
            ),
        ),
        WrittenIn::Api(_) => reason,
    })?;
    for kind in &want.kinds {
        // A SAM entry of a type the body customises replaces the body's whole.
        if responses.source(kind) == Source::Body {
            return Err(refusal(
                "body-gateway-response",
                format!(
                    "the `DefinitionBody` of `{}` customises `{kind}` in `{BODY_RESPONSES}`; a `GatewayResponses` entry of that type would replace it whole, so add the header to the body by hand",
                    api.id
                ),
            ));
        }
    }
    Ok(())
}

fn shared(path: &Path) -> Reason {
    refusal(
        "gateway-responses-shared",
        format!(
            "`{}` reaches the API through an anchor, alias or `<<` merge key; editing it would change every place that shares it",
            shown_path(path)
        ),
    )
}

/// `DEFAULT_4XX`, `DEFAULT_5XX`, then the rest in order.
fn ordered<'a>(kinds: &BTreeSet<&'a str>) -> Vec<&'a str> {
    let mut out: Vec<&str> = [DEFAULT_4XX, DEFAULT_5XX]
        .into_iter()
        .filter(|kind| kinds.contains(kind))
        .collect();
    out.extend(
        kinds
            .iter()
            .copied()
            .filter(|kind| *kind != DEFAULT_4XX && *kind != DEFAULT_5XX),
    );
    out
}

/// The headers as a `ResponseParameters.Headers` value, from the level `depth` below the
/// response (0: the response itself, 1: its `ResponseParameters`, 2: its `Headers`).
fn response_value(headers: &[(&'static str, String)], depth: usize) -> Value {
    let mut value = Value::map(
        headers
            .iter()
            .map(|(name, text)| (*name, Value::str(text.clone()))),
    );
    for key in ["Headers", "ResponseParameters"]
        .into_iter()
        .take(2 - depth)
    {
        value = Value::map([(key, value)]);
    }
    value
}

/// Inserts the headers into the gateway responses of the map at `map_path` (an API's
/// `Properties` or `Globals.Api`), at the deepest map that is already there.
fn changes_at(
    root: Node<'_>,
    map_path: &Path,
    map: Node<'_>,
    kinds: &BTreeSet<&'static str>,
    headers: &[(&'static str, String)],
) -> Result<Vec<Change>, Reason> {
    // Reached by its path alone: not through a merge key, an alias or an anchor.
    let direct = root.at(map_path).is_some_and(|node| node.id() == map.id());
    if !direct || root.shared_on_path(map_path).is_some() {
        return Err(shared(map_path));
    }
    let kinds = ordered(kinds);
    let responses_path = child(map_path, "GatewayResponses");
    let Some((entry, indirect)) = map.lookup("GatewayResponses") else {
        let value = Value::map(kinds.iter().map(|kind| (*kind, response_value(headers, 0))));
        // Beside `Cors`, whose end samfix has read: the other properties of an API are
        // read only as far as the rules need them.
        let after = map
            .lookup("Cors")
            .is_some_and(|(_, indirect)| !indirect)
            .then(|| "Cors".into());
        return Ok(vec![Change::Insert {
            map: map_path.clone(),
            key: "GatewayResponses".into(),
            value,
            after,
        }]);
    };
    let node = entry.value();
    if indirect || is_shared(node) {
        return Err(shared(&responses_path));
    }
    let not_a_map = |path: &Path| {
        refusal(
            "gateway-responses-unreadable",
            format!(
                "`{}` is not a plain map, so samfix can't add to it",
                shown_path(path)
            ),
        )
    };
    if is_intrinsic(node) || node.as_map().is_none() {
        return Err(not_a_map(&responses_path));
    }
    let mut changes = Vec::new();
    'kinds: for kind in kinds {
        // Walk down as far as the maps go, then add the rest in one value.
        let mut path = responses_path.clone();
        let mut current = node;
        for (depth, key) in [kind, "ResponseParameters", "Headers"]
            .into_iter()
            .enumerate()
        {
            let Some((entry, indirect)) = current.lookup(key) else {
                changes.push(Change::Insert {
                    map: path,
                    key: key.into(),
                    value: response_value(headers, depth),
                    after: None,
                });
                continue 'kinds;
            };
            let value = entry.value();
            path = child(&path, key);
            if indirect || is_shared(value) {
                return Err(shared(&path));
            }
            if is_intrinsic(value) || value.as_map().is_none() {
                return Err(not_a_map(&path));
            }
            current = value;
        }
        let present: Vec<&str> = current
            .as_map()
            .into_iter()
            .flat_map(|m| m.keys())
            .collect();
        for (name, text) in headers {
            if !has_header(present.iter().copied(), name) {
                changes.push(Change::Insert {
                    map: path.clone(),
                    key: (*name).into(),
                    value: Value::str(text.clone()),
                    after: None,
                });
            }
        }
    }
    // Maps that end together take their insertions at one place, written in this order:
    // the deeper map's first, so each lands inside the map it belongs to.
    changes.sort_by_key(|change| match change {
        Change::Insert { map, .. } => std::cmp::Reverse(map.len()),
        _ => std::cmp::Reverse(0),
    });
    Ok(changes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{check_rules, Strategy};

    fn fixed(source: &str) -> Option<String> {
        let rule = Rule::from_id("error-response-without-cors").unwrap();
        check_rules(source, Strategy::Auto, &[rule]).unwrap().fixed
    }

    fn refusal_kinds(source: &str) -> Vec<&'static str> {
        let rule = Rule::from_id("error-response-without-cors").unwrap();
        check_rules(source, Strategy::Auto, &[rule])
            .unwrap()
            .refusals
            .iter()
            .map(|r| r.reason.kind())
            .collect()
    }

    #[test]
    fn origins_as_the_browser_view_judges_them() {
        for good in [
            "*",
            "null",
            "https://example.com",
            "http://localhost:3000",
            "https://[::1]:8443",
            "app+x://a.b",
        ] {
            assert!(origin_is_valid(good), "{good}");
        }
        for bad in [
            "",
            "origins",
            "https://example.com/",
            "https://example.com/path",
            "https://*.example.com",
            "https://a.com,https://b.com",
            "https://a.com:",
            "https://a.com:80x",
            " https://a.com",
            "https://",
            "1http://a.com",
            "www.amazon.com",
        ] {
            assert!(!origin_is_valid(bad), "{bad}");
        }
    }

    fn template(cors: &str) -> String {
        format!(
            "Resources:\n  A:\n    Type: AWS::Serverless::Api\n    Properties:\n      StageName: p\n      Cors: {cors}\n      Auth:\n        ApiKeyRequired: true\n        AddApiKeyRequiredToCorsPreflight: false\n  F:\n    Type: AWS::Serverless::Function\n    Properties:\n      Events:\n        E:\n          Type: Api\n          Properties: {{RestApiId: !Ref A, Path: /p, Method: get}}\n"
        )
    }

    #[test]
    fn the_origin_is_copied_quoted_or_refused() {
        let fixed_with = |cors: &str| fixed(&template(cors)).unwrap_or_default();
        assert!(fixed_with("\"'*'\"").contains("Access-Control-Allow-Origin: \"'*'\""));
        assert!(fixed_with("\"*\"").contains("Access-Control-Allow-Origin: \"'*'\""));
        assert!(fixed_with("'https://a.example'")
            .contains("Access-Control-Allow-Origin: \"'https://a.example'\""));
        // The origin `origin-invalid` leaves once it drops the trailing slash.
        assert!(fixed_with("\"'https://a.com/'\"")
            .contains("Access-Control-Allow-Origin: \"'https://a.com'\""));
        for (cors, kind) in [
            ("!Ref Origin", "origin-intrinsic"),
            ("method.request.header.Origin", "origin-echo"),
            ("\"'https://a.com,https://b.com'\"", "origin-list"),
            ("origins", "origin-invalid"),
            ("\"'https://a.com/path'\"", "origin-invalid"),
            ("{AllowOrigin: 12}", "origin-not-a-string"),
            (
                "{AllowOrigin: \"'*'\", AllowCredentials: true}",
                "credentials-with-wildcard",
            ),
        ] {
            assert_eq!(refusal_kinds(&template(cors)), [kind], "Cors: {cors}");
        }
    }

    #[test]
    fn credentials_are_allowed_beside_the_origin() {
        let out = fixed(&template(
            "{AllowOrigin: \"'https://a.example'\", AllowCredentials: true}",
        ))
        .unwrap();
        assert!(
            out.contains("Access-Control-Allow-Credentials: \"'true'\""),
            "{out}"
        );
    }

    fn finding_apis(source: &str) -> Vec<String> {
        let rule = Rule::from_id("error-response-without-cors").unwrap();
        check_rules(source, Strategy::Auto, &[rule])
            .unwrap()
            .findings
            .into_iter()
            .map(|f| f.api)
            .collect()
    }

    fn body_api(body: &str) -> String {
        format!(
            "Resources:\n  A:\n    Type: AWS::Serverless::Api\n    Properties:\n      StageName: p\n      Cors: \"'*'\"\n      DefinitionBody:\n{body}"
        )
    }

    #[test]
    fn a_request_validator_rejects_only_where_a_route_uses_it() {
        let validators = "        x-amazon-apigateway-request-validators:\n          body: {validateRequestBody: true}\n";
        let route = |validator: &str| {
            body_api(&format!(
                "        paths:\n          /p:\n            post: {{{validator}}}\n{validators}"
            ))
        };
        assert_eq!(
            finding_apis(&route("x-amazon-apigateway-request-validator: body")),
            ["A"]
        );
        assert!(finding_apis(&route("")).is_empty());
        let by_document = body_api(&format!(
            "        x-amazon-apigateway-request-validator: body\n        paths:\n          /p:\n            post: {{}}\n{validators}"
        ));
        assert_eq!(finding_apis(&by_document), ["A"]);
        let event = "Resources:\n  A:\n    Type: AWS::Serverless::Api\n    Properties:\n      StageName: p\n      Cors: \"'*'\"\n  F:\n    Type: AWS::Serverless::Function\n    Properties:\n      Events:\n        E:\n          Type: Api\n          Properties:\n            RestApiId: !Ref A\n            Path: /e\n            Method: post\n            RequestModel: {Model: M, ValidateBody: true}\n";
        assert_eq!(finding_apis(event), ["A"]);
        assert!(finding_apis(&event.replace("ValidateBody: true", "Required: true")).is_empty());
    }

    #[test]
    fn a_body_rejects_through_its_own_security() {
        let secured = "        paths:\n          /p:\n            get:\n              security: [{Pool: []}]\n        securityDefinitions:\n          Pool:\n            type: apiKey\n            name: Authorization\n            in: header\n            x-amazon-apigateway-authtype: cognito_user_pools\n";
        assert_eq!(finding_apis(&body_api(secured)), ["A"]);
        let open = "        paths:\n          /p:\n            get: {}\n            options:\n              security: [{api_key: []}]\n";
        assert!(
            finding_apis(&body_api(open)).is_empty(),
            "OPTIONS is not a browser's call"
        );
        let none = "        paths:\n          /p:\n            get:\n              security: [{NONE: []}]\n";
        assert!(finding_apis(&body_api(none)).is_empty());
    }

    #[test]
    fn events_reach_a_body_only_when_definitions_merge() {
        let template = |merge: &str| {
            format!(
                "Resources:\n  A:\n    Type: AWS::Serverless::Api\n    Properties:\n      StageName: p\n      Cors: \"'*'\"\n      MergeDefinitions: {merge}\n      DefinitionBody:\n        paths: {{/p: {{get: {{}}}}}}\n  F:\n    Type: AWS::Serverless::Function\n    Properties:\n      Events:\n        E:\n          Type: Api\n          Properties: {{RestApiId: !Ref A, Path: /e, Method: get, Auth: {{Authorizer: AWS_IAM}}}}\n"
            )
        };
        assert_eq!(finding_apis(&template("true")), ["A"]);
        assert!(finding_apis(&template("false")).is_empty());
    }

    #[test]
    fn a_customised_validator_type_gets_the_header_too() {
        let source = "Resources:\n  A:\n    Type: AWS::Serverless::Api\n    Properties:\n      StageName: p\n      Cors: \"'*'\"\n      Auth: {ApiKeyRequired: true}\n      GatewayResponses:\n        BAD_REQUEST_BODY:\n          StatusCode: 400\n  F:\n    Type: AWS::Serverless::Function\n    Properties:\n      Events:\n        E:\n          Type: Api\n          Properties:\n            RestApiId: !Ref A\n            Path: /e\n            Method: post\n            RequestModel: {Model: M, ValidateBody: true}\n";
        let out = fixed(source).unwrap();
        assert!(
            out.contains("        BAD_REQUEST_BODY:\n          StatusCode: 400\n          ResponseParameters:\n            Headers:\n              Access-Control-Allow-Origin: \"'*'\"\n"),
            "{out}"
        );
    }

    #[test]
    fn what_samfix_cannot_read_is_a_note_not_a_finding() {
        let rule = Rule::from_id("error-response-without-cors").unwrap();
        let notes = |source: &str| {
            let checked = check_rules(source, Strategy::Auto, &[rule]).unwrap();
            assert!(checked.findings.is_empty(), "{source}");
            checked
                .warnings
                .iter()
                .map(|w| w.kind.name())
                .collect::<Vec<_>>()
        };
        let resource = format!(
            "{}  R:\n    Type: AWS::ApiGateway::GatewayResponse\n    Properties:\n      RestApiId: !ImportValue api\n      ResponseType: DEFAULT_4XX\n",
            template("\"'*'\"")
        );
        assert_eq!(notes(&resource), ["gateway-response-resource"]);
        let included = template("\"'*'\"").replace(
            "      Cors:",
            "      DefinitionBody: {'Fn::Transform': {Name: 'AWS::Include', Parameters: {Location: body.yaml}}}\n      Cors:",
        );
        // Without SAM's `Cors` (the body's OPTIONS says it is meant for browsers) the same.
        let without_cors = "Resources:\n  A:\n    Type: AWS::Serverless::Api\n    Properties:\n      StageName: p\n      Auth: {ApiKeyRequired: true}\n      GatewayResponses: !Ref Responses\n      DefinitionBody:\n        paths:\n          /p: {get: {}, options: {}}\n";
        assert_eq!(notes(without_cors), ["gateway-responses-unreadable"]);
        // The engine notes the unread file; the rule, the gateway responses it can't judge.
        assert_eq!(
            notes(&included),
            ["included-body", "gateway-responses-unreadable"]
        );
    }
}
