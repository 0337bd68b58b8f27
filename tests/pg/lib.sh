# shellcheck shell=bash
# Helpers for the real-PostgreSQL tests; source it, then call pg_env first.
#
#   pg_env [CLUSTER_DIR]        source CLUSTER_DIR/env (default $MKMIG_PG_CLUSTER_DIR); fails when
#                               the cluster is not running
#   pg_psql ARGS...             psql -X -q -v ON_ERROR_STOP=1 ARGS...
#   pg_fresh_db NAME            drop NAME if it exists, create it empty (from template0)
#   pg_drop_db NAME             drop NAME if it exists (ending its sessions first)
#   pg_run DB FILE              run FILE in DB with psql in autocommit mode, stop at the first error
#   pg_describe DB [--data]     the canonical description of DB's schema (with --data: + data)
#   pg_describe_data DB         only the data lines ("data schema.table ROWS MD5")
#   pg_compare A B [LA LB]      diff two descriptions (files); prints a readable diff, non-zero
#                               when they differ; LA/LB label the two sides
#   pg_compare_schema A B [LA LB]   the same, ignoring the data lines
#   pg_db_name TEXT...          a valid, short database name derived from TEXT
#
# Every function returns non-zero on failure; callers run with set -euo pipefail.

MKMIG_PG_TESTS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

pg_env() {
  local dir=${1:-${MKMIG_PG_CLUSTER_DIR:-}}
  if [[ -z $dir ]]; then
    echo "pg_env: no cluster dir (argument or MKMIG_PG_CLUSTER_DIR)" >&2
    return 1
  fi
  if [[ ! -f $dir/env ]]; then
    echo "pg_env: $dir/env is missing: start the cluster with tests/pg/cluster.sh start $dir" >&2
    return 1
  fi
  # shellcheck source=/dev/null
  . "$dir/env"
  if [[ -z ${PGPORT:-} || -z ${PGHOST:-} ]]; then
    echo "pg_env: $dir/env is incomplete: the cluster did not start (see its setup test)" >&2
    return 1
  fi
  export MKMIG_PG_CLUSTER_DIR=$dir
  if ! psql -X -q -A -t -d postgres -c 'SELECT 1' >/dev/null; then
    echo "pg_env: cannot connect to the cluster of $dir (PGHOST=$PGHOST PGPORT=$PGPORT)" >&2
    return 1
  fi
}

pg_psql() {
  psql -X -q -v ON_ERROR_STOP=1 "$@"
}

pg_db_name() {
  local raw name
  raw=$(printf '%s_' "$@")
  raw=${raw%_}
  name=$(printf '%s' "$raw" | tr '[:upper:]' '[:lower:]' | tr -c 'a-z0-9_' '_')
  if [[ ${#name} -gt 60 ]]; then
    name="${name:0:48}_$(printf '%s' "$raw" | md5sum | cut -c1-10)"
  fi
  printf '%s\n' "$name"
}

pg_drop_db() {
  local db=$1
  pg_psql -d postgres -v db="$db" >/dev/null <<'SQL'
SET client_min_messages = warning;
SELECT pg_terminate_backend(pid) FROM pg_stat_activity
 WHERE datname = :'db' AND pid <> pg_backend_pid();
DROP DATABASE IF EXISTS :"db";
SQL
}

pg_fresh_db() {
  local db=$1
  pg_drop_db "$db"
  pg_psql -d postgres -v db="$db" <<'SQL'
CREATE DATABASE :"db" TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C';
SQL
}

pg_run() {
  local db=$1 file=$2
  pg_psql -d "$db" -f "$file"
}

pg_describe() {
  local db=$1 mode=schema
  if [[ ${2:-} == --data ]]; then
    mode=all
  elif [[ $# -gt 1 ]]; then
    echo "pg_describe: unknown option $2" >&2
    return 2
  fi
  psql -X -q -A -t -v ON_ERROR_STOP=1 -v describe_mode="$mode" -d "$db" \
    -f "$MKMIG_PG_TESTS_DIR/describe.sql"
}

pg_describe_data() {
  psql -X -q -A -t -v ON_ERROR_STOP=1 -v describe_mode=data -d "$1" \
    -f "$MKMIG_PG_TESTS_DIR/describe.sql"
}

pg_compare() {
  local a=$1 b=$2 la=${3:-$1} lb=${4:-$2}
  if diff -u --label "$la" --label "$lb" "$a" "$b"; then
    return 0
  fi
  return 1
}

pg_compare_schema() {
  local a=$1 b=$2 la=${3:-$1 (schema)} lb=${4:-$2 (schema)} rc=0
  diff -u --label "$la" --label "$lb" <(grep -v '^data ' "$a" || true) <(grep -v '^data ' "$b" || true) || rc=1
  return "$rc"
}
