#!/usr/bin/env bash
# Benchmark tollgate against zizmor and actionlint on the real-world corpus.
#
# usage: TOLLGATE=target/release/tollgate ZIZMOR=/path/zizmor ACTIONLINT=/path/actionlint \
#          bash benches/realworld.sh [--print-commands]
#
#   TOLLGATE    tollgate binary (default: target/release/tollgate if it exists)
#   ZIZMOR      zizmor binary      (unset: zizmor is skipped)
#   ACTIONLINT  actionlint binary  (unset: actionlint is skipped)
#   CORPUS      corpus dir, relative to the repo root
#               (default: ../shared/corpus/peers/actionlint/realworld)
#   RUNS        counted runs per tool (default 5), after WARMUP (default 1) uncounted runs
#
# Each tool is timed as a whole process: wall seconds and peak RSS, via
# `/usr/bin/time -f '%e %M'` when present, otherwise Python's resource module.
# Prints min/median/max per tool, then the median ratios zizmor/tollgate and
# actionlint/tollgate (>1 means tollgate is faster / smaller).
#
# Pairing with an external A/B timer: on a shared, noisy machine a ratio taken
# pair by pair (A B A B ...) is more trustworthy than two separate medians.
# `--print-commands` prints one line per tool, `NAME: sh -c '...'` (the file
# lists go to a temp dir that is kept), so each command is a single string that
# any whole-process timer can run or interleave with another, e.g.
#   A=$(TOLLGATE=... bash benches/realworld.sh --print-commands | sed -n 's/^tollgate: //p')
#   B=$(ZIZMOR=...   bash benches/realworld.sh --print-commands | sed -n 's/^zizmor: //p')
#   hyperfine -w 1 -r 5 -i "$A" "$B"     # or any timer taking two command strings
# and `/usr/bin/time -v CMD` gives one run's full accounting.
#
# Notes:
# - tollgate exit code 1 means "findings" and is fine; >1 is reported.
# - zizmor is given the files explicitly and skips
#   apache_airflow_.github_workflows_ci.yml, on which zizmor 1.32 aborts.
#   (It also skips 2 tauri-apps files itself: they fail its schema check.)
# - actionlint runs without shellcheck/pyflakes unless those are on PATH,
#   which changes its cost a lot: the table notes whether shellcheck was found.
set -u -o pipefail

cd "$(dirname "$0")/.." || exit 2
ROOT=$(pwd)
CORPUS=${CORPUS:-../shared/corpus/peers/actionlint/realworld}
RUNS=${RUNS:-5}
WARMUP=${WARMUP:-1}
ZIZMOR_EXCLUDE='apache_airflow_.github_workflows_ci.yml'

if [ ! -d "$CORPUS" ]; then
    echo "corpus not found: $ROOT/$CORPUS" >&2
    exit 2
fi
if [ -z "${TOLLGATE:-}" ] && [ -x target/release/tollgate ]; then
    TOLLGATE=target/release/tollgate
fi

TMP=$(mktemp -d "${TMPDIR:-/tmp}/tollgate-realworld.XXXXXX")
PRINT_ONLY=0
[ "${1:-}" = "--print-commands" ] && PRINT_ONLY=1
if [ "$PRINT_ONLY" = 0 ]; then
    trap 'rm -rf "$TMP"' EXIT
fi

# File lists (sorted, one path per line, relative to the repo root).
find "$CORPUS" -maxdepth 1 -type f \( -name '*.yml' -o -name '*.yaml' \) | LC_ALL=C sort > "$TMP/all.txt"
grep -v "/$ZIZMOR_EXCLUDE\$" "$TMP/all.txt" > "$TMP/zizmor.txt"
mapfile -t ALL_FILES < "$TMP/all.txt"
mapfile -t ZIZMOR_FILES < "$TMP/zizmor.txt"
echo "corpus: $CORPUS (${#ALL_FILES[@]} files; zizmor gets ${#ZIZMOR_FILES[@]})" >&2

TOLLGATE_CMD=("${TOLLGATE:-tollgate}" check --format json "$CORPUS")
ZIZMOR_CMD=("${ZIZMOR:-zizmor}" --offline --no-config --format=json --no-exit-codes --no-progress "${ZIZMOR_FILES[@]}")
ACTIONLINT_CMD=("${ACTIONLINT:-actionlint}" -format '{{json .}}' "${ALL_FILES[@]}")

if [ "$PRINT_ONLY" = 1 ]; then
    q() { printf "%q" "$1"; }
    [ -n "${TOLLGATE:-}" ] && echo "tollgate: sh -c 'cd $(q "$ROOT") && exec $(q "$TOLLGATE") check --format json $(q "$CORPUS") >/dev/null'"
    [ -n "${ZIZMOR:-}" ] && echo "zizmor: sh -c 'cd $(q "$ROOT") && exec $(q "$ZIZMOR") --offline --no-config --format=json --no-exit-codes --no-progress \$(cat $TMP/zizmor.txt) >/dev/null 2>&1'"
    [ -n "${ACTIONLINT:-}" ] && echo "actionlint: sh -c 'cd $(q "$ROOT") && exec $(q "$ACTIONLINT") -format \"{{json .}}\" \$(cat $TMP/all.txt) >/dev/null 2>&1'"
    echo "(file lists kept in $TMP)" >&2
    exit 0
