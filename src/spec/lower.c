/*
 * lower.c — one spec statement to changes: the naive SQL it stands for is generated and parsed
 * by libpg_query (so PostgreSQL's grammar checks every type and expression), then classified by
 * the SQL front end; convert and backfill, which have no one-statement SQL form, become changes
 * of their own kinds. Each piece of generated SQL copied from the spec (a name, a type, an
 * expression) is recorded in a map, so mm_spec_remap_diags can move an error reported anywhere
 * downstream back to the spec's line and column.
 */
#include "spec_internal.h"
#include "spec_grammar.h"
#include "mkmig/model.h"

#include <stdlib.h>
#include <string.h>

/* --- generating SQL with a map ---------------------------------------------------------- */
struct gen {
	struct mm_ctx *ctx;
	struct mm_source *spec;
	const struct mm_spec_stmt *st;
	struct mm_buf b;
	struct mm_vec frags;
};

static void add(struct gen *g, const char *s)
{
	mm_buf_adds(&g->b, s);
}

static void add_mapped(struct gen *g, const char *text, const struct mm_spec_tok *t, bool string)
{
	struct mm_spec_frag *f = mm_alloc(&g->ctx->arena, sizeof(*f));
	f->gen_off = g->b.len;
	mm_buf_adds(&g->b, text);
	f->gen_len = g->b.len - f->gen_off;
	f->src_off = t->off;
	f->src_len = t->len;
	f->string = string;
	mm_vec_push(&g->ctx->arena, &g->frags, f);
}

static const char *fold(struct gen *g, const struct mm_spec_tok *t)
{
	return t->quoted ? t->val : mm_model_fold(&g->ctx->arena, t->val);
}

static void add_ident(struct gen *g, const struct mm_spec_tok *t)
{
	add_mapped(g, mm_sql_ident(&g->ctx->arena, fold(g, t)), t, false);
}

/* Source text of an expression or type token: a string's value, or the word as written. */
static void add_expr(struct gen *g, const struct mm_spec_tok *t)
{
	add_mapped(g, t->val, t, t->type == MM_SPEC_T_STRING);
}

static void add_type(struct gen *g)
{
	const struct mm_spec_stmt *st = g->st;
	if (st->type_first.type == MM_SPEC_T_STRING) {
		add_expr(g, &st->type_first);
		return;
	}
	struct mm_spec_tok span = st->type_first;
	span.len = st->type_last.off + st->type_last.len - span.off;
	add_mapped(g, mm_strndup(&g->ctx->arena, g->spec->text + span.off, span.len), &span, false);
}

/* --- names: what each verb's first name means ----------------------------------------- */
struct target {
	const struct mm_spec_tok *schema, *table, *column;
};

static int want_table(struct gen *g, const struct mm_spec_qname *q, struct target *t)
{
	memset(t, 0, sizeof(*t));
	if (q->n > 2)
		return mm_error_hint(g->ctx, g->spec, q->part[0].off, q->part[2].off + q->part[2].len - q->part[0].off,
		                     "write TABLE or SCHEMA.TABLE", "expected a table name, found a column name");
	t->schema = q->n == 2 ? &q->part[0] : NULL;
	t->table = &q->part[q->n - 1];
	return 0;
}

static int want_column(struct gen *g, const struct mm_spec_qname *q, struct target *t)
{
	memset(t, 0, sizeof(*t));
	if (q->n < 2)
		return mm_error_hint(g->ctx, g->spec, q->part[0].off, q->part[0].len, "write TABLE.COLUMN (or SCHEMA.TABLE.COLUMN)",
		                     "expected a column as TABLE.COLUMN, found '%s'", q->part[0].val);
	t->schema = q->n == 3 ? &q->part[0] : NULL;
	t->table = &q->part[q->n - 2];
	t->column = &q->part[q->n - 1];
	return 0;
}

static int want_plain(struct gen *g, const struct mm_spec_qname *q, const char *what)
{
	if (q->n == 1)
		return 0;
	return mm_error_hint(g->ctx, g->spec, q->part[0].off, q->part[q->n - 1].off + q->part[q->n - 1].len - q->part[0].off,
	                     "the new name stays in the same table and schema: write the name alone",
	                     "expected the new %s name alone, found a dotted name", what);
}

