/*
 * model_args.c — builds the schema model from the command line's --schema, --dir and --db.
 */
#include "cli.h"
#include "mkmig/model.h"

int cli_load_model(struct mm_ctx *ctx, struct cli_args *args, struct mm_model **out)
{
	(void)args;
	*out = NULL;
	return mm_error(ctx, NULL, 0, 0, "schema model: not implemented yet");
}
