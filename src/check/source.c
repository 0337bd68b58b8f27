/*
 * source.c — checks one migration file: parse, transaction and runner context, the plan's
 * hazards per change, statement rules; then the model has learned the file (the planner replays
 * each change into it), so the next file is judged against the schema this one leaves.
 */
#include "check_internal.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

char *ck_buf_take(struct mm_buf *b, struct mm_arena *a)
{
	char *s = mm_buf_arena(b, a);
	mm_buf_release(b);
	return s;
}

static bool excluded(const struct mm_check *c, const struct mm_check_rule *r)
{
	for (size_t i = 0; i < c->opt.excludes.len; i++) {
		const char *e = mm_vec_at(&c->opt.excludes, i);
		if (strcmp(e, r->id) == 0 || strcmp(e, mm_check_category_name(r->category)) == 0)
			return true;
	}
	return false;
}

/* '-- mkmig:ignore a, b' lists rule ids; a bare '-- mkmig:ignore' ignores every rule. */
static bool ignored(const char *list, const char *id)
{
	if (!list)
		return false;
	const char *p = list;
	while (*p == ' ' || *p == '\t')
		p++;
	if (!*p)
		return true;
	size_t n = strlen(id);
	for (const char *q = strstr(p, id); q; q = strstr(q + 1, id)) {
		bool start = q == p || strchr(" ,\t", q[-1]);
		bool end = !q[n] || strchr(" ,\t\r", q[n]);
		if (start && end)
			return true;
	}
	return false;
}

struct mm_finding *ck_add(struct ck_file *f, const struct ck_stmt *s, const char *rule_id, size_t off, size_t len,
                          const char *fmt, ...)
{
	const struct mm_check_rule *r = mm_check_rule_find(rule_id);
	if (!r)
		MM_BUG("check rule %s is not in the table", rule_id);
	if (excluded(f->c, r) || ignored(s->ignore, rule_id))
		return NULL;
	struct mm_finding *x = mm_alloc(&f->ctx->arena, sizeof(*x));
	x->rule = r;
	x->severity = r->category == MM_CHECK_CAT_STYLE ? MM_WARNING : MM_ERROR;
	x->src = f->src;
	x->off = off;
	if (!len) {
		size_t ls, le;
		mm_source_line(f->src, off, &ls, &le);
		const char *end = s->st->src->text + s->st->off + s->st->len;
		size_t stop = (size_t)(end - f->src->text);
		len = (le < stop ? le : stop) - off;
	}
	x->len = len ? len : 1;
	x->stmt_off = s->st->off;
	x->stmt_len = s->st->len;
	x->rows = -1;
	x->bytes = -1;
	x->seconds = -1;
	va_list ap;
	va_start(ap, fmt);
	struct mm_buf b = MM_BUF_INIT;
	mm_buf_vaddf(&b, fmt, ap);
	va_end(ap);
	x->message = ck_buf_take(&b, &f->ctx->arena);
	mm_vec_push(&f->ctx->arena, &f->c->findings, x);
	return x;
}

/* The text after 'mkmig:ignore' on the line before the statement, if that line is a comment. */
static const char *ignore_comment(struct mm_ctx *ctx, struct mm_source *src, size_t off)
{
	size_t ls, le;
	mm_source_line(src, off, &ls, &le);
	if (ls == 0)
		return NULL;
	size_t ps, pe;
	mm_source_line(src, ls - 1, &ps, &pe);
	const char *line = mm_strndup(&ctx->arena, src->text + ps, pe - ps);
	const char *dash = strstr(line, "--");
	const char *m = dash ? strstr(dash, "mkmig:ignore") : NULL;
	return m ? m + strlen("mkmig:ignore") : NULL;
}

/* Planner errors that only say the schema is unknown (no --schema/--dir/--db, or objects made
 * inside a DO block): in check they mean "the planner cannot build the fix", not bad input. The
 * statement is still a hazard of its kind (a rename breaks the application whatever the schema),
 * reported with the planner's message and hint instead of a fix. */
static void soften_errors(struct ck_file *f, size_t first, const struct mm_change_list *changes)
{
	struct mm_diags *d = &f->ctx->diags;
	size_t keep = first;
	for (size_t i = first; i < d->items.len; i++) {
		struct mm_diag *dg = mm_vec_at(&d->items, i);
		const struct mm_change *ch = NULL;
		for (size_t k = 0; k < changes->items.len && !ch && dg->src == f->src; k++) {
			const struct mm_change *c = mm_vec_at(&changes->items, k);
			if (dg->off >= c->stmt->off && dg->off <= c->stmt->off + c->stmt->len)
				ch = c;
		}
		if (dg->severity != MM_ERROR || !ch) {
			d->items.items[keep++] = dg;
			continue;
		}
		d->nerrors--;
		if (f->c->model->known) {
			/* Named after a DO block: said, not judged. */
			dg->severity = MM_WARNING;
			d->items.items[keep++] = dg;
			continue;
		}
		size_t si = 0;
		while (si < f->n && f->stmts[si].st != ch->stmt)
			si++;
		const char *rule = ck_rule_for_change(ch);
		struct mm_finding *x = ck_add(f, &f->stmts[si], rule, ch->loc, 0, "%s", mm_check_rule_find(rule)->summary);
		if (x)
			x->note = dg->hint ? mm_sprintf(&f->ctx->arena, "%s (%s)", dg->message, dg->hint) : dg->message;
	}
	d->items.len = keep;
}