static void add_table(struct gen *g, const struct target *t)
{
	if (t->schema) {
		add_ident(g, t->schema);
		add(g, ".");
	}
	add_ident(g, t->table);
}

static void add_alter(struct gen *g, const struct target *t)
{
	add(g, "ALTER TABLE ");
	add_table(g, t);
	add(g, " ");
}

/* --- which options each verb takes -------------------------------------------------------- */
static const unsigned verb_opts[MM_SV__COUNT] = {
	[MM_SV_RENAME] = 0,
	[MM_SV_RENAME_TABLE] = 0,
	[MM_SV_ADD_COLUMN] = MM_SO_NOT_NULL | MM_SO_NULL | MM_SO_DEFAULT | MM_SO_BACKFILL | MM_SO_BATCH_SIZE,
	[MM_SV_DROP_COLUMN] = 0,
	[MM_SV_DROP_TABLE] = 0,
	[MM_SV_ADD_INDEX] = MM_SO_UNIQUE | MM_SO_WHERE | MM_SO_NAME,
	[MM_SV_DROP_INDEX] = 0,
	[MM_SV_ADD_FK] = MM_SO_NAME | MM_SO_ON_DELETE | MM_SO_ON_UPDATE,
	[MM_SV_ADD_CHECK] = MM_SO_NAME,
	[MM_SV_ADD_UNIQUE] = MM_SO_NAME,
	[MM_SV_SET_NOT_NULL] = 0,
	[MM_SV_DROP_NOT_NULL] = 0,
	[MM_SV_CHANGE_TYPE] = MM_SO_USING,
	[MM_SV_CONVERT] = MM_SO_USING | MM_SO_BACK | MM_SO_NOT_NULL | MM_SO_BATCH_SIZE,
	[MM_SV_BACKFILL] = MM_SO_USING | MM_SO_WHERE | MM_SO_BATCH_SIZE,
};

static int check_opts(struct gen *g)
{
	const struct mm_spec_stmt *st = g->st;
	/* lock-timeout applies to every statement: each takes its short locks under it. */
	unsigned bad = st->opts & ~(verb_opts[st->verb] | MM_SO_LOCK_TIMEOUT);
	if (!bad)
		return 0;
	int bit = __builtin_ctz(bad);
	const struct mm_spec_tok *kw = &st->opt_tok[bit];
	return mm_error_hint(g->ctx, g->spec, kw->off, kw->len,
	                     mm_sprintf(&g->ctx->arena, "see 'mkmig %s --help' for its options", mm_spec_verb_name(st->verb)),
	                     "'%s' does not apply to %s", kw->val, mm_spec_verb_name(st->verb));
}

static bool has(const struct gen *g, enum mm_spec_opt o)
{
	return (g->st->opts & (unsigned)o) != 0;
}

static int require(struct gen *g, enum mm_spec_opt o, const char *word, const char *example)
{
	if (has(g, o))
		return 0;
	const struct mm_spec_stmt *st = g->st;
	return mm_error_hint(g->ctx, g->spec, st->off + st->len, 1, example, "%s: expected '%s', found the end of the statement",
	                     mm_spec_verb_name(st->verb), word);
}

/* --- expressions: one SQL expression each, checked on their own ---------------------------- */
static struct mm_spec_genmap *register_map(struct gen *g, struct mm_spec *spec, const char *text)
{
	struct mm_arena *a = &g->ctx->arena;
	struct mm_spec_genmap *m = mm_alloc(a, sizeof(*m));
	m->gen = mm_source_new(a, g->spec->name, text, strlen(text));
	m->spec = g->spec;
	m->stmt_off = g->st->off;
	m->stmt_len = g->st->len;
	m->frags = g->frags;
	mm_vec_push(a, &spec->maps, m);
	return m;
}

/* The expression as a tree, NULL after an error (pointing into the spec). An expression must be
 * one: "1); DROP TABLE x; --" is refused, not spliced into the generated SQL. */
