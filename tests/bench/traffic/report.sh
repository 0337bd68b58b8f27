#!/bin/bash
# report.sh WORK ROWS RATE "SCENARIOS" — the markdown table (stdout) and WORK/plot.png of the
# runs under WORK/runs/<scenario>.<variant>/ that run.sh left (tx.log: pgbench's per-transaction
# log; window: migration start, end, exit status).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
work=$1 rows=$2 rate=$3 scenarios=$4

# stats DIR -> "max_ms p99_ms over100 errors duration_s ntx rc"; also DIR/plot.dat (seconds from
# the migration's start, latency ms).
stats() {
  local d=$1 t0 t1 rc aborted
  read -r t0 t1 rc < "$d/window"
  aborted=$(grep -c 'aborted' "$d/pgbench.err" || true)
  awk -v t0="$t0" -v out="$d/plot.dat" '
    # client txno time script epoch us lag: 7 fields under --rate; anything else is a cut line.
    NF == 7 && length($5) == 10 && $7 ~ /^[0-9]+$/ {
      if ($3 !~ /^[0-9]+$/) { err++; next }
      lat = $3 / 1000.0  # with --rate pgbench counts from the scheduled start: lag included
      printf "%.3f %.3f\n", $5 + $6 / 1e6 - t0, lat > out
      print lat
    }
    END { print "ERR " err + 0 }' "$d/tx.log" | sort -g > "$d/lat.sorted"
  awk -v t0="$t0" -v t1="$t1" -v rc="$rc" -v ab="$aborted" '
    /^ERR / { err = $2; next }
    { v[n++] = $1; if ($1 > 100) over++ }
    END {
      if (n == 0) { printf "0 0 0 %d %.1f 0 %s\n", err + ab, t1 - t0, rc; exit }
      i = int(0.99 * n); if (i >= n) i = n - 1
      printf "%.0f %.0f %d %d %.1f %d %s\n", v[n - 1], v[i], over + 0, err + ab, t1 - t0, n, rc
    }' "$d/lat.sorted"
}

r() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.1f", a / b; else printf "-" }'; }

read -r bmax bp99 bover berr bdur bn _ < <(stats "$work/runs/baseline.baseline")
rev=$(cat "$work/mkmig.rev" 2>/dev/null || git -C "$here" rev-parse --short HEAD 2>/dev/null || echo '?')
# loads DIR -> "a-b": the machine's load average at the run's migration start and end.
loads() { awk '{ printf "%s-%s", $1, $2 }' "$1/loadavg" 2>/dev/null || echo '?'; }
echo "Traffic benchmark: users $rows rows, orders $((2 * rows)) rows; pgbench 4 clients, $rate tps in total"
echo "(point reads and updates by key on both tables); PostgreSQL $(psql -XAtc 'SHOW server_version' 2>/dev/null || echo '?');"
echo "mkmig $rev; $(nproc) CPUs shared with other work; $(date -u +%F)."
echo
echo "No-migration baseline (${bdur} s, as long as the longest migration; load average $(loads "$work/runs/baseline.baseline")):"
echo "max ${bmax} ms, p99 ${bp99} ms, ${bover} transactions over 100 ms of ${bn}, ${berr} errors."
echo
echo "| scenario | max ms naive / mkmig | p99 ms naive / mkmig | tx > 100 ms naive / mkmig | errors naive / mkmig | migration s naive / mkmig | max naive/mkmig | max mkmig/baseline | load avg naive / mkmig |"
echo "|---|---|---|---|---|---|---|---|---|"
for s in $scenarios; do
  read -r nmax np99 nover nerr ndur _ nrc < <(stats "$work/runs/$s.naive")
  read -r mmax mp99 mover merr mdur _ mrc < <(stats "$work/runs/$s.mkmig")
  nfail="" mfail=""
  [ "$nrc" = 0 ] || nfail=" (failed)"
  [ "$mrc" = 0 ] || mfail=" (failed)"
  echo "| $s | $nmax / **$mmax** | $np99 / $mp99 | $nover / $mover | $nerr / $merr | $ndur$nfail / $mdur$mfail | $(r "$nmax" "$mmax") | **$(r "$mmax" "$bmax")** | $(loads "$work/runs/$s.naive") / $(loads "$work/runs/$s.mkmig") |"
done

if command -v gnuplot >/dev/null; then
  n=$(echo $scenarios | wc -w)
  cols=$(( n < 3 ? n : 3 )) rws=$(( (n + 2) / 3 ))
  {
    echo "set terminal pngcairo size $((cols * 520)),$((rws * 300)) font ',9'"
    echo "set output '$work/plot.png'"
    echo "set multiplot layout $rws,$cols title 'latency of each transaction (ms, log scale) against seconds from the migration start; lines: migration end'"
    echo "set logscale y; set yrange [0.3:*]; set key top right; set grid ytics"
    for s in $scenarios; do
      read -r _ nt1 _ < "$work/runs/$s.naive/window"; read -r nt0 _ < "$work/runs/$s.naive/window"
      read -r _ mt1 _ < "$work/runs/$s.mkmig/window"; read -r mt0 _ < "$work/runs/$s.mkmig/window"
      nd=$(awk -v a="$nt0" -v b="$nt1" 'BEGIN { print b - a }'); md=$(awk -v a="$mt0" -v b="$mt1" 'BEGIN { print b - a }')
      echo "unset arrow; set title '$s' noenhanced"
      echo "set xrange [-5:$(awk -v a="$nd" -v b="$md" 'BEGIN { print (a > b ? a : b) + 5 }')]"
      echo "set arrow from 0, graph 0 to 0, graph 1 nohead lc rgb 'black' dt 2"
      echo "set arrow from $nd, graph 0 to $nd, graph 1 nohead lc rgb '#d62728' dt 2"
      echo "set arrow from $md, graph 0 to $md, graph 1 nohead lc rgb '#1f77b4' dt 2"
      echo "plot '$work/runs/$s.naive/plot.dat' using 1:2 with points pt 7 ps 0.25 lc rgb '#d62728' title 'naive', \\"
      echo "     '$work/runs/$s.mkmig/plot.dat' using 1:2 with points pt 7 ps 0.25 lc rgb '#1f77b4' title 'mkmig', \\"
      echo "     '$work/runs/baseline.baseline/plot.dat' using 1:2 with points pt 7 ps 0.15 lc rgb '#999999' title 'baseline'"
    done
    echo "unset multiplot"
  } > "$work/plot.gp"
  gnuplot "$work/plot.gp" && echo && echo "Plot: $work/plot.png"
else
  echo; echo "(gnuplot not installed: no plot; apt-get install gnuplot-nox)"
fi
