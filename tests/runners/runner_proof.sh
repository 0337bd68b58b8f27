#!/usr/bin/env bash
# The proof of one directory layout with its real runner (issue 8):
#
#   runner_proof.sh MKMIG LAYOUT --cluster DIR --cache DIR --work DIR
#
# 1. A repository holding one base migration (fixtures/layouts/base.sql in the layout's form);
#    `mkmig --out REPO change.sql` (no --schema: the schema comes from REPO) writes the expand and backfill steps and records the rename's
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
# no --schema: mkmig reads the schema from the repository itself (the --dir loader)
"$mkmig" debug schema --dir "$repo" >"$work/model_base.txt"
grep -qx 'column public.users.user_name type=character varying(40)' "$work/model_base.txt" ||
  { cat "$work/model_base.txt" >&2; echo "FAIL: the --dir loader does not read the $layout base migration" >&2; exit 1; }
SOURCE_DATE_EPOCH=1795608000 "$mkmig" --out "$repo" --batch-size 30 "$fix/change.sql" 2>"$work/mkmig.stderr" ||
  { cat "$work/mkmig.stderr" >&2; exit 1; }
cat "$work/mkmig.stderr"
grep -q 'stay pending' "$work/mkmig.stderr" || { echo "FAIL: mkmig did not keep the contract pending" >&2; exit 1; }
"$mkmig" status "$repo" | tee "$work/status.txt"
# the next run plans against this one: the loader reads mkmig's files as their naive statements
"$mkmig" debug schema --dir "$repo" >"$work/model_out.txt"
grep -qx 'column public.users.username type=character varying(40)' "$work/model_out.txt" &&
  grep -q '^index public.users_email_idx ' "$work/model_out.txt" ||
  { cat "$work/model_out.txt" >&2; echo "FAIL: the --dir loader does not read mkmig's $layout files" >&2; exit 1; }
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
    want=$(awk -F'\t' '$1 == "file" {sub(/^liquibase-md5:/, "", $4); gsub(/[^,=]*=/, "", $4); print $4}' "$repo/mkmig.sum" | paste -sd,) ;;
  sqitch)
    got=$(pg_psql -A -t -d "$db" -c "SELECT string_agg(change || ' ' || script_hash, ' ' ORDER BY change) FROM sqitch.changes WHERE change <> 'base'")
    want=$(awk -F'\t' '$1 == "file" && $2 ~ /^deploy\// {sub(/^sqitch-sha1:/, "", $4); sub(/^deploy\//, "", $2); sub(/\.sql$/, "", $2); print $2 " " $4}' "$repo/mkmig.sum" | sort | paste -sd' ') ;;
  *) got=none want=none ;;
esac
[[ $got == "$want" ]] || { echo "FAIL: the runner's checksums '$got' differ from the manifest's '$want'" >&2; exit 1; }
[[ $got == none ]] || echo "the runner's checksums equal mkmig.sum's: $got"

