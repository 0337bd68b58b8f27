#!/usr/bin/env bash
# mkmig's cast table (src/rules/casts.c) against a real PostgreSQL: for every ordered pair of the
# built-in types below (arrays included), an empty table's column is changed with ALTER COLUMN
# TYPE without USING (works only with an assignment cast; otherwise datatype_mismatch) and with
# USING c::T (an explicit cast; otherwise cannot_coerce), and the verdicts must equal what
# cast_table prints from the table. Every type listed must be known to the table (no "?"), so a
# type added to the table without being proven here, or a server whose casts changed, fails.
#
#   cast_proof.sh CAST_TABLE --cluster DIR --work DIR
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$here/lib.sh"

usage() { echo "usage: cast_proof.sh CAST_TABLE --cluster DIR --work DIR" >&2; exit 2; }
[[ $# -eq 5 && $2 == --cluster && $4 == --work ]] || usage
table=$1 cluster=$3 work=$5
[[ -x $table ]] || { echo "cast_proof: cast_table is not built: $table" >&2; exit 1; }
pg_env "$cluster"
rm -rf -- "$work"
mkdir -p "$work"
db=$(pg_db_name casts)
pg_fresh_db "$db"

# The built-in types the table knows (keep in step with casts.c).
types="int2 int4 int8 numeric float4 float8 money oid bool bit varbit \"char\" text varchar bpchar name
       date time timetz timestamp timestamptz interval json jsonb inet cidr macaddr macaddr8 uuid xml
       bytea tsvector int4[] int8[] text[] varchar[] numeric[] jsonb[] uuid[]"
values=""
for t in $types; do values+="${values:+,}('$t')"; done

pg_psql -d "$db" -At -F $'\t' >"$work/server.txt" <<SQL
CREATE TEMP TABLE mkmig_types (t regtype);
INSERT INTO mkmig_types VALUES $values;
CREATE TEMP TABLE mkmig_verdict (a regtype, b regtype, assign bool, expl bool);
DO \$\$
DECLARE x regtype; y regtype; ok_a bool; ok_e bool;
BEGIN
  FOR x IN SELECT t FROM mkmig_types LOOP
    FOR y IN SELECT t FROM mkmig_types LOOP
      CONTINUE WHEN x = y;
      -- Each probe in a subtransaction that always rolls back (the raise at its end).
      BEGIN
        EXECUTE format('CREATE TEMP TABLE mkmig_probe (c %s)', x);
        EXECUTE format('ALTER TABLE mkmig_probe ALTER COLUMN c TYPE %s', y);
        ok_a := true;
        RAISE EXCEPTION USING ERRCODE = 'P0001';
      EXCEPTION WHEN datatype_mismatch THEN ok_a := false;
                WHEN raise_exception THEN NULL;
      END;
      BEGIN
        EXECUTE format('CREATE TEMP TABLE mkmig_probe (c %s)', x);
        EXECUTE format('ALTER TABLE mkmig_probe ALTER COLUMN c TYPE %s USING c::%s', y, y);
        ok_e := true;
        RAISE EXCEPTION USING ERRCODE = 'P0001';
      EXCEPTION WHEN cannot_coerce THEN ok_e := false;
                WHEN raise_exception THEN NULL;
      END;
      INSERT INTO mkmig_verdict VALUES (x, y, ok_a, ok_e);
    END LOOP;
  END LOOP;
END \$\$;
SELECT format_type(a, NULL), format_type(b, NULL), CASE WHEN assign THEN 't' ELSE 'f' END,
       CASE WHEN expl THEN 't' ELSE 'f' END
FROM mkmig_verdict ORDER BY 1, 2;
SQL
pg_drop_db "$db"
major=${MKMIG_PG_MAJOR:?}
cut -f1,2 "$work/server.txt" | "$table" "$major" >"$work/mkmig.txt"
pairs=$(wc -l <"$work/server.txt")
if [[ $pairs -lt 1000 ]]; then
  echo "cast_proof: FAIL: only $pairs pairs probed" >&2
  exit 1
fi
if grep -q '?' "$work/mkmig.txt"; then
  echo "cast_proof: FAIL: types the table does not know:" >&2
  grep '?' "$work/mkmig.txt" | cut -f1 | sort -u >&2
  exit 1
fi
if ! diff -u --label "PostgreSQL $major" --label "mkmig's table" "$work/server.txt" "$work/mkmig.txt" >"$work/diff.txt"; then
  echo "cast_proof: FAIL: the table differs from PostgreSQL $major (FROM TO assignment explicit):" >&2
  cat "$work/diff.txt" >&2
  exit 1
fi
echo "cast_proof: $pairs type pairs agree with PostgreSQL $major ($(grep -c $'\tt\t' "$work/server.txt") with an assignment cast)"
