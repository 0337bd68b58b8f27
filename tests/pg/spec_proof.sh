#!/usr/bin/env bash
# Change-spec verbs on a real PostgreSQL, across the deploy: the script mkmig prints by default
# (expand and backfill, stopping at the checkpoint) is run, both application versions write, then
# the `--phase contract` script runs. Every case drives the mkmig CLI exactly as a person would.
#
#   spec_proof.sh MKMIG CASE [--cluster DIR] [--work DIR] [--pg-version N]
#
# Cases:
#   rename        `mkmig rename users.user_name username`: the default script holds no DROP; the
#                 contract script run first is refused by its guard (RAISE, nothing changed);
#                 after expand+backfill the old application (user_name) and the new one
#                 (username) insert and update, and each sees the other's writes; the contract
#                 printed from the live catalog then (--db) is the same; the contract then
#                 completes; every row has the right username; down (contract, then expand)
#                 restores the start with the writes made meanwhile.
#   convert       `mkmig convert products.price_dollars to price_cents integer using ... back
#                 ...` on a table where half the rows were migrated by hand: the backfill touches
#                 only the other half (its NOTICE counts them); both applications write between
#                 the phases; after the contract every price_cents is exact; the down scripts
#                 bring price_dollars back, equal to the start for the original rows.
#   convert_bad   one row whose conversion raises (smallint overflow): the backfill stops naming
#                 that row's key, committed batches stay, both applications keep working; the old
#                 application fixes the row; the same script run again completes; a second table
#                 whose using expression gives NULL for some rows stops at the validation with the
#                 count and keys, and completes once they are fixed.
#   convert_noback  convert without back: the down says on stderr and in the script that the
#                 data cannot come back; it runs and leaves price_dollars empty.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$here/lib.sh"

