/*
 * db.c — builds the model from a live catalog through libpq (--db).
 *
 * The model must come out exactly as replaying that database's `pg_dump -s` would build it, so
 * every text field is what the server prints with search_path = '' (names outside pg_catalog
 * schema-qualified, as pg_dump sees them) and every object the SQL side cannot see — extension
 * members, identity sequences, trigger clones on partitions — is left out here too.
 * Reads only; one REPEATABLE READ READ ONLY transaction, so all queries share one snapshot.
 */
#include "model_internal.h"

#include <libpq-fe.h>
#include <stdlib.h>
#include <string.h>

/* Catalog columns and functions the queries rely on: prokind and indnkeyatts appeared in 11. */
#define MIN_SERVER_VERSION 110000

/* Shared WHERE fragments. Schemas pg_dump would not dump, and objects an extension created,
 * never reach the model: a schema file has no statement for them either. */
#define NOT_EXT_MEMBER(catalog, oid)                                                          \
	"NOT EXISTS (SELECT 1 FROM pg_depend x WHERE x.classid = '" catalog "'::regclass"        \
	" AND x.objid = " oid " AND x.deptype = 'e')"
#define NSP_LOADED                                                                            \
	"n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_(toast|temp)'" \
	" AND " NOT_EXT_MEMBER("pg_namespace", "n.oid")
#define REL_FROM "pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
#define REL_LOADED "c.relkind IN ('r', 'p', 'v', 'm', 'f') AND " NSP_LOADED " AND " NOT_EXT_MEMBER("pg_class", "c.oid")

/* Names of attributes listed in an int2[] (conkey, indkey), in list order; "" for 0. */
#define ATTNAMES(rel, keys, limit)                                                            \
	"ARRAY(SELECT coalesce(a.attname, '') FROM unnest(" keys ") WITH ORDINALITY k(num, ord)"  \
	" LEFT JOIN pg_attribute a ON a.attrelid = " rel " AND a.attnum = k.num"                  \
	" WHERE k.ord <= " limit " ORDER BY k.ord)"

static const char schemas_sql[] =
	"SELECT n.nspname FROM pg_namespace n WHERE " NSP_LOADED " ORDER BY 1";

static const char relations_sql[] =
	"SELECT c.oid, n.nspname, c.relname, c.relkind, c.reltuples::float8,"
	" CASE WHEN c.relkind IN ('r', 'm') THEN pg_total_relation_size(c.oid) END,"
	" CASE WHEN c.relkind = 'p' THEN pg_get_partkeydef(c.oid) END,"
	" CASE WHEN c.relispartition THEN (SELECT i.inhparent FROM pg_inherits i WHERE i.inhrelid = c.oid) END,"
	" CASE WHEN c.relkind IN ('v', 'm') THEN pg_get_viewdef(c.oid, true) END"
	" FROM " REL_FROM " WHERE " REL_LOADED " ORDER BY n.nspname, c.relname";

/* attgenerated exists from 12; before that no column is generated. */
#define COLUMNS_SQL(attgenerated)                                                             \
	"SELECT a.attrelid, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull,"      \
	" pg_get_expr(d.adbin, d.adrelid), a.attidentity, " attgenerated ","                      \
	" CASE WHEN a.attcollation <> 0 AND a.attcollation <> t.typcollation THEN co.collname END" \
	" FROM pg_attribute a JOIN " REL_FROM " ON c.oid = a.attrelid"                           \
	" JOIN pg_type t ON t.oid = a.atttypid"                                                   \
	" LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum"                \
	" LEFT JOIN pg_collation co ON co.oid = a.attcollation"                                   \
	" WHERE a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('r', 'p', 'f') AND " REL_LOADED \
	" ORDER BY a.attrelid, a.attnum"
static const char columns_sql[] = COLUMNS_SQL("a.attgenerated");
static const char columns_sql_11[] = COLUMNS_SQL("''::\"char\"");

/* A foreign key referencing a partitioned table gets one hidden clone per referenced partition
 * on the same referencing table, under the same name; only the parent is a real constraint.
 * Clones on partitions of a partitioned referencing table are real (pg_dump shows them). */
