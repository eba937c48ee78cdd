#!/usr/bin/env bash
# Cost must grow linearly with hostile input (issue 12; ../shared/research/hostile-input.md §1).
# Each case is generated at three sizes, each double the one before; the script prints the CPU
# seconds (user+sys) of `tollgate check` at each size and the growth factor per doubling.
# About 2 is linear, about 4 quadratic; a factor above LIMIT (2.3) is marked FAIL. Small inputs
# are dominated by start-up, so the sizes start where a case costs a measurable time.
#
# usage: bash benches/scaling.sh [CASE...]   TOLLGATE (binary; default target/release/tollgate)
#        SCALE=0.25 for a quick run (sizes times SCALE)
#        RUNS=N runs at each size, the least counted (default 3)
set -u -o pipefail

cd "$(dirname "$0")/.." || exit 2
TARGET=${CARGO_TARGET_DIR:-target}
TOLLGATE=${TOLLGATE:-$TARGET/release/tollgate}
TOLLGATE=$(realpath "$TOLLGATE")
SCALE=${SCALE:-1}
LIMIT=${LIMIT:-2.3}
[ -x "$TOLLGATE" ] || { echo "no tollgate binary at $TOLLGATE (cargo build --release)" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "needs GNU time at /usr/bin/time" >&2; exit 2; }
WORK=$(mktemp -d "${TMPDIR:-/tmp}/tollgate-scaling.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

# case name, base size, what the size counts, extra check arguments
CASES=(
    "steps:12500:run steps in one job"
    "expr-env:25000:a[ brackets in a workflow env value, 32 steps"
    "expr-run:50000:a[ brackets in one run script"
    "env-steps:250:steps, each reading 2,000 tainted env entries"
    "injections:10000:distinct injections in one script"
    "minified:16000:statements of a one-line IAM policy, one finding each"
    "minified-human:16000:statements of a one-line IAM policy, human format:--format human"
    "secrets:40000:AWS keys in one file, one per line"
    "tf-types:25000:distinct Terraform resource types"
    "tf-blocks:25000:distinct unlabelled Terraform blocks"
    "hcl-keys:25000:distinct labelled .hcl keys"
    "roles-jobs:4000:roles with document trust, 100 deploy jobs"
    "yaml-slip:20000:jobs of a workflow with one indentation slip"
    "globs:5000:ignore globs in tollgate.yml"
)

generate() { # case size folder
    python3 - "$@" <<'PY'
import json, os, sys
case, n, d = sys.argv[1], int(sys.argv[2]), sys.argv[3]
wf = os.path.join(d, ".github/workflows")
os.makedirs(wf, exist_ok=True)
def write(path, text):
    path = os.path.join(d, path)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)
head = "on: push\npermissions: {}\n"
if case == "steps":
    write(".github/workflows/w.yml", head + "jobs:\n  a:\n    runs-on: x\n    steps:\n"
          + "".join(f"      - run: echo {i}\n" for i in range(n)))
elif case == "expr-env":
    write(".github/workflows/w.yml", head + "env:\n  X: '${{ " + "a[" * n + " }}'\njobs:\n  a:\n    runs-on: x\n    steps:\n"
          + "".join(f"      - run: echo {i}\n" for i in range(32)))
elif case == "expr-run":
    write(".github/workflows/w.yml", head + "jobs:\n  a:\n    runs-on: x\n    steps:\n      - run: echo '${{ " + "a[" * n + " }}'\n")
elif case == "env-steps":
    env = "".join(f"  E{i}: ${{{{ github.event.issue.title }}}}\n" for i in range(2000))
    write(".github/workflows/w.yml", head + "env:\n" + env + "jobs:\n  a:\n    runs-on: x\n    steps:\n"
          + "".join(f"      - run: echo $E{i % 2000}\n" for i in range(n)))
elif case == "injections":
    write(".github/workflows/w.yml", head + "jobs:\n  a:\n    runs-on: x\n    steps:\n      - run: |\n"
          + "".join(f"          echo ${{{{ github.event.issue.title || 'k{i}' }}}}\n" for i in range(n)))
elif case in ("minified", "minified-human"):
    doc = {"Version": "2012-10-17", "Statement": [
        {"Sid": f"S{i}", "Effect": "Allow", "Action": "iam:PassRole", "Resource": "*"} for i in range(n)]}
    write("policy.json", json.dumps(doc))
elif case == "secrets":
    import random
    rnd = random.Random(1)
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
    write("keys.txt", "".join("AKIA" + "".join(rnd.choice(alphabet) for _ in range(16)) + "\n" for _ in range(n)))
elif case == "tf-types":
    write("main.tf", "".join(f'resource "t{i}" "x" {{\n}}\n' for i in range(n)))
elif case == "tf-blocks":
    write("main.tf", "".join(f"b{i} {{}}\n" for i in range(n)))
elif case == "hcl-keys":
    write("x.hcl", "".join(f'k{i} "l" {{}}\n' for i in range(n)))
elif case == "roles-jobs":
    tf = []
    for i in range(n):
        tf.append(f'data "aws_iam_policy_document" "t{i}" {{\n  statement {{\n    actions = ["sts:AssumeRoleWithWebIdentity"]\n'
                  f'    principals {{\n      type = "Federated"\n      identifiers = ["arn:aws:iam::1:oidc-provider/token.actions.githubusercontent.com"]\n    }}\n  }}\n}}\n'
                  f'resource "aws_iam_role" "r{i}" {{\n  name = "role{i}"\n  assume_role_policy = data.aws_iam_policy_document.t{i}.json\n}}\n')
    write("infra/main.tf", "".join(tf))
    jobs = "".join(f"  d{j}:\n    runs-on: x\n    permissions:\n      id-token: write\n    steps:\n"
                   f"      - uses: aws-actions/configure-aws-credentials@0123456789abcdef0123456789abcdef01234567\n"
                   f"        with:\n          role-to-assume: arn:aws:iam::1:role/role{j % n}\n"
                   f"      - run: terraform apply -auto-approve\n" for j in range(100))
    write(".github/workflows/d.yml", head + "jobs:\n" + jobs)
elif case == "yaml-slip":
    jobs = "".join(f"  j{i}:\n    runs-on: x\n    steps:\n      - run: echo {i}\n" for i in range(n))
    tail = "  z:\n    runs-on: x\n    d: [\n" + "".join(f" a{k},\n" for k in range(200)) + " ]\n"
    write(".github/workflows/w.yml", head + "jobs:\n" + jobs + tail)
elif case == "globs":
    write("tollgate.yml", "ignore:\n" + "".join(f'  - "dir{i}/**/[a-c]*{{x,y}}.yml"\n' for i in range(n)))
    write(".github/workflows/w.yml", head + "jobs:\n  a:\n    runs-on: x\n    steps:\n      - run: echo\n")
PY
}

