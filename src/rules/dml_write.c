/*
 * dml_write.c — the write of one batch of a batched UPDATE / DELETE (dml.c): the statement as
 * written, restricted to the batch's keys (the CTE mkmig_keys(mkmig_k1, ...)) and returning a row
 * per row written. Built on its text where that is safe (mm_rule_batch_write_text), else on its
 * tree (dml.c, with the key condition from mm_rule_key_eq).
 */
#include "common.h"

#include <string.h>

static PgQuery__Node *column_ref(struct mm_arena *a, const char *rel, const char *col)
{
	PgQuery__ColumnRef *c = mm_alloc(a, sizeof(*c));
	pg_query__column_ref__init(c);
	c->n_fields = 2;
	c->fields = mm_alloc(a, 2 * sizeof(*c->fields));
	c->fields[0] = mm_sql_string_node(a, rel);
	c->fields[1] = mm_sql_string_node(a, col);
	c->location = -1;
	PgQuery__Node *n = mm_alloc(a, sizeof(*n));
	pg_query__node__init(n);
	n->node_case = PG_QUERY__NODE__NODE_COLUMN_REF;
	n->column_ref = c;
	return n;
}

/* (ref.k1, ...) as a row, or ref.k1 alone: one side of the key condition. */
static PgQuery__Node *key_side(struct mm_arena *a, PgQuery__Node **items, size_t n)
{
	if (n == 1)
		return items[0];
	PgQuery__RowExpr *row = mm_alloc(a, sizeof(*row));
	pg_query__row_expr__init(row);
	row->n_args = n;
	row->args = items;
	row->row_format = PG_QUERY__COERCION_FORM__COERCE_IMPLICIT_CAST;
	row->location = -1;
	PgQuery__Node *node = mm_alloc(a, sizeof(*node));
	pg_query__node__init(node);
	node->node_case = PG_QUERY__NODE__NODE_ROW_EXPR;
	node->row_expr = row;
	return node;
}

/* (ref.k1, ...) = (mkmig_keys.mkmig_k1, ...) over the primary key of table, built as the tree
 * the parser would give (one per batched statement: cheaper than printing and parsing it). */
PgQuery__Node *mm_rule_key_eq(struct mm_arena *a, const struct mm_table *table, const char *ref)
{
	const struct mm_constraint *pk = mm_table_primary_key(table);
	size_t n = pk->columns.len;
	PgQuery__Node **l = mm_alloc(a, n * sizeof(*l)), **k = mm_alloc(a, n * sizeof(*k));
	for (size_t i = 0; i < n; i++) {
		l[i] = column_ref(a, ref, mm_vec_at(&pk->columns, i));
		k[i] = column_ref(a, "mkmig_keys", mm_sprintf(a, "mkmig_k%zu", i + 1));
	}
	PgQuery__AExpr *e = mm_alloc(a, sizeof(*e));
	pg_query__a__expr__init(e);
	e->kind = PG_QUERY__A__EXPR__KIND__AEXPR_OP;
	e->n_name = 1;
	e->name = mm_alloc(a, sizeof(*e->name));
	e->name[0] = mm_sql_string_node(a, "=");
	e->lexpr = key_side(a, l, n);
	e->rexpr = key_side(a, k, n);
	e->location = -1;
	PgQuery__Node *node = mm_alloc(a, sizeof(*node));
	pg_query__node__init(node);
	node->node_case = PG_QUERY__NODE__NODE_A_EXPR;
	node->a_expr = e;
	return node;
}

static bool kw(const struct mm_token *t, const char *word)
{
	return t->keyword && strcmp(t->keyword, word) == 0;
}

static bool is_comment(const char *text, const struct mm_token *t)
{
	return t->end > t->start + 1 && (!strncmp(text + t->start, "--", 2) || !strncmp(text + t->start, "/*", 2));
}

/* The statement as written, joined with this batch's keys, ending in RETURNING 1, by editing its
 * text (a deparse per statement was a fifth of the compile): "mkmig_keys," goes first in the
 * statement's own FROM (UPDATE) / USING (DELETE), or a FROM / USING mkmig_keys before its WHERE;
 * the WHERE becomes "WHERE <key condition> AND (<its condition>)". Both are found as keywords
 * outside parentheses after the UPDATE / DELETE keyword: the only such FROM that is not the
 * statement's own is IS [NOT] DISTINCT FROM, and WITH, subqueries and function arguments are
 * parenthesised. RETURNING and WHERE CURRENT OF never get here (kept whole). NULL when the text
 * is not of that shape. */
