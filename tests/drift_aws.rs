//! `tollgate drift --aws` against moto on 127.0.0.1, started (and installed when missing) by
//! the test itself (issue 6, acceptance 1), and the example report in the docs.

#![cfg(all(test, feature = "drift"))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "fixtures/drift/github_server.rs"]
mod github_server;
#[path = "fixtures/drift/moto.rs"]
mod moto;
#[path = "fixtures/e2e/support.rs"]
mod support;

use std::path::Path;
use std::process::Output;

use github_server::{Answer, GitHub, corpus_routes, payload};
use moto::Moto;
use serde_json::{Value, json};
use support::{Repo, code, run, stderr, stdout, tollgate};

const ROLES_TF: &str = r#"# The deploy role, as code.
resource "aws_iam_role" "deploy" {
  name                 = "gha-deploy"
  max_session_duration = 3600
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Action    = "sts:AssumeRoleWithWebIdentity"
      Principal = { Federated = "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com" }
      Condition = {
        StringEquals = {
          "token.actions.githubusercontent.com:aud" = "sts.amazonaws.com"
          "token.actions.githubusercontent.com:sub" = "repo:acme/app:environment:production"
        }
      }
    }]
  })
}

resource "aws_iam_role_policy" "deploy_artifacts" {
  name = "deploy-artifacts"
  role = aws_iam_role.deploy.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Effect   = "Allow"
        Action   = ["s3:GetObject", "s3:PutObject"]
        Resource = "arn:aws:s3:::acme-artifacts/*"
      },
      {
        Effect   = "Allow"
        Action   = "cloudfront:CreateInvalidation"
        Resource = "*"
      }
    ]
  })
}

resource "aws_iam_policy" "read_only" {
  name   = "deploy-read"
  policy = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", Action = "ec2:Describe*", Resource = "*" }] })
}

resource "aws_iam_role_policy_attachment" "deploy_read" {
  role       = aws_iam_role.deploy.name
  policy_arn = aws_iam_policy.read_only.arn
}
"#;

fn trust(sub: &str) -> Value {
    // Keys and statements in another order than declared: the diff is semantic.
    json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Condition": { "StringEquals": {
                "token.actions.githubusercontent.com:sub": sub,
                "token.actions.githubusercontent.com:aud": "sts.amazonaws.com"
            } },
            "Principal": { "Federated": "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com" },
            "Action": ["sts:AssumeRoleWithWebIdentity"],
            "Effect": "Allow"
        }]
    })
}

fn artifacts(extra: bool) -> Value {
    let mut statements = vec![
        json!({ "Effect": "Allow", "Action": "cloudfront:CreateInvalidation", "Resource": ["*"] }),
        json!({ "Effect": "Allow", "Action": ["s3:PutObject", "s3:GetObject"], "Resource": "arn:aws:s3:::acme-artifacts/*" }),
    ];
    if extra {
        statements.push(json!({ "Effect": "Allow", "Action": "iam:PassRole", "Resource": "*" }));
    }
    json!({ "Version": "2012-10-17", "Statement": statements })
}

fn seed(moto: &Moto, sub: &str, max: u64, extra: bool, users: &[&str]) {
    moto.reset();
    moto.seed(&json!({
        "providers": ["https://token.actions.githubusercontent.com"],
        "roles": [{
            "name": "gha-deploy",
            "trust": trust(sub),
            "max": max,
            "inline": { "deploy-artifacts": artifacts(extra) },
            "managed": { "deploy-read": { "Version": "2012-10-17", "Statement": [{ "Effect": "Allow", "Action": "ec2:Describe*", "Resource": "*" }] } },
        }],
        "users": users,
    }));
}

fn aws_drift(repo: &Repo, moto: &Moto, args: &[&str]) -> Output {
    let mut cmd = tollgate();
    cmd.current_dir(repo.path())
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ENDPOINT_URL", &moto.url)
        // No instance-metadata lookups from a test.
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("GITHUB_TOKEN", "test-token")
        .args(["drift", "--aws"])
        .args(args);
    run(&mut cmd)
}

