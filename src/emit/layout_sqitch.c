/*
 * layout_sqitch.c — sqitch (formats.md §4): a change per step, deploy/<name>.sql,
 * revert/<name>.sql and verify/<name>.sql, and its line appended to sqitch.plan (the one edit
 * sqitch requires). sqitch runs each script with `psql -f` in a fresh session and adds no
 * transaction: a transactional step says BEGIN/COMMIT itself, a non-transactional one does not.
 * The planner comes from SQITCH_FULLNAME / SQITCH_EMAIL (as sqitch itself reads them).
 */
#include "mkmig/layout.h"
#include "mkmig/model.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

static const struct mm_sql_style sqitch_style = { .tx = MM_TXW_FILE };

static int detect(const struct mm_layout_run *run)
{
	for (size_t i = 0; i < run->existing.len; i++)
		if (!strcmp(mm_vec_at(&run->existing, i), "sqitch.plan"))
			return 5;
	return 0;
}

/* Is name already a change of the plan (a line starting with it, then a blank)? */
static bool planned(const char *plan, const char *name)
{
	size_t n = strlen(name);
	for (const char *l = plan; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL)
		if (!strncmp(l, name, n) && (l[n] == ' ' || l[n] == '\t'))
			return true;
	return false;
}

static const char *env_or(const char *name, const char *dflt)
{
	const char *v = getenv(name);
	return v && *v ? v : dflt;
}

/* The schema at the end of the change: the directory (earlier runs included, as mkmig.sum
 * records them) plus this run's statements. Loaded in a context of its own, so a directory the
 * loader cannot read costs only the checks (NULL), not the run. */
static struct mm_model *end_state(struct mm_layout_run *run, struct mm_ctx *tmp)
{
	mm_ctx_init(tmp);
	tmp->opt = run->ctx->opt;
	struct mm_model *m = mm_model_new(tmp);
	if (mm_model_load_dir(m, run->dir) != 0 ||
	    (run->naive_sql && mm_model_load_text(m, "the statements of this run", run->naive_sql) != 0) || tmp->diags.nerrors)
		return NULL;
	return m;
}

static int write(struct mm_layout_run *run, const struct mm_out_step *steps, size_t n)
{
	struct mm_ctx *ctx = run->ctx;
	struct mm_arena *a = &ctx->arena;
	char *plan;
	size_t plan_len;
	const char *plan_path = mm_sprintf(a, "%s/sqitch.plan", run->dir);
	if (mm_read_file(plan_path, &plan, &plan_len, 1 << 26) != 0)
		return mm_error(ctx, NULL, 0, 0, "%s: cannot read it: sqitch needs a plan (sqitch init)", plan_path);
	struct mm_buf lines = MM_BUF_INIT, b = MM_BUF_INIT;
	if (plan_len && plan[plan_len - 1] != '\n')
		mm_buf_addch(&lines, '\n');
	const char *who = mm_sprintf(a, "%s <%s>", env_or("SQITCH_FULLNAME", "mkmig"), env_or("SQITCH_EMAIL", "mkmig@localhost"));
	const char **names = mm_alloc(a, (n + 1) * sizeof(char *));
	struct mm_ctx tmp;
	const struct mm_model *end = end_state(run, &tmp);
	for (size_t i = 0; i < n; i++) {
		const struct mm_out_step *os = &steps[i];
		/* A name may appear once between tags: number repeats. */
		const char *name = os->desc;
		for (int k = 2; planned(plan, name) || planned(lines.buf, name); k++)
			name = mm_sprintf(a, "%s_%d", os->desc, k);
		names[i] = name;
		time_t t = (time_t)(run->now + (long long)i);
		struct tm tm;
		gmtime_r(&t, &tm);
		mm_buf_addf(&lines, "%s %04d-%02d-%02dT%02d:%02d:%02dZ %s # mkmig step %zu/%zu: %s\n", name,
		            tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, who, os->number,
		            os->total, os->step->title);
		for (int d = 0; d < 2; d++) {
			enum mm_direction dir = d ? MM_DOWN : MM_UP;
			enum mm_unit unit = d ? os->step->down_unit : os->step->unit;
			mm_buf_addf(&b, "-- %s %s\n", d ? "Revert" : "Deploy", name);
			mm_layout_step_comment(ctx, os, dir, "-- ", &b);
			if (unit != MM_UNIT_TX)
				mm_buf_adds(&b, "-- No BEGIN/COMMIT on purpose: this step cannot run inside a transaction block.\n");
			if (d && !os->step->down.len)
				mm_buf_adds(&b, "-- nothing to undo\n");
			mm_layout_step_body(ctx, os, dir, &sqitch_style, &b);
			mm_layout_add(run, mm_sprintf(a, "%s/%s.sql", d ? "revert" : "deploy", name), &b, true);
		}
		mm_buf_addf(&b, "-- Verify %s\n", name);
		mm_sqitch_verify(ctx, end, os, &b);
		mm_layout_add(run, mm_sprintf(a, "verify/%s.sql", name), &b, true);
	}
	mm_layout_append(run, "sqitch.plan", plan, plan_len, &lines);
	mm_ctx_release(&tmp);
	free(plan);
	mm_buf_release(&lines);
	mm_buf_release(&b);
	return 0;
}

/* sqitch's registry keeps the SHA-1 of each deploy script (`sqitch check` compares it). */
static const char *checksum(struct mm_arena *a, const char *path, const char *text, size_t len)
{
	if (strncmp(path, "deploy/", 7))
		return NULL;
	char hex[41];
	mm_sha1_hex(text, len, hex);
	return mm_sprintf(a, "sqitch-sha1:%s", hex);
}

const struct mm_layout mm_layout_sqitch = {
	.name = "sqitch",
	.runner_sum = "sqitch-sha1",
	.detect = detect,
	.write = write,
	.checksum = checksum,
};
