#!/usr/bin/env bash
# The randomized end-state property on a real PostgreSQL: for each seed, gen.py makes a random
# schema with rows and a random sequence of supported naive changes (a rewrite fixture), then
#   1. rewrite_proof.sh: mkmig's up script (all phases) reaches the naive DDL's end state, schema
#      and data; the up script run a second time changes nothing; the down script restores the
#      start (the data too, unless a change dropped some);
#   2. interruption: a fresh start database runs the up script up to a step chosen from the seed
#      (as if the deploy died there), then the whole up script again: same end state as the naive
#      DDL;
#   3. with --concurrent: the same up script applied while pgbench writes the changed tables
#      (concurrent.sh): no write is lost or rejected.
#
#   prop.sh MKMIG --cluster DIR --work DIR [--seed S] [--count N | --minutes M] [--changes N]
#           [--concurrent] [--avoid-known] [--more]
#
#   --seed S      the first seed (default 1); case i uses seed S+i, so a failure is replayed with
#                 --seed <its seed> --count 1
#   --count N     number of cases (default 10); --minutes M: as many as fit in M minutes instead
#   --changes N   changes per case (default: 1-6, from the seed)
#   --avoid-known leave out the change combinations with a known failure (gen.py --avoid-known;
#                 each has its case in tests/prop/cases/), so a run finds new failures
#   --more        more kinds of change (gen.py --more)
#
# Every failing case is kept as WORK/failures/case-<seed>/ — a fixtures/rewrite/<case>/
# directory as it stands (copy it there to keep it as a regression fixture) — with its proof
# files in WORK/case-<seed>/ and its log in WORK/logs/case-<seed>.log. Passing cases' databases are dropped. Prints one line per case and a
# summary; exits non-zero when any case failed.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
pgdir=$(cd "$here/../pg" && pwd)
# shellcheck source=../pg/lib.sh
. "$pgdir/lib.sh"

usage() {
  echo "usage: prop.sh MKMIG --cluster DIR --work DIR [--seed S] [--count N | --minutes M] [--changes N] [--concurrent] [--avoid-known] [--more]" >&2
  exit 2
}
[[ $# -ge 1 ]] || usage
mkmig=$1
shift
cluster="" work="" seed=1 count=10 minutes="" changes="" concurrent=0 avoid_known=0 gen_more=0
while [[ $# -gt 0 ]]; do
  case $1 in
    --cluster) cluster=$2; shift 2 ;;
    --work) work=$2; shift 2 ;;
    --seed) seed=$2; shift 2 ;;
    --count) count=$2; shift 2 ;;
    --minutes) minutes=$2; shift 2 ;;
    --changes) changes=$2; shift 2 ;;
    --concurrent) concurrent=1; shift ;;
    --avoid-known) avoid_known=1; shift ;;
    --more) gen_more=1; shift ;;
    *) usage ;;
  esac