fn report_of(output: &Output) -> Value {
    serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}):\n{}\n{}", stdout(output), stderr(output)))
}

fn drifted(report: &Value) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = report["controls"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["status"] == "drifted")
        .map(|c| {
            (
                c["control"].as_str().unwrap().into(),
                c["subject"].as_str().unwrap().into(),
            )
        })
        .collect();
    out.sort();
    out
}

fn find<'a>(report: &'a Value, control: &str, subject: &str) -> &'a Value {
    report["controls"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["control"] == control && c["subject"] == subject)
        .unwrap_or_else(|| panic!("no {control} for {subject}: {report:#}"))
}

const ROLE: &str = "role `gha-deploy`";
const ROLE_CONTROLS: [&str; 8] = [
    "role-exists",
    "role-trust-policy",
    "role-max-session-duration",
    "role-path",
    "role-permissions-boundary",
    "role-inline-policies",
    "role-attached-policies",
    "role-oidc-trust-bounded",
];

#[test]
fn declared_roles_against_moto() {
    let Some(moto) = Moto::start() else {
        return;
    };
    let repo = Repo::with(&[("infra/iam.tf", ROLES_TF.as_bytes())]);

    // Matching: every role control compliant, nothing drifted.
    seed(
        &moto,
        "repo:acme/app:environment:production",
        3600,
        false,
        &[],
    );
    let output = aws_drift(&repo, &moto, &["--format", "json"]);
    let report = report_of(&output);
    assert_eq!(code(&output), 0, "{report:#}\n{}", stderr(&output));
    for control in ROLE_CONTROLS {
        assert_eq!(
            find(&report, control, ROLE)["status"],
            "compliant",
            "{control}: {report:#}"
        );
    }
    assert!(drifted(&report).is_empty(), "{report:#}");

    // Trust sub, MaxSessionDuration and one extra inline statement: exactly three drifts.
    seed(&moto, "repo:acme/app:environment:staging", 7200, true, &[]);
    let output = aws_drift(&repo, &moto, &["--format", "json"]);
    let report = report_of(&output);
    assert_eq!(code(&output), 1, "{report:#}");
    assert_eq!(
        drifted(&report),
        vec![
            ("role-inline-policies".to_string(), ROLE.to_string()),
            ("role-max-session-duration".to_string(), ROLE.to_string()),
            ("role-trust-policy".to_string(), ROLE.to_string()),
        ],
        "{report:#}"
    );
    let trust = find(&report, "role-trust-policy", ROLE);
    assert_eq!(trust["diff"].as_array().unwrap().len(), 1, "{trust:#}");
    let line = trust["diff"][0].as_str().unwrap();
    assert!(
        line.contains("production") && line.contains("staging"),
        "{line}"
    );
    assert_eq!(trust["declared_at"]["path"], "infra/iam.tf");
    assert_eq!(trust["declared_at"]["line"], 5);
    let session = find(&report, "role-max-session-duration", ROLE);
    assert_eq!(
        session["diff"][0],
        "MaxSessionDuration: declared 3600 s, live 7200 s"
    );
    assert_eq!(session["declared_at"]["line"], 4);
    let inline = find(&report, "role-inline-policies", ROLE);
    let diff = inline["diff"].as_array().unwrap();
    assert_eq!(diff.len(), 1, "{inline:#}");
    assert!(
        diff[0].as_str().unwrap().contains("iam:passrole"),
        "{inline:#}"
    );

    // An unbounded live trust and a CI user with a standing key.
    seed(
        &moto,
        "repo:acme/*",
        3600,
        false,
        &["github-actions-deploy"],
    );
    let output = aws_drift(&repo, &moto, &["--format", "json"]);
    let report = report_of(&output);
    assert_eq!(
        find(&report, "role-oidc-trust-bounded", ROLE)["status"],
        "drifted"
    );
    let user = find(&report, "user-access-keys", "user `github-actions-deploy`");
    assert_eq!(user["status"], "drifted", "{user:#}");
    assert!(
        user["live"].as_str().unwrap().contains("0 days old"),
        "{user:#}"
    );

    // A declared role missing live.
    moto.reset();
    let report = report_of(&aws_drift(&repo, &moto, &["--format", "json"]));
    assert_eq!(find(&report, "role-exists", ROLE)["status"], "drifted");
}

