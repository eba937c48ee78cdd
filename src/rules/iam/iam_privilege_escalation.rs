//! `iam-privilege-escalation`: policies that grant a known privilege-escalation path.

use std::collections::HashMap;
use std::sync::LazyLock;

use super::actions::{self, Db};
use super::{is_pattern, is_templated};
use crate::finding::{Location, Severity};
use crate::model::iam::{self, Condition, Policy, Statement};
use crate::model::principals::{self, Identity, IdentityKind};
use crate::rules::{Cx, Rule, RuleMeta};
use crate::source::{Route, SourceFile};

pub struct IamPrivilegeEscalation;

crate::rule_meta!(
    IamPrivilegeEscalation,
    "iam-privilege-escalation",
    Severity::High,
    "IAM policy grants a known privilege-escalation path",
    r#"## What it does
Reports identities and policies whose `Allow` statements grant every action of a known
privilege-escalation method. The methods are data, `rules/iam/privilege-escalation.tsv`, one a
row with its source: Rhino Security Labs' 21 methods, Bishop Fox's iam-vulnerable paths
(SageMaker `CreateTrainingJob`/`CreateProcessingJob` with `iam:PassRole`,
`CreatePresignedNotebookInstanceUrl`, SSM `SendCommand`/`StartSession`, EC2 Instance Connect
`SendSSHPublicKey`, CloudFormation `UpdateStack`, CodeBuild), cloudsplaining's list and
pathfinding.cloud's (permissions boundaries, launch templates, ECS, Glue jobs, CodeBuild
buildspec overrides, change sets).

How it judges:
- **Per principal.** Every role, user and group the repository declares is judged on the
  union of the policies that apply to it: inline policies, `aws_iam_*_policy`,
  `aws_iam_*_policy_attachment`, `aws_iam_policy_attachment`, `managed_policy_arns`,
  customer-managed policies, `aws_iam_policy_document` data sources, CloudFormation
  `Policies` and `ManagedPolicyArns`, and a user's groups. In Terraform the files of one
  module (one folder) are read together, as Terraform does: a role in `iam.tf` holds the
  attachment written in `policies.tf` and the document in `documents.tf`; a CloudFormation
  template is its own stack. An escalation split across two policies or files is found, at
  the first action of the path, with the principal named; an `Allow` in one policy and an
  unconditional `Deny` on `*` in another cancel. A policy attached to no declared principal
  (or to one held in a variable or another module) is judged on its own.
- **Explicit deny.** A `Deny` (or `NotAction` deny) on `Resource: "*"` without conditions
  removes the actions it matches; a conditional deny is not counted, since it may not apply.
- **`NotAction`.** An `Allow` with `NotAction` grants every action not listed, and counts.
- **Resources.** The actions count on a wildcard resource, on `NotResource`, and on the
  principal's own ARN or its own attached customer-managed policy (self-modification:
  `iam:UpdateAssumeRolePolicy`/`PutRolePolicy`/`AttachRolePolicy` on its own role,
  `iam:CreatePolicyVersion` on its own policy, `iam:PutUserPolicy` on
  `user/${aws:username}`). A grant on one other named resource (one function, one stack) is
  what a deploy needs and does not count. `iam:CreateAccessKey` and the login-profile actions
  on `${aws:username}` manage the caller's own credentials and do not count. AWS-managed policy
  ARNs (`arn:aws:iam::aws:policy/*`) cannot be changed by a customer, so
  `iam:CreatePolicyVersion`/`SetDefaultPolicyVersion` on them do not count.
- **`iam:PassRole`** counts on an unconstrained role ARN (`*`, `role/*`). An
  `iam:PassedToService` condition limits it to the services named: the path is open only when
  one of them is the method's compute service (`lambda.amazonaws.com` for a new Lambda
  function); passing to a service that cannot run the caller's code closes it.
