/*
 * cmd_layout.c — --out on the filter and plan, and the verbs that read a directory's manifest:
 * status, verify, complete.
 */
#include "cli.h"
#include "mkmig/layout.h"

int cli_out_prepare(struct mm_ctx *ctx, struct cli_args *args, const struct mm_layout **layout)
{
	if (mm_layout_choose(ctx, args->out, args->format, layout) != 0)
		return -1;
	/* The --dir loader reads every layout mkmig writes (src/model/dir.c, dir_more.c). */
	if (!args->dir && !args->schemas.len && !args->db)
		args->dir = args->out;
	return 0;
}

int cli_out_write(struct mm_ctx *ctx, struct cli_args *args, const struct mm_layout *layout,
                  const struct mm_plan *plan, bool dry_run)
{
	struct mm_buf out = MM_BUF_INIT;
	int rc = mm_layout_write_plan(ctx, layout, args->out, plan, dry_run, &out);
	/* What was written goes to stderr for the filter (stdout stays for scripts), to stdout for plan. */
	fwrite(out.buf, 1, out.len, dry_run ? stdout : stderr);
	mm_buf_release(&out);
	return rc;
}

static const char *one_dir(struct mm_ctx *ctx, struct cli_args *args, const char *verb)
{
	if (args->files.len == 1)
		return mm_vec_at(&args->files, 0);
	mm_error(ctx, NULL, 0, 0, "usage: mkmig %s DIR (the migrations directory)", verb);
	return NULL;
}

int cmd_status(struct mm_ctx *ctx, struct cli_args *args)
{
	const char *dir = one_dir(ctx, args, "status");
	struct mm_buf out = MM_BUF_INIT;
	int rc = dir ? mm_layout_status(ctx, dir, &out) : -1;
	fwrite(out.buf, 1, out.len, stdout);
	mm_buf_release(&out);
	return rc ? MM_EXIT_USAGE : MM_EXIT_OK;
}

int cmd_verify(struct mm_ctx *ctx, struct cli_args *args)
{
	const char *dir = one_dir(ctx, args, "verify");
	struct mm_buf out = MM_BUF_INIT;
	int rc = dir ? mm_layout_verify(ctx, dir, &out) : -1;
	fwrite(out.buf, 1, out.len, stdout);
	mm_buf_release(&out);
	return rc < 0 ? MM_EXIT_USAGE : rc ? MM_EXIT_HAZARDS : MM_EXIT_OK;
}

int cmd_complete(struct mm_ctx *ctx, struct cli_args *args)
{
	if (!args->out || args->files.len > 1) {
		mm_error(ctx, NULL, 0, 0, "usage: mkmig complete [CHANGE] --out DIR");
		return MM_EXIT_USAGE;
	}
	struct mm_buf out = MM_BUF_INIT;
	int rc = mm_layout_complete(ctx, args->out, args->files.len ? mm_vec_at(&args->files, 0) : NULL, &out);
	fwrite(out.buf, 1, out.len, stderr);
	mm_buf_release(&out);
	return rc ? MM_EXIT_USAGE : MM_EXIT_OK;
}
