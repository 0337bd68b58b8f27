#!/usr/bin/env bash
# The seed corpus of one fuzz target, built from fixtures/ (so new fixtures seed the fuzzers).
#
#   seeds.sh TARGET SRC_DIR OUT_DIR
#
#   filter   every fixture's schema.sql, a line "-- mkmig-fuzz: input", then its input.sql
#   schema   every schema.sql and every migration file of fixtures/
#   spec     every fixture's input.mkmig, with and without its schema.sql (filter's shape)
#   dir      every migrations directory of fixtures/ (and the interrupt fixtures' schemas as a
#            one-file Flyway directory), as "@@ NAME" records
set -euo pipefail
target=$1 src=$2 out=$3
n=0
seed() { n=$((n + 1)); cat >"$out/seed-$n"; }

case $target in
  filter)
    for input in "$src"/fixtures/*/*/input.sql; do
      d=$(dirname "$input")
      if [[ -f $d/schema.sql ]]; then
        { cat "$d/schema.sql"; printf '\n-- mkmig-fuzz: input\n'; cat "$input"; } | seed
      fi
      seed <"$input"
    done
    ;;
  spec)
    # every spec fixture (with its schema), and each CLI verb's example statements
    for input in "$src"/fixtures/*/*/input.mkmig; do
      d=$(dirname "$input")
      if [[ -f $d/schema.sql ]]; then
        { cat "$d/schema.sql"; printf '\n-- mkmig-fuzz: input\n'; cat "$input"; } | seed
      fi
      seed <"$input"
    done
    ;;
  schema)
    for f in "$src"/fixtures/*/*/schema.sql "$src"/fixtures/*/*/naive.sql; do
      [[ -f $f ]] && seed <"$f"
    done
    while IFS= read -r -d '' f; do seed <"$f"; done < <(find "$src/fixtures" -path '*migrations*' -name '*.sql' -print0 | sort -z)
    ;;
  dir)
    while IFS= read -r -d '' d; do
      {
        while IFS= read -r -d '' f; do
          printf '@@ %s\n' "${f#"$d"/}"
          cat "$f"
          printf '\n'
        done < <(find "$d" -type f -print0 | sort -z)
      } | seed
    done < <(find "$src/fixtures" -type d -name migrations -print0 | sort -z)
    for f in "$src"/fixtures/rewrite/*/schema.sql; do
      { printf '@@ V1__start.sql\n'; cat "$f"; printf '\n@@ V2__next.sql\nALTER TABLE IF EXISTS x ADD COLUMN y int;\n'; } | seed
    done
    printf '@@ 1_a.up.sql\nCREATE TABLE a (id int);\n@@ 1_a.down.sql\nDROP TABLE a;\n' | seed
    printf '@@ 20240101000000_a.sql\n-- migrate:up\nCREATE TABLE a (id int);\n-- migrate:down\nDROP TABLE a;\n' | seed
    printf '@@ sqitch.plan\n%%project=x\na 2024-01-01T00:00:00Z me <me@x> # a\n@@ deploy/a.sql\nCREATE TABLE a (id int);\n' | seed
    printf '@@ 2024-01-01-000000_a/up.sql\nCREATE TABLE a (id int);\n@@ 2024-01-01-000000_a/down.sql\nDROP TABLE a;\n' | seed
    ;;
  *)
    echo "seeds.sh: no seeds for target $target" >&2
    exit 2
    ;;
esac
