//! Rules over declared GitHub Environments (`.github/settings.yml`, Terraform), judged
//! against the requirements in `tollgate.yml` (production environments by default).

pub mod environment_admin_bypass;
pub mod environment_any_branch;
pub mod environment_unprotected;
pub mod self_review_allowed;

use crate::config::EnvironmentRequirement;
use crate::finding::{Draft, Location, Severity};
use crate::model::environment::{DeclaredEnvironment, Gravity, Shortfall};
use crate::rules::{Cx, RuleMeta};
use crate::source::Route;

/// The environments this file declares that a requirement applies to, with the requirement.
pub fn governed<'a>(cx: &Cx<'a>) -> Vec<(&'a DeclaredEnvironment, EnvironmentRequirement)> {
    cx.repo
        .environments
        .iter()
        .filter(|env| env.path == cx.file.path)
        .filter_map(|env| cx.config.requirement_for(&env.name).map(|req| (env, req)))
        .collect()
}

/// The `tollgate.yml` entry that makes a finding wrong, when the policy file was scanned.
pub fn policy_location(cx: &Cx, requirement: &EnvironmentRequirement) -> Option<Location> {
    let path = cx.config.source.as_ref()?;
    requirement.line?;
    cx.repo.file(path)?;
    Some(
        Location::key(Route::root().key("environments").key(&requirement.pattern))
            .in_file(path.clone())
            .labelled(format!(
                "required by the policy for `{}`",
                requirement.pattern
            )),
    )
}

/// Reports a shortfall found by the shared judgement (`model::environment`): high when it
/// leaves the environment with no gate, medium when the gate is weaker than required.
pub fn report_shortfall(
    cx: &mut Cx,
    meta: &'static RuleMeta,
    env: &DeclaredEnvironment,
    shortfall: &Shortfall,
    location: Location,
    requirement: &EnvironmentRequirement,
) {
    let severity = match shortfall.gravity() {
        Gravity::Unprotected => Severity::High,
        Gravity::Weaker => Severity::Medium,
    };
    let draft = meta
        .finding(shortfall.describe(&env.name), location)
        .severity(severity);
    report_against_policy(cx, draft, requirement);
}

/// Reports a finding with the policy entry that makes it wrong as a related location.
pub fn report_against_policy(cx: &mut Cx, draft: Draft, requirement: &EnvironmentRequirement) {
    let draft = match policy_location(cx, requirement) {
        Some(policy) => draft.related(policy),
        None => draft,
    };
    cx.report(draft);
}
