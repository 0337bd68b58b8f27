#!/bin/bash
# Speed of `mkmig check` against squawk's fastest reporter (issue 10), side by side in one run.
#   tests/bench/check_speed.sh BUILD_DIR        (BUILD_DIR: a Release build holding ./mkmig)
# Generates N statements of mixed DDL (CREATE TABLE, CREATE INDEX, ADD COLUMN, ADD FOREIGN KEY,
# SET NOT NULL, RENAME, DROP INDEX; ~90 bytes each: 20,000 statements ≈ 1.8 MB), installs the
# pinned squawk-cli from npm into BUILD_DIR/bench-npm (cached), and prints the best of 3 wall times
# for squawk --reporter gcc and for mkmig check in every --format, at 20,000 and 80,000 statements.
set -eu
build=$(realpath "$1")
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
			if (k == 0) { t++; printf "CREATE TABLE tbl_%d (id bigint PRIMARY KEY, account_id bigint, name text, created_at timestamptz);\n", t }
			else if (k == 1) printf "CREATE INDEX tbl_%d_account_idx_%d ON tbl_%d (account_id);\n", t, i, t - (t > 1)
			else if (k == 2) printf "ALTER TABLE tbl_%d ADD COLUMN note_%d text NOT NULL DEFAULT %s;\n", t, i, "'"'"''"'"'"
			else if (k == 3) printf "ALTER TABLE tbl_%d ADD CONSTRAINT tbl_%d_fk_%d FOREIGN KEY (account_id) REFERENCES tbl_%d (id);\n", t, t, i, t
			else if (k == 4) printf "ALTER TABLE tbl_%d ALTER COLUMN name SET NOT NULL;\n", t
			else if (k == 5) printf "CREATE INDEX CONCURRENTLY tbl_%d_name_idx_%d ON tbl_%d (name, created_at);\n", t, i, t
			else if (k == 6) printf "ALTER TABLE tbl_%d ADD COLUMN counter_%d bigint DEFAULT 0;\n", t, i
			else printf "DROP INDEX tbl_%d_account_idx_%d;\n", t, i - 6
		}
	}'
}

best() { # best of 3 wall-clock seconds of a command (output discarded)
	local b=
	for _ in 1 2 3; do
		local s e
		s=$(date +%s.%N)
		"$@" >/dev/null 2>&1 || true
		e=$(date +%s.%N)
		b=$(awk -v s="$s" -v e="$e" -v b="$b" 'BEGIN { d = e - s; if (b == "" || d < b) b = d; printf "%.3f", b }')
	done
	echo "$b"
}

printf "%-28s %12s %12s %8s\n" "tool" "20k stmts" "80k stmts" "80k/20k"
gen 20000 >"$work/20k.sql"
gen 80000 >"$work/80k.sql"
printf "# input: %s bytes (20k), %s bytes (80k)\n" "$(wc -c <"$work/20k.sql")" "$(wc -c <"$work/80k.sql")"
row() {
	local name=$1; shift
	local a b
	a=$(best "$@" "$work/20k.sql")
	b=$(best "$@" "$work/80k.sql")
	printf "%-28s %11ss %11ss %8s\n" "$name" "$a" "$b" "$(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.2f", b / a }')"
}
row "squawk $SQUAWK_VERSION --reporter gcc" "$squawk" --reporter gcc
for f in human json sarif github gitlab; do
	row "mkmig check --format $f" "$build/mkmig" check --format "$f"
done