static const char constraints_sql[] =
	"SELECT co.conrelid, co.conname, co.contype, pg_get_constraintdef(co.oid), co.convalidated,"
	" co.condeferrable, co.condeferred,"
	" CASE WHEN co.contype IN ('p', 'u', 'x') THEN (SELECT ic.relname FROM pg_class ic WHERE ic.oid = co.conindid) END,"
	" rn.nspname, rc.relname,"
	" " ATTNAMES("co.conrelid", "co.conkey", "2147483647") ","
	" " ATTNAMES("co.confrelid", "co.confkey", "2147483647")
	" FROM pg_constraint co JOIN " REL_FROM " ON c.oid = co.conrelid"
	" LEFT JOIN pg_class rc ON rc.oid = co.confrelid AND co.contype = 'f'"
	" LEFT JOIN pg_namespace rn ON rn.oid = rc.relnamespace"
	" WHERE co.contype IN ('c', 'f', 'p', 'u', 'x') AND " REL_LOADED
	" AND NOT (co.conparentid <> 0 AND EXISTS (SELECT 1 FROM pg_constraint pc"
	"  WHERE pc.oid = co.conparentid AND pc.conrelid = co.conrelid))"
	" ORDER BY co.conrelid, co.conname";

static const char indexes_sql[] =
	"SELECT i.indrelid, ic.relname, pg_get_indexdef(i.indexrelid), i.indisunique, i.indisprimary,"
	" i.indpred IS NOT NULL, i.indexprs IS NOT NULL, i.indisvalid,"
	" (SELECT pc.relname FROM pg_inherits h JOIN pg_class pc ON pc.oid = h.inhparent WHERE h.inhrelid = i.indexrelid),"
	" " ATTNAMES("i.indrelid", "i.indkey::int2[]", "i.indnkeyatts")
	" FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid JOIN " REL_FROM " ON c.oid = i.indrelid"
	" WHERE " REL_LOADED " ORDER BY i.indrelid, ic.relname";

/* Before 13, clones of a partitioned table's trigger on its partitions were tgisinternal; from 13
 * they are ordinary triggers with tgparentid set. Either way only the parent's is modelled. */
#define TRIGGERS_SQL(clone_filter)                                                            \
	"SELECT t.tgrelid, t.tgname, pn.nspname, p.proname, pg_get_triggerdef(t.oid), t.tgtype"  \
	" FROM pg_trigger t JOIN " REL_FROM " ON c.oid = t.tgrelid"                              \
	" JOIN pg_proc p ON p.oid = t.tgfoid JOIN pg_namespace pn ON pn.oid = p.pronamespace"    \
	" WHERE NOT t.tgisinternal" clone_filter " AND " REL_LOADED " ORDER BY t.tgrelid, t.tgname"
static const char triggers_sql[] = TRIGGERS_SQL(" AND t.tgparentid = 0");
static const char triggers_sql_12[] = TRIGGERS_SQL("");

static const char view_deps_sql[] =
	"SELECT DISTINCT r.ev_class, dn.nspname, dc.relname"
	" FROM pg_rewrite r JOIN " REL_FROM " ON c.oid = r.ev_class"
	" JOIN pg_depend d ON d.classid = 'pg_rewrite'::regclass AND d.objid = r.oid"
	"  AND d.refclassid = 'pg_class'::regclass AND d.refobjid <> r.ev_class"
	" JOIN pg_class dc ON dc.oid = d.refobjid JOIN pg_namespace dn ON dn.oid = dc.relnamespace"
	" WHERE c.relkind IN ('v', 'm') AND " REL_LOADED;

/* Identity sequences are part of their column (the SQL side never creates one). */
static const char sequences_sql[] =
	"SELECT n.nspname, c.relname, format_type(s.seqtypid, NULL), oc.relname, oa.attname"
	" FROM " REL_FROM " JOIN pg_sequence s ON s.seqrelid = c.oid"
	" LEFT JOIN pg_depend d ON d.classid = 'pg_class'::regclass AND d.objid = c.oid"
	"  AND d.refclassid = 'pg_class'::regclass AND d.deptype = 'a' AND d.refobjsubid > 0"
	" LEFT JOIN pg_class oc ON oc.oid = d.refobjid"
	" LEFT JOIN pg_attribute oa ON oa.attrelid = d.refobjid AND oa.attnum = d.refobjsubid"
	" WHERE c.relkind = 'S' AND " NSP_LOADED " AND " NOT_EXT_MEMBER("pg_class", "c.oid")
	" AND NOT EXISTS (SELECT 1 FROM pg_depend x WHERE x.classid = 'pg_class'::regclass"
	"  AND x.objid = c.oid AND x.deptype = 'i')"
	" ORDER BY n.nspname, c.relname";