#[test]
fn without_aws_credentials_the_aws_checks_step_aside() {
    let repo = Repo::with(&[("infra/iam.tf", ROLES_TF.as_bytes())]);
    let mut cmd = tollgate();
    cmd.current_dir(repo.path())
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .args(["drift", "--aws", "--format", "json"]);
    let output = run(&mut cmd);
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    let report = report_of(&output);
    assert_eq!(report["skipped"][0]["target"], "aws:iam");
    assert!(
        report["skipped"][0]["reason"]
            .as_str()
            .unwrap()
            .starts_with("skipped: no AWS credentials")
    );
}

/// The example report in `docs/drift-report-example.md`: GitHub and AWS drift together. Set
/// `TOLLGATE_UPDATE_DOCS=1` to rewrite it; otherwise it must match (but for the date).
#[test]
fn the_example_report_in_the_docs_is_current() {
    let Some(moto) = Moto::start() else {
        return;
    };
    seed(&moto, "repo:acme/app:environment:staging", 7200, true, &[]);
    let mut routes = corpus_routes();
    let mut production =
        payload("GET_repos_OWNER_REPO_environments.json")["environments"][0].clone();
    production["name"] = json!("production");
    production["can_admins_bypass"] = json!(true);
    routes.insert(
        "/repos/acme/app/environments".into(),
        Answer::json(&json!({ "total_count": 1, "environments": [production] })),
    );
    let mut secrets = payload("GET_repos_OWNER_REPO_actions_secrets.json");
    secrets["secrets"].as_array_mut().unwrap().push(json!({
        "name": "AWS_SECRET_ACCESS_KEY", "created_at": "2026-01-10T10:59:22Z", "updated_at": "2026-01-10T10:59:22Z"
    }));
    secrets["total_count"] = json!(3);
    routes.insert(
        "/repos/acme/app/actions/secrets".into(),
        Answer::json(&secrets),
    );
    let github = GitHub::start(routes);
    let repo = Repo::with(&[
        ("infra/iam.tf", ROLES_TF.as_bytes()),
        (
            "tollgate.yml",
            b"environments:\n  production:\n    required_reviewers: [justice-league]\n    prevent_self_review: true\n    admins_can_bypass: false\n    deployment_branches: [main, \"release/*\"]\nallowed_unpinned_actions: [docker/*, monalisa/octocat]\n",
        ),
        (
            ".github/workflows/deploy.yml",
            b"on: push\npermissions: {}\njobs:\n  deploy:\n    runs-on: ubuntu-latest\n    environment: production\n    steps:\n      - run: echo deploy\n",
        ),
    ]);
    let output = aws_drift(
        &repo,
        &moto,
        &[
            "--github",
            "acme/app",
            "--github-api-url",
            &github.url,
            "--format",
            "markdown",
        ],
    );
    let markdown = stdout(&output);
    assert_eq!(code(&output), 1, "{markdown}\n{}", stderr(&output));
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/drift-report-example.md");
    let undated = |text: &str| {
        text.lines()
            .map(|l| match l.find(" on 20") {
                Some(at) if l.starts_with("The live settings") => l[..at].to_string(),
                _ => l.to_string(),
            })
            .collect::<Vec<_>>()
            .join("\n")
    };
    if std::env::var_os("TOLLGATE_UPDATE_DOCS").is_some() {
        std::fs::write(&path, &markdown).unwrap();
    }
    let written = std::fs::read_to_string(&path).unwrap_or_default();
    assert_eq!(
        undated(&written),
        undated(&markdown),
        "docs/drift-report-example.md is stale; rerun with TOLLGATE_UPDATE_DOCS=1"
    );
}

