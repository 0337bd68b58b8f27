/*
 * sqitch_verify.c — the verify script of a sqitch change mkmig wrote: it fails when what the
 * step made is missing or differs. sqitch runs it right after the deploy (`deploy --verify`)
 * and on demand (`sqitch verify`, any time later, after the later steps too), so a check may
 * only state a fact that holds from this step to the end of the plan: the facts come from the
 * plan's end state (the schema model after every statement of the run), limited to the objects
 * this step's own SQL creates, validates or drops — a column's type and nullability, an index
 * by name and validity, a constraint by name and convalidated, a table or type that exists.
 *
 * The checks run in one DO block inside BEGIN/ROLLBACK (nothing stays behind) with the
 * search_path at pg_catalog, so format_type() schema-qualifies every other type exactly as the
 * model spells it. to_regclass()/to_regtype() return NULL for a missing object, so each failure
 * is a RAISE naming what differs.
 */
#include "mkmig/layout.h"
#include "mkmig/model.h"

#include <string.h>
#include <strings.h>

struct checks {
	struct mm_arena *a;
	struct mm_buf *out;
	struct mm_vec seen;   /* const char *: checks already written (a step may name a thing twice) */
	size_t n;
};

static const char *lit(struct mm_arena *a, const char *s)
{
	struct mm_buf b = MM_BUF_INIT;
	mm_buf_addch(&b, '\'');
	for (; *s; s++)
		*s == '\'' ? mm_buf_adds(&b, "''") : mm_buf_addch(&b, *s);
	mm_buf_addch(&b, '\'');
	const char *r = mm_buf_arena(&b, a);
	mm_buf_release(&b);
	return r;
}

/* An identifier as SQL text spells it: "Quoted" kept, bare folded to lower case. */
static bool ident_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '$';
}

static const char *skip_blanks(const char *p)
{
	while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
		p++;
	return p;
}

static const char *read_ident(struct mm_arena *a, const char **pp)
{
	const char *p = skip_blanks(*pp);
	struct mm_buf b = MM_BUF_INIT;
	if (*p == '"') {
		for (p++; *p && !(*p == '"' && p[1] != '"'); p++) {
			if (*p == '"')
				p++;
			mm_buf_addch(&b, *p);
		}
		if (*p)
			p++;
	} else {
		for (; ident_char(*p); p++)
			mm_buf_addch(&b, (*p >= 'A' && *p <= 'Z') ? (char)(*p - 'A' + 'a') : *p);
	}
	*pp = p;
	const char *r = b.len ? mm_buf_arena(&b, a) : NULL;
	mm_buf_release(&b);
	return r;
}

/* Match a run of keywords at p (case-insensitive, blanks between); returns the end or NULL. */
static const char *keywords(const char *p, const char *const *words)
{
	for (; *words; words++) {
		p = skip_blanks(p);
		size_t n = strlen(*words);
		if (strncasecmp(p, *words, n) || ident_char(p[n]))
			return NULL;
		p += n;
	}
	return p;
}

/* p after optional keywords ("IF NOT EXISTS", "CONCURRENTLY"). */
static const char *optional(const char *p, const char *const *words)
{
	const char *q = keywords(p, words);
	return q ? q : p;
}

/* A name qualified as the model keys it: the last part of a dotted name, and its schema. */
static const char *read_name(struct mm_arena *a, const char **pp, const char **schema)
{
	const char *first = read_ident(a, pp);
	*schema = NULL;
	if (first && **pp == '.') {
		(*pp)++;
		*schema = first;
		return read_ident(a, pp);
	}
	return first;
}

static void check(struct checks *c, const char *cond, const char *what)
{
	for (size_t i = 0; i < c->seen.len; i++)
		if (!strcmp(mm_vec_at(&c->seen, i), cond))
			return;
	mm_vec_push(c->a, &c->seen, (void *)cond);
	mm_buf_addf(c->out, "    IF NOT (%s) THEN\n        RAISE EXCEPTION %s;\n    END IF;\n", cond,
	            lit(c->a, mm_sprintf(c->a, "mkmig verify: %s", what)));
	c->n++;
}

