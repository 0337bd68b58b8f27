#!/usr/bin/env bash
# The command line is the change-spec language: `mkmig VERB ARGS...` prints exactly what the
# statement in a spec file prints (fixtures/spec/<case>/expected/), byte for byte, for the up,
# contract and down scripts; the held-back note repeats the command as typed; an unknown verb
# names the nearest one; an error in an argument points into the command line.
#
#   spec_cli.sh MKMIG SOURCE_DIR
set -euo pipefail
mkmig=$1
root=$2
failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }

# same CASE ARGS...: the verb form of fixtures/spec/CASE/input.mkmig
same() {
  local case=$1 dir="$root/fixtures/spec/$1" out
  shift
  out=$(cd "$dir" && "$mkmig" "$@" --schema schema.sql 2>/dev/null) || { fail "$case: mkmig $* failed"; return; }
  if [[ -s $dir/expected/up.sql ]]; then
    diff <(printf '%s\n' "$out") "$dir/expected/up.sql" >/dev/null || fail "$case: mkmig $* differs from expected/up.sql"
  elif [[ -n $out ]]; then
    fail "$case: mkmig $* printed a script where expected/ has none (all held back)"
  fi
  if [[ -s $dir/expected/contract.sql ]]; then
    out=$(cd "$dir" && "$mkmig" "$@" --schema schema.sql --phase contract 2>/dev/null) || { fail "$case: --phase contract failed"; return; }
    diff <(printf '%s\n' "$out") "$dir/expected/contract.sql" >/dev/null || fail "$case: mkmig $* --phase contract differs"
  fi
  out=$(cd "$dir" && "$mkmig" "$@" --schema schema.sql --down 2>/dev/null) || { fail "$case: --down failed"; return; }
  if [[ -s $dir/expected/down.sql ]]; then
    diff <(printf '%s\n' "$out") "$dir/expected/down.sql" >/dev/null || fail "$case: mkmig $* --down differs"
  fi
  echo "ok: mkmig $*"
}

same rename rename users.user_name username
same rename_table rename-table customers to clients
same convert convert products.price_dollars to price_cents integer using 'round(price_dollars * 100)' back 'price_cents / 100.0'
same convert_no_back convert orders.total to total_cents bigint using 'round(total * 100)'
same add_fk add-fk orders.customer_id references customers.id on delete cascade
same add_check add-check orders 'total >= 0' name orders_total_check
same set_not_null set-not-null orders.total lock-timeout 500
same drop_column drop-column users.nickname
same backfill backfill orders.status using 'upper(status)' where "status = 'open'" batch-size 7

dir="$root/fixtures/spec/rename"
err=$(cd "$dir" && "$mkmig" rename users.user_name username --schema schema.sql 2>&1 >/dev/null)
grep -qF 'mkmig rename users.user_name username --schema schema.sql --phase contract' <<<"$err" &&
  echo "ok: the note gives the exact command" || fail "the note does not repeat the command: $err"
err=$(cd "$dir" && "$mkmig" renam users.user_name username 2>&1) && fail "an unknown verb succeeded"
grep -q "did you mean 'rename'" <<<"$err" && echo "ok: unknown verb, nearest verb" || fail "no hint: $err"
err=$(cd "$dir" && "$mkmig" convert products.price_dollars to c integer using 'round(price_dollars * )' --schema schema.sql 2>&1) &&
  fail "a bad expression succeeded"
grep -q '^<command line>:1:74: error: syntax error at or near ")"' <<<"$err" && grep -q '^ *\^$' <<<"$err" &&
  echo "ok: an error in an argument points into the command line, with a caret" || fail "wrong position: $err"
[[ $failures -eq 0 ]] || { echo "spec_cli: $failures failure(s)" >&2; exit 1; }
echo "spec_cli: ok"
