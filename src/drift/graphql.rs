//! What one GitHub GraphQL query answers for many repositories at once, where REST needs a
//! request per repository and setting: the default branch, its classic protection rule, the
//! ruleset rules that apply to it with their rulesets' bypass actors, and whether the
//! repository has any environment at all (issue 18, rate budget).
//!
//! GraphQL has no field for the rest, which stays on REST: Actions secrets, the Actions and
//! workflow-token permissions, the OIDC subject template, an environment's deployment branch
//! policy (protected branches or custom patterns, and the patterns) and `can_admins_bypass`.
//!
//! A repository whose part of the answer is missing or carries an error is read over REST
//! instead: GraphQL only ever saves requests, it never decides a control REST would not.

use serde_json::{Value, json};

use super::fetch_error::FetchError;
use super::github::{
    Allowances, BranchProtection, BranchRule, Enabled, Fetch, PullRequestReviews, Reviewer, Ruleset,
};

/// Repositories asked about in one query. GitHub prices a query by the connections it asks
/// for; 25 repositories with the page sizes below cost about 30 points of the 5,000 an hour.
pub const BATCH: usize = 25;

/// Ruleset rules read per branch (GitHub's rulesets hold far fewer).
const RULES_PAGE: u64 = 100;

/// The live state of one repository GraphQL gave.
#[derive(Debug)]
pub struct Snapshot {
    pub default_branch: Option<String>,
    /// `NotFound` when the default branch has no classic protection rule.
    pub protection: Fetch<BranchProtection>,
    /// The rules of active rulesets on the default branch; `None` when there were more than
    /// one page, so REST reads them.
    pub rules: Option<Vec<BranchRule>>,
    /// The bypass actors of the ruleset that holds the `pull_request` rule, when there is one.
    pub ruleset: Option<Result<Ruleset, String>>,
    /// How many environments the repository has (none means the REST listing is not needed).
    pub environments: Option<u64>,
}

const FRAGMENT: &str = r#"
fragment drift on Repository {
  nameWithOwner
  viewerCanAdminister
  environments(first: 1) { totalCount }
  defaultBranchRef {
    name
    branchProtectionRule {
      requiresApprovingReviews
      requiredApprovingReviewCount
      isAdminEnforced
      allowsForcePushes
      bypassPullRequestAllowances(first: 100) {
        totalCount
        nodes { actor { __typename ... on User { login } ... on Team { slug } ... on App { slug name } } }
      }
    }
    rules(first: 100) {
      totalCount
      nodes {
        type
        parameters { __typename ... on PullRequestParameters { requiredApprovingReviewCount } }
        repositoryRuleset {
          databaseId
          enforcement
          bypassActors(first: 100) {
            totalCount
            nodes { bypassMode organizationAdmin deployKey repositoryRoleDatabaseId actor { __typename } }
          }
        }
      }
    }
  }
}
"#;

/// The request body asking about `repos` (`OWNER/NAME`), each under alias `rN`. Names go in
/// as variables, never spliced into the query text.
pub fn batch_query(repos: &[String]) -> Value {
    let mut header = Vec::new();
    let mut fields = Vec::new();
    let mut variables = serde_json::Map::new();
    for (i, full) in repos.iter().enumerate() {
        let (owner, name) = full.split_once('/').unwrap_or((full.as_str(), ""));
        header.push(format!("$o{i}: String!, $n{i}: String!"));
        fields.push(format!(
            "  r{i}: repository(owner: $o{i}, name: $n{i}) {{ ...drift }}"
        ));
        variables.insert(format!("o{i}"), json!(owner));
        variables.insert(format!("n{i}"), json!(name));
    }
    let query = format!(
        "query({}) {{\n  rateLimit {{ cost remaining }}\n{}\n}}\n{FRAGMENT}",
        header.join(", "),
        fields.join("\n")
    );
    json!({ "query": query, "variables": Value::Object(variables) })
}

/// Each repository's snapshot, in the order asked, or why it must be read over REST.
pub fn parse_batch(answer: &Value, repos: &[String]) -> Vec<Result<Snapshot, String>> {
    let errors: Vec<&Value> = answer
        .get("errors")
        .and_then(Value::as_array)
        .map(|e| e.iter().collect())
        .unwrap_or_default();
    // An error that names no alias spoils the whole answer.
    if let Some(general) = errors.iter().find(|e| {
        e.get("path")
            .and_then(Value::as_array)
            .and_then(|p| p.first())
            .and_then(Value::as_str)
            .is_none_or(|alias| !alias.starts_with('r'))
    }) {
        let reason = format!("GraphQL answered an error: {}", message(general));
        return repos.iter().map(|_| Err(reason.clone())).collect();
    }
    repos
        .iter()
        .enumerate()
        .map(|(i, full)| {
            let alias = format!("r{i}");
            if let Some(error) = errors.iter().find(|e| {
                e.get("path")
                    .and_then(Value::as_array)
                    .and_then(|p| p.first())
                    .and_then(Value::as_str)
                    == Some(alias.as_str())
            }) {
                return Err(format!(
                    "GraphQL answered an error for {full}: {}",
                    message(error)
                ));
            }
            match answer.get("data").and_then(|d| d.get(&alias)) {
                Some(repo) if repo.is_object() => snapshot(repo, full),
                _ => Err(format!("GraphQL returned nothing for {full}")),
            }
        })
        .collect()
}

