#!/usr/bin/env python3
"""IAM findings on the real repositories (../shared/corpus/real-repos), for hand-judging.

Runs `tollgate check REPO --format json` on each repository on its own, keeps the findings of
the IAM rules (`iam-*`, `break-glass-role`), prints the count per rule, and a random sample
of them (seeded) with the source lines around each, to be judged by hand.

Usage: scripts/iam_real_repos.py TOLLGATE [--corpus DIR] [--sample 40] [--seed 16]
"""
import argparse
import collections
import json
import os
import random
import subprocess


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("tollgate")
    parser.add_argument("--corpus", default="../shared/corpus/real-repos")
    parser.add_argument("--sample", type=int, default=40)
    parser.add_argument("--seed", type=int, default=16)
    parser.add_argument("--context", type=int, default=3)
    args = parser.parse_args()
    binary = os.path.abspath(args.tollgate)
    corpus = os.path.abspath(args.corpus)
    found = []
    for repo in sorted(os.listdir(corpus)):
        folder = os.path.join(corpus, repo)
        if not os.path.isdir(folder):
            continue
        out = subprocess.run([binary, "check", folder, "--format", "json"], capture_output=True, text=True)
        report = json.loads(out.stdout)
        for f in report["findings"]:
            if f["rule"].startswith("iam-") or f["rule"] == "break-glass-role":
                found.append((repo, f))
    by_rule = collections.Counter(f["rule"] for _, f in found)
    print(f"{len(found)} IAM findings: " + ", ".join(f"{r} {n}" for r, n in sorted(by_rule.items())))
    random.seed(args.seed)
    sample = random.sample(found, min(args.sample, len(found)))
    for i, (repo, f) in enumerate(sample, 1):
        path = os.path.join(corpus, repo, f["path"])
        if not os.path.exists(path):
            path = os.path.join(corpus, f["path"])
        print(f"\n#{i} {repo}/{f['path']}:{f['line']} {f['severity']} [{f['rule']}] {f['message']}")
        try:
            lines = open(path, encoding="utf-8", errors="replace").read().splitlines()
        except OSError:
            continue
        lo, hi = max(0, f["line"] - 1 - args.context), min(len(lines), f["line"] + args.context)
        for n in range(lo, hi):
            print(f"    {n + 1:5}{'>' if n + 1 == f['line'] else ' '} {lines[n][:160]}")


if __name__ == "__main__":
    main()
