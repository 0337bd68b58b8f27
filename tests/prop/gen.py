#!/usr/bin/env python3
"""A random schema and a random sequence of supported naive changes, from one seed.

    gen.py SEED OUT_DIR [--all-phases] [--avoid-known] [--more] [--changes N]

Writes OUT_DIR as a rewrite fixture (fixtures/rewrite/<case>/ shape, see tests/pg/rewrite_proof.sh):
schema.sql (types, tables with int/bigint/uuid/composite keys, quoted names, a range-partitioned
table, enums, indexes, rows), input.sql (the naive DDL), args (--all-phases when asked),
down-data-differs / down-ignore when a change cannot be undone exactly, and seed (how to
regenerate it). The same seed always gives the same bytes (random.Random(seed), no clock).

--more adds unique constraints, integer -> text, SET DEFAULT / DROP NOT NULL and two-subcommand
ALTER TABLEs to the mix (a separate switch, so that the seeds without it keep their cases).
--avoid-known leaves out the combinations of changes with a known, recorded failure (each named
where it is left out, with its case in tests/prop/cases/), so that a long run finds new ones.

Every change is valid for the schema as the earlier changes left it (a model of tables, columns,
data facts and names is kept), so the naive DDL always runs: a failure is mkmig's.
"""
import random
import sys

PLAIN_TABLES = ["orders", "customers", "items", "accounts", "events", "invoices", "users"]
QUOTED_TABLES = ["Order Lines", "MixedCase", "user", "select", "Ünïcode"]
PLAIN_COLS = ["amount", "note", "status", "qty", "created_at", "label", "code", "score", "flag",
              "ref", "payload", "email", "price", "kind"]
QUOTED_COLS = ["User Name", "Total", "order", "from", "CamelCase", "naïve"]

# type -> (SQL expression of g for a row, integer-like, widen target)
TYPES = {
    "integer": ("(g * 7) % 1000", True, "bigint"),
    "bigint": ("g * 100003", True, None),
    "text": ("'v' || g", False, None),
    "varchar(20)": ("left('s' || g, 20)", False, "varchar(40)"),
    "numeric(10,2)": ("g * 1.25", False, "numeric(12,2)"),
    "boolean": ("g % 2 = 0", False, None),
    "timestamptz": ("timestamptz '2024-01-01 00:00+00' + g * interval '1 hour'", False, None),
    "uuid": ("md5('u' || g || '{salt}')::uuid", False, None),
    "jsonb": ("jsonb_build_object('k', g)", False, None),
}
CONST_DEFAULT = {
    "integer": "0", "bigint": "42", "text": "'none'", "varchar(20)": "'x'", "numeric(10,2)": "1.50",
    "boolean": "false", "timestamptz": "'2020-01-01 00:00+00'", "jsonb": "'{}'",
}


def ident(name):
    if name.isascii() and name.replace("_", "a").isalnum() and name.islower() and not name[0].isdigit() \
            and name not in ("user", "select", "order", "from"):
        return name
    return '"' + name.replace('"', '""') + '"'


def ere(text):
    """text as a POSIX extended regex matching itself (grep -E)."""
    return "".join("\\" + ch if ch in ".[]()*+?{}|^$\\" else ch for ch in text)


class Col:
    def __init__(self, name, typ, nulls, unique=False):
        self.name, self.typ, self.nulls, self.unique = name, typ, nulls, unique
        self.notnull = False
        self.indexed = False   # in an index, constraint or key: not dropped, not retyped
        self.added = False     # added by this input
        self.touched = False   # changed by an earlier change of this input


class Table:
    def __init__(self, name):
        self.name = name
        self.cols = []
        self.pk = []
        self.partitioned = False
        self.referenced = False  # a foreign key points at it
        self.refs = False        # it has a foreign key
        self.touched = False     # an earlier change of this input changed it

    def col(self, name):
        return next(c for c in self.cols if c.name == name)


