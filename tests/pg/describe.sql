-- A canonical, order-independent description of a database's user schema (and optionally its
-- data), one fact per line, for comparing two databases with diff.
--
--   psql -X -q -A -t -v ON_ERROR_STOP=1 -v describe_mode=schema|data|all -d DB -f describe.sql
--
-- Covers everything outside pg_catalog, information_schema and pg_toast/pg_temp schemas that is
-- not owned by an extension: schemas, extensions, relations (tables, partitioned tables,
-- partitions with their parent and bound, views, matviews, composite types, foreign tables),
-- columns (WITHOUT their position: column order is ignored), constraints (with validity),
-- indexes (with validity), triggers, functions, enums, domains, sequences, view definitions.
-- Names are never ignored. Works on PostgreSQL 11 through 18.
--
-- Data lines ("data schema.table ROWS MD5") cover every table that is not a partition (a
-- partitioned table's rows are read through it); each row is serialised with its columns in name
-- order, and the rows are sorted by that text, so neither column nor row order matters.
\set ON_ERROR_STOP 1
\pset pager off
\pset format unaligned
\pset tuples_only on

\if :{?describe_mode}
\else
\set describe_mode schema
\endif

SELECT current_setting('server_version_num')::int >= 120000 AS pg12,
       current_setting('server_version_num')::int >= 130000 AS pg13,
       :'describe_mode' IN ('schema', 'all') AS want_schema,
       :'describe_mode' IN ('data', 'all') AS want_data,
       :'describe_mode' IN ('schema', 'data', 'all') AS mode_ok
\gset

\if :mode_ok
\else
DO $$ BEGIN RAISE EXCEPTION 'describe.sql: describe_mode must be schema, data or all'; END $$;
\endif

-- Version-dependent catalog columns.
\if :pg12
\set attgenerated_expr 'nullif(a.attgenerated::text, '''')'
\else
\set attgenerated_expr 'NULL::text'
\endif
\if :pg13
\set trigger_not_cloned 't.tgparentid = 0'
\else
\set trigger_not_cloned 'true'
\endif

\if :want_schema
WITH
ns AS (
  SELECT n.oid, n.nspname
  FROM pg_namespace n
  WHERE n.nspname !~ '^pg_' AND n.nspname <> 'information_schema'
    AND NOT EXISTS (SELECT 1 FROM pg_depend d
                    WHERE d.classid = 'pg_namespace'::regclass AND d.objid = n.oid AND d.deptype = 'e')
),
rel AS (
  SELECT c.oid, c.relkind, c.relpersistence, c.relispartition, c.reloptions, c.relpartbound,
         format('%I.%I', ns.nspname, c.relname) AS qname
  FROM pg_class c JOIN ns ON ns.oid = c.relnamespace
  WHERE c.relkind IN ('r', 'p', 'v', 'm', 'c', 'f', 'S')
    AND NOT EXISTS (SELECT 1 FROM pg_depend d
                    WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
),
typ AS (
  SELECT t.oid, t.typtype, t.typbasetype, t.typtypmod, t.typnotnull, t.typdefault,
         format('%I.%I', ns.nspname, t.typname) AS qname
  FROM pg_type t JOIN ns ON ns.oid = t.typnamespace
  WHERE t.typtype IN ('e', 'd')
    AND NOT EXISTS (SELECT 1 FROM pg_depend d
                    WHERE d.classid = 'pg_type'::regclass AND d.objid = t.oid AND d.deptype = 'e')
),
facts(line) AS (
  SELECT 'schema ' || quote_ident(ns.nspname) FROM ns

  UNION ALL
  SELECT 'extension ' || quote_ident(e.extname) FROM pg_extension e

  UNION ALL
  SELECT 'relation ' || r.qname
      || ' kind=' || CASE r.relkind WHEN 'r' THEN 'table' WHEN 'p' THEN 'partitioned'
                                    WHEN 'v' THEN 'view' WHEN 'm' THEN 'matview'
                                    WHEN 'c' THEN 'composite' WHEN 'f' THEN 'foreign'
                                    ELSE r.relkind::text END
      || CASE r.relpersistence WHEN 'u' THEN ' unlogged' WHEN 't' THEN ' temporary' ELSE '' END
      || coalesce(' options=' || (SELECT string_agg(o, ',' ORDER BY o COLLATE "C")
                                  FROM unnest(r.reloptions) o), '')
      || CASE WHEN r.relkind = 'p' THEN ' partition_key=' || pg_get_partkeydef(r.oid) ELSE '' END
      || CASE WHEN r.relispartition THEN
           ' partition_of=' || coalesce((SELECT p.qname FROM pg_inherits i JOIN rel p ON p.oid = i.inhparent
                                         WHERE i.inhrelid = r.oid), '?')
           || ' ' || coalesce(pg_get_expr(r.relpartbound, r.oid), '?')
         ELSE '' END
  FROM rel r WHERE r.relkind <> 'S'

  UNION ALL
  SELECT 'inherits ' || r.qname || ' ' || p.qname
  FROM rel r JOIN pg_inherits i ON i.inhrelid = r.oid JOIN rel p ON p.oid = i.inhparent
  WHERE NOT r.relispartition

  UNION ALL
  SELECT 'column ' || r.qname || '.' || quote_ident(a.attname)
      || ' type=' || format_type(a.atttypid, a.atttypmod)
      || ' notnull=' || a.attnotnull::text
      || ' default=' || coalesce(pg_get_expr(ad.adbin, ad.adrelid), '-')
      || ' identity=' || coalesce(nullif(a.attidentity::text, ''), '-')
      || ' generated=' || coalesce(:attgenerated_expr, '-')
      || ' collation=' || CASE WHEN a.attcollation <> t.typcollation
                               THEN coalesce((SELECT quote_ident(co.collname) FROM pg_collation co
                                              WHERE co.oid = a.attcollation), '0')
                               ELSE '-' END
  FROM rel r
  JOIN pg_attribute a ON a.attrelid = r.oid AND a.attnum > 0 AND NOT a.attisdropped
  JOIN pg_type t ON t.oid = a.atttypid
  LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
  WHERE r.relkind <> 'S'

  UNION ALL
  -- PostgreSQL 18 records NOT NULL as constraints (contype 'n'); the column lines carry them,
  -- except an unvalidated one (NOT NULL NOT VALID), which is listed.
  SELECT 'constraint ' || r.qname || ' ' || quote_ident(co.conname)
      || ' ' || pg_get_constraintdef(co.oid) || ' valid=' || co.convalidated::text
  FROM pg_constraint co JOIN rel r ON r.oid = co.conrelid
  WHERE co.contype <> 'n' OR NOT co.convalidated

  UNION ALL
  SELECT 'constraint domain ' || ty.qname || ' ' || quote_ident(co.conname)
      || ' ' || pg_get_constraintdef(co.oid) || ' valid=' || co.convalidated::text
  FROM pg_constraint co JOIN typ ty ON ty.oid = co.contypid
  WHERE co.contype <> 'n' OR NOT co.convalidated

  UNION ALL
  SELECT 'index ' || r.qname || ' ' || quote_ident(ic.relname)
      || ' unique=' || i.indisunique::text || ' valid=' || i.indisvalid::text
      || ' ready=' || i.indisready::text
      || coalesce(' attached_to=' || (SELECT format('%I.%I', pn.nspname, pc.relname)
                                      FROM pg_inherits ih JOIN pg_class pc ON pc.oid = ih.inhparent
                                      JOIN pg_namespace pn ON pn.oid = pc.relnamespace
                                      WHERE ih.inhrelid = i.indexrelid), '')
      || ' ' || pg_get_indexdef(i.indexrelid)
  FROM pg_index i JOIN rel r ON r.oid = i.indrelid JOIN pg_class ic ON ic.oid = i.indexrelid

  UNION ALL
  SELECT 'trigger ' || r.qname || ' ' || quote_ident(t.tgname) || ' enabled=' || t.tgenabled::text
      || ' ' || pg_get_triggerdef(t.oid)
  FROM pg_trigger t JOIN rel r ON r.oid = t.tgrelid
  WHERE NOT t.tgisinternal AND :trigger_not_cloned

  UNION ALL
  SELECT 'function ' || format('%I.%I', ns.nspname, p.proname)
      || '(' || pg_get_function_identity_arguments(p.oid) || ')'
      || ' kind=' || p.prokind::text
      || ' returns=' || coalesce(pg_get_function_result(p.oid), '-')
      || ' lang=' || quote_ident(l.lanname)
      || ' volatility=' || p.provolatile::text
      || ' strict=' || p.proisstrict::text
      || ' secdef=' || p.prosecdef::text
      || ' src_md5=' || md5(coalesce(p.prosrc, ''))
      || ' def_md5=' || CASE WHEN p.prokind IN ('f', 'p') THEN md5(pg_get_functiondef(p.oid)) ELSE '-' END
  FROM pg_proc p JOIN ns ON ns.oid = p.pronamespace JOIN pg_language l ON l.oid = p.prolang
  WHERE NOT EXISTS (SELECT 1 FROM pg_depend d
                    WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e')

  UNION ALL
  SELECT 'enum ' || ty.qname || ' '
      || coalesce((SELECT string_agg(quote_literal(e.enumlabel), ',' ORDER BY e.enumsortorder)
                   FROM pg_enum e WHERE e.enumtypid = ty.oid), '')
  FROM typ ty WHERE ty.typtype = 'e'

  UNION ALL
  SELECT 'domain ' || ty.qname || ' base=' || format_type(ty.typbasetype, ty.typtypmod)
      || ' notnull=' || ty.typnotnull::text || ' default=' || coalesce(ty.typdefault, '-')
  FROM typ ty WHERE ty.typtype = 'd'

  UNION ALL
  SELECT 'sequence ' || r.qname || ' type=' || format_type(s.seqtypid, NULL)
      || ' start=' || s.seqstart || ' increment=' || s.seqincrement
      || ' min=' || s.seqmin || ' max=' || s.seqmax || ' cache=' || s.seqcache
      || ' cycle=' || s.seqcycle::text
      || coalesce(' owned_by=' || (SELECT string_agg(CASE d.deptype WHEN 'i' THEN 'identity:' ELSE '' END
                                                     || t.qname || '.' || quote_ident(a.attname), ','
                                                     ORDER BY t.qname COLLATE "C")
                                   FROM pg_depend d
                                   JOIN rel t ON t.oid = d.refobjid
                                   JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
                                   WHERE d.classid = 'pg_class'::regclass AND d.objid = r.oid
                                     AND d.refclassid = 'pg_class'::regclass AND d.refobjsubid > 0
                                     AND d.deptype IN ('a', 'i')), '')
  FROM rel r JOIN pg_sequence s ON s.seqrelid = r.oid

  UNION ALL
  SELECT 'view ' || r.qname || ' ' || btrim(regexp_replace(pg_get_viewdef(r.oid), '\s+', ' ', 'g'))
  FROM rel r WHERE r.relkind IN ('v', 'm')
)
SELECT line FROM facts WHERE line IS NOT NULL ORDER BY line COLLATE "C";
\endif

\if :want_data
-- One query per table, run by \gexec in table-name order.
SELECT format(
         'SELECT %L || '' '' || count(*) || '' '' || md5(coalesce(string_agg(x.r, E''\n'' ORDER BY x.r COLLATE "C"), '''')) FROM (SELECT ROW(%s)::text AS r FROM %s %s t) x',
         'data ' || format('%I.%I', n.nspname, c.relname),
         coalesce((SELECT string_agg(format('t.%I', a.attname), ', ' ORDER BY a.attname::text COLLATE "C")
                   FROM pg_attribute a
                   WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped), ''),
         CASE c.relkind WHEN 'r' THEN 'ONLY' ELSE '' END,
         format('%I.%I', n.nspname, c.relname))
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition
  AND n.nspname !~ '^pg_' AND n.nspname <> 'information_schema'
  AND NOT EXISTS (SELECT 1 FROM pg_depend d
                  WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
ORDER BY format('%I.%I', n.nspname, c.relname) COLLATE "C"
\gexec
\endif