/* An identifier as to_regclass() reads it: quoted unless plain lower case. */
static const char *quote(struct mm_arena *a, const char *id)
{
	bool plain = *id && !(*id >= '0' && *id <= '9');
	for (const char *p = id; *p && plain; p++)
		plain = (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_';
	if (plain)
		return id;
	struct mm_buf b = MM_BUF_INIT;
	mm_buf_addch(&b, '"');
	for (; *id; id++)
		*id == '"' ? mm_buf_adds(&b, "\"\"") : mm_buf_addch(&b, *id);
	mm_buf_addch(&b, '"');
	const char *r = mm_buf_arena(&b, a);
	mm_buf_release(&b);
	return r;
}

static const char *qual(struct mm_arena *a, const char *schema, const char *name)
{
	return mm_sprintf(a, "%s.%s", quote(a, schema), quote(a, name));
}

/* What the step creates is checked where the end state has it (a helper dropped later is not
 * checked at all); what it drops, where the end state has none. */
static void check_column(struct checks *c, const struct mm_table *t, const char *col, bool nullability, bool drop)
{
	struct mm_arena *a = c->a;
	const char *rel = lit(a, qual(a, t->schema, t->name));
	const struct mm_column *k = mm_table_find_column(t, col);
	if (!k != drop)
		return;
	if (drop) {
		check(c, mm_sprintf(a, "NOT EXISTS (SELECT FROM pg_attribute WHERE attrelid = to_regclass(%s) AND attname = %s AND NOT attisdropped)",
		                    rel, lit(a, col)),
		      mm_sprintf(a, "column %s.%s.%s is still there", t->schema, t->name, col));
		return;
	}
	const char *nn = nullability ? (k->not_null ? " AND attnotnull" : " AND NOT attnotnull") : "";
	check(c, mm_sprintf(a, "EXISTS (SELECT FROM pg_attribute WHERE attrelid = to_regclass(%s) AND attname = %s AND NOT attisdropped AND format_type(atttypid, atttypmod) = %s%s)",
	                    rel, lit(a, col), lit(a, k->type), nn),
	      mm_sprintf(a, "column %s.%s.%s is missing or not %s%s", t->schema, t->name, col, k->type,
	                 nullability ? (k->not_null ? " NOT NULL" : " (nullable)") : ""));
}

static void check_index(struct checks *c, const struct mm_model *m, const char *schema, const char *name, bool drop)
{
	struct mm_arena *a = c->a;
	const struct mm_index *ix = mm_model_find_index(m, schema, name);
	const char *rel = lit(a, qual(a, schema, name));
	if (!ix != drop)
		return;
	if (drop) {
		check(c, mm_sprintf(a, "to_regclass(%s) IS NULL", rel), mm_sprintf(a, "index %s.%s is still there", schema, name));
		return;
	}
	check(c, mm_sprintf(a, "EXISTS (SELECT FROM pg_index WHERE indexrelid = to_regclass(%s) AND indrelid = to_regclass(%s) AND indisvalid%s)",
	                    rel, lit(a, qual(a, schema, ix->table)), ix->unique ? " AND indisunique" : ""),
	      mm_sprintf(a, "index %s.%s on %s is missing or INVALID%s", schema, name, ix->table, ix->unique ? " or not unique" : ""));
}

static void check_constraint(struct checks *c, const struct mm_table *t, const char *name, bool validated, bool drop)
{
	struct mm_arena *a = c->a;
	const struct mm_constraint *k = mm_table_find_constraint(t, name);
	const char *rel = lit(a, qual(a, t->schema, t->name));
	if (!k != drop)
		return;
	if (drop) {
		check(c, mm_sprintf(a, "NOT EXISTS (SELECT FROM pg_constraint WHERE conrelid = to_regclass(%s) AND conname = %s)", rel, lit(a, name)),
		      mm_sprintf(a, "constraint %s on %s.%s is still there", name, t->schema, t->name));
		return;
	}
	bool v = validated && k->validated;
	check(c, mm_sprintf(a, "EXISTS (SELECT FROM pg_constraint WHERE conrelid = to_regclass(%s) AND conname = %s%s)", rel, lit(a, name),
	                    v ? " AND convalidated" : ""),
	      mm_sprintf(a, "constraint %s on %s.%s is missing%s", name, t->schema, t->name, v ? " or NOT VALID" : ""));
}

/* The end of the clause starting at p: the next top-level ',' or the end of the statement. */
static const char *clause_end(const char *p)
{
	int depth = 0;
	for (; *p; p++) {
		if (*p == '(')
			depth++;
		else if (*p == ')')
			depth--;
		else if ((*p == ',' || *p == ';') && depth <= 0)
			break;
	}
	return p;
}

static bool clause_has(const char *from, const char *to, const char *phrase)
{
	size_t n = strlen(phrase);
	for (const char *p = from; p + n <= to; p++)
		if (!strncasecmp(p, phrase, n))
			return true;
	return false;
}

/* What one statement of the step makes, checked against the end state; t is the table the
 * step locks (ALTER TABLE's target), or NULL. */
static void scan_sql(struct checks *c, const struct mm_model *m, const struct mm_table *t, const char *sql)
{
	struct mm_arena *a = c->a;
	static const char *const add_col[] = { "ADD", "COLUMN", NULL }, *const ine[] = { "IF", "NOT", "EXISTS", NULL },
	                         *const ie[] = { "IF", "EXISTS", NULL }, *const conc[] = { "CONCURRENTLY", NULL },
	                         *const uniq[] = { "UNIQUE", NULL }, *const index[] = { "INDEX", NULL },
	                         *const add_con[] = { "ADD", "CONSTRAINT", NULL }, *const val[] = { "VALIDATE", "CONSTRAINT", NULL },
	                         *const alter_col[] = { "ALTER", "COLUMN", NULL }, *const set_nn[] = { "SET", "NOT", "NULL", NULL },
	                         *const type[] = { "TYPE", NULL }, *const set_type[] = { "SET", "DATA", "TYPE", NULL },
	                         *const ren_col[] = { "RENAME", "COLUMN", NULL }, *const to[] = { "TO", NULL },
	                         *const drop_col[] = { "DROP", "COLUMN", NULL }, *const drop_con[] = { "DROP", "CONSTRAINT", NULL }, *const drop_idx[] = { "DROP", "INDEX", NULL },
	                         *const create[] = { "CREATE", NULL }, *const table[] = { "TABLE", NULL },
	                         *const ctype[] = { "CREATE", "TYPE", NULL };
	for (const char *p = sql; *p; p++) {
		if (p > sql && ident_char(p[-1]))
			continue;
		const char *q, *schema, *name;
		if (t && (q = keywords(p, add_col))) {
			q = optional(q, ine);
			if ((name = read_ident(a, &q)))
				check_column(c, t, name, clause_has(q, clause_end(q), "NOT NULL"), false);
		} else if (t && (q = keywords(p, alter_col))) {
			if ((name = read_ident(a, &q)) && (keywords(q, set_nn) || keywords(q, type) || keywords(q, set_type)))
				check_column(c, t, name, keywords(q, set_nn) != NULL, false);
		} else if (t && (q = keywords(p, ren_col))) {
			if (read_ident(a, &q) && (q = keywords(q, to)) && (name = read_ident(a, &q)))
				check_column(c, t, name, false, false);
		} else if (t && (q = keywords(p, drop_col))) {
			q = optional(q, ie);
			if ((name = read_ident(a, &q)))
				check_column(c, t, name, false, true);
		} else if (t && (q = keywords(p, drop_con))) {
			q = optional(q, ie);
			if ((name = read_ident(a, &q)))
				check_constraint(c, t, name, false, true);
		} else if (t && (q = keywords(p, add_con))) {
			if ((name = read_ident(a, &q)))
				check_constraint(c, t, name, !clause_has(q, clause_end(q), "NOT VALID"), false);
		} else if (t && (q = keywords(p, val))) {
			if ((name = read_ident(a, &q)))
				check_constraint(c, t, name, true, false);
		} else if ((q = keywords(p, create)) && (q = keywords(optional(q, uniq), index))) {
			q = optional(optional(q, conc), ine);
			if ((name = read_name(a, &q, &schema)))
				check_index(c, m, schema ? schema : t ? t->schema : "public", name, false);
		} else if ((q = keywords(p, drop_idx))) {
			q = optional(optional(q, conc), ie);
			if ((name = read_name(a, &q, &schema)))
				check_index(c, m, schema ? schema : t ? t->schema : "public", name, true);
		} else if ((q = keywords(p, create)) && (q = keywords(q, table))) {
			q = optional(q, ine);
			if ((name = read_name(a, &q, &schema)) && mm_model_find_table(m, schema ? schema : "public", name))
				check(c, mm_sprintf(a, "to_regclass(%s) IS NOT NULL", lit(a, qual(a, schema ? schema : "public", name))),
				      mm_sprintf(a, "table %s.%s is missing", schema ? schema : "public", name));
		} else if ((q = keywords(p, ctype))) {
			if ((name = read_name(a, &q, &schema)))
				check(c, mm_sprintf(a, "to_regtype(%s) IS NOT NULL", lit(a, qual(a, schema ? schema : "public", name))),
				      mm_sprintf(a, "type %s.%s is missing", schema ? schema : "public", name));
		}
	}
}

/* "public.users" / "\"Odd\".\"T\"" (a lock's table, quoted as needed) as the model keys it. */
static const struct mm_table *lock_table(struct mm_arena *a, const struct mm_model *m, const char *text)
{
	const char *p = text, *schema, *name = read_name(a, &p, &schema);
	return name ? mm_model_find_table(m, schema ? schema : "public", name) : NULL;
}

void mm_sqitch_verify(struct mm_ctx *ctx, const struct mm_model *end, const struct mm_out_step *os, struct mm_buf *out)
{
	struct mm_arena *a = &ctx->arena;
	const struct mm_step *s = os->step;
	struct mm_buf body = MM_BUF_INIT;
	struct checks c = { .a = a, .out = &body };
	const struct mm_table *t = NULL;
	for (size_t i = 0; end && i < s->locks.len && !t; i++)
		t = lock_table(a, end, ((const struct mm_lock_use *)mm_vec_at(&s->locks, i))->table);
	for (size_t i = 0; end && i < s->up.len; i++)
		scan_sql(&c, end, t, mm_vec_at(&s->up, i));
	/* Nothing named (a backfill, a guard): the tables it works on are there. */
	for (size_t i = 0; end && !c.n && i < s->locks.len; i++) {
		const struct mm_table *lt = lock_table(a, end, ((const struct mm_lock_use *)mm_vec_at(&s->locks, i))->table);
		if (lt)
			check(&c, mm_sprintf(a, "to_regclass(%s) IS NOT NULL", lit(a, qual(a, lt->schema, lt->name))),
			      mm_sprintf(a, "table %s.%s is missing", lt->schema, lt->name));
	}
	if (!c.n) {
		mm_buf_adds(out, "-- mkmig: this step leaves nothing to check by name.\nSELECT 1;\n");
		mm_buf_release(&body);
		return;
	}
	mm_buf_addf(out,
	            "-- Fails when what step %zu/%zu made is missing or differs (the schema at the end of the change).\n"
	            "BEGIN;\n"
	            "-- format_type() then qualifies every type outside pg_catalog, as the checks spell them.\n"
	            "SET LOCAL search_path = pg_catalog;\n"
	            "DO $mkmig_verify$\nBEGIN\n%s"
	            "END\n$mkmig_verify$;\n"
	            "ROLLBACK;\n",
	            os->number, os->total, body.buf);
	mm_buf_release(&body);
}
