#!/usr/bin/env bash
# mkmig --out never overwrites and never leaves half a run behind (design contract 5):
#
#   writes.sh MKMIG WORK
#
# 1. A file of the run already exists: exit 2, the error says so, the directory is unchanged.
# 2. A write fails part-way (a file-size limit makes the third file's write fail): exit 2, no file
#    of the run, no temporary file and no manifest are left.
# 3. An empty directory without --format: exit 2 with the choices; --format writes.
# 4. plan --out lists what it would write and writes nothing.
# 5. A second run plans against the first run's changes (the --dir loader replays mkmig's files
#    as the statements recorded in mkmig.sum: their DDL sits inside retry calls).
# No database is needed: the schema comes from the directory's own migrations.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
fix=$(cd "$here/../../fixtures/layouts" && pwd)
[[ $# -eq 2 ]] || { echo "usage: writes.sh MKMIG WORK" >&2; exit 2; }
mkmig=$1 work=$2
rm -rf "$work"
mkdir -p "$work"
fail() { echo "FAIL: $*" >&2; exit 1; }
snapshot() { (cd "$1" && find . -print0 | sort -z | xargs -0 ls -ld --time-style=+ | awk '{print $1, $5, $NF}'; find . -type f -print0 | sort -z | xargs -0 md5sum); }
export SOURCE_DATE_EPOCH=1795608000

echo "== 1. refusing to overwrite"
d=$work/plain
mkdir -p "$d/up" "$d/down"
cp "$fix/base.sql" "$d/up/0001_base.sql"
echo 'DROP TABLE users;' >"$d/down/0001_base.sql"
echo '-- a file someone wrote by hand' >"$d/down/0002_add_column_status_to_users.sql"
before=$(snapshot "$d")
rc=0
"$mkmig" --out "$d" --schema "$fix/base.sql" "$fix/change.sql" 2>"$work/overwrite.stderr" || rc=$?
cat "$work/overwrite.stderr" | grep error
[[ $rc -eq 2 ]] || fail "exit $rc, want 2"
grep -q 'down/0002_add_column_status_to_users.sql: File exists (mkmig never overwrites a migration); nothing was written' "$work/overwrite.stderr" || fail "no overwrite error"
[[ $(snapshot "$d") == "$before" ]] || fail "the directory changed"

echo "== 2. a write failing part-way leaves nothing behind"
d=$work/flyway
mkdir -p "$d"
cp "$fix/base.sql" "$d/V1__base.sql"
before=$(snapshot "$d")
rc=0
# 3 KiB per file: the first files fit, the backfill step's does not (SIGXFSZ ignored: write fails with EFBIG)
(trap '' XFSZ; ulimit -f 3; exec "$mkmig" --out "$d" "$fix/change.sql") 2>"$work/fail.stderr" || rc=$?
grep error "$work/fail.stderr"
[[ $rc -eq 2 ]] || fail "exit $rc, want 2"
grep -q 'File too large; nothing was written' "$work/fail.stderr" || fail "no write error"
[[ $(snapshot "$d") == "$before" ]] || { ls -la "$d"; fail "the failed run left files behind"; }
"$mkmig" --out "$d" "$fix/change.sql" 2>/dev/null
[[ -f $d/mkmig.sum ]] || fail "the run without a limit wrote nothing"

echo "== 3. an empty directory"
mkdir -p "$work/empty"
rc=0
"$mkmig" --out "$work/empty" --schema "$fix/base.sql" "$fix/change.sql" 2>"$work/empty.stderr" || rc=$?
cat "$work/empty.stderr"
[[ $rc -eq 2 ]] && grep -q 'flyway|golang-migrate|goose|dbmate|liquibase|sqitch|plain' "$work/empty.stderr" || fail "empty dir without --format"
[[ -z $(ls -A "$work/empty") ]] || fail "wrote into the empty dir"
"$mkmig" --out "$work/empty" --format golang-migrate --schema "$fix/base.sql" "$fix/change.sql" 2>/dev/null
ls "$work/empty" | grep -q '^1_add_column_status_to_users.up.sql$' || fail "--format golang-migrate"

echo "== 4. plan --out writes nothing"
d=$work/dry
mkdir -p "$d"
cp "$fix/base.sql" "$d/V1__base.sql"
"$mkmig" plan --out "$d" "$fix/change.sql" | grep '^would write' | head -3
[[ $(ls "$d") == V1__base.sql ]] || fail "plan --out wrote files"
echo "== 5. a second run sees the first run's changes"
echo 'CREATE INDEX users_username_idx ON users (username);' >"$work/second.sql"
for layout in flyway golang-migrate dbmate; do
  d=$work/second-$layout
  mkdir -p "$d"
  case $layout in
    flyway) cp "$fix/base.sql" "$d/V1__base.sql" ;;
    golang-migrate) cp "$fix/base.sql" "$d/1_base.up.sql"; echo 'DROP TABLE users;' >"$d/1_base.down.sql" ;;
    dbmate) { echo '-- migrate:up'; cat "$fix/base.sql"; echo '-- migrate:down'; echo 'DROP TABLE users;'; } >"$d/20260101000000_base.sql" ;;
  esac
  "$mkmig" --out "$d" "$fix/change.sql" 2>/dev/null
  "$mkmig" --out "$d" "$work/second.sql" 2>"$work/second-$layout.stderr" || { cat "$work/second-$layout.stderr"; fail "$layout: the second run does not see username"; }
  echo "  $layout: $(grep -c '^wrote' "$work/second-$layout.stderr") files for the second change"
done
echo "layouts/writes: 1 passed, 0 failed"
