//! What a check concludes about a template: findings, the fixes and refusals they lead to,
//! and warnings. Every type here is plain data that serializes, detached from the tree.

use std::fmt;
use std::str::FromStr;

use serde::Serialize;

use crate::change::Change;
use crate::parse::Span;
use crate::rules::Rule;

/// How a fix moves a setting off the preflight, where a rule has more than one way.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Strategy {
    /// `events` where SAM generates the API's body, `flag` where the API brings its own.
    Auto,
    /// Move the key from the API to every `Type: Api` event of the API.
    Events,
    /// Add `AddApiKeyRequiredToCorsPreflight: false` beside the key.
    Flag,
}

impl Strategy {
    /// Every strategy, in the order the command line lists them.
    pub const ALL: [Strategy; 3] = [Strategy::Auto, Strategy::Events, Strategy::Flag];

    /// The strategy's name on the command line and in reports.
    pub fn name(self) -> &'static str {
        match self {
            Strategy::Auto => "auto",
            Strategy::Events => "events",
            Strategy::Flag => "flag",
        }
    }
}

impl FromStr for Strategy {
    type Err = String;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        Strategy::ALL
            .into_iter()
            .find(|strategy| strategy.name() == name)
            .ok_or_else(|| format!("unknown strategy `{name}`"))
    }
}

impl fmt::Display for Strategy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Where a setting that reaches an API is written.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(tag = "kind", content = "api", rename_all = "snake_case")]
pub enum WrittenIn {
    /// `Globals.Api`, which reaches every API that does not set its own.
    Globals,
    /// The API resource of this logical id.
    Api(String),
}

impl WrittenIn {
    /// The `Auth` map it names: `Globals.Api.Auth` or `MyApi.Properties.Auth`.
    pub fn auth_map(&self) -> String {
        match self {
            WrittenIn::Globals => "Globals.Api.Auth".to_string(),
            WrittenIn::Api(id) => format!("{id}.Properties.Auth"),
        }
    }
}

/// Event labels (`Owner.Event`), shared by the findings of one API.
pub type EventLabels = std::sync::Arc<[String]>;

/// One way the template breaks a browser's cross-origin call.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct Finding {
    /// The rule that found it.
    pub rule: Rule,
    /// The logical id of the API it is about.
    pub api: String,
    /// What goes wrong in the browser, in one line.
    pub message: String,
    /// What the setting at [`Finding::span`] does, shown beside it.
    pub label: &'static str,
    /// Where the setting that causes it is written.
    pub span: Span,
    /// What kind of setting causes it (`key`, `authorizer`), naming [`Finding::setting`].
    pub setting_kind: &'static str,
    /// The setting that causes it, e.g. `SampleApi.Properties.Auth.ApiKeyRequired`.
    pub setting: String,
    /// Where that setting is written.
    pub written_in: WrittenIn,
    /// Why the API has a CORS preflight.
    pub preflight: String,
    /// The `Type: Api` events of the API, as `Owner.Event`.
    pub events: EventLabels,
    /// Its fix: an index into [`Checked::fixes`](crate::Checked::fixes).
    pub fix: Option<usize>,
    /// Why it is left for a human: an index into [`Checked::refusals`](crate::Checked::refusals).
    pub refusal: Option<usize>,
}

/// The fix of one or more findings of a rule: the changes it makes and why they are right.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct Fix {
    /// The rule whose findings it fixes.
    pub rule: Rule,
    /// Where the setting it fixes is written.
    pub written_in: WrittenIn,
    /// Every API the fix covers.
    pub apis: Vec<String>,
    /// How it fixes them.
    pub strategy: Strategy,
    /// Why this strategy (and, for `auto`, why not the other).
    pub why: FixReason,
    /// The changes to the template's values.
    pub changes: Vec<Change>,
}

