//! What a browser meets on each REST API, as far as the template decides: the API's `Cors`
//! (merged with `Globals.Api` as SAM merges it), its `GatewayResponses`, and the requests
//! its routes take, with the headers each needs (SAM-FACTS.md, "CORS beyond auth"). Read
//! once per check, beside [`Facts`](crate::facts::Facts), by the CORS rules.

use std::borrow::Cow;
use std::rc::Rc;

use crate::diagnostic::{EventLabels, WrittenIn};
use crate::facts::ApiFacts;
use crate::model::{child, is_intrinsic, is_shared, Api, ApiEvent, Template};
use crate::parse::{Node, Path, Reads, ResourceReads, Seg, Span};

/// What the CORS rules read beyond [`crate::facts::READS`]: an API's `GatewayResponses`.
pub const READS: Reads = Reads {
    attributes: &[],
    sections: &[],
    resources: &[ResourceReads {
        kind: "AWS::Serverless::Api",
        properties: &["GatewayResponses"],
        edited: true,
    }],
};

/// A value the template sets for an API, and where.
#[derive(Debug, Clone)]
pub struct Setting<'t> {
    /// In `Globals.Api` or on the API resource.
    pub written_in: WrittenIn,
    /// The value's path.
    pub path: Path,
    /// The value.
    pub node: Node<'t>,
    /// Where its key is written.
    pub key_span: Span,
    /// Whether it reaches the API through an anchor, alias or merge key, or sits inside a
    /// shared node: readable, but an edit there would change every place that shares it.
    pub shared: bool,
}

impl Setting<'_> {
    /// Its literal text, if it is a plain string (not an intrinsic, a map or a list).
    pub fn text(&self) -> Option<&str> {
        if is_intrinsic(self.node) {
            return None;
        }
        self.node.as_str()
    }
}

/// An API's effective `Cors`.
#[derive(Debug, Clone)]
pub struct Cors<'t> {
    /// `Cors` itself, as the API reads it (its own, else `Globals.Api`'s).
    pub setting: Setting<'t>,
    /// Whether `Cors` is a map of fields; otherwise it is the origin itself (a string or
    /// an intrinsic), or an intrinsic map that only CloudFormation knows.
    pub is_map: bool,
    /// `AllowOrigin`, or `Cors` itself when it is a string.
    pub allow_origin: Option<Setting<'t>>,
    /// `AllowHeaders`.
    pub allow_headers: Option<Setting<'t>>,
    /// `AllowMethods`.
    pub allow_methods: Option<Setting<'t>>,
    /// `AllowCredentials`.
    pub allow_credentials: Option<Setting<'t>>,
    /// `MaxAge`.
    pub max_age: Option<Setting<'t>>,
}

/// How API Gateway checks a call before the integration sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Authorizer {
    /// A Cognito user pool authorizer: the token comes in this header.
    Cognito {
        /// `Identity.Header`, `Authorization` by default.
        header: String,
    },
    /// A Lambda TOKEN authorizer: the token comes in this header.
    Token {
        /// `Identity.Header`, `Authorization` by default.
        header: String,
    },
    /// A Lambda REQUEST authorizer: these headers are its identity sources.
    Request {
        /// `Identity.Headers`.
        headers: Vec<String>,
    },
    /// `AWS_IAM`: a SigV4-signed request.
    Iam,
    /// An authorizer samfix can't read (an intrinsic, a name it can't find).
    Unknown,
}

/// One route of an API, as a browser calls it.
#[derive(Debug, Clone)]
pub struct Operation<'t> {
    /// The logical id of the function or state machine whose event makes the route.
    pub owner: &'t str,
    /// The event's name.
    pub event: &'t str,
    /// The path, if written as a string.
    pub path: Option<&'t str>,
    /// The method, lower case (`any` stands for all of them).
    pub method: Cow<'static, str>,
    /// Whether the call must carry `x-api-key`.
    pub api_key: bool,
    /// The authorizer API Gateway runs first, if any.
    pub authorizer: Option<Rc<Authorizer>>,
}

/// The methods `any` stands for, as the browser view counts them.
pub const ANY_METHODS: [&str; 6] = ["get", "head", "post", "put", "delete", "patch"];

impl Operation<'_> {
    /// `Owner.Event`, as findings name the event.
    pub fn label(&self) -> String {
        [self.owner, ".", self.event].concat()
    }

    /// The methods a browser may call this route with.
    pub fn methods(&self) -> Vec<&str> {
        if self.method == "any" {
            ANY_METHODS.to_vec()
        } else {
            vec![&self.method]
        }
    }

    /// The request headers a browser's call of `method` on this route needs in the
    /// preflight's `Access-Control-Allow-Headers`, as the browser view assumes them: the
    /// key, the authorizer's identity headers, SigV4's headers, and `Content-Type` for a
    /// JSON body.
    pub fn needed_headers(&self, method: &str) -> Vec<String> {
        needed_headers(method, self.api_key, self.authorizer.as_deref())
    }

    /// Whether API Gateway itself may refuse the call (a key, an authorizer, SigV4),
    /// answering with a gateway response instead of the integration's.
    pub fn gateway_may_reject(&self) -> bool {
        self.api_key || self.authorizer.is_some()
    }
}

/// [`Operation::needed_headers`] of a route with this key requirement and authorizer.
pub fn needed_headers(method: &str, api_key: bool, authorizer: Option<&Authorizer>) -> Vec<String> {
    let mut headers = Vec::new();
    if matches!(method, "post" | "put" | "patch") {
        headers.push("Content-Type".to_string());
    }
    if api_key {
        headers.push("x-api-key".to_string());
    }
    match authorizer {
        Some(Authorizer::Cognito { header } | Authorizer::Token { header }) => {
            headers.push(header.clone());
        }
        Some(Authorizer::Request { headers: identity }) => {
            headers.extend(identity.iter().cloned());
        }
        Some(Authorizer::Iam) => headers
            .extend(["Authorization", "X-Amz-Date", "X-Amz-Security-Token"].map(String::from)),
        Some(Authorizer::Unknown) | None => {}
    }
    headers
}