- **Conditions.** A condition that binds the action to things the caller does not control
  closes the path: `aws:ResourceTag/…` or `iam:ResourceTag/…` (unless the same principal may
  also tag that service's resources), `aws:PrincipalArn` naming another principal, and
  `iam:PolicyARN` limiting attachments to AWS-managed policies other than
  `AdministratorAccess`/`IAMFullAccess`, and a time that can never come again (`aws:CurrentTime`,
  `aws:EpochTime` or `aws:TokenIssueTime` `DateLessThan` a day already past: a token issued
  now was not issued before 2020). Conditions on region, source IP, MFA or VPC do not, nor a
  time window that is open now or opens later: the caller meets them from the right place at
  the right time. Negated operators
  (`StringNotEquals`) and `Null` do not close a path either.

## Why is this bad
Each path lets the holder of a limited credential give itself more: a new default policy
version with `*:*`, an access key for an administrator, a Lambda function or a SageMaker job
running as a more privileged role, a shell on an instance through SSM. An approval gate in
front of a credential that can escalate gates nothing.

## Example
```json
{"Effect": "Allow", "Action": ["iam:PassRole", "lambda:CreateFunction", "lambda:InvokeFunction"], "Resource": "*"}
```

## Use instead
```json
{"Effect": "Allow", "Action": "iam:PassRole",
 "Resource": "arn:aws:iam::123456789012:role/app-runtime",
 "Condition": {"StringEquals": {"iam:PassedToService": "lambda.amazonaws.com"}}}
```

## References
- https://rhinosecuritylabs.com/aws/aws-privilege-escalation-methods-mitigation/
- https://github.com/BishopFox/iam-vulnerable
- https://pathfinding.cloud/
- https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_passrole.html
- https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
"#
);

struct Method {
    name: &'static str,
    actions: Vec<&'static str>,
    /// Indexes into [`RELEVANT`].
    needs: Vec<usize>,
    /// Service principals (`lambda`) the passed role must be passable to.
    passed_to: Vec<&'static str>,
}

/// Every action any method needs, lower-cased.
static RELEVANT: LazyLock<Vec<String>> = LazyLock::new(|| {
    let mut all: Vec<String> = METHODS
        .iter()
        .flat_map(|m| m.actions.iter().map(|a| a.to_ascii_lowercase()))
        .collect();
    all.sort();
    all.dedup();
    all
});

const TABLE: &str = include_str!("../../../rules/iam/privilege-escalation.tsv");

static METHODS: LazyLock<Vec<Method>> = LazyLock::new(|| {
    TABLE
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .filter_map(|line| {
            let mut fields = line.split('\t');
            let name = fields.next()?;
            let actions: Vec<&str> = fields.next()?.split(',').collect();
            let passed_to = fields
                .next()?
                .split(',')
                .filter(|s| *s != "-" && !s.is_empty())
                .collect();
            Some(Method {
                name,
                actions,
                needs: Vec::new(),
                passed_to,
            })
        })
        .collect::<Vec<_>>()
});

/// The methods with their actions' indexes in [`RELEVANT`].
static INDEXED: LazyLock<Vec<Method>> = LazyLock::new(|| {
    METHODS
        .iter()
        .map(|m| Method {
            name: m.name,
            actions: m.actions.clone(),
            needs: m
                .actions
                .iter()
                .filter_map(|a| RELEVANT.binary_search(&a.to_ascii_lowercase()).ok())
                .collect(),
            passed_to: m.passed_to.clone(),
        })
        .collect()
});

const PASSROLE: &str = "iam:passrole";

/// Actions that escalate when aimed at the principal itself.
fn self_modifying(kind: IdentityKind, action: &str) -> bool {
    let own: &[&str] = match kind {
        IdentityKind::Role => &[
            "iam:updateassumerolepolicy",
            "iam:putrolepolicy",
            "iam:attachrolepolicy",
            "iam:deleterolepermissionsboundary",
            "iam:putrolepermissionsboundary",
        ],
        IdentityKind::User => USER_SELF,
        IdentityKind::Group => &["iam:putgrouppolicy", "iam:attachgrouppolicy"],
    };
    own.contains(&action)
}

/// What a user may do to `user/${aws:username}` that raises its own privileges.
const USER_SELF: &[&str] = &[
    "iam:putuserpolicy",
    "iam:attachuserpolicy",
    "iam:deleteuserpermissionsboundary",
    "iam:putuserpermissionsboundary",
];

