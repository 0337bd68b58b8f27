/*
 * dump.c — the model as canonical text: one line per fact, sorted, definitions in canonical form
 * (canon.c). Two sources describe the same schema exactly when their dumps are equal; that is
 * the test of the model, and `mkmig debug schema` prints it.
 */
#include "model_internal.h"

#include <stdlib.h>
#include <string.h>

static const char *const kind_words[] = {
	[MM_REL_TABLE] = "table", [MM_REL_PARTITIONED] = "partitioned", [MM_REL_VIEW] = "view",
	[MM_REL_MATVIEW] = "matview", [MM_REL_FOREIGN] = "foreign",
};
static const char *const contype_words[] = {
	[MM_CON_CHECK] = "check", [MM_CON_FOREIGN] = "foreign-key", [MM_CON_PRIMARY] = "primary-key",
	[MM_CON_UNIQUE] = "unique", [MM_CON_EXCLUSION] = "exclusion",
};
static const char *const volatility_words[] = {
	[MM_VOL_UNKNOWN] = "unknown", [MM_VOL_IMMUTABLE] = "immutable", [MM_VOL_STABLE] = "stable",
	[MM_VOL_VOLATILE] = "volatile",
};

struct lines {
	struct mm_arena *a;
	struct mm_vec v;
};

static void line(struct lines *l, const char *fmt, ...) MM_PRINTF(2, 3);
static void line(struct lines *l, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	mm_vec_push(l->a, &l->v, mm_vsprintf(l->a, fmt, ap));
	va_end(ap);
}

static const char *joined(struct mm_arena *a, const struct mm_vec *v)
{
	struct mm_buf b = MM_BUF_INIT;
	for (size_t i = 0; i < v->len; i++) {
		if (i)
			mm_buf_addch(&b, ',');
		const char *s = mm_vec_at(v, i);
		mm_buf_add_ident(&b, s && *s ? s : "(expr)");
	}
	char *s = mm_buf_arena(&b, a);
	mm_buf_release(&b);
	return s;
}

static void dump_column(struct mm_model *m, struct lines *l, const char *rel, const struct mm_table *t,
                        const struct mm_column *c)
{
	struct mm_buf b = MM_BUF_INIT;
	mm_buf_addf(&b, "column %s.", rel);
	mm_buf_add_ident(&b, c->name);
	mm_buf_addf(&b, " type=%s", c->type);
	if (c->not_null)
		mm_buf_adds(&b, " not-null");
	if (c->collation)
		mm_buf_addf(&b, " collate=%s", mm_sql_ident(l->a, c->collation));
	if (c->identity)
		mm_buf_addf(&b, " identity=%s", c->identity == 'a' ? "always" : "by-default");
	if (c->generated)
		mm_buf_addf(&b, " generated=(%s)", mm_model_canon_expr(m, c->generation_expr, t->schema));
	/* An identity column's default is its sequence, which the catalog does not show as one. */
	if (c->default_expr && !c->identity)
		mm_buf_addf(&b, " default=(%s)", mm_model_canon_expr(m, c->default_expr, t->schema));
	mm_vec_push(l->a, &l->v, mm_buf_arena(&b, l->a));
	mm_buf_release(&b);
}