static const char enums_sql[] =
	"SELECT n.nspname, t.typname, e.enumlabel"
	" FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace"
	" LEFT JOIN pg_enum e ON e.enumtypid = t.oid"
	" WHERE t.typtype = 'e' AND " NSP_LOADED " AND " NOT_EXT_MEMBER("pg_type", "t.oid")
	" ORDER BY n.nspname, t.typname, e.enumsortorder";

static const char functions_sql[] =
	"SELECT n.nspname, p.proname, oidvectortypes(p.proargtypes),"
	" CASE WHEN p.prokind = 'p' THEN NULL"
	"  ELSE CASE WHEN p.proretset THEN 'SETOF ' ELSE '' END || format_type(p.prorettype, NULL) END,"
	" p.provolatile, l.lanname"
	" FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace JOIN pg_language l ON l.oid = p.prolang"
	" WHERE p.prokind IN ('f', 'p') AND " NSP_LOADED " AND " NOT_EXT_MEMBER("pg_proc", "p.oid")
	" ORDER BY n.nspname, p.proname, 3";

struct rel {
	Oid oid, parent;   /* parent: partition's parent, 0 otherwise */
	struct mm_table *t;
};

struct loader {
	struct mm_model *m;
	struct mm_ctx *ctx;
	PGconn *conn;
	int server_version;
	struct rel *rels;  /* sorted by oid once the relations are read */
	size_t nrels;
	struct mm_enum *last_enum;
};

/* --- result access ------------------------------------------------------------------------- */

static const char *get(struct loader *L, const PGresult *r, int row, int col)
{
	return PQgetisnull(r, row, col) ? NULL : mm_strdup(&L->ctx->arena, PQgetvalue(r, row, col));
}

static bool get_bool(const PGresult *r, int row, int col)
{
	return PQgetvalue(r, row, col)[0] == 't';
}

static char get_char(const PGresult *r, int row, int col)
{
	return PQgetisnull(r, row, col) ? 0 : PQgetvalue(r, row, col)[0];
}

static Oid get_oid(const PGresult *r, int row, int col)
{
	return PQgetisnull(r, row, col) ? 0 : (Oid)strtoul(PQgetvalue(r, row, col), NULL, 10);
}

/* libpq messages end in a newline and may continue on indented lines; diagnostics are one line. */
static char *one_line(struct mm_arena *a, const char *msg)
{
	struct mm_buf b = MM_BUF_INIT;
	for (const char *p = msg; *p; p++) {
		if (*p == '\n' || *p == '\t' || *p == '\r') {
			if (b.len && b.buf[b.len - 1] != ' ')
				mm_buf_addch(&b, ' ');
			continue;
		}
		mm_buf_addch(&b, *p);
	}
	while (b.len && b.buf[b.len - 1] == ' ')
		b.buf[--b.len] = '\0';
	char *s = mm_buf_arena(&b, a);
	mm_buf_release(&b);
	return s;
}

/* Elements of a one-dimensional array in PostgreSQL's text output ({a,"b c",NULL}). Names may
 * hold commas, quotes and backslashes, which the server quotes and escapes. */
static void parse_text_array(struct mm_arena *a, const char *s, struct mm_vec *out)
{
	if (*s++ != '{')
		return;
	struct mm_buf b = MM_BUF_INIT;
	while (*s && *s != '}') {
		mm_buf_reset(&b);
		if (*s == '"') {
			for (s++; *s && *s != '"'; s++) {
				if (*s == '\\' && s[1])
					s++;
				mm_buf_addch(&b, *s);
			}
			if (*s == '"')
				s++;
		} else {
			while (*s && *s != ',' && *s != '}')
				mm_buf_addch(&b, *s++);
		}
		mm_vec_push(a, out, mm_buf_arena(&b, a));
		if (*s == ',')
			s++;
	}
	mm_buf_release(&b);
}

