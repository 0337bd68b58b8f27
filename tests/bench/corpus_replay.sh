#!/usr/bin/env bash
# Replay a real project's migrations twice on PostgreSQL and compare: once as written (database A),
# once with every file first compiled by mkmig (database B). See tests/bench/README.md.
#
#   corpus_replay.sh DIR MKMIG [--work WDIR] [--cluster CDIR] [--source dir|dump|db]
#                    [--mode chained|isolated] [--limit N] [--pg-version N] [--keep]
#                    [--comment-step-titles]
#
#   DIR        a migrations directory: diesel (<version>_<name>/up.sql), golang-migrate
#              (<version>_<title>.up.sql) or Flyway (V<version>__<description>.sql)
#   MKMIG      the mkmig binary
#   --work     where every per-file artefact and the summary go (default: a new /tmp dir)
#   --cluster  a running cluster (tests/pg/cluster.sh start CDIR); default: start a throwaway
#              one under WDIR and stop it at exit
#   --source   how mkmig learns the schema before each file:
#                dir   --dir <temp dir of symlinks to the earlier migrations>   (default)
#                dump  --schema <pg_dump -s of database B just before the file>
#                db    --db <conninfo of database B>
#   --mode     chained  (default) B only ever receives mkmig's output; when mkmig rejects a
#                       file or its script fails, B is restored to its state before the file
#                       and the file is applied as written instead (counted as a fallback), so
#                       one failure does not cascade
#              isolated before every file B is reset to a copy of A (the exact state the file
#                       was written against): each file is judged on its own
#   --limit    replay at most N files
#   --keep     keep the databases (and a cluster this script started) at the end
#   --comment-step-titles  work around an emitter bug (mkmig 0.1.0): a step title holding a
#              multi-line statement is commented out only on its first line, so psql reads the
#              rest as SQL. With this option the continuation lines are commented out before
#              psql runs the script (counted in the summary). Off by default.
#
# Per file, in WDIR/files/NNN/: orig.sql (a symlink), safe.sql, mkmig.err, mkmig.rc, a.log,
# b.log, a.txt / b.txt (pg_describe of A / B after the file), desc.diff. WDIR/summary.txt is the
# report; it is also printed. Exit status: 0 when the end states are equal, 1 when they differ,
# 2 on usage or setup errors.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=../pg/lib.sh
. "$here/../pg/lib.sh"

usage() {
  sed -n '5,6p' "${BASH_SOURCE[0]}" | sed 's/^# *//' >&2
  exit 2
}