const POLICY_VERSION: &[&str] = &["iam:createpolicyversion", "iam:setdefaultpolicyversion"];

/// Whether one resource value lets `action` escalate.
fn reaches(resource: &str, action: &str, identity: Option<&Identity>) -> bool {
    if resource.contains("${aws:username}") {
        return USER_SELF.contains(&action);
    }
    if resource.contains('*') {
        // AWS-managed policies cannot be given a new version by a customer.
        let aws_managed = resource.starts_with("arn:aws") && resource.contains(":iam::aws:policy");
        return !(aws_managed && POLICY_VERSION.contains(&action));
    }
    identity.is_some_and(|id| {
        (self_modifying(id.kind, action) && id.is_named_by(resource))
            || (POLICY_VERSION.contains(&action) && id.names_own_policy(resource))
    })
}

/// `iam:PassRole` on any role.
fn any_role(statement: &Statement) -> bool {
    statement.not_resource
        || statement.resources.is_empty()
        || statement
            .resources
            .iter()
            .any(|r| r.text == "*" || r.text.ends_with(":role/*") || r.text.ends_with(":*"))
}

/// Positive operators bind; `StringNotEquals`, `ArnNotLike` and `Null` leave the path open.
fn binds(condition: &Condition) -> bool {
    let op = condition.base_operator();
    !op.contains("Not") && op != "Null"
}

/// The services an `iam:PassedToService` condition allows, `None` when unbounded.
fn passed_to(statement: &Statement) -> Option<Vec<String>> {
    statement
        .conditions
        .iter()
        .find(|c| c.key.eq_ignore_ascii_case("iam:PassedToService") && binds(c))
        .map(|c| {
            c.values
                .iter()
                .map(|v| v.text.to_ascii_lowercase())
                .collect()
        })
}

/// An `aws:PrincipalArn` value that can name this identity.
fn names_identity(value: &str, id: &Identity) -> bool {
    if is_templated(value) {
        return true;
    }
    let lower = value.to_ascii_lowercase();
    let marker = format!(":{}/", id.kind.word());
    if lower != "*" && !lower.contains(&marker) {
        return false;
    }
    let last = lower.rsplit('/').next().unwrap_or(&lower);
    actions::matches_lower(last, &id.name.to_ascii_lowercase())
}

/// Seconds since 1970 of a date (`2020-01-01`, `2020-01-01T00:00:01Z`), or a number of
/// seconds as `aws:EpochTime` is written; `None` when it is not one.
fn epoch_seconds(text: &str) -> Option<i64> {
    let text = text.trim();
    if let Ok(seconds) = text.parse::<i64>() {
        return Some(seconds);
    }
    let date = text.get(..10)?;
    let mut parts = date.split('-');
    let year: i64 = parts.next()?.parse().ok()?;
    let month: i64 = parts.next()?.parse().ok()?;
    let day: i64 = parts.next()?.parse().ok()?;
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return None;
    }
    // Days from the civil date (Howard Hinnant's algorithm), at midnight UTC.
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    Some((era * 146_097 + doe - 719_468) * 86_400)
}

/// A condition that can never hold again: the time now (`aws:CurrentTime`, `aws:EpochTime`)
/// or the caller's token issue time (`aws:TokenIssueTime`, never later than now) before a day
/// already past. A window that is open now, or opens later, leaves the path open.
fn expired(condition: &Condition) -> bool {
    let key = condition.key.to_ascii_lowercase();
    let op = condition.base_operator();
    let before = matches!(
        op,
        "DateLessThan" | "DateLessThanEquals" | "NumericLessThan" | "NumericLessThanEquals"
    );
    let clock = matches!(
        key.as_str(),
        "aws:currenttime" | "aws:epochtime" | "aws:tokenissuetime"
    );
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
    // A day's margin, so a date of today in any time zone is not called past.
    before
        && clock
        && !condition.operator.contains("IfExists")
        && !condition.values.is_empty()
        && condition
            .values
            .iter()
            .all(|v| epoch_seconds(v.text).is_some_and(|t| t + 86_400 < now))
}

