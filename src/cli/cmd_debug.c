/*
 * cmd_debug.c — hidden verb for tests and debugging: `mkmig debug schema` prints the canonical
 * schema model built from --schema/--dir/--db, then from the FILE arguments replayed as input.
 * With --db the table size estimates are printed too (they exist only there).
 */
#include "cli.h"
#include "mkmig/model.h"

#include <string.h>

int cmd_debug(struct mm_ctx *ctx, struct cli_args *args)
{
	if (args->files.len == 0 || strcmp(mm_vec_at(&args->files, 0), "schema") != 0) {
		mm_error_hint(ctx, NULL, 0, 0, "usage: mkmig debug schema [--schema FILE]... [--dir DIR] [--db CONNINFO] [FILE...]",
		              "debug: expected 'schema'");
		return MM_EXIT_USAGE;
	}
	args->files.items++;
	args->files.len--;
	struct mm_model *m;
	if (cli_load_model(ctx, args, &m) != 0)
		return MM_EXIT_USAGE;
	if (args->files.len) {
		struct mm_stmt_list stmts = { 0 };
		if (cli_read_inputs(ctx, args, &stmts) != 0)
			return MM_EXIT_USAGE;
		for (size_t i = 0; i < stmts.items.len; i++)
			if (mm_model_apply(m, mm_vec_at(&stmts.items, i), MM_ORIGIN_INPUT) != 0)
				return MM_EXIT_USAGE;
	}
	struct mm_buf out = MM_BUF_INIT;
	mm_model_dump(m, &out, args->db != NULL);
	if (ctx->diags.nerrors) {
		mm_buf_release(&out);
		return MM_EXIT_USAGE;
	}
	fwrite(out.buf, 1, out.len, stdout);
	mm_buf_release(&out);
	return MM_EXIT_OK;
}
