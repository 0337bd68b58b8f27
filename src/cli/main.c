/*
 * main.c — argv → verb → run; prints the diagnostics and is the only place that exits.
 * A verb builds its whole output in memory; nothing reaches stdout when an error was reported.
 */
#include "cli.h"
#include "mkmig/spec.h"
#include "mkmig/sql.h"

#include <errno.h>
#include <malloc.h>
#include <string.h>
#include <unistd.h>

/* A bare word that is neither a verb nor an existing file, and does not look like a path. */
static bool looks_like_mistyped_verb(const char *w)
{
	return !strchr(w, '.') && !strchr(w, '/') && access(w, F_OK) != 0;
}

int main(int argc, char **argv)
{
	/* libpg_query builds a whole file's parse tree (and its protobuf copy) and frees it before
	 * mkmig unpacks its own: with glibc's defaults those large blocks are mmap'd and unmapped,
	 * so every page is faulted in twice (a quarter of `mkmig check` on 7 MB). Kept in the heap,
	 * freed blocks are reused by the next ones. */
	mallopt(M_MMAP_THRESHOLD, 512 << 20);
	/* One heap for the parsing thread too (src/sql/parse_split.c), so it reuses the same memory. */
	mallopt(M_ARENA_MAX, 1);
	mallopt(M_TRIM_THRESHOLD, 1024 << 20);
	const struct cli_verb *verb = cli_default_verb();
	int shift = 0;
	if (argc > 1 && argv[1][0] != '-') {
		const struct cli_verb *v = cli_find_verb(argv[1]);
		/* A word that is no verb is an input file of the default verb, unless it looks like a
		 * mistyped verb (no dot, no slash, and no such file). */
		if (v) {
			verb = v;
			shift = 1;
		} else if (looks_like_mistyped_verb(argv[1])) {
			const char *best = NULL;
			size_t bd = 3;
			for (size_t i = 0; cli_verb_name(i); i++) {
				size_t d = mm_edit_distance(argv[1], cli_verb_name(i));
				if (d < bd)
					bd = d, best = cli_verb_name(i);
			}
			fprintf(stderr, "mkmig: unknown command '%s'", argv[1]);
			if (best)
				fprintf(stderr, "; did you mean '%s'?", best);
			fprintf(stderr, "\n(see 'mkmig --help'; to read a file of that name, write ./%s)\n", argv[1]);
			return MM_EXIT_USAGE;
		}
	}
	if (argc > 1 && strcmp(argv[1], "--version") == 0)
		verb = cli_find_verb("version"), shift = 1;

	struct mm_ctx ctx;
	mm_ctx_init(&ctx);
	struct cli_args args;
	memset(&args, 0, sizeof(args));
	bool done;
	/* The command as typed, before getopt permutes it: "print the rest with ..." repeats it. */
	char **typed = mm_alloc(&ctx.arena, ((size_t)argc + 1) * sizeof(*typed));
	for (int i = 0; i < argc; i++)
		typed[i] = argv[i];
	argv[shift] = argv[0];
	int rc = cli_parse(&ctx, verb, argc - shift, argv + shift, &args, &done);
	args.verb = verb;
	args.argc = argc;
	args.argv = typed;
	if (rc == MM_EXIT_OK && !done)
		rc = verb->run(&ctx, &args);
	mm_spec_remap_diags(&ctx, args.spec);
	mm_diags_print(&ctx.diags, stderr, args.color);
	if (rc == MM_EXIT_OK && ctx.diags.nerrors)
		rc = MM_EXIT_USAGE;
	/* A full disk or a closed stdout must not pass for success with a truncated script. */
	errno = 0;
	if ((fflush(stdout) != 0 || ferror(stdout)) && rc == MM_EXIT_OK) {
		fprintf(stderr, "mkmig: error: cannot write the output: %s\n", errno ? strerror(errno) : "write error");
		rc = MM_EXIT_USAGE;
	}
	mm_ctx_release(&ctx);
	mm_sql_shutdown();
	return rc;
}