/// AWS-managed policies that grant administration when attached.
fn admin_policy(arn: &str) -> bool {
    let name = arn.rsplit('/').next().unwrap_or(arn);
    name.contains('*') || name == "AdministratorAccess" || name == "IAMFullAccess"
}

/// The actions of one statement among [`RELEVANT`], each with the route to point at.
fn relevant<'s>(statement: &'s Statement) -> Vec<(usize, &'s Route)> {
    let mut out = Vec::new();
    if statement.not_action {
        let listed: Vec<String> = statement
            .actions
            .iter()
            .filter(|a| !is_templated(a.text))
            .map(|a| a.text.to_ascii_lowercase())
            .collect();
        for (i, action) in RELEVANT.iter().enumerate() {
            if !listed.iter().any(|p| actions::matches_lower(p, action)) {
                out.push((i, &statement.action_route));
            }
        }
        return out;
    }
    for value in statement.actions.iter().filter(|a| !is_templated(a.text)) {
        let lower = value.text.to_ascii_lowercase();
        if is_pattern(&lower) {
            for (i, action) in RELEVANT.iter().enumerate() {
                if actions::matches_lower(&lower, action) {
                    out.push((i, &value.route));
                }
            }
        } else if let Ok(i) = RELEVANT.binary_search(&lower) {
            out.push((i, &value.route));
        }
    }
    out
}

/// Whether the statements let the principal tag resources of `service` (so that a
/// `ResourceTag` condition is one it can meet).
fn can_tag(db: &Db, service: &str, statements: &[&Statement]) -> bool {
    let tags: Vec<String> = db
        .expand(&format!("{service}:Tag*"))
        .iter()
        .map(|a| a.name.to_ascii_lowercase())
        .collect();
    statements.iter().any(|s| {
        s.allow
            && s.conditions.is_empty()
            && s.actions.iter().any(|a| {
                let p = a.text.to_ascii_lowercase();
                tags.iter().any(|t| actions::matches_lower(&p, t)) != s.not_action
            })
    })
}

/// Whether the statement's conditions leave `action` usable by the principal. `tagging`
/// remembers [`can_tag`] per service, so a policy of many tag-bound statements stays linear.
fn conditions_open(
    db: &Db,
    statement: &Statement,
    action: &str,
    identity: Option<&Identity>,
    statements: &[&Statement],
    tagging: &mut HashMap<String, bool>,
) -> bool {
    statement.conditions.iter().filter(|c| binds(c)).all(|c| {
        let key = c.key.to_ascii_lowercase();
        if key.contains(":resourcetag/") {
            let service = action.split(':').next().unwrap_or("");
            return *tagging
                .entry(service.to_owned())
                .or_insert_with(|| can_tag(db, service, statements));
        }
        if key == "aws:principalarn" {
            return identity.is_none_or(|id| c.values.iter().any(|v| names_identity(v.text, id)));
        }
        if expired(c) {
            return false;
        }
        if key == "iam:policyarn" && action.starts_with("iam:attach") {
            return c
                .values
                .iter()
                .any(|v| !v.text.contains(":iam::aws:policy/") || admin_policy(v.text));
        }
        true
    })
}

/// One grant of an action: where, whether only on the principal itself, and for
/// `iam:PassRole` the services it may go to.
struct Grant<'p> {
    /// The file of the statement, when it is not the file being checked.
    path: Option<&'p str>,
    route: Route,
    on_self: bool,
    services: Option<Vec<String>>,
}

