#!/usr/bin/env bash
# Cost growth (issue 17, goal 4): the dashboards, the structures page and the reporting
# entries measured on PostgreSQL with 1, 3 and 10 years of national reporting (9, 27 and
# 90 million entries in `report_entry`, partitioned by month), then plotted.
#
#   bench/growth.sh
#
# For each number of years, `bench/run.sh postgres` on a fresh throwaway cluster with
# BENCH_YEARS set (the real sites, `seed synthetic --years N`, the server, the measures of
# its dashboards, page and entries sections; 20 dashboard requests each after a change).
# Each run's table goes to target/bench/growth-<years>.md, the figures to
# target/bench/growth.tsv, and the plot to bench/growth.png (gnuplot; linked from
# bench/RESULTS.md).
#
# Settings: BENCH_GROWTH ("1 3 10"), and those of bench/run.sh. Seeding ten years takes
# about an hour on the 2-core machine, and the cluster about 25 GB of disk.
# Needs what bench/run.sh needs, and gnuplot (apt-get install gnuplot-nox).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
DIR=${BENCH_DIR:-$ROOT/target/bench}
TSV=$DIR/growth.tsv
command -v gnuplot >/dev/null || { echo "bench: gnuplot is missing (apt-get install gnuplot-nox)" >&2; exit 1; }
[ -n "${BENCH_BIN:-}" ] || cargo build --release -q
export BENCH_BIN=${BENCH_BIN:-$ROOT/target/release/maillage}

# The value in column $3 (3 = req/s, 4 = p50, 5 = p95) of the row named $2 in table $1.
figure() { awk -F' *\\| *' -v name="$2" -v col="$(($3 + 1))" '$2 == name { print $col; exit }' "$1"; }

for years in ${BENCH_GROWTH:-1 3 10}; do
  echo "growth: $years year(s)" >&2
  BENCH_YEARS=$years BENCH_COLD_SAMPLES=20 BENCH_ONLY=dashboards,page,entries \
    bench/run.sh postgres
  cp "$DIR/postgres.md" "$DIR/growth-$years.md"
done

{
  printf 'years\tnational_p50\tnational_p95\tnational_cold_median\tnational_cold_worst\tdepartment_p95\tdepartment_cold_median\thistory_cold_median\thistory_cold_worst\tnational_8_p95\tpage_8_rps\tentries_p50\tentries_count_median\n'
  for years in ${BENCH_GROWTH:-1 3 10}; do
    md=$DIR/growth-$years.md
    national="national dashboard (ANCT)"
    department="department dashboard (PREFECT 59)"
    history="national dashboard, all $years year(s), each after a change (median, worst)"
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$years" \
      "$(figure "$md" "$national" 4)" \
      "$(figure "$md" "$national" 5)" \
      "$(figure "$md" "$national, each after a change (median, worst)" 4)" \
      "$(figure "$md" "$national, each after a change (median, worst)" 5)" \
      "$(figure "$md" "$department" 5)" \
      "$(figure "$md" "$department, each after a change (median, worst)" 4)" \
      "$(figure "$md" "$history" 4)" \
      "$(figure "$md" "$history" 5)" \
      "$(figure "$md" "national dashboard, 8 ANCT users at once" 5)" \
      "$(awk -F' *\\| *' '$2 == "structures page (PREFECT 59)" && $3 == 8 { print $4; exit }' "$md")" \
      "$(figure "$md" "report entries, first page (prefet)" 4)" \
      "$(figure "$md" "report entries with totalCount (prefet; median, worst)" 4)"
  done
} >"$TSV"
cat "$TSV" >&2

gnuplot <<GNUPLOT
set terminal pngcairo size 1400,1000 font "sans,11" noenhanced
set output "$ROOT/bench/growth.png"
set datafile separator "\t"
set key below maxcols 2
set multiplot layout 2,1 title "maillage on PostgreSQL 15: cost against years of national reporting (9 M entries a year; report_entry partitioned by month)"
set xlabel "years of reporting (1 = 9 M entries)"
set logscale x
set xrange [0.9:11]
set xtics (1, 3, 10)
set logscale y
set ylabel "ms (one client unless said)"
set grid
plot "$TSV" using 1:3 with linespoints lw 3 title "national dashboard, 12 months (p95; slow figures kept)", \
     "" using 1:2 with linespoints lw 2 title "national dashboard, 12 months (p50)", \
     "" using 1:4 with linespoints lw 2 dt 2 title "national dashboard right after a change (median of 20)", \
     "" using 1:8 with linespoints lw 2 dt 2 title "national dashboard, all years, right after a change (median)", \
     "" using 1:6 with linespoints lw 2 title "department dashboard (p95)", \
     "" using 1:10 with linespoints lw 2 title "national dashboard, 8 users at once (p95)", \
     "" using 1:12 with linespoints lw 2 title "reporting entries, first page, department 59 (p50)", \
     "" using 1:13 with linespoints lw 2 title "the same with totalCount (median)", \
     100 with lines lc rgb "red" dt 3 title "goal: national p95 ≤ 100 ms"
unset logscale y
set ylabel "requests/s"
set yrange [0:*]
plot "$TSV" using 1:11 with linespoints lw 2 title "structures page, 8 clients"
unset multiplot
GNUPLOT
echo "growth: $TSV and bench/growth.png" >&2
