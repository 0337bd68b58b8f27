/*
 * cli.h — the command-line layer: the verb table, the shared options, and the verbs' entry
 * points. Only src/cli/ prints results or decides exit codes.
 */
#ifndef MKMIG_CLI_H
#define MKMIG_CLI_H

#include "mkmig/ctx.h"

enum mm_exit { MM_EXIT_OK = 0, MM_EXIT_HAZARDS = 1, MM_EXIT_USAGE = 2 };

/* What a verb accepts beyond the options every verb shares. */
enum cli_flags {
	CLI_TAKES_FILES = 1 << 0,   /* positional arguments are SQL files ("-" or none = stdin) */
	CLI_TAKES_SCHEMA = 1 << 1,  /* --schema/--dir/--db */
	CLI_TAKES_DOWN = 1 << 2,    /* --down */
	CLI_HIDDEN = 1 << 3,        /* not listed in --help */
	CLI_TAKES_PHASE = 1 << 4,   /* --phase contract, --all-phases */
	CLI_SPEC = 1 << 5,          /* a change-spec statement: the positional words are its arguments */
	CLI_SPEC_FILES = 1 << 6,    /* the input files are change-spec files whatever their names */
	CLI_TAKES_OUT = 1 << 7,     /* --out DIR / --format LAYOUT */
	CLI_TAKES_CHECK = 1 << 8,   /* --format, --explain, --exclude, --small-table (check) */
};

/* Which phases the output holds (mirrors enum mm_phase_sel in plan.h). */
enum cli_phase { CLI_PHASE_DEFAULT, CLI_PHASE_CONTRACT, CLI_PHASE_ALL };

struct cli_args {
	struct mm_vec files;    /* const char *: inputs */
	struct mm_vec schemas;  /* const char *: --schema files */
	const char *dir;        /* --dir */
	const char *db;         /* --db */
	const char *out;        /* --out: a migrations directory to write into */
	const char *format;     /* --format: the layout of --out (detected when NULL), or check's report format */
	bool down;
	bool color;
	struct mm_vec rest;     /* const char *: verb-specific words */
	enum cli_phase phase;   /* --phase contract / --all-phases */
	const struct cli_verb *verb;
	int argc;               /* the command line as typed (for "print the rest with: ...") */
	char **argv;
	struct mm_spec *spec;   /* the change-spec front end's state, when a spec was read */
	const char *spec_verb;  /* the positional words are this spec statement's arguments */
	const char *explain;    /* check: --explain RULE */
	struct mm_vec excludes; /* check: --exclude RULE (repeatable, or comma-separated) */
	long small_table;       /* check: --small-table ROWS, -1 unset */
};

struct cli_verb {
	const char *name;
	int (*run)(struct mm_ctx *ctx, struct cli_args *args);
	unsigned flags;
	const char *usage;
	const char *summary;
	const char *example;    /* shown by `mkmig VERB --help`, or NULL */
};

const struct cli_verb *cli_find_verb(const char *name);
const struct cli_verb *cli_default_verb(void);
/* The i-th verb's name, NULL past the last. */
const char *cli_verb_name(size_t i);
void cli_print_usage(FILE *out);
/* The options part of it (what `mkmig VERB --help` adds to the verb's own form). */
void cli_print_options(FILE *out);
/* Parse argv (after the verb word) into args and ctx->opt; returns MM_EXIT_OK, or MM_EXIT_USAGE
 * after printing a one-line error and a hint. *done is set when --help was answered. */
int cli_parse(struct mm_ctx *ctx, const struct cli_verb *verb, int argc, char **argv,
              struct cli_args *args, bool *done);
/* Read and parse every input file into one statement list; errors are in ctx. */
struct mm_stmt_list;
int cli_read_inputs(struct mm_ctx *ctx, struct cli_args *args, struct mm_stmt_list *out);

int cmd_filter(struct mm_ctx *ctx, struct cli_args *args);
/* A change-spec verb (`mkmig rename users.user_name username`): its words become one spec
 * statement, then exactly the filter's path (cmd_spec.c). */
int cmd_spec(struct mm_ctx *ctx, struct cli_args *args);
int cmd_plan(struct mm_ctx *ctx, struct cli_args *args);
int cmd_parse(struct mm_ctx *ctx, struct cli_args *args);
int cmd_debug(struct mm_ctx *ctx, struct cli_args *args);
int cmd_check(struct mm_ctx *ctx, struct cli_args *args);
/* Build the schema model from --schema/--dir/--db (in that order; any combination). */
struct mm_model;
int cli_load_model(struct mm_ctx *ctx, struct cli_args *args, struct mm_model **out);
int cmd_help(struct mm_ctx *ctx, struct cli_args *args);
int cmd_status(struct mm_ctx *ctx, struct cli_args *args);
int cmd_verify(struct mm_ctx *ctx, struct cli_args *args);
int cmd_complete(struct mm_ctx *ctx, struct cli_args *args);
/* With --out: choose the layout and, when no schema source was given, read the schema from the
 * directory itself. Call before loading the model. */
struct mm_layout;
int cli_out_prepare(struct mm_ctx *ctx, struct cli_args *args, const struct mm_layout **layout);
/* With --out: write the plan into the directory (dry_run: list what would be written). */
struct mm_plan;
int cli_out_write(struct mm_ctx *ctx, struct cli_args *args, const struct mm_layout *layout,
                  const struct mm_plan *plan, bool dry_run);
int cmd_version(struct mm_ctx *ctx, struct cli_args *args);

#endif