/// What a browser meets on one API.
#[derive(Debug, Clone)]
pub struct ApiCors<'t> {
    /// Its effective `Cors`, if SAM's `Cors` reaches it.
    pub cors: Option<Cors<'t>>,
    /// Its `GatewayResponses`: its own and `Globals.Api`'s, which SAM merges.
    pub gateway_responses: Vec<Setting<'t>>,
    /// Whether its `Auth.UsagePlan` makes a usage plan (which throttles with 429).
    pub usage_plan: bool,
    /// Its routes, from its events (or from its `DefinitionBody`, when it brings one).
    pub operations: Vec<Operation<'t>>,
    /// Whether samfix could read every route: `false` when a body or an event's `Auth`
    /// is an intrinsic, or the body comes from a file.
    pub operations_known: bool,
}

impl<'t> ApiCors<'t> {
    /// Reads what a browser meets on `api`, whose facts are `facts`.
    pub fn read(template: &Template<'t>, api: &Api<'t>, facts: &ApiFacts<'t>) -> Self {
        let own = api.node;
        let globals = template.globals_api();
        let ignores = |section: &str| api.ignores_global(section);
        let own_path = api.properties.clone();
        let globals_path: Path = vec![Seg::Key("Globals".into()), Seg::Key("Api".into())];
        let own_setting = |key: &str| {
            let (node, path) = (own?, own_path.as_ref()?);
            setting_in(
                node,
                path,
                key,
                WrittenIn::Api(api.id.clone()),
                template.root,
            )
        };
        let global_setting = |key: &str| {
            if ignores(key) {
                return None;
            }
            setting_in(
                globals?,
                &globals_path,
                key,
                WrittenIn::Globals,
                template.root,
            )
        };
        let cors = read_cors(
            own_setting("Cors").filter(|s| !s.node.is_null()),
            global_setting("Cors").filter(|s| !s.node.is_null()),
            template.root,
        );
        let gateway_responses = [
            own_setting("GatewayResponses"),
            global_setting("GatewayResponses"),
        ]
        .into_iter()
        .flatten()
        .collect();
        let auth_maps: Vec<Node> = [
            own.and_then(|p| p.get("Auth")),
            globals
                .filter(|_| !ignores("Auth"))
                .and_then(|g| g.get("Auth")),
        ]
        .into_iter()
        .flatten()
        .filter(|auth| !is_intrinsic(*auth))
        .collect();
        let usage_plan = auth_maps
            .iter()
            .find_map(|auth| auth.get("UsagePlan"))
            .and_then(|plan| plan.get("CreateUsagePlan"))
            .and_then(Node::as_str)
            .is_some_and(|create| create != "NONE");
        let authorizer_named = |name: &str| -> Authorizer {
            if name == "AWS_IAM" {
                return Authorizer::Iam;
            }
            auth_maps
                .iter()
                .find_map(|auth| auth.get("Authorizers")?.get(name))
                .map_or(Authorizer::Unknown, read_authorizer)
        };
        let default_authorizer = facts
            .default_authorizer
            .as_ref()
            .and_then(|setting| setting.value.as_str())
            .filter(|name| *name != "NONE")
            .map(|name| Rc::new(authorizer_named(name)));
        let api_key = facts
            .api_key
            .as_ref()
            .is_some_and(|setting| setting.value.is_truthy());
        let mut operations_known = facts.own_body.is_none();
        let events = template.events_of(&api.id);
        let mut operations = Vec::with_capacity(events.len());
        for event in events {
            match event_operation(event, api_key, &default_authorizer, &authorizer_named) {
                Some(operation) => operations.push(operation),
                None => operations_known = false,
            }
        }
        ApiCors {
            cors,
            gateway_responses,
            usage_plan,
            operations,
            operations_known,
        }
    }

    /// The gateway response of `kind` (`DEFAULT_4XX`, `UNAUTHORIZED`...) as SAM merges it:
    /// the value of its `ResponseParameters.Headers.<header>`, own before global.
    pub fn gateway_header(&self, kind: &str, header: &str) -> Option<Node<'t>> {
        self.gateway_responses.iter().find_map(|responses| {
            responses
                .node
                .get(kind)?
                .get("ResponseParameters")?
                .get("Headers")?
                .get(header)
        })
    }

    /// Whether a gateway response of `kind` is written at all.
    pub fn has_gateway_response(&self, kind: &str) -> bool {
        self.gateway_responses
            .iter()
            .any(|responses| responses.node.get(kind).is_some())
    }
}

/// The value under `key` in the map `node` at `path`, as a [`Setting`].
fn setting_in<'t>(
    node: Node<'t>,
    path: &Path,
    key: &str,
    written_in: WrittenIn,
    root: Node<'t>,
) -> Option<Setting<'t>> {
    let (entry, indirect) = node.lookup(key)?;
    let value_path = child(path, key);
    let shared = indirect
        || node.is_alias()
        || is_shared(entry.value())
        || root.shared_on_path(&value_path).is_some();
    Some(Setting {
        written_in,
        path: value_path,
        node: entry.value(),
        key_span: entry.key_span(),
        shared,
    })
}

