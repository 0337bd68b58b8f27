#!/usr/bin/env bash
# Interruption proofs on a real PostgreSQL: a deploy of mkmig's up script that crashes part-way
# (psql killed with SIGKILL and its backend ended, or a statement that fails) leaves a state from
# which running the SAME up script again from the start reaches the naive end state, with no
# helper object left behind.
#
#   interrupt_proof.sh MKMIG CASE [--cluster DIR] [--work DIR]
#
#   --cluster DIR   the cluster (cluster.sh start DIR); default $MKMIG_PG_CLUSTER_DIR
#   --work DIR      where generated scripts, logs and descriptions are kept; default a temp dir
#
# The case's inputs are in fixtures/interrupt/CASE/ beside this script: schema.sql (the starting
# schema and data, also given to mkmig as --schema), input.sql (the naive DDL), args (extra mkmig
# arguments, one per line) and whatever the case needs besides. Cases:
#
#   backfill           ADD COLUMN ... NOT NULL DEFAULT gen_random_uuid() on 20000 rows, batches of
#                      500 with a pause between them. psql is killed (SIGKILL, then its backend is
#                      terminated) once some batches have committed. The partial state is checked
#                      (some rows filled, some not, the progress row agrees with the committed
#                      rows, the column still nullable); the "old application" keeps writing; the
#                      same script is run again: it resumes after the recorded key, the rows
#                      filled before the crash keep their values, every row ends with a unique
#                      non-null code, the schema equals the naive one and the other columns' data
#                      equal the naive data.
#   cic_duplicate      CREATE UNIQUE INDEX on a column with duplicates: the CONCURRENTLY build fails
#                      and leaves an INVALID index; a rerun before the data is fixed must fail
#                      again (not skip the build because of IF NOT EXISTS); after fix.sql the
#                      rerun succeeds and the index is VALID; schema and data equal the naive ones.
#   cic_cancel         CREATE UNIQUE INDEX whose CONCURRENTLY build is held by an older open
#                      transaction (CIC waits for older snapshots after it has built the index):
#                      while it waits, psql is killed and the build is cancelled, which leaves an
#                      INVALID index; the holder ends; the rerun drops the leftover and builds a
#                      VALID index; schema and data equal the naive ones.
#   rename_checkpoint  RENAME COLUMN as expand/contract: only the part of the up script before its
#                      CHECKPOINT banner is run (a deploy stopped between phases); then the old
#                      application (user_name) and the new one (username) both insert, update and
#                      read through the sync trigger; then the whole script is run from the start;
#                      schema and data equal the naive end state (with the same writes made in the
#                      new names).
#   update_counter     UPDATE t SET n = n + 1 (not idempotent) on 20000 rows keyed on text, batches
#                      of 500 with a pause. psql is killed once some batches have committed; the
#                      partial state is checked (some rows changed, the progress row counts exactly
#                      the changed rows); the same script is run again: it resumes after the
#                      recorded key, and every row ends exactly as the naive UPDATE left it (no row
#                      changed twice), with no helper object left.
#   reindex_concurrently  REINDEX INDEX, made REINDEX INDEX CONCURRENTLY, waits for an older
#                      transaction; psql is killed and the statement cancelled, which leaves an
#                      INVALID t_email_key_ccnew; the holder ends; the rerun drops the leftover and
#                      rebuilds: no INVALID index, no _ccnew, schema and data equal the naive ones.
#   detach_concurrently  DETACH PARTITION, made DETACH ... CONCURRENTLY, waits for an older
#                      transaction using the parent; psql is killed and the statement cancelled,
#                      which leaves the partition pending detach; the holder ends; the rerun
#                      completes it (FINALIZE), attaches it again and detaches it concurrently:
#                      schema and data equal the naive ones, no CHECK copy of the bound left.
#   rename_rerun       RENAME COLUMN: the whole up script runs to completion, then runs again, as
#                      after a deploy whose psql was killed right after the contract step committed.
#                      The rerun must succeed and leave the end state unchanged, and writes to the
#                      table must keep working.
#
# Databases <case>_naive (schema.sql, then the naive DDL) and <case>_safe (schema.sql, then the
# interrupted and repeated up script); they are dropped when the case passes.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$here/lib.sh"

