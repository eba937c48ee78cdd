#!/usr/bin/env bash
# Tests .pre-commit-hooks.yaml with the real pre-commit: pre-commit installs the `tollgate`
# hook (language: rust, so it builds tollgate with cargo) and runs it in scratch repositories,
# where it must fail on files with findings and pass on clean ones.
#
# pre-commit installs from a committed revision, so the hook is taken from a snapshot of this
# checkout (tracked and untracked, not ignored files) committed in a temporary repository:
# uncommitted changes to the hook or the code are tested too. Every case runs
# `pre-commit run` with a config naming that snapshot and one hook store, so the hook is built
# once (`pre-commit try-repo` would build it again in a fresh store for every case).
#
# Needs `pre-commit` on PATH (.ci/run installs it into a venv). Set TOLLGATE_CI_CACHE to keep
# the hook's cargo build between runs.
set -euo pipefail

root="$(git rev-parse --show-toplevel)"
cache="${TOLLGATE_CI_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/tollgate-ci}"
mkdir -p "$cache"

if ! command -v pre-commit >/dev/null; then
    echo "pre-commit-test: pre-commit is not on PATH (pip install pre-commit)" >&2
    exit 2
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

git_quiet() {
    git -c user.name=tollgate-ci -c user.email=ci@tollgate.invalid -c commit.gpgsign=false \
        -c init.defaultBranch=main "$@"
}

# 1. A committed snapshot of this checkout, for try-repo to install the hook from.
snapshot="$work/tollgate"
mkdir -p "$snapshot"
(
    cd "$root"
    git ls-files -z --cached --others --exclude-standard |
        while IFS= read -r -d '' file; do
            [[ -f "$file" ]] && printf '%s\0' "$file"
        done |
        tar --null --files-from=- -cf -
) | tar -xf - -C "$snapshot"
git_quiet -C "$snapshot" init -q
git_quiet -C "$snapshot" add -A
git_quiet -C "$snapshot" commit -q -m "snapshot for pre-commit try-repo"

# 2. A scratch repository holding one workflow with findings and one without.
consumer="$work/consumer"
mkdir -p "$consumer/.github/workflows"
cp "$root/fixtures/example-repo/.github/workflows/deploy.yml" "$consumer/.github/workflows/"
cp "$root/fixtures/example-repo/.github/workflows/ci.yml" "$consumer/.github/workflows/"
git_quiet -C "$consumer" init -q
git_quiet -C "$consumer" add -A

# pre-commit builds the hook with `cargo install`; the target dir in the cache keeps the
# dependencies compiled between CI runs. This run's hook store is its own, shared by every
# case below, so the hook is built once.
export CARGO_TARGET_DIR="$cache/pre-commit-target"
export PRE_COMMIT_HOME="$work/pre-commit-home"
# tollgate picks the `github` format under GitHub Actions; this test reads exit codes only.
unset GITHUB_ACTIONS

rev="$(git -C "$snapshot" rev-parse HEAD)"
config="$work/pre-commit-config.yaml"
cat >"$config" <<EOF
repos:
  - repo: $snapshot
    rev: $rev
    hooks:
      - id: tollgate
EOF

# The hook, in repository $1, on the files after it.
hook_in() {
    local repo="$1"
    shift
    (cd "$repo" && pre-commit run --config "$config" tollgate --files "$@")
}

try_hook() {
    hook_in "$consumer" "$@"
}

# The hook in repository $1 on file $2 must fail and name rule $3 ($4 says where from).
expect_rule() {
    local status=0 out
    out="$(hook_in "$1" "$2" 2>&1)" || status=$?
    if [[ $status -eq 0 ]] || ! grep -q "$3" <<<"$out"; then
        echo "$out"
        echo "pre-commit-test: FAIL: the hook did not report $3 $4" >&2
        exit 1
    fi
}

echo "pre-commit-test: hook on a workflow with findings (must fail; builds the hook)"
started=$SECONDS
if try_hook .github/workflows/deploy.yml; then
    echo "pre-commit-test: FAIL: the hook passed on deploy.yml, which has findings" >&2
    exit 1
fi

echo "pre-commit-test: the hook was built and ran in $((SECONDS - started))s"

echo "pre-commit-test: hook on a clean workflow (must pass)"
if ! try_hook .github/workflows/ci.yml; then
    echo "pre-commit-test: FAIL: the hook failed on ci.yml, which is clean" >&2
    exit 1
fi

# 3. Changed-files mode: only the workflow is staged, yet the hook reads the repository's
#    roles and finds that the role's trust bypasses the job's environment.
bypass="$work/bypass"
cp -R "$root/tests/fixtures/deploy-path/bypass" "$bypass"
git_quiet -C "$bypass" init -q
git_quiet -C "$bypass" add -A

echo "pre-commit-test: hook on a workflow whose role bypasses its environment (must fail)"
expect_rule "$bypass" .github/workflows/deploy.yml deploy-path-bypass "from infra/roles.tf"

# 4. Secrets: the hook takes every text file, so a staged script with a key fails it and a
#    clean script passes.
secrets="$work/secrets"
mkdir -p "$secrets/with-key" "$secrets/clean"
cp "$root/tests/fixtures/secrets/fire/scripts/deploy.sh" "$secrets/with-key/"
cp "$root/tests/fixtures/secrets/safe/scripts/deploy.sh" "$secrets/clean/"
git_quiet -C "$secrets" init -q
git_quiet -C "$secrets" add -A

echo "pre-commit-test: hook on a script with a hardcoded key (must fail)"
expect_rule "$secrets" with-key/deploy.sh hardcoded-secret "in a staged script"

echo "pre-commit-test: hook on a clean script (must pass)"
if ! hook_in "$secrets" clean/deploy.sh; then
    echo "pre-commit-test: FAIL: the hook failed on a clean script" >&2
    exit 1
fi

echo "pre-commit-test: ok"