static PgQuery__Node *expression_in(struct gen *outer, struct mm_spec *spec, const struct mm_spec_tok *t, const char *what,
                                    struct mm_source **where)
{
	if (!*t->val) {
		mm_error_hint(outer->ctx, outer->spec, t->off, t->len ? t->len : 1,
		              "quotes hold SQL text: the empty string literal is ''''", "%s is empty", what);
		return NULL;
	}
	struct gen g = { .ctx = outer->ctx, .spec = outer->spec, .st = outer->st };
	add(&g, "SELECT (");
	add_expr(&g, t);
	add(&g, ")");
	char *text = mm_buf_arena(&g.b, &g.ctx->arena);
	mm_buf_release(&g.b);
	struct mm_spec_genmap *m = register_map(&g, spec, text);
	if (where)
		*where = m->gen;
	struct mm_stmt_list l = { 0 };
	if (mm_sql_parse(g.ctx, m->gen, &l) != 0)
		return NULL;
	PgQuery__SelectStmt *sel = l.items.len == 1 && ((struct mm_stmt *)l.items.items[0])->node->node_case ==
	                                                   PG_QUERY__NODE__NODE_SELECT_STMT
	                               ? ((struct mm_stmt *)l.items.items[0])->node->select_stmt
	                               : NULL;
	if (!sel || sel->n_target_list != 1 || sel->n_from_clause || sel->where_clause || sel->n_group_clause ||
	    sel->having_clause || sel->n_sort_clause || sel->limit_count || sel->op != PG_QUERY__SET_OPERATION__SETOP_NONE) {
		mm_error_hint(g.ctx, g.spec, t->off, t->len, "write one SQL expression, such as 'price * 100'",
		              "%s is not one SQL expression", what);
		return NULL;
	}
	return sel->target_list[0]->res_target->val;
}

static PgQuery__Node *expression(struct gen *outer, struct mm_spec *spec, const struct mm_spec_tok *t, const char *what)
{
	return expression_in(outer, spec, t, what, NULL);
}

/* A type on its own, so an error points into it rather than past the statement. */
static int check_type(struct gen *outer, struct mm_spec *spec)
{
	struct gen g = { .ctx = outer->ctx, .spec = outer->spec, .st = outer->st };
	add(&g, "SELECT CAST(NULL AS ");
	add_type(&g);
	add(&g, ")");
	char *text = mm_buf_arena(&g.b, &g.ctx->arena);
	mm_buf_release(&g.b);
	struct mm_spec_genmap *m = register_map(&g, spec, text);
	struct mm_stmt_list l = { 0 };
	if (mm_sql_parse(g.ctx, m->gen, &l) != 0)
		return -1;
	if (l.items.len != 1) {
		const struct mm_spec_tok *t = &outer->st->type_first;
		return mm_error(g.ctx, g.spec, t->off, t->len, "not one SQL type");
	}
	return 0;
}

/* --- statements ----------------------------------------------------------------------------- */
static void add_cols(struct gen *g, const struct mm_spec_tok *first, const struct mm_vec *more)
{
	add(g, "(");
	if (first)
		add_ident(g, first);
	for (size_t i = 0; i < more->len; i++) {
		if (first || i)
			add(g, ", ");
		add_ident(g, more->items[i]);
	}
	add(g, ")");
}

static void add_constraint_name(struct gen *g)
{
	add(g, "ADD ");
	if (has(g, MM_SO_NAME)) {
		add(g, "CONSTRAINT ");
		add_ident(g, &g->st->name);
		add(g, " ");
	}
}

/* set-null is SET NULL: the dash keeps the action one word on the command line. */
static void add_action(struct gen *g, const struct mm_spec_tok *t)
{
	char *w = mm_strdup(&g->ctx->arena, t->val);
	for (char *p = w; *p; p++)
		if (*p == '-')
			*p = ' ';
	add_mapped(g, w, t, t->type == MM_SPEC_T_STRING);
}