if [[ $layout == sqitch ]]; then
  step "sqitch verify: passes on the end state, fails once someone drops the index by hand"
  sqitch_run "$repo" "$db" verify >"$work/verify1.log" 2>&1 || { cat "$work/verify1.log" >&2; echo "FAIL: sqitch verify fails on the end state" >&2; exit 1; }
  tail -n 2 "$work/verify1.log"
  grep -L 'SELECT 1;' "$repo"/verify/*.sql | grep -q . || { echo "FAIL: every verify script is a bare SELECT 1" >&2; exit 1; }
  pg_psql -d "$db" -c 'DROP INDEX users_email_idx' >/dev/null
  if sqitch_run "$repo" "$db" verify >"$work/verify2.log" 2>&1; then
    cat "$work/verify2.log" >&2; echo "FAIL: sqitch verify passed without users_email_idx" >&2; exit 1
  fi
  grep -E 'build_index_users_email_idx_concurrently|mkmig verify:' "$work/verify2.log"
  grep -q 'mkmig verify: index public.users_email_idx on users is missing or INVALID' "$work/verify2.log" ||
    { cat "$work/verify2.log" >&2; echo "FAIL: sqitch verify did not say what is missing" >&2; exit 1; }
  # an INVALID index (a failed CONCURRENTLY build) fails it too
  pg_psql -d "$db" -c 'CREATE INDEX users_email_idx ON users (email)' \
    -c "UPDATE pg_index SET indisvalid = false WHERE indexrelid = 'users_email_idx'::regclass" >/dev/null
  if sqitch_run "$repo" "$db" verify >"$work/verify3.log" 2>&1; then
    cat "$work/verify3.log" >&2; echo "FAIL: sqitch verify passed with users_email_idx INVALID" >&2; exit 1
  fi
  pg_psql -d "$db" -c 'REINDEX INDEX users_email_idx' >/dev/null
  sqitch_run "$repo" "$db" verify >"$work/verify4.log" 2>&1 || { cat "$work/verify4.log" >&2; echo "FAIL: sqitch verify fails after the index is rebuilt" >&2; exit 1; }
fi

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
if [[ $layout == liquibase ]]; then
  step "an edited changeset: Liquibase validate and mkmig verify both name it"
  runner_up "$layout" "$repo" "$db" >"$work/up3.log" 2>&1 || { cat "$work/up3.log" >&2; exit 1; }
  file=$(awk -F'\t' '$1 == "file" {print $2; exit}' "$repo/mkmig.sum")
  id=$(grep -m1 -o '^--changeset mkmig:[^ ]*' "$repo/$file" | sed 's/^--changeset //')
  # someone tunes the first changeset's lock_timeout by hand
  awk -v id="--changeset $id" 'f && /^SET LOCAL lock_timeout/ && !done {sub(/= .*/, "= '"'4321ms'"';"); done = 1} index($0, id) == 1 {f = 1} {print}' \
    "$repo/$file" >"$work/edited.sql"
  cmp -s "$repo/$file" "$work/edited.sql" && { echo "FAIL: the edit changed nothing" >&2; exit 1; }
  cp "$repo/$file" "$work/orig.sql"
  cp "$work/edited.sql" "$repo/$file"
  if liquibase_run "$repo" "$db" validate >"$work/validate.log" 2>&1; then
    cat "$work/validate.log" >&2; echo "FAIL: Liquibase validate accepted an edited changeset" >&2; exit 1
  fi
  # Liquibase names a changeset path::id::author
  lbid="$file::${id#mkmig:}::mkmig"
  grep -F "$lbid was: " "$work/validate.log" | sed 's/^ *//' | sort -u
  grep -qF "$lbid was: " "$work/validate.log" || { cat "$work/validate.log" >&2; echo "FAIL: Liquibase did not name $lbid" >&2; exit 1; }
  [[ $(grep -o '[^ ]* was: 9:' "$work/validate.log" | sort -u | wc -l) == 1 ]] || { echo "FAIL: Liquibase rejects more than $lbid" >&2; exit 1; }
  rc=0
  "$mkmig" verify "$repo" >"$work/verify.txt" || rc=$?
  cat "$work/verify.txt"
  [[ $rc == 1 ]] || { echo "FAIL: mkmig verify exited $rc, want 1" >&2; exit 1; }
  grep -q "changeset $id: Liquibase rejects it" "$work/verify.txt" || { echo "FAIL: mkmig verify did not name $id" >&2; exit 1; }
  # the other changesets of the file are not blamed
  [[ $(grep -c 'Liquibase rejects it' "$work/verify.txt") == 1 ]] || { echo "FAIL: mkmig verify blames more than $id" >&2; exit 1; }
  cp "$work/orig.sql" "$repo/$file"
  "$mkmig" verify "$repo" >/dev/null || { echo "FAIL: mkmig verify not clean after the edit was undone" >&2; exit 1; }
fi
for d in "$naive" "$base" "$db"; do pg_drop_db "$d"; done
echo "runner/$layout: 1 passed, 0 failed"