/// The effective `Cors`: the resource's wins over `Globals.Api`'s, and two maps merge key
/// by key (the resource's keys first), as SAM's Globals merge them.
fn read_cors<'t>(
    own: Option<Setting<'t>>,
    global: Option<Setting<'t>>,
    root: Node<'t>,
) -> Option<Cors<'t>> {
    let is_map = |s: &Setting| !is_intrinsic(s.node) && s.node.resolved().as_map().is_some();
    let setting = own.clone().or_else(|| global.clone())?;
    if !is_map(&setting) {
        // A string (or an intrinsic that makes one) is the origin itself.
        let origin = (!is_intrinsic(setting.node) || setting.node.as_str().is_some())
            .then(|| setting.clone());
        return Some(Cors {
            is_map: false,
            allow_origin: origin,
            allow_headers: None,
            allow_methods: None,
            allow_credentials: None,
            max_age: None,
            setting,
        });
    }
    let maps: Vec<&Setting> = [own.as_ref(), global.as_ref()]
        .into_iter()
        .flatten()
        .filter(|s| is_map(s))
        .collect();
    // A global map merges in only when the resource's Cors is a map too (or absent).
    let maps = if own.as_ref().is_some_and(|own| !is_map(own)) {
        Vec::new()
    } else {
        maps
    };
    let field = |key: &str| {
        maps.iter().find_map(|map| {
            setting_in(
                map.node.resolved(),
                &map.path,
                key,
                map.written_in.clone(),
                root,
            )
            .map(|mut field| {
                field.shared |= map.shared;
                field
            })
        })
    };
    Some(Cors {
        is_map: true,
        allow_origin: field("AllowOrigin"),
        allow_headers: field("AllowHeaders"),
        allow_methods: field("AllowMethods"),
        allow_credentials: field("AllowCredentials"),
        max_age: field("MaxAge"),
        setting,
    })
}

fn read_authorizer(authorizer: Node<'_>) -> Authorizer {
    if is_intrinsic(authorizer) || authorizer.as_map().is_none() {
        return Authorizer::Unknown;
    }
    let identity = authorizer.get("Identity");
    let header = || {
        identity
            .and_then(|identity| identity.get("Header"))
            .and_then(Node::as_str)
            .unwrap_or("Authorization")
            .to_string()
    };
    if authorizer.get("UserPoolArn").is_some() {
        return Authorizer::Cognito { header: header() };
    }
    if authorizer.get("FunctionArn").is_none() {
        return Authorizer::Unknown;
    }
    let payload = authorizer
        .get("FunctionPayloadType")
        .and_then(Node::as_str)
        .unwrap_or("TOKEN");
    if payload.eq_ignore_ascii_case("REQUEST") {
        let headers = identity
            .and_then(|identity| identity.get("Headers"))
            .and_then(|headers| headers.resolved().as_seq())
            .map(|seq| {
                seq.items()
                    .filter_map(|item| item.as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default();
        Authorizer::Request { headers }
    } else {
        Authorizer::Token { header: header() }
    }
}

/// The route an event makes, or `None` when its `Auth` can't be read.
fn event_operation<'t>(
    event: &ApiEvent<'t>,
    api_key: bool,
    default_authorizer: &Option<Rc<Authorizer>>,
    authorizer_named: &dyn Fn(&str) -> Authorizer,
) -> Option<Operation<'t>> {
    let props = event.properties.value();
    let auth = props.get("Auth").filter(|auth| !auth.is_null());
    if auth.is_some_and(is_intrinsic) {
        return None;
    }
    let api_key = match auth.and_then(|auth| auth.get("ApiKeyRequired")) {
        Some(value) => value.is_truthy(),
        None => api_key,
    };
    let authorizer = match auth.and_then(|auth| auth.get("Authorizer")) {
        Some(name) => match name.as_str() {
            Some("NONE") => None,
            Some(name) => Some(Rc::new(authorizer_named(name))),
            None => Some(Rc::new(Authorizer::Unknown)),
        },
        None => default_authorizer.clone(),
    };
    Some(Operation {
        owner: event.owner,
        event: event.name,
        path: props.get("Path").and_then(Node::as_str),
        method: lower_method(event.method.unwrap_or("")),
        api_key,
        authorizer,
    })
}

/// `method` in lower case: a large template has an event per route, and nearly every one
/// names a method of [`ANY_METHODS`] or `any`, which need no copy.
fn lower_method(method: &str) -> Cow<'static, str> {
    ANY_METHODS
        .iter()
        .chain(&["any", "options"])
        .find(|known| known.eq_ignore_ascii_case(method))
        .map_or_else(
            || Cow::Owned(method.to_ascii_lowercase()),
            |known| Cow::Borrowed(*known),
        )
}

/// Splits a mapping-expression literal (`'a,b'`) into its items; `None` when the value is
/// not one quoted literal.
pub fn literal_items(value: &str) -> Option<Vec<String>> {
    let inner = value.strip_prefix('\'')?.strip_suffix('\'')?;
    if inner.contains('\'') {
        return None;
    }
    Some(
        inner
            .split(',')
            .map(|item| item.trim().to_string())
            .filter(|item| !item.is_empty())
            .collect(),
    )
}

/// The definition of the authorizer `name` as `api` reads it: the entry of its own
/// `Auth.Authorizers`, else of `Globals.Api.Auth.Authorizers` (unless it ignores `Auth`), as
/// [`ApiCors::read`] finds it. `None` when neither defines it (`AWS_IAM` is never defined).
pub fn authorizer_definition<'t>(
    template: &Template<'t>,
    api: &Api<'t>,
    name: &str,
) -> Option<Node<'t>> {
    let ignores_auth = api.ignores_global("Auth");
    let global = template
        .globals_api()
        .filter(|_| !ignores_auth)
        .and_then(|g| g.get("Auth"));
    [api.node.and_then(|p| p.get("Auth")), global]
        .into_iter()
        .flatten()
        .filter(|auth| !is_intrinsic(*auth))
        .find_map(|auth| auth.get("Authorizers")?.get(name))
}

