#!/usr/bin/env bash
# The proof of one directory layout with its real runner (issue 8):
#
#   runner_proof.sh MKMIG LAYOUT --cluster DIR --cache DIR --work DIR
#
# 1. A repository holding one base migration (fixtures/layouts/base.sql in the layout's form);
#    `mkmig --out REPO change.sql` writes the expand and backfill steps and records the rename's
#    contract as pending (mkmig status says so).
# 2. The real runner migrates (base + mkmig's files). Old and new application writes both land:
#    a row written through user_name shows up in username and the other way round.
# 3. `mkmig complete --out REPO`, the runner again: schema and data equal the naive DDL's
#    (tests/pg/describe.sql, the runners' history tables left out); `mkmig verify` is clean.
# 4. The downs (the runner's own rollback; Flyway OSS: the U files by hand) return to the base.
# The cluster must listen on 127.0.0.1 (cluster.sh with MKMIG_PG_TCP=1).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
# shellcheck source-path=SCRIPTDIR source=../pg/lib.sh
. "$root/tests/pg/lib.sh"
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$here/lib.sh"

usage() { echo "usage: runner_proof.sh MKMIG LAYOUT --cluster DIR --cache DIR --work DIR" >&2; exit 2; }
[[ $# -eq 8 ]] || usage
mkmig=$1 layout=$2
shift 2
while [[ $# -gt 0 ]]; do
  case $1 in
    --cluster) cluster=$2 ;;
    --cache) cache=$2 ;;
    --work) work=$2 ;;
    *) usage ;;
  esac
  shift 2
done
pg_env "$cluster"
[[ -n ${MKMIG_PG_TCP_HOST:-} ]] || { echo "runner_proof: the cluster does not listen on TCP (start it with MKMIG_PG_TCP=1)" >&2; exit 1; }
if [[ $layout != plain && $layout != sqitch ]]; then
  RUNNER=$(bash "$here/install.sh" "$layout" "$cache")
fi
fix=$root/fixtures/layouts
rm -rf "$work"
mkdir -p "$work"
repo=$work/project/db/migration
step() { echo "== $*"; }

tag=$(pg_db_name "rn_$layout")
naive=${tag}_naive base=${tag}_base db=${tag}_app
step "databases: $base (base.sql), $naive (base.sql + change.sql), $db (the runner's)"
for d in "$naive" "$base" "$db"; do pg_fresh_db "$d" >/dev/null; done
pg_run "$base" "$fix/base.sql" >/dev/null
pg_run "$naive" "$fix/base.sql" >/dev/null
pg_run "$naive" "$fix/change.sql" >/dev/null
describe_app "$base" >"$work/base.txt"
describe_app "$naive" >"$work/naive.txt"

step "mkmig --out $repo ($layout)"
layout_base "$layout" "$repo" "$fix/base.sql"
if [[ $layout == flyway ]]; then
  # the project's own config, where mkmig looks for it (two levels above the migrations)
  FLYWAY_CONF=$work/project/flyway.conf
  echo 'flyway.postgresql.transactional.lock=false' >"$FLYWAY_CONF"
fi
mapfile -t extra < <(layout_mkmig_args "$layout" "$fix/base.sql")
SOURCE_DATE_EPOCH=1795608000 "$mkmig" --out "$repo" --batch-size 30 "${extra[@]}" "$fix/change.sql" 2>"$work/mkmig.stderr" ||
  { cat "$work/mkmig.stderr" >&2; exit 1; }
cat "$work/mkmig.stderr"
grep -q 'stay pending' "$work/mkmig.stderr" || { echo "FAIL: mkmig did not keep the contract pending" >&2; exit 1; }
"$mkmig" status "$repo" | tee "$work/status.txt"
grep -q '^pending: rename_users_user_name_to_username' "$work/status.txt" || { echo "FAIL: status shows no pending rename" >&2; exit 1; }

step "$layout migrates"
runner_up "$layout" "$repo" "$db" >"$work/up1.log" 2>&1 || { cat "$work/up1.log" >&2; exit 1; }
tail -n 3 "$work/up1.log"