fn seed_managed(moto: &Moto, sub: &str, managed: Value) {
    moto.reset();
    moto.seed(&json!({
        "providers": ["https://token.actions.githubusercontent.com"],
        "roles": [{
            "name": "gha-deploy",
            "trust": trust(sub),
            "max": 3600,
            "inline": { "deploy-artifacts": artifacts(false) },
            "managed": managed,
        }],
        "users": [],
    }));
}

/// A1 (any branch, any environment), A2 (a Terraform reference matches nothing by itself)
/// and A3 (a customer-managed policy's document is compared), against moto.
#[test]
fn loose_subjects_references_and_managed_documents_are_never_compliant() {
    let Some(moto) = Moto::start() else {
        return;
    };
    let repo = Repo::with(&[("infra/iam.tf", ROLES_TF.as_bytes())]);
    let read = json!({ "deploy-read": { "Version": "2012-10-17", "Statement": [{ "Effect": "Allow", "Action": "ec2:Describe*", "Resource": "*" }] } });

    // A1: the live trust allows any branch or any environment of the repository.
    for sub in [
        "repo:acme/app:ref:refs/heads/*",
        "repo:acme/app:environment:*",
    ] {
        seed_managed(&moto, sub, read.clone());
        let report = report_of(&aws_drift(&repo, &moto, &["--format", "json"]));
        assert_eq!(
            find(&report, "role-oidc-trust-bounded", ROLE)["status"],
            "drifted",
            "{sub}: {report:#}"
        );
    }

    // A3: the declared `ec2:Describe*` policy is `iam:*` live.
    seed_managed(
        &moto,
        "repo:acme/app:environment:production",
        json!({ "deploy-read": { "Version": "2012-10-17", "Statement": [{ "Effect": "Allow", "Action": "iam:*", "Resource": "*" }] } }),
    );
    let report = report_of(&aws_drift(&repo, &moto, &["--format", "json"]));
    let attached = find(&report, "role-attached-policies", ROLE);
    assert_eq!(attached["status"], "drifted", "{attached:#}");
    assert!(
        attached["diff"].to_string().contains("iam:*"),
        "{attached:#}"
    );

    // A2: the subject and the attachment written as references.
    let tf = ROLES_TF
        .replace(
            "\"repo:acme/app:environment:production\"",
            "var.deploy_subject",
        )
        .replace(
            "policy_arn = aws_iam_policy.read_only.arn",
            "policy_arn = var.policy_arn",
        );
    let repo = Repo::with(&[("infra/iam.tf", tf.as_bytes())]);
    seed_managed(
        &moto,
        "repo:acme/other:environment:production",
        json!({ "AdministratorAccess": { "Version": "2012-10-17", "Statement": [{ "Effect": "Allow", "Action": "*", "Resource": "*" }] } }),
    );
    let report = report_of(&aws_drift(&repo, &moto, &["--format", "json"]));
    for control in ["role-trust-policy", "role-attached-policies"] {
        let c = find(&report, control, ROLE);
        assert_eq!(c["status"], "unknown", "{control}: {c:#}");
        assert!(
            c["reason"].as_str().unwrap().contains("var."),
            "{control}: {c:#}"
        );
    }
}

