#!/usr/bin/env python3
"""A stand-in GitHub organisation of N repositories on 127.0.0.1, for benches/drift_org.sh.

Every REST answer is one of GitHub's own example payloads (tests/fixtures/drift/github-api/,
from github/rest-api-description; see PROVENANCE.md there), renamed and changed only in the
fields the schema lets vary (names, booleans, lists). GraphQL (POST /graphql) answers the
fields of GitHub's public schema that tollgate asks for (Repository.environments.totalCount,
Ref.branchProtectionRule, Ref.rules with RepositoryRuleset.bypassActors), with the same state
the REST routes describe, so a run over REST and a run over GraphQL must agree.

Every answer carries an ETag (a hash of its body) and a request with a matching If-None-Match
gets 304 Not Modified, as GitHub does. Counts of requests by kind are kept and served at
GET /__stats (not a GitHub route; the bench reads it).

The organisation, for repository i (names repo-0000 …):
- every 50th is archived;
- a third (i % 3 == 0) have `staging` and `production`; production has a Team reviewer,
  self-review prevented on half of them, custom branch policies on half, protected branches
  on the other half;
- a tenth (i % 10 == 1) have three preview environments;
- a quarter (i % 4 == 3) have no classic branch protection;
- a seventh (i % 7 == 0) store an AWS_SECRET_ACCESS_KEY secret;
- a fifth (i % 5 == 0) have the example ruleset rules on the default branch.

--org-workflow example serves GitHub's example organisation token settings
(can_approve_pull_request_reviews: true, so every repository's own setting must be read);
--org-workflow restricted serves the same with it false (GitHub's default for new
organisations), which repositories cannot loosen.
"""

import argparse
import copy
import hashlib
import json
import os
import re
import socket
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

HERE = os.path.dirname(os.path.abspath(__file__))
EXAMPLES = os.path.join(HERE, "..", "tests", "fixtures", "drift", "github-api")


def example(name):
    with open(os.path.join(EXAMPLES, name), encoding="utf-8") as f:
        return json.load(f)


