/*
 * cmd_filter.c — the default verb: naive SQL in, one psql-runnable script out (or, with --down,
 * the script that undoes it).
 */
#include "cli.h"
#include "mkmig/sql.h"

int cmd_filter(struct mm_ctx *ctx, struct cli_args *args)
{
	struct mm_stmt_list stmts = { 0 };
	if (cli_read_inputs(ctx, args, &stmts) != 0)
		return MM_EXIT_USAGE;
	struct mm_buf out = MM_BUF_INIT;
	for (size_t i = 0; i < stmts.items.len; i++) {
		struct mm_stmt *st = mm_vec_at(&stmts.items, i);
		mm_buf_addf(&out, "SET lock_timeout = '%dms';\n%s;\n", ctx->opt.lock_timeout_ms, st->text);
	}
	if (!ctx->diags.nerrors)
		fwrite(out.buf, 1, out.len, stdout);
	mm_buf_release(&out);
	return ctx->diags.nerrors ? MM_EXIT_USAGE : MM_EXIT_OK;
}