/// Why a fix takes the form it does: a machine-readable kind ([`FixReason::kind`]) and a
/// sentence ([`Display`](fmt::Display)), which is how it serializes.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum FixReason {
    /// SAM generates the bodies of these APIs, so their events can carry the key.
    KeyMovedToEvents {
        /// The APIs that lose the key.
        apis: Vec<String>,
    },
    /// A preflight flag set to false keeps the setting off the preflight.
    PreflightFlag {
        /// The flag, e.g. `AddApiKeyRequiredToCorsPreflight`.
        flag: &'static str,
        /// What it keeps off: `the key` or `the authorizer`.
        what: &'static str,
    },
    /// The `auto` strategy fell back to the flag because the key could not move.
    NotMovedToEvents {
        /// Why the key could not move to the events.
        because: Reason,
    },
    /// A reason a rule gives in its own terms (its page lists its kinds).
    Rule {
        /// A stable, machine-readable name, unique within the rule.
        kind: &'static str,
        /// The reason, in one sentence.
        message: String,
    },
}

impl FixReason {
    /// A stable, machine-readable name for the reason, as the JSON report gives it.
    pub fn kind(&self) -> &'static str {
        match self {
            FixReason::KeyMovedToEvents { .. } => "key-moved-to-events",
            FixReason::PreflightFlag { .. } => "preflight-flag",
            FixReason::NotMovedToEvents { .. } => "not-moved-to-events",
            FixReason::Rule { kind, .. } => kind,
        }
    }
}

impl fmt::Display for FixReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FixReason::KeyMovedToEvents { apis } => write!(
                f,
                "SAM generates the body of {}, so the events carry the key",
                apis.join(", ")
            ),
            FixReason::PreflightFlag { flag, what } => {
                write!(f, "{flag}: false keeps {what} off the preflight")
            }
            FixReason::NotMovedToEvents { because } => {
                write!(f, "not moved to the events: {because}")
            }
            FixReason::Rule { message, .. } => f.write_str(message),
        }
    }
}

/// Findings samfix will not fix, and why.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct Refusal {
    /// The rule whose findings these are.
    pub rule: Rule,
    /// Where the setting is written.
    pub written_in: WrittenIn,
    /// Every API it covers.
    pub apis: Vec<String>,
    /// Where the setting is written in the file.
    pub span: Span,
    /// Why a person must decide.
    pub reason: Reason,
}

/// Why samfix leaves a finding for a human: a machine-readable kind
/// ([`Reason::kind`]) and a sentence ([`Display`](fmt::Display)), which is how it
/// serializes.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Reason {
    /// The API brings its own `DefinitionBody` or `DefinitionUri`, which events don't reach.
    OwnDefinition {
        /// The API.
        api: String,
        /// `DefinitionBody` or `DefinitionUri`.
        body: &'static str,
    },
    /// The API has a `DefaultAuthorizer`, which an event's own `Auth` changes.
    DefaultAuthorizer {
        /// The API.
        api: String,
    },
    /// Removing the API's key would let the one in `Globals.Api.Auth` take its place.
    GlobalKeyTakesOver {
        /// The API.
        api: String,
    },
    /// An event whose API can't be known might need the key.
    EventApiUnknown {
        /// The warning about that event.
        warning: String,
        /// Its help, if it has one.
        help: Option<String>,
    },
    /// An event of the API can't be edited safely.
    EventNotEditable {
        /// The event, as `Owner.Event`.
        event: String,
        /// What stands in the way.
        problem: EventProblem,
    },
    /// The API's `DefinitionBody` sets a document-wide `security` that OPTIONS would inherit.
    BodyWideSecurity {
        /// The API.
        api: String,
        /// `the key` or `the authorizer`.
        what: &'static str,
    },
    /// The `Auth` map reaches the API through an anchor, alias or merge key.
    ReachedThroughAlias {
        /// The map's path.
        path: String,
    },
    /// The `Auth` map sits inside an anchored or aliased node.
    InsideSharedYaml {
        /// The map's path.
        path: String,
        /// `an anchor` or `an alias`.
        shared_by: &'static str,
    },
    /// The fix would delete a `# samfix:` comment a person wrote (to silence another
    /// rule), which samfix never does.
    DeletesSamfixComment {
        /// The comment's line, 1-based.
        line: usize,
    },
    /// The fix would edit an entry whose key is written twice in its map, where the
    /// reading of the template is not certain enough to change it.
    TouchesDuplicateKey {
        /// The key.
        key: String,
        /// The line of the copy that is read, 1-based.
        line: usize,
    },
    /// A reason a rule gives in its own terms (its page lists its kinds).
    Rule {
        /// A stable, machine-readable name, unique within the rule.
        kind: &'static str,
        /// What a person must decide, in one sentence.
        message: String,
    },
}