[[ $# -ge 2 ]] || usage
src_dir=$1
mkmig=$2
shift 2
work="" cluster="" source=dir mode=chained limit=0 pg_version="" keep=0 fix_titles=0
while [[ $# -gt 0 ]]; do
  case $1 in
    --work) [[ $# -ge 2 ]] || usage; work=$2; shift 2 ;;
    --cluster) [[ $# -ge 2 ]] || usage; cluster=$2; shift 2 ;;
    --source) [[ $# -ge 2 ]] || usage; source=$2; shift 2 ;;
    --mode) [[ $# -ge 2 ]] || usage; mode=$2; shift 2 ;;
    --limit) [[ $# -ge 2 ]] || usage; limit=$2; shift 2 ;;
    --pg-version) [[ $# -ge 2 ]] || usage; pg_version=$2; shift 2 ;;
    --keep) keep=1; shift ;;
    --comment-step-titles) fix_titles=1; shift ;;
    *) usage ;;
  esac
done
case $source in dir | dump | db) ;; *) echo "corpus_replay: --source dir|dump|db" >&2; exit 2 ;; esac
case $mode in chained | isolated) ;; *) echo "corpus_replay: --mode chained|isolated" >&2; exit 2 ;; esac
[[ -d $src_dir ]] || { echo "corpus_replay: no directory $src_dir" >&2; exit 2; }
src_dir=$(cd "$src_dir" && pwd)
if [[ $mkmig != /* ]]; then mkmig="$PWD/$mkmig"; fi
[[ -x $mkmig ]] || { echo "corpus_replay: mkmig is not executable: $mkmig" >&2; exit 2; }

if [[ -z $work ]]; then work=$(mktemp -d /tmp/mkmig-replay.XXXXXX); fi
mkdir -p "$work"
work=$(cd "$work" && pwd)
case $src_dir/ in "$work"/*) echo "corpus_replay: --work must not contain DIR" >&2; exit 2 ;; esac
rm -rf -- "$work/files" "$work/earlier" "$work/summary.txt" "$work/list.tsv"
mkdir -p "$work/files" "$work/earlier"

# ---------------------------------------------------------------- the cluster
started_cluster=0
if [[ -z $cluster ]]; then
  cluster=$work/cluster
  bash "$here/../pg/cluster.sh" start "$cluster" >&2
  started_cluster=1
fi
db_a=$(pg_db_name replay "$mode" "$source" a)
db_b=$(pg_db_name replay "$mode" "$source" b)
db_s=$(pg_db_name replay "$mode" "$source" snap)
cleanup() {
  if [[ $keep -eq 0 ]]; then
    pg_drop_db "$db_s" >/dev/null 2>&1 || true
    if [[ $started_cluster -eq 1 ]]; then
      bash "$here/../pg/cluster.sh" stop "$cluster" >&2 || true
    else
      pg_drop_db "$db_a" >/dev/null 2>&1 || true
      pg_drop_db "$db_b" >/dev/null 2>&1 || true
    fi
  fi
}
trap cleanup EXIT
pg_env "$cluster"
pg_bindir=${MKMIG_PG_CLUSTER_BINDIR:-}
pg_dump_bin=pg_dump
if [[ -n $pg_bindir && -x $pg_bindir/pg_dump ]]; then pg_dump_bin=$pg_bindir/pg_dump; fi

# ---------------------------------------------------------------- the migrations, in order
# list.tsv: sort key, name (what is linked into the earlier dir), up file, in-transaction (1/0)
layout=""
if compgen -G "$src_dir/*/up.sql" >/dev/null; then
  layout=diesel
  for d in "$src_dir"/*/; do
    d=${d%/}
    [[ -f $d/up.sql ]] || continue
    name=$(basename "$d")
    v=${name%%_*}
    tx=1
    # diesel: metadata.toml with run_in_transaction = false
    if [[ -f $d/metadata.toml ]] && grep -Eq '^[[:space:]]*run_in_transaction[[:space:]]*=[[:space:]]*false' "$d/metadata.toml"; then
      tx=0
    fi
    printf '%s\t%s\t%s\t%s\n' "${v//-/}" "$name" "$d/up.sql" "$tx"
  done | LC_ALL=C sort -t $'\t' -k1,1 -s >"$work/list.tsv"
elif compgen -G "$src_dir/[0-9]*_*.up.sql" >/dev/null; then
  layout=golang-migrate
  for f in "$src_dir"/[0-9]*_*.up.sql; do
    name=$(basename "$f")
    # golang-migrate runs each file as one multi-statement exec: one implicit transaction
    printf '%s\t%s\t%s\t1\n' "${name%%_*}" "$name" "$f"
  done | LC_ALL=C sort -t $'\t' -k1,1 -V -s >"$work/list.tsv"
elif compgen -G "$src_dir/V*__*.sql" >/dev/null; then
  layout=flyway
  for f in "$src_dir"/V*__*.sql; do
    name=$(basename "$f")
    v=${name#V}
    v=${v%%__*}
    printf '%s\t%s\t%s\t1\n' "${v//_/.}" "$name" "$f"
  done | LC_ALL=C sort -t $'\t' -k1,1 -V -s >"$work/list.tsv"
else
  echo "corpus_replay: $src_dir is not a diesel, golang-migrate or Flyway directory" >&2
  exit 2
fi
total=$(wc -l <"$work/list.tsv")
echo "corpus_replay: $total $layout migrations in $src_dir; mode $mode, schema source $source; work $work" >&2

# ---------------------------------------------------------------- helpers
now_ms() { local t=${EPOCHREALTIME/./}; echo $((t / 1000)); }
declare -A tm=([a_apply]=0 [mkmig]=0 [b_apply]=0 [describe]=0 [clone]=0 [dump]=0)
timed() { # PHASE CMD... : run CMD, add its wall time to tm[PHASE], keep its status
  local phase=$1 t0 rc=0
  shift
  t0=$(now_ms)
  "$@" || rc=$?
  tm[$phase]=$((tm[$phase] + $(now_ms) - t0))
  return $rc
}
clone_db() { # SRC DST
  pg_drop_db "$2"
  pg_psql -d postgres -v src="$1" -v dst="$2" <<<'CREATE DATABASE :"dst" TEMPLATE :"src";'
}
psql_file() { # DB FILE LOG [--single-transaction]
  local db=$1 file=$2 log=$3
  shift 3
  psql -X -v ON_ERROR_STOP=1 "$@" -d "$db" -f "$file" >"$log" 2>&1
}
normalise_dump() {
  grep -Ev '^(--|SET |SELECT pg_catalog\.set_config|\\(un)?restrict )' | grep -v '^[[:space:]]*$' || true
}
# "psql:FILE:LINE: ERROR:  msg" / "FILE:LINE:COL: error: msg" -> "msg"
first_error() { # LOG
  grep -m1 -E '(ERROR|FATAL|error):' "$1" | sed -E 's/^.*(ERROR|FATAL|error): +//' || true
}
# Comment out the continuation lines of "-- step N (...): TITLE" headers: every line after the
# header up to the step's first own line (a lock or warning comment, or its SET lock_timeout).
comment_step_titles() { # IN OUT -> prints the number of lines commented out
  awk '
    /^-- (undo )?step [0-9]+/ { intitle = 1; print; next }
    intitle && /^(--   lock: |-- WARNING: |SET lock_timeout = )/ { intitle = 0 }
    intitle { print "--  " $0; fixed++; next }
    { print }
    END { print fixed + 0 > "/dev/stderr" }' "$1" 3>&1 1>"$2" 2>&3
}
# What differs between two correct replays run moments apart: a view that froze the time of its
# creation ('now'::timestamp in the view body) shows a different literal. Both sides of every
# comparison go through this.
stable() { sed -E "s/'[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?([+-][0-9:]+)?'::timestamp/'<creation time>'::timestamp/g"; }
# "MESSAGE<TAB>EXAMPLE" lines -> one group per message, the most frequent first, with at most
# three examples each
group_by_message() {
  awk -F'\t' '{c[$1]++; if (c[$1] <= 3) ex[$1] = ex[$1] "\x01      " $2}
    END {for (m in c) printf "%5d  %s%s\n", c[m], m, ex[m]}' | sort -rn -s -k1,1 | tr '\001' '\n'
}
generalise() {
  sed -E "s/\"[^\"]*\"/\"…\"/g; s/'[^']*'/'…'/g; s/\b[a-z_][a-z0-9_\$]*(\.[a-z_][a-z0-9_\$]*){1,2}\b/…/g"
}

pg_fresh_db "$db_a"
pg_fresh_db "$db_b"

# ---------------------------------------------------------------- the replay, file by file
n=0 n_mkmig_ok=0 n_safe_ok=0 n_fallback=0 n_warned=0 n_equal=0 n_titles=0
end_name="" end_err="" first_div="" first_div_n=""
prev_diff=""
: >"$work/results.tsv"
while IFS=$'\t' read -r _key name up tx; do
  if [[ $limit -gt 0 && $n -ge $limit ]]; then break; fi
  idx=$(printf '%03d' $((n + 1)))
  f=$work/files/$idx
  mkdir -p "$f"
  ln -s "$up" "$f/orig.sql"
  printf '%s\n' "$name" >"$f/name"

  # before the file: B's starting point (isolated: a copy of A; chained: a snapshot of B)
  if [[ $mode == isolated ]]; then
    timed clone clone_db "$db_a" "$db_b" >/dev/null
  else
    timed clone clone_db "$db_b" "$db_s" >/dev/null
  fi

  # A: the file as written, in one transaction (as diesel runs it)
  a_args=()
  [[ $tx == 1 ]] && a_args=(--single-transaction)
  if ! timed a_apply psql_file "$db_a" "$up" "$f/a.log" "${a_args[@]}"; then
    end_name=$name
    end_err=$(first_error "$f/a.log")
    echo "corpus_replay: $name fails on PostgreSQL as written: $end_err; the replayable range ends before it" >&2
    rm -rf -- "$f"
    break
  fi
  n=$((n + 1))

  # mkmig, with the schema of everything before the file
  margs=()
  [[ -n $pg_version ]] && margs+=(--pg-version "$pg_version")
  case $source in
    dir) if [[ $n -gt 1 ]]; then margs+=(--dir "$work/earlier"); fi ;;
    dump)
      timed dump "$pg_dump_bin" -s --no-owner --no-privileges -d "$db_b" -f "$f/schema.sql"
      margs+=(--schema "$f/schema.sql") ;;
    db) margs+=(--db "host=$PGHOST port=$PGPORT user=$PGUSER dbname=$db_b") ;;
  esac
  mrc=0
  timed mkmig "$mkmig" "${margs[@]}" "$up" >"$f/safe.sql" 2>"$f/mkmig.err" || mrc=$?
  echo "$mrc" >"$f/mkmig.rc"
  if grep -q -E '(^|: )warning: ' "$f/mkmig.err"; then n_warned=$((n_warned + 1)); fi

  # B: mkmig's script in autocommit mode; on rejection or failure, the file as written
  bstate=""
  if [[ $mrc -eq 0 ]]; then
    n_mkmig_ok=$((n_mkmig_ok + 1))
    run=$f/safe.sql
    if [[ $fix_titles -eq 1 ]]; then
      run=$f/safe.run.sql
      k=$(comment_step_titles "$f/safe.sql" "$run")
      if [[ $k -gt 0 ]]; then n_titles=$((n_titles + 1)); else rm -f "$run"; run=$f/safe.sql; fi
    fi
    if timed b_apply psql_file "$db_b" "$run" "$f/b.log"; then
      n_safe_ok=$((n_safe_ok + 1))
      bstate="safe-ok"
    else
      bstate="safe-failed"
    fi
  else
    bstate="mkmig-failed"
  fi
  if [[ $bstate != safe-ok ]]; then
    n_fallback=$((n_fallback + 1))
    if [[ $mode == isolated ]]; then
      timed clone clone_db "$db_a" "$db_b" >/dev/null   # = A after the file
    else
      timed clone clone_db "$db_s" "$db_b" >/dev/null
      timed b_apply psql_file "$db_b" "$up" "$f/b.fallback.log" "${a_args[@]}" ||
        echo "corpus_replay: $name: the file as written also fails on B (B has diverged)" >&2
    fi
  fi
  # the next files see this one among the earlier migrations
  if [[ $layout == diesel ]]; then
    ln -s "$(dirname "$up")" "$work/earlier/$name"
  else
    ln -s "$up" "$work/earlier/$name"
  fi

  # compare the two schemas after the file
  timed describe pg_describe "$db_a" >"$f/a.txt"
  timed describe pg_describe "$db_b" >"$f/b.txt"
  eq=equal
  if ! diff -u --label "A/$name" --label "B/$name" <(stable <"$f/a.txt") <(stable <"$f/b.txt") >"$f/desc.diff"; then
    eq=differs
    if [[ -z $first_div ]]; then first_div=$name; first_div_n=$idx; fi
  else
    n_equal=$((n_equal + 1))
    rm -f "$f/desc.diff"
  fi
  # a new divergence: the set of differing lines changed since the previous file
  cur_diff=$(if [[ -f $f/desc.diff ]]; then grep -E '^[-+][^-+]' "$f/desc.diff" | LC_ALL=C sort; fi)
  changed=no
  if [[ $cur_diff != "$prev_diff" ]]; then changed=yes; fi
  prev_diff=$cur_diff
  printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$idx" "$name" "$mrc" "$bstate" "$eq" "$changed" >>"$work/results.tsv"
  printf '%s %-60s mkmig=%s %-13s %s\n' "$idx" "$name" "$mrc" "$bstate" "$eq" >&2
done <"$work/list.tsv"

# ---------------------------------------------------------------- end states
"$pg_dump_bin" -s --no-owner --no-privileges -d "$db_a" | normalise_dump | stable >"$work/end_a.dump.sql"
"$pg_dump_bin" -s --no-owner --no-privileges -d "$db_b" | normalise_dump | stable >"$work/end_b.dump.sql"
pg_describe "$db_a" | stable >"$work/end_a.txt"
pg_describe "$db_b" | stable >"$work/end_b.txt"
dump_eq=equal desc_eq=equal
diff -u --label A --label B "$work/end_a.dump.sql" "$work/end_b.dump.sql" >"$work/end.dump.diff" || dump_eq=differs
diff -u --label A --label B "$work/end_a.txt" "$work/end_b.txt" >"$work/end.desc.diff" || desc_eq=differs

# ---------------------------------------------------------------- the summary
{
  echo "corpus:            $src_dir ($layout, $total migrations)"
  echo "mkmig:             $mkmig ($("$mkmig" version 2>/dev/null | head -n1 || true))"
  echo "server:            PostgreSQL $MKMIG_PG_SERVER_VERSION_NUM; mode $mode; schema source $source"
  if [[ -n $end_name ]]; then
    echo "replayable range:  $n files; stops before $end_name: $end_err"
  else
    echo "replayable range:  $n files (all$([[ $limit -gt 0 ]] && echo ", --limit $limit"))"
  fi
  echo "mkmig compiled:    $n_mkmig_ok / $n  (with warnings: $n_warned)"
  echo "safe form ran:     $n_safe_ok / $n"
  echo "fell back to the file as written: $n_fallback"
  if [[ $fix_titles -eq 1 ]]; then
    echo "--comment-step-titles: multi-line step titles commented out in $n_titles scripts"
  fi
  echo "equal after file:  $n_equal / $n (describe of A vs B after each file)"
  echo "diverged although the safe form ran: $(awk -F'\t' '$4 == "safe-ok" && $5 == "differs" {printf " %s", $1}' "$work/results.tsv")"
  echo "                   (in isolated mode a file that fell back is equal by construction)"
  echo "first divergence:  ${first_div:-none}${first_div_n:+ (files/$first_div_n/desc.diff)}"
  echo "end state, pg_dump -s: $dump_eq$([[ $dump_eq == differs ]] && echo " (end.dump.diff, $(grep -c '^[-+][^-+]' "$work/end.dump.diff") lines)")"
  echo "end state, describe:   $desc_eq$([[ $desc_eq == differs ]] && echo " (end.desc.diff, $(grep -c '^[-+][^-+]' "$work/end.desc.diff") lines)")"
  echo "timings (ms):      apply A ${tm[a_apply]}, mkmig ${tm[mkmig]}, apply B ${tm[b_apply]}, describe ${tm[describe]}, clone ${tm[clone]}, pg_dump ${tm[dump]}"
  echo
  echo "== mkmig errors (generalised message: count, first files)"
  for d in "$work"/files/*/; do
    [[ $(cat "$d/mkmig.rc" 2>/dev/null || echo 0) != 0 ]] || continue
    ex=$(first_error "$d/mkmig.err")
    msg=$(printf '%s' "$ex" | generalise)
    printf '%s\t%s\n' "${msg:-(no message)}" "$(basename "$d") $(cat "$d/name"): $ex"
  done | group_by_message
  echo
  echo "== mkmig warnings (generalised: count)"
  cat "$work"/files/*/mkmig.err 2>/dev/null | grep -E '(^|: )warning: ' | sed -E 's/^.*warning: +//' | generalise |
    LC_ALL=C sort | uniq -c | sort -rn -s -k1,1 || true
  echo
  echo "== psql errors on the safe form (generalised message: count, first files)"
  awk -F'\t' '$4 == "safe-failed" {print $1}' "$work/results.tsv" | while read -r i; do
    ex=$(first_error "$work/files/$i/b.log")
    msg=$(printf '%s' "$ex" | generalise)
    printf '%s\t%s\n' "${msg:-(no message)}" "$i $(cat "$work/files/$i/name"): $ex"
  done | group_by_message
  echo
  echo "== files where A and B start to differ (or differ differently)"
  awk -F'\t' '$6 == "yes" {printf "  %s %s (mkmig=%s, %s, %s)\n", $1, $2, $3, $4, $5}' "$work/results.tsv"
  if [[ -n $first_div ]]; then
    echo
    echo "== first divergence: $first_div (head of files/$first_div_n/desc.diff)"
    head -n 40 "$work/files/$first_div_n/desc.diff"
  fi
} >"$work/summary.txt"
cat "$work/summary.txt"
echo "corpus_replay: details in $work" >&2
[[ $dump_eq == equal && $desc_eq == equal ]]
