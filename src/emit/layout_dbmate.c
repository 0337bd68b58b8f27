/*
 * layout_dbmate.c — dbmate: <yyyymmddHHMMSS>_<name>.sql with `-- migrate:up` and the required
 * `-- migrate:down` (formats.md §5). dbmate sends each section as one string, inside BEGIN/COMMIT
 * unless the directive says transaction:false — then the section must be exactly one statement.
 * One up/down pair per file: several would insert the version twice.
 */
#include "mkmig/layout.h"

#include <stdlib.h>
#include <string.h>

static const struct mm_sql_style dbmate_style = { .tx = MM_TXW_RUNNER, .one_string = true };

static int detect(const struct mm_layout_run *run)
{
	return mm_layout_detect_marker(run, "-- migrate:up");
}

static int section(struct mm_ctx *ctx, const struct mm_out_step *os, enum mm_direction dir, struct mm_buf *b)
{
	const struct mm_step *s = os->step;
	enum mm_unit unit = dir == MM_UP ? s->unit : s->down_unit;
	const struct mm_vec *stmts = dir == MM_UP ? &s->up : &s->down;
	if (unit != MM_UNIT_TX && stmts->len > 1)
		return mm_error(ctx, NULL, 0, 0,
		                "step %zu (%s) has %zu statements that must run outside a transaction; dbmate sends a section as one string, so it can hold only one",
		                os->number, s->title, stmts->len);
	mm_buf_addf(b, "-- migrate:%s%s\n", dir == MM_UP ? "up" : "down", unit != MM_UNIT_TX ? " transaction:false" : "");
	mm_layout_step_comment(ctx, os, dir, "-- ", b);
	mm_layout_step_body(ctx, os, dir, &dbmate_style, b);
	return 0;
}

static int write(struct mm_layout_run *run, const struct mm_out_step *steps, size_t n)
{
	struct mm_ctx *ctx = run->ctx;
	struct mm_arena *a = &ctx->arena;
	const char **vers = mm_alloc(a, (n + 1) * sizeof(char *));
	mm_layout_next_numbers(run, "", true, n, vers);
	struct mm_buf b = MM_BUF_INIT;
	for (size_t i = 0; i < n; i++) {
		if (mm_layout_refuse_directives(ctx, &steps[i], &mm_directives_dbmate) != 0 ||
		    section(ctx, &steps[i], MM_UP, &b) != 0) {
			mm_buf_release(&b);
			return -1;
		}
		mm_buf_addch(&b, '\n');
		if (section(ctx, &steps[i], MM_DOWN, &b) != 0)
			return -1;
		mm_layout_add(run, mm_sprintf(a, "%s_%s.sql", vers[i], steps[i].desc), &b, true);
	}
	mm_buf_release(&b);
	return 0;
}

const struct mm_layout mm_layout_dbmate = {
	.name = "dbmate",
	.detect = detect,
	.write = write,
};
