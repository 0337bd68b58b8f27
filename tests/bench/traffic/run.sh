#!/bin/bash
# tests/bench/traffic/run.sh — does mkmig's output keep a busy database answering?
#
#   run.sh [--rows N] [--scenarios "a b ..."] [--mkmig PATH] [--work DIR] [--rate TPS]
#          [--cluster DIR] [--mkmig-args "..."] [--variants "naive mkmig"] [--no-baseline]
#          [--baseline-s S] [--hold S] [--keep]
#
# A throwaway PostgreSQL (tests/pg/cluster.sh), tables users (N rows, default 2,000,000) and
# orders (2N) from schema.sql, copied fresh (CREATE DATABASE ... TEMPLATE) for every run. In each
# run a steady pgbench load (load.sql: point reads and updates by key on both tables; 4 clients,
# --rate TPS in total, default 200) goes on while one scenario's migration is applied: the naive
# DDL of scenarios/NAME.sql as written, or mkmig's output for it (mkmig --schema schema.sql).
# A baseline run applies nothing, after the scenarios, for as long as the longest migration took
# (at least 20 s; --baseline-s fixes it): the worst latency of a window grows with its length on
# a shared machine, so the baseline's window is as long as the one it is compared with.
# lock_queue_trap: a transaction holds ACCESS SHARE on users for --hold S (default 4) when the
# migration starts.
#
# Per run: every transaction's latency (pgbench's per-transaction log; with --rate it counts from the scheduled start, i.e.
# what a caller waited), the migration's start and end. report.md gets the table, plot.png the
# latency over time around each migration. Timings are on whatever else the machine runs: the
# ratios in one run are the result, not the absolute figures.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
rows=2000000 rate=200 work=/tmp/mkmig-bench-traffic mkmig=$root/build-rel/mkmig cluster="" keep=0
mkmig_args="" variants="naive mkmig" baseline=1
all_scenarios="add_index add_unique add_foreign_key add_check set_not_null add_column_volatile
add_column_jsonb int_to_bigint rename_column backfill lock_queue_trap"
scenarios=$all_scenarios
pre=4 post=4 baseline_s="" hold=4
while [ $# -gt 0 ]; do
  case $1 in
    --rows) rows=$2; shift 2 ;;
    --scenarios) scenarios=$2; shift 2 ;;
    --mkmig) mkmig=$2; shift 2 ;;
    --mkmig-args) mkmig_args=$2; shift 2 ;;
    --work) work=$2; shift 2 ;;
    --rate) rate=$2; shift 2 ;;
    --cluster) cluster=$2; shift 2 ;;
    --variants) variants=$2; shift 2 ;;
    --no-baseline) baseline=0; shift ;;
    --baseline-s) baseline_s=$2; shift 2 ;;
    --hold) hold=$2; shift 2 ;;
    --keep) keep=1; shift ;;
    *) sed -n '2,23p' "$0" >&2; exit 2 ;;
  esac
done
for tool in pgbench psql; do
  command -v $tool >/dev/null || { echo "run.sh: $tool not found (Debian package postgresql)" >&2; exit 2; }
done
[ -x "$mkmig" ] || { echo "run.sh: no mkmig at $mkmig (build it: cmake --build build-rel)" >&2; exit 2; }
mkdir -p "$work"
work=$(cd "$work" && pwd)
log() { printf '%s %s\n' "$(date -u +%T)" "$*" >&2; }

own_cluster=0 shm=""
cleanup() {
  [ -z "$shm" ] || rm -rf "$shm"
  [ $own_cluster = 0 ] || "$root/tests/pg/cluster.sh" stop "$cluster" >/dev/null 2>&1 || true
}
trap cleanup EXIT
if [ -z "$cluster" ]; then
  cluster=$work/cluster own_cluster=1
  "$root/tests/pg/cluster.sh" stop "$cluster" >/dev/null 2>&1 || true
  "$root/tests/pg/cluster.sh" start "$cluster" >&2
fi
# shellcheck disable=SC1091
. "$cluster/env"
export PGOPTIONS="${PGOPTIONS:--c client_min_messages=warning}"
q() { psql -X -q -v ON_ERROR_STOP=1 "$@"; }
# Room for bulk work (the cluster itself runs with fsync off, see cluster.sh).
q -c "ALTER SYSTEM SET maintenance_work_mem = '256MB'" -c "ALTER SYSTEM SET max_wal_size = '8GB'" \
  -c "ALTER SYSTEM SET checkpoint_timeout = '30min'" -c "ALTER SYSTEM SET synchronous_commit = off" \
  -c "ALTER SYSTEM SET work_mem = '64MB'" -c "SELECT pg_reload_conf()" >/dev/null

base=bench_base_$rows
if [ "$(psql -XAtc "SELECT count(*) FROM pg_database WHERE datname = '$base'")" = 0 ]; then
  log "loading $rows users, $((2 * rows)) orders"
  t0=$(date +%s.%N)
  q -c "CREATE DATABASE $base"
  q -d "$base" -f "$here/schema.sql"
  q -d "$base" -c "INSERT INTO users (id, email, name, score, balance, created_at)
      SELECT g, 'user' || g || '@example.com', 'User ' || g, g % 1000, 0, now() - g * interval '1 second'
      FROM generate_series(1, $rows) g" \
    -c "INSERT INTO orders (id, user_id, amount, created_at)
      SELECT g, 1 + (g::bigint * 7919) % $rows, (g % 10000) / 100.0, now() - g * interval '1 second'
      FROM generate_series(1, $((2 * rows))) g" \
    -c "VACUUM ANALYZE users" -c "VACUUM ANALYZE orders" -c "CHECKPOINT"
  log "loaded in $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.0f", b - a }') s ($(psql -XAtc "SELECT pg_size_pretty(pg_database_size('$base'))"))"