/// A declared break-glass role live: a session longer than its max_ttl is drifted; a role
/// within it and never used is compliant; a missing one is drifted.
#[test]
fn break_glass_roles_live_session_and_use() {
    let Some(moto) = Moto::start() else {
        return;
    };
    let policy = "break_glass:\n  - role: gha-deploy\n    approvers: [security-leads]\n    max_ttl: 1h\n  - role: gone-glass\n    max_ttl: 1h\n";
    let repo = Repo::with(&[
        ("infra/iam.tf", ROLES_TF.as_bytes()),
        ("tollgate.yml", policy.as_bytes()),
    ]);
    seed(
        &moto,
        "repo:acme/app:environment:production",
        3600,
        false,
        &[],
    );
    let report = report_of(&aws_drift(&repo, &moto, &["--format", "json"]));
    let used = find(&report, "break-glass-use", "break-glass role `gha-deploy`");
    assert_eq!(used["status"], "compliant", "{used:#}");
    assert!(
        used["live"].as_str().unwrap().contains("no use recorded"),
        "{used:#}"
    );
    assert_eq!(
        find(&report, "break-glass-use", "break-glass role `gone-glass`")["status"],
        "drifted"
    );
    seed(
        &moto,
        "repo:acme/app:environment:production",
        43200,
        false,
        &[],
    );
    let report = report_of(&aws_drift(&repo, &moto, &["--format", "json"]));
    let long = find(&report, "break-glass-use", "break-glass role `gha-deploy`");
    assert_eq!(long["status"], "drifted", "{long:#}");
    assert!(
        long["diff"][0].as_str().unwrap().contains("43200"),
        "{long:#}"
    );
}

/// An IAM stand-in that lists forever: every ListRoles and ListUsers page says IsTruncated with
/// a fresh Marker (moto cannot be made to do this). Answers in IAM's query-protocol XML.
fn endless_iam() -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    let server = tiny_http::Server::http("127.0.0.1:0").unwrap();
    let port = server.server_addr().to_ip().unwrap().port();
    let pages = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counted = std::sync::Arc::clone(&pages);
    std::thread::spawn(move || {
        for mut request in server.incoming_requests() {
            let mut body = String::new();
            let _ = std::io::Read::read_to_string(request.as_reader(), &mut body);
            let n = counted.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let action = body
                .split('&')
                .find_map(|p| p.strip_prefix("Action="))
                .unwrap_or_default()
                .to_string();
            let list = match action.as_str() {
                "ListRoles" => "Roles",
                "ListUsers" => "Users",
                _ => "Items",
            };
            let xml = format!(
                "<{action}Response xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\"><{action}Result><IsTruncated>true</IsTruncated><Marker>page-{n}</Marker><{list}/></{action}Result><ResponseMetadata><RequestId>r{n}</RequestId></ResponseMetadata></{action}Response>"
            );
            let response = tiny_http::Response::from_string(xml)
                .with_header(tiny_http::Header::from_bytes("Content-Type", "text/xml").unwrap());
            let _ = request.respond(response);
        }
    });
    (format!("http://127.0.0.1:{port}"), pages)
}

#[test]
fn an_endlessly_truncated_listing_ends_unknown_truncated_after_the_page_cap() {
    let (url, pages) = endless_iam();
    let repo = Repo::with(&[("README.md", b"no roles declared".as_slice())]);
    let started = std::time::Instant::now();
    let mut cmd = tollgate();
    cmd.current_dir(repo.path())
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ENDPOINT_URL", &url)
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .args(["drift", "--aws", "--format", "json"]);
    let output = run(&mut cmd);
    let elapsed = started.elapsed();
    assert!(
        elapsed < std::time::Duration::from_secs(120),
        "took {elapsed:?}"
    );
    let report = report_of(&output);
    for (control, subject, listing) in [
        ("role-oidc-trust-bounded", "live roles", "iam:ListRoles"),
        ("user-access-keys", "IAM users", "iam:ListUsers"),
    ] {
        let Some(found) = report["controls"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["control"] == control && c["subject"] == subject)
        else {
            panic!("no {control} for {subject}: {report:#}");
        };
        assert_eq!(found["status"], "unknown", "{found:#}");
        let reason = found["reason"].as_str().unwrap();
        assert!(
            reason.contains(listing) && reason.contains("truncated after 200 pages"),
            "{reason}"
        );
    }
    // Each listing stopped at the cap: no more than the cap's pages (and a retry or two) each.
    let served = pages.load(std::sync::atomic::Ordering::Relaxed);
    assert!((400..=410).contains(&served), "{served} pages served");
    // Every control unknown: the run cannot vouch for anything.
    assert_eq!(code(&output), 2, "{}", stderr(&output));
}

