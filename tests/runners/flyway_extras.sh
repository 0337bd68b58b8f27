#!/usr/bin/env bash
# Flyway specifics with real Flyway (issue 8):
#
#   flyway_extras.sh MKMIG --cluster DIR --cache DIR --work DIR
#
# 1. Transactional lock: with no project config, mkmig prints the line to add; Flyway at its
#    default (postgresql.transactional.lock=true) then really hangs on the CREATE INDEX
#    CONCURRENTLY file (its lock transaction stays open, CIC waits for it); with the line, no hint
#    and Flyway migrates.
# 2. An edited file: Flyway validate fails with a checksum mismatch and mkmig verify fails naming
#    the same checksum; a file only re-saved with CRLF passes Flyway, and mkmig verify says so;
#    a deleted and a renamed file are named.
# 3. Next versions among mixed existing ones (1, 1.1, 2, 10 -> 11; 001 -> 004 padded; 4.1 -> 4.2;
#    timestamps), and Flyway migrates the mixed directory in its own order.
# 4. A statement of the user's own holding `${`: its file gets placeholderReplacement=false, and
#    Flyway applies it (with replacement on, Flyway would abort on the unknown placeholder).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
# shellcheck source-path=SCRIPTDIR source=../pg/lib.sh
. "$root/tests/pg/lib.sh"
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$here/lib.sh"

