/*
 * cmd_spec.c — the change-spec verbs. `mkmig VERB W1 W2 ...` is the spec statement
 * `VERB W1 W2 ...;` (mm_spec_join_words keeps what the shell grouped as one token), read by the
 * same grammar as spec files, then the filter's compile → plan → output path unchanged.
 */
#include "cli.h"

int cmd_spec(struct mm_ctx *ctx, struct cli_args *args)
{
	if (!args->files.len) {
		fprintf(stderr, "mkmig %s: missing arguments\nusage: mkmig %s %s\n(see 'mkmig %s --help')\n", args->verb->name,
		        args->verb->name, args->verb->usage, args->verb->name);
		return MM_EXIT_USAGE;
	}
	args->spec_verb = args->verb->name;
	return cmd_filter(ctx, args);
}