const BOUNDARY: &str = "arn:aws:iam::aws:policy/PowerUserAccess";

fn seed_placed(moto: &Moto, path: Option<&str>, boundary: Option<&str>) {
    moto.reset();
    moto.seed(&json!({
        "providers": ["https://token.actions.githubusercontent.com"],
        "roles": [{
            "name": "gha-deploy",
            "trust": trust("repo:acme/app:environment:production"),
            "max": 3600,
            "path": path,
            "boundary": boundary,
            "inline": { "deploy-artifacts": artifacts(false) },
            "managed": { "deploy-read": { "Version": "2012-10-17", "Statement": [{ "Effect": "Allow", "Action": "ec2:Describe*", "Resource": "*" }] } },
        }],
    }));
}

#[test]
fn a4_a5_the_role_path_and_permissions_boundary_are_compared() {
    let Some(moto) = Moto::start() else {
        return;
    };
    let placed = ROLES_TF.replacen(
        "max_session_duration = 3600",
        &format!("max_session_duration = 3600\n  path                 = \"/ci/\"\n  permissions_boundary = \"{BOUNDARY}\""),
        1,
    );
    let repo = Repo::with(&[("infra/iam.tf", placed.as_bytes())]);

    // As declared: both compliant.
    seed_placed(&moto, Some("/ci/"), Some(BOUNDARY));
    let report = report_of(&aws_drift(&repo, &moto, &["--format", "json"]));
    for control in ["role-path", "role-permissions-boundary"] {
        assert_eq!(
            find(&report, control, ROLE)["status"],
            "compliant",
            "{report:#}"
        );
    }

    // Moved to `/` and the boundary removed: both drifted, each saying what differs.
    seed_placed(&moto, None, None);
    let report = report_of(&aws_drift(&repo, &moto, &["--format", "json"]));
    let path = find(&report, "role-path", ROLE);
    assert_eq!(path["status"], "drifted", "{path:#}");
    assert!(
        path["diff"][0]
            .as_str()
            .unwrap()
            .contains("declared `/ci/`, live `/`"),
        "{path:#}"
    );
    let boundary = find(&report, "role-permissions-boundary", ROLE);
    assert_eq!(boundary["status"], "drifted", "{boundary:#}");
    assert!(
        boundary["diff"][0]
            .as_str()
            .unwrap()
            .contains("is not set live"),
        "{boundary:#}"
    );

    // A boundary set live that the repository does not declare is drift too.
    let bare = Repo::with(&[("infra/iam.tf", ROLES_TF.as_bytes())]);
    seed_placed(&moto, None, Some(BOUNDARY));
    let report = report_of(&aws_drift(&bare, &moto, &["--format", "json"]));
    assert_eq!(
        find(&report, "role-permissions-boundary", ROLE)["status"],
        "drifted"
    );
    assert_eq!(find(&report, "role-path", ROLE)["status"], "compliant");

    // A boundary known only at apply time is unknown, never compliant.
    let referenced = ROLES_TF.replacen(
        "max_session_duration = 3600",
        "max_session_duration = 3600\n  permissions_boundary = var.boundary_arn",
        1,
    );
    let repo = Repo::with(&[("infra/iam.tf", referenced.as_bytes())]);
    let report = report_of(&aws_drift(&repo, &moto, &["--format", "json"]));
    assert_eq!(
        find(&report, "role-permissions-boundary", ROLE)["status"],
        "unknown"
    );
}