fn message(error: &Value) -> String {
    error
        .get("message")
        .and_then(Value::as_str)
        .unwrap_or("(no message)")
        .chars()
        .take(200)
        .collect()
}

fn snapshot(repo: &Value, full: &str) -> Result<Snapshot, String> {
    let admin = repo.get("viewerCanAdminister").and_then(Value::as_bool);
    let environments = repo
        .pointer("/environments/totalCount")
        .and_then(Value::as_u64);
    let branch = match repo.get("defaultBranchRef") {
        None => return Err(format!("GraphQL did not return {full}'s defaultBranchRef")),
        // An empty repository has no default branch: REST says the same.
        Some(Value::Null) => {
            return Ok(Snapshot {
                default_branch: None,
                protection: Fetch::NotFound,
                rules: Some(Vec::new()),
                ruleset: None,
                environments,
            });
        }
        Some(branch) => branch,
    };
    let name = branch
        .get("name")
        .and_then(Value::as_str)
        .map(str::to_string);
    let cannot_administer =
        || format!("the token cannot administer {full}, so GitHub does not show it everything");
    let protection = match branch.get("branchProtectionRule") {
        Some(Value::Null) if admin == Some(true) => Fetch::NotFound,
        Some(Value::Null) => Fetch::Failed(FetchError::Hidden {
            detail: format!(
                "no classic protection rule is visible: {}",
                cannot_administer()
            ),
        }),
        Some(rule) if rule.is_object() => Fetch::Ok(protection_of(rule)),
        _ => {
            return Err(format!(
                "GraphQL did not return {full}'s branchProtectionRule"
            ));
        }
    };
    let Some(connection) = branch.get("rules").filter(|r| r.is_object()) else {
        return Err(format!("GraphQL did not return {full}'s branch rules"));
    };
    let nodes = connection
        .get("nodes")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let total = connection.get("totalCount").and_then(Value::as_u64);
    let complete = total.is_some_and(|t| t <= RULES_PAGE && t as usize == nodes.len());
    let mut rules = Vec::new();
    let mut ruleset = None;
    for node in &nodes {
        let set = node.get("repositoryRuleset").filter(|s| s.is_object());
        // REST's rules-for-a-branch lists active rules only; evaluate-mode rules enforce
        // nothing.
        if set
            .and_then(|s| s.get("enforcement"))
            .and_then(Value::as_str)
            .is_some_and(|e| !e.eq_ignore_ascii_case("active"))
        {
            continue;
        }
        let kind = node
            .get("type")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_ascii_lowercase();
        let parameters = node
            .pointer("/parameters/requiredApprovingReviewCount")
            .and_then(Value::as_u64)
            .map(|n| json!({ "required_approving_review_count": n }));
        if kind == "pull_request" && ruleset.is_none() {
            ruleset = Some(match set {
                None => Err("the pull_request rule names no ruleset".to_string()),
                Some(_) if admin != Some(true) => Err(cannot_administer()),
                Some(set) => Ok(Ruleset {
                    bypass_actors: set
                        .pointer("/bypassActors/nodes")
                        .and_then(Value::as_array)
                        .cloned(),
                }),
            });
        }
        rules.push(BranchRule {
            kind,
            ruleset_source: None,
            ruleset_source_type: None,
            ruleset_id: set
                .and_then(|s| s.get("databaseId"))
                .and_then(Value::as_u64),
            parameters,
        });
    }
    Ok(Snapshot {
        default_branch: name,
        protection,
        rules: complete.then_some(rules),
        ruleset: if complete { ruleset } else { None },
        environments,
    })
}