/* The SQL of verbs that are one naive statement (or two, for add-column with a backfill). */
static int naive_sql(struct gen *g, struct mm_spec *spec)
{
	const struct mm_spec_stmt *st = g->st;
	struct target t;
	switch (st->verb) {
	case MM_SV_RENAME:
		if (want_column(g, &st->target, &t) || want_plain(g, &st->other, "column"))
			return -1;
		add_alter(g, &t);
		add(g, "RENAME COLUMN ");
		add_ident(g, t.column);
		add(g, " TO ");
		add_ident(g, &st->other.part[0]);
		return 0;
	case MM_SV_RENAME_TABLE:
		if (want_table(g, &st->target, &t) || want_plain(g, &st->other, "table"))
			return -1;
		add_alter(g, &t);
		add(g, "RENAME TO ");
		add_ident(g, &st->other.part[0]);
		return 0;
	case MM_SV_ADD_COLUMN:
		if (want_column(g, &st->target, &t) || check_type(g, spec))
			return -1;
		add_alter(g, &t);
		add(g, "ADD COLUMN ");
		add_ident(g, t.column);
		add(g, " ");
		add_type(g);
		if (has(g, MM_SO_DEFAULT)) {
			if (!expression(g, spec, &st->def, "the default"))
				return -1;
			add(g, " DEFAULT ");
			add_expr(g, &st->def);
		}
		if (has(g, MM_SO_NOT_NULL) && !has(g, MM_SO_BACKFILL))
			add(g, " NOT NULL");
		if (has(g, MM_SO_BACKFILL)) {
			if (!expression(g, spec, &st->backfill, "the backfill expression"))
				return -1;
			add(g, ";\nUPDATE ");
			add_table(g, &t);
			add(g, " SET ");
			add_ident(g, t.column);
			add(g, " = (");
			add_expr(g, &st->backfill);
			add(g, ")");
			if (has(g, MM_SO_NOT_NULL)) {
				add(g, ";\n");
				add_alter(g, &t);
				add(g, "ALTER COLUMN ");
				add_ident(g, t.column);
				add(g, " SET NOT NULL");
			}
		}
		return 0;
	case MM_SV_DROP_COLUMN:
	case MM_SV_SET_NOT_NULL:
	case MM_SV_DROP_NOT_NULL:
		if (want_column(g, &st->target, &t))
			return -1;
		add_alter(g, &t);
		add(g, st->verb == MM_SV_DROP_COLUMN ? "DROP COLUMN " : "ALTER COLUMN ");
		add_ident(g, t.column);
		if (st->verb != MM_SV_DROP_COLUMN)
			add(g, st->verb == MM_SV_SET_NOT_NULL ? " SET NOT NULL" : " DROP NOT NULL");
		return 0;
	case MM_SV_DROP_TABLE:
	case MM_SV_DROP_INDEX:
		if (want_table(g, &st->target, &t))
			return -1;
		add(g, st->verb == MM_SV_DROP_TABLE ? "DROP TABLE " : "DROP INDEX ");
		add_table(g, &t);
		return 0;
	case MM_SV_ADD_INDEX:
		if (want_table(g, &st->target, &t))
			return -1;
		add(g, has(g, MM_SO_UNIQUE) ? "CREATE UNIQUE INDEX " : "CREATE INDEX ");
		if (has(g, MM_SO_NAME)) {
			add_ident(g, &st->name);
			add(g, " ");
		}
		add(g, "ON ");
		add_table(g, &t);
		add(g, " (");
		for (size_t i = 0; i < st->elems.len; i++) {
			const struct mm_spec_tok *e = st->elems.items[i];
			if (i)
				add(g, ", ");
			/* A word is a column; a call or a string is an expression. */
			if (e->type == MM_SPEC_T_WORD && !strchr(e->val, '(')) {
				add_ident(g, e);
				continue;
			}
			if (!expression(g, spec, e, "an index element"))
				return -1;
			add(g, "(");
			add_expr(g, e);
			add(g, ")");
		}
		add(g, ")");
		if (has(g, MM_SO_WHERE)) {
			if (!expression(g, spec, &st->where, "the WHERE condition"))
				return -1;
			add(g, " WHERE ");
			add_expr(g, &st->where);
		}
		return 0;
	case MM_SV_ADD_FK: {
		if (want_column(g, &st->target, &t))
			return -1;
		add_alter(g, &t);
		add_constraint_name(g);
		add(g, "FOREIGN KEY ");
		add_cols(g, t.column, &st->elems);
		add(g, " REFERENCES ");
		const struct mm_spec_qname *o = &st->other;
		/* references TABLE, TABLE.COLUMN or SCHEMA.TABLE.COLUMN */
		struct target rt = { .schema = o->n == 3 ? &o->part[0] : NULL, .table = &o->part[o->n >= 2 ? o->n - 2 : 0] };
		add_table(g, &rt);
		if (o->n >= 2) {
			add(g, " ");
			add_cols(g, &o->part[o->n - 1], &st->ref_cols);
		}
		if (has(g, MM_SO_ON_DELETE)) {
			add(g, " ON DELETE ");
			add_action(g, &st->on_delete_first);
		}
		if (has(g, MM_SO_ON_UPDATE)) {
			add(g, " ON UPDATE ");
			add_action(g, &st->on_update_first);
		}
		return 0;
	}
	case MM_SV_ADD_CHECK:
		if (want_table(g, &st->target, &t) || !expression(g, spec, &st->using_, "the CHECK condition"))
			return -1;
		add_alter(g, &t);
		add_constraint_name(g);
		add(g, "CHECK (");
		add_expr(g, &st->using_);
		add(g, ")");
		return 0;
	case MM_SV_ADD_UNIQUE:
		if (want_column(g, &st->target, &t))
			return -1;
		add_alter(g, &t);
		add_constraint_name(g);
		add(g, "UNIQUE ");
		add_cols(g, t.column, &st->elems);
		return 0;
	case MM_SV_CHANGE_TYPE:
		if (want_column(g, &st->target, &t) || check_type(g, spec))
			return -1;
		add_alter(g, &t);
		add(g, "ALTER COLUMN ");
		add_ident(g, t.column);
		add(g, " TYPE ");
		add_type(g);
		if (has(g, MM_SO_USING)) {
			if (!expression(g, spec, &st->using_, "the USING expression"))
				return -1;
			add(g, " USING ");
			add_expr(g, &st->using_);
		}
		return 0;
	case MM_SV_CONVERT:
		if (want_column(g, &st->target, &t) || want_plain(g, &st->other, "column") ||
		    require(g, MM_SO_USING, "using", "convert T.OLD to NEW TYPE using 'EXPR' [back 'EXPR']") || check_type(g, spec))
			return -1;
		/* What the model learns: the naive end state. */
		add_alter(g, &t);
		add(g, "ADD COLUMN IF NOT EXISTS ");
		add_ident(g, &st->other.part[0]);
		add(g, " ");
		add_type(g);
		if (has(g, MM_SO_NOT_NULL))
			add(g, " NOT NULL");
		add(g, ", DROP COLUMN ");
		add_ident(g, t.column);
		return 0;
	case MM_SV_BACKFILL:
		if (want_column(g, &st->target, &t) || require(g, MM_SO_USING, "using", "backfill T.COLUMN using 'EXPR' [where 'COND']") ||
		    !expression(g, spec, &st->using_, "the backfill expression"))
			return -1;
		if (has(g, MM_SO_WHERE) && !expression(g, spec, &st->where, "the WHERE condition"))
			return -1;
		add(g, "UPDATE ");
		add_table(g, &t);
		add(g, " SET ");
		add_ident(g, t.column);
		add(g, " = (");
		add_expr(g, &st->using_);
		add(g, ")");
		if (has(g, MM_SO_WHERE)) {
			add(g, " WHERE ");
			add_expr(g, &st->where);
		}
		return 0;
	case MM_SV__COUNT:
		break;
	}
	MM_BUG("verb %d has no lowering", (int)st->verb);
}