fi

# The scripts: naive as written; mkmig's output compiled once per scenario.
mkdir -p "$work/sql"
# The source revision the scripts were compiled from (report.sh prints it; the tree may move
# while a long run goes on).
git -C "$root" describe --always --dirty --abbrev=7 > "$work/mkmig.rev" 2>/dev/null || echo '?' > "$work/mkmig.rev"
for s in $scenarios; do
  cp "$here/scenarios/$s.sql" "$work/sql/$s.naive.sql"
  # shellcheck disable=SC2086
  "$mkmig" $mkmig_args --schema "$here/schema.sql" "$here/scenarios/$s.sql" > "$work/sql/$s.mkmig.sql" 2> "$work/sql/$s.mkmig.err"
done

now() { date +%s.%N; }

# pgbench writes its per-transaction log to memory (tmpfs) during a run. On disk, with the
# cluster (fsync off) filling the page cache with gigabytes of dirty pages during a 20M-row
# backfill, pgbench itself stalled: every client's latency jumped by 2.4 s at once while no
# backend was busy (pg_stat_activity sampled every 50 ms) - the load generator, not the database.
txdir=$work/tx
if [ -d /dev/shm ] && [ -w /dev/shm ]; then
  txdir=$(mktemp -d /dev/shm/mkmig-bench-tx.XXXXXX) shm=$txdir
fi
mkdir -p "$txdir"

# run NAME VARIANT: one fresh copy, load, migration (or the baseline's pause), load.
run() {
  local s=$1 v=$2 d=$work/runs/$1.$2 db=run_db
  rm -rf "$d" && mkdir -p "$d"
  q -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "CREATE DATABASE $db TEMPLATE $base STRATEGY FILE_COPY"
  q -d "$db" -c "ANALYZE" >/dev/null
  pgbench -n -c 4 -j 2 -R "$rate" -T 7200 -f "$here/load.sql" -D nusers="$rows" -D norders=$((2 * rows)) \
    -l --log-prefix="$txdir/tx" "$db" > "$d/pgbench.out" 2> "$d/pgbench.err" &
  local pgb=$!
  sleep "$pre"
  local holder=""
  if [ "$s" = lock_queue_trap ]; then
    # ACCESS SHARE on users for $hold s, from a moment before the migration starts.
    psql -X -q -d "$db" -c "BEGIN" -c "SELECT count(*) FROM users WHERE id = 1" -c "SELECT pg_sleep($hold)" \
      -c "COMMIT" > "$d/holder.log" 2>&1 &
    holder=$!
    sleep 0.3
  fi
  local t0 t1 rc=0 load0
  load0=$(cut -d' ' -f1 /proc/loadavg 2>/dev/null || echo '?')
  t0=$(now)
  if [ "$v" = baseline ]; then
    sleep "$baseline_s"
  else
    psql -X -v ON_ERROR_STOP=1 -d "$db" -f "$work/sql/$s.$v.sql" > "$d/migration.log" 2>&1 || rc=$?
  fi
  t1=$(now)
  [ -n "$holder" ] && wait "$holder"
  sleep "$post"
  kill -TERM "$pgb" 2>/dev/null || true  # not INT: a background job of a script ignores it
  wait "$pgb" 2>/dev/null || true
  echo "$t0 $t1 $rc" > "$d/window"
  # The machine's 1-minute load average at the migration's start and end (other work on it).
  echo "$load0 $(cut -d' ' -f1 /proc/loadavg 2>/dev/null || echo '?')" > "$d/loadavg"
  # One file per pgbench thread; the kill cuts each one's last line (a newline keeps the cut
  # lines apart, and report.sh drops them by their field count).
  for f in "$txdir"/tx.[0-9]*; do [ -f "$f" ] && cat "$f" && echo; done > "$d/tx.log"
  rm -f "$txdir"/tx.[0-9]*
  log "$s/$v: migration $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }') s, exit $rc"
}

log "runs: $(echo $scenarios | wc -w) scenarios x $variants$([ $baseline = 0 ] || echo ' + baseline'); rate $rate tps, 4 clients"
longest=20
for s in $scenarios; do
  for v in $variants; do
    run "$s" "$v"
    longest=$(awk -v a="$longest" '{ d = $2 - $1; printf "%.0f", (d > a ? d + 0.5 : a) }' "$work/runs/$s.$v/window")
  done
done
if [ $baseline = 1 ]; then
  baseline_s=${baseline_s:-$longest}
  run baseline baseline
fi
q -c "DROP DATABASE IF EXISTS run_db WITH (FORCE)"
[ $keep = 1 ] || q -c "DROP DATABASE IF EXISTS $base"

if [ $baseline = 1 ] && [ "$variants" = "naive mkmig" ]; then
  "$here/report.sh" "$work" "$rows" "$rate" "$scenarios" > "$work/report.md"
  cat "$work/report.md"
fi