/// The authorizer `name` as SAM reads it for `api`, and [`Authorizer::Unknown`] wherever the
/// header it reads would be a guess: an `Identity`, `Identity.Header`, `Identity.Headers` (or
/// one of its items) or `FunctionPayloadType` that is not plain text, which
/// [`ApiCors::read`] passes over.
pub fn authorizer_strictly<'t>(template: &Template<'t>, api: &Api<'t>, name: &str) -> Authorizer {
    if name == "AWS_IAM" {
        return Authorizer::Iam;
    }
    let Some(definition) = authorizer_definition(template, api, name) else {
        return Authorizer::Unknown;
    };
    let plain = |node: Node<'_>| !is_intrinsic(node) && node.as_str().is_some();
    let identity = definition.get("Identity").filter(|i| !i.is_null());
    let readable = identity.is_none_or(|identity| {
        !is_intrinsic(identity)
            && identity.resolved().as_map().is_some()
            && identity.get("Header").is_none_or(plain)
            && identity.get("Headers").is_none_or(|headers| {
                !is_intrinsic(headers)
                    && headers
                        .resolved()
                        .as_seq()
                        .is_some_and(|seq| seq.items().all(plain))
            })
    }) && definition.get("FunctionPayloadType").is_none_or(plain);
    if readable {
        read_authorizer(definition)
    } else {
        Authorizer::Unknown
    }
}

/// What the rules that judge an API by its CORS intent ([`cors_intent`]) read beyond
/// [`crate::facts::READS`]: an API's `GatewayResponses` and `MergeDefinitions`, and the
/// `AWS::ApiGateway::GatewayResponse` resources, which override its gateway responses.
pub const INTENT_READS: Reads = Reads {
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

/// The keys of an OpenAPI path item that are operations, lower case, as API Gateway reads
/// them (`x-amazon-apigateway-any-method` is ANY).
pub const BODY_METHODS: [&str; 9] = [
    "get",
    "put",
    "post",
    "delete",
    "options",
    "head",
    "patch",
    "trace",
    BODY_ANY_METHOD,
];

/// How a `DefinitionBody` writes ANY.
pub const BODY_ANY_METHOD: &str = "x-amazon-apigateway-any-method";

/// Why an API is meant to be called from a browser. Only such APIs are judged for a missing
/// preflight or a response without `Access-Control-Allow-Origin`: an API with none of these
/// may be meant for servers alone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Intent {
    /// SAM's `Cors` reaches it, from where it is written.
    SamCors(WrittenIn),
    /// It has an OPTIONS operation, on a path of its body or from an event.
    Options {
        /// Where, as reports say it: ``path `/p` of its `DefinitionBody` `` or
        /// ``event `Owner.Event` ``.
        from: String,
    },
    /// One of its gateway responses sets `Access-Control-*` headers.
    GatewayResponse {
        /// The response type, e.g. `DEFAULT_4XX`.
        kind: String,
    },
    /// An operation of its `DefinitionBody` maps `Access-Control-*` headers onto the
    /// responses of its integration.
    IntegrationResponse {
        /// `METHOD /path`.
        operation: String,
    },
    /// It is the implicit `ServerlessRestApi`, and these explicit APIs set a `Cors` of
    /// their own, which does not reach it: its routes are meant for browsers as theirs are.
    CorsOnOtherApi {
        /// The APIs whose own `Cors` it lacks.
        apis: Vec<String>,
    },
}

impl std::fmt::Display for Intent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Intent::SamCors(WrittenIn::Globals) => f.write_str("`Globals.Api` sets `Cors`"),
            Intent::SamCors(WrittenIn::Api(api)) => write!(f, "`{api}` sets `Cors`"),
            Intent::Options { from } => write!(f, "it has an OPTIONS method ({from})"),
            Intent::GatewayResponse { kind } => write!(
                f,
                "its gateway response `{kind}` sets Access-Control-* headers"
            ),
            Intent::IntegrationResponse { operation } => write!(
                f,
                "`{operation}` maps Access-Control-* headers onto its integration responses"
            ),
            Intent::CorsOnOtherApi { apis } => write!(
                f,
                "`Cors` is set on {}, whose routes browsers call",
                quoted_list(apis)
            ),
        }
    }
}

/// `a`, `a` and `b`, or `a`, `b` and `c`, each in backquotes.
pub fn quoted_list<S: AsRef<str>>(items: &[S]) -> String {
    let quoted: Vec<String> = items
        .iter()
        .map(|item| format!("`{}`", item.as_ref()))
        .collect();
    match quoted.as_slice() {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

/// Whether SAM throws this API away: an `AWS::Serverless::Api` named `ServerlessRestApi`
/// gives way to the implicit API SAM builds as soon as an event targets that id, and its
/// `Cors`, body and every other property go with it.
pub fn replaced_by_implicit_api(template: &Template<'_>, api: &Api<'_>) -> bool {
    api.id == crate::model::IMPLICIT_API
        && api.properties.is_some()
        && template
            .events_of(crate::model::IMPLICIT_API)
            .next()
            .is_some()
}

/// Every `AWS::Serverless::Api` with a `Cors` of its own that SAM acts on (a value Python
/// reads as true), with where its `Cors` key is written, in template order.
pub fn apis_with_own_cors<'a, 't>(template: &'a Template<'t>) -> Vec<(&'a Api<'t>, Span)> {
    template
        .apis
        .iter()
        .filter(|api| api.properties.is_some())
        .filter_map(|api| {
            let (entry, _) = api.node?.lookup("Cors")?;
            entry.value().is_truthy().then(|| (api, entry.key_span()))
        })
        .collect()
}

/// The API's `DefinitionBody`, when it is one the template holds as a plain map (not an
/// intrinsic such as `AWS::Include`) and SAM keeps it.
pub fn inline_body<'t>(template: &Template<'t>, api: &Api<'t>) -> Option<Node<'t>> {
    if replaced_by_implicit_api(template, api) {
        return None;
    }
    let body = api.node?.get("DefinitionBody")?;
    (!is_intrinsic(body) && body.resolved().as_map().is_some()).then_some(body)
}

/// The resource (a function or a state machine) whose `Events` hold `event`.
pub fn event_owner<'t>(template: &Template<'t>, event: &ApiEvent<'t>) -> Option<Node<'t>> {
    let path = event.properties_path();
    // `.../Owner.Properties.Events.Name.Properties`
    template.root.at(&path[..path.len().checked_sub(4)?])
}

/// Whether SAM writes the route of `event` into the body of `api`, the API it targets: always
/// where SAM makes the body (no `DefinitionBody` or `DefinitionUri`, or the implicit API that
/// replaces a `ServerlessRestApi`), and for a function's event where the API sets
/// `MergeDefinitions` (or takes it from `Globals.Api`). A body the template writes otherwise
/// keeps only its own paths.
pub fn event_in_body(template: &Template<'_>, api: &Api<'_>, event: &ApiEvent<'_>) -> bool {
    let Some(props) = api.node else {
        return true;
    };
    if replaced_by_implicit_api(template, api)
        || (props.get("DefinitionBody").is_none() && props.get("DefinitionUri").is_none())
    {
        return true;
    }
    let merges = match props.get("MergeDefinitions") {
        Some(own) => own.is_truthy(),
        None => {
            !api.ignores_global("MergeDefinitions")
                && template
                    .globals_api()
                    .and_then(|globals| globals.get("MergeDefinitions"))
                    .is_some_and(|merge| merge.is_truthy())
        }
    };
    merges
        && event_owner(template, event)
            .and_then(|owner| owner.get("Type"))
            .and_then(Node::as_str)
            == Some("AWS::Serverless::Function")
}

/// The entries of a map as a YAML loader sees them: its own, then what its `<<` merge keys
/// bring that it lacks. Empty for anything but a map.
pub fn loaded_entries<'t>(node: Node<'t>) -> Vec<crate::parse::Entry<'t>> {
    let Some(map) = node.resolved().as_map() else {
        return Vec::new();
    };
    if map.get("<<").is_none() {
        return map.iter().collect();
    }
    let mut entries = Vec::new();
    let mut keys = std::collections::HashSet::new();
    let mut searched = std::collections::HashSet::new();
    collect_loaded_entries(node, &mut entries, &mut keys, &mut searched);
    entries
}

