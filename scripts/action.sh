#!/usr/bin/env bash
# The logic of the tollgate GitHub Action (action.yml), in a script so that tests/action.rs can
# run it outside GitHub with the environment variables the runner sets.
#
#   action.sh cache-key   writes `key=<hash of the action's sources>` to $GITHUB_OUTPUT
#   action.sh install     builds tollgate from the action's own checkout into $TOLLGATE_HOME,
#                         unless the (restored) build there was made from the same sources
#   action.sh run         runs `tollgate check` once: annotations (workflow commands) on
#                         standard output, a Markdown job summary appended to
#                         $GITHUB_STEP_SUMMARY, a SARIF file; outputs `sarif` and `exit-code`
#
# Inputs arrive as INPUT_* variables (action.yml maps them): INPUT_PATHS (whitespace-separated),
# INPUT_CONFIG, INPUT_FAIL_ON (high|medium|low|never), INPUT_BASELINE, INPUT_SARIF,
# INPUT_CHANGED_ONLY (true|false), INPUT_BASE (a git revision; on pull requests with
# changed-only, the base branch by default).
set -euo pipefail

action_path="${GITHUB_ACTION_PATH:?GITHUB_ACTION_PATH is not set; this script is run by action.yml}"
home="${TOLLGATE_HOME:-${RUNNER_TEMP:?RUNNER_TEMP is not set}/tollgate-action}"
bin="$home/bin/tollgate"

# Everything the binary is built from: a build restored from the cache is used only when it was
# made from exactly these sources (a local `uses: ./` action has no ref to key on).
source_key() {
    (
        cd "$action_path"
        find Cargo.toml Cargo.lock src rules -type f -print0 |
            LC_ALL=C sort -z |
            xargs -0 sha256sum |
            sha256sum |
            cut -c1-40
    )
}

output() {
    if [[ -n "${GITHUB_OUTPUT:-}" ]]; then
        printf '%s=%s\n' "$1" "$2" >>"$GITHUB_OUTPUT"
    fi
}

cache_key() {
    output key "$(source_key)"
}

install() {
    local key
    key="$(source_key)"
    if [[ -x "$bin" && "$(cat "$home/key" 2>/dev/null)" == "$key" ]]; then
        echo "tollgate: using the cached build ($("$bin" --version))"
        return
    fi
    if ! command -v cargo >/dev/null; then
        echo "::error title=tollgate::cargo is not installed; add a Rust toolchain step (e.g. rustup) before the tollgate action"
        exit 2
    fi
    CARGO_TARGET_DIR="${RUNNER_TEMP:-$home}/tollgate-target" \
        cargo install --locked --quiet --force --path "$action_path" --root "$home"
    printf '%s\n' "$key" >"$home/key"
    "$bin" --version
}

run() {
    local paths=() args=() status=0 fail_on="${INPUT_FAIL_ON:-low}"
    # Newlines and spaces both separate paths (no globbing: `read` does not expand).
    read -r -d '' -a paths < <(printf '%s\0' "${INPUT_PATHS-.}") || true
    if [[ "${INPUT_CHANGED_ONLY:-false}" == "true" ]]; then
        args+=(--changed-only)
        if [[ ${#paths[@]} -eq 0 ]]; then
            # A pull request that touches no file tollgate reads: nothing to check, and
            # `check` without paths would check the whole repository.
            echo "tollgate: no changed files to check"
            if [[ -n "${GITHUB_STEP_SUMMARY:-}" ]]; then
                printf '## tollgate\n\nNo changed files to check.\n' >>"$GITHUB_STEP_SUMMARY"
            fi
            output exit-code 0
            return
        fi
    fi
    if [[ ${#paths[@]} -eq 0 ]]; then
        paths=(.)
    fi
    case "$fail_on" in
    high | medium | low) args+=(--fail-on "$fail_on") ;;
    never) ;;
    *)
        echo "::error title=tollgate::input fail-on is \`$fail_on\`; expected high, medium, low or never"
        exit 2
        ;;
    esac
    if [[ -n "${INPUT_CONFIG:-}" ]]; then
        args+=(--config "$INPUT_CONFIG")
    fi
    if [[ -n "${INPUT_BASELINE:-}" ]]; then
        if ! "$bin" check --help | grep -q -- '--baseline'; then
            echo "::error title=tollgate::input baseline is set, but this tollgate has no --baseline option"
            exit 2
        fi
        args+=(--baseline "$INPUT_BASELINE")
    fi

    cd "${GITHUB_WORKSPACE:-.}"
    # On a pull request, the policy and baseline are judged against the base branch's: a
    # change that weakens them is reported (policy-weakened) rather than obeyed in silence.
    local base="${INPUT_BASE:-}"
    if [[ -z "$base" && -n "${GITHUB_BASE_REF:-}" && "${INPUT_CHANGED_ONLY:-false}" == "true" ]]; then
        base="origin/$GITHUB_BASE_REF"
        if ! git rev-parse --verify --quiet "$base^{commit}" >/dev/null 2>&1; then
            git fetch --no-tags --depth=1 origin \
                "+refs/heads/$GITHUB_BASE_REF:refs/remotes/origin/$GITHUB_BASE_REF" >/dev/null 2>&1 || true
        fi
    fi
    if [[ -n "$base" ]]; then
        args+=(--base "$base")
    fi
    local sarif="${INPUT_SARIF:-tollgate.sarif}"
    mkdir -p "$(dirname "$sarif")"
    local summary="${RUNNER_TEMP:-$home}/tollgate-summary.md"
    rm -f "$summary"
    # One scan, three reports: the annotations on standard output (the runner turns them into
    # pull-request annotations), the SARIF file and the Markdown summary.
    "$bin" check --format github --also "sarif=$sarif" --also "markdown=$summary" \
        "${args[@]}" -- "${paths[@]}" || status=$?

    if [[ -n "${GITHUB_STEP_SUMMARY:-}" && -f "$summary" ]]; then
        cat "$summary" >>"$GITHUB_STEP_SUMMARY"
    fi
    output sarif "$sarif"
    output exit-code "$status"
    case "$status" in
    0) ;;
    1) if [[ "$fail_on" == "never" ]]; then status=0; fi ;;
    2) echo "tollgate: some files could not be checked (see the annotations)" ;;
    *) echo "::error title=tollgate::tollgate exited with status $status" ;;
    esac
    exit "$status"
}

case "${1:-}" in
cache-key) cache_key ;;
install) install ;;
run) run ;;
*)
    echo "usage: action.sh cache-key|install|run" >&2
    exit 2
    ;;
esac
