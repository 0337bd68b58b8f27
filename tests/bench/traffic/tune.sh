#!/bin/bash
# tune.sh — the measurement behind mkmig's lock-retry defaults: the lock-queue trap (a
# transaction holding ACCESS SHARE on users for 4 s when the migration starts) under the same
# load, with mkmig's output for several lock_timeout values, one fresh copy each. Prints, per
# value, the worst and p99 latency, transactions over 100 ms, whether the migration got through,
# and how long it took.
#
#   tune.sh [--rows N] [--work DIR] [--cluster DIR] [--timeouts "50 100 ..."] [--retries N]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
rows=200000 work=/tmp/mkmig-bench-tune cluster_args=() timeouts="50 100 150 250 500 1000 2000" retries=""
while [ $# -gt 0 ]; do
  case $1 in
    --rows) rows=$2; shift 2 ;;
    --work) work=$2; shift 2 ;;
    --cluster) cluster_args=(--cluster "$2"); shift 2 ;;
    --timeouts) timeouts=$2; shift 2 ;;
    --retries) retries=$2; shift 2 ;;
    *) sed -n '2,9p' "$0" >&2; exit 2 ;;
  esac
done
root=$(cd "$here/../../.." && pwd)
mkdir -p "$work"
if [ ${#cluster_args[@]} = 0 ]; then
  "$root/tests/pg/cluster.sh" start "$work/cluster" >&2
  trap '"$root/tests/pg/cluster.sh" stop "$work/cluster" >/dev/null 2>&1 || true' EXIT
  cluster_args=(--cluster "$work/cluster")
fi
echo "| lock_timeout ms | retries | max ms | p99 ms | tx > 100 ms | migration | seconds |"
echo "|---|---|---|---|---|---|---|"
for t in $timeouts; do
  args="--lock-timeout $t${retries:+ --lock-retries $retries}"
  "$here/run.sh" --rows "$rows" --work "$work/lt_$t" "${cluster_args[@]}" --keep --no-baseline --variants mkmig \
    --scenarios lock_queue_trap --mkmig-args "$args" >/dev/null 2>"$work.lt_$t.log" || true
  d=$work/lt_$t/runs/lock_queue_trap.mkmig
  read -r t0 t1 rc < "$d/window"
  awk 'NF == 7 && length($5) == 10 && $3 ~ /^[0-9]+$/ { print $3 / 1000.0 }' "$d/tx.log" | sort -g |
    awk -v t="$t" -v r="${retries:-default}" -v t0="$t0" -v t1="$t1" -v rc="$rc" '
      { v[n++] = $1; if ($1 > 100) over++ }
      END { printf "| %s | %s | %.0f | %.0f | %d | %s | %.1f |\n", t, r, v[n - 1], v[int(0.99 * n)], over + 0,
                   rc == 0 ? "done" : "FAILED", t1 - t0 }'
done
