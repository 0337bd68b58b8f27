#!/usr/bin/env bash
# The lock retry's two bounds, on a real server:
#
#   lock_wait_proof.sh MKMIG --cluster DIR
#
#   1. a blocker that never lets go: the step gives up once --lock-wait has passed, well before
#      --lock-retries attempts (1000 here) would have run out, with the lock error;
#   2. a blocker that lets go after 1.5 s: the same step waits its turn through the retries and
#      lands (the constraint exists, validated later by its own step);
#   3. while the step retries, every attempt queues other sessions for lock_timeout at most:
#      a reader started during the retries finishes in far less than the blocker's hold.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"
[[ $# -eq 3 && $2 == --cluster ]] || { echo "usage: lock_wait_proof.sh MKMIG --cluster DIR" >&2; exit 2; }
mkmig=$1
pg_env "$3"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
db=$(pg_db_name lock_wait_proof)
pg_fresh_db "$db" >/dev/null
pg_psql -d "$db" -c 'CREATE TABLE t (id int PRIMARY KEY, a int); INSERT INTO t SELECT g, g FROM generate_series(1, 100) g' >/dev/null
echo 'CREATE TABLE t (id int PRIMARY KEY, a int);' >"$work/schema.sql"
echo 'ALTER TABLE t ADD CONSTRAINT t_a_check CHECK (a > 0);' >"$work/input.sql"
"$mkmig" --schema "$work/schema.sql" --lock-timeout 100 --lock-retries 1000 --lock-wait 1500 "$work/input.sql" >"$work/up.sql"
grep -q "interval '1500 ms'" "$work/up.sql" || { echo "FAIL: the retry helper has no time budget" >&2; exit 1; }

hold() { # hold ACCESS SHARE on t for $1 seconds (a long reader)
  psql -X -q -d "$db" -c "BEGIN; SELECT count(*) FROM t; SELECT pg_sleep($1); COMMIT;" >/dev/null &
  sleep 0.3
}

# 1. a blocker for 20 s: the step must fail after about 1.5 s plus one back-off, not after 1000 tries
hold 20
blocker=$!
t0=$(date +%s.%N)
rc=0
pg_psql -d "$db" -f "$work/up.sql" >"$work/run1.log" 2>&1 || rc=$?
t1=$(date +%s.%N)
kill "$blocker" 2>/dev/null || true
pg_psql -d "$db" -c "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()" >/dev/null
wait "$blocker" 2>/dev/null || true
elapsed=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
if [[ $rc -eq 0 ]]; then echo "FAIL: the step succeeded behind a blocker that never let go" >&2; exit 1; fi
grep -q 'lock timeout' "$work/run1.log" || { echo "FAIL: not the lock error:" >&2; cat "$work/run1.log" >&2; exit 1; }
# 1.5 s of budget, then at most one more back-off sleep (5 s cap x 1.5 jitter) and attempt
if awk -v e="$elapsed" 'BEGIN { exit !(e > 10) }'; then echo "FAIL: gave up after ${elapsed}s (budget 1.5 s)" >&2; exit 1; fi
echo "ok 1: gave up after ${elapsed}s behind a blocker of 20 s (lock-wait 1500 ms, 1000 attempts allowed)"

# 2 + 3. a blocker for 1.2 s: the retries outlast it; a reader during the retries is never stuck
"$mkmig" --schema "$work/schema.sql" --lock-timeout 100 --lock-wait 20000 "$work/input.sql" >"$work/up2.sql"
hold 1.2
blocker=$!
pg_psql -d "$db" -f "$work/up2.sql" >"$work/run2.log" 2>&1 &
mig=$!
sleep 0.4
r0=$(date +%s.%N)
psql -X -q -d "$db" -c 'SELECT count(*) FROM t' >/dev/null
r1=$(date +%s.%N)
wait "$mig" || { echo "FAIL: the step did not land after the blocker let go:" >&2; cat "$work/run2.log" >&2; exit 1; }
wait "$blocker" || true
read_s=$(awk -v a="$r0" -v b="$r1" 'BEGIN { printf "%.2f", b - a }')
got=$(psql -X -A -t -d "$db" -c "SELECT convalidated FROM pg_constraint WHERE conname = 't_a_check'")
[[ $got == t ]] || { echo "FAIL: t_a_check is '$got', expected validated" >&2; exit 1; }
grep -q 'lock not available, attempt' "$work/run2.log" || { echo "FAIL: no retry happened (the blocker did not block?)" >&2; exit 1; }
if awk -v e="$read_s" 'BEGIN { exit !(e > 0.6) }'; then echo "FAIL: a reader waited ${read_s}s during the retries (lock_timeout 100 ms)" >&2; exit 1; fi
echo "ok 2: landed after the blocker let go, $(grep -c 'lock not available' "$work/run2.log") retries; a reader meanwhile took ${read_s}s"
pg_drop_db "$db"
