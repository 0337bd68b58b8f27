#!/usr/bin/env bash
# Proves that describe.sql + pg_compare can fail, and that they ignore what they must ignore:
# pairs of databases that differ in one thing each must compare DIFFERENT, and pairs that differ
# only in column order must compare EQUAL.
#
#   describe_selftest.sh CLUSTER_DIR [WORK_DIR]
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$here/lib.sh"

[[ $# -ge 1 && $# -le 2 ]] || { echo "usage: describe_selftest.sh CLUSTER_DIR [WORK_DIR]" >&2; exit 2; }
pg_env "$1"
work=${2:-$(mktemp -d)}
rm -rf -- "$work"
mkdir -p "$work"

db_a=selftest_a
db_b=selftest_b
failures=0
cases=0

# Objects of every kind describe.sql reports, so that each server version runs every part of it.
prelude() {
  cat <<'SQL'
CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
CREATE DOMAIN posint AS integer NOT NULL DEFAULT 1 CHECK (VALUE > 0);
CREATE SCHEMA "Odd Schema";
CREATE TABLE "Odd Schema"."T 1" (id int GENERATED ALWAYS AS IDENTITY PRIMARY KEY, m mood,
                                 p posint, s serial, c text COLLATE "C");
CREATE TABLE parts (id int, at date, v text, PRIMARY KEY (id, at)) PARTITION BY RANGE (at);
CREATE TABLE parts_2024 PARTITION OF parts FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE INDEX ON parts (v);
CREATE TABLE base_t (x int);
CREATE TABLE child_t (y int) INHERITS (base_t);
CREATE FUNCTION add_one(a int) RETURNS int LANGUAGE sql IMMUTABLE AS 'select a + 1';
CREATE FUNCTION trg() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN RETURN NEW; END$$;
CREATE TRIGGER parts_trg AFTER INSERT ON parts FOR EACH ROW EXECUTE PROCEDURE trg();
CREATE VIEW parts_v AS SELECT id, v FROM parts WHERE id > 1;
CREATE MATERIALIZED VIEW parts_mv AS SELECT count(*) AS n FROM parts;
CREATE TABLE empty_t ();
CREATE SEQUENCE plain_seq AS bigint INCREMENT 5;
INSERT INTO parts VALUES (1, '2024-02-02', 'a'), (2, '2024-03-03', NULL);
INSERT INTO "Odd Schema"."T 1" (m, p, c) VALUES ('ok', 3, 'x'), (NULL, 1, NULL);
INSERT INTO child_t VALUES (1, 2);
SQL
  if [[ $MKMIG_PG_MAJOR -ge 12 ]]; then
    echo "CREATE TABLE gen_t (a int, b int GENERATED ALWAYS AS (a * 2) STORED);"
    echo "INSERT INTO gen_t (a) VALUES (1), (2);"
  fi
}

# The table most cases vary, in its usual shape.
std_table() {
  cat <<'SQL'
CREATE TABLE t (id int PRIMARY KEY, a int DEFAULT 1, b text NOT NULL);
INSERT INTO t SELECT g, g % 7, 'row ' || g FROM generate_series(1, 50) g;
SQL
}

# check NAME EXPECT_ALL EXPECT_SCHEMA SQL_A SQL_B
#   EXPECT_* is "equal" or "differ": the outcome of comparing the full descriptions (schema and
#   data) and the schema-only descriptions of database A (prelude + SQL_A) and B (prelude + SQL_B).
check() {
  local name=$1 want_all=$2 want_schema=$3 sql_a=$4 sql_b=$5 got_all got_schema dir
  cases=$((cases + 1))
  dir="$work/$name"
  mkdir -p "$dir"
  { prelude; printf '%s\n' "$sql_a"; } >"$dir/a.sql"
  { prelude; printf '%s\n' "$sql_b"; } >"$dir/b.sql"
  pg_fresh_db "$db_a"
  pg_fresh_db "$db_b"
  pg_run "$db_a" "$dir/a.sql" >"$dir/a.log" 2>&1 || { cat "$dir/a.log" >&2; echo "FAIL $name: a.sql failed" >&2; failures=$((failures + 1)); return 0; }
  pg_run "$db_b" "$dir/b.sql" >"$dir/b.log" 2>&1 || { cat "$dir/b.log" >&2; echo "FAIL $name: b.sql failed" >&2; failures=$((failures + 1)); return 0; }
  pg_describe "$db_a" --data >"$dir/a.txt"
  pg_describe "$db_b" --data >"$dir/b.txt"
  if pg_compare "$dir/a.txt" "$dir/b.txt" >"$dir/all.diff"; then got_all=equal; else got_all=differ; fi
  if pg_compare_schema "$dir/a.txt" "$dir/b.txt" >"$dir/schema.diff"; then got_schema=equal; else got_schema=differ; fi
  if [[ $got_all == "$want_all" && $got_schema == "$want_schema" ]]; then
    echo "ok   $name: full $got_all, schema $got_schema"
    if [[ $got_all == differ ]]; then
      sed 's/^/       /' "$dir/all.diff" | grep -E '^       [-+][^-+]' || true
    fi
  else
    echo "FAIL $name: full $got_all (want $want_all), schema $got_schema (want $want_schema)" >&2
    cat "$dir/all.diff" >&2
    failures=$((failures + 1))
  fi
}

# require NAME SIDE PATTERN: the description of a side must contain a line matching PATTERN
# (proves that the case set up what it meant to, e.g. an invalid index)
require() {
  local name=$1 side=$2 pattern=$3
  if ! grep -q -E -- "$pattern" "$work/$name/$side.txt"; then
    echo "FAIL $name: $side.txt has no line matching /$pattern/" >&2
    failures=$((failures + 1))
  fi
}

std=$(std_table)

# 0. identical databases compare equal (otherwise nothing below means anything)
check identical equal equal "$std" "$std"

# (a) a column's type
check column_type differ differ "$std" "${std/b text NOT NULL/b varchar(40) NOT NULL}"

# a column's default, its NOT NULL
check column_default differ differ "$std" "${std/DEFAULT 1/DEFAULT 2}"
check column_not_null differ differ "$std" "${std/b text NOT NULL/b text}"

# (b) a constraint's validity: validated vs NOT VALID
check constraint_validity differ differ \
  "$std
ALTER TABLE t ADD CONSTRAINT t_a_check CHECK (a >= 0);" \
  "$std
ALTER TABLE t ADD CONSTRAINT t_a_check CHECK (a >= 0) NOT VALID;"
require constraint_validity b 'constraint public\.t t_a_check CHECK .* valid=false'

# a foreign key's validity
check fk_validity differ differ \
  "$std
CREATE TABLE r (id int PRIMARY KEY, t_id int);
ALTER TABLE r ADD CONSTRAINT r_t_id_fkey FOREIGN KEY (t_id) REFERENCES t (id);" \
  "$std
CREATE TABLE r (id int PRIMARY KEY, t_id int);
ALTER TABLE r ADD CONSTRAINT r_t_id_fkey FOREIGN KEY (t_id) REFERENCES t (id) NOT VALID;"

# a constraint's name (names are never ignored)
check constraint_name differ differ \
  "$std
ALTER TABLE t ADD CONSTRAINT t_a_check CHECK (a >= 0);" \
  "$std
ALTER TABLE t ADD CONSTRAINT t_a_check1 CHECK (a >= 0);"

# (c) an index's validity: a failed CREATE UNIQUE INDEX CONCURRENTLY leaves an invalid index;
# the duplicate that made it fail is deleted again, so the data is the same on both sides
check index_validity differ differ \
  "$std
CREATE UNIQUE INDEX t_b_key ON t (b);" \
  "$std
INSERT INTO t VALUES (1000, 1, 'row 1');
\\set ON_ERROR_STOP 0
CREATE UNIQUE INDEX CONCURRENTLY t_b_key ON t (b);
\\set ON_ERROR_STOP 1
DELETE FROM t WHERE id = 1000;"
require index_validity b 'index public\.t t_b_key unique=true valid=false'

# (c) an index's definition, and its name
check index_definition differ differ \
  "$std
CREATE INDEX t_a_idx ON t (a);" \
  "$std
CREATE INDEX t_a_idx ON t (a, b);"
check index_name differ differ \
  "$std
CREATE INDEX t_a_idx ON t (a);" \
  "$std
CREATE INDEX t_a_idx1 ON t (a);"

# (d) one data row: the full description differs, the schema one does not
check data_row differ equal "$std" "$std
UPDATE t SET b = 'changed' WHERE id = 17;"
check data_row_count differ equal "$std" "$std
DELETE FROM t WHERE id = 17;"
# ... also through a partitioned table's parent
check data_partition_row differ equal "$std" "$std
UPDATE parts SET v = 'b' WHERE id = 1;"

# a leftover helper object
check leftover_trigger differ differ "$std" "$std
CREATE FUNCTION t_sync() RETURNS trigger LANGUAGE plpgsql AS \$\$BEGIN RETURN NEW; END\$\$;
CREATE TRIGGER t_sync BEFORE UPDATE ON t FOR EACH ROW EXECUTE PROCEDURE t_sync();"

# (e) column order only: equal, schema and data
check column_order equal equal \
  "$std
CREATE INDEX t_a_idx ON t (a);
ALTER TABLE t ADD CONSTRAINT t_a_check CHECK (a >= 0);
CREATE VIEW t_v AS SELECT id, a, b FROM t;" \
  "CREATE TABLE t (b text NOT NULL, a int DEFAULT 1, id int PRIMARY KEY);
INSERT INTO t (id, a, b) SELECT g, g % 7, 'row ' || g FROM generate_series(1, 50) g;
CREATE INDEX t_a_idx ON t (a);
ALTER TABLE t ADD CONSTRAINT t_a_check CHECK (a >= 0);
CREATE VIEW t_v AS SELECT id, a, b FROM t;"

# column order after a dropped column and a re-added one: equal too
check column_order_dropped equal equal "$std" \
  "CREATE TABLE t (id int PRIMARY KEY, junk int, b text NOT NULL);
INSERT INTO t (id, b) SELECT g, 'row ' || g FROM generate_series(1, 50) g;
ALTER TABLE t DROP COLUMN junk;
ALTER TABLE t ADD COLUMN a int DEFAULT 1;
UPDATE t SET a = id % 7;"

pg_drop_db "$db_a"
pg_drop_db "$db_b"

echo "describe_selftest on PostgreSQL $MKMIG_PG_SERVER_VERSION_NUM: $cases cases, $failures failed (files in $work)"
[[ $failures -eq 0 ]]
