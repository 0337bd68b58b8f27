#!/usr/bin/env bash
# Build the libFuzzer targets with clang and run them.
#
#   run.sh build SRC_DIR FUZZ_BUILD_DIR
#   run.sh run   SRC_DIR FUZZ_BUILD_DIR TARGET SECONDS [LIBFUZZER_ARGS...]
#
# build: configure SRC_DIR into FUZZ_BUILD_DIR with clang (-DMKMIG_FUZZ=ON, ASan+UBSan, no test
#   tree) and build every fuzz_* target.
# run: first replays every regression input of tests/fuzz/regress/TARGET/ (crashes found before:
#   each must now pass), then fuzzes TARGET for SECONDS from the seed corpus (built from
#   fixtures/ by seeds.sh) plus the corpus kept in FUZZ_BUILD_DIR/corpus/TARGET from earlier
#   runs. Prints libFuzzer's final exec/s and coverage ("cov:" edges, "ft:" features) on a line
#   "fuzz TARGET: ...". A crash leaves its input in FUZZ_BUILD_DIR/artifacts/TARGET/ and fails.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

usage() {
  echo "usage: run.sh build SRC_DIR FUZZ_BUILD_DIR | run.sh run SRC_DIR FUZZ_BUILD_DIR TARGET SECONDS [ARGS...]" >&2
  exit 2
}
[[ $# -ge 3 ]] || usage
cmd=$1 src=$(cd "$2" && pwd) bdir=$3
shift 3

case $cmd in
  build)
    command -v clang >/dev/null || { echo "run.sh: clang is missing: install the Debian package clang" >&2; exit 1; }
    mkdir -p "$bdir"
    cmake -S "$src" -B "$bdir" -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=Debug \
      -DMKMIG_FUZZ=ON -DBUILD_TESTING=OFF >"$bdir/configure.log" 2>&1 ||
      { cat "$bdir/configure.log" >&2; exit 1; }
    targets=()
    for f in "$here"/fuzz_*.c; do
      t=$(basename "$f" .c)
      [[ $t == fuzz_common ]] || targets+=("$t")
    done
    for t in "${targets[@]}"; do
      cmake --build "$bdir" -j2 --target "$t"
    done
    ;;
  run)
    [[ $# -ge 2 ]] || usage
    target=$1 seconds=$2
    shift 2
    bin=$bdir/tests/fuzz/fuzz_$target
    [[ -x $bin ]] || { echo "run.sh: $bin is not built (run.sh build first)" >&2; exit 1; }
    corpus=$bdir/corpus/$target seeds=$bdir/seeds/$target arts=$bdir/artifacts/$target
    mkdir -p "$corpus" "$arts" "$bdir/tmp"
    rm -rf "$seeds"
    mkdir -p "$seeds"
    bash "$here/seeds.sh" "$target" "$src" "$seeds"
    export TMPDIR=$bdir/tmp
    # crashes found before stay fixed
    shopt -s nullglob
    regress=("$here/regress/$target"/*)
    if [[ ${#regress[@]} -gt 0 ]]; then
      "$bin" -runs=1 "${regress[@]}" >"$bdir/regress-$target.log" 2>&1 ||
        { cat "$bdir/regress-$target.log" >&2; echo "fuzz $target: a regression input fails again" >&2; exit 1; }
    fi
    log=$bdir/fuzz-$target.log
    rc=0
    t0=$(date +%s)
    "$bin" -max_total_time="$seconds" -max_len=16384 -timeout=20 -print_final_stats=1 -dict="$here/mkmig.dict" \
      -artifact_prefix="$arts/" "$@" "$corpus" "$seeds" >"$log" 2>&1 || rc=$?
    elapsed=$(($(date +%s) - t0))
    execs=$(grep -a -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || true)
    speed=$(grep -a -o 'stat::average_exec_per_sec: *[0-9]*' "$log" | grep -o '[0-9]*$' || true)
    last=$(grep -a -E '#[0-9]+.*cov:' "$log" | tail -n1 || true)
    cov=$(grep -o 'cov: [0-9]*' <<<"$last" || true)
    ft=$(grep -o 'ft: [0-9]*' <<<"$last" || true)
    corp=$(grep -o 'corp: [0-9]*/[0-9]*[a-zA-Z]*' <<<"$last" || true)
    echo "fuzz $target: ${elapsed}s, ${execs:-?} runs, ${speed:-?} exec/s, ${cov:-cov: ?} edges, ${ft:-ft: ?}, ${corp:-corp: ?} (${#regress[@]} regression inputs)"
    if [[ $rc -ne 0 ]]; then
      tail -n 80 "$log" >&2
      echo "fuzz $target: crash; input saved in $arts/ (add it to tests/fuzz/regress/$target/)" >&2
      exit 1
    fi
    ;;
  *) usage ;;
esac