const char *mm_rule_batch_write_text(struct mm_rule_ctx *r, const char *ref, const struct mm_vec *cols)
{
	struct mm_arena *a = &r->ctx->arena;
	bool update = r->ch->node->node_case == PG_QUERY__NODE__NODE_UPDATE_STMT;
	const char *text = r->ch->stmt->text;
	struct mm_token *tk;
	long n = mm_sql_scan(r->ctx, text, &tk);
	while (n > 0 && (is_comment(text, &tk[n - 1]) || tk[n - 1].ch == ';'))
		n--;
	long first = 0, verb = -1, list = -1, where = -1;
	while (first < n && is_comment(text, &tk[first]))
		first++;
	int depth = 0;
	for (long i = first; i < n; i++) {
		if (tk[i].ch == '(' || tk[i].ch == '[')
			depth++;
		else if (tk[i].ch == ')' || tk[i].ch == ']')
			depth--;
		if (depth != 0)
			continue;
		if (verb < 0) {
			if (kw(&tk[i], update ? "update" : "delete"))
				verb = i;
		} else if (where < 0 && list < 0 && kw(&tk[i], update ? "from" : "using") &&
		           !(update && kw(&tk[i - 1], "distinct"))) {
			list = i;
		} else if (where < 0 && kw(&tk[i], "where")) {
			where = i;
		} else if (kw(&tk[i], "returning") || kw(&tk[i], "current")) {
			return NULL;
		}
	}
	if (verb < 0 || depth != 0 || n <= first)
		return NULL;
	struct mm_buf b = MM_BUF_INIT;
	for (size_t i = 0; i < cols->len; i++)
		mm_buf_addf(&b, "%s%s.%s", i ? ", " : cols->len > 1 ? "(" : "", mm_sql_ident(a, ref),
		            (const char *)mm_vec_at(cols, i));
	mm_buf_adds(&b, cols->len > 1 ? ") = (" : " = ");
	for (size_t i = 0; i < cols->len; i++)
		mm_buf_addf(&b, "%smkmig_keys.mkmig_k%zu", i ? ", " : "", i + 1);
	if (cols->len > 1)
		mm_buf_addch(&b, ')');
	const char *keyeq = mm_buf_arena(&b, a);
	mm_buf_reset(&b);
	size_t start = tk[first].start, end = tk[n - 1].end;
	size_t at = list >= 0 ? tk[list].end : where >= 0 ? tk[where].start : end;
	mm_buf_add(&b, text + start, at - start);
	if (list >= 0)
		mm_buf_adds(&b, " mkmig_keys,");
	else
		mm_buf_adds(&b, update ? (where >= 0 ? "FROM mkmig_keys " : " FROM mkmig_keys") : (where >= 0 ? "USING mkmig_keys " : " USING mkmig_keys"));
	if (where >= 0) {
		mm_buf_add(&b, text + at, tk[where].end - at);
		mm_buf_addf(&b, " %s AND (", keyeq);
		mm_buf_add(&b, text + tk[where + 1].start, end - tk[where + 1].start);
		mm_buf_adds(&b, ")");
	} else {
		mm_buf_add(&b, text + at, end - at);
		mm_buf_addf(&b, " WHERE %s", keyeq);
	}
	mm_buf_adds(&b, " RETURNING 1");
	const char *sql = mm_buf_arena(&b, a);
	mm_buf_release(&b);
	/* On one line, as the other batch statements, where only blanks between tokens span lines
	 * (not a literal, where they are data, nor a -- comment, which ends at its line's end). */
	bool one_line = true;
	for (long i = first; i < n && one_line; i++)
		one_line = !memchr(text + tk[i].start, '\n', tk[i].end - tk[i].start) &&
		           strncmp(text + tk[i].start, "--", 2) != 0;
	if (one_line && strpbrk(sql, "\r\n")) {
		char *flat = mm_alloc(a, strlen(sql) + 1), *o = flat;
		for (const char *c = sql; *c; c++) {
			if (*c != '\n' && *c != '\r') {
				*o++ = *c;
				continue;
			}
			while (o > flat && (o[-1] == ' ' || o[-1] == '\t'))
				o--;
			while (c[1] == ' ' || c[1] == '\t' || c[1] == '\n' || c[1] == '\r')
				c++;
			*o++ = ' ';
		}
		*o = '\0';
		sql = flat;
	}
#ifndef NDEBUG
	/* The test build proves every edit parses (the release build trusts the scan above). */
	size_t ndiags = r->ctx->diags.items.len;
	if (!mm_sql_parse_one(r->ctx, sql, "batched statement"))
		MM_BUG("batched statement does not parse: %s", sql);
	r->ctx->diags.items.len = ndiags;
#endif
	return sql;
}
