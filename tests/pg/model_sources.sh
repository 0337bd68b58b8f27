#!/usr/bin/env bash
# The schema model built three ways must be one model: from the migrations that created a
# schema (--dir), from pg_dump -s of the database they built (--schema), and from the live
# catalog (--db). Compares `mkmig debug schema` outputs; any difference fails with a diff.
#
#   model_sources.sh MKMIG MIGRATIONS_DIR [--cluster DIR] [--work DIR]
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$here/lib.sh"

[[ $# -ge 2 ]] || { echo "usage: model_sources.sh MKMIG MIGRATIONS_DIR [--cluster DIR] [--work DIR]" >&2; exit 2; }
mkmig=$1
migrations=$(cd "$2" && pwd)
shift 2
cluster=${MKMIG_PG_CLUSTER_DIR:-}
work=""
while [[ $# -gt 0 ]]; do
  case $1 in
    --cluster) cluster=$2; shift 2 ;;
    --work) work=$2; shift 2 ;;
    *) echo "model_sources.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
[[ -n $work ]] || work=$(mktemp -d)
rm -rf "$work" && mkdir -p "$work"
pg_env "$cluster"

db=$(pg_db_name model_sources "$MKMIG_PG_MAJOR")
pg_fresh_db "$db"
# Flyway order for this fixture is the file names' version order; mkmig's --dir decides it for
# the model, and the same order builds the database.
mapfile -t files < <(cd "$migrations" && ls V*__*.sql | sort -t_ -k1,1V)
for f in "${files[@]}"; do
  pg_run "$db" "$migrations/$f"
done

conninfo="host=$PGHOST port=$PGPORT user=$PGUSER dbname=$db"
"$mkmig" debug schema --dir "$migrations" > "$work/dir.txt"
# The server's own pg_dump: an older client refuses a newer server. The npm builds of other
# versions ship no pg_dump; there the comparison is migrations against the live catalog.
dump_bin=pg_dump
[[ -x ${MKMIG_PG_CLUSTER_BINDIR:-}/pg_dump ]] && dump_bin=$MKMIG_PG_CLUSTER_BINDIR/pg_dump
client_major=$("$dump_bin" --version | sed -E 's/.* ([0-9]+)[.].*/\1/')
if [[ $client_major -ge $MKMIG_PG_MAJOR ]]; then
  "$dump_bin" -s -d "$db" > "$work/pg_dump.sql"
  "$mkmig" debug schema --schema "$work/pg_dump.sql" > "$work/dump.txt"
else
  echo "note: no pg_dump for PostgreSQL $MKMIG_PG_MAJOR here; comparing --dir with --db only"
  "$mkmig" debug schema --dir "$migrations" > "$work/dump.txt"
fi
"$mkmig" debug schema --db "$conninfo" > "$work/db-with-estimates.txt"
grep -v '^estimate ' "$work/db-with-estimates.txt" > "$work/db.txt"

fail=0
for f in dir.txt dump.txt db.txt; do
  if [[ $(wc -l < "$work/$f") -lt 40 ]]; then
    echo "FAIL: $f has too few facts ($(wc -l < "$work/$f") lines): the model lost the schema" >&2
    fail=1
  fi
done
if ! diff -u --label "--dir (migrations)" --label "--schema (pg_dump -s)" "$work/dir.txt" "$work/dump.txt"; then
  echo "FAIL: the model from the migrations differs from the model of pg_dump -s" >&2
  fail=1
fi
if ! diff -u --label "--schema (pg_dump -s)" --label "--db (live catalog)" "$work/dump.txt" "$work/db.txt"; then
  echo "FAIL: the model of pg_dump -s differs from the live catalog's" >&2
  fail=1
fi
# --db alone knows sizes: every table has an estimate line.
if ! grep -q '^estimate public.customers rows=' "$work/db-with-estimates.txt"; then
  echo "FAIL: --db gave no size estimates" >&2
  fail=1
fi
# ... and the plan shows them, so a reader can tell a scan of 50 rows from one of 50 million.
pg_psql -d "$db" -c "ANALYZE" >/dev/null
echo "CREATE INDEX ON customers (region);" | "$mkmig" plan --db "$conninfo" > "$work/plan-db.txt"
if ! grep -q '^  public.customers: ~[0-9]* rows, ' "$work/plan-db.txt"; then
  echo "FAIL: mkmig plan --db does not show the table's size estimate ($work/plan-db.txt)" >&2
  fail=1
fi
pg_drop_db "$db"
if [[ $fail -ne 0 ]]; then
  echo "model_sources: files kept in $work" >&2
  exit 1
fi
echo "ok: --dir, --schema (pg_dump -s) and --db give the same model ($(wc -l < "$work/db.txt") facts)"
