#!/usr/bin/env bash
# The exact files mkmig --out writes for each layout over the base migration, against
# fixtures/layouts/<layout>/expected/ (every file of the tree, the base migration left out, and
# the messages as expected/stderr). The run is repeated into a second directory to prove the
# output is deterministic. MKMIG_UPDATE_GOLDEN=1 re-records; review the diff.
#
#   layout_golden.sh MKMIG WORK
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$here/lib.sh"
fix=$(cd "$here/../../fixtures/layouts" && pwd)
[[ $# -eq 2 ]] || { echo "usage: layout_golden.sh MKMIG WORK" >&2; exit 2; }
mkmig=$(realpath "$1") work=$2
rm -rf "$work"
mkdir -p "$work"
export SOURCE_DATE_EPOCH=1795608000
unset SQITCH_FULLNAME SQITCH_EMAIL
failed=0 passed=0
run() { # LAYOUT DIR
  local layout=$1 d=$2
  mkdir -p "$d"
  if [[ $layout == flyway ]]; then
    # a project config without postgresql.transactional.lock: the hint names it
    printf '[flyway]\nlocations = ["filesystem:db/migration"]\n' >"$d/flyway.toml"
    d=$d/db/migration
  fi
  layout_base "$layout" "$d" "$fix/base.sql"
  # no --schema: the schema comes from the directory; relative paths, so messages are the same wherever it runs
  (cd "$d" && "$mkmig" --out . --batch-size 30 "$fix/change.sql" 2>stderr.txt) ||
    { cat "$d/stderr.txt" >&2; return 1; }
  sed -i "s|$fix/|fixtures/layouts/|g" "$d/stderr.txt"
  case $layout in
    flyway) rm "$d/V1__base.sql" ;;
    golang-migrate) rm "$d"/1_base.*.sql ;;
    goose) rm "$d/00001_base.sql" ;;
    dbmate) rm "$d/20260101000000_base.sql" ;;
    liquibase) rm "$d/changes/0001_base.sql" ;;
    sqitch) rm "$d"/{deploy,revert,verify}/base.sql "$d/sqitch.conf" ;;
    plain) rm "$d/up/0001_base.sql" "$d/down/0001_base.sql" ;;
  esac
}
for layout in flyway golang-migrate goose dbmate liquibase sqitch plain; do
  a=$work/$layout/a b=$work/$layout/b exp=$fix/$layout/expected
  run "$layout" "$a" && run "$layout" "$b" || { failed=$((failed + 1)); continue; }
  if ! diff -r "$a" "$b" >/dev/null; then
    echo "FAIL $layout: two runs differ"; failed=$((failed + 1)); continue
  fi
  if grep -rl '\${' "$a" >/dev/null; then
    echo "FAIL $layout: a file holds \${ (Flyway and Liquibase placeholders)"; failed=$((failed + 1)); continue
  fi
  if [[ ${MKMIG_UPDATE_GOLDEN:-} == 1 ]]; then
    rm -rf "$exp"
    mkdir -p "$(dirname "$exp")"
    cp -r "$a" "$exp"
    echo "recorded $exp"
  fi
  if diff -ru "$exp" "$a"; then
    passed=$((passed + 1))
  else
    echo "FAIL $layout: differs from $exp (MKMIG_UPDATE_GOLDEN=1 re-records)"; failed=$((failed + 1))
  fi
done
echo "layouts/golden: $passed passed, $failed failed"
[[ $failed -eq 0 ]]
