//! Rules over IAM policies (JSON, CloudFormation, Terraform), read through `model::iam`.

pub mod actions;
pub mod break_glass_role;
pub mod iam_oidc_trust_unbounded;
pub mod iam_privilege_escalation;
pub mod iam_trust_any_principal;
pub mod iam_unknown_action;
pub mod iam_wildcard_action;
pub mod iam_wildcard_resource;

use crate::model::iam::{Statement, Value};
use actions::{ActionInfo, Db};

/// A written action is a pattern when it has `*` or `?`.
pub fn is_pattern(text: &str) -> bool {
    text.contains(['*', '?'])
}

/// Values that Terraform or CloudFormation fill in later (`${var.x}`, `!Ref`) are not judged,
/// nor Terraform expressions left unevaluated (`concat(["s3:GetObject"], …)`, a conditional):
/// no action or ARN holds a parenthesis, a quote or a blank.
pub fn is_templated(text: &str) -> bool {
    text.contains("${")
        || text.contains("var.")
        || text.contains("local.")
        || text.contains(['(', '"', ' '])
}

/// Each action value of a statement with the table entries it stands for.
pub fn expanded<'s, 'a>(
    db: &'static Db,
    statement: &'s Statement<'a>,
) -> Vec<(&'s Value<'a>, Vec<&'static ActionInfo>)> {
    statement
        .actions
        .iter()
        .filter(|a| !is_templated(a.text))
        .map(|a| (a, db.expand(a.text)))
        .collect()
}

/// A few names, then a count: `iam:PutRolePolicy, iam:PutUserPolicy and 3 more`.
pub fn sample(names: &[&str], shown: usize) -> String {
    let mut out: Vec<String> = names.iter().take(shown).map(|n| format!("`{n}`")).collect();
    if names.len() > shown {
        out.push(format!("{} more", names.len() - shown));
    }
    match out.len() {
        0 => String::new(),
        1 => out.remove(0),
        _ => {
            let last = out.pop().unwrap_or_default();
            format!("{} and {last}", out.join(", "))
        }
    }
}

/// `1 action`, `2 actions`.
pub fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        word.to_owned()
    } else {
        format!("{word}s")
    }
}
