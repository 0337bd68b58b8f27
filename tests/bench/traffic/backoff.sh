#!/bin/bash
# backoff.sh — does the cap on mkmig's lock-retry pause matter? The lock-queue trap (a
# transaction holding ACCESS SHARE on users for --holds S when the migration starts) under the
# usual load, with mkmig's output whose pause `least(0.05 * 2 ^ attempt, CAP)` has CAP replaced
# by each of --caps (seconds; the emitted default is 5). Each pair runs --reps times on fresh
# copies (the pause is jittered). Prints per run the worst and p99 latency, transactions over
# 100 ms, lock attempts that timed out, and how long the migration took past the holder's end.
#
#   backoff.sh [--rows N] [--work DIR] [--cluster DIR] [--holds "4 10"] [--caps "1 5 10"] [--reps N]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
rows=200000 work=/tmp/mkmig-bench-backoff cluster_args=() holds="4 10" caps="1 5 10" reps=2
mkmig=$root/build-rel/mkmig
while [ $# -gt 0 ]; do
  case $1 in
    --rows) rows=$2; shift 2 ;;
    --work) work=$2; shift 2 ;;
    --cluster) cluster_args=(--cluster "$2"); shift 2 ;;
    --holds) holds=$2; shift 2 ;;
    --caps) caps=$2; shift 2 ;;
    --reps) reps=$2; shift 2 ;;
    --mkmig) mkmig=$2; shift 2 ;;
    *) sed -n '2,9p' "$0" >&2; exit 2 ;;
  esac
done
mkdir -p "$work"
work=$(cd "$work" && pwd)
if [ ${#cluster_args[@]} = 0 ]; then
  "$root/tests/pg/cluster.sh" start "$work/cluster" >&2
  trap '"$root/tests/pg/cluster.sh" stop "$work/cluster" >/dev/null 2>&1 || true' EXIT
  cluster_args=(--cluster "$work/cluster")
fi
# The emitted pause must be there to be replaced: fail loudly when the output's form moved.
"$mkmig" --schema "$here/schema.sql" "$here/scenarios/lock_queue_trap.sql" |
  grep -q 'least(0.05 \* 2 ^ attempt, 5)' || { echo "backoff.sh: mkmig's output has no 'least(0.05 * 2 ^ attempt, 5)'" >&2; exit 2; }
echo "| holder s | cap s | run | max ms | p99 ms | tx > 100 ms | lock timeouts | migration s | past the holder s |"
echo "|---|---|---|---|---|---|---|---|---|"
for h in $holds; do
  for c in $caps; do
    # A stand-in for mkmig that rewrites the cap in its output.
    wrap=$work/mkmig_cap_$c
    printf '#!/bin/sh\n"%s" "$@" | sed "s/least(0.05 \\* 2 ^ attempt, 5)/least(0.05 * 2 ^ attempt, %s)/"\n' "$mkmig" "$c" > "$wrap"
    chmod +x "$wrap"
    for i in $(seq 1 "$reps"); do
      w=$work/h${h}_c${c}_$i
      PGOPTIONS="-c client_min_messages=notice" "$here/run.sh" --rows "$rows" --work "$w" "${cluster_args[@]}" --keep \
        --no-baseline --variants mkmig --scenarios lock_queue_trap --hold "$h" --mkmig "$wrap" >/dev/null 2>"$w.log" || true
      d=$w/runs/lock_queue_trap.mkmig
      read -r t0 t1 rc < "$d/window"
      tries=$(grep -c 'lock not available' "$d/migration.log" || true)
      awk 'NF == 7 && length($5) == 10 && $3 ~ /^[0-9]+$/ { print $3 / 1000.0 }' "$d/tx.log" | sort -g |
        awk -v h="$h" -v c="$c" -v i="$i" -v t0="$t0" -v t1="$t1" -v rc="$rc" -v tries="$tries" '
          { v[n++] = $1; if ($1 > 100) over++ }
          END { printf "| %s | %s | %d | %.0f | %.0f | %d | %s | %.1f%s | %.1f |\n", h, c, i, v[n - 1], v[int(0.99 * n)],
                       over + 0, tries, t1 - t0, rc == 0 ? "" : " (FAILED)", t1 - t0 + 0.3 - h }'
    done
  done
done