/// A classic protection rule in the REST shape the judgement reads.
fn protection_of(rule: &Value) -> BranchProtection {
    let flag = |key: &str| rule.get(key).and_then(Value::as_bool);
    let reviews = flag("requiresApprovingReviews").and_then(|required| {
        required.then(|| {
            let mut allowances = Allowances::default();
            for node in rule
                .pointer("/bypassPullRequestAllowances/nodes")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let actor = node.get("actor").unwrap_or(&Value::Null);
                let text = |key: &str| actor.get(key).and_then(Value::as_str).map(str::to_string);
                let who = Reviewer {
                    login: text("login"),
                    slug: text("slug"),
                    name: text("name"),
                    id: None,
                };
                match actor.get("__typename").and_then(Value::as_str) {
                    Some("User") => allowances.users.push(who),
                    Some("Team") => allowances.teams.push(who),
                    // An app, or an actor the token may not see: still someone who bypasses.
                    _ => allowances.apps.push(who),
                }
            }
            PullRequestReviews {
                required_approving_review_count: rule
                    .get("requiredApprovingReviewCount")
                    .and_then(Value::as_u64),
                bypass_pull_request_allowances: Some(allowances),
            }
        })
    });
    BranchProtection {
        required_pull_request_reviews: reviews,
        allow_force_pushes: Some(Enabled {
            enabled: flag("allowsForcePushes"),
        }),
        enforce_admins: Some(Enabled {
            enabled: flag("isAdminEnforced"),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn repos() -> Vec<String> {
        vec!["acme/app".into(), "acme/lib".into()]
    }

    #[test]
    fn names_travel_as_variables() {
        let body = batch_query(&["acme/a\"b".to_string()]);
        assert_eq!(body["variables"]["n0"], "a\"b");
        assert!(!body["query"].as_str().unwrap().contains("a\"b"));
    }

    #[test]
    fn an_error_on_one_alias_sends_only_that_repository_to_rest() {
        let answer = json!({
            "data": {
                "r0": {
                    "nameWithOwner": "acme/app", "viewerCanAdminister": true,
                    "environments": { "totalCount": 0 },
                    "defaultBranchRef": {
                        "name": "main",
                        "branchProtectionRule": {
                            "requiresApprovingReviews": true, "requiredApprovingReviewCount": 2,
                            "isAdminEnforced": true, "allowsForcePushes": false,
                            "bypassPullRequestAllowances": { "totalCount": 1, "nodes": [
                                { "actor": { "__typename": "Team", "slug": "ops" } } ] }
                        },
                        "rules": { "totalCount": 1, "nodes": [ {
                            "type": "PULL_REQUEST",
                            "parameters": { "__typename": "PullRequestParameters", "requiredApprovingReviewCount": 1 },
                            "repositoryRuleset": { "databaseId": 7, "enforcement": "ACTIVE",
                                "bypassActors": { "totalCount": 0, "nodes": [] } } } ] }
                    }
                },
                "r1": null
            },
            "errors": [ { "path": ["r1"], "message": "Could not resolve to a Repository" } ]
        });
        let parsed = parse_batch(&answer, &repos());
        let app = parsed[0].as_ref().unwrap();
        assert_eq!(app.default_branch.as_deref(), Some("main"));
        let Fetch::Ok(p) = &app.protection else {
            panic!("protection")
        };
        let reviews = p.required_pull_request_reviews.as_ref().unwrap();
        assert_eq!(reviews.required_approving_review_count, Some(2));
        assert_eq!(
            reviews
                .bypass_pull_request_allowances
                .as_ref()
                .unwrap()
                .teams[0]
                .slug
                .as_deref(),
            Some("ops")
        );
        let rules = app.rules.as_ref().unwrap();
        assert_eq!(rules[0].kind, "pull_request");
        assert!(
            matches!(&app.ruleset, Some(Ok(r)) if r.bypass_actors.as_ref().unwrap().is_empty())
        );
        assert!(
            parsed[1]
                .as_ref()
                .unwrap_err()
                .contains("Could not resolve")
        );
    }

    #[test]
    fn without_admin_hidden_protection_and_bypass_actors_are_not_taken_as_none() {
        let answer = json!({ "data": { "r0": {
            "viewerCanAdminister": false, "environments": { "totalCount": 2 },
            "defaultBranchRef": { "name": "main", "branchProtectionRule": null,
                "rules": { "totalCount": 1, "nodes": [ { "type": "PULL_REQUEST",
                    "parameters": { "requiredApprovingReviewCount": 1 },
                    "repositoryRuleset": { "databaseId": 1, "enforcement": "ACTIVE", "bypassActors": null } } ] } }
        } } });
        let parsed = parse_batch(&answer, &repos()[..1]);
        let app = parsed[0].as_ref().unwrap();
        assert!(matches!(app.protection, Fetch::Failed(_)));
        assert!(matches!(app.ruleset, Some(Err(_))));
        assert_eq!(app.environments, Some(2));
    }

    #[test]
    fn an_error_without_a_path_sends_every_repository_to_rest() {
        let answer = json!({ "errors": [ { "message": "Something went wrong" } ] });
        assert!(parse_batch(&answer, &repos()).iter().all(Result::is_err));
    }

    #[test]
    fn more_rules_than_a_page_are_left_to_rest_and_evaluate_mode_is_skipped() {
        let answer = json!({ "data": { "r0": {
            "viewerCanAdminister": true, "environments": { "totalCount": 0 },
            "defaultBranchRef": { "name": "main", "branchProtectionRule": null,
                "rules": { "totalCount": 1, "nodes": [ { "type": "NON_FAST_FORWARD",
                    "repositoryRuleset": { "databaseId": 1, "enforcement": "EVALUATE" } } ] } }
        } } });
        let parsed = parse_batch(&answer, &repos()[..1]);
        assert!(
            parsed[0]
                .as_ref()
                .unwrap()
                .rules
                .as_ref()
                .unwrap()
                .is_empty()
        );
        let mut long = answer.clone();
        long["data"]["r0"]["defaultBranchRef"]["rules"]["totalCount"] = json!(101);
        let parsed = parse_batch(&long, &repos()[..1]);
        assert!(parsed[0].as_ref().unwrap().rules.is_none());
    }
}
