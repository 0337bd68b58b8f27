/*
 * cmd_debug.c — hidden verb for tests and debugging: `mkmig debug schema` prints the canonical
 * schema model built from --schema/--dir/--db, then from the FILE arguments replayed as input.
 */
#include "cli.h"

int cmd_debug(struct mm_ctx *ctx, struct cli_args *args)
{
	(void)args;
	mm_error(ctx, NULL, 0, 0, "debug: not implemented yet");
	return MM_EXIT_USAGE;
}