done
[[ -n $cluster && -n $work ]] || usage
if [[ $mkmig != /* ]]; then mkmig="$PWD/$mkmig"; fi
pg_env "$cluster"
mkdir -p "$work"
work=$(cd "$work" && pwd)

# All phases in one script: ask for it explicitly once mkmig stops at the first checkpoint by
# default (--all-phases); older builds print every phase anyway.
gen_args=()
# (rewrite_proof.sh passes --all-phases itself since the default changed; then nothing to add)
help=$("$mkmig" --help 2>&1 || true)
if grep -q -- '--all-phases' <<<"$help" && ! grep -q -- '"$mkmig" --all-phases' "$pgdir/rewrite_proof.sh"; then
  gen_args+=(--all-phases)
fi
if [[ -n $changes ]]; then gen_args+=(--changes "$changes"); fi
if [[ $avoid_known -eq 1 ]]; then gen_args+=(--avoid-known); fi
if [[ $gen_more -eq 1 ]]; then gen_args+=(--more); fi

deadline=""
if [[ -n $minutes ]]; then
  deadline=$(($(date +%s) + minutes * 60))
  count=1000000000
fi

# interrupt_check CASE_DIR PROOF_DIR SEED: run the up script to a step boundary, then all of it
interrupt_check() {
  local dir=$1 proof=$2 s=$3 db steps k cut
  db=$(pg_db_name "$(basename "$dir")" interrupted)
  steps=$(grep -c -E '^-- step [0-9]+ ' "$proof/up.sql" || true)
  if [[ $steps -lt 2 ]]; then
    echo "  interrupt: one step only, nothing to interrupt"
    return 0
  fi
  k=$((s % (steps - 1) + 1)) # stop after step k of steps
  cut=$(grep -n -E '^-- step [0-9]+ ' "$proof/up.sql" | sed -n "$((k + 1))p" | cut -d: -f1)
  head -n "$((cut - 1))" "$proof/up.sql" >"$proof/up-interrupted.sql"
  pg_fresh_db "$db" >/dev/null
  pg_run "$db" "$dir/schema.sql" >"$proof/interrupt-schema.log" 2>&1
  if ! pg_run "$db" "$proof/up-interrupted.sql" >"$proof/interrupt-part.log" 2>&1; then
    echo "  interrupt: the first $k steps fail: $proof/interrupt-part.log" >&2
    return 1
  fi
  if ! pg_run "$db" "$proof/up.sql" >"$proof/interrupt-rerun.log" 2>&1; then
    echo "  interrupt: the rerun after step $k of $steps fails: $proof/interrupt-rerun.log" >&2
    tail -n 20 "$proof/interrupt-rerun.log" >&2
    return 1
  fi
  pg_describe "$db" --data >"$proof/interrupted.txt"
  if ! pg_compare "$proof/naive.txt" "$proof/interrupted.txt" naive "stopped after step $k, rerun" >"$proof/interrupt.diff"; then
    cat "$proof/interrupt.diff" >&2
    echo "  interrupt: stopped after step $k of $steps and rerun, the end state differs" >&2
    return 1
  fi
  echo "  interrupt: stopped after step $k of $steps, rerun: ok"
  pg_drop_db "$db"
}

drop_case_dbs() {
  local name=$1 kind
  for kind in start naive safe interrupted concurrent concurrent_naive; do
    pg_drop_db "$(pg_db_name "$name" "$kind")" || true
  done
}

passed=0 failed=0 i=0
failed_seeds=()
start_time=$(date +%s)
while [[ $i -lt $count ]]; do
  if [[ -n $deadline && $(date +%s) -ge $deadline ]]; then break; fi
  s=$((seed + i))
  i=$((i + 1))
  name=case-$s
  dir=$work/cases/$name
  proof=$work/$name
  log=$work/logs/$name.log
  rm -rf "$dir" "$proof"
  mkdir -p "$proof" "$work/logs"
  python3 "$here/gen.py" "$s" "$dir" "${gen_args[@]}"
  ok=1
  if ! bash "$pgdir/rewrite_proof.sh" "$mkmig" "$dir" --cluster "$cluster" --work "$proof" >"$log" 2>&1; then
    ok=0
  fi
  if [[ $ok -eq 1 ]] && ! interrupt_check "$dir" "$proof" "$s" >>"$log" 2>&1; then
    ok=0
  fi
  if [[ $ok -eq 1 && $concurrent -eq 1 ]] &&
    ! bash "$here/concurrent.sh" "$mkmig" "$dir" --cluster "$cluster" --work "$proof" >>"$log" 2>&1; then
    ok=0
  fi
  nch=$(grep -c . "$dir/input.sql" || true)
  if [[ $ok -eq 1 ]]; then
    passed=$((passed + 1))
    extra=$(grep -h -o -E '^(  interrupt: stopped after step [0-9]+ of [0-9]+|concurrent: (ok: [0-9]+ rows|skipped))' "$log" | sed -e 's/^ *//' -e 's/concurrent: ok: /load: /' | paste -sd ';' - || true)
    echo "ok   seed $s ($nch changes${extra:+; $extra})"
    drop_case_dbs "$name"
    rm -rf "$proof" "$dir" "$log"
  else
    failed=$((failed + 1))
    failed_seeds+=("$s")
    mkdir -p "$work/failures"
    rm -rf "$work/failures/$name"
    cp -r "$dir" "$work/failures/$name"
    echo "FAIL seed $s ($nch changes): $log; case kept in $work/failures/$name"
    grep -E '^(FAIL|  interrupt|rewrite_proof|concurrent)' "$log" | head -n 5 | sed 's/^/     /'
  fi
done
elapsed=$(($(date +%s) - start_time))
echo "prop: $((passed + failed)) cases from seed $seed in ${elapsed}s: $passed passed, $failed failed${failed_seeds[*]:+ (seeds ${failed_seeds[*]})}"
[[ $failed -eq 0 ]]
