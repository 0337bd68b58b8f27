/*
 * layout_plain.c — no runner: numbered psql scripts, up/<N>_<name>.sql and down/<N>_<name>.sql,
 * each run as `psql -X -v ON_ERROR_STOP=1 -f FILE` in autocommit (ups in order, downs in reverse).
 */
#include "mkmig/layout.h"

#include <string.h>

static int detect(const struct mm_layout_run *run)
{
	int score = 0;
	for (size_t i = 0; i < run->existing.len; i++) {
		const char *name = mm_vec_at(&run->existing, i);
		size_t n = strlen(name);
		if (!strncmp(name, "up/", 3) && name[3] >= '0' && name[3] <= '9' && n > 4 && !strcmp(name + n - 4, ".sql"))
			score += 2;
	}
	return score;
}

static int write(struct mm_layout_run *run, const struct mm_out_step *steps, size_t n)
{
	struct mm_ctx *ctx = run->ctx;
	struct mm_arena *a = &ctx->arena;
	const char **vers = mm_alloc(a, (n + 1) * sizeof(char *));
	/* Numbers continue after the highest up/ script. */
	struct mm_layout_run ups = *run;
	ups.existing = (struct mm_vec){ 0 };
	for (size_t i = 0; i < run->existing.len; i++) {
		const char *name = mm_vec_at(&run->existing, i);
		if (!strncmp(name, "up/", 3))
			mm_vec_push(a, &ups.existing, (void *)(name + 3));
	}
	mm_layout_next_numbers(&ups, "", false, n, vers);
	/* At least four digits, so a plain `ls` lists them in order. */
	for (size_t i = 0; i < n; i++)
		if (strlen(vers[i]) < 4)
			vers[i] = mm_sprintf(a, "%0*d%s", (int)(4 - strlen(vers[i])), 0, vers[i]);
	struct mm_buf b = MM_BUF_INIT;
	for (size_t i = 0; i < n; i++) {
		const struct mm_out_step *os = &steps[i];
		for (int d = 0; d < 2; d++) {
			enum mm_direction dir = d ? MM_DOWN : MM_UP;
			mm_layout_step_comment(ctx, os, dir, "-- ", &b);
			mm_buf_adds(&b, "-- Run with: psql -X -v ON_ERROR_STOP=1 -f FILE (autocommit).\n");
			mm_layout_step_body(ctx, os, dir, &mm_style_psql, &b);
			mm_layout_add(run, mm_sprintf(a, "%s/%s_%s.sql", d ? "down" : "up", vers[i], os->desc), &b, true);
		}
	}
	mm_buf_release(&b);
	return 0;
}

const struct mm_layout mm_layout_plain = {
	.name = "plain",
	.detect = detect,
	.write = write,
};