struct ordered {
	struct mm_finding *x;
	size_t seq;
};

static int cmp_ordered(const void *pa, const void *pb)
{
	const struct ordered *a = pa, *b = pb;
	if (a->x->off != b->x->off)
		return a->x->off < b->x->off ? -1 : 1;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

/* The file's findings in source order, one per rule and statement (the subcommands of one ALTER
 * TABLE share it). */
static void order_findings(struct mm_check *c, size_t first)
{
	size_t n = c->findings.len - first;
	struct ordered *o = mm_alloc(&c->ctx->arena, (n ? n : 1) * sizeof(*o));
	for (size_t i = 0; i < n; i++)
		o[i] = (struct ordered){ mm_vec_at(&c->findings, first + i), i };
	qsort(o, n, sizeof(*o), cmp_ordered);
	size_t k = first;
	for (size_t i = 0; i < n; i++) {
		bool dup = false;
		for (size_t j = first; j < k && !dup; j++) {
			const struct mm_finding *g = mm_vec_at(&c->findings, k - 1 - (j - first));
			if (g->stmt_off != o[i].x->stmt_off)
				break;
			dup = g->rule == o[i].x->rule;
		}
		if (!dup)
			c->findings.items[k++] = o[i].x;
	}
	c->findings.len = k;
}

int mm_check_source(struct mm_check *c, struct mm_source *src, const struct mm_check_runner *runner)
{
	struct mm_ctx *ctx = c->ctx;
	struct mm_stmt_list stmts = { 0 };
	struct ck_file f = { .c = c, .ctx = ctx, .src = src, .runner = runner };
	/* mkmig's own output: the statements inside its retry calls are judged as written there. */
	if (mm_sql_parse_unwrapped(ctx, src, &stmts, &f.calls) != 0)
		return -1;
	f.n = stmts.items.len;
	f.stmts = mm_alloc(&ctx->arena, (f.n ? f.n : 1) * sizeof(*f.stmts));
	for (size_t i = 0, k = 0; i < f.n; i++) {
		f.stmts[i].st = mm_vec_at(&stmts.items, i);
		f.stmts[i].ignore = ignore_comment(ctx, src, f.stmts[i].st->off);
		size_t off = f.stmts[i].st->off;
		while (k < f.calls.len && ((const struct mm_sql_helper_call *)mm_vec_at(&f.calls, k))->off +
		                                  ((const struct mm_sql_helper_call *)mm_vec_at(&f.calls, k))->len <= off)
			k++;
		if (k < f.calls.len && ((const struct mm_sql_helper_call *)mm_vec_at(&f.calls, k))->off <= off)
			f.stmts[i].call = k + 1;
	}
	c->nfiles++;
	c->nstmts += f.n;
	size_t first = c->findings.len;
	ck_transactions(&f);
	ck_note_do_tables(&f);

	/* Transaction control is the file's (judged above): the planner, which decides transactions
	 * itself, refuses it, so it sees the other statements only. */
	struct mm_stmt_list planned = { 0 };
	for (size_t i = 0; i < f.n; i++)
		if (f.stmts[i].st->node->node_case != PG_QUERY__NODE__NODE_TRANSACTION_STMT)
			mm_vec_push(&ctx->arena, &planned.items, (void *)f.stmts[i].st);
	struct mm_change_list changes = { 0 };
	mm_changes_from_stmts(ctx, &planned, &changes);
	struct mm_plan plan = { 0 };
	size_t ndiags = ctx->diags.items.len, nerrors = ctx->diags.nerrors;
	int rc = mm_plan_build(ctx, c->model, &changes, &plan);
	/* A DO block may create what a later statement names; the model cannot see inside it. */
	bool has_do = false;
	for (size_t i = 0; i < f.n && !has_do; i++)
		has_do = f.stmts[i].st->node->node_case == PG_QUERY__NODE__NODE_DO_STMT;
	if ((!c->model->known || has_do || c->incomplete) && ctx->diags.nerrors > nerrors) {
		soften_errors(&f, ndiags, &changes);
		rc = 0;
	}
	if (ctx->diags.nerrors > nerrors)
		return -1;
	ck_judge(&f, &changes, &plan);
	for (size_t i = 0; i < f.n; i++)
		ck_style(&f, &f.stmts[i]);
	order_findings(c, first);
	return rc;
}

bool mm_check_failed(const struct mm_check *c)
{
	for (size_t i = 0; i < c->findings.len; i++) {
		const struct mm_finding *x = mm_vec_at(&c->findings, i);
		if (x->severity != MM_NOTE)
			return true;
	}
	return false;
}
