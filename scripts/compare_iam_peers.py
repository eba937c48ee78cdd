#!/usr/bin/env python3
"""Where tollgate agrees and differs with the peers' labelled IAM fixtures.

Runs `tollgate check --format json` on ../shared/corpus/peers/iam and scores each peer's
label set (parliament, cloudsplaining, checkov) against the tollgate rule it maps to. Only
label ids with a tollgate counterpart are scored; the rest are listed as out of scope.

Usage: scripts/compare_iam_peers.py [path/to/tollgate] [corpus/peers/iam] [-v]
"""
import collections
import json
import pathlib
import re
import subprocess
import sys

args = [a for a in sys.argv[1:] if a != "-v"]
VERBOSE = "-v" in sys.argv
BIN = args[0] if args else "target/debug/tollgate"
# The corpus folders are the working directory of each run: a relative path to the binary
# is made absolute first (a bare name is looked up on PATH as it is).
if "/" in BIN or "\\" in BIN:
    BIN = str(pathlib.Path(BIN).resolve())
CORPUS = pathlib.Path(args[1] if len(args) > 1 else "../shared/corpus/peers/iam").resolve()

PARLIAMENT = {
    "RESOURCE_STAR": "iam-wildcard-resource",
    "PRIVILEGE_ESCALATION": "iam-privilege-escalation",
    "UNKNOWN_ACTION": "iam-unknown-action",
    "UNKNOWN_PREFIX": "iam-unknown-action",
}
CLOUDSPLAINING = {
    "PrivilegeEscalation": "iam-privilege-escalation",
    "ServiceWildcard": "iam-wildcard-action",
}
CHECKOV = {
    "CKV_AWS_1": "iam-wildcard-action",
    "CKV_AWS_49": "iam-wildcard-action",
    "CKV_AWS_62": "iam-wildcard-action",
    "CKV_AWS_63": "iam-wildcard-action",
    "CKV_AWS_60": "iam-trust-any-principal",
    "CKV_AWS_110": "iam-privilege-escalation",
    "CKV_AWS_286": "iam-privilege-escalation",
    "CKV_AWS_355": "iam-wildcard-resource",
    "CKV_AWS_356": "iam-wildcard-resource",
    "CKV_AWS_358": "iam-oidc-trust-unbounded",
    "CKV_AWS_393": "iam-oidc-trust-unbounded",
}


def run(folder):
    out = subprocess.run(
        [BIN, "check", "--format", "json", str(folder)],
        capture_output=True, text=True, cwd=folder,
    )
    report = json.loads(out.stdout)
    by_file = collections.defaultdict(list)
    for f in report["findings"]:
        by_file[f["path"]].append(f)
    return by_file, report["errors"]


def labels(folder):
    rows = (folder / "labels.tsv").read_text().splitlines()[1:]
    return [r.split("\t") for r in rows if r.strip()]


# Each statement gets at most one `iam-wildcard-*` finding: a statement whose action wildcard
# is reported by iam-wildcard-action names its `Resource: "*"` in that finding, and
# iam-wildcard-resource leaves it alone. Such a finding counts as both.
RESOURCE_STAR_NAMED = 'on `Resource: "*"`'


def counts_as(finding, rule):
    if finding["rule"] == rule:
        return True
    return (
        rule == "iam-wildcard-resource"
        and finding["rule"] == "iam-wildcard-action"
        and RESOURCE_STAR_NAMED in finding["message"]
    )


def rules_in(findings):
    got = {f["rule"] for f in findings}
    if any(counts_as(f, "iam-wildcard-resource") for f in findings):
        got.add("iam-wildcard-resource")
    return got


def score(name, results):
    agree = sum(1 for r in results if r[0])
    print(f"{name}: {agree}/{len(results)} scored labels agree")
    for ok, what in results:
        if not ok or VERBOSE:
            print(f"  {'agree ' if ok else 'DIFFER'} {what}")


def parliament():
    folder = CORPUS / "parliament"
    found, _ = run(folder)
    results = []
    for file, auditors, label in labels(folder):
        if "+config" in auditors or label in ("unscored",) or label.startswith("count:"):
            continue
        expected = set() if label == "none" else set(label.split(","))
        got = rules_in(found.get(file, []))
        for pid, rule in PARLIAMENT.items():
            if pid in ("PRIVILEGE_ESCALATION",) and auditors != "community":
                continue
            want = pid in expected
            if pid == "UNKNOWN_PREFIX":
                continue
            want = want or (pid == "UNKNOWN_ACTION" and "UNKNOWN_PREFIX" in expected)
            has = rule in got
            results.append((want == has, f"{file}: {pid}={'yes' if want else 'no'} {rule}={'yes' if has else 'no'}"))
    score("parliament", results)


def cloudsplaining():
    folder = CORPUS / "cloudsplaining"
    found, _ = run(folder)
    results = []
    for file, _mode, label in labels(folder):
        items = [] if label == "none" else label.split(",")
        categories = {i.split(":", 1)[0] for i in items}
        got = rules_in(found.get(file, []))
        for cat, rule in CLOUDSPLAINING.items():
            want = cat in categories
            has = rule in got
            results.append((want == has, f"{file}: {cat}={'yes' if want else 'no'} {rule}={'yes' if has else 'no'}"))
    score("cloudsplaining", results)


BLOCK = re.compile(r'^(resource|data)\s+"([^"]+)"\s+"([^"]+)"', re.M)


def tf_ranges(path):
    text = path.read_text()
    starts = [(text.count("\n", 0, m.start()) + 1, f"{m.group(2)}.{m.group(3)}") for m in BLOCK.finditer(text)]
    ranges = {}
    for i, (line, name) in enumerate(starts):
        end = starts[i + 1][0] - 1 if i + 1 < len(starts) else 10**9
        ranges[name] = (line, end)
    return ranges


def checkov():
    folder = CORPUS / "checkov"
    found, errors = run(folder)
    results = []
    for file, resource, label in labels(folder):
        if ":" not in label:
            continue
        check, verdict = label.split(":", 1)
        rule = CHECKOV.get(check)
        if rule is None or verdict not in ("PASSED", "FAILED"):
            continue
        findings = [f for f in found.get(file, []) if counts_as(f, rule)]
        if file.endswith(".tf") and resource != "*":
            ranges = tf_ranges(folder / file)
            start, end = ranges.get(resource, ranges.get(resource.replace("aws_iam_policy_document.", "aws_iam_policy_document.", 1), (0, -1)))
            findings = [f for f in findings if start <= f["line"] <= end]
        has = bool(findings)
        want = verdict == "FAILED"
        note = ""
        if any(e["path"] == file for e in errors):
            note = " (file is not valid HCL2: reported as a parse error)"
        results.append((want == has, f"{file} {resource}: {check}={verdict} {rule}={'fires' if has else 'quiet'}{note}"))
    score("checkov", results)


parliament()
cloudsplaining()
checkov()