usage() {
  echo "usage: spec_proof.sh MKMIG CASE [--cluster DIR] [--work DIR] [--pg-version N]" >&2
  exit 2
}
[[ $# -ge 2 ]] || usage
mkmig=$1
case_name=$2
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
if [[ $mkmig != /* ]]; then mkmig="$PWD/$mkmig"; fi
[[ -x $mkmig ]] || { echo "spec_proof: mkmig is not built: $mkmig" >&2; exit 1; }
[[ -n $cluster ]] || { echo "spec_proof: no cluster (--cluster DIR or MKMIG_PG_CLUSTER_DIR)" >&2; exit 2; }
pg_env "$cluster"
if [[ -z $work ]]; then work=$(mktemp -d); fi
rm -rf -- "$work"
mkdir -p "$work"
work=$(cd "$work" && pwd)
db=$(pg_db_name spec "$case_name" ${pg_version:+"$pg_version"})
version_args=()
if [[ -n $pg_version ]]; then version_args=(--pg-version "$pg_version"); fi

failures=()
fail() {
  failures+=("$1")
  echo "FAIL: $1" >&2
}
ok() { echo "ok: $*"; }
die() {
  echo "FAIL: $1" >&2
  echo "spec_proof: $case_name FAILED; files kept in $work" >&2
  exit 1
}
# q SQL: one value (or rows, unaligned, '|' separated)
q() { psql -X -q -A -t -v ON_ERROR_STOP=1 -d "$db" -c "$1"; }
# run FILE LOG: a deploy step; returns psql's status
run() { pg_psql -d "$db" -f "$1" >"$2" 2>&1; }
# mk OUT ERR ARGS...: mkmig in $work with the schema
mk() {
  local out=$1 err=$2
  shift 2
  (cd "$work" && "$mkmig" "$@" --schema schema.sql "${version_args[@]}") >"$work/$out" 2>"$work/$err" ||
    die "mkmig $* failed: $(cat "$work/$err")"
}
expect_eq() {  # LABEL GOT WANT
  if [[ $2 == "$3" ]]; then ok "$1"; else fail "$1: got '$2', want '$3'"; fi
}

echo "spec_proof: $case_name on PostgreSQL $MKMIG_PG_SERVER_VERSION_NUM; files in $work"
pg_fresh_db "$db"

case $case_name in
rename)
  cat >"$work/schema.sql" <<'SQL'
CREATE TABLE users (id bigint PRIMARY KEY, user_name text NOT NULL, email text);
CREATE INDEX users_user_name_idx ON users (user_name);
INSERT INTO users SELECT g, 'user' || g, 'u' || g || '@example.com' FROM generate_series(1, 100) g;
SQL
  run "$work/schema.sql" "$work/schema.log" || die "schema.sql"
  pg_describe "$db" --data >"$work/start.txt"
  mk expand.sql expand.stderr rename users.user_name username --batch-size 30
  mk contract.sql contract.stderr rename users.user_name username --phase contract
  grep -q -- '--phase contract' "$work/expand.stderr" && ok "stderr names the command for the rest" ||
    fail "stderr does not say how to print the contract: $(cat "$work/expand.stderr")"
  if grep -q 'DROP COLUMN user_name' "$work/expand.sql"; then fail "the default script drops user_name"; else
    ok "the default script holds no DROP COLUMN"; fi
  # the contract first: refused, nothing changed
  if run "$work/contract.sql" "$work/contract-early.log"; then fail "the contract ran before the expand phase"; else
    grep -q 'mkmig: rename public.users.user_name to username: the expand and backfill phases have not completed' \
      "$work/contract-early.log" && ok "the guard refuses an early contract" ||
      fail "the early contract failed, but not in its guard: $(cat "$work/contract-early.log")"
  fi
  pg_describe "$db" --data >"$work/early.txt"
  pg_compare "$work/start.txt" "$work/early.txt" >/dev/null && ok "the refused contract changed nothing" ||
    fail "the refused contract changed the database"
  run "$work/expand.sql" "$work/expand.log" || die "the expand script failed: $work/expand.log"
  # both application versions between the phases
  q "INSERT INTO users (id, user_name, email) VALUES (1001, 'old-app', 'o@x')" >/dev/null
  q "INSERT INTO users (id, username, email) VALUES (1002, 'new-app', 'n@x')" >/dev/null
  q "UPDATE users SET user_name = 'old-renamed' WHERE id = 5" >/dev/null
  q "UPDATE users SET username = 'new-renamed' WHERE id = 6" >/dev/null
  expect_eq "the new application reads the old one's insert" "$(q "SELECT username FROM users WHERE id = 1001")" old-app
  expect_eq "the old application reads the new one's insert" "$(q "SELECT user_name FROM users WHERE id = 1002")" new-app
  expect_eq "the new application reads the old one's update" "$(q "SELECT username FROM users WHERE id = 5")" old-renamed
  expect_eq "the old application reads the new one's update" "$(q "SELECT user_name FROM users WHERE id = 6")" new-renamed
  expect_eq "no row differs between the two columns" \
    "$(q "SELECT count(*) FROM users WHERE username IS DISTINCT FROM user_name")" 0
  # The contract asked for from the live catalog between the phases, where username and the sync
  # trigger already exist: the rename carries on, the same contract.
  if (cd "$work" && "$mkmig" rename users.user_name username --phase contract --db "dbname=$db" "${version_args[@]}") \
    >"$work/contract-db.sql" 2>"$work/contract-db.stderr"; then
    cmp -s "$work/contract.sql" "$work/contract-db.sql" && ok "--phase contract from the live catalog prints the same contract" ||
      fail "--phase contract from the live catalog differs: diff $work/contract.sql $work/contract-db.sql"
  else
    fail "--phase contract from the live catalog between the phases failed: $(cat "$work/contract-db.stderr")"
  fi
  run "$work/contract.sql" "$work/contract.log" || die "the contract script failed: $work/contract.log"
  expect_eq "user_name is gone" "$(q "SELECT count(*) FROM pg_attribute WHERE attrelid = 'users'::regclass AND attname = 'user_name' AND NOT attisdropped")" 0
  expect_eq "every username is right" \
    "$(q "SELECT count(*) FROM users WHERE username = CASE id WHEN 1001 THEN 'old-app' WHEN 1002 THEN 'new-app' WHEN 5 THEN 'old-renamed' WHEN 6 THEN 'new-renamed' ELSE 'user' || id END")" 102
  expect_eq "the index follows the column" "$(q "SELECT indexdef FROM pg_indexes WHERE indexname = 'users_user_name_idx'")" \
    "CREATE INDEX users_user_name_idx ON public.users USING btree (username)"
  # down: the contract's undo, then the expand's
  mk down-contract.sql down-contract.stderr rename users.user_name username --down --phase contract
  mk down.sql down.stderr rename users.user_name username --down
  run "$work/down-contract.sql" "$work/down-contract.log" || die "down (contract) failed"
  run "$work/down.sql" "$work/down.log" || die "down failed"
  q "DELETE FROM users WHERE id > 1000; UPDATE users SET user_name = 'user' || id WHERE id IN (5, 6)" >/dev/null
  pg_describe "$db" --data >"$work/down.txt"
  pg_compare "$work/start.txt" "$work/down.txt" >"$work/down.diff" && ok "down restores the start" ||
    { cat "$work/down.diff" >&2; fail "down does not restore the start"; }
  ;;
convert | convert_noback)
  cat >"$work/schema.sql" <<'SQL'
CREATE TABLE products (id integer PRIMARY KEY, price_dollars numeric(10,2) NOT NULL, price_cents integer);
INSERT INTO products SELECT g, g * 1.25 + 0.01, NULL FROM generate_series(1, 200) g;
-- half the rows migrated by hand in an earlier attempt
UPDATE products SET price_cents = round(price_dollars * 100) WHERE id % 2 = 0;
SQL
  run "$work/schema.sql" "$work/schema.log" || die "schema.sql"
  q "SELECT id, price_dollars FROM products ORDER BY id" >"$work/start-dollars.txt"
  back=(back 'price_cents / 100.0')
  if [[ $case_name == convert_noback ]]; then back=(); fi
  stmt=(convert products.price_dollars to price_cents integer using 'round(price_dollars * 100)' "${back[@]}")
  mk expand.sql expand.stderr "${stmt[@]}" --batch-size 40
  mk contract.sql contract.stderr "${stmt[@]}" --phase contract
  run "$work/expand.sql" "$work/expand.log" || die "the expand script failed: $work/expand.log"
  grep -q 'backfill public.products.price_cents done: 100 rows updated' "$work/expand.log" &&
    ok "the backfill converts only the 100 rows not migrated by hand" ||
    fail "the backfill did not update exactly the 100 pending rows: $(grep 'done:' "$work/expand.log")"
  # both application versions
  q "INSERT INTO products (id, price_dollars) VALUES (1001, 12.34)" >/dev/null
  q "UPDATE products SET price_dollars = 99.99 WHERE id = 3" >/dev/null
  if [[ $case_name == convert ]]; then
    q "INSERT INTO products (id, price_cents) VALUES (1002, 4321)" >/dev/null
    expect_eq "the old application reads the new one's insert" "$(q "SELECT price_dollars FROM products WHERE id = 1002")" 43.21
  else
    q "INSERT INTO products (id, price_dollars, price_cents) VALUES (1002, 43.21, 4321)" >/dev/null
  fi
  expect_eq "the new application reads the old one's insert" "$(q "SELECT price_cents FROM products WHERE id = 1001")" 1234
  expect_eq "the new application reads the old one's update" "$(q "SELECT price_cents FROM products WHERE id = 3")" 9999
  expect_eq "price_cents is NOT NULL before the contract" \
    "$(q "SELECT attnotnull FROM pg_attribute WHERE attrelid = 'products'::regclass AND attname = 'price_cents'")" t
  run "$work/contract.sql" "$work/contract.log" || die "the contract script failed: $work/contract.log"
  expect_eq "every price_cents is exact" \
    "$(q "SELECT count(*) FROM products WHERE price_cents = CASE id WHEN 1001 THEN 1234 WHEN 1002 THEN 4321 WHEN 3 THEN 9999 ELSE round((id * 1.25 + 0.01) * 100) END")" 202
  expect_eq "price_dollars is gone" "$(q "SELECT count(*) FROM pg_attribute WHERE attrelid = 'products'::regclass AND attname = 'price_dollars' AND NOT attisdropped")" 0
  mk down-contract.sql down-contract.stderr "${stmt[@]}" --down --phase contract
  mk down.sql down.stderr "${stmt[@]}" --down
  run "$work/down-contract.sql" "$work/down-contract.log" || die "down (contract) failed: $work/down-contract.log"
  run "$work/down.sql" "$work/down.log" || die "down failed: $work/down.log"
  q "DELETE FROM products WHERE id > 1000" >/dev/null
  if [[ $case_name == convert ]]; then
    q "SELECT id, CASE id WHEN 3 THEN price_dollars - 99.99 + 3 * 1.25 + 0.01 ELSE price_dollars END FROM products ORDER BY id" >"$work/down-dollars.txt"
    diff "$work/start-dollars.txt" "$work/down-dollars.txt" >/dev/null && ok "down restores price_dollars (exactly, and the update made meanwhile)" ||
      fail "down does not restore price_dollars: diff $work/start-dollars.txt $work/down-dollars.txt"
  else
    grep -q 'cannot come back' "$work/down-contract.stderr" && ok "down says on stderr that the data cannot come back" ||
      fail "down's stderr does not say the data cannot come back"
    grep -q -- '-- WARNING: the data of public.products.price_dollars cannot come back' "$work/down-contract.sql" &&
      ok "down says it in the script" || fail "the down script does not say the data cannot come back"
    expect_eq "after down price_dollars is back, empty" "$(q "SELECT count(*) FROM products WHERE price_dollars IS NULL")" 200
  fi
  ;;
convert_bad)
  cat >"$work/schema.sql" <<'SQL'
CREATE TABLE products (id integer PRIMARY KEY, price_dollars numeric(10,2) NOT NULL);
INSERT INTO products SELECT g, g * 1.25 FROM generate_series(1, 200) g;
-- 500.00 dollars is 50000 cents: too much for smallint
UPDATE products SET price_dollars = 500.00 WHERE id = 150;
CREATE TABLE items (id integer PRIMARY KEY, weight text NOT NULL);
INSERT INTO items SELECT g, CASE WHEN g IN (7, 70) THEN 'heavy' ELSE g::text END FROM generate_series(1, 100) g;
SQL
  run "$work/schema.sql" "$work/schema.log" || die "schema.sql"
  stmt=(convert products.price_dollars to price_cents smallint using 'round(price_dollars * 100)' back 'price_cents / 100.0')
  mk expand.sql expand.stderr "${stmt[@]}" --batch-size 40
  if run "$work/expand.sql" "$work/expand1.log"; then fail "the expand script ran over a row that cannot convert"; else
    grep -q 'the row with key (id) = (150) cannot be converted: smallint out of range' "$work/expand1.log" &&
      ok "the backfill stops naming the row's key" || fail "the failure does not name key 150: $(grep ERROR "$work/expand1.log")"
  fi
  expect_eq "the batches before the bad row are committed" "$(q "SELECT count(*) FROM products WHERE price_cents IS NOT NULL")" 120
  # both applications keep working
  q "INSERT INTO products (id, price_dollars) VALUES (1001, 1.50)" >/dev/null
  q "INSERT INTO products (id, price_cents) VALUES (1002, 250)" >/dev/null
  expect_eq "old application's insert converted" "$(q "SELECT price_cents FROM products WHERE id = 1001")" 150
  expect_eq "new application's insert converted back" "$(q "SELECT price_dollars FROM products WHERE id = 1002")" 2.50
  # the fix, by the old application; the same script again
  q "UPDATE products SET price_dollars = 300.00 WHERE id = 150" >/dev/null
  run "$work/expand.sql" "$work/expand2.log" || die "the rerun after the fix failed: $work/expand2.log"
  grep -q 'resuming backfill public.products.price_cents after key' "$work/expand2.log" && ok "the rerun resumes after the committed batches" ||
    fail "the rerun did not resume"
  expect_eq "every row converted" "$(q "SELECT count(*) FROM products WHERE price_cents = round(price_dollars * 100)")" 202
  mk contract.sql contract.stderr "${stmt[@]}" --phase contract
  run "$work/contract.sql" "$work/contract.log" || die "the contract failed: $work/contract.log"
  ok "the contract completes"
  # NULL results: the validation stops with the count and keys
  stmt2=(convert items.weight to weight_kg integer using "CASE WHEN weight ~ '^[0-9]+\$' THEN weight::integer END")
  mk expand-items.sql expand-items.stderr "${stmt2[@]}"
  if run "$work/expand-items.sql" "$work/items1.log"; then fail "the convert of items ignored rows it could not convert"; else
    grep -q '2 rows could not be converted (weight_kg is NULL where weight is not), e.g. the rows with key (7), (70)' "$work/items1.log" &&
      ok "the validation names the count and the keys" || fail "the validation message is wrong: $(grep ERROR "$work/items1.log")"
  fi
  q "INSERT INTO items (id, weight) VALUES (1001, '5')" >/dev/null
  expect_eq "the old application keeps working" "$(q "SELECT weight_kg FROM items WHERE id = 1001")" 5
  q "UPDATE items SET weight = '1000' WHERE id IN (7, 70)" >/dev/null
  run "$work/expand-items.sql" "$work/items2.log" || die "the items rerun failed: $work/items2.log"
  ok "after the fix the items convert completes"
  ;;
*)
  echo "spec_proof: unknown case $case_name" >&2
  exit 2
  ;;
esac

if [[ ${#failures[@]} -gt 0 ]]; then
  echo "spec_proof: $case_name FAILED (${#failures[@]} problem(s)); files kept in $work" >&2
  exit 1
fi
pg_drop_db "$db"
echo "spec_proof: $case_name ok"