class Gen:
    def __init__(self, seed, avoid_known=False, more=False):
        self.avoid_known = avoid_known
        self.more = more         # the kinds of change added later (--more): other seeds, same draws
        self.r = random.Random(seed)
        self.seed = seed
        self.tables = []
        self.enums = {}          # name -> labels
        self.indexes = {}        # name -> table (droppable, from the schema)
        self.names = set()       # every relation/constraint/index name in use
        self.schema = []
        self.changes = []
        self.lossy = False       # a change whose down cannot restore the data
        self.enum_added = False
        self.down_ignore = []    # regexes of description lines a down cannot restore
        self.n = 0

    def fresh(self, pool, taken):
        for _ in range(20):
            n = self.r.choice(pool)
            if n not in taken:
                return n
        self.n += 1
        return "%s_%d" % (self.r.choice(pool).lower().replace(" ", "_"), self.n)

    def objname(self, base):
        self.n += 1
        n = "%s_%d" % (base, self.n)
        self.names.add(n)
        return n

    def table_names(self):
        return {t.name for t in self.tables} | self.names

    # --- the starting schema -------------------------------------------------------------
    def make_schema(self):
        r = self.r
        if r.random() < 0.6:
            e = self.fresh(["status", "Mood", "kind_t"], set())
            self.enums[e] = ["new", "paid", "shipped"]
            self.schema.append("CREATE TYPE %s AS ENUM ('new', 'paid', 'shipped');" % ident(e))
        for _ in range(r.randint(1, 3)):
            self.make_table(r.random() < 0.2 and not any(t.partitioned for t in self.tables))

    def make_table(self, partitioned):
        r = self.r
        pool = QUOTED_TABLES if r.random() < 0.3 else PLAIN_TABLES
        t = Table(self.fresh(pool, self.table_names()))
        self.names.add(t.name)
        kind = "partition" if partitioned else r.choice(["int", "bigint", "uuid", "composite"])
        defs, exprs = [], []
        salt = str(len(self.tables))
        if kind == "partition":
            t.partitioned = True
            for n, e in (("id", "g"), ("k", "g % 200")):
                c = Col(n, "integer", False, n == "id")
                c.notnull = c.indexed = True
                t.cols.append(c)
                exprs.append(e)
            t.pk = ["id", "k"]
        elif kind == "composite":
            for n, e in (("a", "g / 10"), ("b", "g % 10")):
                c = Col(n, "integer", False)
                c.notnull = c.indexed = True
                t.cols.append(c)
                exprs.append(e)
            t.pk = ["a", "b"]
        else:
            typ = {"int": "integer", "bigint": "bigint", "uuid": "uuid"}[kind]
            c = Col("id", typ, False, True)
            c.notnull = c.indexed = True
            t.cols.append(c)
            exprs.append("g" if typ != "uuid" else "md5('pk' || g || '%s')::uuid" % salt)
            t.pk = ["id"]
        for _ in range(r.randint(1, 5)):
            pool = QUOTED_COLS if r.random() < 0.3 else PLAIN_COLS
            name = self.fresh(pool, {c.name for c in t.cols})
            typ = r.choice(list(TYPES) + list(self.enums))
            nulls = r.random() < 0.4
            expr = TYPES[typ][0].format(salt=salt) if typ in TYPES else \
                "(enum_range(NULL::%s))[1 + g %% 3]" % ident(typ)
            if nulls:
                expr = "CASE WHEN g % 4 = 0 THEN NULL ELSE " + expr + " END"
            c = Col(name, typ, nulls, typ == "uuid" and not nulls)
            if not nulls and r.random() < 0.3:
                c.notnull = True
            t.cols.append(c)
            exprs.append(expr)
        for c in t.cols:
            defs.append("    %s %s%s" % (ident(c.name), ident(c.typ) if c.typ in self.enums else c.typ,
                                         " NOT NULL" if c.notnull and c.name not in t.pk else ""))
        defs.append("    PRIMARY KEY (%s)" % ", ".join(ident(p) for p in t.pk))
        tail = " PARTITION BY RANGE (k)" if t.partitioned else ""
        self.schema.append("CREATE TABLE %s (\n%s\n)%s;" % (ident(t.name), ",\n".join(defs), tail))
        if t.partitioned:
            for lo, hi in (("0", "100"), ("100", "MAXVALUE")):
                p = self.objname(t.name.lower().replace(" ", "_")[:20] + "_p")
                self.schema.append("CREATE TABLE %s PARTITION OF %s FOR VALUES FROM (%s) TO (%s);"
                                   % (ident(p), ident(t.name), lo, hi))
        rows = self.r.choice([0, 5, 50, 300])
        # what the old application writes (concurrent.sh): the start names and row expressions
        t.start = (t.name, [c.name for c in t.cols], list(exprs), list(t.pk), rows)
        if rows:
            self.schema.append("INSERT INTO %s (%s)\nSELECT %s FROM generate_series(1, %d) g;"
                               % (ident(t.name), ", ".join(ident(c.name) for c in t.cols),
                                  ", ".join(exprs), rows))
        if not t.partitioned and len(t.cols) > len(t.pk) and self.r.random() < 0.5:
            c = self.r.choice([c for c in t.cols if c.name not in t.pk and c.typ != "jsonb"] or [None])
            if c:
                ix = self.objname(t.name.lower().replace(" ", "_")[:20] + "_ix")
                c.indexed = True
                self.indexes[ix] = t
                self.schema.append("CREATE INDEX %s ON %s (%s);" % (ident(ix), ident(t.name), ident(c.name)))
        self.tables.append(t)

    # --- changes ---------------------------------------------------------------------------
    def plain_tables(self):
        return [t for t in self.tables if not t.partitioned]

    def free_cols(self, t):
        return [c for c in t.cols if c.name not in t.pk and not c.indexed]

    def add(self, sql):
        self.changes.append(sql)

    def ch_add_column(self):
        t = self.r.choice(self.tables)
        name = self.fresh(QUOTED_COLS + PLAIN_COLS, {c.name for c in t.cols})
        typ = self.r.choice(list(CONST_DEFAULT))
        how = self.r.choice(["null", "default", "notnull"])
        sql = "ALTER TABLE %s ADD COLUMN %s %s" % (ident(t.name), ident(name), typ)
        c = Col(name, typ, how == "null")
        c.added = t.touched = True
        if how != "null":
            sql += " DEFAULT " + CONST_DEFAULT[typ]
        if how == "notnull":
            sql += " NOT NULL"
            c.notnull = True
        t.cols.append(c)
        self.add(sql + ";")

    def ch_create_index(self, unique=False):
        ts = self.tables if not unique else [t for t in self.plain_tables() if any(c.unique for c in t.cols)]
        if not ts:
            return False
        t = self.r.choice(ts)
        cands = [c for c in t.cols if c.typ != "jsonb" and (c.unique if unique else True)]
        c = self.r.choice(cands)
        ix = self.objname(("u" if unique else "") + "ix")
        c.indexed = t.touched = True
        self.add("CREATE %sINDEX %s ON %s (%s);" % ("UNIQUE " if unique else "", ident(ix), ident(t.name), ident(c.name)))
        return True

    def ch_drop_index(self):
        if not self.indexes:
            return False
        ix = self.r.choice(sorted(self.indexes))
        self.indexes[ix].touched = True
        del self.indexes[ix]
        self.add("DROP INDEX %s;" % ident(ix))
        return True

    def ch_check(self):
        ts = self.plain_tables()
        if not ts:
            return False
        t = self.r.choice(ts)
        full = [c for c in t.cols if not c.nulls]
        ints = [c for c in full if TYPES.get(c.typ, ("", False))[1]]
        name = self.objname("chk")
        if ints and self.r.random() < 0.5:
            c = self.r.choice(ints)
            cond = "%s >= 0" % ident(c.name)
        else:
            c = self.r.choice(full)
            cond = "%s IS NOT NULL" % ident(c.name)
        c.indexed = t.touched = True
        self.add("ALTER TABLE %s ADD CONSTRAINT %s CHECK (%s);" % (ident(t.name), ident(name), cond))
        return True

    def ch_set_not_null(self):
        cands = [(t, c) for t in self.plain_tables() for c in t.cols if not c.nulls and not c.notnull]
        if not cands:
            return False
        t, c = self.r.choice(cands)
        c.notnull = c.touched = t.touched = True
        self.add("ALTER TABLE %s ALTER COLUMN %s SET NOT NULL;" % (ident(t.name), ident(c.name)))
        return True

    def ch_foreign_key(self):
        parents = [t for t in self.plain_tables() if len(t.pk) == 1]
        if not parents:
            return False
        p = self.r.choice(parents)
        child = self.r.choice(self.plain_tables())
        typ = p.col(p.pk[0]).typ
        name = self.fresh(PLAIN_COLS, {c.name for c in child.cols}) + "_ref"
        if name in {c.name for c in child.cols}:
            return False
        c = Col(name, typ, True)
        c.indexed = c.added = child.touched = True
        child.cols.append(c)
        p.referenced = child.refs = True
        self.add("ALTER TABLE %s ADD COLUMN %s %s;" % (ident(child.name), ident(name), typ))
        self.add("ALTER TABLE %s ADD CONSTRAINT %s FOREIGN KEY (%s) REFERENCES %s (%s);"
                 % (ident(child.name), ident(self.objname("fk")), ident(name), ident(p.name), ident(p.pk[0])))
        return True

    def ch_add_unique(self):
        cands = [(t, c) for t in self.plain_tables() for c in t.cols if c.unique]
        if not cands:
            return False
        t, c = self.r.choice(cands)
        c.indexed = t.touched = True
        self.add("ALTER TABLE %s ADD CONSTRAINT %s UNIQUE (%s);" % (ident(t.name), ident(self.objname("uq")), ident(c.name)))
        return True

    def ch_retype_text(self):
        """integer -> text: a type change PostgreSQL does by rewriting the table."""
        cands = [(t, c) for t in self.plain_tables() for c in self.free_cols(t) if c.typ in ("integer", "bigint")]
        if not cands:
            return False
        t, c = self.r.choice(cands)
        t.touched = c.indexed = True
        self.add("ALTER TABLE %s ALTER COLUMN %s TYPE text;" % (ident(t.name), ident(c.name)))
        c.typ = "text"
        return True

    def ch_default_or_nullable(self):
        cands = [(t, c) for t in self.plain_tables() for c in t.cols if c.name not in t.pk and c.typ in CONST_DEFAULT]
        if not cands:
            return False
        t, c = self.r.choice(cands)
        t.touched = c.touched = True
        if c.notnull and self.r.random() < 0.5:
            c.notnull = False
            self.add("ALTER TABLE %s ALTER COLUMN %s DROP NOT NULL;" % (ident(t.name), ident(c.name)))
        else:
            self.add("ALTER TABLE %s ALTER COLUMN %s SET DEFAULT %s;" % (ident(t.name), ident(c.name), CONST_DEFAULT[c.typ]))
        return True

    def ch_multi_add(self):
        """One ALTER TABLE, two subcommands."""
        t = self.r.choice(self.tables)
        taken = {c.name for c in t.cols}
        n1 = self.fresh(PLAIN_COLS, taken)
        n2 = self.fresh(QUOTED_COLS, taken | {n1})
        if n1 in taken or n2 in taken | {n1}:
            return False
        for n in (n1, n2):
            c = Col(n, "integer", True)
            c.added = True
            t.cols.append(c)
        t.touched = True
        self.add("ALTER TABLE %s ADD COLUMN %s integer, ADD COLUMN %s integer DEFAULT 7;" % (ident(t.name), ident(n1), ident(n2)))
        t.cols[-1].nulls = False
        return True

    def ch_alter_type(self):
        cands = [(t, c) for t in self.plain_tables() for c in self.free_cols(t)
                 if c.typ in TYPES and TYPES[c.typ][2]]
        if not cands:
            return False
        t, c = self.r.choice(cands)
        t.touched = True
        new = TYPES[c.typ][2]
        self.add("ALTER TABLE %s ALTER COLUMN %s TYPE %s;" % (ident(t.name), ident(c.name), new))
        c.typ = new
        c.indexed = True  # one type change per column per run
        return True

    def ch_rename_column(self):
        # known: an added column renamed in place, rerun (tests/prop/cases/rename_added_column)
        # known: a column changed earlier in the input, renamed, rerun
        # (tests/prop/cases/rename_column_after_set_not_null)
        cands = [(t, c) for t in self.plain_tables() for c in self.free_cols(t)
                 if not (self.avoid_known and (c.added or c.touched))]
        if not cands:
            return False
        t, c = self.r.choice(cands)
        t.touched = True
        new = self.fresh(QUOTED_COLS + PLAIN_COLS, {x.name for x in t.cols})
        if new in {x.name for x in t.cols}:
            return False
        self.add("ALTER TABLE %s RENAME COLUMN %s TO %s;" % (ident(t.name), ident(c.name), ident(new)))
        c.name = new
        c.indexed = True  # renamed once
        return True

    def ch_rename_table(self):
        # known: earlier steps of the input on the old name fail on a rerun
        # (tests/prop/cases/rename_table_after_change)
        ts = [t for t in self.plain_tables() if not t.referenced and not t.refs
              and not (self.avoid_known and t.touched)]
        if not ts:
            return False
        t = self.r.choice(ts)
        new = self.fresh(QUOTED_TABLES + PLAIN_TABLES, self.table_names())
        if new in self.table_names():
            return False
        self.add("ALTER TABLE %s RENAME TO %s;" % (ident(t.name), ident(new)))
        self.names.add(new)
        t.name = new
        t.referenced = t.touched = True  # renamed once, not dropped afterwards
        return True

    def ch_drop_column(self):
        # known: a column changed earlier in the input, dropped, rerun (seed 3151; the family of
        # tests/prop/cases/rename_column_after_set_not_null)
        cands = [(t, c) for t in self.plain_tables() for c in self.free_cols(t)
                 if not (self.avoid_known and c.touched)]
        if not cands:
            return False
        t, c = self.r.choice(cands)
        t.touched = True
        t.cols.remove(c)
        self.lossy = True
        if c.notnull:
            # documented: the down re-adds it nullable (its data is gone), and says so
            self.down_ignore.append("^column " + ere("public.%s.%s " % (ident(t.name), ident(c.name))))
        self.add("ALTER TABLE %s DROP COLUMN %s;" % (ident(t.name), ident(c.name)))
        return True

    def ch_enum_value(self):
        if not self.enums:
            return False
        e = self.r.choice(sorted(self.enums))
        label = "v%d" % len(self.enums[e])
        self.enums[e].append(label)
        self.enum_added = True
        self.add("ALTER TYPE %s ADD VALUE '%s';" % (ident(e), label))
        return True

    def ch_drop_table(self):
        # known: earlier steps on a dropped table fail on a rerun
        # (tests/prop/cases/drop_table_after_set_not_null); the down of a dropped partitioned
        # table loses its partitions (tests/prop/cases/drop_partitioned_table)
        ts = [t for t in self.tables if not t.referenced and not t.refs and len(self.tables) > 1
              and not (self.avoid_known and (t.touched or t.partitioned))]
        if not ts:
            return False
        t = self.r.choice(ts)
        self.tables.remove(t)
        for ix, it in list(self.indexes.items()):
            if it is t:
                del self.indexes[ix]
        self.lossy = True
        self.add("DROP TABLE %s;" % ident(t.name))
        return True

    def make_changes(self, n):
        kinds = [(self.ch_add_column, 4), (self.ch_create_index, 3), (lambda: self.ch_create_index(True), 1),
                 (self.ch_drop_index, 1), (self.ch_check, 2), (self.ch_set_not_null, 2),
                 (self.ch_foreign_key, 2), (self.ch_alter_type, 2), (self.ch_rename_column, 2),
                 (self.ch_rename_table, 1), (self.ch_drop_column, 1), (self.ch_enum_value, 1),
                 (self.ch_drop_table, 1)]
        if self.more:
            kinds += [(self.ch_add_unique, 1), (self.ch_retype_text, 1), (self.ch_default_or_nullable, 1),
                      (self.ch_multi_add, 1)]
        fns = [f for f, w in kinds for _ in range(w)]
        tries = 0
        while len(self.changes) < n and tries < 100:
            tries += 1
            if self.r.choice(fns)() is False:
                continue


