/*
 * cmd_check.c — `mkmig check [FILE|DIR]...`: every input file is judged against the schema the
 * model holds (from --schema/--dir/--db, then each earlier input file), in order; a DIR is read
 * in its migration tool's order. The report goes to stdout in the chosen format; exit 1 when a
 * hazard (error or warning) was found, 2 on bad input.
 */
#include "cli.h"
#include "mkmig/check.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Default --small-table: with --db, a table of at most this many rows is scanned or rewritten in
 * milliseconds, so its hazards are notes. */
#define SMALL_TABLE_DEFAULT 10000

static int explain(const char *id)
{
	struct mm_buf out = MM_BUF_INIT;
	if (strcmp(id, "all") == 0) {
		for (size_t i = 0; i < mm_check_rule_count(); i++) {
			const struct mm_check_rule *r = mm_check_rule_at(i);
			mm_buf_addf(&out, "%-32s %-12s %s\n", r->id, mm_check_category_name(r->category), r->summary);
		}
	} else {
		const struct mm_check_rule *r = mm_check_rule_find(id);
		if (!r) {
			fprintf(stderr, "mkmig: --explain: no rule '%s' (see 'mkmig check --explain all')\n", id);
			return MM_EXIT_USAGE;
		}
		mm_check_explain(r, &out);
	}
	fwrite(out.buf, 1, out.len, stdout);
	mm_buf_release(&out);
	return MM_EXIT_OK;
}

/* dbmate keeps the down section in the same file: only the up section is a migration to judge.
 * Lines are kept so positions stay those of the file. */
static void dbmate_up_only(struct mm_source *src)
{
	char *down = strstr(src->text, "-- migrate:down");
	if (!down || !strstr(src->text, "-- migrate:up"))
		return;
	*down = '\0';
	src->len = (size_t)(down - src->text);
}

static int check_file(struct mm_check *c, const char *path)
{
	struct mm_source *src = mm_sql_read(c->ctx, path);
	if (!src)
		return -1;
	dbmate_up_only(src);
	struct mm_check_runner runner;
	mm_check_runner_detect(c->ctx, path, src, &runner);
	return mm_check_source(c, src, &runner);
}

int cmd_check(struct mm_ctx *ctx, struct cli_args *args)
{
	if (args->explain)
		return explain(args->explain);
	enum mm_check_format format = MM_CHECK_HUMAN;
	if (args->format && !mm_check_format_parse(args->format, &format)) {
		fprintf(stderr, "mkmig: --format: expected human, json, sarif, github or gitlab, got '%s'\n", args->format);
		return MM_EXIT_USAGE;
	}
	for (size_t i = 0; i < args->excludes.len; i++) {
		const char *e = mm_vec_at(&args->excludes, i);
		bool category = false;
		for (int k = 0; k < MM_CHECK_CAT__COUNT; k++)
			category = category || strcmp(e, mm_check_category_name((enum mm_check_category)k)) == 0;
		if (!category && !mm_check_rule_find(e)) {
			fprintf(stderr, "mkmig: --exclude: no rule or category '%s' (see 'mkmig check --explain all')\n", e);
			return MM_EXIT_USAGE;
		}
	}
	ctx->opt.plan_only = true;
	struct mm_check c = { .ctx = ctx };
	c.opt.excludes = args->excludes;
	c.opt.small_table = args->small_table >= 0 ? (double)args->small_table : SMALL_TABLE_DEFAULT;
	if (cli_load_model(ctx, args, &c.model) != 0)
		return MM_EXIT_USAGE;
	if (!args->files.len)
		mm_vec_push(&ctx->arena, &args->files, "-");
	/* A file that cannot be read or parsed is reported and counted, and the rest are still
	 * checked (a CI run shows every hazard at once); the exit status is then 2. */
	for (size_t i = 0; i < args->files.len; i++) {
		const char *path = mm_vec_at(&args->files, i);
		struct stat st;
		if (strcmp(path, "-") != 0 && stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
			struct mm_vec scripts = { 0 };
			if (mm_model_dir_scripts(ctx, path, &scripts) != 0)
				return MM_EXIT_USAGE;
			for (size_t k = 0; k < scripts.len; k++)
				if (check_file(&c, mm_vec_at(&scripts, k)) != 0)
					c.nbad++, c.incomplete = true;
		} else if (check_file(&c, path) != 0) {
			c.nbad++, c.incomplete = true;
		}
	}
	struct mm_buf out = MM_BUF_INIT;
	bool color = format == MM_CHECK_HUMAN && isatty(STDOUT_FILENO) && !getenv("NO_COLOR");
	mm_check_render(&c, format, color, &out);
	fwrite(out.buf, 1, out.len, stdout);
	mm_buf_release(&out);
	if (c.nbad || ctx->diags.nerrors)
		return MM_EXIT_USAGE;
	return mm_check_failed(&c) ? MM_EXIT_HAZARDS : MM_EXIT_OK;
}
