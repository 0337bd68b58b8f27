/*
 * layout_golang_migrate.c — golang-migrate: <N>_<title>.up.sql / .down.sql per step (formats.md
 * §3). The postgres driver sends a whole file as one string and adds no transaction: a
 * transactional step says BEGIN/COMMIT itself, a non-transactional one is exactly one statement
 * (several would run as one implicit transaction, where CONCURRENTLY fails).
 */
#include "mkmig/layout.h"

#include <string.h>

static const struct mm_sql_style gm_style = { .tx = MM_TXW_FILE, .one_string = true };

static bool gm_name(const char *b)
{
	size_t d = 0;
	while (b[d] >= '0' && b[d] <= '9')
		d++;
	size_t n = strlen(b);
	return d && b[d] == '_' &&
	       ((n > 7 && !strcmp(b + n - 7, ".up.sql")) || (n > 9 && !strcmp(b + n - 9, ".down.sql")));
}

static int detect(const struct mm_layout_run *run)
{
	int score = 0;
	for (size_t i = 0; i < run->existing.len; i++)
		if (!strchr((const char *)mm_vec_at(&run->existing, i), '/') && gm_name(mm_vec_at(&run->existing, i)))
			score += 2;
	return score;
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
		for (int d = 0; d < 2; d++) {
			enum mm_direction dir = d ? MM_DOWN : MM_UP;
			enum mm_unit unit = d ? os->step->down_unit : os->step->unit;
			const struct mm_vec *stmts = d ? &os->step->down : &os->step->up;
			if (unit != MM_UNIT_TX && stmts->len > 1)
				return mm_error(ctx, NULL, 0, 0,
				                "step %zu (%s) has %zu statements that must run outside a transaction; golang-migrate sends a file as one string, so it can hold only one",
				                os->number, os->step->title, stmts->len);
			mm_layout_step_comment(ctx, os, dir, "-- ", &b);
			if (unit != MM_UNIT_TX)
				mm_buf_adds(&b, "-- Outside a transaction: must stay the only statement in this file.\n");
			if (!stmts->len)
				mm_buf_adds(&b, "-- nothing to undo\nSELECT 1;\n");
			mm_layout_step_body(ctx, os, dir, &gm_style, &b);
			mm_layout_add(run, mm_sprintf(a, "%s_%s.%s.sql", vers[i], os->desc, d ? "down" : "up"), &b, true);
		}
	}
	mm_buf_release(&b);
	return 0;
}

const struct mm_layout mm_layout_golang_migrate = {
	.name = "golang-migrate",
	.detect = detect,
	.write = write,
};
