#!/usr/bin/env bash
# The lock authority (src/plan/locks.c, locks_stmt.c) against a real PostgreSQL: for each case of
# fixtures/locks/cases, another session holds ACCESS EXCLUSIVE on one relation, the statement is
# started and waits for it, and the lock mode it waits with (pg_locks, granted = false) must be the
# mode `mkmig debug locks` gives that relation; a statement mkmig says takes no table lock must
# finish while the lock is held. Nothing is changed: the waiting statement is cancelled (tx cases run in a transaction that
# is rolled back).
#
#   locks_proof.sh MKMIG [--cluster DIR] [--pg-version N]
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$here/lib.sh"

[[ $# -ge 1 ]] || { echo "usage: locks_proof.sh MKMIG [--cluster DIR] [--pg-version N]" >&2; exit 2; }
mkmig=$1
shift
cluster=${MKMIG_PG_CLUSTER_DIR:-}
version_args=()
while [[ $# -gt 0 ]]; do
  case $1 in
    --cluster) cluster=$2; shift 2 ;;
    --pg-version) version_args=(--pg-version "$2"); shift 2 ;;
    *) echo "locks_proof: unknown argument $1" >&2; exit 2 ;;
  esac
done
pg_env "$cluster"
major=$(psql -X -q -A -t -d postgres -c "SELECT current_setting('server_version_num')::int / 10000")
[[ ${#version_args[@]} -gt 0 ]] || version_args=(--pg-version "$major")
fixture=$here/fixtures/locks
db=$(pg_db_name locks "$major")
app="mkmig_locks_$$"
pg_fresh_db "$db"
pg_run "$db" "$fixture/schema.sql" >/dev/null

bg=()
cleanup() {
  local p
  for p in "${bg[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
  psql -X -q -A -t -d postgres -c "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name LIKE '${app}%'" >/dev/null 2>&1 || true
}
trap cleanup EXIT

q() { psql -X -q -A -t -v ON_ERROR_STOP=1 -d "$1" -c "$2"; }
end_sessions() {
  local i
  q postgres "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = '$1'" >/dev/null
  for i in $(seq 1 100); do
    [[ $(q postgres "SELECT count(*) FROM pg_stat_activity WHERE application_name = '$1'") == 0 ]] && return 0
    sleep 0.05
  done
  return 1
}
# PostgreSQL's lock mode names as mkmig prints them
mode_name() {
  case $1 in
    AccessShareLock) echo "ACCESS SHARE" ;; RowShareLock) echo "ROW SHARE" ;;
    RowExclusiveLock) echo "ROW EXCLUSIVE" ;; ShareUpdateExclusiveLock) echo "SHARE UPDATE EXCLUSIVE" ;;
    ShareLock) echo "SHARE" ;; ShareRowExclusiveLock) echo "SHARE ROW EXCLUSIVE" ;;
    ExclusiveLock) echo "EXCLUSIVE" ;; AccessExclusiveLock) echo "ACCESS EXCLUSIVE" ;; *) echo "$1" ;;
  esac
}

pass=0
failures=()
n=0
while IFS='|' read -r since held object run stmt; do
  [[ -z $since || $since == \#* ]] && continue
  [[ $major -ge $since ]] || continue
  n=$((n + 1))
  said=$(printf '%s;\n' "$stmt" | "$mkmig" debug locks "${version_args[@]}" /dev/stdin)
  want=$(printf '%s\n' "$said" | awk -F '\t' -v o="$object" '($2 == o || $2 == "public." o) { print $3; exit }')
  if [[ -z $want && $said == 1$'\t'none$'\t'* ]]; then want=none; fi
  [[ -n $want ]] || { failures+=("$stmt: mkmig names no lock on $object: $said"); continue; }

  # the holder: held is REL, REL@MODE (a weaker mode, for statements that first look the
  # relation up under ACCESS SHARE and then take their real lock) or REL~SQL (what takes the lock
  # where LOCK TABLE cannot, e.g. on a materialized view)
  hold_sql="LOCK TABLE ${held%%[@~]*} IN ACCESS EXCLUSIVE MODE"
  [[ $held == *@* ]] && hold_sql="LOCK TABLE ${held%%@*} IN ${held#*@} MODE"
  [[ $held == *~* ]] && hold_sql=${held#*~}
  held=${held%%[@~]*}
  PGAPPNAME="${app}_h$n" psql -X -q -d "$db" -c "BEGIN; $hold_sql; SELECT pg_sleep(60);" >/dev/null 2>&1 &
  hpid=$!
  bg+=("$hpid")
  holding=0
  for i in $(seq 1 100); do
    if [[ $(q "$db" "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a USING (pid) WHERE a.application_name = '${app}_h$n' AND l.granted AND l.locktype = 'relation' AND l.relation = '$held'::regclass") -ge 1 ]]; then
      holding=1
      break
    fi
    kill -0 "$hpid" 2>/dev/null || break
    sleep 0.05
  done
  if [[ $holding -eq 0 ]]; then
    end_sessions "${app}_h$n" || true
    failures+=("$stmt: the holder ($hold_sql) did not get its lock")
    continue
  fi
  # the statement
  if [[ $run == tx ]]; then sql="BEGIN; $stmt; ROLLBACK;"; else sql="$stmt;"; fi
  PGAPPNAME="${app}_s$n" psql -X -q -d "$db" -o /dev/null -c "$sql" >/dev/null 2>&1 &
  spid=$!
  bg+=("$spid")
  got=""
  for i in $(seq 1 60); do
    got=$(q "$db" "SELECT l.mode FROM pg_locks l JOIN pg_stat_activity a USING (pid)
                    WHERE a.application_name = '${app}_s$n' AND NOT l.granted AND l.locktype = 'relation'
                      AND l.relation = '$held'::regclass LIMIT 1")
    [[ -n $got ]] && break
    if ! kill -0 "$spid" 2>/dev/null; then got=none; break; fi
    sleep 0.05
  done
  [[ -n $got ]] || got="no wait seen"
  [[ $got == none ]] || got=$(mode_name "$got")
  end_sessions "${app}_s$n" || true
  end_sessions "${app}_h$n" || true
  wait "$spid" 2>/dev/null || true
  if [[ $got == "$want" ]]; then
    echo "ok: $stmt: $object waits for $got, as mkmig says"
    pass=$((pass + 1))
  else
    echo "FAIL: $stmt: PostgreSQL waits for '$got' on $held, mkmig says '$want'" >&2
    failures+=("$stmt: got '$got', mkmig says '$want'")
  fi
done <"$fixture/cases"

pg_drop_db "$db" || true
if [[ ${#failures[@]} -gt 0 ]]; then
  echo "locks_proof: ${#failures[@]} of $n cases FAILED:" >&2
  printf '  %s\n' "${failures[@]}" >&2
  exit 1
fi
echo "locks_proof: all $n cases agree with pg_locks"
