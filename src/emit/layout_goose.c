/*
 * layout_goose.c — goose: <N>_<name>.sql with `-- +goose Up` / `-- +goose Down` sections.
 * goose runs a migration in one transaction and splits it at semicolons, so a statement with a
 * body (DO, the retry procedure) sits between StatementBegin/StatementEnd; a non-transactional
 * step gets `-- +goose NO TRANSACTION`, where goose runs each statement on its own (possibly on
 * another pooled connection: no session SET around it).
 */
#include "mkmig/layout.h"

#include <stdlib.h>
#include <string.h>

static const struct mm_sql_style goose_style = {
	.tx = MM_TXW_RUNNER,
	.one_string = true,
	.body_begin = "-- +goose StatementBegin",
	.body_end = "-- +goose StatementEnd",
};

static int detect(const struct mm_layout_run *run)
{
	return mm_layout_detect_marker(run, "-- +goose Up");
}

static int write(struct mm_layout_run *run, const struct mm_out_step *steps, size_t n)
{
	struct mm_ctx *ctx = run->ctx;
	struct mm_arena *a = &ctx->arena;
	const char **vers = mm_alloc(a, (n + 1) * sizeof(char *));
	mm_layout_next_numbers(run, "", false, n, vers);
	struct mm_buf b = MM_BUF_INIT;
	for (size_t i = 0; i < n; i++) {
		const struct mm_out_step *os = &steps[i];
		const struct mm_step *s = os->step;
		bool nontx = s->unit != MM_UNIT_TX;
		if (s->down.len && (s->down_unit != MM_UNIT_TX) != nontx)
			return mm_error(ctx, NULL, 0, 0,
			                "step %zu (%s): its up and down differ in whether they need a transaction, and goose decides that per file",
			                os->number, s->title);
		if (mm_layout_refuse_directives(ctx, os, &mm_directives_goose) != 0) {
			mm_buf_release(&b);
			return -1;
		}
		if (nontx)
			mm_buf_adds(&b, "-- +goose NO TRANSACTION\n");
		mm_buf_adds(&b, "-- +goose Up\n");
		mm_layout_step_comment(ctx, os, MM_UP, "-- ", &b);
		mm_layout_step_body(ctx, os, MM_UP, &goose_style, &b);
		mm_buf_adds(&b, "\n-- +goose Down\n");
		mm_layout_step_comment(ctx, os, MM_DOWN, "-- ", &b);
		mm_layout_step_body(ctx, os, MM_DOWN, &goose_style, &b);
		mm_layout_add(run, mm_sprintf(a, "%s_%s.sql", vers[i], os->desc), &b, true);
	}
	mm_buf_release(&b);
	return 0;
}

const struct mm_layout mm_layout_goose = {
	.name = "goose",
	.detect = detect,
	.write = write,
};