usage() {
  echo "usage: interrupt_proof.sh MKMIG CASE [--cluster DIR] [--work DIR] [--pg-version N]" >&2
  exit 2
}

[[ $# -ge 2 ]] || usage
mkmig=$1
case_name=$2
shift 2
cluster=${MKMIG_PG_CLUSTER_DIR:-}
work=""
pg_version=""
while [[ $# -gt 0 ]]; do
  case $1 in
    --cluster) [[ $# -ge 2 ]] || usage; cluster=$2; shift 2 ;;
    --work) [[ $# -ge 2 ]] || usage; work=$2; shift 2 ;;
    --pg-version) [[ $# -ge 2 ]] || usage; pg_version=$2; shift 2 ;;
    *) usage ;;
  esac
done

fixture=$here/fixtures/interrupt/$case_name
[[ -f $fixture/input.sql && -f $fixture/schema.sql ]] ||
  { echo "interrupt_proof: no case $case_name (need $fixture/input.sql and schema.sql)" >&2; exit 2; }
if [[ $mkmig != /* ]]; then mkmig="$PWD/$mkmig"; fi
[[ -x $mkmig ]] || { echo "interrupt_proof: mkmig is not built: $mkmig" >&2; exit 1; }
[[ -n $cluster ]] || { echo "interrupt_proof: no cluster (--cluster DIR or MKMIG_PG_CLUSTER_DIR)" >&2; exit 2; }
pg_env "$cluster"

if [[ -z $work ]]; then work=$(mktemp -d); fi
rm -rf -- "$work"
mkdir -p "$work"
work=$(cd "$work" && pwd)

db_naive=$(pg_db_name interrupt "$case_name" naive ${pg_version:+"$pg_version"})
db_safe=$(pg_db_name interrupt "$case_name" safe ${pg_version:+"$pg_version"})
# application_name of the sessions this run starts: unique, so that only they are ever ended
app="mkmig_interrupt_${case_name}_$$"

failures=()
fail() {
  failures+=("$1")
  echo "FAIL: $1" >&2
}
die() {
  echo "FAIL: $1" >&2
  echo "interrupt_proof: $case_name FAILED; files kept in $work" >&2
  exit 1
}
ok() { echo "ok: $*"; }

# ---- sessions ----------------------------------------------------------------------------------

bg_pids=()
cleanup() {
  local p
  for p in "${bg_pids[@]}"; do
    if kill -0 "$p" 2>/dev/null; then kill -KILL "$p" 2>/dev/null || true; fi
  done
  end_backends "$app%" terminate >/dev/null 2>&1 || true
}
trap cleanup EXIT

# q DB SQL: one value (or rows, unaligned, '|' separated); fails on an SQL error
q() {
  psql -X -q -A -t -v ON_ERROR_STOP=1 -d "$1" -c "$2"
}

# start_psql TAG DB FILE LOG: run FILE like a deploy, in the background, as application TAG;
# sets bg_pid
start_psql() {
  local tag=$1 db=$2 file=$3 log=$4
  PGAPPNAME="$app$tag" psql -X -v ON_ERROR_STOP=1 -d "$db" -f "$file" >"$log" 2>&1 &
  bg_pid=$!
  bg_pids+=("$bg_pid")
}

# run_psql TAG DB FILE LOG: run FILE like a deploy, in the foreground; returns psql's status
run_psql() {
  local tag=$1 db=$2 file=$3 log=$4 rc=0
  PGAPPNAME="$app$tag" psql -X -v ON_ERROR_STOP=1 -d "$db" -f "$file" >"$log" 2>&1 || rc=$?
  return "$rc"
}

# backend_pids PATTERN: pids of the server sessions whose application_name is LIKE PATTERN
backend_pids() {
  psql -X -q -A -t -v ON_ERROR_STOP=1 -d postgres -v pat="$1" <<'SQL'
SELECT pid FROM pg_stat_activity WHERE application_name LIKE :'pat' AND pid <> pg_backend_pid();
SQL
}

# end_backends PATTERN cancel|terminate: cancel or terminate those sessions, then wait (up to 10 s)
# until they are gone, terminating them after a cancel when they linger. Fails if one survives.
end_backends() {
  local pat=$1 how=$2 fn=pg_terminate_backend i
  [[ $how == cancel ]] && fn=pg_cancel_backend
  psql -X -q -A -t -v ON_ERROR_STOP=1 -d postgres -v pat="$pat" >/dev/null <<SQL
SELECT $fn(pid) FROM pg_stat_activity WHERE application_name LIKE :'pat' AND pid <> pg_backend_pid();
SQL
  for i in $(seq 1 100); do
    [[ -z $(backend_pids "$pat") ]] && return 0
    if [[ $i -eq 30 ]]; then
      psql -X -q -A -t -d postgres -v pat="$pat" >/dev/null <<'SQL'
SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name LIKE :'pat' AND pid <> pg_backend_pid();
SQL
    fi
    sleep 0.1
  done
  echo "interrupt_proof: sessions $pat still running: $(backend_pids "$pat" | tr '\n' ' ')" >&2
  return 1
}

# crash PID TAG cancel|terminate: the deploy dies: SIGKILL to its psql, then its backend is
# cancelled or terminated (a killed client alone does not stop a statement that sends nothing)
crash() {
  local pid=$1 tag=$2 how=$3
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  end_backends "$app$tag" "$how" || die "the backend of the killed deploy ($app$tag) did not end"
}

# wait_for DESCRIPTION SECONDS PID COMMAND...: poll COMMAND every 0.05 s until it succeeds;
# fails when the deploy PID exits first or the time is up
wait_for() {
  local what=$1 secs=$2 pid=$3 deadline
  shift 3
  deadline=$((SECONDS + secs))
  while ((SECONDS < deadline)); do
    if "$@"; then return 0; fi
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "interrupt_proof: the deploy ended before $what" >&2
      return 1
    fi
    sleep 0.05
  done
  echo "interrupt_proof: timed out after ${secs}s waiting for $what" >&2
  return 1
}

# ---- checks ------------------------------------------------------------------------------------

# expect_eq WHAT GOT WANT
expect_eq() {
  if [[ $2 == "$3" ]]; then
    ok "$1 ($2)"
  else
    fail "$1: got '$2', want '$3'"
  fi
}

# helpers_left DB: mkmig's helper objects (anything named *mkmig*: progress table, helper
# constraints, triggers, functions) and INVALID indexes, one per line
helpers_left() {
  q "$1" "
SELECT kind || ' ' || name FROM (
  SELECT 'relation' AS kind, c.oid::regclass::text AS name
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
   WHERE n.nspname <> 'information_schema' AND n.nspname !~ '^pg_' AND c.relname ~* 'mkmig'
  UNION ALL
  SELECT 'constraint', conrelid::regclass::text || '.' || conname FROM pg_constraint
   WHERE conname ~* 'mkmig'
  UNION ALL
  SELECT 'trigger', tgrelid::regclass::text || '.' || tgname FROM pg_trigger WHERE tgname ~* 'mkmig'
  UNION ALL
  SELECT 'function', p.oid::regprocedure::text FROM pg_proc p
   JOIN pg_namespace n ON n.oid = p.pronamespace
   WHERE n.nspname <> 'information_schema' AND n.nspname !~ '^pg_' AND p.proname ~* 'mkmig'
  UNION ALL
  SELECT 'invalid index', indexrelid::regclass::text FROM pg_index WHERE NOT indisvalid
) x ORDER BY 1"
}

check_no_helpers() {
  local left
  left=$(helpers_left "$1")
  if [[ -z $left ]]; then
    ok "no helper object left in $1"
  else
    fail "helper objects left in $1: $(echo "$left" | tr '\n' ';')"
  fi
}

# compare_schema LABEL: describe both databases; the safe schema must equal the naive one
compare_schema() {
  pg_describe "$db_naive" --data >"$work/naive.txt"
  pg_describe "$db_safe" --data >"$work/safe.txt"
  if pg_compare_schema "$work/naive.txt" "$work/safe.txt" "naive" "safe ($1)" >"$work/schema.diff"; then
    ok "schema after $1 equals the naive end state"
  else
    cat "$work/schema.diff" >&2
    fail "schema after $1 differs from the naive end state: diff $work/naive.txt $work/safe.txt"
  fi
}

# compare_data LABEL: the data lines of both descriptions must be equal
compare_data() {
  if diff -u --label naive --label "safe ($1)" <(grep '^data ' "$work/naive.txt") \
      <(grep '^data ' "$work/safe.txt") >"$work/data.diff"; then
    ok "data after $1 equal the naive data"
  else
    cat "$work/data.diff" >&2
    fail "data after $1 differ from the naive data: diff $work/naive.txt $work/safe.txt"
  fi
}

show_log() {
  echo "---- $1 ----" >&2
  cat "$1" >&2 || true
  echo "---- end ----" >&2
}

# ---- setup -------------------------------------------------------------------------------------

args=(${pg_version:+--pg-version "$pg_version"})
if [[ -f $fixture/args ]]; then
  while IFS= read -r line || [[ -n $line ]]; do
    [[ -n $line ]] && args+=("$line")
  done <"$fixture/args"
fi
if ! (cd "$fixture" && "$mkmig" --all-phases --schema schema.sql "${args[@]}" input.sql) >"$work/up.sql" 2>"$work/mkmig.stderr"; then
  cat "$work/mkmig.stderr" >&2
  die "mkmig failed on $fixture/input.sql"
fi
echo "interrupt_proof: $case_name on PostgreSQL $MKMIG_PG_SERVER_VERSION_NUM; mkmig args: ${args[*]:-(none)}; files in $work"

pg_fresh_db "$db_naive"
pg_fresh_db "$db_safe"
pg_run "$db_naive" "$fixture/schema.sql" >"$work/naive-schema.log" 2>&1 || { show_log "$work/naive-schema.log"; die "schema.sql does not run"; }
pg_run "$db_safe" "$fixture/schema.sql" >"$work/safe-schema.log" 2>&1 || { show_log "$work/safe-schema.log"; die "schema.sql does not run"; }

# ---- cases -------------------------------------------------------------------------------------

case_backfill() {
  local total filled
  total=$(q "$db_safe" "SELECT count(*) FROM t")
  pg_run "$db_naive" "$fixture/input.sql" >"$work/naive.log" 2>&1 || { show_log "$work/naive.log"; die "the naive DDL does not run"; }

  # 1. the deploy, killed once a few batches have committed
  start_psql _up "$db_safe" "$work/up.sql" "$work/run1.log"
  local pid=$bg_pid
  filled_some() {
    local n
    n=$(q "$db_safe" "SELECT count(*) FROM t WHERE code IS NOT NULL" 2>/dev/null) || return 1
    [[ $n -ge 1500 ]]
  }
  wait_for "3 backfill batches" 40 "$pid" filled_some ||
    { show_log "$work/run1.log"; die "the backfill never got under way, or finished before it could be interrupted (raise --batch-sleep in $fixture/args)"; }
  crash "$pid" _up terminate
  echo "interrupt_proof: deploy killed; its output: $work/run1.log"

  # 2. the partial state
  filled=$(q "$db_safe" "SELECT count(*) FROM t WHERE code IS NOT NULL")
  if [[ $filled -gt 0 && $filled -lt $total ]]; then
    ok "partial state after the crash: $filled of $total rows filled"
  else
    die "the state after the crash is not partial: $filled of $total rows filled"
  fi
  local progress
  progress=$(q "$db_safe" "SELECT CASE WHEN to_regclass('public.mkmig_backfill') IS NULL THEN 'no progress table'
                                ELSE (SELECT coalesce(max(rows_done)::text, 'no progress row') FROM public.mkmig_backfill) END")
  expect_eq "the progress row counts exactly the committed rows" "$progress" "$filled"
  expect_eq "code is still nullable after the crash" \
    "$(q "$db_safe" "SELECT NOT attnotnull FROM pg_attribute WHERE attrelid = 't'::regclass AND attname = 'code'")" t
  q "$db_safe" "SELECT id || ' ' || code FROM t WHERE code IS NOT NULL ORDER BY id" >"$work/filled-before.txt"

  # 3. the old application keeps working (it knows nothing of code): same writes on both sides
  local app_sql="INSERT INTO t (id, name, n) SELECT g, 'late' || g, g % 5 FROM generate_series($((total + 1)), $((total + 50))) g;
UPDATE t SET name = name || '-edited' WHERE id % 1000 = 7;
DELETE FROM t WHERE id IN (11, $((total - 11)));"
  q "$db_safe" "$app_sql" >/dev/null || die "the old application's writes fail after the crash"
  q "$db_naive" "$app_sql" >/dev/null

  # 4. the same script again, to the end
  if run_psql _rerun "$db_safe" "$work/up.sql" "$work/run2.log"; then
    ok "the rerun of the same up script completed"
  else
    show_log "$work/run2.log"
    die "the rerun of the up script failed: $work/run2.log"
  fi
  if grep -q 'resuming backfill' "$work/run2.log"; then
    ok "the rerun resumed the backfill after the recorded key"
  else
    fail "the rerun did not resume the backfill (no 'resuming backfill' notice in $work/run2.log)"
  fi

  # 5. the end state
  local counts
  counts=$(q "$db_safe" "SELECT count(*) || ' ' || count(code) || ' ' || count(DISTINCT code) FROM t")
  local n=${counts%% *}
  expect_eq "rows / non-null codes / distinct codes" "$counts" "$n $n $n"
  q "$db_safe" "SELECT id || ' ' || code FROM t ORDER BY id" >"$work/filled-after.txt"
  local kept deleted
  deleted=$(grep -c -E '^(11|'$((total - 11))') ' "$work/filled-before.txt" || true)
  kept=$(grep -c -F -x -f "$work/filled-before.txt" "$work/filled-after.txt" || true)
  expect_eq "codes filled before the crash kept by the rerun (of $(wc -l <"$work/filled-before.txt"), less $deleted deleted)" \
    "$kept" "$(($(wc -l <"$work/filled-before.txt") - deleted))"
  compare_schema "the rerun"
  local dn ds
  dn=$(q "$db_naive" "SELECT count(*) || ' ' || md5(string_agg(id || '|' || name || '|' || coalesce(n::text, 'NULL'), ',' ORDER BY id)) FROM t")
  ds=$(q "$db_safe" "SELECT count(*) || ' ' || md5(string_agg(id || '|' || name || '|' || coalesce(n::text, 'NULL'), ',' ORDER BY id)) FROM t")
  expect_eq "data of the columns other than code equal the naive data (rows md5)" "$ds" "$dn"
  check_no_helpers "$db_safe"
}

case_cic_duplicate() {
  # naive: the naive DDL fails on the duplicates too; its end state is after the same fix
  if ! { pg_run "$db_naive" "$fixture/fix.sql" && pg_run "$db_naive" "$fixture/input.sql"; } >"$work/naive.log" 2>&1; then
    show_log "$work/naive.log"
    die "the naive DDL does not run after fix.sql"
  fi

  local state="SELECT coalesce((SELECT CASE WHEN indisvalid THEN 'valid' ELSE 'invalid' END FROM pg_index
                                 WHERE indexrelid = to_regclass('public.t_email_key')), 'missing')"
  # 1. the deploy fails on the duplicates
  if run_psql _up "$db_safe" "$work/up.sql" "$work/run1.log"; then
    die "the up script succeeded on duplicate emails: $work/run1.log"
  fi
  if grep -q 'could not create unique index' "$work/run1.log"; then
    ok "the first run failed on the duplicates"
  else
    show_log "$work/run1.log"
    die "the first run failed, but not on the duplicates"
  fi
  expect_eq "index after the failed build" "$(q "$db_safe" "$state")" invalid

  # 2. a rerun before the data is fixed must fail again, not accept the INVALID leftover
  if run_psql _rerun1 "$db_safe" "$work/up.sql" "$work/run2.log"; then
    fail "a rerun with the duplicates still present succeeded (the INVALID leftover was accepted?): $work/run2.log; index $(q "$db_safe" "$state")"
  else
    if grep -q 'could not create unique index' "$work/run2.log"; then
      ok "a rerun before the fix fails again on the duplicates"
    else
      show_log "$work/run2.log"
      fail "a rerun before the fix failed, but not on the duplicates"
    fi
  fi
  if grep -q 'dropping INVALID index' "$work/run2.log"; then
    ok "that rerun dropped the INVALID leftover before building"
  else
    fail "the rerun did not drop the INVALID leftover (no 'dropping INVALID index' notice in $work/run2.log)"
  fi

  # 3. fix the data, run the same script again
  pg_run "$db_safe" "$fixture/fix.sql" >"$work/fix.log" 2>&1 || { show_log "$work/fix.log"; die "fix.sql does not run"; }
  if run_psql _rerun2 "$db_safe" "$work/up.sql" "$work/run3.log"; then
    ok "the rerun after the fix completed"
  else
    show_log "$work/run3.log"
    die "the rerun after the fix failed: $work/run3.log"
  fi
  expect_eq "index after the rerun" "$(q "$db_safe" "$state")" valid
  expect_eq "the index is unique and ready" \
    "$(q "$db_safe" "SELECT indisunique AND indisready AND indislive FROM pg_index WHERE indexrelid = to_regclass('public.t_email_key')")" t
  compare_schema "the rerun"
  compare_data "the rerun"
  check_no_helpers "$db_safe"
}

case_cic_cancel() {
  pg_run "$db_naive" "$fixture/input.sql" >"$work/naive.log" 2>&1 || { show_log "$work/naive.log"; die "the naive DDL does not run"; }

  # 1. an older transaction with a snapshot: CIC builds the index, then waits for it
  PGAPPNAME="${app}_holder" psql -X -q -d "$db_safe" \
    -c "BEGIN ISOLATION LEVEL REPEATABLE READ; SELECT count(*) FROM t; SELECT pg_sleep(150); COMMIT;" \
    >"$work/holder.log" 2>&1 &
  local holder=$!
  bg_pids+=("$holder")
  holder_has_snapshot() {
    [[ $(q postgres "SELECT count(*) FROM pg_stat_activity WHERE application_name = '${app}_holder' AND backend_xmin IS NOT NULL") == 1 ]]
  }
  wait_for "the holder's snapshot" 20 "$holder" holder_has_snapshot || { show_log "$work/holder.log"; die "the holder transaction did not start"; }

  # 2. the deploy, cancelled while CIC waits for the holder
  start_psql _up "$db_safe" "$work/up.sql" "$work/run1.log"
  local pid=$bg_pid
  cic_waits() {
    [[ $(q postgres "SELECT count(*) FROM pg_stat_activity WHERE application_name = '${app}_up'
                       AND wait_event_type = 'Lock' AND wait_event = 'virtualxid'
                       AND query ~* 'CREATE UNIQUE INDEX CONCURRENTLY'") == 1 ]]
  }
  wait_for "CREATE INDEX CONCURRENTLY to wait for the older transaction" 40 "$pid" cic_waits ||
    { show_log "$work/run1.log"; die "CREATE INDEX CONCURRENTLY never waited for the holder"; }
  local phase=""
  if [[ $MKMIG_PG_MAJOR -ge 12 ]]; then
    phase=$(q postgres "SELECT p.phase FROM pg_stat_progress_create_index p JOIN pg_stat_activity a USING (pid)
                         WHERE a.application_name = '${app}_up'")
  fi
  echo "interrupt_proof: CIC waits for the holder (phase: ${phase:-unknown}); index $(q "$db_safe" "SELECT indisready::text || '/' || indisvalid::text FROM pg_index WHERE indexrelid = to_regclass('public.t_email_key')") (ready/valid)"
  crash "$pid" _up cancel
  echo "interrupt_proof: deploy killed and its CREATE INDEX CONCURRENTLY cancelled; its output: $work/run1.log"
  local state="SELECT coalesce((SELECT CASE WHEN indisvalid THEN 'valid' ELSE 'invalid' END FROM pg_index
                                 WHERE indexrelid = to_regclass('public.t_email_key')), 'missing')"
  expect_eq "index after the cancelled build" "$(q "$db_safe" "$state")" invalid

  # 3. the long transaction ends; the same script again
  end_backends "${app}_holder" terminate || die "the holder session did not end"
  wait "$holder" 2>/dev/null || true
  if run_psql _rerun "$db_safe" "$work/up.sql" "$work/run2.log"; then
    ok "the rerun of the same up script completed"
  else
    show_log "$work/run2.log"
    die "the rerun of the up script failed: $work/run2.log"
  fi
  if grep -q 'dropping INVALID index' "$work/run2.log"; then
    ok "the rerun dropped the INVALID leftover"
  else
    fail "the rerun did not drop the INVALID leftover (no 'dropping INVALID index' notice in $work/run2.log)"
  fi
  expect_eq "index after the rerun" "$(q "$db_safe" "$state")" valid
  compare_schema "the rerun"
  compare_data "the rerun"
  check_no_helpers "$db_safe"
}

# the writes of the old (user_name) and new (username) application versions between the phases
rename_app_writes() {
  local db=$1
  q "$db" "INSERT INTO t (id, user_name, n) VALUES (100001, 'old-insert', 1)" >/dev/null &&
    q "$db" "INSERT INTO t (id, username, n) VALUES (100002, 'new-insert', 2)" >/dev/null &&
    q "$db" "UPDATE t SET user_name = 'old-update' WHERE id = 1" >/dev/null &&
    q "$db" "UPDATE t SET username = 'new-update' WHERE id = 2" >/dev/null &&
    q "$db" "UPDATE t SET n = 42 WHERE id = 3" >/dev/null &&
    q "$db" "UPDATE t SET user_name = NULL WHERE id = 4" >/dev/null &&
    q "$db" "UPDATE t SET username = NULL WHERE id = 5" >/dev/null &&
    q "$db" "DELETE FROM t WHERE id = 6" >/dev/null
}
rename_naive_writes() {
  local db=$1
  q "$db" "INSERT INTO t (id, username, n) VALUES (100001, 'old-insert', 1), (100002, 'new-insert', 2);
           UPDATE t SET username = 'old-update' WHERE id = 1;
           UPDATE t SET username = 'new-update' WHERE id = 2;
           UPDATE t SET n = 42 WHERE id = 3;
           UPDATE t SET username = NULL WHERE id IN (4, 5);
           DELETE FROM t WHERE id = 6" >/dev/null
}

case_rename_checkpoint() {
  pg_run "$db_naive" "$fixture/input.sql" >"$work/naive.log" 2>&1 || { show_log "$work/naive.log"; die "the naive DDL does not run"; }
  rename_naive_writes "$db_naive"

  # 1. the deploy stops at the CHECKPOINT banner
  local banners
  banners=$(grep -c '^-- CHECKPOINT' "$work/up.sql" || true)
  [[ $banners -eq 1 ]] || die "the up script has $banners CHECKPOINT banners, want 1: $work/up.sql"
  sed -n '/^-- CHECKPOINT/q;p' "$work/up.sql" >"$work/up-expand.sql"
  grep -q 'phase: contract' "$work/up-expand.sql" && die "the part before the CHECKPOINT holds the contract phase: $work/up-expand.sql"
  if run_psql _expand "$db_safe" "$work/up-expand.sql" "$work/run1.log"; then
    ok "the phases before the CHECKPOINT ran"
  else
    show_log "$work/run1.log"
    die "the part of the up script before the CHECKPOINT failed: $work/run1.log"
  fi
  expect_eq "rows where username differs from user_name after the backfill" \
    "$(q "$db_safe" "SELECT count(*) FROM t WHERE username IS DISTINCT FROM user_name")" 0

  # 2. both application versions work between the phases
  rename_app_writes "$db_safe" || die "an application write fails between the phases (see above)"
  expect_eq "old insert (user_name) seen by the new version (username)" \
    "$(q "$db_safe" "SELECT username FROM t WHERE id = 100001")" old-insert
  expect_eq "new insert (username) seen by the old version (user_name)" \
    "$(q "$db_safe" "SELECT user_name FROM t WHERE id = 100002")" new-insert
  expect_eq "old update seen by the new version" "$(q "$db_safe" "SELECT username FROM t WHERE id = 1")" old-update
  expect_eq "new update seen by the old version" "$(q "$db_safe" "SELECT user_name FROM t WHERE id = 2")" new-update
  expect_eq "old update to NULL seen by the new version" "$(q "$db_safe" "SELECT username IS NULL FROM t WHERE id = 4")" t
  expect_eq "new update to NULL seen by the old version" "$(q "$db_safe" "SELECT user_name IS NULL FROM t WHERE id = 5")" t
  expect_eq "rows where the two names disagree" \
    "$(q "$db_safe" "SELECT count(*) FROM t WHERE username IS DISTINCT FROM user_name")" 0

  # 3. the whole script from the start
  if run_psql _full "$db_safe" "$work/up.sql" "$work/run2.log"; then
    ok "the whole up script, run from the start after the checkpoint, completed"
  else
    show_log "$work/run2.log"
    die "the whole up script failed after the expand phase: $work/run2.log"
  fi
  compare_schema "the whole script"
  compare_data "the whole script"
  check_no_helpers "$db_safe"
}

case_rename_rerun() {
  pg_run "$db_naive" "$fixture/input.sql" >"$work/naive.log" 2>&1 || { show_log "$work/naive.log"; die "the naive DDL does not run"; }
  if run_psql _up "$db_safe" "$work/up.sql" "$work/run1.log"; then
    ok "the up script completed"
  else
    show_log "$work/run1.log"
    die "the up script failed: $work/run1.log"
  fi
  if run_psql _rerun "$db_safe" "$work/up.sql" "$work/run2.log"; then
    ok "a rerun of the completed up script succeeded"
  else
    show_log "$work/run2.log"
    fail "a rerun of the completed up script (a deploy killed just after the contract step) failed: $work/run2.log"
  fi
  local w
  if w=$(q "$db_safe" "INSERT INTO t (id, username, n) VALUES (100001, 'after', 1); UPDATE t SET username = 'after2' WHERE id = 1" 2>&1); then
    ok "writes to t work after the rerun"
  else
    fail "writes to t fail after the rerun: $w"
  fi
  q "$db_safe" "DELETE FROM t WHERE id = 100001; UPDATE t SET username = 'user1' WHERE id = 1" >/dev/null 2>&1 || true
  compare_schema "the rerun"
  compare_data "the rerun"
  check_no_helpers "$db_safe"
}

t0=$SECONDS



# The cases of the data-change and maintenance rules (batched UPDATE, REINDEX / DETACH
# CONCURRENTLY), in their own file to keep this one short.
# shellcheck source-path=SCRIPTDIR source=interrupt_cases_more.sh
. "$here/interrupt_cases_more.sh"

case $case_name in
  detach_concurrently) case_detach_concurrently ;;
  reindex_concurrently) case_reindex_concurrently ;;
  update_counter) case_update_counter ;;
  update_key) case_update_key ;;
  backfill) case_backfill ;;
  cic_duplicate) case_cic_duplicate ;;
  cic_cancel) case_cic_cancel ;;
  rename_checkpoint) case_rename_checkpoint ;;
  rename_rerun) case_rename_rerun ;;
  *) die "no driver for case $case_name" ;;
esac

if [[ ${#failures[@]} -gt 0 ]]; then
  echo "interrupt_proof: $case_name FAILED (${#failures[@]} problem(s)) in $((SECONDS - t0))s; files kept in $work:" >&2
  printf '  %s\n' "${failures[@]}" >&2
  exit 1
fi
pg_drop_db "$db_naive"
pg_drop_db "$db_safe"
echo "interrupt_proof: $case_name passed in $((SECONDS - t0))s"