/// `keys` are those of `entries`; `searched` the maps already read, which merge keys can
/// name many times over.
fn collect_loaded_entries<'t>(
    node: Node<'t>,
    entries: &mut Vec<crate::parse::Entry<'t>>,
    keys: &mut std::collections::HashSet<&'t str>,
    searched: &mut std::collections::HashSet<crate::parse::NodeId>,
) {
    let node = node.resolved();
    if !searched.insert(node.id()) {
        return;
    }
    let Some(map) = node.as_map() else {
        return;
    };
    for entry in map.iter() {
        if entry.key() != "<<" && keys.insert(entry.key()) {
            entries.push(entry);
        }
    }
    if let Some(merge) = map.get("<<") {
        let merge = merge.value().resolved();
        let sources: Vec<Node<'t>> = match merge.as_seq() {
            Some(seq) => seq.items().collect(),
            None => vec![merge],
        };
        for source in sources {
            collect_loaded_entries(source, entries, keys, searched);
        }
    }
}

/// The path items an OpenAPI path item stands for, with the segments that lead to each from
/// it: itself, or each branch of the `Fn::If` (`!If`) it is written as, nested ones too, but
/// not a branch that is `AWS::NoValue`. `None` when one of them is anything else but a map.
pub fn path_item_variants<'t>(item: Node<'t>) -> Option<Vec<(Node<'t>, Vec<Seg>)>> {
    let mut variants = Vec::new();
    collect_variants(item, Vec::new(), &mut variants)?;
    Some(variants)
}

fn collect_variants<'t>(
    node: Node<'t>,
    at: Vec<Seg>,
    variants: &mut Vec<(Node<'t>, Vec<Seg>)>,
) -> Option<()> {
    let node = node.resolved();
    let is_no_value =
        |value: Option<Node<'_>>| value.and_then(Node::as_str) == Some("AWS::NoValue");
    if (node.tag() == Some("!Ref") && node.as_scalar().map(|s| s.value) == Some("AWS::NoValue"))
        || (node.as_map().is_some_and(|map| map.len() == 1) && is_no_value(node.get("Ref")))
    {
        return Some(());
    }
    let long_form = node
        .as_map()
        .filter(|map| node.tag().is_none() && map.len() == 1)
        .and_then(|map| map.get("Fn::If"));
    let (branches, mut into) = if node.tag() == Some("!If") {
        (node, at.clone())
    } else if let Some(branches) = long_form {
        let mut into = at.clone();
        into.push(Seg::Key("Fn::If".into()));
        (branches.value().resolved(), into)
    } else if !is_intrinsic(node) && node.as_map().is_some() {
        variants.push((node, at));
        return Some(());
    } else {
        return None;
    };
    let seq = branches.as_seq().filter(|seq| seq.len() == 3)?;
    seq.get(0)?.as_str()?;
    for index in [1, 2] {
        into.push(Seg::Index(index));
        collect_variants(seq.get(index)?, into.clone(), variants)?;
        into.pop();
    }
    Some(())
}

/// The operations of an OpenAPI path item: each key of [`BODY_METHODS`] (in any case) whose
/// value is a map, with that key lower-cased.
pub fn body_operations<'t>(item: Node<'t>) -> Vec<(String, crate::parse::Entry<'t>)> {
    loaded_entries(item)
        .into_iter()
        .filter_map(|entry| {
            let method = entry.key().to_ascii_lowercase();
            (BODY_METHODS.contains(&method.as_str()) && entry.value().resolved().as_map().is_some())
                .then_some((method, entry))
        })
        .collect()
}

/// The other spelling of a path that API Gateway treats as the same resource: `/p/` for
/// `/p`, `/p` for `/p/`.
pub fn sibling_path(path: &str) -> String {
    if path.len() > 1 && path.ends_with('/') {
        path.trim_end_matches('/').to_string()
    } else {
        format!("{path}/")
    }
}

/// Whether a key of a `responseParameters` map names an `Access-Control-*` response header
/// under `prefix` (`method.response.header.` or `gatewayresponse.header.`).
fn is_cors_header_key(key: &str, prefix: &str) -> bool {
    let key = key.to_ascii_lowercase();
    key.strip_prefix(prefix)
        .is_some_and(|name| name.starts_with("access-control-"))
}