static void dump_table(struct mm_model *m, struct lines *l, const struct mm_table *t, bool with_estimates)
{
	struct mm_arena *a = l->a;
	const char *rel = mm_sql_qname(a, t->schema, t->name);
	struct mm_buf b = MM_BUF_INIT;
	mm_buf_addf(&b, "relation %s kind=%s", rel, kind_words[t->kind]);
	if (t->partition_parent)
		mm_buf_addf(&b, " partition-of=%s", mm_sql_qname(a, t->partition_parent_schema, t->partition_parent));
	if (t->partition_key)
		mm_buf_addf(&b, " partition-key=%s", t->partition_key);
	mm_vec_push(a, &l->v, mm_buf_arena(&b, a));
	mm_buf_release(&b);
	if (with_estimates)
		line(l, "estimate %s rows=%.0f bytes=%lld", rel, t->est_rows, (long long)t->est_bytes);
	for (size_t i = 0; i < t->columns.len; i++)
		dump_column(m, l, rel, t, mm_vec_at(&t->columns, i));
	for (size_t i = 0; i < t->constraints.len; i++) {
		const struct mm_constraint *c = mm_vec_at(&t->constraints, i);
		line(l, "constraint %s.%s type=%s%s%s%s index=%s def=%s", rel, mm_sql_ident(a, c->name), contype_words[c->type],
		     c->validated ? "" : " not-valid", c->deferrable ? " deferrable" : "", c->deferred ? " deferred" : "",
		     c->index_name ? mm_sql_ident(a, c->index_name) : "-", mm_model_canon_constraint(m, c->definition));
	}
	for (size_t i = 0; i < t->indexes.len; i++) {
		const struct mm_index *ix = mm_vec_at(&t->indexes, i);
		line(l, "index %s.%s on=%s%s%s%s%s cols=%s def=%s", mm_sql_ident(a, t->schema), mm_sql_ident(a, ix->name), rel,
		     ix->valid ? "" : " invalid", ix->unique ? " unique" : "", ix->primary ? " primary" : "",
		     ix->parent_index ? mm_sprintf(a, " parent=%s", mm_sql_ident(a, ix->parent_index)) : "",
		     joined(a, &ix->columns), mm_model_canon_index(m, ix->definition));
	}
	for (size_t i = 0; i < t->triggers.len; i++) {
		const struct mm_trigger *tg = mm_vec_at(&t->triggers, i);
		line(l, "trigger %s.%s type=%d function=%s", rel, mm_sql_ident(a, tg->name), tg->type, tg->function);
	}
	if (t->kind == MM_REL_VIEW || t->kind == MM_REL_MATVIEW)
		line(l, "view %s reads=%s", rel, joined(a, &t->view_deps));
}

static int cmp_line(const void *x, const void *y)
{
	return strcmp(*(const char *const *)x, *(const char *const *)y);
}

void mm_model_dump(const struct mm_model *cm, struct mm_buf *out, bool with_estimates)
{
	/* Canonicalising parses text into the ctx arena; the model itself is not changed. */
	struct mm_model *m = (struct mm_model *)cm;
	struct lines l = { &m->ctx->arena, { 0 } };
	struct mm_arena *a = l.a;
	for (size_t i = 0; i < m->schemas.len; i++)
		line(&l, "schema %s", mm_sql_ident(a, mm_vec_at(&m->schemas, i)));
	for (size_t i = 0; i < m->tables.len; i++)
		if (strcmp(((struct mm_table *)mm_vec_at(&m->tables, i))->schema, "pg_temp") != 0)
			dump_table(m, &l, mm_vec_at(&m->tables, i), with_estimates);
	for (size_t i = 0; i < m->sequences.len; i++) {
		const struct mm_sequence *s = mm_vec_at(&m->sequences, i);
		line(&l, "sequence %s type=%s owned-by=%s", mm_sql_qname(a, s->schema, s->name), s->type,
		     s->owner_table ? mm_sprintf(a, "%s.%s", mm_sql_ident(a, s->owner_table), mm_sql_ident(a, s->owner_column)) : "-");
	}
	for (size_t i = 0; i < m->enums.len; i++) {
		const struct mm_enum *e = mm_vec_at(&m->enums, i);
		line(&l, "enum %s labels=%s", mm_sql_qname(a, e->schema, e->name), joined(a, &e->labels));
	}
	for (size_t i = 0; i < m->functions.len; i++) {
		const struct mm_function *f = mm_vec_at(&m->functions, i);
		line(&l, "function %s(%s) returns=%s %s language=%s", mm_sql_qname(a, f->schema, f->name), f->args ? f->args : "",
		     f->returns ? f->returns : "-", volatility_words[f->volatility], f->language ? f->language : "-");
	}
	qsort(l.v.items, l.v.len, sizeof(void *), cmp_line);
	for (size_t i = 0; i < l.v.len; i++) {
		mm_buf_adds(out, mm_vec_at(&l.v, i));
		mm_buf_addch(out, '\n');
	}
}
