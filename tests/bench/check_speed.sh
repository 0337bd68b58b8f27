#!/bin/bash
# Speed of `mkmig check` against squawk's fastest reporter (issue 10), side by side in one run.
#   tests/bench/check_speed.sh BUILD_DIR        (BUILD_DIR: configured and built here, Release)
# Generates N statements of mixed DDL (CREATE TABLE, CREATE INDEX, ADD COLUMN, ADD FOREIGN KEY,
# SET NOT NULL, RENAME, DROP INDEX; ~90 bytes each: 20,000 statements ≈ 1.8 MB), installs the
# pinned squawk-cli from npm into BUILD_DIR/bench-npm (cached), and prints the best of 5 wall (and CPU) times
# for squawk --reporter gcc and for mkmig check in every --format, at 20,000 and 80,000 statements,
# with the best CPU time (user + sys) beside it.
# RUNS (default 5) and SIZES (default "20000 80000") override the repetitions and the sizes.
set -eu
RUNS=${RUNS:-5}
read -r -a SIZES <<<"${SIZES:-20000 80000}"
build=$(realpath -m "$1")
root=$(cd "$(dirname "$0")/../.." && pwd)
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" -j2 --target mkmig bench_measure >/dev/null
SQUAWK_VERSION=2.66.0
npmdir=$build/bench-npm
if [ ! -x "$npmdir/node_modules/.bin/squawk" ]; then
	mkdir -p "$npmdir"
	npm install --no-save --no-audit --no-fund --prefix "$npmdir" "squawk-cli@$SQUAWK_VERSION" >/dev/null
fi
squawk=$npmdir/node_modules/.bin/squawk
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT

gen() { # N statements, deterministic
	awk -v n="$1" 'BEGIN {
		t = 0
		for (i = 0; i < n; i++) {
			k = i % 8
			if (k == 0) { t++; printf "CREATE TABLE customer_table_%d (id bigint PRIMARY KEY, account_id bigint, name text, created_at timestamptz);\n", t }
			else if (k == 1) printf "CREATE INDEX customer_table_%d_account_idx_%d ON customer_table_%d (account_id);\n", t, i, t - (t > 1)
			else if (k == 2) printf "ALTER TABLE customer_table_%d ADD COLUMN note_%d text NOT NULL DEFAULT %s;\n", t, i, "'"'"''"'"'"
			else if (k == 3) printf "ALTER TABLE customer_table_%d ADD CONSTRAINT customer_table_%d_fk_%d FOREIGN KEY (account_id) REFERENCES customer_table_%d (id);\n", t, t, i, t
			else if (k == 4) printf "ALTER TABLE customer_table_%d ALTER COLUMN name SET NOT NULL;\n", t
			else if (k == 5) printf "CREATE INDEX CONCURRENTLY customer_table_%d_name_idx_%d ON customer_table_%d (name, created_at);\n", t, i, t
			else if (k == 6) printf "ALTER TABLE customer_table_%d ADD COLUMN counter_%d bigint DEFAULT 0;\n", t, i
			else printf "DROP INDEX customer_table_%d_account_idx_%d;\n", t, i - 6
		}
	}'
}

# Timed by bench_measure (tests/bench/compile/measure.c: wall and user+sys to the millisecond; GNU
# time's 10 ms steps are 4 % of a 0.25 s run). The sizes take turns run after run, so a change in
# the machine's load between them moves both, and each keeps its best.
measure=$build/tests/bench_measure
row() {
	local name=$1; shift
	local -A w c
	for _ in $(seq "$RUNS"); do
		for n in "${SIZES[@]}"; do
			local tw tc
			read -r tw tc _ < <("$measure" /dev/null "$@" "$work/$n.sql" 2>/dev/null || true)
			if [ -z "${w[$n]:-}" ] || awk -v a="$tw" -v b="${w[$n]}" 'BEGIN { exit !(a < b) }'; then w[$n]=$tw; fi
			if [ -z "${c[$n]:-}" ] || awk -v a="$tc" -v b="${c[$n]}" 'BEGIN { exit !(a < b) }'; then c[$n]=$tc; fi
		done
	done
	local line first= firstc=
	line=$(printf "%-34s" "$name")
	for n in "${SIZES[@]}"; do
		line+=$(printf " %8ss %7ss" "${w[$n]}" "${c[$n]}")
		[ -n "$first" ] && line+=$(awk -v a="$first" -v b="${w[$n]}" -v x="$firstc" -v y="${c[$n]}" 'BEGIN { printf " %6.2f %6.2f", b / a, y / x }')
		first=${w[$n]} firstc=${c[$n]}
	done
	echo "$line"
}

header="$(printf "%-34s" tool)"
for n in "${SIZES[@]}"; do
	gen "$n" >"$work/$n.sql"
	header+="$(printf " %17s" "$n: wall  cpu")"
	echo "# input: $n statements, $(wc -c <"$work/$n.sql") bytes"
done
[ ${#SIZES[@]} -eq 2 ] && header+="$(printf " %13s" "ratio: wall cpu")"
echo "$header"
row "squawk $SQUAWK_VERSION --reporter gcc" "$squawk" --reporter gcc
for f in human json sarif github gitlab; do
	row "mkmig check --format $f" "$build/mkmig" check --format "$f"
done

# INSTR=1: also count the instructions mkmig executes (valgrind's callgrind, a few minutes): unlike
# the times above they do not move with the machine's load, so they show whether the work itself
# grows linearly; what the timed ratio adds beyond them is memory (cache and TLB misses, faults).
if [ "${INSTR:-0}" = 1 ]; then
	command -v valgrind >/dev/null || { echo "check_speed.sh: INSTR=1 needs valgrind (Debian package valgrind)" >&2; exit 2; }
	echo
	echo "instructions executed (valgrind --tool=callgrind), in millions"
	for f in human json sarif github gitlab; do
		line=$(printf "%-34s" "mkmig check --format $f") first=
		for n in "${SIZES[@]}"; do
			valgrind --tool=callgrind --callgrind-out-file="$work/cg.out" "$build/mkmig" check --format "$f" \
				"$work/$n.sql" >/dev/null 2>&1 || true
			i=$(awk '/^summary:/ { print $2 }' "$work/cg.out")
			line+=$(printf " %12.0fM" "$(awk -v i="$i" 'BEGIN { print i / 1e6 }')")
			[ -n "$first" ] && line+=$(awk -v a="$first" -v b="$i" 'BEGIN { printf " %6.2f", b / a }')
			first=$i
		done
		echo "$line"
	done
fi
