//! The rule trait, rule metadata and the one registry list.
//!
//! A rule is a unit struct in its own file, named after its id, declaring its metadata with
//! [`rule_meta!`] and overriding only the hooks at the level it needs: the default methods do
//! the walk from workflow to job to step.

pub mod deploy_path;
pub mod environment;
pub mod iam;
pub mod meta;
pub mod secrets;
pub mod vault;
pub mod workflow;

use crate::config::Config;
use crate::finding::{Draft, Location, Severity};
use crate::model::iam::Policy;
use crate::model::vault as vault_model;
use crate::model::{Action, Job, Step, Workflow};
use crate::source::SourceFile;

/// What every rule declares about itself. The docs are markdown with the sections
/// *What it does*, *Why is this bad*, *Example*, *Use instead* and *References*.
#[derive(Debug)]
pub struct RuleMeta {
    pub id: &'static str,
    pub severity: Severity,
    pub summary: &'static str,
    pub docs: &'static str,
}

impl RuleMeta {
    /// A finding of this rule at its default severity.
    pub fn finding(&'static self, message: impl Into<String>, primary: Location) -> Draft {
        Draft {
            rule: self.id,
            severity: self.severity,
            message: message.into(),
            primary,
            related: Vec::new(),
            sensitive: Default::default(),
        }
    }
}

/// Declares a rule's metadata beside it: `rule_meta!(Type, "id", Severity, "summary", DOCS)`.
#[macro_export]
macro_rules! rule_meta {
    ($rule:ident, $id:literal, $severity:expr, $summary:literal, $docs:expr) => {
        pub const META: $crate::rules::RuleMeta = $crate::rules::RuleMeta {
            id: $id,
            severity: $severity,
            summary: $summary,
            docs: $docs,
        };
        impl $rule {
            pub const META: &'static $crate::rules::RuleMeta = &META;
        }
    };
}

/// What a rule sees besides the document: the config, the file, and where findings go.
pub struct Cx<'a> {
    pub config: &'a Config,
    pub file: &'a SourceFile,
    pub repo: &'a crate::model::repo::RepoContext,
    pub drafts: Vec<Draft>,
    /// The secrets in the file, found once for the secret rule and for masking every output.
    pub secrets: std::cell::OnceCell<Vec<secrets::Hit>>,
}

impl<'a> Cx<'a> {
    /// Every secret the detector sees in the file (see [`secrets::find`]).
    pub fn secrets(&self) -> &[secrets::Hit] {
        self.secrets
            .get_or_init(|| secrets::find(&self.file.path, &self.file.text))
    }

    pub fn report(&mut self, draft: Draft) {
        self.drafts.push(draft);
    }
}

/// Where a step lives: a workflow job or a composite action.
pub enum StepHost<'h, 'a> {
    Job(&'h Workflow<'a>, &'h Job<'a>),
    Action(&'h Action<'a>),
}

pub trait Rule: Sync + Send {
    fn meta(&self) -> &'static RuleMeta;

    fn check_workflow(&self, cx: &mut Cx, workflow: &Workflow) {
        for job in workflow.jobs() {
            self.check_job(cx, workflow, &job);
        }
    }

    fn check_job(&self, cx: &mut Cx, workflow: &Workflow, job: &Job) {
        for step in job.steps() {
            self.check_step(cx, &StepHost::Job(workflow, job), &step);
        }
    }

    fn check_action(&self, cx: &mut Cx, action: &Action) {
        for step in action.steps() {
            self.check_step(cx, &StepHost::Action(action), &step);
        }
    }

    fn check_step(&self, _cx: &mut Cx, _host: &StepHost, _step: &Step) {}

    /// Any file's raw text, whatever its kind (secret detection reads every text file).
    fn check_text(&self, _cx: &mut Cx, _file: &SourceFile) {}

    /// Whether this rule needs every text file of the tree, not only the kinds the document
    /// rules read: when an enabled rule says yes, discovery reads shell scripts, `.env`
    /// files, Dockerfiles and the rest as [`crate::source::FileKind::Other`].
    fn reads_all_text(&self) -> bool {
        false
    }

    /// A parsed document of a kind with no typed view yet (IAM JSON, CloudFormation,
    /// Terraform, settings): the rule reads `file.root` and `file.kind`.
    fn check_document(&self, _cx: &mut Cx, _file: &SourceFile) {}

    /// The IAM policies of an IAM JSON, CloudFormation or Terraform file (identity, trust,
    /// inline and `aws_iam_policy_document` documents), read once for every IAM rule. The
    /// repository's principals are in `cx.repo` (see `RepoContext::module_principals`).
    fn check_policies(&self, _cx: &mut Cx, _file: &SourceFile, _policies: &[Policy]) {}

    /// A declared environment that a requirement of `tollgate.yml` (or the production
    /// default) governs, once, from the file that declares it.
    fn check_environment(
        &self,
        _cx: &mut Cx,
        _env: &crate::model::environment::DeclaredEnvironment,
        _requirement: &crate::config::EnvironmentRequirement,
    ) {
    }