static int cmp_rel(const void *pa, const void *pb)
{
	const struct rel *x = pa, *y = pb;
	return x->oid < y->oid ? -1 : x->oid > y->oid;
}

static struct rel *find_rel(const struct loader *L, Oid oid)
{
	struct rel key = { .oid = oid };
	return L->nrels ? bsearch(&key, L->rels, L->nrels, sizeof(*L->rels), cmp_rel) : NULL;
}

static struct mm_table *rel_table(const struct loader *L, const PGresult *r, int row)
{
	struct rel *rl = find_rel(L, get_oid(r, row, 0));
	return rl ? rl->t : NULL;
}

/* --- one row of each query ----------------------------------------------------------------- */

static void row_schema(struct loader *L, const PGresult *r, int i)
{
	mm_model_add_schema(L->m, PQgetvalue(r, i, 0));
}

static const struct {
	char relkind;
	enum mm_relkind kind;
} relkinds[] = {
	{ 'r', MM_REL_TABLE }, { 'p', MM_REL_PARTITIONED }, { 'v', MM_REL_VIEW },
	{ 'm', MM_REL_MATVIEW }, { 'f', MM_REL_FOREIGN },
};

/* View text as the SQL side keeps it: pg_get_viewdef ends the query with ';' (and a newline
 * in some versions); a CREATE VIEW statement carries neither. */
static const char *trim_viewdef(char *def)
{
	if (!def)
		return NULL;
	size_t n = strlen(def);
	while (n > 0 && (def[n - 1] == ';' || def[n - 1] == ' ' || def[n - 1] == '\n' ||
	                 def[n - 1] == '\t' || def[n - 1] == '\r'))
		n--;
	def[n] = '\0';
	return def;
}

static void row_relation(struct loader *L, const PGresult *r, int i)
{
	char relkind = get_char(r, i, 3);
	size_t k = 0;
	while (k < MM_ARRAY_LEN(relkinds) && relkinds[k].relkind != relkind)
		k++;
	if (k == MM_ARRAY_LEN(relkinds))
		MM_BUG("relation query returned relkind '%c'", relkind);
	struct mm_table *t = mm_model_add_table(L->m, PQgetvalue(r, i, 1), PQgetvalue(r, i, 2),
	                                        relkinds[k].kind, MM_ORIGIN_EXISTING);
	/* reltuples: -1 (from 14) or 0 without pages (before) both say "never analysed"; only -1
	 * is distinguishable. Views and foreign tables hold no rows here. */
	t->est_rows = relkind == 'v' || relkind == 'f' ? -1 : strtod(PQgetvalue(r, i, 4), NULL);
	if (t->est_rows < 0)
		t->est_rows = -1;
	t->est_bytes = PQgetisnull(r, i, 5) ? -1 : strtoll(PQgetvalue(r, i, 5), NULL, 10);
	t->partition_key = get(L, r, i, 6);
	t->view_definition = trim_viewdef((char *)get(L, r, i, 8));
	struct rel *rl = &L->rels[L->nrels++];
	rl->oid = get_oid(r, i, 0);
	rl->parent = get_oid(r, i, 7);
	rl->t = t;
}

static void row_column(struct loader *L, const PGresult *r, int i)
{
	struct mm_table *t = rel_table(L, r, i);
	if (!t)
		return;
	struct mm_column *c = mm_table_add_column(L->m, t, PQgetvalue(r, i, 1), PQgetvalue(r, i, 2));
	c->not_null = get_bool(r, i, 3);
	c->identity = get_char(r, i, 5);
	c->generated = get_char(r, i, 6);
	if (c->generated)
		c->generation_expr = get(L, r, i, 4);
	else
		c->default_expr = get(L, r, i, 4);
	c->collation = get(L, r, i, 7);
}

static const struct {
	char contype;
	enum mm_contype type;
} contypes[] = {
	{ 'c', MM_CON_CHECK }, { 'f', MM_CON_FOREIGN }, { 'p', MM_CON_PRIMARY },
	{ 'u', MM_CON_UNIQUE }, { 'x', MM_CON_EXCLUSION },
};

