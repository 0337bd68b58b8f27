/*
 * created.c — tables a DO block of the input creates. The model does not read PL/pgSQL, so a
 * table made inside a DO block (mkmig's own work tables for a batched UPDATE that moves its key,
 * or a hand-written conditional CREATE TABLE) is unknown to it, and a later DROP TABLE of it
 * would be judged as the drop of a table the application uses. A table this input created is
 * new: nobody uses it yet, whatever the statement that made it.
 */
#include "check_internal.h"

#include <string.h>

struct do_table {
	const char *schema; /* NULL when unqualified */
	const char *name;
	size_t file, off;   /* the file (its number in the run) and offset of the DO block */
};

static const char *word(struct mm_arena *a, const char *text, const struct mm_token *t)
{
	const char *w = mm_strndup(a, text + t->start, t->end - t->start);
	return mm_model_fold(a, w);
}

static bool kw(const struct mm_token *t, const char *k)
{
	return t->keyword && strcmp(t->keyword, k) == 0;
}

/* CREATE [GLOBAL|LOCAL] [TEMP|TEMPORARY|UNLOGGED] TABLE [IF NOT EXISTS] [schema.]name */
static void scan_body(struct ck_file *f, const char *body, size_t off)
{
	struct mm_arena *a = &f->ctx->arena;
	struct mm_token *t;
	size_t ndiag = f->ctx->diags.items.len, nerr = f->ctx->diags.nerrors;
	long n = mm_sql_scan(f->ctx, body, &t);
	if (n < 0) {
		/* Not SQL we can tokenise: the model knows nothing of it, as before. */
		f->ctx->diags.items.len = ndiag;
		f->ctx->diags.nerrors = nerr;
		return;
	}
	for (long i = 0; i < n; i++) {
		if (!kw(&t[i], "create"))
			continue;
		long k = i + 1;
		if (k < n && (kw(&t[k], "global") || kw(&t[k], "local")))
			k++;
		if (k < n && (kw(&t[k], "temp") || kw(&t[k], "temporary") || kw(&t[k], "unlogged")))
			k++;
		if (k >= n || !kw(&t[k], "table"))
			continue;
		k++;
		if (k + 2 < n && kw(&t[k], "if") && kw(&t[k + 1], "not") && kw(&t[k + 2], "exists"))
			k += 3;
		if (k >= n || !t[k].ident)
			continue;
		const char *schema = NULL, *name = word(a, body, &t[k]);
		if (k + 2 < n && t[k + 1].ch == '.' && t[k + 2].ident) {
			schema = name;
			name = word(a, body, &t[k + 2]);
		}
		/* The first creation is the one that counts (mkmig's output makes its progress table
		 * in every batched step): one entry per name keeps the lookups short. */
		bool known = false;
		for (size_t i2 = 0; i2 < f->c->do_tables.len && !known; i2++) {
			const struct do_table *e = mm_vec_at(&f->c->do_tables, i2);
			known = strcmp(e->name, name) == 0 && mm_streq(e->schema, schema);
		}
		if (known)
			continue;
		struct do_table *d = mm_alloc(a, sizeof(*d));
		d->schema = schema;
		d->name = name;
		d->file = f->c->nfiles;
		d->off = off;
		mm_vec_push(a, &f->c->do_tables, d);
	}
}

void ck_note_do_tables(struct ck_file *f)
{
	for (size_t i = 0; i < f->n; i++) {
		const PgQuery__Node *n = f->stmts[i].st->node;
		if (n->node_case != PG_QUERY__NODE__NODE_DO_STMT)
			continue;
		const PgQuery__DoStmt *d = n->do_stmt;
		for (size_t k = 0; k < d->n_args; k++) {
			const PgQuery__Node *e = d->args[k];
			if (e->node_case == PG_QUERY__NODE__NODE_DEF_ELEM && strcmp(e->def_elem->defname, "as") == 0 &&
			    e->def_elem->arg && e->def_elem->arg->node_case == PG_QUERY__NODE__NODE_STRING)
				scan_body(f, e->def_elem->arg->string->sval, f->stmts[i].st->off);
		}
	}
}

bool ck_created_in_do(const struct ck_file *f, const char *schema, const char *name, size_t off)
{
	const char *def = mm_model_default_schema(f->c->model);
	schema = schema && schema[0] ? schema : def;
	for (size_t i = 0; i < f->c->do_tables.len; i++) {
		const struct do_table *d = mm_vec_at(&f->c->do_tables, i);
		if (d->file > f->c->nfiles || (d->file == f->c->nfiles && d->off >= off))
			continue;
		if (strcmp(d->name, name) == 0 && mm_streq(d->schema ? d->schema : def, schema))
			return true;
	}
	return false;
}
