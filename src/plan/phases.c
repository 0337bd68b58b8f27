/*
 * phases.c — which steps an output holds, and the guard that opens the contract phase.
 *
 * The one place that decides the split at the checkpoint: the psql script, the migration-tool
 * layouts and the down scripts all ask mm_plan_selects, so "printed now" and "held back" are the
 * same steps everywhere. The guard is a step of its own (the first of the contract phase), so
 * every emitter writes it without knowing about it: it refuses, with a RAISE naming what is
 * missing, to let the contract run before the expand and backfill phases completed — a contract
 * run early drops the column the application still reads.
 */
#include "plan_internal.h"

#include <string.h>

const struct mm_checkpoint *mm_plan_checkpoint_first(const struct mm_plan *plan)
{
	return plan->first_checkpoint;
}

enum mm_phase mm_plan_first_checkpoint(const struct mm_plan *plan)
{
	const struct mm_checkpoint *c = mm_plan_checkpoint_first(plan);
	return c ? c->before : MM_PHASE__COUNT;
}

const char *mm_plan_checkpoint_message(struct mm_ctx *ctx, const struct mm_plan *plan, enum mm_phase ph)
{
	struct mm_buf b = MM_BUF_INIT;
	for (size_t i = 0; i < plan->checkpoints.len; i++) {
		const struct mm_checkpoint *c = mm_vec_at(&plan->checkpoints, i);
		bool seen = false;
		for (size_t k = 0; k < i && !seen; k++) {
			const struct mm_checkpoint *o = mm_vec_at(&plan->checkpoints, k);
			seen = o->before == ph && strcmp(o->message, c->message) == 0;
		}
		if (c->before == ph && !seen)
			mm_buf_addf(&b, "%s%s", b.len ? "; " : "", c->message);
	}
	const char *s = b.len ? mm_buf_arena(&b, &ctx->arena) : NULL;
	mm_buf_release(&b);
	return s;
}

bool mm_plan_selects(const struct mm_plan *plan, const struct mm_step *s, enum mm_phase_sel sel)
{
	bool before = s->phase < mm_plan_first_checkpoint(plan);
	switch (sel) {
	case MM_SEL_UNTIL_CHECKPOINT:
		return before;
	case MM_SEL_CONTRACT:
		return !before;
	case MM_SEL_ALL:
		return true;
	}
	MM_BUG("bad phase selection %d", (int)sel);
}

size_t mm_plan_count(const struct mm_plan *plan, enum mm_phase_sel sel)
{
	size_t n = 0;
	for (size_t i = 0; i < plan->steps.len; i++)
		n += mm_plan_selects(plan, mm_vec_at(&plan->steps, i), sel);
	return n;
}

void mm_plan_contract_guard(struct mm_ctx *ctx, struct mm_plan *plan, const char *done, const char *ready,
                            const char *pending, const char *fmt, ...)
{
	struct mm_guard *g = mm_alloc(&ctx->arena, sizeof(*g));
	g->done = done;
	g->ready = ready;
	g->pending = pending;
	va_list ap;
	va_start(ap, fmt);
	g->message = mm_vsprintf(&ctx->arena, fmt, ap);
	va_end(ap);
	mm_vec_push(&ctx->arena, &plan->guards, g);
}

void mm_plan_add_guard_step(struct mm_ctx *ctx, struct mm_plan *plan)
{
	struct mm_arena *a = &ctx->arena;
	enum mm_phase cp = mm_plan_first_checkpoint(plan);
	size_t at = plan->steps.len;
	for (size_t i = 0; i < plan->steps.len && at == plan->steps.len; i++)
		if (((struct mm_step *)mm_vec_at(&plan->steps, i))->phase >= cp)
			at = i;
	if (!plan->guards.len || at == plan->steps.len)
		return;
	struct mm_step *first = mm_vec_at(&plan->steps, at);
	struct mm_step *g = mm_alloc(a, sizeof(*g));
	g->phase = first->phase;
	g->unit = MM_UNIT_TX;
	g->down_unit = MM_UNIT_TX;
	g->change = first->change;
	g->title = "guard: refuse to start the contract phase before the expand and backfill phases completed";
	g->plpgsql = true;
	/* The checks read the tables (pending rows), without blocking anyone: no time limit. */
	g->no_timeout = true;
	g->why = "the contract drops what the previous application version uses; run early (the backfill "
	         "unfinished, the sync trigger missing) it would lose writes or break that version";
	/* Nested IFs, not one boolean: PL/pgSQL plans an expression only when it runs, and the
	 * pending query names columns that exist only once the expand phase ran. */
	for (size_t i = 0; i < plan->guards.len; i++) {
		const struct mm_guard *gd = mm_vec_at(&plan->guards, i);
		const char *raise = mm_sprintf(a, "RAISE EXCEPTION USING MESSAGE = %s,\n        HINT = 'run the expand and "
		                                  "backfill phases first (the script mkmig prints without --phase contract), "
		                                  "then deploy, then this'",
		                               mm_sql_literal(a, mm_sprintf(a, "mkmig: %s", gd->message)));
		struct mm_buf b = MM_BUF_INIT;
		const char *in = gd->done ? "    " : "";
		if (gd->done)
			mm_buf_addf(&b, "IF NOT (%s) THEN\n", gd->done);
		mm_buf_addf(&b, "%sIF NOT (%s) THEN\n%s    %s;\n%sEND IF", in, gd->ready, in, raise, in);
		if (gd->pending)
			mm_buf_addf(&b, ";\n%sIF EXISTS (%s) THEN\n%s    %s;\n%sEND IF", in, gd->pending, in, raise, in);
		if (gd->done)
			mm_buf_adds(&b, ";\nEND IF");
		mm_vec_push(a, &g->up, mm_buf_arena(&b, a));
		mm_buf_release(&b);
	}
	/* Insert before the first contract step. */
	mm_vec_push(a, &plan->steps, NULL);
	memmove(&plan->steps.items[at + 1], &plan->steps.items[at], (plan->steps.len - 1 - at) * sizeof(void *));
	plan->steps.items[at] = g;
}