class Org:
    def __init__(self, name, count, org_workflow):
        self.name = name
        self.count = count
        self.repos = [f"repo-{i:04d}" for i in range(count)]
        self.org_workflow = org_workflow
        self.env_example = example("GET_repos_OWNER_REPO_environments.json")["environments"][0]
        self.protection_example = example("GET_repos_OWNER_REPO_branches_BRANCH_protection.json")
        self.rules_example = example("GET_repos_OWNER_REPO_rules_branches_BRANCH.json")
        self.secrets_example = example("GET_repos_OWNER_REPO_actions_secrets.json")
        self.policies_example = example(
            "GET_repos_OWNER_REPO_environments_ENVIRONMENT_NAME_deployment-branch-policies.json"
        )

    # --- the state of repository i -------------------------------------------------------

    def archived(self, i):
        return i % 50 == 49

    def environments(self, i):
        envs = []
        if i % 3 == 0:
            staging = copy.deepcopy(self.env_example)
            staging["name"] = "staging"
            staging["protection_rules"] = []
            staging["deployment_branch_policy"] = None
            envs.append(staging)
            production = copy.deepcopy(self.env_example)
            production["name"] = "production"
            production["can_admins_bypass"] = False
            for rule in production["protection_rules"]:
                if rule["type"] == "required_reviewers":
                    rule["prevent_self_review"] = i % 2 == 0
                    for reviewer in rule["reviewers"]:
                        if reviewer["type"] == "User":
                            reviewer["type"] = "Team"
                            reviewer["reviewer"] = {"id": 1, "slug": "justice-league", "name": "Justice League"}
            custom = i % 6 == 0
            production["deployment_branch_policy"] = {
                "protected_branches": not custom,
                "custom_branch_policies": custom,
            }
            envs.append(production)
        if i % 10 == 1:
            for k in range(1, 4):
                preview = copy.deepcopy(self.env_example)
                preview["name"] = f"preview-{k}"
                preview["protection_rules"] = []
                preview["deployment_branch_policy"] = None
                envs.append(preview)
        return envs

    def protected(self, i):
        return i % 4 != 3

    def protection(self):
        p = copy.deepcopy(self.protection_example)
        p["allow_force_pushes"]["enabled"] = False
        return p

    def rules(self, i):
        return copy.deepcopy(self.rules_example) if i % 5 == 0 else []

    def secrets(self, i):
        s = copy.deepcopy(self.secrets_example)
        if i % 7 == 0:
            s["secrets"].append({"name": "AWS_SECRET_ACCESS_KEY", "created_at": "2020-01-10T10:59:22Z",
                                 "updated_at": "2020-01-11T11:59:22Z"})
            s["total_count"] = len(s["secrets"])
        return s

    def index(self, repo):
        return self.repos.index(repo) if repo in self.repos else None

    # --- REST ----------------------------------------------------------------------------

    def rest(self, path, query):
        org = f"/orgs/{self.name}"
        if path == f"{org}/repos":
            page = int(query.get("page", ["1"])[0])
            per = int(query.get("per_page", ["30"])[0])
            names = self.repos[(page - 1) * per: page * per]
            return 200, [
                {"id": self.index(n) + 1, "name": n, "full_name": f"{self.name}/{n}",
                 "default_branch": "main", "archived": self.archived(self.index(n)), "disabled": False}
                for n in names
            ]
        if path == f"{org}/actions/permissions/workflow":
            w = example("GET_orgs_ORG_actions_permissions_workflow.json")
            if self.org_workflow == "restricted":
                w["can_approve_pull_request_reviews"] = False
            return 200, w
        for suffix, name in [
            ("/actions/permissions", "GET_orgs_ORG_actions_permissions.json"),
            ("/actions/permissions/selected-actions", "GET_orgs_ORG_actions_permissions_selected-actions.json"),
            ("/actions/oidc/customization/sub", "GET_orgs_ORG_actions_oidc_customization_sub.json"),
            ("/actions/secrets", "GET_orgs_ORG_actions_secrets.json"),
        ]:
            if path == org + suffix:
                return 200, example(name)
        m = re.fullmatch(rf"/repos/{re.escape(self.name)}/([^/]+)(/.*)?", path)
        if not m or self.index(m.group(1)) is None:
            return 404, {"message": "Not Found"}
        i, rest = self.index(m.group(1)), m.group(2) or ""
        if rest == "":
            info = example("GET_repos_OWNER_REPO.tollgate.json")
            info.update({"name": m.group(1), "full_name": f"{self.name}/{m.group(1)}", "default_branch": "main"})
            return 200, info
        if rest == "/environments":
            envs = self.environments(i)
            return 200, {"total_count": len(envs), "environments": envs}
        em = re.fullmatch(r"/environments/([^/]+)/(secrets|deployment-branch-policies)", rest)
        if em:
            names = [e["name"] for e in self.environments(i)]
            if em.group(1) not in names:
                return 404, {"message": "Not Found"}
            if em.group(2) == "secrets":
                return 200, example("GET_repos_OWNER_REPO_environments_ENVIRONMENT_NAME_secrets.json")
            return 200, copy.deepcopy(self.policies_example)
        if rest == "/actions/secrets":
            return 200, self.secrets(i)
        for suffix, name in [
            ("/actions/permissions", "GET_repos_OWNER_REPO_actions_permissions.json"),
            ("/actions/permissions/workflow", "GET_repos_OWNER_REPO_actions_permissions_workflow.json"),
            ("/actions/permissions/selected-actions", "GET_repos_OWNER_REPO_actions_permissions_selected-actions.json"),
            ("/actions/oidc/customization/sub", "GET_repos_OWNER_REPO_actions_oidc_customization_sub.json"),
        ]:
            if rest == suffix:
                return 200, example(name)
        if rest == "/branches/main/protection":
            return (200, self.protection()) if self.protected(i) else (404, {"message": "Branch not protected"})
        if rest == "/rules/branches/main":
            return 200, self.rules(i)
        rm = re.fullmatch(r"/rulesets/(\d+)", rest)
        if rm:
            return 200, example("GET_repos_OWNER_REPO_rulesets_RULESET_ID.json")
        return 404, {"message": "Not Found"}

    # --- GraphQL -------------------------------------------------------------------------

    def graphql_repository(self, i):
        protection = None
        if self.protected(i):
            p = self.protection()
            reviews = p.get("required_pull_request_reviews")
            allowances = (reviews or {}).get("bypass_pull_request_allowances") or {}
            nodes = (
                [{"actor": {"__typename": "User", "login": u["login"]}} for u in allowances.get("users", [])]
                + [{"actor": {"__typename": "Team", "slug": t["slug"]}} for t in allowances.get("teams", [])]
                + [{"actor": {"__typename": "App", "slug": a.get("slug"), "name": a.get("name")}}
                   for a in allowances.get("apps", [])]
            )
            protection = {
                "requiresApprovingReviews": reviews is not None,
                "requiredApprovingReviewCount": (reviews or {}).get("required_approving_review_count"),
                "isAdminEnforced": p["enforce_admins"]["enabled"],
                "allowsForcePushes": p["allow_force_pushes"]["enabled"],
                "bypassPullRequestAllowances": {"totalCount": len(nodes), "nodes": nodes},
            }
        rules = []
        for rule in self.rules(i):
            rules.append({
                "type": rule["type"].upper(),
                "parameters": {"__typename": "CommitMessagePatternParameters"},
                "repositoryRuleset": {"databaseId": rule["ruleset_id"], "enforcement": "ACTIVE",
                                      "bypassActors": {"totalCount": 0, "nodes": []}},
            })
        return {
            "nameWithOwner": f"{self.name}/{self.repos[i]}",
            "viewerCanAdminister": True,
            "environments": {"totalCount": len(self.environments(i))},
            "defaultBranchRef": {
                "name": "main",
                "branchProtectionRule": protection,
                "rules": {"totalCount": len(rules), "nodes": rules},
            },
        }

    def graphql(self, body):
        variables = body.get("variables") or {}
        data = {"rateLimit": {"cost": 1, "remaining": 4999}}
        errors = []
        for key, owner in variables.items():
            if not key.startswith("o"):
                continue
            n = key[1:]
            name = variables.get(f"n{n}")
            i = self.index(name) if owner == self.name else None
            if i is None:
                data[f"r{n}"] = None
                errors.append({"type": "NOT_FOUND", "path": [f"r{n}"],
                               "message": f"Could not resolve to a Repository with the name '{owner}/{name}'."})
            else:
                data[f"r{n}"] = self.graphql_repository(i)
        answer = {"data": data}
        if errors:
            answer["errors"] = errors
        return answer


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.counts = {}

    def add(self, kind):
        with self.lock:
            self.counts[kind] = self.counts.get(kind, 0) + 1