static void row_constraint(struct loader *L, const PGresult *r, int i)
{
	struct mm_table *t = rel_table(L, r, i);
	if (!t)
		return;
	char contype = get_char(r, i, 2);
	size_t k = 0;
	while (k < MM_ARRAY_LEN(contypes) && contypes[k].contype != contype)
		k++;
	if (k == MM_ARRAY_LEN(contypes))
		MM_BUG("constraint query returned contype '%c'", contype);
	struct mm_constraint *c = mm_table_add_constraint(L->m, t, PQgetvalue(r, i, 1), contypes[k].type);
	c->definition = get(L, r, i, 3);
	c->validated = get_bool(r, i, 4);
	c->deferrable = get_bool(r, i, 5);
	c->deferred = get_bool(r, i, 6);
	c->index_name = get(L, r, i, 7);
	parse_text_array(&L->ctx->arena, PQgetvalue(r, i, 10), &c->columns);
	if (contypes[k].type == MM_CON_FOREIGN) {
		c->ref_schema = get(L, r, i, 8);
		c->ref_table = get(L, r, i, 9);
		parse_text_array(&L->ctx->arena, PQgetvalue(r, i, 11), &c->ref_columns);
	}
}

static void row_index(struct loader *L, const PGresult *r, int i)
{
	struct mm_table *t = rel_table(L, r, i);
	if (!t)
		return;
	struct mm_index *ix = mm_model_add_index(L->m, t, PQgetvalue(r, i, 1));
	ix->definition = get(L, r, i, 2);
	ix->unique = get_bool(r, i, 3);
	ix->primary = get_bool(r, i, 4);
	ix->partial = get_bool(r, i, 5);
	ix->has_expressions = get_bool(r, i, 6);
	ix->valid = get_bool(r, i, 7);
	ix->parent_index = get(L, r, i, 8);
	parse_text_array(&L->ctx->arena, PQgetvalue(r, i, 9), &ix->columns);
}

static void row_trigger(struct loader *L, const PGresult *r, int i)
{
	struct mm_table *t = rel_table(L, r, i);
	if (!t)
		return;
	struct mm_trigger *tg = mm_alloc(&L->ctx->arena, sizeof(*tg));
	tg->name = get(L, r, i, 1);
	tg->function = mm_sprintf(&L->ctx->arena, "%s.%s", PQgetvalue(r, i, 2), PQgetvalue(r, i, 3));
	tg->definition = get(L, r, i, 4);
	tg->type = atoi(PQgetvalue(r, i, 5));
	mm_vec_push(&L->ctx->arena, &t->triggers, tg);
}

static void row_view_dep(struct loader *L, const PGresult *r, int i)
{
	struct mm_table *t = rel_table(L, r, i);
	if (t)
		mm_vec_push(&L->ctx->arena, &t->view_deps,
		            mm_sprintf(&L->ctx->arena, "%s.%s", PQgetvalue(r, i, 1), PQgetvalue(r, i, 2)));
}

static void row_sequence(struct loader *L, const PGresult *r, int i)
{
	struct mm_sequence *s = mm_model_add_sequence(L->m, PQgetvalue(r, i, 0), PQgetvalue(r, i, 1));
	s->type = get(L, r, i, 2);
	s->owner_table = get(L, r, i, 3);
	s->owner_column = get(L, r, i, 4);
}

/* Rows come grouped by type, labels in sort order. */
static void row_enum(struct loader *L, const PGresult *r, int i)
{
	const char *schema = PQgetvalue(r, i, 0), *name = PQgetvalue(r, i, 1);
	struct mm_enum *e = L->last_enum;
	if (!e || strcmp(e->schema, schema) != 0 || strcmp(e->name, name) != 0)
		e = L->last_enum = mm_model_add_enum(L->m, schema, name);
	if (!PQgetisnull(r, i, 2))
		mm_vec_push(&L->ctx->arena, &e->labels, (void *)get(L, r, i, 2));
}

static const struct {
	char provolatile;
	enum mm_volatility volatility;
} volatilities[] = {
	{ 'i', MM_VOL_IMMUTABLE }, { 's', MM_VOL_STABLE }, { 'v', MM_VOL_VOLATILE },
};