fi

# time_once CMD... -> prints "WALL_SECONDS PEAK_RSS_KB EXIT" (the tool itself is
# timed directly, no wrapper shell; its output goes to /dev/null)
if [ -x /usr/bin/time ]; then
    time_once() {
        local out="$TMP/time.out" rc
        /usr/bin/time -f '%e %M' -o "$out" "$@" > /dev/null 2>&1
        rc=$?
        echo "$(tail -n 1 "$out") $rc"
    }
else
    time_once() {
        python3 -c '
import resource, subprocess, sys, time
t0 = time.monotonic()
rc = subprocess.call(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
wall = time.monotonic() - t0
# KiB on Linux; includes the forked Python before exec (~10 MiB floor)
rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(f"{wall:.2f} {rss} {rc}")' "$@"
    }
fi

# stats [FMT] < numbers -> "min median max"
stats() {
    sort -n | awk '{ v[NR] = $1 } END {
        if (NR == 0) { print "- - -"; exit }
        med = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
        printf fmt " " fmt " " fmt "\n", v[1], med, v[NR] }' fmt="${1:-%.2f}"
}

declare -A MED_WALL MED_RSS ROW
bench() {
    local name=$1 i line rc bad=0
    local -n cmd="$2"
    : > "$TMP/$name.txt"
    for ((i = 0; i < WARMUP; i++)); do time_once "${cmd[@]}" > /dev/null; done
    for ((i = 0; i < RUNS; i++)); do
        line=$(time_once "${cmd[@]}")
        rc=${line##* }
        if [ "$name" = tollgate ] && [ "$rc" -gt 1 ]; then bad=$rc; fi
        if [ "$name" = zizmor ] && [ "$rc" -ne 0 ]; then bad=$rc; fi
        if [ "$name" = actionlint ] && [ "$rc" -gt 1 ]; then bad=$rc; fi
        echo "$line" >> "$TMP/$name.txt"
    done
    local w r
    w=$(cut -d' ' -f1 "$TMP/$name.txt" | stats)
    r=$(cut -d' ' -f2 "$TMP/$name.txt" | awk '{ printf "%.1f\n", $1 / 1024 }' | stats %.1f)
    MED_WALL[$name]=$(echo "$w" | cut -d' ' -f2)
    MED_RSS[$name]=$(echo "$r" | cut -d' ' -f2)
    local note=""
    [ "$bad" != 0 ] && note="  (exit $bad!)"
    # shellcheck disable=SC2086
    ROW[$name]=$(printf "%-11s %7s %7s %7s   %8s %8s %8s%s" "$name" $w $r "$note")
}

TOOLS=()
[ -n "${TOLLGATE:-}" ] && TOOLS+=(tollgate)
[ -n "${ZIZMOR:-}" ] && TOOLS+=(zizmor)
[ -n "${ACTIONLINT:-}" ] && TOOLS+=(actionlint)
if [ ${#TOOLS[@]} -eq 0 ]; then
    echo "nothing to run: set TOLLGATE, ZIZMOR and/or ACTIONLINT" >&2
    exit 2
fi
[ -z "${TOLLGATE:-}" ] && echo "TOLLGATE not set and target/release/tollgate missing: tollgate skipped" >&2

for t in "${TOOLS[@]}"; do
    echo "running $t ($WARMUP warm-up + $RUNS runs)..." >&2
    bench "$t" "${t^^}_CMD"
done

echo
echo "corpus: $CORPUS  files: ${#ALL_FILES[@]}  runs: $RUNS (+$WARMUP warm-up)  cpus: $(nproc)"
command -v shellcheck > /dev/null && echo "note: shellcheck on PATH (actionlint will use it)" \
    || echo "note: shellcheck not on PATH (actionlint runs without it)"
printf "%-11s %7s %7s %7s   %8s %8s %8s\n" tool "wall" "(s)" "" "peak" "RSS" "(MiB)"
printf "%-11s %7s %7s %7s   %8s %8s %8s\n" "" min median max min median max
for t in "${TOOLS[@]}"; do echo "${ROW[$t]}"; done

if [ -n "${TOLLGATE:-}" ]; then
    echo
    for t in zizmor actionlint; do
        [ -n "${MED_WALL[$t]:-}" ] || continue
        awk -v n="$t" -v a="${MED_WALL[$t]}" -v b="${MED_WALL[tollgate]}" \
            -v ra="${MED_RSS[$t]}" -v rb="${MED_RSS[tollgate]}" 'BEGIN {
            w = (b > 0) ? sprintf("%.2fx", a / b) : "n/a (tollgate wall 0)"
            r = (rb > 0) ? sprintf("%.2fx", ra / rb) : "n/a"
            printf "%s/tollgate: wall %s   peak RSS %s\n", n, w, r }'
    done
fi