cpu() { # folder args... -> CPU seconds (user+sys) of one check
    local dir=$1
    shift
    local format=(--format json)
    [[ " $* " == *" --format "* ]] && format=()
    # The least of RUNS runs (default 3): on a shared machine other work only ever adds time,
    # so the minimum is the figure closest to the check's own cost.
    local best=""
    for _ in $(seq "${RUNS:-3}"); do
        (cd "$dir" && /usr/bin/time -f "%U %S" -o "$WORK/time" "$TOLLGATE" check . "${format[@]}" "$@" >/dev/null 2>&1)
        # GNU time writes "Command exited with non-zero status 1" first when there are findings.
        local t
        t=$(tail -n 1 "$WORK/time" | awk '{ printf "%.2f", $1 + $2 }')
        best=$(awk -v a="$best" -v b="$t" 'BEGIN { print (a == "" || b < a ? b : a) }')
    done
    printf '%.2f' "$best"
}

selected=("$@")
worst_fail=0
printf '%-15s %-52s %28s %16s\n' case "size (x1, x2, x4)" "CPU s at each size" "growth/doubling"
for spec in "${CASES[@]}"; do
    IFS=: read -r name base what extra <<<"$spec"
    if [ ${#selected[@]} -gt 0 ] && [[ ! " ${selected[*]} " == *" $name "* ]]; then
        continue
    fi
    base=$(awk -v b="$base" -v s="$SCALE" 'BEGIN { n = int(b * s); print (n < 1 ? 1 : n) }')
    times=()
    for factor in 1 2 4; do
        n=$((base * factor))
        dir="$WORK/$name-$n"
        generate "$name" "$n" "$dir"
        # shellcheck disable=SC2086
        times+=("$(cpu "$dir" $extra)")
        rm -rf "$dir"
    done
    # Growth per doubling from the two larger sizes (start-up weighs least there); a time too
    # small to measure counts as 0.05 s.
    growth=$(awk -v a="${times[1]}" -v b="${times[2]}" 'BEGIN { a = (a < 0.05 ? 0.05 : a); b = (b < 0.05 ? 0.05 : b); printf "%.2f", b / a }')
    verdict=$(awk -v g="$growth" -v l="$LIMIT" 'BEGIN { print (g <= l ? "ok" : "FAIL") }')
    [ "$verdict" = FAIL ] && worst_fail=1
    printf '%-15s %-52s %28s %11s %s\n' "$name" "$base, $((base * 2)), $((base * 4)) $what" \
        "${times[0]} / ${times[1]} / ${times[2]}" "x$growth" "$verdict"
done
exit "$worst_fail"
