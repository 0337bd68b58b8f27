#!/usr/bin/env bash
# Valgrind leak check of the mkmig CLI over every fixture (the ASan build cannot run under
# valgrind, so this builds a plain RelWithDebInfo mkmig of its own).
#
#   run.sh SRC_DIR BUILD_DIR
#
# Builds SRC_DIR's mkmig into BUILD_DIR (no sanitizers, no test tree), then for every
# fixtures/<area>/<case>/ runs up, --down and plan (with its schema.sql and args, as the golden
# test does), the model fixtures' `debug schema --dir`, and a few failing runs (errors must not
# leak either), each under valgrind --leak-check=full. Fails on any leak ("definitely" or
# "indirectly lost"), invalid access or uninitialised use; prints one line per run.
set -euo pipefail
[[ $# -eq 2 ]] || { echo "usage: run.sh SRC_DIR BUILD_DIR" >&2; exit 2; }
src=$(cd "$1" && pwd) bdir=$2
command -v valgrind >/dev/null || { echo "run.sh: valgrind is missing: install the Debian package valgrind" >&2; exit 1; }
mkdir -p "$bdir"
cmake -S "$src" -B "$bdir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBUILD_TESTING=OFF >"$bdir/configure.log" 2>&1 ||
  { cat "$bdir/configure.log" >&2; exit 1; }
cmake --build "$bdir" -j2 --target mkmig >"$bdir/build.log" 2>&1 || { cat "$bdir/build.log" >&2; exit 1; }
mkmig=$(cd "$bdir" && pwd)/mkmig
logs=$bdir/valgrind-logs
rm -rf "$logs"
mkdir -p "$logs"

runs=0 failures=0
# vg NAME DIR ARGS...: mkmig ARGS in DIR under valgrind; any exit status of mkmig is accepted
# (the failing runs exit 2), only valgrind's findings count
vg() {
  local name=$1 dir=$2 rc=0
  shift 2
  runs=$((runs + 1))
  (cd "$dir" && valgrind -q --leak-check=full --show-leak-kinds=definite,indirect \
     --errors-for-leak-kinds=definite,indirect --error-exitcode=99 --log-file="$logs/$name.log" \
     "$mkmig" "$@" >/dev/null 2>&1) || rc=$?
  if [[ $rc -eq 99 || -s $logs/$name.log ]]; then
    failures=$((failures + 1))
    echo "FAIL $name: valgrind reports (mkmig $*):"
    head -n 40 "$logs/$name.log"
  fi
}

for input in "$src"/fixtures/*/*/input.sql; do
  d=$(dirname "$input")
  name=$(basename "$(dirname "$d")")_$(basename "$d")
  args=()
  if [[ -f $d/args ]]; then
    while IFS= read -r line || [[ -n $line ]]; do
      [[ -n $line && $line != \#* ]] && args+=("$line")
    done <"$d/args"
  fi
  if [[ -f $d/schema.sql ]]; then args+=(--schema schema.sql); fi
  vg "$name.up" "$d" "${args[@]}" input.sql
  vg "$name.down" "$d" --down "${args[@]}" input.sql
  vg "$name.plan" "$d" plan "${args[@]}" input.sql
done
while IFS= read -r -d '' m; do
  vg "dir_$(basename "$(dirname "$m")")" "$m" debug schema --dir .
done < <(find "$src/fixtures" -type d -name migrations -print0 | sort -z)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
printf 'ALTER TABLE t ADD COLUMN b int\nALTER TABLE t ADD c int;\n' >"$tmp/syntax.sql"
printf 'CREATE TABLE t (id int);\n' >"$tmp/s.sql"
printf 'ALTER TABLE nope ADD COLUMN b int;\n' >"$tmp/unknown.sql"
printf 'BEGIN;\n' >"$tmp/begin.sql"
vg error_syntax "$tmp" syntax.sql
vg error_unknown "$tmp" --schema s.sql unknown.sql
vg error_begin "$tmp" begin.sql
vg error_missing "$tmp" missing.sql
vg error_option "$tmp" --pg-version 99
echo "valgrind: $runs runs of mkmig, $failures with findings (logs in $logs)"
[[ $failures -eq 0 ]]