PROBE = "mkmig_probe.log"


def key_select(start):
    """The primary key columns of row g of a start table, as expressions of g."""
    name, cols, exprs, pk, _ = start
    return ", ".join(exprs[cols.index(k)] for k in pk)


def workload(g):
    """A pgbench script of the old application (start names only): each transaction inserts one
    new row (its id logged in mkmig_probe.log in the same transaction) and rewrites an existing
    row's first column with its own value (so the sync triggers fire); tables in turn."""
    out = ["-- pgbench script: the old application writing during the migration (gen.py)",
           "\\set id random(1000000, 9999999)"]
    for t in g.all_tables:
        name, cols, exprs, pk, rows = t.start
        q = ident(name)
        out.append("\\set u random(1, %d)" % max(rows, 1))
        out.append("BEGIN;")
        out.append("INSERT INTO %s (%s) SELECT %s FROM (SELECT :id::bigint AS g) s ON CONFLICT DO NOTHING;"
                   % (q, ", ".join(ident(c) for c in cols), ", ".join(exprs)))
        out.append("INSERT INTO %s VALUES ('%s', :id) ON CONFLICT DO NOTHING;" % (PROBE, name.replace("'", "''")))
        other = [c for c in cols if c not in pk]
        if other and rows:
            c = ident(other[0])
            out.append("UPDATE %s SET %s = %s WHERE (%s) IN (SELECT %s FROM (SELECT :u::bigint AS g) s);"
                       % (q, c, c, ", ".join(ident(k) for k in pk), key_select(t.start)))
        out.append("COMMIT;")
    return "\n".join(out) + "\n"