static struct mm_change *own_change(struct mm_ctx *ctx, enum mm_change_kind kind, const struct mm_stmt *stmt)
{
	struct mm_change *c = mm_alloc(&ctx->arena, sizeof(*c));
	c->kind = kind;
	c->stmt = stmt;
	c->node = stmt->node;
	c->loc = stmt->off;
	c->sub_count = 1;
	return c;
}

static int convert_change(struct gen *g, struct mm_spec *spec, const struct mm_stmt *stmt, struct mm_change_list *out)
{
	struct mm_arena *a = &g->ctx->arena;
	const struct mm_spec_stmt *st = g->st;
	struct mm_convert *cv = mm_alloc(a, sizeof(*cv));
	cv->old_col = fold(g, &st->target.part[st->target.n - 1]);
	cv->new_col = fold(g, &st->other.part[0]);
	PgQuery__AlterTableStmt *at = stmt->node->alter_table_stmt;
	cv->type_name = at->cmds[0]->alter_table_cmd->def->column_def->type_name;
	cv->type = mm_sql_deparse_type(g->ctx, cv->type_name);
	cv->forward = expression_in(g, spec, &st->using_, "the using expression", &cv->forward_src);
	cv->back = has(g, MM_SO_BACK) ? expression_in(g, spec, &st->back, "the back expression", &cv->back_src) : NULL;
	cv->not_null = has(g, MM_SO_NOT_NULL);
	/* The new column's name, for "already exists with another type": the first mapped name
	 * after the table's. */
	const struct mm_spec_frag *nf = NULL;
	for (size_t i = 0; i < g->frags.len && !nf; i++) {
		const struct mm_spec_frag *f = g->frags.items[i];
		if (f->src_off == st->other.part[0].off)
			nf = f;
	}
	cv->new_off = nf ? nf->gen_off : stmt->off;
	cv->new_len = nf ? nf->gen_len : stmt->len;
	if (!cv->forward || (has(g, MM_SO_BACK) && !cv->back) || !cv->type)
		return -1;
	struct mm_change *c = own_change(g->ctx, MM_CH_CONVERT, stmt);
	c->relation = at->relation;
	c->convert = cv;
	mm_vec_push(a, &out->items, c);
	return 0;
}

