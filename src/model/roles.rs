//! AWS roles declared in the repository, by name, with their trust policies: the far end of a
//! deploy path. A workflow names a role by ARN (`role-to-assume`); this finds the role's
//! declaration in IAM JSON, CloudFormation or Terraform.

use super::iam::{self, Policy, PolicyKind};
use crate::source::{FileKind, Node, Route, SourceFile, Step};

/// A role and its trust policy, as declared in one file.
pub struct DeclaredRole<'a> {
    pub name: String,
    pub file: &'a SourceFile,
    pub trust: Policy<'a>,
}

/// The role name in an ARN or a bare name: `arn:aws:iam::123:role/ci/deploy` → `deploy`.
/// `None` when the name is only known at run time (`${{ secrets.ROLE }}`).
pub fn role_name_of(arn_or_name: &str) -> Option<&str> {
    let name = match arn_or_name.split_once(":role/") {
        Some((_, path)) => path.rsplit('/').next().unwrap_or(path),
        None if arn_or_name.starts_with("arn:") => return None,
        None => arn_or_name,
    };
    let name = name.trim();
    (!name.is_empty() && !name.contains("${{") && !name.contains("${")).then_some(name)
}

/// Every role with a trust policy declared in `file`.
pub fn roles(file: &SourceFile) -> Vec<DeclaredRole<'_>> {
    roles_with(file, &iam::policies(file))
}

/// [`roles`], from the file's policies already read.
pub fn roles_with<'a>(file: &'a SourceFile, policies: &[Policy<'a>]) -> Vec<DeclaredRole<'a>> {
    let Some(root) = &file.root else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for policy in policies {
        let name = match file.kind {
            FileKind::IamJson => json_role_name(file, root, policy),
            FileKind::CloudFormation => cloudformation_role_name(root, &policy.route),
            FileKind::Terraform => terraform_role_name(root, &policy.route, policies),
            _ => None,
        };
        let Some(name) = name else { continue };
        let is_trust = policy.kind == PolicyKind::Trust
            || (policy.kind == PolicyKind::Document
                && policy.statements.iter().any(|s| s.is_trust()));
        if is_trust {
            out.push(DeclaredRole {
                name,
                file,
                trust: policy.clone(),
            });
        }
    }
    // Terraform roles whose trust is a `data "aws_iam_policy_document"` reference.
    if file.kind == FileKind::Terraform {
        let base = Route::root().key("resource").key("aws_iam_role");
        // By route, so a file of many roles is not searched once per role.
        let mut by_route: std::collections::HashMap<&Route, &Policy<'a>> =
            std::collections::HashMap::new();
        for policy in policies {
            // The first policy at a route wins, as a search in order would have it.
            by_route.entry(&policy.route).or_insert(policy);
        }
        for (label, body) in root
            .at(&base)
            .map(|n| n.entries().collect::<Vec<_>>())
            .unwrap_or_default()
        {
            let Some(reference) = body.get_str("assume_role_policy") else {
                continue;
            };
            let Some(document) = reference
                .trim()
                .strip_prefix("data.aws_iam_policy_document.")
                .and_then(|r| r.strip_suffix(".json"))
            else {
                continue;
            };
            let target = Route::root()
                .key("data")
                .key("aws_iam_policy_document")
                .key(document);
            if let Some(policy) = by_route.get(&target) {
                out.push(DeclaredRole {
                    name: body.get_str("name").unwrap_or(label).to_string(),
                    file,
                    trust: (*policy).clone(),
                });
            }
        }
    }
    out
}

/// An IAM JSON file is a role's trust policy on its own, or `aws iam create-role` input with
/// `RoleName`; without a name the file's stem names the role (`deploy-trust.json` → `deploy`).
fn json_role_name(file: &SourceFile, root: &Node, policy: &Policy) -> Option<String> {
    if let Some(name) = root.get_str("RoleName") {
        return Some(name.to_string());
    }
    if !policy.statements.iter().any(|s| s.is_trust()) {
        return None;
    }
    let stem = file.path.rsplit('/').next()?.trim_end_matches(".json");
    let stem = [
        "-trust-policy",
        "_trust_policy",
        "-trust",
        "_trust",
        ".trust",
    ]
    .iter()
    .find_map(|suffix| stem.strip_suffix(suffix))
    .unwrap_or(stem);
    Some(stem.to_string())
}

fn cloudformation_role_name(root: &Node, route: &Route) -> Option<String> {
    let Some(Step::Key(logical)) = route.0.get(1) else {
        return None;
    };
    let resource = root.get("Resources")?.get(logical)?;
    if resource.get_str("Type") != Some("AWS::IAM::Role") {
        return None;
    }
    let name = resource
        .get("Properties")
        .and_then(|p| p.get_str("RoleName"))
        .filter(|n| !n.contains("${"))
        .unwrap_or(logical);
    Some(name.to_string())
}

fn terraform_role_name(root: &Node, route: &Route, _policies: &[Policy]) -> Option<String> {
    // A role made by a module call, grafted at the call by the Terraform evaluator.
    if let [
        Step::Key(module),
        Step::Key(call),
        Step::Key(resource),
        Step::Key(kind),
        Step::Key(label),
        ..,
    ] = route.0.as_slice()
        && module == "module"
        && resource == "resource"
        && kind == "aws_iam_role"
    {
        let body = root
            .get("module")?
            .get(call)?
            .get("resource")?
            .get("aws_iam_role")?
            .get(label)?;
        return Some(
            body.get_str("name")
                .map_or_else(|| format!("module.{call}"), str::to_string),
        );
    }
    let [Step::Key(resource), Step::Key(kind), Step::Key(label), ..] = route.0.as_slice() else {
        return None;
    };
    if resource != "resource" || kind != "aws_iam_role" {
        return None;
    }
    let body = root.get("resource")?.get("aws_iam_role")?.get(label)?;
    // A name the evaluator could not resolve is kept as it is (`${var.env}-deploy`), so a
    // deploy path can say the role may be this one rather than that it is declared nowhere.
    Some(body.get_str("name").unwrap_or(label).to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_names_from_arns() {
        assert_eq!(
            role_name_of("arn:aws:iam::123456789012:role/deploy"),
            Some("deploy")
        );
        assert_eq!(
            role_name_of("arn:aws:iam::123456789012:role/ci/deploy-prod"),
            Some("deploy-prod")
        );
        assert_eq!(
            role_name_of("arn:aws:iam::${{ secrets.ACCOUNT }}:role/deploy"),
            Some("deploy")
        );
        assert_eq!(role_name_of("${{ secrets.ROLE_ARN }}"), None);
    }
}
