#!/usr/bin/env bash
# batch_stall.sh — how long a batched UPDATE stalls concurrent writers of the rows it changes.
#
#   tests/bench/batch_stall.sh MKMIG --cluster DIR [--rows N] [--clients C] [--work WDIR]
#
# A table of N rows (default 1000000); mkmig compiles UPDATE t SET n = n + 1 twice, with
# --batch-time 50 and with --batch-size 5000. Each script runs while pgbench (C clients, default
# 4) updates random rows of t by key; a writer whose row is in the running batch waits for the
# batch's row lock until it commits. Only the pgbench transactions that ended while the script
# ran are counted: their latency p50 / p99 / max, and the run's time. The cluster is a running
# tests/pg/cluster.sh cluster (its env file); pgbench is the one beside its psql.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../pg/lib.sh
. "$here/../pg/lib.sh"

usage() {
  echo "usage: batch_stall.sh MKMIG --cluster DIR [--rows N] [--clients C] [--work WDIR]" >&2
  exit 2
}
[[ $# -ge 1 ]] || usage
mkmig=$1
shift
cluster="" rows=1000000 clients=4 work=""
while [[ $# -gt 0 ]]; do
  case $1 in
    --cluster) [[ $# -ge 2 ]] || usage; cluster=$2; shift 2 ;;
    --rows) [[ $# -ge 2 ]] || usage; rows=$2; shift 2 ;;
    --clients) [[ $# -ge 2 ]] || usage; clients=$2; shift 2 ;;
    --work) [[ $# -ge 2 ]] || usage; work=$2; shift 2 ;;
    *) usage ;;
  esac
done
[[ -n $cluster ]] || usage
pg_env "$cluster"
pgbench=${MKMIG_PG_CLUSTER_BINDIR:+$MKMIG_PG_CLUSTER_BINDIR/}pgbench
if [[ -z $work ]]; then work=$(mktemp -d); fi
mkdir -p "$work"
db=mkmig_bench_stall

cat >"$work/schema.sql" <<'EOF'
CREATE TABLE t (id bigint PRIMARY KEY, n int NOT NULL, pad text);
EOF
echo "UPDATE t SET n = n + 1;" >"$work/input.sql"
printf '\\set id random(1, %s)\nUPDATE t SET pad = :id WHERE id = :id;\n' "$rows" >"$work/writer.sql"

# run_one LABEL MKMIG-ARGS...: prints "LABEL run_s p50_ms p99_ms max_ms writes"
run_one() {
  local label=$1
  shift
  "$mkmig" --schema "$work/schema.sql" "$@" "$work/input.sql" >"$work/$label.sql" 2>/dev/null
  pg_drop_db "$db" >/dev/null 2>&1 || true
  psql -X -q -d postgres -c "CREATE DATABASE $db"
  pg_psql -d "$db" -f "$work/schema.sql"
  pg_psql -d "$db" -c "INSERT INTO t SELECT g, 0, NULL FROM generate_series(1, $rows) g" -c "VACUUM ANALYZE t"
  rm -f "$work/$label".log*
  : >"$work/$label.running"
  # Short pgbench runs back to back, so every log is complete when the script ends.
  (
    i=0
    while [[ -f $work/$label.running ]]; do
      i=$((i + 1))
      "$pgbench" -n -c "$clients" -j 2 -T 2 -f "$work/writer.sql" -l --log-prefix="$work/$label.log.$i" "$db" >/dev/null 2>&1 || true
    done
  ) &
  local loop=$!
  sleep 3
  local t0 t1
  t0=$(date +%s.%N)
  pg_psql -d "$db" -f "$work/$label.sql" >"$work/$label.out" 2>&1
  t1=$(date +%s.%N)
  rm -f "$work/$label.running"
  wait "$loop"
  # pgbench log: client tx latency_us script epoch_s epoch_us (the transaction's end time)
  cat "$work/$label".log.* | awk -v t0="$t0" -v t1="$t1" '{ t = $5 + $6 / 1e6; if (t >= t0 && t <= t1) print $3 / 1000 }' |
    sort -n | awk -v label="$label" -v run="$(echo "$t1 - $t0" | bc)" '
      { v[NR] = $1 }
      END { if (NR == 0) { print label, run, "no writes"; exit }
            p99 = int(NR * 0.99) + 1; if (p99 > NR) p99 = NR
            printf "%s run %.1fs  writes %d  p50 %.1fms  p99 %.1fms  max %.1fms\n", label, run, NR,
                   v[int(NR * 0.5) + 1], v[p99], v[NR] }'
}

echo "batch_stall: $rows rows, $clients pgbench writers, PostgreSQL $MKMIG_PG_SERVER_VERSION_NUM; files in $work"
run_one batch_time_50 --batch-time 50
run_one batch_size_5000 --batch-size 5000
pg_drop_db "$db" >/dev/null 2>&1 || true
