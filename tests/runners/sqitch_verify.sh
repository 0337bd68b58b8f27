#!/usr/bin/env bash
# The verify scripts mkmig writes for sqitch, with real sqitch (issue 8):
#
#   sqitch_verify.sh MKMIG --cluster DIR --work DIR
#
# A change of many kinds (SET NOT NULL through a NOT VALID helper CHECK, a CHECK added NOT VALID
# then validated, a unique index built concurrently, a new table with a foreign key, a type
# change: fixtures/layouts/sqitch_verify.sql) goes through `sqitch deploy --verify` (every
# step's verify right after its deploy: no check may state what only a later step makes) and
# `sqitch verify`. Then each fact is broken by hand in turn — constraint dropped, NOT NULL
# dropped, FK dropped, index made INVALID, column type changed — and `sqitch verify` must fail
# naming it; undone, it passes again.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
# shellcheck source-path=SCRIPTDIR source=../pg/lib.sh
. "$root/tests/pg/lib.sh"
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$here/lib.sh"

[[ $# -eq 5 ]] || { echo "usage: sqitch_verify.sh MKMIG --cluster DIR --work DIR" >&2; exit 2; }
mkmig=$1 cluster=$3 work=$5
pg_env "$cluster"
[[ -n ${MKMIG_PG_TCP_HOST:-} ]] || { echo "sqitch_verify: the cluster does not listen on TCP" >&2; exit 1; }
fix=$root/fixtures/layouts
rm -rf "$work"
mkdir -p "$work"
fail() { echo "FAIL: $*" >&2; exit 1; }
repo=$work/repo db=$(pg_db_name sqv_app)
pg_fresh_db "$db" >/dev/null
layout_base sqitch "$repo" "$fix/base.sql"
SOURCE_DATE_EPOCH=1795608000 "$mkmig" --out "$repo" "$fix/sqitch_verify.sql" 2>"$work/mkmig.stderr" ||
  { cat "$work/mkmig.stderr" >&2; fail "mkmig --out"; }
sqitch_run "$repo" "$db" deploy --verify >"$work/deploy.log" 2>&1 || { cat "$work/deploy.log" >&2; fail "sqitch deploy --verify"; }
echo "sqitch deploy --verify: $(grep -c '^  + ' "$work/deploy.log") changes deployed and verified"
sqitch_run "$repo" "$db" verify >"$work/verify.log" 2>&1 || { cat "$work/verify.log" >&2; fail "sqitch verify on the end state"; }

# BREAK / UNDO / what verify must say
cases=(
  'ALTER TABLE users DROP CONSTRAINT "Email_len"'
  'ALTER TABLE users ADD CONSTRAINT "Email_len" CHECK (length(email) < 100)'
  'constraint Email_len on public.users is missing or NOT VALID'

  'ALTER TABLE users ALTER COLUMN email DROP NOT NULL'
  'ALTER TABLE users ALTER COLUMN email SET NOT NULL'
  'column public.users.email is missing or not text NOT NULL'

  'ALTER TABLE orders DROP CONSTRAINT orders_user_fk'
  'ALTER TABLE orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) REFERENCES users (id)'
  'constraint orders_user_fk on public.orders is missing or NOT VALID'

  "UPDATE pg_index SET indisvalid = false WHERE indexrelid = 'users_email_key'::regclass"
  'REINDEX INDEX users_email_key'
  'index public.users_email_key on users is missing or INVALID or not unique'

  'ALTER TABLE users ALTER COLUMN user_name TYPE text'
  'ALTER TABLE users ALTER COLUMN user_name TYPE varchar(80)'
  'column public.users.user_name is missing or not character varying(80)'

  'DROP TABLE orders'
  'CREATE TABLE orders (id bigint PRIMARY KEY, user_id bigint REFERENCES users (id) CONSTRAINT orders_user_fk)'
  'table public.orders is missing'
)
n=0
for ((i = 0; i < ${#cases[@]}; i += 3)); do
  brk=${cases[i]} undo=${cases[i + 1]} want=${cases[i + 2]}
  pg_psql -d "$db" -c "$brk" >/dev/null
  if sqitch_run "$repo" "$db" verify >"$work/v$i.log" 2>&1; then
    cat "$work/v$i.log" >&2; fail "sqitch verify passed after: $brk"
  fi
  grep -qF "mkmig verify: $want" "$work/v$i.log" || { cat "$work/v$i.log" >&2; fail "sqitch verify did not say '$want' after: $brk"; }
  echo "after '$brk': sqitch verify fails: $want"
  [[ $brk == 'DROP TABLE orders' ]] && break
  pg_psql -d "$db" -c "$undo" >/dev/null
  sqitch_run "$repo" "$db" verify >"$work/v$i.ok.log" 2>&1 || { cat "$work/v$i.ok.log" >&2; fail "sqitch verify still fails after: $undo"; }
  n=$((n + 1))
done
pg_drop_db "$db"
echo "runner/sqitch/verify: 1 passed, 0 failed ($((n + 1)) breakages caught)"