/// Whether a map of header mappings (`responseParameters`, or SAM's `Headers`) sets an
/// `Access-Control-*` header, its keys read under `prefix`.
fn sets_cors_header(map: Option<Node<'_>>, prefix: &str) -> bool {
    map.is_some_and(|map| {
        loaded_entries(map)
            .iter()
            .any(|entry| is_cors_header_key(entry.key(), prefix))
    })
}

/// Why `api` is meant to be called from a browser, as the oracle's browser view reads it
/// ("CORS intent"), or `None`. What samfix can't read (an intrinsic, a body in another file)
/// shows no intent.
pub fn cors_intent<'t>(
    template: &Template<'t>,
    api: &Api<'t>,
    cors: &ApiCors<'t>,
) -> Option<Intent> {
    let replaced = replaced_by_implicit_api(template, api);
    // SAM acts on a `Cors` that Python reads as true; the one of a replaced
    // `ServerlessRestApi` is dropped, but it still says what its author meant.
    let sam_cors = if replaced {
        api.node
            .and_then(|props| props.get("Cors"))
            .filter(|own| own.is_truthy())
            .map(|_| WrittenIn::Api(api.id.clone()))
            .or_else(|| {
                template
                    .globals_api()
                    .and_then(|globals| globals.get("Cors"))
                    .filter(|global| global.is_truthy())
                    .map(|_| WrittenIn::Globals)
            })
    } else {
        cors.cors
            .as_ref()
            .filter(|cors| cors.setting.node.is_truthy())
            .map(|cors| cors.setting.written_in.clone())
    };
    if let Some(written_in) = sam_cors {
        return Some(Intent::SamCors(written_in));
    }
    let body = inline_body(template, api);
    let paths = body
        .and_then(|body| body.get("paths"))
        .filter(|paths| !is_intrinsic(*paths));
    let items: Vec<(String, Node<'t>)> = paths
        .map(|paths| {
            loaded_entries(paths)
                .into_iter()
                .flat_map(|item| {
                    path_item_variants(item.value())
                        .unwrap_or_default()
                        .into_iter()
                        .map(move |(variant, _)| (item.key().to_string(), variant))
                })
                .collect()
        })
        .unwrap_or_default();
    for (path, item) in &items {
        if body_operations(*item)
            .iter()
            .any(|(method, _)| method == "options")
        {
            return Some(Intent::Options {
                from: format!("path `{path}` of its `DefinitionBody`"),
            });
        }
    }
    if let Some(event) = template
        .events_of(&api.id)
        .find(|event| event.is_options() && event_in_body(template, api, event))
    {
        return Some(Intent::Options {
            from: format!("event `{}`", event.label()),
        });
    }
    if let Some(kind) = gateway_response_with_cors(template, api, cors, body, replaced) {
        return Some(Intent::GatewayResponse { kind });
    }
    for (path, item) in &items {
        for (method, operation) in body_operations(*item) {
            if method == "options" {
                continue;
            }
            let responses = operation
                .value()
                .get("x-amazon-apigateway-integration")
                .and_then(|integration| integration.get("responses"));
            let maps_cors = responses.is_some_and(|responses| {
                loaded_entries(responses).iter().any(|response| {
                    sets_cors_header(
                        response.value().get("responseParameters"),
                        "method.response.header.",
                    )
                })
            });
            if maps_cors {
                return Some(Intent::IntegrationResponse {
                    operation: format!("{} {path}", shown_method(&method)),
                });
            }
        }
    }
    let explicit_implicit = template
        .apis
        .iter()
        .any(|other| other.id == crate::model::IMPLICIT_API && other.properties.is_some());
    if api.id == crate::model::IMPLICIT_API && !explicit_implicit {
        let apis: Vec<String> = apis_with_own_cors(template)
            .into_iter()
            .map(|(other, _)| other.id.clone())
            .collect();
        if !apis.is_empty() {
            return Some(Intent::CorsOnOtherApi { apis });
        }
    }
    None
}

/// A method as reports name it: `GET`, or `ANY` for the body's
/// `x-amazon-apigateway-any-method`.
pub fn shown_method(method: &str) -> String {
    if method.eq_ignore_ascii_case(BODY_ANY_METHOD) {
        "ANY".to_string()
    } else {
        method.to_ascii_uppercase()
    }
}

/// The first gateway response type of `api` that sets `Access-Control-*` headers once SAM
/// and CloudFormation are done: a type in SAM's `GatewayResponses` replaces the body's, and
/// an `AWS::ApiGateway::GatewayResponse` resource replaces both.
fn gateway_response_with_cors<'t>(
    template: &Template<'t>,
    api: &Api<'t>,
    cors: &ApiCors<'t>,
    body: Option<Node<'t>>,
    replaced: bool,
) -> Option<String> {
    // (type, sets Access-Control-* headers), the last word on a type last.
    let mut responses: Vec<(String, bool)> = Vec::new();
    let mut set = |kind: &str, sets: bool| match responses.iter_mut().find(|(k, _)| k == kind) {
        Some(entry) => entry.1 = sets,
        None => responses.push((kind.to_string(), sets)),
    };
    if let Some(ext) = body.and_then(|body| body.get("x-amazon-apigateway-gateway-responses")) {
        for response in loaded_entries(ext) {
            let parameters = response.value().get("responseParameters");
            set(
                response.key(),
                sets_cors_header(parameters, "gatewayresponse.header."),
            );
        }
    }
    // SAM merges its own and the global map key by key, so a type's headers come from both.
    let sam: Vec<&Setting<'t>> = cors
        .gateway_responses
        .iter()
        .filter(|setting| !replaced || setting.written_in == WrittenIn::Globals)
        .filter(|setting| !is_intrinsic(setting.node))
        .collect();
    let mut sam_kinds: Vec<String> = Vec::new();
    for setting in &sam {
        for response in loaded_entries(setting.node) {
            if !sam_kinds.iter().any(|kind| kind == response.key()) {
                sam_kinds.push(response.key().to_string());
            }
        }
    }
    for kind in &sam_kinds {
        let sets = sam.iter().any(|setting| {
            let headers = setting
                .node
                .get(kind)
                .and_then(|response| response.get("ResponseParameters"))
                .and_then(|parameters| parameters.get("Headers"));
            sets_cors_header(headers, "")
        });
        set(kind, sets);
    }
    if let Some(resources) = template
        .root
        .get("Resources")
        .and_then(|r| r.resolved().as_map())
    {
        for resource in resources.iter() {
            let resource = resource.value();
            if resource.get("Type").and_then(Node::as_str) != Some(GATEWAY_RESPONSE_RESOURCE) {
                continue;
            }
            let Some(properties) = resource.get("Properties") else {
                continue;
            };
            let names_api = properties
                .get("RestApiId")
                .is_some_and(|target| refers_to(target, &api.id));
            let kind = properties.get("ResponseType").and_then(Node::as_str);
            if let (true, Some(kind)) = (names_api, kind) {
                set(
                    kind,
                    sets_cors_header(
                        properties.get("ResponseParameters"),
                        "gatewayresponse.header.",
                    ),
                );
            }
        }
    }
    responses
        .into_iter()
        .find(|(_, sets)| *sets)
        .map(|(kind, _)| kind)
}

