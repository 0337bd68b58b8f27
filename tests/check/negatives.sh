#!/bin/bash
# Every rule of `mkmig check --explain all` has a negative case: its safe form is named in a
# comment ("-- rule-a, rule-b: ...") of a clean fixture (fixtures/check/*_clean/input.sql, whose
# golden expects no hazard), so a new rule without one fails here.
# Usage: negatives.sh MKMIG_BIN SOURCE_DIR
set -u
bin=$1; src=$2; fail=0
# Rules without a safe form of the same statement: the negative is not writing it. A domain's
# CHECK has none for locks either: VALIDATE CONSTRAINT of a domain still takes SHARE on every table
# using the domain (the lock authority, src/plan/locks_stmt.c).
no_safe_form=" drop-database domain-check-constraint "
named=$(cat "$src"/fixtures/check/*_clean/input.sql | sed -n 's/^-- \([a-z, -]*\):.*/\1/p' | tr ', ' '\n\n' | sort -u)
for rule in $("$bin" check --explain all | awk '{print $1}'); do
	[ "${no_safe_form/ $rule /}" != "$no_safe_form" ] && continue
	grep -qx "$rule" <<<"$named" || { echo "FAIL $rule: no clean fixture names its safe form"; fail=1; }
done
for f in "$src"/fixtures/check/*_clean; do
	[ -s "$f/expected/check.status" ] && { echo "FAIL $(basename "$f"): a clean fixture expects exit $(cat "$f/expected/check.status")"; fail=1; }
done
[ $fail -eq 0 ] && echo "every rule has a clean fixture showing its safe form"
exit $fail
