#!/bin/bash
# perf_test.sh — the compile-speed regression test (ctest -L perf). On a mid-size generated input
# it asserts RATIOS measured in one run, never wall-clock limits (the machine is shared):
#   - mkmig on 4N statements vs libpg_query's parse+unpack+deparse floor on the same files;
#   - mkmig on 4N vs mkmig on N statements (linear: ~4; a quadratic term shows as 10+);
#   - peak memory on 4N vs N.
# CPU time (user+sys) is the best of three runs each, which keeps other load mostly out.
#
#   perf_test.sh MKMIG HELPER_DIR WORK_DIR BUILD_TYPE
set -euo pipefail
mkmig=$1 helpers=$2 work=$3 build_type=${4:-Debug}
n=${MKMIG_PERF_N:-4000}
# The Debug build instruments mkmig (ASan+UBSan) but not libpg_query, so its floor ratio is
# higher. Measured here before UPDATEs were batched: Release 1.25-1.3, Debug 1.75. Batching made
# each UPDATE of the input an 85-line DO block (25 MB of output for the 1.1 MB input) and a deparse
# of the changed statement: Release 2.1, Debug 2.95. With the loop in pg_temp.mkmig_batch, defined
# once per script (16 MB of output), and the batch's write made by editing the statement's text:
# Release 1.60-1.84, Debug 2.22-2.31 (best of three, on the shared 2-core machine at load 7).
# With the front-end fixes merged (memoised deparses, keyword table): Release 1.2-1.6 (best of
# seven interleaved with the floor, 16k statements: 1.22), Debug 2.58 at load 1 -- the test build
# also checks every memoised deparse against a direct one and re-parses every edited batch
# statement, work the Release build does not do. With the arena packing strings unaligned, the
# filter streaming its script and pass-through CREATE TABLE edited rather than deparsed: Release
# 1.1-1.2 (fewer instructions than the floor: 0.94x at 5k), Debug 2.28-2.45 at load 1. The limits
# sit above that with room for the machine's noise (2x between runs in absolute times), so a new
# cost still fails.
case $build_type in
  Release|RelWithDebInfo) max_floor=1.6 ;;
  *) max_floor=3.0 ;;
esac
max_scale=6.0 max_mem=6.0

rm -rf "$work" && mkdir -p "$work/small" "$work/big"
"$helpers/bench_gen" mixed "$n" "$work/small"
"$helpers/bench_gen" mixed $((4 * n)) "$work/big"

# best CPU seconds (and the peak KB of that run) of three: best_of VAR_PREFIX CMD...
best_of() {
  local var=$1; shift
  local best="" kb=""
  for _ in 1 2 3; do
    read -r _wall cpu rss < <("$helpers/bench_measure" /dev/null "$@")
    if [ -z "$best" ] || awk -v a="$cpu" -v b="$best" 'BEGIN { exit !(a < b) }'; then best=$cpu kb=$rss; fi
  done
  printf -v "${var}_cpu" '%s' "$best"
  printf -v "${var}_kb" '%s' "$kb"
}

# mkmig's exit status matters too: a compile that fails fast must not pass as fast.
"$mkmig" --schema "$work/big/schema.sql" "$work/big/input.sql" > "$work/big/out.sql"
best_of small "$mkmig" --schema "$work/small/schema.sql" "$work/small/input.sql"
best_of big "$mkmig" --schema "$work/big/schema.sql" "$work/big/input.sql"
best_of floor "$helpers/bench_floor" "$work/big/schema.sql" "$work/big/input.sql"

awk -v s="$small_cpu" -v b="$big_cpu" -v f="$floor_cpu" -v sk="$small_kb" -v bk="$big_kb" \
    -v n="$n" -v mf="$max_floor" -v ms="$max_scale" -v mm="$max_mem" -v bt="$build_type" 'BEGIN {
  rf = b / f; rs = b / s; rm = bk / sk
  printf "build %s; mkmig %d stmts %.3f s (%d KB), %d stmts %.3f s (%d KB); floor %d stmts %.3f s\n", \
         bt, n, s, sk, 4 * n, b, bk, 4 * n, f
  printf "mkmig/floor %.2f (limit %.2f)   4N/N time %.2f (limit %.2f)   4N/N memory %.2f (limit %.2f)\n", \
         rf, mf, rs, ms, rm, mm
  bad = 0
  if (rf > mf) { print "FAIL: mkmig is too slow against the libpg_query floor"; bad = 1 }
  if (rs > ms) { print "FAIL: time grows faster than the input (a super-linear cost)"; bad = 1 }
  if (rm > mm) { print "FAIL: peak memory grows faster than the input"; bad = 1 }
  exit bad
}'
