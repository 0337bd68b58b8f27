#!/usr/bin/env bash
# The proof of a rewrite fixture on a real PostgreSQL: mkmig's up script reaches the same schema
# and data as the naive DDL, and its down script restores the starting point.
#
#   rewrite_proof.sh MKMIG FIXTURE_DIR [--cluster DIR] [--work DIR] [--pg-version N]
#
#   --cluster DIR     the cluster (cluster.sh start DIR); default $MKMIG_PG_CLUSTER_DIR
#   --work DIR        where generated scripts, logs and descriptions are kept; default a temp dir
#   --pg-version N    appended to mkmig's arguments (unless the fixture's args set --pg-version);
#                     also names the databases, so one case can run on several clusters at once
#
# A fixture dir holds input.sql (the naive DDL) and optionally schema.sql (starting schema and
# data, given to mkmig as --schema; without it the start is an empty database), naive.sql (the
# naive end state, when input.sql itself cannot run), args (extra mkmig arguments, one per line),
# down-data-differs (the down script cannot restore the data, e.g. DROP COLUMN: only the schema is
# compared after it) and down-ignore (extended regexes, one a line, '#' comments: description
# lines matching them are left out of the down comparison, for what a down script cannot undo,
# e.g. an added enum value), down-impossible (extended regexes, one a line: the down script cannot
# run at all, e.g. it would re-add a column whose dropped function's body mkmig never saw; each
# regex must match a WARNING comment of down.sql and a line of mkmig's stderr, and the down
# script is not run), up-debug-expect (extended regexes, one a line, that the server's DEBUG1
# messages during the up run must match).
#
# Databases: <case>[_<N>]_start gets schema.sql; <case>_naive gets schema.sql then naive.sql or
# input.sql; <case>_safe gets schema.sql, then the up script, then the down script.
#   describe(start) = start.txt   describe(naive) = naive.txt
#   describe(safe after up) = up.txt   must equal naive.txt (schema and data)
#   describe(safe after down) = down.txt   must equal start.txt (schema; data too unless
#                                           down-data-differs)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$here/lib.sh"

usage() {
  echo "usage: rewrite_proof.sh MKMIG FIXTURE_DIR [--cluster DIR] [--work DIR] [--pg-version N]" >&2
  exit 2
}

