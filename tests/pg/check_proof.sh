#!/usr/bin/env bash
# `mkmig check` against a real server (issue 10):
#   1. with --db, a hazard on a big table is an error with its size and expected duration, the same
#      hazard on a small table a note (--small-table sets the threshold);
#   2. what the transaction rules claim is what PostgreSQL does: CREATE INDEX CONCURRENTLY fails in
#      an explicit transaction and in a multi-statement string (golang-migrate, dbmate: one Exec),
#      and runs alone; VALIDATE in the transaction of its NOT VALID ADD holds the ADD's lock;
#   3. the fix mkmig prints for a flagged statement is the script `mkmig` emits, and it runs.
#
#   check_proof.sh MKMIG [--cluster DIR] [--work DIR]
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$here/lib.sh"
mkmig=$1; shift
cluster=${MKMIG_PG_CLUSTER_DIR:-}; work=""
while [[ $# -gt 0 ]]; do
  case $1 in
    --cluster) cluster=$2; shift 2 ;;
    --work) work=$2; shift 2 ;;
    *) echo "check_proof.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
[[ -n $work ]] || work=$(mktemp -d)
rm -rf "$work" && mkdir -p "$work"
pg_env "$cluster"
db=$(pg_db_name check_proof "$MKMIG_PG_MAJOR")
pg_fresh_db "$db"
conninfo="host=$PGHOST port=$PGPORT user=$PGUSER dbname=$db"
fail=0
no() { echo "FAIL: $*" >&2; fail=1; }

pg_psql -d "$db" <<'SQL'
CREATE TABLE big (id bigint PRIMARY KEY, v text);
INSERT INTO big SELECT g, md5(g::text) FROM generate_series(1, 200000) g;
CREATE TABLE small (id bigint PRIMARY KEY, v text);
INSERT INTO small SELECT g, 'x' FROM generate_series(1, 50) g;
ANALYZE big; ANALYZE small;
SQL

cat > "$work/input.sql" <<'SQL'
SET lock_timeout = '2s';
CREATE INDEX big_v_idx ON big (v);
CREATE INDEX small_v_idx ON small (v);
SQL
set +e
"$mkmig" check --db "$conninfo" "$work/input.sql" > "$work/check.txt" 2>&1; rc=$?
"$mkmig" check --db "$conninfo" --small-table 1000000 "$work/input.sql" > "$work/check-small.txt" 2>&1; rc_small=$?
"$mkmig" check --db "$conninfo" --format json "$work/input.sql" > "$work/check.json" 2>&1
set -e
[[ $rc -eq 1 ]] || no "a blocking index build on a 200,000-row table must exit 1 (got $rc)"
grep -q 'error\[index-blocking-build\].*public.big' "$work/check.txt" || no "big: no error"
grep -q 'size: ~200000 rows, .*: the index build takes' "$work/check.txt" || no "big: no size and duration"
grep -q 'note\[index-blocking-build\].*public.small' "$work/check.txt" || no "small: not a note"
[[ $rc_small -eq 0 ]] || no "--small-table 1000000 makes both notes: exit 0 expected (got $rc_small)"
grep -q '"rows": 200000, "bytes": [0-9]*, "seconds"' "$work/check.json" || no "json: rows/bytes/seconds missing"

# 2. PostgreSQL's own answers to the transaction rules.
if pg_psql -d "$db" -c 'BEGIN' -c 'CREATE INDEX CONCURRENTLY big_v_c ON big (v)' -c 'COMMIT' >/dev/null 2>"$work/e1"; then
  no "CONCURRENTLY inside BEGIN succeeded"
fi
grep -q 'cannot run inside a transaction block' "$work/e1" || no "unexpected error: $(cat "$work/e1")"
# psql -c sends the string as one simple query, as golang-migrate and dbmate do with a file.
if pg_psql -d "$db" -c "SET lock_timeout = '2s'; CREATE INDEX CONCURRENTLY big_v_c ON big (v)" >/dev/null 2>"$work/e2"; then
  no "CONCURRENTLY in a multi-statement string succeeded"