step "old and new application writes both land"
got=$(pg_psql -A -t -d "$db" <<'SQL'
INSERT INTO users (id, user_name, email) VALUES (1001, 'old-app', 'old@example.com');
INSERT INTO users (id, username, email) VALUES (1002, 'new-app', 'new@example.com');
UPDATE users SET user_name = 'old-app-2' WHERE id = 1;
SELECT string_agg(id || ':' || coalesce(user_name, '-') || '=' || coalesce(username, '-'), ' ' ORDER BY id)
  FROM users WHERE id IN (1, 2, 1001, 1002);
DELETE FROM users WHERE id IN (1001, 1002);
UPDATE users SET username = 'user1' WHERE id = 1;
SQL
)
want='1:old-app-2=old-app-2 2:user2=user2 1001:old-app=old-app 1002:new-app=new-app'
[[ $got == "$want" ]] || { echo "FAIL: sync: got '$got', want '$want'" >&2; exit 1; }
echo "$got"

step "mkmig complete, $layout migrates again: the naive end state"
SOURCE_DATE_EPOCH=1795609000 "$mkmig" complete --out "$repo" 2>&1 | tee "$work/complete.txt"
"$mkmig" status "$repo" | grep -q '^nothing pending' || { echo "FAIL: still pending after complete" >&2; exit 1; }
runner_up "$layout" "$repo" "$db" >"$work/up2.log" 2>&1 || { cat "$work/up2.log" >&2; exit 1; }
describe_app "$db" >"$work/up.txt"
pg_compare "$work/naive.txt" "$work/up.txt" naive "$layout up" || { echo "FAIL: $layout end state differs from the naive DDL's" >&2; exit 1; }
"$mkmig" verify "$repo"
# the runner's own checksums are the ones the manifest recorded
case $layout in
  flyway)
    got=$(pg_psql -A -t -d "$db" -c "SELECT string_agg(script || ' ' || checksum, ' ' ORDER BY script) FROM flyway_schema_history WHERE script <> 'V1__base.sql'")
    want=$(awk -F'\t' '$1 == "file" && $2 ~ /^V/ {sub(/^flyway-crc32:/, "", $4); print $2 " " $4}' "$repo/mkmig.sum" | sort | paste -sd' ') ;;
  liquibase)
    got=$(pg_psql -A -t -d "$db" -c "SELECT string_agg(md5sum, ',' ORDER BY orderexecuted) FROM databasechangelog WHERE author = 'mkmig'")
    want=$(awk -F'\t' '$1 == "file" {sub(/^liquibase-md5:/, "", $4); print $4}' "$repo/mkmig.sum" | paste -sd,) ;;
  sqitch)
    got=$(pg_psql -A -t -d "$db" -c "SELECT string_agg(change || ' ' || script_hash, ' ' ORDER BY change) FROM sqitch.changes WHERE change <> 'base'")
    want=$(awk -F'\t' '$1 == "file" && $2 ~ /^deploy\// {sub(/^sqitch-sha1:/, "", $4); sub(/^deploy\//, "", $2); sub(/\.sql$/, "", $2); print $2 " " $4}' "$repo/mkmig.sum" | sort | paste -sd' ') ;;
  *) got=none want=none ;;
esac
[[ $got == "$want" ]] || { echo "FAIL: the runner's checksums '$got' differ from the manifest's '$want'" >&2; exit 1; }
[[ $got == none ]] || echo "the runner's checksums equal mkmig.sum's: $got"

step "downs return to the base"
case $layout in
  flyway) n=$(grep -c $'^file\tU' "$repo/mkmig.sum") ;;
  golang-migrate) n=$(grep -c $'^file\t[^\t]*\\.up\\.sql\t' "$repo/mkmig.sum") ;;
  plain) n=$(grep -c $'^file\tup/' "$repo/mkmig.sum") ;;
  sqitch) n=0 ;;
  liquibase) n=$(grep -c '^--changeset mkmig:' "$repo"/changes/*.sql | awk -F: '{s += $NF} END {print s}') ;;
  *) n=$(grep -c $'^file\t' "$repo/mkmig.sum") ;;
esac
runner_down "$layout" "$repo" "$db" "$n" >"$work/down.log" 2>&1 || { cat "$work/down.log" >&2; exit 1; }
describe_app "$db" >"$work/down.txt"
pg_compare "$work/base.txt" "$work/down.txt" base "$layout down" || { echo "FAIL: $layout downs do not return to the base" >&2; exit 1; }
for d in "$naive" "$base" "$db"; do pg_drop_db "$d"; done
echo "runner/$layout: 1 passed, 0 failed"
