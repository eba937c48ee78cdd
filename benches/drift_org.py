#!/usr/bin/env python3
"""Benchmark: `tollgate drift --github-org` against a stand-in organisation of 1,000
repositories on 127.0.0.1 (benches/drift_org_server.py), issue 18's rate budget.

Measures, and checks:
- requests per repository (counted by the server and by tollgate's report): at most 4 on
  average, with --max-per-repo;
- wall time of the whole-organisation run: under 60 s, with --max-seconds;
- shards: --shard K/4 for K = 1..4 take every live repository exactly once, and
  `--merge --expect-shards 4` of them gives the single run's controls;
- a second run with --cache: how many requests GitHub would count (304s do not count).

Usage: python3 benches/drift_org.py [--tollgate target/release/tollgate] [--repos 1000]
       [--org-workflow example|restricted]
Exit 1 when a check fails. Prints one line per figure.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))

POLICY = """allowed_unpinned_actions:
  - docker/*
  - monalisa/octocat
"""


def stats(port):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/__stats") as answer:
        return json.load(answer)


def drift(tollgate, cwd, port, args, output):
    env = dict(os.environ, GITHUB_TOKEN="bench-token")
    env.pop("GH_TOKEN", None)
    command = [tollgate, "drift", "--github-org", "bigco", "--github-api-url",
               f"http://127.0.0.1:{port}", "--format", "json", "--output", output, *args]
    started = time.monotonic()
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True)
    wall = time.monotonic() - started
    if done.returncode not in (0, 1):
        sys.exit(f"drift exited {done.returncode}: {done.stderr[-2000:]}")
    with open(output, encoding="utf-8") as f:
        return json.load(f), wall


def repositories(report):
    return {c["target"] for c in report["controls"] if c["target"].startswith("github:")}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--tollgate", default=os.path.join(HERE, "..", "target", "release", "tollgate"))
    parser.add_argument("--repos", type=int, default=1000)
    parser.add_argument("--org-workflow", choices=["example", "restricted"], default="example")
    parser.add_argument("--max-per-repo", type=float, default=4.0)
    parser.add_argument("--max-seconds", type=float, default=60.0)
    args = parser.parse_args()
    tollgate = os.path.abspath(args.tollgate)
    failures = []
    with tempfile.TemporaryDirectory(prefix="tollgate-drift-org-") as work:
        declared = os.path.join(work, "declared")
        os.mkdir(declared)
        with open(os.path.join(declared, "tollgate.yml"), "w") as f:
            f.write(POLICY)
        port_file = os.path.join(work, "port")
        server = subprocess.Popen([sys.executable, os.path.join(HERE, "drift_org_server.py"),
                                   "--repos", str(args.repos), "--org-workflow", args.org_workflow,
                                   "--port-file", port_file])
        try:
            for _ in range(200):
                if os.path.exists(port_file):
                    break
                time.sleep(0.05)
            port = int(open(port_file).read())
            live = {f"github:bigco/repo-{i:04d}" for i in range(args.repos) if i % 50 != 49}

            before = stats(port)
            full, wall = drift(tollgate, declared, port, [], os.path.join(work, "full.json"))
            after = stats(port)
            counted = after.get("counted", 0) - before.get("counted", 0)
            graphql = after.get("graphql", 0) - before.get("graphql", 0)
            per_repo = counted / args.repos
            per_live = counted / len(live)
            print(f"org-workflow: {args.org_workflow}")
            print(f"repositories: {args.repos} ({len(live)} live, {args.repos - len(live)} archived)")
            print(f"requests (server count): {counted}, of them GraphQL: {graphql}")
            print(f"requests (tollgate report): {full.get('github_requests')}, "
                  f"GraphQL {full.get('github_graphql_requests')}")
            print(f"requests per repository: {per_repo:.2f} (per live repository {per_live:.2f})")
            print(f"wall: {wall:.2f} s")
            summary = full["summary"]
            print(f"controls: {len(full['controls'])} ({summary['compliant']} C / "
                  f"{summary['drifted']} D / {summary['unknown']} U)")
            if per_repo > args.max_per_repo:
                failures.append(f"{per_repo:.2f} requests per repository > {args.max_per_repo}")
            if wall > args.max_seconds:
                failures.append(f"wall {wall:.1f} s > {args.max_seconds} s")
            if repositories(full) != live:
                failures.append("the single run did not cover exactly the live repositories")
            if full.get("github_requests") != counted:
                failures.append(f"report says {full.get('github_requests')} requests, server counted {counted}")

            # Shards.
            shard_files, seen, overlap = [], set(), set()
            for k in range(1, 5):
                path = os.path.join(work, f"shard-{k}.json")
                report, shard_wall = drift(tollgate, declared, port, ["--shard", f"{k}/4"], path)
                names = repositories(report)
                overlap |= seen & names
                seen |= names
                shard_files.append(path)
                print(f"shard {k}/4: {len(names)} repositories, {report.get('github_requests')} requests, "
                      f"{shard_wall:.2f} s")
            exact = seen == live and not overlap
            print(f"shards partition exactly: {exact} (union {len(seen)}, overlap {len(overlap)}, "
                  f"missing {len(live - seen)})")
            if not exact:
                failures.append("shards do not partition the live repositories")
            merged_path = os.path.join(work, "merged.json")
            env = dict(os.environ, GITHUB_TOKEN="bench-token")
            merge = subprocess.run([tollgate, "drift", "--merge", *shard_files, "--expect-shards", "4",
                                    "--format", "json", "--output", merged_path],
                                   cwd=declared, env=env, capture_output=True, text=True)
            if merge.returncode not in (0, 1):
                failures.append(f"merge exited {merge.returncode}: {merge.stderr[-500:]}")
            else:
                merged = json.load(open(merged_path))
                key = lambda c: (c["control"], c["target"], c["subject"], c["status"])
                same = sorted(map(key, merged["controls"])) == sorted(map(key, full["controls"]))
                print(f"merge of 4 shards: {len(merged['controls'])} controls, same verdicts as the single run: {same}")
                if not same:
                    failures.append("merged shards differ from the single run")
            missing = subprocess.run([tollgate, "drift", "--merge", *shard_files[:3], "--expect-shards", "4",
                                      "--format", "json"], cwd=declared, env=env, capture_output=True, text=True)
            print(f"merge of 3 of 4 shards with --expect-shards 4: exit {missing.returncode}")
            if missing.returncode != 2:
                failures.append("a merge missing a shard did not fail")

            # Conditional requests.
            cache = os.path.join(work, "cache")
            drift(tollgate, declared, port, ["--cache", cache], os.path.join(work, "cache1.json"))
            before = stats(port)
            again, again_wall = drift(tollgate, declared, port, ["--cache", cache],
                                      os.path.join(work, "cache2.json"))
            after = stats(port)
            counted_again = after.get("counted", 0) - before.get("counted", 0)
            free = after.get("not_modified", 0) - before.get("not_modified", 0)
            print(f"second run with --cache: {counted_again} counted requests "
                  f"({counted_again / args.repos:.2f} per repository), {free} answered 304; "
                  f"report: github_requests {again.get('github_requests')}, "
                  f"github_not_modified {again.get('github_not_modified')}; {again_wall:.2f} s")
            same = sorted(map(key, again["controls"])) == sorted(map(key, full["controls"]))
            print(f"cached run gives the same verdicts: {same}")
            if not same:
                failures.append("the cached run's verdicts differ")
        finally:
            server.terminate()
            server.wait()
    for failure in failures:
        print(f"FAIL: {failure}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