[[ $# -eq 7 ]] || { echo "usage: flyway_extras.sh MKMIG --cluster DIR --cache DIR --work DIR" >&2; exit 2; }
mkmig=$1 cluster=$3 cache=$5 work=$7
pg_env "$cluster"
[[ -n ${MKMIG_PG_TCP_HOST:-} ]] || { echo "flyway_extras: the cluster does not listen on TCP" >&2; exit 1; }
RUNNER=$(bash "$here/install.sh" flyway "$cache")
fix=$root/fixtures/layouts
rm -rf "$work"
mkdir -p "$work"
fail() { echo "FAIL: $*" >&2; exit 1; }
flyway() { # DB REPO CONF COMMAND
  $RUNNER "jdbc:postgresql://$MKMIG_PG_TCP_HOST:$PGPORT/$1" postgres "$2" "$3" "$4"
}
export SOURCE_DATE_EPOCH=1795608000

echo "== 1. the transactional lock"
repo=$work/lock/db/migration
mkdir -p "$repo"
cp "$fix/base.sql" "$repo/V1__base.sql"
echo 'CREATE INDEX users_email_idx ON users (email);' >"$work/cic.sql"
"$mkmig" --out "$repo" "$work/cic.sql" 2>"$work/lock.stderr"
grep -q 'transactional.lock = false' "$work/lock.stderr" || { cat "$work/lock.stderr"; fail "no hint without a config"; }
sed -n '/^note: no flyway/,/wait forever/p' "$work/lock.stderr"
pg_fresh_db fx_lock >/dev/null
rc=0
timeout 15 "$RUNNER" "jdbc:postgresql://$MKMIG_PG_TCP_HOST:$PGPORT/fx_lock" postgres "$repo" - migrate >"$work/lock-default.log" 2>&1 || rc=$?
[[ $rc -eq 124 ]] || { tail "$work/lock-default.log"; fail "Flyway at its default lock did not hang (exit $rc): the hint may no longer be needed"; }
echo "Flyway with the default transactional lock: still waiting after 15 s (hang reproduced), stopped"
waiting=$(pg_psql -A -t -d postgres -c "SELECT count(*) FROM pg_stat_activity WHERE datname = 'fx_lock' AND query LIKE 'CREATE INDEX CONCURRENTLY%'")
echo "  (CREATE INDEX CONCURRENTLY sessions left waiting: $waiting)"
pg_drop_db fx_lock
# with the setting in the project's flyway.conf: no hint, and Flyway migrates
echo 'flyway.postgresql.transactional.lock=false' >"$work/lock/flyway.conf"
rm -rf "$repo"/V[2-9]* "$repo"/U* "$repo/mkmig.sum"
"$mkmig" --out "$repo" "$work/cic.sql" 2>"$work/lock2.stderr"
! grep -q 'transactional.lock' "$work/lock2.stderr" || fail "hint printed although flyway.conf has the line"
# a flyway.toml without it gets the TOML lines
mkdir -p "$work/toml/db/migration"
cp "$fix/base.sql" "$work/toml/db/migration/V1__base.sql"
printf '[flyway]\nlocations = ["filesystem:db/migration"]\n' >"$work/toml/flyway.toml"
"$mkmig" plan --out "$work/toml/db/migration" "$work/cic.sql" >"$work/toml.plan"
grep -q '^  \[flyway.postgresql\]' "$work/toml.plan" || { cat "$work/toml.plan"; fail "no TOML hint"; }
pg_fresh_db fx_lock >/dev/null
timeout 120 "$RUNNER" "jdbc:postgresql://$MKMIG_PG_TCP_HOST:$PGPORT/fx_lock" postgres "$repo" "$work/lock/flyway.conf" migrate \
  >"$work/lock-off.log" 2>&1 || { tail "$work/lock-off.log"; fail "Flyway with transactional.lock=false failed"; }
grep 'migrations executed' "$work/lock-off.log"

echo "== 2. an edited file: Flyway validate and mkmig verify"
v2=$(cd "$repo" && ls V2__*.sql)
echo '-- a reviewer added this line' >>"$repo/$v2"
rc=0
flyway fx_lock "$repo" "$work/lock/flyway.conf" validate >"$work/validate.log" 2>&1 || rc=$?
[[ $rc -eq 1 ]] && grep -q 'checksum mismatch' "$work/validate.log" || { cat "$work/validate.log"; fail "Flyway validate did not fail on the edit"; }
grep -o 'Resolved locally *: *-\?[0-9]*' "$work/validate.log" | head -1
local_sum=$(grep -o 'Resolved locally *: *-\?[0-9]*' "$work/validate.log" | head -1 | grep -o -- '-\?[0-9]*$')
rc=0
"$mkmig" verify "$repo" >"$work/verify.log" || rc=$?
cat "$work/verify.log"
[[ $rc -eq 1 ]] || fail "mkmig verify exit $rc after an edit, want 1"
grep -q "checksum mismatch (recorded .*, now $local_sum)" "$work/verify.log" || fail "mkmig verify does not name Flyway's local checksum $local_sum"
# the same text with CRLF line ends: Flyway's checksum ignores line breaks
sed -i '$d' "$repo/$v2"
sed -i 's/$/\r/' "$repo/$v2"
flyway fx_lock "$repo" "$work/lock/flyway.conf" validate >"$work/validate2.log" 2>&1 || { cat "$work/validate2.log"; fail "Flyway rejects a CRLF copy"; }
rc=0
"$mkmig" verify "$repo" >"$work/verify2.log" || rc=$?
cat "$work/verify2.log"
[[ $rc -eq 1 ]] && grep -q "checksum is unchanged" "$work/verify2.log" || fail "mkmig verify on a CRLF copy"
# deleted and renamed files
sed -i 's/\r$//' "$repo/$v2"
u3=$(cd "$repo" && ls U3__*.sql)
mv "$repo/$u3" "$repo/renamed.sql"
v3=$(cd "$repo" && ls V3__*.sql)
rm "$repo/$v3"
rc=0
"$mkmig" verify "$repo" >"$work/verify3.log" || rc=$?
cat "$work/verify3.log"
[[ $rc -eq 1 ]] && grep -q "$u3: renamed to .*renamed.sql" "$work/verify3.log" && grep -q "$v3: deleted" "$work/verify3.log" &&
  ! grep -q "$v2" "$work/verify3.log" || fail "mkmig verify on renamed/deleted files"
pg_drop_db fx_lock

echo "== 3. next versions"
next_of() { # DIR FILES... -> the first V file mkmig would write
  local d=$1 f
  shift
  rm -rf "$d"
  mkdir -p "$d"
  for f in "$@"; do echo "CREATE TABLE IF NOT EXISTS t_$(tr -c 'a-z0-9' '_' <<<"$f" | cut -c1-20) (id int);" >"$d/$f"; done
  "$mkmig" plan --out "$d" --schema "$fix/base.sql" "$work/cic.sql" | sed -n 's|^would write .*/\(V[0-9._]*\)__.*\.sql$|\1|p' | head -1
}
check_next() { # WANT FILES...
  local want=$1 got
  shift
  got=$(next_of "$work/ver" "$@")
  echo "  $* -> $got"
  [[ $got == "$want" ]] || fail "next version after $*: got $got, want $want"
}
check_next V11 V1__a.sql V1.1__b.sql V2__c.sql V10__d.sql
check_next V004 V001__a.sql V002__b.sql V003__c.sql
check_next V4.2 V3__a.sql V4__b.sql V4.1__c.sql
check_next V4_2 V4_1__a.sql
check_next V13 V3__a.sql U12__b.sql V11__b.sql
check_next V20261125120000 V20260101000000__a.sql
# Flyway applies the mixed directory (and mkmig's V11) in its numeric order
mixed=$work/mixed
rm -rf "$mixed"
mkdir -p "$mixed"
cp "$fix/base.sql" "$mixed/V1__base.sql"
for v in 1.1 2 10; do echo "CREATE TABLE t_${v//./_} (id int);" >"$mixed/V${v}__t.sql"; done
"$mkmig" --out "$mixed" "$work/cic.sql" 2>/dev/null
ls "$mixed" | grep -q '^V11__' || fail "mkmig did not write V11 after V10"
pg_fresh_db fx_mixed >/dev/null
flyway fx_mixed "$mixed" "$work/lock/flyway.conf" migrate >"$work/mixed.log" 2>&1 || { tail "$work/mixed.log"; fail "Flyway on the mixed directory"; }
order=$(pg_psql -A -t -d fx_mixed -c "SELECT string_agg(version, ' ' ORDER BY installed_rank) FROM flyway_schema_history")
echo "  Flyway applied: $order"
[[ $order == "1 1.1 2 10 11 12" ]] || fail "Flyway's order: $order"
pg_drop_db fx_mixed

echo "== 4. \${ in the user's SQL"
ph=$work/placeholder
mkdir -p "$ph"
cp "$fix/base.sql" "$ph/V1__base.sql"
echo "COMMENT ON TABLE users IS 'costs \${price}';" >"$work/ph.sql"
"$mkmig" --out "$ph" "$work/ph.sql" 2>/dev/null
conf=$(ls "$ph"/V2__*.sql.conf)
grep -qx 'placeholderReplacement=false' "$conf" || fail "no placeholderReplacement=false beside the file with \${"
pg_fresh_db fx_ph >/dev/null
flyway fx_ph "$ph" "$work/lock/flyway.conf" migrate >"$work/ph.log" 2>&1 || { tail "$work/ph.log"; fail "Flyway on a file with \${"; }
got=$(pg_psql -A -t -d fx_ph -c "SELECT obj_description('users'::regclass)")
[[ $got == 'costs ${price}' ]] || fail "comment is '$got'"
echo "  Flyway applied it unreplaced: $got"
pg_drop_db fx_ph
echo "runner/flyway/extras: 1 passed, 0 failed"