/// What keeps an event's `Auth` from being edited.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum EventProblem {
    /// The event sits in YAML shared through an anchor or alias.
    SharedYaml,
    /// Its `Properties` can't be reached.
    PropertiesNotEditable,
    /// Its `Auth` comes through an anchor, alias or merge key.
    AuthShared,
    /// Its `Auth` is an intrinsic function.
    AuthIntrinsic,
    /// Its `Auth` is not a mapping.
    AuthNotAMap,
    /// Its `ApiKeyRequired` comes through a merge key.
    KeyThroughMergeKey,
}

impl EventProblem {
    fn text(self) -> &'static str {
        match self {
            EventProblem::SharedYaml => "it sits in YAML shared through an anchor or alias",
            EventProblem::PropertiesNotEditable => "its `Properties` can't be edited",
            EventProblem::AuthShared => "its `Auth` comes through an anchor, alias or merge key",
            EventProblem::AuthIntrinsic => "its `Auth` is an intrinsic function",
            EventProblem::AuthNotAMap => "its `Auth` is not a mapping",
            EventProblem::KeyThroughMergeKey => "its `ApiKeyRequired` comes through a merge key",
        }
    }
}

impl Reason {
    /// A stable, machine-readable name for the reason, as the JSON report gives it.
    pub fn kind(&self) -> &'static str {
        match self {
            Reason::OwnDefinition { .. } => "own-definition",
            Reason::DefaultAuthorizer { .. } => "default-authorizer",
            Reason::GlobalKeyTakesOver { .. } => "global-key-takes-over",
            Reason::EventApiUnknown { .. } => "event-api-unknown",
            Reason::EventNotEditable { .. } => "event-not-editable",
            Reason::BodyWideSecurity { .. } => "body-wide-security",
            Reason::ReachedThroughAlias { .. } => "reached-through-alias",
            Reason::InsideSharedYaml { .. } => "inside-shared-yaml",
            Reason::DeletesSamfixComment { .. } => "deletes-samfix-comment",
            Reason::TouchesDuplicateKey { .. } => "touches-duplicate-key",
            Reason::Rule { kind, .. } => kind,
        }
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reason::OwnDefinition { api, body } => write!(
                f,
                "`{api}` has its own `{body}`, which events don't reach: moving the key would strip it from every path of that body"
            ),
            Reason::DefaultAuthorizer { api } => write!(
                f,
                "`{api}` has a `DefaultAuthorizer`, and giving its events an `Auth` changes how SAM applies that authorizer to them"
            ),
            Reason::GlobalKeyTakesOver { api } => write!(
                f,
                "removing the key from `{api}` would let the one in `Globals.Api.Auth` take its place"
            ),
            Reason::EventApiUnknown { warning, help } => {
                write!(f, "{warning}")?;
                if let Some(help) = help {
                    write!(f, " ({help})")?;
                }
                write!(f, ", so samfix can't tell whether that event needs the key")
            }
            Reason::EventNotEditable { event, problem } => {
                write!(f, "event `{event}`: {}", problem.text())
            }
            Reason::BodyWideSecurity { api, what } => write!(
                f,
                "the `DefinitionBody` of `{api}` sets a document-wide `security`, which its OPTIONS operations would fall back to once {what} is off them"
            ),
            Reason::ReachedThroughAlias { path } => write!(
                f,
                "`{path}` reaches the API through an anchor, alias or `<<` merge key; editing it would change every place that shares it"
            ),
            Reason::InsideSharedYaml { path, shared_by } => write!(
                f,
                "`{path}` is inside {shared_by}; editing it would change every place that shares it"
            ),
            Reason::DeletesSamfixComment { line } => write!(
                f,
                "the fix would delete the `# samfix:` comment on line {line}; move the comment to the resource's first line, or fix the setting by hand"
            ),
            Reason::TouchesDuplicateKey { key, line } => write!(
                f,
                "the fix would edit the `{key}` written twice (read on line {line}); delete one of the copies first"
            ),
            Reason::Rule { message, .. } => f.write_str(message),
        }
    }
}

