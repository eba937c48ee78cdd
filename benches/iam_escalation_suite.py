#!/usr/bin/env python3
"""Scores `iam-privilege-escalation` on BishopFox's iam-vulnerable suite: its 31 privilege-
escalation paths plus `sre.tf` (`modules/free-resources/privesc-paths/`), and the cases
written to trip tools up (`modules/free-resources/tool-testing/`): four that must fire
(fn1-fn4) and five that must not (fp1-fp5), and the permissive role trust.

Two ways to run it:
  benches/iam_escalation_suite.py TOLLGATE
      writes the suite, rewritten from its published policies (the statements each path
      grants, the attachments and, for the trick cases, the same traps), into a temporary
      module layout like the original (every path of a folder in one Terraform module), and
      scores it;
  benches/iam_escalation_suite.py TOLLGATE --suite CHECKOUT
      scores a checkout of https://github.com/BishopFox/iam-vulnerable as it is.

An expectation is met when a `fire` file gets at least one `iam-privilege-escalation` finding
and a `quiet` file none. `--split` also writes each multi-policy case with its policies in
files of their own (a role in one file, its attachments in another), which must score the same.
Exit status 1 when fewer than `--need` (default 40) expectations are met.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile

RULE = "iam-privilege-escalation"

# Every path: (file stem, the statements its policy grants). Each is attached to one role and
# one user, as in the suite.
PATHS = {
    "privesc1-CreateNewPolicyVersion": [["iam:CreatePolicyVersion"]],
    "privesc2-SetExistingDefaultPolicyVersion": [["iam:SetDefaultPolicyVersion"]],
    "privesc3-CreateEC2WithExistingIP": [["iam:PassRole", "ec2:DescribeInstances", "ec2:RunInstances", "ec2:CreateKeyPair", "ec2:AssociateIamInstanceProfile"]],
    "privesc4-CreateAccessKey": [["iam:CreateAccessKey"]],
    "privesc5-CreateLoginProfile": [["iam:CreateLoginProfile"]],
    "privesc6-UpdateLoginProfile": [["iam:UpdateLoginProfile"]],
    "privesc7-AttachUserPolicy": [["iam:AttachUserPolicy"]],
    "privesc8-AttachGroupPolicy": [["iam:AttachGroupPolicy"]],
    "privesc9-AttachRolePolicy": [["iam:AttachRolePolicy"]],
    "privesc10-PutUserPolicy": [["iam:PutUserPolicy"]],
    "privesc11-PutGroupPolicy": [["iam:PutGroupPolicy"]],
    "privesc12-PutRolePolicy": [["iam:PutRolePolicy"]],
    "privesc13-AddUserToGroup": [["iam:AddUserToGroup"]],
    "privesc14-UpdatingAssumeRolePolicy": [["iam:UpdateAssumeRolePolicy", "sts:AssumeRole"]],
    "privesc15-PassExistingRoleToNewLambdaThenInvoke": [["lambda:CreateFunction", "iam:PassRole", "lambda:InvokeFunction"]],
    "privesc16-PassRoleToNewLambdaThenTriggerWithNewDynamo": [["lambda:CreateFunction", "iam:PassRole", "lambda:CreateEventSourceMapping"]],
    "privesc17-EditExistingLambdaFunctionWithRole": [["lambda:UpdateFunctionCode", "lambda:UpdateFunctionConfiguration"]],
    "privesc18-PassExistingRoleToNewGlueDevEndpoint": [["glue:CreateDevEndpoint", "glue:GetDevEndpoint", "iam:PassRole"]],
    "privesc19-UpdateExistingGlueDevEndpoint": [["glue:UpdateDevEndpoint", "glue:GetDevEndpoint"]],
    "privesc20-PassExistingRoleToCloudFormation": [["iam:PassRole", "cloudformation:CreateStack", "cloudformation:DescribeStacks"]],
    "privesc21-PassExistingRoleToNewDataPipeline": [["iam:PassRole"], ["datapipeline:CreatePipeline", "datapipeline:PutPipelineDefinition", "datapipeline:ActivatePipeline"]],
    "privesc-AssumeRole": [["*"]],
    "privesc-cloudFormationUpdateStack": [["cloudformation:UpdateStack", "cloudformation:DescribeStacks"]],
    "privesc-codeBuildCreateProjectPassRole": [["codebuild:CreateProject", "codebuild:StartBuild", "codebuild:StartBuildBatch", "iam:PassRole", "iam:ListRoles"]],
    "privesc-ec2InstanceConnect": [["ec2:DescribeInstances", "ec2-instance-connect:SendSSHPublicKey", "ec2-instance-connect:SendSerialConsoleSSHPublicKey"]],
    "privesc-sageMakerCreateNotebookPassRole": [["sagemaker:CreateNotebookInstance", "sagemaker:CreatePresignedNotebookInstanceUrl", "sagemaker:ListNotebookInstances", "sagemaker:DescribeNotebookInstance", "sagemaker:StopNotebookInstance", "sagemaker:DeleteNotebookInstance", "iam:PassRole", "iam:ListRoles"]],
    "privesc-sageMakerCreatePresignedNotebookURL": [["sagemaker:CreatePresignedNotebookInstanceUrl", "sagemaker:ListNotebookInstances"]],
    "privesc-sageMakerCreateProcessingJob": [["sagemaker:CreateProcessingJob", "iam:PassRole"]],
    "privesc-sageMakerCreateTrainingJob": [["sagemaker:CreateTrainingJob", "iam:PassRole"]],
    "privesc-ssmSendCommand": [["ec2:DescribeInstances", "ssm:listCommands", "ssm:listCommandInvocations", "ssm:sendCommand"]],
    "privesc-ssmStartSession": [["ec2:DescribeInstances", "ssm:StartSession", "ssm:DescribeSessions", "ssm:GetConnectionStatus", "ssm:DescribeInstanceProperties", "ssm:TerminateSession", "ssm:ResumeSession"]],
    "sre": [["iam:*", "ec2:*", "s3:*"]],
}

TRUST = {
    "Version": "2012-10-17",
    "Statement": [{"Action": "sts:AssumeRole", "Effect": "Allow", "Principal": {"AWS": "${var.aws_assume_role_arn}"}}],
}


def statement(actions, effect="Allow", resource="*", key="Action", condition=None):
    out = {"Effect": effect, key: actions if len(actions) > 1 else actions[0], "Resource": resource}
    if condition:
        out["Condition"] = condition
    return out


def policy(address, statements):
    doc = json.dumps({"Version": "2012-10-17", "Statement": statements}, indent=2)
    return f'resource "aws_iam_policy" "{address}" {{\n  name   = "{address}"\n  policy = jsonencode({doc})\n}}\n'


def document_policy(address, action, test, variable, value):
    """A policy whose document is a `data "aws_iam_policy_document"` with one condition."""
    return (
        f'data "aws_iam_policy_document" "{address}" {{\n  statement {{\n    actions   = ["{action}"]\n'
        f'    effect    = "Allow"\n    resources = ["*"]\n    condition {{\n      test     = "{test}"\n'
        f'      variable = "{variable}"\n      values   = ["{value}"]\n    }}\n  }}\n}}\n\n'
        f'resource "aws_iam_policy" "{address}" {{\n  name   = "{address}"\n'
        f"  policy = data.aws_iam_policy_document.{address}.json\n}}\n"
    )


def holders(stem, policies):
    """A role and a user of the stem, each attached to every policy address given."""
    trust = json.dumps(TRUST, indent=2)
    out = [
        f'resource "aws_iam_role" "{stem}-role" {{\n  name               = "{stem}-role"\n'
        f"  assume_role_policy = jsonencode({trust})\n}}\n",
        f'resource "aws_iam_user" "{stem}-user" {{\n  name = "{stem}-user"\n  path = "/"\n}}\n',
    ]
    for p in policies:
        out.append(
            f'resource "aws_iam_role_policy_attachment" "{stem}-role-{p}" {{\n'
            f'  role       = aws_iam_role.{stem}-role.name\n  policy_arn = aws_iam_policy.{p}.arn\n}}\n'
        )
        out.append(
            f'resource "aws_iam_user_policy_attachment" "{stem}-user-{p}" {{\n'
            f'  user       = aws_iam_user.{stem}-user.name\n  policy_arn = aws_iam_policy.{p}.arn\n}}\n'
        )
    return "\n".join(out)


def tool_testing():
    """(stem, expectation, files: name → text). Each trap as the suite sets it."""
    cases = []
    # fn1: RunInstances in one policy, PassRole in another, both on one role and one user.
    cases.append(("fn1-privesc3-multiple-policies", "fire", {
        "": policy("fn1-privesc3-partial", [statement(["ec2:DescribeInstances", "ec2:RunInstances"])])
        + policy("fn1-passrole-star", [statement(["iam:PassRole"])])
        + holders("fn1", ["fn1-privesc3-partial", "fn1-passrole-star"]),
    }))
    # fn2: CreatePolicyVersion on the caller's own account's policies matching a prefix.
    cases.append(("fn2-ExploitableResourceConstraint", "fire", {
        "": policy("fn2", [statement(["iam:CreatePolicyVersion"], resource="arn:aws:iam::*:policy/fn2-*")])
        + holders("fn2", ["fn2"]),
    }))
    # fn3: a time condition that holds today.
    cases.append(("fn3-ExploitableConditionConstraint", "fire", {
        "": document_policy("fn3", "iam:CreatePolicyVersion", "DateGreaterThan", "aws:TokenIssueTime", "2020-01-01T00:00:01Z")
        + holders("fn3", ["fn3"]),
    }))
    # fn4: NotAction leaves SSM, EC2 Instance Connect and more.
    cases.append(("fn4-ExploitableNotAction", "fire", {
        "": policy("fn4", [statement(["iam:Update*", "iam:Create*", "iam:Attach*"], key="NotAction")])
        + holders("fn4", ["fn4"]),
    }))
    # fp1: iam:* allowed and denied in one policy.
    cases.append(("fp1-allow-and-deny-same-policy", "quiet", {
        "": policy("fp1", [statement(["iam:*"]), statement(["iam:*"], effect="Deny")])
        + holders("fp1", ["fp1"]),
    }))
    # fp2: allow-all and deny-all in two policies on one role and one user.
    cases.append(("fp2-allow-and-deny-multiple-policies", "quiet", {
        "": policy("fp2-allow-all", [statement(["*"])])
        + policy("deny-all", [statement(["*"], effect="Deny")])
        + holders("fp2", ["fp2-allow-all", "deny-all"]),
    }))
    # fp3: a Deny only.
    cases.append(("fp3-deny", "quiet", {
        "": policy("fp3", [statement(["iam:*"], effect="Deny")]) + holders("fp3", ["fp3"]),
    }))
    # fp4: CreatePolicyVersion on AWS-managed policies, which no customer can change.
    cases.append(("fp4-NonExploitableResourceConstraint", "quiet", {
        "": policy("fp4", [statement(["iam:CreatePolicyVersion"], resource="arn:aws:iam::aws:policy/fp4-*")])
        + holders("fp4", ["fp4"]),
    }))
    # fp5: a time condition that can never hold again (a token issued before 2020).
    cases.append(("fp5-NonExploitableConditionConstraint", "quiet", {
        "": document_policy("fp5", "iam:CreatePolicyVersion", "DateLessThan", "aws:TokenIssueTime", "2020-01-01T00:00:01Z")
        + holders("fp5", ["fp5"]),
    }))
    return cases


def split(files):
    """The same case with each `resource`/`data` block in a file of its own."""
    text = "".join(files.values())
    blocks, current = [], []
    for line in text.splitlines(keepends=True):
        if line.startswith(("resource ", "data ")) and current:
            blocks.append("".join(current))
            current = []
        current.append(line)
    if current:
        blocks.append("".join(current))
    return {f"-part{i}": b for i, b in enumerate(blocks)}


def write_rewritten(root, with_split):
    expect = {}
    paths_dir = os.path.join(root, "privesc-paths")
    tests_dir = os.path.join(root, "tool-testing")
    os.makedirs(paths_dir)
    os.makedirs(tests_dir)
    variables = 'variable "aws_assume_role_arn" {\n  type    = string\n  default = ""\n}\n'
    for d in (paths_dir, tests_dir):
        with open(os.path.join(d, "variables.tf"), "w") as f:
            f.write(variables)
    for stem, statements in PATHS.items():
        text = policy(stem, [statement(s) for s in statements]) + holders(stem, [stem])
        with open(os.path.join(paths_dir, f"{stem}.tf"), "w") as f:
            f.write(text)
        expect[f"privesc-paths/{stem}.tf"] = ("fire", [f"privesc-paths/{stem}.tf"])
    for stem, expectation, files in tool_testing():
        for suffix, text in files.items():
            with open(os.path.join(tests_dir, f"{stem}{suffix}.tf"), "w") as f:
                f.write(text)
        expect[f"tool-testing/{stem}.tf"] = (expectation, [f"tool-testing/{stem}.tf"])
        if with_split and stem.startswith(("fn1", "fp2")):
            d = os.path.join(root, f"split-{stem}")
            os.makedirs(d)
            parts = split(files)
            for suffix, text in parts.items():
                with open(os.path.join(d, f"{stem}{suffix}.tf"), "w") as f:
                    f.write(text)
            expect[f"split-{stem}"] = (expectation, [f"split-{stem}/{stem}{s}.tf" for s in parts])
    return expect


def suite_expectations(checkout):
    expect = {}
    base = os.path.join(checkout, "modules", "free-resources")
    for folder in ("privesc-paths", "tool-testing"):
        for name in sorted(os.listdir(os.path.join(base, folder))):
            if not name.endswith(".tf") or name in ("variables.tf", "service-linked-role-common.tf"):
                continue
            if name == "privesc-permissive-role-trust.tf":
                continue  # a trust without policies: not this rule's to report
            kind = "quiet" if name.startswith("fp") else "fire"
            rel = f"{folder}/{name}"
            expect[rel] = (kind, [rel])
    return expect, base


def findings_by_file(tollgate, root):
    out = subprocess.run(
        [os.path.abspath(tollgate), "check", root, "--format", "json"],
        capture_output=True, text=True, check=False,
    )
    try:
        report = json.loads(out.stdout)
    except json.JSONDecodeError:
        sys.exit(f"tollgate gave no JSON report (exit {out.returncode}): {out.stderr[:400]}")
    by_file = {}
    for f in report.get("findings", []):
        if f.get("rule") != RULE:
            continue
        path = f.get("path", "")
        by_file.setdefault(path.replace("\\", "/"), []).append(f.get("message", ""))
    return by_file


def score(tollgate, root, expect, verbose):
    by_file = findings_by_file(tollgate, root)

    def hits(rel):
        return [m for path, ms in by_file.items() if path.endswith(rel) for m in ms]

    met = 0
    for name, (kind, files) in sorted(expect.items()):
        found = [m for rel in files for m in hits(rel)]
        ok = bool(found) == (kind == "fire")
        met += ok
        if verbose or not ok:
            mark = "ok  " if ok else "MISS"
            print(f"{mark} {kind:5} {name}: {len(found)} finding(s)" + (f" — {found[0]}" if found else ""))
    return met


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("tollgate")
    parser.add_argument("--suite", help="a checkout of BishopFox/iam-vulnerable")
    parser.add_argument("--split", action="store_true", help="also the multi-policy cases split across files")
    parser.add_argument("--need", type=int, default=40)
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args()
    if args.suite:
        expect, root = suite_expectations(args.suite)
        met = score(args.tollgate, root, expect, args.verbose)
    else:
        with tempfile.TemporaryDirectory() as root:
            expect = write_rewritten(root, args.split)
            met = score(args.tollgate, root, expect, args.verbose)
    print(f"{met}/{len(expect)} expectations met")
    sys.exit(0 if met >= min(args.need, len(expect)) else 1)


if __name__ == "__main__":
    main()
