//! Registry modules that make a GitHub OIDC role, known by the data table
//! `rules/terraform/oidc-modules.toml`: which inputs hold the role's name, the repositories
//! it lets in and its session duration. A call of a listed module is read as the role it makes.

use std::sync::LazyLock;

use serde::Deserialize;

use super::value::Value;

#[derive(Debug, Deserialize)]
pub struct OidcModule {
    pub sources: Vec<String>,
    pub role_name: String,
    #[serde(default)]
    pub default_role_name: Option<String>,
    pub subjects: String,
    #[serde(default)]
    pub context: Option<String>,
    #[serde(default)]
    pub default_context: Option<String>,
    #[serde(default)]
    pub session_duration: Option<String>,
    pub default_session_duration: u64,
    pub operator: String,
}

#[derive(Deserialize)]
struct Table {
    module: Vec<OidcModule>,
}

static TABLE: LazyLock<Vec<OidcModule>> = LazyLock::new(|| {
    toml::from_str::<Table>(include_str!("../../../rules/terraform/oidc-modules.toml"))
        .map(|t| t.module)
        .unwrap_or_default()
});

/// A module source as the table lists it: without `git::`, `https://`, `?ref=…` or `.git`.
pub fn canonical_source(source: &str) -> String {
    let source = source.trim();
    let source = source.strip_prefix("git::").unwrap_or(source);
    let source = source.strip_prefix("https://").unwrap_or(source);
    let source = source.split('?').next().unwrap_or(source);
    let source = source.trim_end_matches('/');
    let (repo, sub) = source.split_once("//").unwrap_or((source, ""));
    let repo = repo.strip_suffix(".git").unwrap_or(repo);
    let mut out = repo.to_ascii_lowercase();
    if !sub.is_empty() {
        out.push_str("//");
        out.push_str(sub);
    }
    out
}

/// The table's entry for a module source.
pub fn find(source: &str) -> Option<&'static OidcModule> {
    let wanted = canonical_source(source);
    TABLE
        .iter()
        .find(|m| m.sources.iter().any(|s| canonical_source(s) == wanted))
}

impl OidcModule {
    /// The `sub` values the module writes for `subjects`, given the context input.
    pub fn subjects_of(&self, subjects: &Value, context: Option<&Value>) -> Value {
        let context = match context {
            Some(value) => value.as_text(),
            None => self.default_context.clone(),
        };
        let items = match subjects {
            Value::List(items) => items.clone(),
            Value::Unknown(_) => return subjects.clone(),
            other => vec![other.clone()],
        };
        Value::List(
            items
                .into_iter()
                .map(|item| {
                    let Some(text) = item.as_text() else {
                        return item;
                    };
                    let bare = text.strip_prefix("repo:").unwrap_or(&text);
                    let sub = match (&context, bare.contains(':')) {
                        (Some(context), false) => format!("repo:{bare}:{context}"),
                        _ => format!("repo:{bare}"),
                    };
                    match item {
                        Value::Unknown(_) => Value::Unknown(sub),
                        _ => Value::String(sub),
                    }
                })
                .collect(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_reads_and_sources_match() {
        assert!(TABLE.len() >= 4);
        assert!(find("terraform-aws-modules/iam/aws//modules/iam-github-oidc-role").is_some());
        assert!(
            find(
                "github.com/ministryofjustice/modernisation-platform-github-oidc-role?ref=b40748e"
            )
            .is_some()
        );
        assert!(
            find("git::https://github.com/unfunco/terraform-aws-oidc-github.git?ref=v1").is_some()
        );
        assert!(find("terraform-aws-modules/iam/aws//modules/iam-role").is_none());
        let module = find("unfunco/oidc-github/aws").unwrap();
        let subjects = Value::List(vec![
            Value::String("acme/app".into()),
            Value::String("acme/api:ref:refs/heads/main".into()),
        ]);
        assert_eq!(
            module.subjects_of(&subjects, None),
            Value::List(vec![
                Value::String("repo:acme/app:*".into()),
                Value::String("repo:acme/api:ref:refs/heads/main".into()),
            ])
        );
    }
}