/// Something in the template samfix can't read with certainty.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct Warning {
    /// What it is about.
    pub kind: WarningKind,
    /// The rule that gives it; `None` for what the engine notes while it reads the template.
    pub rule: Option<Rule>,
    /// Where it is.
    pub span: Span,
    /// What samfix could not be sure of.
    pub message: String,
    /// How to make it clear.
    pub help: Option<String>,
}

/// The kinds of [`Warning`]; it serializes as its [`WarningKind::name`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum WarningKind {
    /// A `DefinitionBody` sets a document-wide `security`, which OPTIONS inherit.
    BodyWideSecurity,
    /// An API's `Auth` is an intrinsic function.
    IntrinsicAuth,
    /// `Globals.Api.Auth` is an intrinsic function.
    IntrinsicGlobalAuth,
    /// An event's `RestApiId` names no resource of the template.
    UnknownRestApiId,
    /// An event's `RestApiId` is not a reference samfix can follow.
    UnresolvableRestApiId,
    /// A key written twice in one map: the later one is read, as SAM CLI reads it.
    DuplicateKey,
    /// An API's `DefinitionBody` comes from another file through `AWS::Include`.
    IncludedBody,
    /// A note a rule gives in its own terms, named by a kind its page lists.
    Rule(&'static str),
}

impl WarningKind {
    /// A stable, machine-readable name, as the JSON report gives it.
    pub fn name(self) -> &'static str {
        match self {
            WarningKind::BodyWideSecurity => "body-wide-security",
            WarningKind::IntrinsicAuth => "intrinsic-auth",
            WarningKind::IntrinsicGlobalAuth => "intrinsic-global-auth",
            WarningKind::UnknownRestApiId => "unknown-rest-api-id",
            WarningKind::UnresolvableRestApiId => "unresolvable-rest-api-id",
            WarningKind::DuplicateKey => "duplicate-key",
            WarningKind::IncludedBody => "included-body",
            WarningKind::Rule(kind) => kind,
        }
    }

    /// Whether it is about an event whose API can't be known, which may belong to an API
    /// whose key moves.
    pub fn hides_an_events_api(self) -> bool {
        matches!(
            self,
            WarningKind::UnknownRestApiId | WarningKind::UnresolvableRestApiId
        )
    }
}

/// `{"kind": ..., "message": ...}`.
fn serialize_reason<S: serde::Serializer>(
    serializer: S,
    kind: &str,
    message: String,
) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeStruct;
    let mut reason = serializer.serialize_struct("Reason", 2)?;
    reason.serialize_field("kind", kind)?;
    reason.serialize_field("message", &message)?;
    reason.end()
}

impl Serialize for Reason {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serialize_reason(serializer, self.kind(), self.to_string())
    }
}

impl Serialize for FixReason {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serialize_reason(serializer, self.kind(), self.to_string())
    }
}

impl Serialize for WarningKind {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}
