#!/usr/bin/env python3
"""Compare tollgate findings against zizmor, file by file.

usage:
  python3 benches/compare_zizmor.py --tollgate-json T.json --zizmor-json Z.json [--check]

T.json is `tollgate check --format json` output ({"version":1,"findings":[...]}).
Z.json is either
  * the extracted file-set dict ({"template-injection-high": [basenames],
    "dangerous-triggers": [...], "unpinned-uses": [...], ...}), or
  * zizmor's raw `--format=json` output (a list of findings), from which the
    file sets are computed here.

Files are compared by basename. For each rule pair the script prints the
number of files each tool flags, the intersection, coverage
(|tollgate ∩ zizmor| / |zizmor|) and the first 30 files zizmor flags that
tollgate misses (plus the count of files only tollgate flags).
With --check it exits 1 when any pair's coverage is below --min-coverage
(default 95%).
"""
import argparse
import json
import os
import sys

# (tollgate rule, zizmor key in the extracted dict)
PAIRS = [
    ("template-injection", "template-injection-high"),
    ("dangerous-trigger", "dangerous-triggers"),
    ("unpinned-action", "unpinned-uses"),
]


def zizmor_sets_from_raw(findings):
    sets = {}
    for f in findings:
        path = None
        for loc in f.get("locations", []):
            key = loc.get("symbolic", {}).get("key", {})
            if "Local" in key:
                path = os.path.basename(key["Local"]["verbatim_path"])
                break
        if path is None:
            continue
        ident = f["ident"]
        sev = f.get("determinations", {}).get("severity", "Unknown").lower()
        sets.setdefault(ident, set()).add(path)
        if ident == "template-injection":
            sets.setdefault(f"template-injection-{sev}", set()).add(path)
    return sets


def load_zizmor(path):
    with open(path) as fh:
        data = json.load(fh)
    if isinstance(data, list):
        return zizmor_sets_from_raw(data)
    return {
        k: {os.path.basename(p) for p in v}
        for k, v in data.items()
        if isinstance(v, list)
    }


def load_tollgate(path):
    with open(path) as fh:
        data = json.load(fh)
    sets = {}
    for f in data.get("findings", []):
        sets.setdefault(f["rule"], set()).add(os.path.basename(f["path"]))
    return sets, data.get("errors", [])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--tollgate-json", required=True)
    ap.add_argument("--zizmor-json", required=True)
    ap.add_argument("--check", action="store_true",
                    help="exit 1 if any coverage is below --min-coverage")
    ap.add_argument("--min-coverage", type=float, default=95.0)
    ap.add_argument("--show", type=int, default=30,
                    help="how many missed files to list per pair")
    args = ap.parse_args()

    zsets = load_zizmor(args.zizmor_json)
    tsets, errors = load_tollgate(args.tollgate_json)
    if errors:
        print(f"note: tollgate reported {len(errors)} error(s)")

    failed = []
    for trule, zkey in PAIRS:
        z = zsets.get(zkey, set())
        t = tsets.get(trule, set())
        both = z & t
        missed = sorted(z - t)
        extra = sorted(t - z)
        cov = 100.0 * len(both) / len(z) if z else 100.0
        print(f"== {trule}  <->  zizmor {zkey}")
        print(f"   zizmor files:   {len(z)}")
        print(f"   tollgate files: {len(t)}")
        print(f"   intersection:   {len(both)}")
        print(f"   coverage:       {cov:.1f}%")
        print(f"   tollgate-only:  {len(extra)}")
        if missed:
            print(f"   missed ({len(missed)}, first {min(args.show, len(missed))}):")
            for m in missed[: args.show]:
                print(f"     {m}")
        if cov < args.min_coverage:
            failed.append((trule, cov))
        print()

    if args.check and failed:
        for rule, cov in failed:
            print(f"FAIL: {rule} coverage {cov:.1f}% < {args.min_coverage:.0f}%",
                  file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