def handler(org, stats):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def send(self, status, value, count=True):
            body = json.dumps(value).encode()
            etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
            if status == 200 and self.headers.get("If-None-Match") == etag:
                stats.add("not_modified")
                self.send_response(304)
                self.send_header("ETag", etag)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            if count:
                stats.add("counted")
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("ETag", etag)
            self.send_header("x-ratelimit-limit", "5000")
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self):
            url = urlsplit(self.path)
            if url.path == "/__stats":
                with stats.lock:
                    return self.send(200, dict(stats.counts), count=False)
            stats.add("rest")
            # tollgate percent-encodes each path segment, as GitHub accepts.
            status, value = org.rest(unquote(url.path), parse_qs(url.query))
            self.send(status, value)

        def do_POST(self):
            length = int(self.headers.get("Content-Length", "0"))
            raw = self.rfile.read(length)
            if urlsplit(self.path).path != "/graphql":
                return self.send(404, {"message": "Not Found"})
            stats.add("graphql")
            try:
                body = json.loads(raw)
            except ValueError:
                return self.send(400, {"message": "Problems parsing JSON"})
            self.send(200, org.graphql(body))

    return Handler


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def server_bind(self):
        # Without it each small answer waits ~40 ms for Nagle's algorithm (drift-fidelity.md).
        self.socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().server_bind()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repos", type=int, default=1000)
    parser.add_argument("--org", default="bigco")
    parser.add_argument("--org-workflow", choices=["example", "restricted"], default="example")
    parser.add_argument("--port-file", required=True, help="write the chosen port here")
    args = parser.parse_args()
    org = Org(args.org, args.repos, args.org_workflow)
    server = Server(("127.0.0.1", 0), handler(org, Stats()))
    with open(args.port_file + ".tmp", "w") as f:
        f.write(str(server.server_address[1]))
    os.replace(args.port_file + ".tmp", args.port_file)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