fi
grep -q 'cannot run inside a transaction block' "$work/e2" || no "unexpected error: $(cat "$work/e2")"
pg_psql -d "$db" -c "CREATE INDEX CONCURRENTLY big_v_c ON big (v)" || no "CONCURRENTLY alone failed"
printf '%s\n' "CREATE INDEX CONCURRENTLY big_v_c2 ON big (v);" > "$work/V3__alone.sql"
printf '%s\n' "SET lock_timeout = '2s';" "CREATE INDEX CONCURRENTLY big_v_c3 ON big (v);" > "$work/000004_two.up.sql"
set +e
"$mkmig" check --db "$conninfo" "$work/V3__alone.sql" > "$work/alone.txt" 2>&1; rc1=$?
"$mkmig" check --db "$conninfo" "$work/000004_two.up.sql" > "$work/two.txt" 2>&1; rc2=$?
set -e
[[ $rc1 -eq 0 ]] || no "a Flyway file holding only CONCURRENTLY is clean (got $rc1): $(cat "$work/alone.txt")"
[[ $rc2 -eq 1 ]] && grep -q 'concurrently-in-transaction' "$work/two.txt" || no "golang-migrate two statements not flagged"
# VALIDATE in the ADD's transaction still holds the ADD's ACCESS EXCLUSIVE (CHECK): another
# session's read of the table waits.
pg_psql -d "$db" -c "ALTER TABLE big ADD CONSTRAINT big_v_nn CHECK (v IS NOT NULL) NOT VALID" -c "ALTER TABLE big DROP CONSTRAINT big_v_nn"
held=$(pg_psql -d "$db" -A -t <<'SQL'
BEGIN;
ALTER TABLE big ADD CONSTRAINT big_v_nn CHECK (v IS NOT NULL) NOT VALID;
ALTER TABLE big VALIDATE CONSTRAINT big_v_nn;
SELECT mode FROM pg_locks WHERE relation = 'big'::regclass AND pid = pg_backend_pid() AND mode = 'AccessExclusiveLock';
ROLLBACK;
SQL
)
[[ $held == AccessExclusiveLock ]] || no "VALIDATE in the same transaction: ACCESS EXCLUSIVE not held (got '$held')"

# 3. The fix is the filter's output: it runs.
"$mkmig" --db "$conninfo" "$work/input.sql" > "$work/fix.sql"
pg_psql -d "$db" -f "$work/fix.sql" >/dev/null || no "the emitted fix does not run"
valid=$(pg_psql -d "$db" -A -t -c "SELECT count(*) FROM pg_index WHERE indexrelid IN ('big_v_idx'::regclass, 'small_v_idx'::regclass) AND indisvalid")
[[ $valid == 2 ]] || no "the fix did not build both indexes valid (got $valid)"

# 4. The safe forms check calls clean are clean against the live catalog too, and they run; so does
#    mkmig's own output, read through its retry calls.
src=$(cd "$here/../.." && pwd)/fixtures/check
for case in safe_forms_clean mkmig_output; do
  cdb=$(pg_db_name "check_$case" "$MKMIG_PG_MAJOR")
  pg_fresh_db "$cdb"
  pg_psql -d "$cdb" -f "$src/$case/schema.sql" >/dev/null
  set +e
  "$mkmig" check --db "host=$PGHOST port=$PGPORT user=$PGUSER dbname=$cdb" "$src/$case/input.sql" > "$work/$case.txt" 2>&1; rc=$?
  set -e
  [[ $rc -eq 0 ]] || no "$case: flagged against the live catalog (exit $rc): $(cat "$work/$case.txt")"
  pg_psql -d "$cdb" -f "$src/$case/input.sql" >/dev/null 2>"$work/$case.err" || no "$case does not run: $(cat "$work/$case.err")"
  pg_drop_db "$cdb"
done

# 5. ATTACH PARTITION after a validated CHECK: every ATTACH check calls clean is one PostgreSQL
#    proves from the CHECK (DEBUG1 "is implied by existing constraints"), every one it flags one
#    PostgreSQL verifies by scanning.
for case in attach_partition_proven_clean attach_partition_unproven; do
  cdb=$(pg_db_name "check_$case" "$MKMIG_PG_MAJOR")
  pg_fresh_db "$cdb"
  pg_psql -d "$cdb" -f "$src/$case/schema.sql" >/dev/null
  { echo "SET client_min_messages = debug1;"; cat "$src/$case/input.sql"; } |
    pg_psql -d "$cdb" -f - >/dev/null 2>"$work/$case.debug" || no "$case does not run: $(cat "$work/$case.debug")"
  attaches=$(grep -c '^ALTER TABLE .* ATTACH PARTITION' "$src/$case/input.sql")
  implied=$(grep -c 'is implied by existing constraints' "$work/$case.debug" || true)
  set +e
  "$mkmig" check --schema "$src/$case/schema.sql" "$src/$case/input.sql" > "$work/$case.txt" 2>&1; rc=$?
  set -e
  flagged=$(grep -c 'error\[blocking-scan\]' "$work/$case.txt" || true)
  [[ $((attaches - implied)) -eq $flagged ]] ||
    no "$case: PostgreSQL proved $implied of $attaches attaches without a scan, check flags $flagged: $(cat "$work/$case.txt")"
  [[ $case != *_clean || $rc -eq 0 ]] || no "$case: flagged (exit $rc)"
  pg_drop_db "$cdb"
done

pg_drop_db "$db"
[[ $fail -eq 0 ]] && echo "check_proof: ok"
exit $fail