static void row_function(struct loader *L, const PGresult *r, int i)
{
	struct mm_function *f = mm_model_add_function(L->m, PQgetvalue(r, i, 0), PQgetvalue(r, i, 1));
	f->args = get(L, r, i, 2);
	f->returns = get(L, r, i, 3);
	f->volatility = MM_VOL_UNKNOWN;
	for (size_t k = 0; k < MM_ARRAY_LEN(volatilities); k++)
		if (volatilities[k].provolatile == get_char(r, i, 4))
			f->volatility = volatilities[k].volatility;
	f->language = get(L, r, i, 5);
}

static void rels_alloc(struct loader *L, int nrows)
{
	L->rels = mm_alloc(&L->ctx->arena, (size_t)(nrows > 0 ? nrows : 1) * sizeof(*L->rels));
}

/* Every later query finds its table by oid. */
static void rels_sort(struct loader *L)
{
	qsort(L->rels, L->nrels, sizeof(*L->rels), cmp_rel);
}

/* --- the queries, in the order they must run ------------------------------------------------ */

struct query {
	const char *what;              /* for error messages: "reading <what> failed" */
	const char *sql;               /* for servers >= since */
	int since;
	const char *sql_before;        /* for older servers */
	void (*row)(struct loader *L, const PGresult *r, int row);
	void (*before)(struct loader *L, int nrows);   /* optional */
	void (*after)(struct loader *L);               /* optional */
};

static const struct query queries[] = {
	{ .what = "schemas", .sql = schemas_sql, .row = row_schema },
	{ .what = "relations", .sql = relations_sql, .row = row_relation, .before = rels_alloc, .after = rels_sort },
	{ .what = "columns", .sql = columns_sql, .since = 120000, .sql_before = columns_sql_11, .row = row_column },
	{ .what = "constraints", .sql = constraints_sql, .row = row_constraint },
	{ .what = "indexes", .sql = indexes_sql, .row = row_index },
	{ .what = "triggers", .sql = triggers_sql, .since = 130000, .sql_before = triggers_sql_12, .row = row_trigger },
	{ .what = "view dependencies", .sql = view_deps_sql, .row = row_view_dep },
	{ .what = "sequences", .sql = sequences_sql, .row = row_sequence },
	{ .what = "enum types", .sql = enums_sql, .row = row_enum },
	{ .what = "functions", .sql = functions_sql, .row = row_function },
};

static PGresult *exec(struct loader *L, const char *what, const char *sql)
{
	PGresult *r = PQexecParams(L->conn, sql, 0, NULL, NULL, NULL, NULL, 0);
	ExecStatusType st = PQresultStatus(r);
	if (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK)
		return r;
	const char *msg = r ? PQresultErrorMessage(r) : PQerrorMessage(L->conn);
	mm_error(L->ctx, NULL, 0, 0, "reading %s from the database failed: %s", what,
	         one_line(&L->ctx->arena, msg));
	PQclear(r);
	return NULL;
}

static int run_query(struct loader *L, const struct query *q)
{
	const char *sql = L->server_version >= q->since || !q->sql_before ? q->sql : q->sql_before;
	PGresult *r = exec(L, q->what, sql);
	if (!r)
		return -1;
	int n = PQntuples(r);
	if (q->before)
		q->before(L, n);
	for (int i = 0; i < n; i++)
		q->row(L, r, i);
	PQclear(r);
	if (q->after)
		q->after(L);
	return 0;
}

/* --- after all rows are in ------------------------------------------------------------------ */

static int cmp_str(const void *pa, const void *pb)
{
	return strcmp(*(const char *const *)pa, *(const char *const *)pb);
}

/* A partitioned table stores nothing itself (pg_total_relation_size says 0): its size is what
 * its partitions hold, sub-partitions included. */
static int64_t partitioned_bytes(struct mm_table *t, int depth)
{
	if (t->kind != MM_REL_PARTITIONED)
		return t->est_bytes;
	int64_t sum = 0;
	for (size_t i = 0; depth < 64 && i < t->partitions.len; i++) {
		int64_t b = partitioned_bytes(mm_vec_at(&t->partitions, i), depth + 1);
		if (b > 0)
			sum += b;
	}
	return sum;
}

