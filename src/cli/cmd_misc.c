/*
 * cmd_misc.c — help, version and the hidden parse verb.
 */
#include "cli.h"
#include "mkmig/sql.h"

int cmd_help(struct mm_ctx *ctx, struct cli_args *args)
{
	(void)ctx;
	(void)args;
	cli_print_usage(stdout);
	return MM_EXIT_OK;
}

int cmd_version(struct mm_ctx *ctx, struct cli_args *args)
{
	(void)ctx;
	(void)args;
	printf("mkmig %s (PostgreSQL %s grammar, libpg_query)\n", MKMIG_VERSION, mm_sql_grammar_version());
	return MM_EXIT_OK;
}

int cmd_parse(struct mm_ctx *ctx, struct cli_args *args)
{
	struct mm_stmt_list stmts = { 0 };
	if (cli_read_inputs(ctx, args, &stmts) != 0)
		return MM_EXIT_USAGE;
	struct mm_buf out = MM_BUF_INIT;
	for (size_t i = 0; i < stmts.items.len; i++) {
		struct mm_stmt *st = mm_vec_at(&stmts.items, i);
		size_t line, col;
		mm_source_position(st->src, st->off, &line, &col);
		mm_buf_addf(&out, "%s:%zu:%zu: [%zu+%zu] %s\n", st->src->name, line, col, st->off, st->len,
		            protobuf_c_message_descriptor_get_field(&pg_query__node__descriptor,
		                                                    (unsigned)st->node->node_case)->name);
	}
	fwrite(out.buf, 1, out.len, stdout);
	mm_buf_release(&out);
	return MM_EXIT_OK;
}