/// A path as findings name a setting: from the resource's logical id on
/// (`MyApi.Properties.Cors`), or whole when it is not under `Resources`.
pub fn shown_setting(path: &[Seg]) -> String {
    match path.split_first() {
        Some((Seg::Key(first), rest)) if first == "Resources" => crate::parse::display_path(rest),
        _ => crate::parse::display_path(path),
    }
}

/// Whether `target` is `!Ref id`, `{Ref: id}` or the plain string `id`.
fn refers_to(target: Node<'_>, id: &str) -> bool {
    let target = target.resolved();
    if target.tag() == Some("!Ref") {
        return target.as_scalar().is_some_and(|scalar| scalar.value == id);
    }
    target.as_str() == Some(id) || target.get("Ref").and_then(Node::as_str) == Some(id)
}

/// What the HTTP API CORS rules read beyond [`crate::facts::READS`] (which keeps `Globals`
/// and the functions' `Events`): an `AWS::Serverless::HttpApi`'s `CorsConfiguration`.
pub const HTTP_API_READS: Reads = Reads {
    attributes: &["IgnoreGlobals"],
    sections: &[],
    resources: &[ResourceReads {
        kind: "AWS::Serverless::HttpApi",
        properties: &["CorsConfiguration"],
        edited: false,
    }],
};

/// The logical id of the HTTP API SAM makes for the `HttpApi` events that name no `ApiId`.
pub const IMPLICIT_HTTP_API: &str = "ServerlessHttpApi";

/// The fields of an HTTP API's `CorsConfiguration` that hold values (not
/// `AllowCredentials`), as SAM names them.
pub const HTTP_API_CORS_FIELDS: [&str; 5] = [
    "AllowOrigins",
    "AllowHeaders",
    "AllowMethods",
    "ExposeHeaders",
    "MaxAge",
];

/// What an HTTP API's `CorsConfiguration` says, once `Globals.HttpApi` is merged in.
#[derive(Debug, Clone)]
pub struct HttpApiCors<'t> {
    /// The logical id (`ServerlessHttpApi` for the implicit one).
    pub id: String,
    /// Its `HttpApi` events, as `Owner.Event`.
    pub events: EventLabels,
    /// Where its `CorsConfiguration` comes from: its own, `Globals.HttpApi`'s, or both.
    pub configured_in: Vec<WrittenIn>,
    /// Each field of [`HTTP_API_CORS_FIELDS`] it sets, with the values that make it: a list
    /// written in both places is the global items followed by the resource's (SAM's
    /// `Globals` concatenate lists); any other value is the resource's if it has one.
    pub fields: Vec<(&'static str, Vec<Setting<'t>>)>,
}

impl<'t> HttpApiCors<'t> {
    /// The values that make `field`, global before own.
    pub fn field(&self, field: &str) -> &[Setting<'t>] {
        self.fields
            .iter()
            .find(|(name, _)| *name == field)
            .map_or(&[], |(_, settings)| settings.as_slice())
    }
}