int mm_spec_lower(struct mm_ctx *ctx, struct mm_spec *spec, struct mm_source *src, const struct mm_spec_stmt *st,
                  struct mm_change_list *out)
{
	struct gen g = { .ctx = ctx, .spec = src, .st = st };
	if (check_opts(&g) != 0 || naive_sql(&g, spec) != 0) {
		mm_buf_release(&g.b);
		return -1;
	}
	char *text = mm_buf_arena(&g.b, &ctx->arena);
	mm_buf_release(&g.b);
	struct mm_spec_genmap *m = register_map(&g, spec, text);
	struct mm_stmt_list stmts = { 0 };
	if (mm_sql_parse(ctx, m->gen, &stmts) != 0)
		return -1;
	long batch = 0;
	if (has(&g, MM_SO_BATCH_SIZE)) {
		batch = strtol(st->batch.val, NULL, 10);
		if (batch < 1 || batch > 100000000 || strchr(st->batch.val, '.'))
			return mm_error(ctx, src, st->batch.off, st->batch.len, "batch-size: expected a whole number from 1 to 100000000");
	}
	long lock_timeout = 0;
	if (has(&g, MM_SO_LOCK_TIMEOUT)) {
		lock_timeout = strtol(st->lock_timeout.val, NULL, 10);
		if (lock_timeout < 1 || lock_timeout > 2147483647L || strchr(st->lock_timeout.val, '.'))
			return mm_error(ctx, src, st->lock_timeout.off, st->lock_timeout.len,
			                "lock-timeout: expected milliseconds, a whole number from 1");
	}
	size_t first = out->items.len;
	if (st->verb == MM_SV_CONVERT) {
		if (convert_change(&g, spec, stmts.items.items[0], out) != 0)
			return -1;
	} else {
		for (size_t i = 0; i < stmts.items.len; i++) {
			struct mm_stmt *s = stmts.items.items[i];
			if (s->node->node_case == PG_QUERY__NODE__NODE_UPDATE_STMT) {
				struct mm_change *c = own_change(ctx, MM_CH_BACKFILL, s);
				c->relation = s->node->update_stmt->relation;
				mm_vec_push(&ctx->arena, &out->items, c);
				continue;
			}
			struct mm_stmt_list one = { 0 };
			mm_vec_push(&ctx->arena, &one.items, s);
			mm_changes_from_stmts(ctx, &one, out);
		}
	}
	for (size_t i = first; i < out->items.len; i++)
	{
		((struct mm_change *)out->items.items[i])->batch_size = batch;
		((struct mm_change *)out->items.items[i])->lock_timeout_ms = (int)lock_timeout;
	}
	return 0;
}
