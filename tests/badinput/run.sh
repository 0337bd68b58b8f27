#!/usr/bin/env bash
# The README's "Bad inputs" table, one case per row: what mkmig does with input it must refuse.
#
#   run.sh MKMIG CASE      run one case (ctest: badinput/<case>)
#   run.sh MKMIG --list    the case names
#
# Every case runs mkmig in a fresh directory holding only the files the case made, and asserts
#   - the exit status (2 for every bad input or usage; 1 for `mkmig verify` finding an edit),
#   - the message on stderr (a fixed text, and for SQL errors the FILE:LINE:COL position; for
#     verify, its report on stdout),
#   - that nothing was written: stdout is empty (but verify's report) and the directory holds
#     exactly the files the case made (no output, no temporary file left behind).
set -euo pipefail

usage() {
  echo "usage: run.sh MKMIG CASE | run.sh MKMIG --list" >&2
  exit 2
}
[[ $# -eq 2 ]] || usage
mkmig=$1 case=$2
if [[ $mkmig != /* ]]; then mkmig="$PWD/$mkmig"; fi

schema() { printf 'CREATE TABLE t (id int PRIMARY KEY, a text);\n' >s.sql; }

# Each case_<name> makes its files and sets: args (mkmig's arguments), rc (the exit status), msg
# (text stderr must contain), and optionally out (where stdout goes: a file path such as
# /dev/full, or "closed"; default a capture that must stay empty).
case_syntax_error() {
  schema
  printf 'ALTER TABLE t ADD COLUMN b int\nALTER TABLE t ADD COLUMN c int;\n' >in.sql
  args=(--schema s.sql in.sql) rc=2 msg='in.sql:2:1: error: syntax error at or near "ALTER"'
}
case_unterminated_string() {
  schema
  printf "ALTER TABLE t ADD COLUMN b text DEFAULT 'abc;\n" >in.sql
  args=(--schema s.sql in.sql) rc=2 msg='in.sql:1:41: error: unterminated quoted string'
}
case_schema_syntax_error() {
  printf 'CREATE TABLE x (id int;\n' >s.sql
  printf 'ALTER TABLE x ADD COLUMN b int;\n' >in.sql
  args=(--schema s.sql in.sql) rc=2 msg='s.sql:1:23: error: syntax error at or near ";"'
}
case_unknown_table() {
  schema
  printf 'ALTER TABLE nope ADD COLUMN b int;\n' >in.sql
  args=(--schema s.sql in.sql) rc=2 msg='in.sql:1:13: error: relation "nope" does not exist'
}
case_unknown_column() {
  schema
  printf 'ALTER TABLE t ALTER COLUMN aa SET NOT NULL;\n' >in.sql
  args=(--schema s.sql in.sql) rc=2 msg='in.sql:1:28: error: column "aa" of relation "t" does not exist'
}
case_duplicate_column() {
  schema
  printf 'ALTER TABLE t ADD COLUMN id int;\n' >in.sql
  args=(--schema s.sql in.sql) rc=2 msg='in.sql:1:26: error: column "id" of relation "t" already exists'
}
case_drop_then_use() {
  schema
  printf 'ALTER TABLE t DROP COLUMN a;\nCREATE INDEX ON t (a);\n' >in.sql
  args=(--schema s.sql in.sql) rc=2 msg='in.sql:2:17: error: column "a" of relation "t" does not exist'
}
case_rename_then_use_old() {
  schema
  printf 'ALTER TABLE t RENAME COLUMN a TO b;\nALTER TABLE t DROP COLUMN a;\n' >in.sql
  args=(--schema s.sql in.sql) rc=2 msg='in.sql:2:27: error: column "a" of relation "t" does not exist'
}
case_transaction_control() {
  schema
  printf 'BEGIN;\nALTER TABLE t ADD COLUMN b int;\nCOMMIT;\n' >in.sql
  args=(--schema s.sql in.sql) rc=2
  msg='in.sql:1:1: error: transaction control in the input: mkmig decides which steps run in a transaction'
}
case_copy_from_stdin() {
  schema
  printf 'COPY t FROM stdin;\n' >in.sql
  args=(--schema s.sql in.sql) rc=2 msg='in.sql:1:1: error: COPY ... FROM STDIN cannot be part of a migration script'
}
case_undeparsable() {
  schema
  printf 'ALTER TABLE t ADD COLUMN b numeric(a - b, 2);\n' >in.sql
  args=(--schema s.sql in.sql) rc=2
  msg="error: cannot reproduce a statement: PostgreSQL's deparser printed SQL that does not parse"
}
case_spec_syntax_error() {
  schema
  printf 'rename t.a;\n' >in.mkmig
  args=(apply --schema s.sql in.mkmig) rc=2 msg="in.mkmig:1:11: error: rename: expected one of a name, '.', 'to', found ';'"
}
case_spec_unknown_statement() {
  schema
  printf 'renam t.a b;\n' >in.mkmig
  args=(apply --schema s.sql in.mkmig) rc=2 msg="in.mkmig:1:1: error: unknown statement 'renam'"
}
case_verb_unknown_column() {
  schema
  args=(rename t.zz b --schema s.sql) rc=2 msg='<command line>:1:10: error: column "zz" of relation "t" does not exist'
}
flyway_dir() { # DIR: a Flyway directory with one migration
  mkdir -p "$1"
  printf 'CREATE TABLE t (id int PRIMARY KEY, a text);\n' >"$1/V1__init.sql"
  printf 'ALTER TABLE t ADD COLUMN b int;\n' >in.sql
}
case_out_missing_dir() {
  printf 'ALTER TABLE t ADD COLUMN b int;\n' >in.sql
  args=(--out missing in.sql) rc=2 msg='mkmig: error: --out missing: No such file or directory'
}
case_out_no_layout() {
  mkdir empty
  printf 'CREATE TABLE t (id int);\n' >in.sql
  args=(--out empty in.sql) rc=2 msg='mkmig: error: --out empty: no migrations here to tell the layout from'
}
case_out_other_runner() {
  flyway_dir db
  args=(--out db --format golang-migrate in.sql) rc=2
  msg='mkmig: error: --out db --format golang-migrate: the directory holds flyway migrations'
}
case_out_mixed_runners() {
  flyway_dir db
  printf 'CREATE TABLE u (id int);\n' >db/2_u.up.sql
  printf 'DROP TABLE u;\n' >db/2_u.down.sql
  args=(--out db in.sql) rc=2 msg="mkmig: error: 'db' mixes Flyway and golang-migrate migrations"
}
case_out_unwritable() {
  # as root every directory is writable: the case runs mkmig as the postgres user then
  flyway_dir db
  chmod 755 db
  args=(--out db in.sql) rc=2 msg='mkmig: error: db/V2__add_column_b_to_t.sql: Permission denied; nothing was written'
  as_other=1
}
case_out_liquibase_directive() {
  # a comment line of the author's that Liquibase's line reader would take for --rollback
  mkdir db
  printf 'databaseChangeLog: []\n' >db/db.changelog-master.yaml
  printf 'CREATE TABLE t (\n  id int PRIMARY KEY,\n  -- rollback: drop the table by hand\n  a text\n);\n' >in.sql
  args=(--out db --format liquibase in.sql) rc=2
  msg="in.sql:3:3: error: step 1: Liquibase would read this line as its '-- rollback' directive, not as SQL"
}
case_out_goose_directive() {
  mkdir db
  printf -- '-- +goose Up\nCREATE TABLE t (id int PRIMARY KEY);\n-- +goose Down\nDROP TABLE t;\n' >db/00001_t.sql
  printf 'CREATE TABLE u (\n  id int,\n-- +goose Down (the old way)\n  a text\n);\n' >in.sql
  args=(--out db in.sql) rc=2
  msg="in.sql:3:1: error: step 1: goose would read this line as its '-- +goose' directive, not as SQL"
}
case_out_dbmate_directive() {
  mkdir db
  printf -- '-- migrate:up\nCREATE TABLE t (id int PRIMARY KEY);\n-- migrate:down\nDROP TABLE t;\n' >db/20260101000000_t.sql
  printf 'CREATE TABLE u (\n  id int,\n--migrate:down is below\n  a text\n);\n' >in.sql
  args=(--out db in.sql) rc=2
  msg="in.sql:3:1: error: step 1: dbmate would read this line as its '-- migrate:down' directive, not as SQL"
}
case_out_edited_migration() {
  # mkmig verify: a file mkmig wrote was edited since; exit 1 (a finding, as check), nothing written
  flyway_dir db
  "$mkmig" --out db in.sql >/dev/null 2>&1
  printf -- '-- edited\n' >>db/V2__add_column_b_to_t.sql
  args=(verify db) rc=1 msg='db/V2__add_column_b_to_t.sql: edited since mkmig wrote it' out_ok=1
}
case_missing_input() {
  args=(missing.sql) rc=2 msg="mkmig: error: cannot read 'missing.sql': No such file or directory"
}
case_directory_as_input() {
  mkdir d
  args=(d/) rc=2 msg="mkmig: error: cannot read 'd/': Is a directory"
}
case_missing_schema() {
  printf 'SELECT 1;\n' >in.sql
  args=(--schema missing.sql in.sql) rc=2 msg="mkmig: error: cannot read 'missing.sql': No such file or directory"
}
case_missing_dir() {
  printf 'SELECT 1;\n' >in.sql
  args=(--dir missing in.sql) rc=2
  msg="mkmig: error: cannot open migrations directory 'missing': No such file or directory"
}
case_unreadable_input() {
  # root reads any file whatever its mode: the case drops to the postgres user when run as root
  printf 'SELECT 1;\n' >in.sql
  chmod 000 in.sql
  args=(in.sql) rc=2 msg="mkmig: error: cannot read 'in.sql': Permission denied" as_other=1
}
case_output_disk_full() {
  schema
  printf 'ALTER TABLE t ADD COLUMN b int;\n' >in.sql
  args=(--schema s.sql in.sql) rc=2 msg='mkmig: error: cannot write the output: No space left on device'
  out=/dev/full
}
case_output_closed() {
  schema
  printf 'ALTER TABLE t ADD COLUMN b int;\n' >in.sql
  args=(--schema s.sql in.sql) rc=2 msg='mkmig: error: cannot write the output: Bad file descriptor'
  out=closed
}
case_huge_input() {
  truncate -s 65M in.sql
  args=(in.sql) rc=2 msg='mkmig: error: in.sql: input is larger than 64 MiB, the most mkmig reads in one file'
}
case_invalid_utf8() {
  schema
  printf 'ALTER TABLE t ADD COLUMN b int; -- \xff\xfe\n' >in.sql
  args=(--schema s.sql in.sql) rc=2 msg='in.sql:1:36: error: invalid UTF-8 byte 0xff'
}
case_nul_byte() {
  schema
  printf 'ALTER TABLE t ADD COLUMN b int;\0\n' >in.sql
  args=(--schema s.sql in.sql) rc=2 msg='in.sql:1:32: error: NUL byte in SQL input'
}
case_nul_byte_schema() {
  printf 'CREATE TABLE t (id int);\0\n' >s.sql
  printf 'SELECT 1;\n' >in.sql
  args=(--schema s.sql in.sql) rc=2 msg='s.sql:1:25: error: NUL byte in SQL input'
}
case_unknown_option() {
  args=(--bogus) rc=2 msg="mkmig: unknown option '--bogus'"
}
case_mistyped_command() {
  args=(plna) rc=2 msg="mkmig: unknown command 'plna'; did you mean 'plan'?"
}
case_bad_option_value() {
  args=(--pg-version 99) rc=2 msg="mkmig: --pg-version: expected a whole number from 10 to 18, got '99'"
}

if [[ $case == --list ]]; then
  declare -F | sed -n 's/^declare -f case_//p'
  exit 0
fi
declare -F "case_$case" >/dev/null || { echo "run.sh: no case $case" >&2; exit 2; }

work=$(mktemp -d "${TMPDIR:-/tmp}/mkmig-badinput.XXXXXX")
trap 'chmod -R u+rwx "$work" 2>/dev/null; rm -rf "$work"' EXIT
cd "$work"
args=() rc=0 msg="" out="" as_other=0 out_ok=0
"case_$case"
before=$(find . -mindepth 1 | sort)

runner=()
if [[ $as_other -eq 1 && $(id -u) -eq 0 ]]; then
  chmod 755 "$work"
  runner=(runuser -u postgres --)
fi
status=0
case $out in
  "") "${runner[@]}" "$mkmig" "${args[@]}" >"$work.stdout" 2>"$work.stderr" || status=$? ;;
  closed) "${runner[@]}" "$mkmig" "${args[@]}" >&- 2>"$work.stderr" || status=$? ;;
  *) "${runner[@]}" "$mkmig" "${args[@]}" >"$out" 2>"$work.stderr" || status=$? ;;
esac
after=$(find . -mindepth 1 | sort)

fail=0
echo "badinput/$case: mkmig ${args[*]}${out:+ (stdout: $out)} -> exit $status"
sed 's/^/  stderr: /' "$work.stderr"
if [[ $status -ne $rc ]]; then
  echo "FAIL: exit status $status, expected $rc" >&2
  fail=1
fi
if [[ $out_ok -eq 1 ]]; then
  cat "$work.stdout" >>"$work.stderr" # the findings are the verb's output: checked with the message
fi
if ! grep -q -F -- "$msg" "$work.stderr"; then
  echo "FAIL: stderr (or the verb's report) lacks: $msg" >&2
  fail=1
fi
if [[ $out_ok -eq 0 && -f $work.stdout && -s $work.stdout ]]; then
  echo "FAIL: something was written to stdout:" >&2
  head -c 400 "$work.stdout" >&2
  fail=1
fi
if [[ $before != "$after" ]]; then
  echo "FAIL: files appeared or vanished in the working directory:" >&2
  diff <(echo "$before") <(echo "$after") >&2 || true
  fail=1
fi
rm -f "$work.stdout" "$work.stderr"
exit "$fail"
