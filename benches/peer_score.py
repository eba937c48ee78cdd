#!/usr/bin/env python3
"""Score tollgate against peers' test expectations for the workflow rules.

usage:
  python3 benches/peer_score.py [--tollgate BIN] [--expect TSV ...] [--root PEER=DIR ...] [-v]

By default both tables are scored: benches/peer-expect.tsv (the rules that map to a peer
audit, transcribed from the peers' test assertions) and tests/data/peer-expect-new-rules.tsv
(the rules added in issue 17).

TSV rows (tab-separated, `#` comments):
  peer  fixture  line|*  kind  tollgate-rule  note
- peer: the key for --root (zizmor, checkov, poutine); fixtures are relative to that root.
  The zizmor root defaults to ../shared/corpus/peers/zizmor; a peer without a root is
  skipped (and says so).
- kind: `must` (the peer's default output asserts a finding there), `mustnot` (the peer
  asserts none; `*` means anywhere in the fixture), `quiet-above-low` (the peer's default
  output shows none but hides some: met when tollgate reports nothing above low there),
  `auditor` (only the peer's auditor or
  pedantic persona shows it: reported, not scored), `differs` (tollgate deliberately
  differs; the rule's docs say how: reported, not scored).
- tollgate-rule: one rule id, or `a|b` when a finding of either rule meets the row.
- A line matches a finding of the rule in the same file at that line +-1, one to one
  (exact lines first). `*` for must: any finding of the rule in the file or folder.

Each fixture is checked on its own (`tollgate check --format json FIXTURE`), as the peers'
tests do. Prints met/total per rule and kind, and the misses with -v.
"""
import argparse
import collections
import json
import os
import subprocess
import sys


def load(path):
    rows = []
    with open(path) as fh:
        for raw in fh:
            if not raw.strip() or raw.startswith("#"):
                continue
            parts = raw.rstrip("\n").split("\t")
            if len(parts) < 5:
                sys.exit(f"{path}: bad row: {raw!r}")
            peer, fixture, line, kind, rule = parts[:5]
            note = parts[5] if len(parts) > 5 else ""
            rows.append((peer, fixture, line, kind, rule, note))
    return rows


def findings(binary, root, fixture, cache):
    key = (root, fixture)
    if key not in cache:
        target = os.path.join(root, fixture)
        out = subprocess.run([binary, "check", "--format", "json", target],
                             capture_output=True, text=True)
        try:
            report = json.loads(out.stdout)
        except json.JSONDecodeError:
            report = {"findings": []}
        cache[key] = report.get("findings", [])
    return cache[key]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    here = os.path.dirname(os.path.abspath(__file__))
    repo = os.path.dirname(here)
    ap.add_argument("--tollgate", default=os.path.join(repo, "target/debug/tollgate"))
    ap.add_argument("--expect", action="append", default=[],
                    help="expectation table (repeatable; default: both tables)")
    ap.add_argument("--root", action="append", default=[],
                    help="PEER=DIR, e.g. checkov=/tmp/checkov (repeatable)")
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args()
    roots = {"zizmor": os.path.join(repo, "../shared/corpus/peers/zizmor")}
    for item in args.root:
        peer, _, folder = item.partition("=")
        roots[peer] = folder
    tables = args.expect or [os.path.join(repo, "tests/data/peer-expect-new-rules.tsv"),
                             os.path.join(repo, "benches/peer-expect.tsv")]
    # The tables overlap (both hold unpinned-image lines): a fixture line and rule that an
    # earlier table holds are taken from that table only, so one finding is not counted twice.
    rows, seen = [], set()
    for table in tables:
        loaded = load(table)
        keys = {(r[0], r[1], r[2], r[4]) for r in loaded}
        rows.extend(r for r in loaded if (r[0], r[1], r[2], r[4]) not in seen)
        seen |= keys
    cache = {}
    used = collections.defaultdict(set)  # (peer, fixture, rule) -> finding indexes taken
    score = collections.defaultdict(lambda: [0, 0])
    misses = []
    skipped = collections.Counter()
    # Exact lines first, then +-1, so matching is one to one.
    order = sorted(range(len(rows)), key=lambda i: rows[i][2] == "*")
    for exact in (True, False):
        for i in order:
            peer, fixture, line, kind, rule, note = rows[i]
            if line in ("*", "done") or kind in ("mustnot", "quiet-above-low"):
                continue
            root = roots.get(peer)
            if not root or not os.path.exists(os.path.join(root, fixture)):
                continue
            got = findings(args.tollgate, root, fixture, cache)
            taken = used[(peer, fixture, rule)]
            want = int(line)
            for n, f in enumerate(got):
                close = f["line"] == want if exact else abs(f["line"] - want) <= 1
                if f["rule"] in rule.split("|") and n not in taken and close:
                    taken.add(n)
                    rows[i] = (peer, fixture, "done", kind, rule, note)
                    score[(rule, kind)][0] += 1
                    break
    for peer, fixture, line, kind, rule, note in rows:
        root = roots.get(peer)
        if not root or not os.path.exists(os.path.join(root, fixture)):
            skipped[peer] += 1
            continue
        score[(rule, kind)][1] += 1
        if line == "done":
            continue
        got = [f for f in findings(args.tollgate, root, fixture, cache)
               if f["rule"] in rule.split("|")]
        if kind == "quiet-above-low":
            got = [f for f in got if f.get("severity") in ("medium", "high", "critical")]
        if line == "*":
            met = (not got) if kind in ("mustnot", "quiet-above-low") else bool(got)
        elif kind in ("mustnot", "quiet-above-low"):
            met = not any(abs(f["line"] - int(line)) <= 1 for f in got)
        else:
            met = False
        if met:
            score[(rule, kind)][0] += 1
        else:
            misses.append((kind, rule, peer, fixture, line, note,
                           [f["line"] for f in got]))
    scored = [0, 0]
    print(f"{'rule':34} {'kind':15} met/total")
    for (rule, kind), (met, total) in sorted(score.items()):
        print(f"{rule:34} {kind:15} {met}/{total}")
        if kind in ("must", "mustnot", "quiet-above-low"):
            scored[0] += met
            scored[1] += total
    if scored[1]:
        print(f"scored (must + mustnot + quiet-above-low): {scored[0]}/{scored[1]} = {100 * scored[0] / scored[1]:.1f} %")
    for peer, n in sorted(skipped.items()):
        print(f"skipped: {n} {peer} rows (no --root {peer}=DIR)")
    if args.verbose:
        for miss in misses:
            print("MISS", *miss)


if __name__ == "__main__":
    main()
