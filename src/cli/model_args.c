/*
 * model_args.c — builds the schema model from the command line's --schema, --dir and --db.
 */
#include "cli.h"
#include "mkmig/model.h"

int cli_load_model(struct mm_ctx *ctx, struct cli_args *args, struct mm_model **out)
{
	struct mm_model *m = mm_model_new(ctx);
	int rc = 0;
	for (size_t i = 0; i < args->schemas.len; i++)
		if (mm_model_load_file(m, mm_vec_at(&args->schemas, i)) != 0)
			rc = -1;
	if (args->dir && mm_model_load_dir(m, args->dir) != 0)
		rc = -1;
	if (args->db && mm_model_load_db(m, args->db) != 0)
		rc = -1;
	*out = m;
	return rc;
}