static void finish(struct loader *L)
{
	struct mm_model *m = L->m;
	for (size_t i = 0; i < L->nrels; i++) {
		struct rel *rl = &L->rels[i];
		struct rel *parent = rl->parent ? find_rel(L, rl->parent) : NULL;
		if (!parent)
			continue;
		rl->t->partition_parent_schema = parent->t->schema;
		rl->t->partition_parent = parent->t->name;
	}
	/* Children in model order (schema, name), not oid order, so the vec is deterministic. */
	for (size_t i = 0; i < m->tables.len; i++) {
		struct mm_table *t = mm_vec_at(&m->tables, i);
		if (!t->partition_parent)
			continue;
		struct mm_table *p = mm_model_find_table(m, t->partition_parent_schema, t->partition_parent);
		if (p)
			mm_vec_push(&L->ctx->arena, &p->partitions, t);
	}
	for (size_t i = 0; i < m->tables.len; i++) {
		struct mm_table *t = mm_vec_at(&m->tables, i);
		if (t->kind == MM_REL_PARTITIONED)
			t->est_bytes = partitioned_bytes(t, 0);
		if (t->view_deps.len > 1)
			qsort(t->view_deps.items, t->view_deps.len, sizeof(void *), cmp_str);
		/* Volatility needs the functions, which are read last. */
		for (size_t j = 0; j < t->columns.len; j++) {
			struct mm_column *c = mm_vec_at(&t->columns, j);
			if (c->default_expr)
				c->default_volatility =
					mm_model_expr_volatility(m, mm_sql_parse_expr(L->ctx, c->default_expr));
		}
	}
}

/* libpq prints notices on stderr by default; mkmig reports only through diagnostics. */
static void on_notice(void *arg, const char *message)
{
	struct mm_ctx *ctx = arg;
	if (ctx->opt.verbose)
		mm_note(ctx, NULL, 0, 0, "database: %s", one_line(&ctx->arena, message));
}

static int load(struct loader *L)
{
	if (L->server_version < MIN_SERVER_VERSION)
		return mm_error_hint(L->ctx, NULL, 0, 0, "use --schema with the output of pg_dump -s instead",
		                     "mkmig reads the catalogs of PostgreSQL 11 and later; the server runs %d.%d",
		                     L->server_version / 10000, L->server_version % 10000 / 100);
	/* Empty search_path: format_type() and pg_get_*def() qualify every name outside pg_catalog,
	 * as in pg_dump output. One snapshot for every query, so the model is self-consistent. */
	static const char *const setup[] = {
		"SET search_path = ''",
		"BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
	};
	for (size_t i = 0; i < MM_ARRAY_LEN(setup); i++) {
		PGresult *r = exec(L, "the catalog", setup[i]);
		if (!r)
			return -1;
		PQclear(r);
	}
	for (size_t i = 0; i < MM_ARRAY_LEN(queries); i++)
		if (run_query(L, &queries[i]) != 0)
			return -1;
	finish(L);
	PGresult *r = exec(L, "the catalog", "COMMIT");
	bool ok = r != NULL;
	PQclear(r);
	return ok ? 0 : -1;
}

int mm_model_load_db(struct mm_model *m, const char *conninfo)
{
	struct mm_ctx *ctx = m->ctx;
	/* expand_dbname: conninfo is a whole connection string or URI, as psql's -d takes it. */
	const char *const keys[] = { "dbname", "fallback_application_name", NULL };
	const char *const values[] = { conninfo, "mkmig", NULL };
	PGconn *conn = PQconnectdbParams(keys, values, 1);
	if (!conn || PQstatus(conn) != CONNECTION_OK) {
		int rc = mm_error_hint(ctx, NULL, 0, 0,
		                       "--db takes a libpq connection string, e.g. \"host=localhost dbname=app user=app\" "
		                       "or postgresql://app@localhost/app; check that the server runs and accepts you",
		                       "cannot connect to the database: %s",
		                       conn ? one_line(&ctx->arena, PQerrorMessage(conn)) : "out of memory");
		PQfinish(conn);
		return rc;
	}
	PQsetNoticeProcessor(conn, on_notice, ctx);
	struct loader L = { .m = m, .ctx = ctx, .conn = conn, .server_version = PQserverVersion(conn) };
	int rc = load(&L);
	PQfinish(conn);
	if (rc == 0)
		m->known = true;
	return rc;
}
