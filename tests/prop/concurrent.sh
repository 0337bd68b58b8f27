#!/usr/bin/env bash
# The end-state property under load: mkmig's up script applied while pgbench plays the old
# application (gen.py's workload.sql: start table and column names only) writing every table.
#
#   concurrent.sh MKMIG CASE_DIR --cluster DIR --work DIR
#
# CASE_DIR is a gen.py case (run after rewrite_proof.sh, whose WORK/up.sql it uses). The old
# application runs only until the first CHECKPOINT of the up script (after it, the contract phase
# removes what the old application uses; deploying the new one is the user's step):
#   1. database <case>_concurrent: schema.sql, the probe log table mkmig_probe.log
#   2. pgbench (4 clients, workload.sql, back-to-back one-second runs) writes while the up script
#      runs to its first CHECKPOINT; then pgbench stops and the rest of the up script runs
#   3. pgbench must report no failed transaction (no write rejected: lock_timeout retries and
#      the sync triggers must not make the old application's writes fail)
#   4. database <case>_concurrent_naive: schema.sql, the same logged rows (replay.sql), then the
#      naive DDL; its schema and data must equal the concurrent database's (no write lost, every
#      synced column right), mkmig_probe aside
# A case whose up script renames or drops in place (a later statement of the input uses the
# table, so mkmig keeps the change in its place, with a warning that the old application fails
# from that moment) has no old-application window: it is reported and passes.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../pg/lib.sh
. "$here/../pg/lib.sh"

usage() {
  echo "usage: concurrent.sh MKMIG CASE_DIR --cluster DIR --work DIR" >&2
  exit 2
}
[[ $# -eq 6 && $3 == --cluster && $5 == --work ]] || usage
mkmig=$1 dir=$2 cluster=$4 work=$6
pg_env "$cluster"
name=$(basename "$dir")
up=$work/up.sql
[[ -f $up ]] || { echo "concurrent: $up is missing (run rewrite_proof.sh first)" >&2; exit 2; }
if grep -q -E '(renamed|dropped) in place' "$up"; then
  echo "concurrent: skipped, the up script renames or drops in place (no old-application window)"
  exit 0
fi

db=$(pg_db_name "$name" concurrent)
db_naive=$(pg_db_name "$name" concurrent_naive)
setup_probe() {
  pg_psql -d "$1" -c 'CREATE SCHEMA mkmig_probe; CREATE TABLE mkmig_probe.log (tbl text, id bigint, PRIMARY KEY (tbl, id))' >/dev/null
}

# the up script before and from its first CHECKPOINT
cut=$(grep -n -m1 '^-- CHECKPOINT' "$up" | cut -d: -f1 || true)
if [[ -n $cut ]]; then
  head -n "$((cut - 1))" "$up" >"$work/up-before-checkpoint.sql"
  # the rest runs in a new session: it needs the script's preamble too (the session-local
  # pg_temp.mkmig_retry and pg_temp.mkmig_batch helpers are defined once, before the first
  # phase banner)
  pre=$(grep -n -m1 '^-- =====' "$up" | cut -d: -f1)
  { head -n "$((pre - 1))" "$up"; tail -n "+$cut" "$up"; } >"$work/up-after-checkpoint.sql"
else
  cp "$up" "$work/up-before-checkpoint.sql"
  : >"$work/up-after-checkpoint.sql"
fi

pg_fresh_db "$db" >/dev/null
pg_run "$db" "$dir/schema.sql" >"$work/concurrent-schema.log" 2>&1
setup_probe "$db"

# pgbench writes for the whole expand/backfill part: one-second runs, one after the other,
# until the migration reaches its checkpoint (each run ends cleanly and reports its failures)
stop=$work/pgbench.stop
rm -f "$stop"
: >"$work/pgbench.log"
(
  while [[ ! -e $stop ]]; do
    pgbench -n -c 4 -T 1 -f "$dir/workload.sql" "$db" >>"$work/pgbench.log" 2>&1 || echo "pgbench: error: exit status $?" >>"$work/pgbench.log"
  done
) &
bench=$!
sleep 0.5
t0=$(date +%s.%N)
mig_rc=0
pg_run "$db" "$work/up-before-checkpoint.sql" >"$work/concurrent-up1.log" 2>&1 || mig_rc=$?
touch "$stop"
wait "$bench" || true
t1=$(date +%s.%N)
if [[ $mig_rc -ne 0 ]]; then
  echo "concurrent: FAIL: the up script (before its checkpoint) failed under load: $work/concurrent-up1.log" >&2
  tail -n 20 "$work/concurrent-up1.log" >&2
  exit 1
fi
pg_run "$db" "$work/up-after-checkpoint.sql" >"$work/concurrent-up2.log" 2>&1 ||
  { echo "concurrent: FAIL: the up script after its checkpoint failed: $work/concurrent-up2.log" >&2; exit 1; }

# any error pgbench printed is a rejected write
if grep -E -q 'ERROR|error:|aborted in command' "$work/pgbench.log" ||
  grep -E 'number of failed transactions: [1-9]' "$work/pgbench.log" >/dev/null; then
  echo "concurrent: FAIL: the old application's writes failed during the migration ($work/pgbench.log):" >&2
  grep -E 'ERROR|error:|aborted' "$work/pgbench.log" | head -n 5 >&2
  exit 1
fi
logged=$(pg_psql -A -t -d "$db" -c 'SELECT count(*) FROM mkmig_probe.log')
if [[ $logged -eq 0 ]]; then
  echo "concurrent: FAIL: pgbench wrote nothing ($work/pgbench.log)" >&2
  exit 1
fi

pg_fresh_db "$db_naive" >/dev/null
pg_run "$db_naive" "$dir/schema.sql" >"$work/concurrent-naive-schema.log" 2>&1
setup_probe "$db_naive"
pg_psql -d "$db" -c 'COPY mkmig_probe.log TO STDOUT' | pg_psql -d "$db_naive" -c 'COPY mkmig_probe.log FROM STDIN'
pg_run "$db_naive" "$dir/replay.sql" >"$work/concurrent-replay.log" 2>&1
naive_file=$dir/input.sql
if [[ -f $dir/naive.sql ]]; then naive_file=$dir/naive.sql; fi
pg_run "$db_naive" "$naive_file" >"$work/concurrent-naive.log" 2>&1
pg_describe "$db" --data | grep -v 'mkmig_probe' >"$work/concurrent.txt"
pg_describe "$db_naive" --data | grep -v 'mkmig_probe' >"$work/concurrent-naive.txt"
if ! pg_compare "$work/concurrent-naive.txt" "$work/concurrent.txt" "naive + the same writes" "up under load" >"$work/concurrent.diff"; then
  cat "$work/concurrent.diff" >&2
  echo "concurrent: FAIL: with the old application writing, the end state differs from the naive DDL's with the same writes" >&2
  exit 1
fi
txns=$(grep -o 'number of transactions actually processed: [0-9]*' "$work/pgbench.log" | grep -o '[0-9]*$' |
  awk '{ n += $1 } END { print n + 0 }')
printf 'concurrent: ok: %s rows written by the old application during %.1fs (%s pgbench transactions), none lost or rejected\n' \
  "$logged" "$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')" "$txns"
pg_drop_db "$db"
pg_drop_db "$db_naive"
