#!/usr/bin/env bash
# Large but valid files: one workflow with JOBS jobs (each with an injection, an unpinned action
# and no permissions, so every job yields findings), one Vault policy and one Terraform file
# with as many blocks. Prints wall time and peak memory per file; the point is that time grows
# linearly with size (a map lookup per finding once made a 12 MB workflow take 53 s).
#
# usage: bash benches/large_files.sh        JOBS (default 80000)   TOLLGATE (binary)
set -u -o pipefail

cd "$(dirname "$0")/.." || exit 2
JOBS=${JOBS:-80000}
TARGET=${CARGO_TARGET_DIR:-target}
TOLLGATE=${TOLLGATE:-$TARGET/release/tollgate}
[ -x "$TOLLGATE" ] || { echo "no tollgate binary at $TOLLGATE (cargo build --release)" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "needs GNU time at /usr/bin/time" >&2; exit 2; }
WORK=$(mktemp -d "${TMPDIR:-/tmp}/tollgate-large.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

python3 - "$WORK" "$JOBS" <<'PY'
import os, sys
work, jobs = sys.argv[1], int(sys.argv[2])
os.makedirs(f"{work}/workflow/.github/workflows")
with open(f"{work}/workflow/.github/workflows/big.yml", "w") as f:
    f.write("on: push\njobs:\n")
    for i in range(jobs):
        f.write(f"  job{i}:\n    runs-on: ubuntu-latest\n    needs: [job{max(i - 1, 0)}]\n"
                "    steps:\n      - uses: actions/checkout@v4\n"
                "      - run: echo ${{ github.event.issue.title }}\n")
os.makedirs(f"{work}/vault")
with open(f"{work}/vault/app.hcl", "w") as f:
    for i in range(jobs):
        f.write(f'path "secret/data/app{i}/*" {{\n  capabilities = ["read", "list"]\n}}\n')
os.makedirs(f"{work}/terraform")
with open(f"{work}/terraform/main.tf", "w") as f:
    for i in range(jobs // 2):
        f.write(f'resource "aws_iam_role" "r{i}" {{\n  name = "r{i}"\n'
                '  assume_role_policy = jsonencode({Version = "2012-10-17", Statement = [{'
                'Effect = "Allow", Action = "sts:AssumeRole", '
                'Principal = {Service = "ec2.amazonaws.com"}}]})\n}\n')
PY

echo "machine: $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
for tree in workflow vault terraform; do
  size=$(du -sb "$WORK/$tree" | cut -f1)
  /usr/bin/time -o "$WORK/time" -f '%e %M' "$TOLLGATE" check "$WORK/$tree" --format json \
    --output "$WORK/out.json" 2>/dev/null
  read -r wall rss < <(tail -n 1 "$WORK/time")
  findings=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["findings"]))' "$WORK/out.json")
  echo "$tree: $size bytes, $findings findings, ${wall} s wall, $((rss / 1024)) MiB peak"
done