def replay(g):
    """The old application's logged inserts, applied to a start database (before the naive DDL):
    the naive end state of the same writes."""
    out = ["-- replay of the rows the old application inserted (mkmig_probe.log), gen.py"]
    for t in g.all_tables:
        name, cols, exprs, pk, rows = t.start
        out.append("INSERT INTO %s (%s) SELECT %s FROM (SELECT id AS g FROM %s WHERE tbl = '%s') s "
                   "ON CONFLICT DO NOTHING;" % (ident(name), ", ".join(ident(c) for c in cols), ", ".join(exprs),
                                                PROBE, name.replace("'", "''")))
    return "\n".join(out) + "\n"


def main(argv):
    args = argv[1:]
    all_phases = "--all-phases" in args
    avoid_known = "--avoid-known" in args
    more = "--more" in args
    args = [a for a in args if a not in ("--all-phases", "--avoid-known", "--more")]
    nchanges = None
    if "--changes" in args:
        i = args.index("--changes")
        nchanges = int(args[i + 1])
        del args[i:i + 2]
    if len(args) != 2:
        sys.stderr.write("usage: gen.py SEED OUT_DIR [--all-phases] [--avoid-known] [--more] [--changes N]\n")
        return 2
    seed, out = int(args[0]), args[1]
    g = Gen(seed, avoid_known, more)
    g.make_schema()
    g.all_tables = list(g.tables)
    g.make_changes(nchanges or g.r.randint(1, 6))
    import os
    os.makedirs(out, exist_ok=True)

    def write(name, text):
        with open(os.path.join(out, name), "w", encoding="utf-8") as f:
            f.write(text)
    write("schema.sql", "\n".join(g.schema) + "\n")
    write("input.sql", "\n".join(g.changes) + "\n")
    write("seed", "tests/prop/gen.py %d DIR%s%s%s%s\n" % (seed, " --all-phases" if all_phases else "",
                                                    " --avoid-known" if avoid_known else "",
                                                    " --more" if more else "",
                                                    " --changes %d" % nchanges if nchanges else ""))
    for name in ("args", "down-data-differs", "down-ignore"):
        if os.path.exists(os.path.join(out, name)):
            os.remove(os.path.join(out, name))
    if all_phases:
        write("args", "--all-phases\n")
    if g.lossy:
        write("down-data-differs", "a DROP discards data; the down script restores the structure only\n")
    if g.enum_added:
        g.down_ignore.append("^enum ")
    write("workload.sql", workload(g))
    write("replay.sql", replay(g))
    if g.down_ignore:
        write("down-ignore", "# what a down script cannot restore, and says so (enum values, NOT NULL of a\n"
              "# dropped column)\n" + "".join(r + "\n" for r in g.down_ignore))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
