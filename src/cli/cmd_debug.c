/*
 * cmd_debug.c — hidden verb for tests and debugging: `mkmig debug schema` prints the canonical
 * schema model built from --schema/--dir/--db, then from the FILE arguments replayed as input.
 * With --db the table size estimates are printed too (they exist only there).
 * `mkmig debug locks FILE...` prints what the lock authority (mkmig/locks.h) says of each
 * statement, as written: "N<TAB>object<TAB>MODE<TAB>work", one line per lock (N counts
 * statements from 1), or "N<TAB>none|unknown<TAB>why" (tests/pg/locks_proof.sh reads it).
 */
#include "cli.h"
#include "mkmig/locks.h"
#include "mkmig/model.h"

#include <string.h>

static int debug_locks(struct mm_ctx *ctx, struct cli_args *args)
{
	struct mm_stmt_list stmts = { 0 };
	if (cli_read_inputs(ctx, args, &stmts) != 0)
		return MM_EXIT_USAGE;
	struct mm_buf out = MM_BUF_INIT;
	for (size_t i = 0; i < stmts.items.len; i++) {
		const struct mm_stmt *st = mm_vec_at(&stmts.items, i);
		struct mm_stmt_locks l;
		mm_locks_of_stmt(ctx, st->node, ctx->opt.pg_version, &l);
		if (l.kind != MM_LOCKS_TABLES)
			mm_buf_addf(&out, "%zu\t%s\t%s\n", i + 1, l.kind == MM_LOCKS_NONE ? "none" : "unknown", l.why);
		for (size_t k = 0; k < l.items.len; k++) {
			const struct mm_stmt_lock *x = mm_vec_at(&l.items, k);
			mm_buf_addf(&out, "%zu\t%s%s\t%s\t%s\n", i + 1, x->is_index ? "index " : "",
			            x->name ? mm_sql_qname(&ctx->arena, x->schema, x->name) : x->note, mm_lock_name(x->mode),
			            mm_work_name(x->work));
		}
	}
	fwrite(out.buf, 1, out.len, stdout);
	mm_buf_release(&out);
	return MM_EXIT_OK;
}

int cmd_debug(struct mm_ctx *ctx, struct cli_args *args)
{
	const char *what = args->files.len ? mm_vec_at(&args->files, 0) : "";
	if (strcmp(what, "schema") != 0 && strcmp(what, "locks") != 0) {
		mm_error_hint(ctx, NULL, 0, 0,
		              "usage: mkmig debug schema [--schema FILE]... [--dir DIR] [--db CONNINFO] [FILE...] | "
		              "mkmig debug locks [--pg-version N] FILE...",
		              "debug: expected 'schema' or 'locks'");
		return MM_EXIT_USAGE;
	}
	args->files.items++;
	args->files.len--;
	if (strcmp(what, "locks") == 0)
		return debug_locks(ctx, args);
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