    /// Each `path "…" { … }` stanza of a Vault policy: a policy file, or the `policy` of a
    /// Terraform `vault_policy` resource.
    fn check_vault_policy(&self, _cx: &mut Cx, _stanza: &vault_model::PathRule) {}

    /// Each Vault JWT/OIDC auth role (`vault_jwt_auth_backend_role`) a document declares.
    fn check_vault_role(&self, _cx: &mut Cx, _role: &vault_model::JwtRole) {}
}

/// Every rule, in id order. Adding a rule is one line here.
pub fn registry() -> &'static [&'static dyn Rule] {
    &[
        &iam::break_glass_role::BreakGlassRole,
        &workflow::cache_poisoning::CachePoisoning,
        &workflow::checkout_credentials_persisted::CheckoutCredentialsPersisted,
        &workflow::dangerous_trigger::DangerousTrigger,
        &deploy_path::deploy_path_bypass::DeployPathBypass,
        &deploy_path::deploy_path_undeclared::DeployPathUndeclared,
        &environment::environment_admin_bypass::EnvironmentAdminBypass,
        &environment::environment_any_branch::EnvironmentAnyBranch,
        &environment::environment_unprotected::EnvironmentUnprotected,
        &workflow::excessive_permissions::ExcessivePermissions,
        &workflow::github_env_injection::GithubEnvInjection,
        &secrets::hardcoded_secret::HardcodedSecret,
        &iam::iam_oidc_trust_unbounded::IamOidcTrustUnbounded,
        &iam::iam_privilege_escalation::IamPrivilegeEscalation,
        &iam::iam_trust_any_principal::IamTrustAnyPrincipal,
        &iam::iam_unknown_action::IamUnknownAction,
        &iam::iam_wildcard_action::IamWildcardAction,
        &iam::iam_wildcard_resource::IamWildcardResource,
        &workflow::insecure_commands::InsecureCommands,
        &workflow::long_ttl::LongTtl,
        &workflow::secrets_exposed::SecretsExposed,
        &workflow::secrets_outside_environment::SecretsOutsideEnvironment,
        &workflow::self_hosted_runner::SelfHostedRunner,
        &environment::self_review_allowed::SelfReviewAllowed,
        &workflow::spoofable_bot_condition::SpoofableBotCondition,
        &workflow::standing_credentials::StandingCredentials,
        &workflow::template_injection::TemplateInjection,
        &workflow::unpinned_action::UnpinnedAction,
        &workflow::unpinned_image::UnpinnedImage,
        &workflow::unprotected_deploy::UnprotectedDeploy,
        &vault::vault_jwt_unbounded::VaultJwtUnbounded,
        &vault::vault_overbroad_policy::VaultOverbroadPolicy,
    ]
}

/// Metadata of every rule, including those the engine reports itself.
pub fn all_meta() -> Vec<&'static RuleMeta> {
    let mut metas: Vec<&'static RuleMeta> = registry().iter().map(|rule| rule.meta()).collect();
    metas.push(&meta::suppression_without_reason::META);
    metas.push(&meta::policy_weakened::META);
    metas.sort_by_key(|meta| meta.id);
    metas
}

pub fn find(id: &str) -> Option<&'static RuleMeta> {
    all_meta().into_iter().find(|meta| meta.id == id)
}

/// Whether `id` names a rule: what config validation is given to check `rules:` entries.
pub fn is_rule_id(id: &str) -> bool {
    find(id).is_some()
}

/// The sections every rule's docs must have, in order.
pub const DOC_SECTIONS: [&str; 5] = [
    "## What it does",
    "## Why is this bad",
    "## Example",
    "## Use instead",
    "## References",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_registry_is_in_id_order_as_written() {
        let ids: Vec<&str> = registry().iter().map(|rule| rule.meta().id).collect();
        // Each id strictly after the one before it: in order, and no id twice.
        for pair in ids.windows(2) {
            assert!(
                pair[0] < pair[1],
                "`{}` is listed before `{}`",
                pair[0],
                pair[1]
            );
        }
    }

    #[test]
    fn ids_are_unique_and_kebab_case() {
        let ids: Vec<&str> = all_meta().iter().map(|m| m.id).collect();
        let mut unique = ids.clone();
        unique.dedup();
        assert_eq!(ids, unique, "all_meta lists an id twice");
        for id in ids {
            assert!(
                id.chars().all(|c| c.is_ascii_lowercase() || c == '-'),
                "{id} is not kebab-case"
            );
        }
    }

    #[test]
    fn every_rule_has_all_doc_sections_in_order() {
        for meta in all_meta() {
            let mut at = 0;
            for section in DOC_SECTIONS {
                let found = meta.docs[at..].find(section);
                assert!(
                    found.is_some(),
                    "{}: missing or misplaced `{section}`",
                    meta.id
                );
                at += found.unwrap_or(0) + section.len();
            }
            assert!(
                !meta.summary.ends_with('.'),
                "{}: summary ends with a period",
                meta.id
            );
        }
    }
}
