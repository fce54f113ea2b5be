//! `authorizer-on-preflight`: an API's `Auth.DefaultAuthorizer` reaches its CORS preflight,
//! which browsers send without an `Authorization` header: it fails with 401 or 403.

use super::preflight::{by_place, hits, preflight_flag, settle, Setting};
use super::{Context, Output, Rule, RuleSpec};
use crate::diagnostic::{FixReason, Strategy};
use crate::parse::Reads;

pub(super) const RULE: RuleSpec = RuleSpec {
    id: "authorizer-on-preflight",
    name: "AuthorizerOnPreflight",
    summary: "An API puts its default authorizer on the CORS preflight",
    description: "An AWS::Serverless::Api whose effective Auth.DefaultAuthorizer reaches its CORS preflight: browsers send the preflight without an Authorization header, so it fails with 401 or 403.",
    fix: "adds `AddDefaultAuthorizerToCorsPreflight: false` in the `Auth` map that holds the `DefaultAuthorizer`",
    page: include_str!("../../docs/rules/authorizer-on-preflight.md"),
    reads: Reads {
        attributes: &[],
        sections: &[],
        resources: &[],
    },
    check,
};

const SETTING: Setting = Setting {
    key: "DefaultAuthorizer",
    flag: "AddDefaultAuthorizerToCorsPreflight",
    kind: "authorizer",
    what: "the authorizer",
    of: |facts| {
        (
            facts.default_authorizer.as_ref(),
            facts.authorizer_preflight_flag.as_ref(),
        )
    },
};

/// One fix whatever the strategy asked for: the flag.
fn check<'t>(context: &Context<'_, 't>) -> Output<'t> {
    let rule = Rule(&RULE);
    let hits = hits(
        context,
        rule,
        &SETTING,
        |api| {
            format!("`{api}` puts its default authorizer on its CORS preflight, which browsers send without credentials")
        },
        "SAM puts the authorizer on the preflight too",
    );
    let mut output = Output::default();
    let mut findings: Vec<_> = hits.iter().map(|hit| hit.finding.clone()).collect();
    for (written_in, group) in by_place(&hits) {
        let outcome = preflight_flag(context, &group, &SETTING).map(|located| {
            let why = FixReason::PreflightFlag {
                flag: SETTING.flag,
                what: SETTING.what,
            };
            (Strategy::Flag, why, located)
        });
        let apis = group.iter().map(|hit| hit.finding.api.clone()).collect();
        let span = group[0].key.key_span.clone();
        settle(
            &mut output,
            &mut findings,
            rule,
            written_in,
            apis,
            span,
            outcome,
        );
    }
    output.findings = findings;
    output
}