/// A policy of a principal and the file it is written in, when not the one being checked.
type Held<'p, 'a> = (Option<&'p str>, &'p Policy<'a>);

/// A place a finding points at: another file's path (or none), and the route there.
type At = (Option<String>, Route);

/// The escalation methods a set of policies grants, each at its first action.
fn methods(db: &Db, policies: &[Held], identity: Option<&Identity>) -> Vec<(At, String)> {
    let statements: Vec<(Option<&str>, &Statement)> = policies
        .iter()
        .flat_map(|(path, p)| p.statements.iter().map(move |s| (*path, s)))
        .filter(|(_, s)| s.principals.is_empty())
        .collect();
    let only: Vec<&Statement> = statements.iter().map(|(_, s)| *s).collect();
    let mut grants: Vec<Vec<Grant>> = (0..RELEVANT.len()).map(|_| Vec::new()).collect();
    let mut denied = vec![false; RELEVANT.len()];
    let mut tagging = HashMap::new();
    for &(path, statement) in &statements {
        let matched = relevant(statement);
        if matched.is_empty() {
            continue;
        }
        if !statement.allow {
            if statement.conditions.is_empty() && statement.resource_is_star() {
                for (i, _) in matched {
                    denied[i] = true;
                }
            }
            continue;
        }
        for (i, route) in matched {
            // One unconditional grant of an action is all a method needs.
            if grants[i].iter().any(|g| g.services.is_none() && !g.on_self) {
                continue;
            }
            let action = RELEVANT[i].as_str();
            let (open, on_self) = if action == PASSROLE {
                (any_role(statement), false)
            } else if statement.not_resource || statement.resources.is_empty() {
                (true, false)
            } else {
                let wild = statement
                    .resources
                    .iter()
                    .any(|r| reaches(r.text, action, None));
                let own = !wild
                    && statement
                        .resources
                        .iter()
                        .any(|r| reaches(r.text, action, identity));
                (wild || own, own)
            };
            if !open || !conditions_open(db, statement, action, identity, &only, &mut tagging) {
                continue;
            }
            let services = (action == PASSROLE).then(|| passed_to(statement)).flatten();
            grants[i].push(Grant {
                path,
                route: route.clone(),
                on_self,
                services,
            });
        }
    }
    let mut out = Vec::new();
    for method in INDEXED.iter() {
        if method.needs.len() != method.actions.len() {
            continue;
        }
        let mut first: Option<&Grant> = None;
        let mut on_self = false;
        let all = method.needs.iter().all(|&i| {
            if denied[i] {
                return false;
            }
            let usable = grants[i].iter().find(|g| match &g.services {
                None => true,
                Some(services) => services.iter().any(|s| {
                    is_templated(s)
                        || method.passed_to.iter().any(|stem| {
                            s.strip_prefix(stem)
                                .is_some_and(|rest| rest.is_empty() || rest.starts_with('.'))
                        })
                }),
            });
            if let Some(g) = usable {
                first.get_or_insert(g);
                on_self |= g.on_self;
            }
            usable.is_some()
        });
        let Some(first) = first.filter(|_| all) else {
            continue;
        };
        let target = if on_self { " on itself" } else { "" };
        out.push((
            (first.path.map(str::to_owned), first.route.clone()),
            format!("`{}` ({}){target}", method.name, method.actions.join(" + ")),
        ));
    }
    out
}

/// Findings at one place: the methods, and who holds them (empty: a policy on its own).
struct Place {
    at: At,
    methods: Vec<String>,
    holders: Vec<String>,
}

impl Rule for IamPrivilegeEscalation {
    fn meta(&self) -> &'static RuleMeta {
        Self::META
    }

    fn check_policies(&self, cx: &mut Cx, file: &SourceFile, policies: &[Policy]) {
        let Some(db) = actions::db() else {
            return;
        };
        let repo = cx.repo;
        let mut places: Vec<Place> = Vec::new();
        let mut add = |found: Vec<(At, String)>, holder: Option<String>| {
            for (at, method) in found {
                let place = match places.iter().position(|p| p.at == at) {
                    Some(i) => &mut places[i],
                    None => {
                        places.push(Place {
                            at,
                            methods: Vec::new(),
                            holders: Vec::new(),
                        });
                        let last = places.len() - 1;
                        &mut places[last]
                    }
                };
                if !place.methods.contains(&method) {
                    place.methods.push(method);
                }
                if let Some(h) = &holder
                    && !place.holders.contains(h)
                {
                    place.holders.push(h.clone());
                }
            }
        };
        let holder = |id: &Identity| format!("{} `{}`", id.kind.word(), id.name);
        match repo.module_principals(&file.path) {
            // A Terraform file in the repository: its module's principals, across files.
            Some(view) => {
                let declared: Vec<&principals::ModuleIdentity> = view
                    .identities
                    .iter()
                    .filter(|m| m.path == file.path && !m.policies.is_empty())
                    .collect();
                // The module's other files these identities' policies are written in.
                let mut foreign: HashMap<&str, Vec<Policy>> = HashMap::new();
                for policy in declared.iter().flat_map(|m| &m.policies) {
                    if policy.path != file.path && !foreign.contains_key(policy.path.as_str()) {
                        let read = repo.file(&policy.path).map(iam::policies);
                        foreign.insert(policy.path.as_str(), read.unwrap_or_default());
                    }
                }
                for module_identity in declared {
                    let set: Vec<Held> = module_identity
                        .policies
                        .iter()
                        .filter_map(|r| {
                            if r.path == file.path {
                                let p = policies.iter().find(|p| p.route == r.route)?;
                                return Some((None, p));
                            }
                            let p = foreign.get(r.path.as_str())?;
                            let p = p.iter().find(|p| p.route == r.route)?;
                            Some((Some(r.path.as_str()), p))
                        })
                        .collect();
                    let identity = &module_identity.identity;
                    add(methods(db, &set, Some(identity)), Some(holder(identity)));
                }
                for policy in policies {
                    let alone = view
                        .unattached
                        .iter()
                        .any(|r| r.path == file.path && r.route == policy.route);
                    if alone {
                        add(methods(db, &[(None, policy)], None), None);
                    }
                }
            }
            None => {
                let holders = principals::holders(file, policies);
                for identity in &holders.identities {
                    let set: Vec<Held> = identity
                        .policies
                        .iter()
                        .filter_map(|&i| policies.get(i).map(|p| (None, p)))
                        .collect();
                    if !set.is_empty() {
                        add(methods(db, &set, Some(identity)), Some(holder(identity)));
                    }
                }
                for &i in &holders.unattached {
                    if let Some(policy) = policies.get(i) {
                        add(methods(db, &[(None, policy)], None), None);
                    }
                }
            }
        }
        for place in places {
            let held = match place.holders.as_slice() {
                [] => String::new(),
                [one] => format!("; held by {one}"),
                [first, rest @ ..] => format!("; held by {first} and {} more", rest.len()),
            };
            let message = if place.methods.len() == 1 {
                format!(
                    "grants the privilege-escalation path {}{held}",
                    place.methods[0]
                )
            } else {
                let shown: Vec<&str> = place.methods.iter().take(3).map(String::as_str).collect();
                let more = place.methods.len().saturating_sub(3);
                let tail = if more > 0 {
                    format!(" and {more} more")
                } else {
                    String::new()
                };
                format!(
                    "grants {} privilege-escalation paths: {}{tail}{held}",
                    place.methods.len(),
                    shown.join(", ")
                )
            };
            let (path, route) = place.at;
            let location = match path {
                Some(path) => Location::value(route).in_file(path),
                None => Location::value(route),
            };
            cx.report(Self::META.finding(message, location));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_method_names_real_actions_and_a_source() {
        let db = actions::db().unwrap();
        assert!(INDEXED.len() >= 50, "{}", INDEXED.len());
        for line in TABLE
            .lines()
            .filter(|l| !l.starts_with('#') && !l.is_empty())
        {
            let fields: Vec<&str> = line.split('\t').collect();
            assert_eq!(fields.len(), 4, "{line}");
            assert!(fields[3].starts_with("https://"), "{line}");
            for action in fields[1].split(',') {
                assert!(db.lookup(action).is_some(), "{action} is not an AWS action");
            }
            let passes = fields[1].to_ascii_lowercase().contains(PASSROLE);
            assert_eq!(passes, fields[2] != "-", "{line}");
        }
        for method in INDEXED.iter() {
            assert_eq!(method.needs.len(), method.actions.len(), "{}", method.name);
        }
    }
}
