/*
 * cmd_filter.c — the default verb (naive SQL in, one psql-runnable script out, or with --down
 * the script that undoes it) and `mkmig plan` (the same compilation, explained).
 */
#include "cli.h"
#include "mkmig/emit.h"
#include "mkmig/layout.h"

/* Front end → model → changes → plan. Returns 0, or -1 with errors in ctx. */
static int compile(struct mm_ctx *ctx, struct cli_args *args, struct mm_plan *plan)
{
	struct mm_model *model;
	if (cli_load_model(ctx, args, &model) != 0)
		return -1;
	struct mm_stmt_list stmts = { 0 };
	if (cli_read_inputs(ctx, args, &stmts) != 0)
		return -1;
	struct mm_change_list changes = { 0 };
	mm_changes_from_stmts(ctx, &stmts, &changes);
	return mm_plan_build(ctx, model, &changes, plan);
}

/* Warnings that must reach a person even when the script goes to a file. */
static void report_warnings(struct mm_ctx *ctx, const struct mm_plan *plan, bool down)
{
	for (size_t i = 0; i < plan->steps.len; i++) {
		const struct mm_step *s = mm_vec_at(&plan->steps, i);
		const char *w = down ? s->down_warning : s->warning;
		if (w)
			mm_warn(ctx, s->change->stmt->src, s->change->stmt->off, s->change->stmt->len, "%s", w);
	}
}

int cmd_filter(struct mm_ctx *ctx, struct cli_args *args)
{
	struct mm_plan plan = { 0 };
	const struct mm_layout *layout = NULL;
	if (args->out && args->down) {
		mm_error(ctx, NULL, 0, 0, "--out writes the downs beside the ups; --down is for the filter's script");
		return MM_EXIT_USAGE;
	}
	if ((args->out && cli_out_prepare(ctx, args, &layout) != 0) || compile(ctx, args, &plan) != 0 ||
	    ctx->diags.nerrors)
		return MM_EXIT_USAGE;
	report_warnings(ctx, &plan, args->down);
	if (args->out)
		return cli_out_write(ctx, args, layout, &plan, false) ? MM_EXIT_USAGE : MM_EXIT_OK;
	struct mm_buf out = MM_BUF_INIT;
	mm_emit_psql(ctx, &plan, args->down ? MM_DOWN : MM_UP, &out);
	fwrite(out.buf, 1, out.len, stdout);
	mm_buf_release(&out);
	return MM_EXIT_OK;
}

int cmd_plan(struct mm_ctx *ctx, struct cli_args *args)
{
	struct mm_plan plan = { 0 };
	const struct mm_layout *layout = NULL;
	if ((args->out && cli_out_prepare(ctx, args, &layout) != 0) || compile(ctx, args, &plan) != 0 ||
	    ctx->diags.nerrors)
		return MM_EXIT_USAGE;
	struct mm_buf out = MM_BUF_INIT;
	mm_emit_plan_text(ctx, &plan, &out);
	fwrite(out.buf, 1, out.len, stdout);
	mm_buf_release(&out);
	if (args->out) {
		fputc('\n', stdout);
		fflush(stdout);
		if (cli_out_write(ctx, args, layout, &plan, true) != 0)
			return MM_EXIT_USAGE;
	}
	return MM_EXIT_OK;
}