/// Every HTTP API of the template (its `AWS::Serverless::HttpApi` resources, then the
/// implicit `ServerlessHttpApi` when an `HttpApi` event names no `ApiId`) whose
/// `CorsConfiguration` is a map of fields, its own or `Globals.HttpApi`'s. A configuration
/// that is `true` (SAM allows `*`), false, null or an intrinsic function gives no fields.
/// An API whose `IgnoreGlobals` names `CorsConfiguration` takes only its own.
pub fn http_api_cors<'t>(template: &Template<'t>) -> Vec<HttpApiCors<'t>> {
    let root = template.root;
    let mut apis: Vec<(String, Option<Setting<'t>>, bool)> = Vec::new();
    let mut events: Vec<(Option<String>, String)> = Vec::new();
    if let Some(resources) = root.get("Resources") {
        let path = vec![Seg::Key("Resources".into())];
        read_http_api_resources(root, resources, &path, &mut apis, &mut events);
    }
    if events.iter().any(|(target, _)| target.is_none())
        && !apis.iter().any(|(id, ..)| id == IMPLICIT_HTTP_API)
    {
        apis.push((IMPLICIT_HTTP_API.to_string(), None, false));
    }
    let globals_path: Path = vec![Seg::Key("Globals".into()), Seg::Key("HttpApi".into())];
    let global = root
        .get("Globals")
        .and_then(|globals| globals.get("HttpApi"))
        .and_then(|http_api| {
            setting_in(
                http_api,
                &globals_path,
                "CorsConfiguration",
                WrittenIn::Globals,
                root,
            )
        });
    fn config_map<'s, 't>(setting: &'s Setting<'t>) -> Option<&'s Setting<'t>> {
        (!is_intrinsic(setting.node) && setting.node.resolved().as_map().is_some())
            .then_some(setting)
    }
    let mut out = Vec::new();
    for (id, own, ignores_globals) in apis {
        let global = global.as_ref().filter(|_| !ignores_globals);
        // SAM's `Globals` merge two maps key by key; anything else on the resource wins,
        // even null, which turns CORS off.
        let configs: Vec<&Setting<'t>> = match &own {
            Some(own) => match (config_map(own), global.and_then(config_map)) {
                (Some(own), Some(global)) => vec![global, own],
                (Some(own), None) => vec![own],
                (None, _) => Vec::new(),
            },
            None => global.and_then(config_map).into_iter().collect(),
        };
        if configs.is_empty() {
            continue;
        }
        let mut fields = Vec::new();
        for field in HTTP_API_CORS_FIELDS {
            let values: Vec<Setting<'t>> = configs
                .iter()
                .filter_map(|config| {
                    setting_in(
                        config.node.resolved(),
                        &config.path,
                        field,
                        config.written_in.clone(),
                        root,
                    )
                    .map(|mut value| {
                        value.shared |= config.shared;
                        value
                    })
                })
                .collect();
            let is_list =
                |s: &Setting| !is_intrinsic(s.node) && s.node.resolved().as_seq().is_some();
            let values = match values.len() {
                2 if values.iter().all(is_list) => values,
                2 => values.into_iter().skip(1).collect(),
                _ => values,
            };
            if !values.is_empty() {
                fields.push((field, values));
            }
        }
        let events = events
            .iter()
            .filter(|(target, _)| target.as_deref().unwrap_or(IMPLICIT_HTTP_API) == id)
            .map(|(_, label)| label.clone())
            .collect();
        out.push(HttpApiCors {
            id,
            events,
            configured_in: configs.iter().map(|c| c.written_in.clone()).collect(),
            fields,
        });
    }
    out
}

/// The HTTP APIs and the `HttpApi` events (with the `ApiId` they name, if any) under the map
/// of resources at `path`.
fn read_http_api_resources<'t>(
    root: Node<'t>,
    resources: Node<'t>,
    path: &Path,
    apis: &mut Vec<(String, Option<Setting<'t>>, bool)>,
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
                read_http_api_resources(root, body, &body_path, apis, events);
            }
            continue;
        }
        match resource.get("Type").and_then(Node::as_str) {
            Some("AWS::Serverless::HttpApi") => {
                let mut properties = path.clone();
                properties.extend([Seg::Key(id.into()), Seg::Key("Properties".into())]);
                let own = resource.get("Properties").and_then(|props| {
                    setting_in(
                        props,
                        &properties,
                        "CorsConfiguration",
                        WrittenIn::Api(id.to_string()),
                        root,
                    )
                });
                let ignores_globals = crate::model::ignores_global(
                    resource.get("IgnoreGlobals"),
                    "CorsConfiguration",
                );
                apis.push((id.to_string(), own, ignores_globals));
            }
            Some("AWS::Serverless::Function") => {
                let Some(function_events) = resource
                    .get("Properties")
                    .and_then(|props| props.get("Events"))
                    .and_then(|events| events.resolved().as_map())
                else {
                    continue;
                };
                for event in function_events.iter() {
                    if event.value().get("Type").and_then(Node::as_str) != Some("HttpApi") {
                        continue;
                    }
                    let target = event
                        .value()
                        .get("Properties")
                        .and_then(|props| props.get("ApiId"))
                        .map(|api_id| {
                            let api_id = api_id.resolved();
                            let named = if api_id.tag() == Some("!Ref") {
                                api_id.as_scalar().map(|scalar| scalar.value)
                            } else {
                                api_id.get("Ref").and_then(Node::as_str).or(api_id.as_str())
                            };
                            named.unwrap_or("").to_string()
                        });
                    events.push((target, format!("{id}.{}", event.key())));
                }
            }
            _ => {}
        }
    }
}

/// `scheme://host[:port]`, as the oracle and browsers read a serialized origin: no path,
/// no trailing slash, no list. `wildcard_host` lets the host hold `*` (HTTP APIs allow
/// `https://*.example.com`); otherwise it may be a bracketed IPv6 address.
pub fn is_serialized_origin(text: &str, wildcard_host: bool) -> bool {
    let Some((scheme, rest)) = text.split_once("://") else {
        return false;
    };
    let mut scheme_chars = scheme.chars();
    if !scheme_chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        || !scheme_chars.all(|c| c.is_ascii_alphanumeric() || "+.-".contains(c))
    {
        return false;
    }
    let port = if !wildcard_host && rest.starts_with('[') {
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
        &rest[end + 1..]
    } else {
        let end = rest.find(':').unwrap_or(rest.len());
        let forbidden = if wildcard_host { "/,?#@:" } else { "/,*?#@:[]" };
        let host = &rest[..end];
        if host.is_empty()
            || host
                .chars()
                .any(|c| c.is_whitespace() || forbidden.contains(c))
        {
            return false;
        }
        &rest[end..]
    };
    port.is_empty()
        || port
            .strip_prefix(':')
            .is_some_and(|digits| !digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit()))
}

/// The literal `origin-invalid` makes of a REST API's quoted `Access-Control-Allow-Origin`
/// value that is one origin followed by a slash: `'https://example.com/'` becomes
/// `'https://example.com'`. `None` for any other value. A rule that copies the origin
/// elsewhere (a gateway response) copies this, so that its fix and `origin-invalid`'s
/// agree in one pass.
pub fn origin_literal_without_trailing_slash(literal: &str) -> Option<String> {
    let inner = literal.strip_prefix('\'')?.strip_suffix('\'')?.trim();
    let origin = inner.strip_suffix('/')?;
    is_serialized_origin(origin, false).then(|| format!("'{origin}'"))
}