[[ $# -ge 2 ]] || usage
mkmig=$1
fixture=$2
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

[[ -d $fixture ]] || { echo "rewrite_proof: no fixture dir $fixture" >&2; exit 2; }
fixture=$(cd "$fixture" && pwd)
case_name=$(basename "$fixture")
# input.sql (naive DDL) or input.mkmig (a change spec, whose naive equivalent is naive.sql)
input=input.sql
if [[ -f $fixture/input.mkmig ]]; then
  input=input.mkmig
  [[ -f $fixture/naive.sql ]] || { echo "rewrite_proof: $fixture/input.mkmig needs naive.sql (its naive SQL)" >&2; exit 2; }
fi
[[ -f $fixture/$input ]] || { echo "rewrite_proof: $fixture/input.sql is missing" >&2; exit 2; }
schema_args=()
if [[ -f $fixture/schema.sql ]]; then
  schema_args=(--schema schema.sql)
fi
if [[ $mkmig != /* ]]; then mkmig="$PWD/$mkmig"; fi
if [[ ! -x $mkmig ]]; then
  echo "rewrite_proof: mkmig is not built: $mkmig (build the mkmig target first)" >&2
  exit 1
fi
[[ -n $cluster ]] || { echo "rewrite_proof: no cluster (--cluster DIR or MKMIG_PG_CLUSTER_DIR)" >&2; exit 2; }
pg_env "$cluster"

if [[ -z $work ]]; then work=$(mktemp -d); fi
rm -rf -- "$work"
mkdir -p "$work"
work=$(cd "$work" && pwd)

# mkmig's arguments: the fixture's args file, one per line, plus --pg-version when asked for
args=()
if [[ -f $fixture/args ]]; then
  while IFS= read -r line || [[ -n $line ]]; do
    [[ -n $line ]] && args+=("$line")
  done <"$fixture/args"
fi
if [[ -n $pg_version ]]; then
  has_version=0
  for a in "${args[@]}"; do
    if [[ $a == --pg-version || $a == --pg-version=* ]]; then has_version=1; fi
  done
  if [[ $has_version -eq 0 ]]; then args+=(--pg-version "$pg_version"); fi
fi

db_start=$(pg_db_name "$case_name" ${pg_version:+"$pg_version"} start)
db_naive=$(pg_db_name "$case_name" ${pg_version:+"$pg_version"} naive)
db_safe=$(pg_db_name "$case_name" ${pg_version:+"$pg_version"} safe)

failures=()
fail() {
  failures+=("$1")
  echo "FAIL: $1" >&2
}

# run_sql DB FILE LOG: psql in autocommit mode, stop at the first error; on error show the log
run_sql() {
  local db=$1 file=$2 log=$3
  if pg_run "$db" "$file" >"$log" 2>&1; then
    return 0
  fi
  echo "---- psql output ($log) ----" >&2
  cat "$log" >&2
  echo "---- end ----" >&2
  return 1
}

# run_schema DB LOG: the fixture's schema.sql, if any
run_schema() {
  if [[ -f $fixture/schema.sql ]]; then
    run_sql "$1" "$fixture/schema.sql" "$2"
  fi
}

# run_mkmig OUT ERR [--down]
run_mkmig() {
  local out=$1 err=$2 rc=0
  shift 2
  # --all-phases: the proof applies the whole sequence (the phases a deploy spreads out)
  (cd "$fixture" && "$mkmig" --all-phases "$@" "${schema_args[@]}" "${args[@]}" "$input") >"$out" 2>"$err" || rc=$?
  if [[ $rc -ne 0 ]]; then
    echo "---- mkmig ${*:-(up)} exited $rc; stderr ($err) ----" >&2
    cat "$err" >&2
    echo "---- end ----" >&2
  fi
  return "$rc"
}

echo "rewrite_proof: $case_name on PostgreSQL $MKMIG_PG_SERVER_VERSION_NUM; mkmig args: ${args[*]:-(none)}; files in $work"

# 1. start
pg_fresh_db "$db_start"
run_schema "$db_start" "$work/start.log" || { echo "rewrite_proof: schema.sql does not run" >&2; exit 1; }
pg_describe "$db_start" --data >"$work/start.txt"

# 2. naive
naive_file="$fixture/input.sql"
if [[ -f $fixture/naive.sql ]]; then naive_file="$fixture/naive.sql"; fi
pg_fresh_db "$db_naive"
run_schema "$db_naive" "$work/naive-schema.log"
run_sql "$db_naive" "$naive_file" "$work/naive.log" ||
  { echo "rewrite_proof: the naive DDL ($naive_file) does not run; write naive.sql for this fixture" >&2; exit 1; }
pg_describe "$db_naive" --data >"$work/naive.txt"

# 3. safe: up
pg_fresh_db "$db_safe"
run_schema "$db_safe" "$work/safe-schema.log"
up_ok=0
if run_mkmig "$work/up.sql" "$work/up.stderr"; then
  up_pgoptions=${PGOPTIONS:-}
  # up-debug-expect: regexes (one a line) the server's DEBUG1 messages during the up run must
  # match, e.g. that ATTACH PARTITION found its partition constraint implied and did not scan
  [[ -f $fixture/up-debug-expect ]] && up_pgoptions="$up_pgoptions -c client_min_messages=debug1"
  if PGOPTIONS=$up_pgoptions run_sql "$db_safe" "$work/up.sql" "$work/up.log"; then
    if [[ -f $fixture/up-debug-expect ]]; then
      while IFS= read -r re || [[ -n $re ]]; do
        [[ $re =~ ^[[:space:]]*(#|$) ]] && continue
        if grep -q -E -- "$re" "$work/up.log"; then echo "ok: the up run says: $re"
        else fail "the up run's messages ($work/up.log) do not match '$re'"; fi
      done <"$fixture/up-debug-expect"
    fi
    up_ok=1
  else
    fail "the up script failed in PostgreSQL: $work/up.sql (log $work/up.log)"
  fi
else
  fail "mkmig (up) failed: stderr in $work/up.stderr"
fi
pg_describe "$db_safe" --data >"$work/up.txt"
if [[ $up_ok -eq 1 ]]; then
  if pg_compare "$work/naive.txt" "$work/up.txt" "naive ($naive_file)" "up ($work/up.sql)" >"$work/up.diff"; then
    echo "ok: up reaches the naive end state"
  else
    cat "$work/up.diff" >&2
    fail "up.sql does not reach the naive end state: diff $work/naive.txt $work/up.txt (up script $work/up.sql)"
  fi
fi

# 3b. safe: the whole up script again (psql died after the last step committed, and the deploy
# was retried): every step must see its work is done. A fixture may opt out with a file
# no-rerun saying why.
if [[ $up_ok -eq 1 && ! -f $fixture/no-rerun ]]; then
  if run_sql "$db_safe" "$work/up.sql" "$work/rerun.log"; then
    pg_describe "$db_safe" --data >"$work/rerun.txt"
    if pg_compare "$work/naive.txt" "$work/rerun.txt" "naive ($naive_file)" "up run twice" >"$work/rerun.diff"; then
      echo "ok: the up script run a second time changes nothing"
    else
      cat "$work/rerun.diff" >&2
      fail "running up.sql a second time changes the end state: diff $work/naive.txt $work/rerun.txt"
    fi
  else
    fail "running up.sql a second time fails: log $work/rerun.log"
  fi
fi

# 4. safe: down, on the same database
if [[ $up_ok -eq 1 ]]; then
  down_made=0
  run_mkmig "$work/down.sql" "$work/down.stderr" --down && down_made=1
  if [[ $down_made -eq 1 && -f $fixture/down-impossible ]]; then
    while IFS= read -r re || [[ -n $re ]]; do
      [[ $re =~ ^[[:space:]]*(#|$) ]] && continue
      if grep -q -E -- "^-- WARNING: .*$re" "$work/down.sql" && grep -q -E -- "$re" "$work/down.stderr"; then
        echo "ok: the down script says it cannot undo: $re"
      else
        fail "down.sql and mkmig's stderr do not both say '$re' ($work/down.sql, $work/down.stderr)"
      fi
    done <"$fixture/down-impossible"
  elif [[ $down_made -eq 1 ]]; then
    if run_sql "$db_safe" "$work/down.sql" "$work/down.log"; then
      pg_describe "$db_safe" --data >"$work/down.txt"
      # what is compared: schema lines, data lines unless down-data-differs, minus down-ignore
      what="schema and data"
      : >"$work/down-ignore.regex"
      if [[ -f $fixture/down-data-differs ]]; then
        echo '^data ' >>"$work/down-ignore.regex"
        what="schema"
      fi
      if [[ -f $fixture/down-ignore ]]; then
        grep -v -E '^[[:space:]]*(#|$)' "$fixture/down-ignore" >>"$work/down-ignore.regex" || true
        what="$what, less the lines matching $fixture/down-ignore"
      fi
      for f in start down; do
        if [[ -s $work/down-ignore.regex ]]; then
          grep -v -E -f "$work/down-ignore.regex" "$work/$f.txt" >"$work/$f.cmp.txt" || true
        else
          cp "$work/$f.txt" "$work/$f.cmp.txt"
        fi
      done
      if pg_compare "$work/start.cmp.txt" "$work/down.cmp.txt" "start ($what)" "after down ($work/down.sql)" >"$work/down.diff"; then
        echo "ok: down restores the start ($what)"
      else
        cat "$work/down.diff" >&2
        fail "down.sql does not restore the start ($what): diff $work/start.txt $work/down.txt (down script $work/down.sql)"
      fi
    else
      fail "the down script failed in PostgreSQL: $work/down.sql (log $work/down.log)"
    fi
  else
    fail "mkmig --down failed: stderr in $work/down.stderr"
  fi
fi

if [[ ${#failures[@]} -gt 0 ]]; then
  echo "rewrite_proof: $case_name FAILED (${#failures[@]} problem(s)); files kept in $work:" >&2
  printf '  %s\n' "${failures[@]}" >&2
  exit 1
fi
pg_drop_db "$db_start"
pg_drop_db "$db_naive"
pg_drop_db "$db_safe"
echo "rewrite_proof: $case_name passed"
