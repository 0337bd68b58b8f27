#!/usr/bin/env bash
# SIGKILL while mkmig writes --out (badinput/out_sigkill): RUNS runs of one multi-file run, each
# killed after a random delay within the run's own duration, then the next mkmig run.
#
#   sigkill.sh MKMIG LAYOUT [RUNS [SEED]]
#
# Asserts after every kill:
#   - no file a runner or mkmig's version choice reads is left half-made: every visible file is
#     either one of the starting files or byte-equal to the file an uninterrupted run writes
#     (the run's temporary files live in DIR/.mkmig-tmp/<pid>/ as <n>.part: no runner's name);
#   - the next run (another change) succeeds, removes the hidden directory, and leaves the first
#     run's files either all there (with their mkmig.sum entries) or none of them;
#   - `mkmig verify` finds nothing edited or missing.
set -euo pipefail
[[ $# -ge 2 ]] || { echo "usage: sigkill.sh MKMIG LAYOUT [RUNS [SEED]]" >&2; exit 2; }
mkmig=$1 layout=$2 runs=${3:-40} RANDOM=${4:-12}
if [[ $mkmig != /* ]]; then mkmig="$PWD/$mkmig"; fi
export SOURCE_DATE_EPOCH=1700000000
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"

mkdir base
printf 'CREATE TABLE t (id int PRIMARY KEY, a text);\n' >s.sql
{ # several changes across phases: many files per run
  printf 'ALTER TABLE t ADD COLUMN b int;\n'
  printf 'ALTER TABLE t ALTER COLUMN a SET NOT NULL;\n'
  printf 'CREATE INDEX t_a ON t (a);\n'
  printf 'ALTER TABLE t RENAME COLUMN a TO a2;\n'
  printf 'ALTER TABLE t ADD COLUMN c text DEFAULT '"'"'x'"'"';\n'
} >in.sql
printf 'ALTER TABLE t ADD COLUMN z int;\n' >next.sql
case $layout in
  flyway) cp s.sql base/V1__init.sql; first=(--out d --format flyway) ;;
  liquibase) first=(--out d --format liquibase --schema s.sql) ;;
  *) echo "sigkill.sh: layout $layout not covered" >&2; exit 2 ;;
esac
next=("${first[@]}")

listing() { (cd "$1" && find . -path ./.mkmig-tmp -prune -o -type f -print | sort); }

# The uninterrupted run: what every file must be once visible, and how long a run takes.
cp -r base ref
t0=$(date +%s%N)
"$mkmig" "${first[@]/#d/ref}" in.sql >/dev/null 2>ref.err || { cat ref.err; exit 1; }
t1=$(date +%s%N)
dur_us=$(( (t1 - t0) / 1000 ))
before=$(listing base)
new_files=$(comm -13 <(echo "$before") <(listing ref))
echo "out_sigkill/$layout: an uninterrupted run takes ${dur_us} us and writes $(echo "$new_files" | wc -l) files"

fail=0 none=0 all=0 partial=0 staged=0 committed=0
for ((k = 1; k <= runs; k++)); do
  rm -rf d && cp -r base d
  # Half the kills anywhere in the run, half in its last fifth, where the files are written.
  r=$(( RANDOM * 32768 + RANDOM ))
  if (( k % 2 )); then delay_us=$(( r % (dur_us * 12 / 10 + 1) ))
  else delay_us=$(( dur_us * 8 / 10 + r % (dur_us * 3 / 10 + 1) )); fi
  "$mkmig" "${first[@]}" in.sql >/dev/null 2>&1 &
  pid=$!
  sleep "$(printf '0.%06d' "$delay_us")"
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  # Visible files: the starting ones, or complete copies of the reference run's.
  seen=$(listing d)
  for f in $(comm -13 <(echo "$before") <(echo "$seen")); do
    if [[ ! -f ref/$f ]] || ! cmp -s "d/$f" "ref/$f"; then
      echo "FAIL run $k (kill at ${delay_us} us): visible file $f is not one of the run's complete files" >&2
      fail=1
    fi
  done
  for f in $before; do
    if [[ ! -f d/$f ]] || ! cmp -s "d/$f" "base/$f"; then
      [[ $layout == liquibase && -f ref/$f ]] && cmp -s "d/$f" "ref/$f" && continue
      echo "FAIL run $k: starting file $f changed or vanished" >&2; fail=1
    fi
  done
  if find d -path d/.mkmig-tmp -prune -o \( -name '*.mkmig-tmp.*' -o -name '*.tmp.*' \) -print | grep -q .; then
    echo "FAIL run $k: a temporary file beside the migrations:" >&2; find d -name '*tmp*' >&2; fail=1
  fi
  # Inside the hidden directory only names no runner reads: <pid>/<n>.part, commit, commit.new.
  if [[ -d d/.mkmig-tmp ]] && find d/.mkmig-tmp -type f | grep -v -E '^d/\.mkmig-tmp/[0-9]+/([0-9]+\.part|commit|commit\.new)$' | grep -q .; then
    echo "FAIL run $k: unexpected names in d/.mkmig-tmp:" >&2; find d/.mkmig-tmp >&2; fail=1
  fi
  if compgen -G "d/.mkmig-tmp/*/commit" >/dev/null; then committed=$((committed + 1))
  elif [[ -d d/.mkmig-tmp ]]; then staged=$((staged + 1)); fi
  # The next run finishes or discards the killed one.
  if ! "$mkmig" "${next[@]}" next.sql >/dev/null 2>next.err; then
    echo "FAIL run $k (kill at ${delay_us} us): the next run failed:" >&2; cat next.err >&2; fail=1; continue
  fi
  if [[ -e d/.mkmig-tmp ]]; then
    echo "FAIL run $k: d/.mkmig-tmp left after the next run" >&2; find d/.mkmig-tmp >&2; fail=1
  fi
  # mkmig.sum and an extended changelog change with the next run: count the migration files only.
  migs=$(echo "$new_files" | grep -v -e '^./mkmig.sum$' -e 'changelog' | wc -l)
  present_migs=0
  for f in $(echo "$new_files" | grep -v -e '^./mkmig.sum$' -e 'changelog'); do [[ -f d/$f ]] && present_migs=$((present_migs + 1)); done
  if [[ $present_migs -eq 0 ]]; then none=$((none + 1))
  elif [[ $present_migs -eq $migs ]]; then all=$((all + 1))
  else
    echo "FAIL run $k (kill at ${delay_us} us): $present_migs of $migs migration files after the next run" >&2
    partial=$((partial + 1)); fail=1
  fi
  if ! "$mkmig" verify d >verify.out 2>&1; then
    echo "FAIL run $k: mkmig verify after the next run:" >&2; cat verify.out >&2; fail=1
  fi
done
echo "out_sigkill/$layout: $runs kills: $none left none of the run, $all all of it, $partial part of it"
echo "out_sigkill/$layout: $staged kills mid-write (stage discarded), $committed after the commit point (run finished by the next)"
exit "$fail"
