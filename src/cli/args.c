/*
 * args.c — the options every verb shares, parsed once with getopt_long; a verb's flags say
 * which of them it accepts. Usage errors are one line plus a hint, exit 2.
 */
#define _GNU_SOURCE
#include "cli.h"
#include "mkmig/sql.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum opt_id {
	OPT_DOWN = 256, OPT_SCHEMA, OPT_DIR, OPT_DB, OPT_PG_VERSION, OPT_LOCK_TIMEOUT,
	OPT_STATEMENT_TIMEOUT, OPT_LOCK_RETRIES, OPT_LOCK_WAIT, OPT_BATCH_SIZE, OPT_BATCH_SLEEP, OPT_BATCH_TIME, OPT_MAX_REPLICA_LAG, OPT_COLOR, OPT_PHASE,
	OPT_ALL_PHASES, OPT_OUT, OPT_FORMAT, OPT_EXPLAIN, OPT_EXCLUDE, OPT_SMALL_TABLE,
};

static const struct option long_options[] = {
	{ "down", no_argument, NULL, OPT_DOWN },
	{ "schema", required_argument, NULL, OPT_SCHEMA },
	{ "dir", required_argument, NULL, OPT_DIR },
	{ "db", required_argument, NULL, OPT_DB },
	{ "pg-version", required_argument, NULL, OPT_PG_VERSION },
	{ "lock-timeout", required_argument, NULL, OPT_LOCK_TIMEOUT },
	{ "statement-timeout", required_argument, NULL, OPT_STATEMENT_TIMEOUT },
	{ "lock-retries", required_argument, NULL, OPT_LOCK_RETRIES },
	{ "lock-wait", required_argument, NULL, OPT_LOCK_WAIT },
	{ "batch-size", required_argument, NULL, OPT_BATCH_SIZE },
	{ "batch-sleep", required_argument, NULL, OPT_BATCH_SLEEP },
	{ "batch-time", required_argument, NULL, OPT_BATCH_TIME },
	{ "max-replica-lag", required_argument, NULL, OPT_MAX_REPLICA_LAG },
	{ "color", no_argument, NULL, OPT_COLOR },
	{ "phase", required_argument, NULL, OPT_PHASE },
	{ "all-phases", no_argument, NULL, OPT_ALL_PHASES },
	{ "out", required_argument, NULL, OPT_OUT },
	{ "format", required_argument, NULL, OPT_FORMAT },
	{ "explain", required_argument, NULL, OPT_EXPLAIN },
	{ "exclude", required_argument, NULL, OPT_EXCLUDE },
	{ "small-table", required_argument, NULL, OPT_SMALL_TABLE },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

/* Which verb flag an option needs (0: every verb takes it). */
static unsigned option_needs(int id)
{
	switch (id) {
	case OPT_DOWN:
		return CLI_TAKES_DOWN;
	case OPT_PHASE:
	case OPT_ALL_PHASES:
		return CLI_TAKES_PHASE;
	case OPT_SCHEMA:
	case OPT_DIR:
	case OPT_DB:
		return CLI_TAKES_SCHEMA;
	case OPT_OUT:
		return CLI_TAKES_OUT;
	case OPT_FORMAT:
		/* the layout of --out, or check's report format */
		return CLI_TAKES_OUT | CLI_TAKES_CHECK;
	case OPT_EXPLAIN:
	case OPT_EXCLUDE:
	case OPT_SMALL_TABLE:
		return CLI_TAKES_CHECK;
	default:
		return 0;
	}
}

static const char *option_name(int id)
{
	for (const struct option *o = long_options; o->name; o++)
		if (o->val == id)
			return o->name;
	return "?";
}

static int usage_error(const struct cli_verb *verb, const char *fmt, const char *a, const char *b)
{
	fprintf(stderr, "mkmig: ");
	fprintf(stderr, fmt, a, b);
	fprintf(stderr, "\nusage: mkmig %s %s\n(see 'mkmig --help')\n", verb->name, verb->usage);
	return MM_EXIT_USAGE;
}

static int parse_number(const struct cli_verb *verb, int id, const char *text, long lo, long hi, long *out)
{
	char *end;
	errno = 0;
	long v = strtol(text, &end, 10);
	if (errno || end == text || *end || v < lo || v > hi) {
		char range[64];
		snprintf(range, sizeof(range), "%ld to %ld", lo, hi);
		fprintf(stderr, "mkmig: --%s: expected a whole number from %s, got '%s'\n", option_name(id),
		        range, text);
		fprintf(stderr, "usage: mkmig %s %s\n", verb->name, verb->usage);
		return -1;
	}
	*out = v;
	return 0;
}

int cli_parse(struct mm_ctx *ctx, const struct cli_verb *verb, int argc, char **argv,
              struct cli_args *args, bool *done)
{
	struct mm_arena *a = &ctx->arena;
	struct mm_options *o = &ctx->opt;
	*done = false;
	args->color = isatty(STDERR_FILENO) && !getenv("NO_COLOR");
	args->small_table = -1;
	optind = 1;
	opterr = 0;
	int c;
	/* "+" would stop at the first non-option; we want options anywhere (GNU permutation), and
	 * the leading ":" reports a missing argument as ':' instead of '?'. */
	while ((c = getopt_long(argc, argv, ":vh", long_options, NULL)) != -1) {
		long v;
		if (c == '?') {
			const char *bad = argv[optind - 1];
			return usage_error(verb, "unknown option '%s'%s", optopt ? (char[]){ '-', (char)optopt, 0 } : bad, "");
		}
		if (c == ':')
			return usage_error(verb, "option '%s' needs a value%s", argv[optind - 1], "");
		unsigned need = option_needs(c);
		if (need && !(verb->flags & need))
			return usage_error(verb, "'%s' does not take --%s", verb->name, option_name(c));
		switch (c) {
		case 'h':
			if (verb == cli_default_verb()) { /* `mkmig --help`: every command */
				cli_print_usage(stdout);
				*done = true;
				return MM_EXIT_OK;
			}
			printf("usage: mkmig %s %s\n  %s\n\n", verb->name, verb->usage, verb->summary);
			if (verb->example)
				printf("example:\n%s\n\n", verb->example);
			cli_print_options(stdout);
			*done = true;
			return MM_EXIT_OK;
		case 'v':
			o->verbose++;
			break;
		case OPT_DOWN:
			args->down = true;
			break;
		case OPT_SCHEMA:
			mm_vec_push(a, &args->schemas, optarg);
			break;
		case OPT_DIR:
			args->dir = optarg;
			break;
		case OPT_DB:
			args->db = optarg;
			break;
		case OPT_COLOR:
			args->color = true;
			break;
		case OPT_PHASE:
			if (strcmp(optarg, "contract") != 0 && strcmp(optarg, "expand") != 0)
				return usage_error(verb, "--phase: expected 'contract' (or 'expand', the default), got '%s'%s", optarg, "");
			if (args->phase == CLI_PHASE_ALL)
				return usage_error(verb, "--phase and --all-phases exclude each other%s%s", "", "");
			args->phase = strcmp(optarg, "contract") == 0 ? CLI_PHASE_CONTRACT : CLI_PHASE_DEFAULT;
			break;
		case OPT_ALL_PHASES:
			if (args->phase == CLI_PHASE_CONTRACT)
				return usage_error(verb, "--phase and --all-phases exclude each other%s%s", "", "");
			args->phase = CLI_PHASE_ALL;
			break;
		case OPT_OUT:
			args->out = optarg;
			break;
		case OPT_FORMAT:
			args->format = optarg;
			break;
		case OPT_EXPLAIN:
			args->explain = optarg;
			break;
		case OPT_EXCLUDE:
			for (char *save, *w = strtok_r(optarg, ",", &save); w; w = strtok_r(NULL, ",", &save))
				mm_vec_push(a, &args->excludes, w);
			break;
		case OPT_SMALL_TABLE:
			if (parse_number(verb, c, optarg, 0, LONG_MAX, &v))
				return MM_EXIT_USAGE;
			args->small_table = v;
			break;
		case OPT_PG_VERSION:
			if (parse_number(verb, c, optarg, MM_PG_VERSION_MIN, MM_PG_VERSION_MAX, &v))
				return MM_EXIT_USAGE;
			o->pg_version = (int)v;
			break;
		case OPT_LOCK_TIMEOUT:
			if (parse_number(verb, c, optarg, 1, INT_MAX, &v))
				return MM_EXIT_USAGE;
			o->lock_timeout_ms = (int)v;
			break;
		case OPT_STATEMENT_TIMEOUT:
			if (parse_number(verb, c, optarg, 0, INT_MAX, &v))
				return MM_EXIT_USAGE;
			o->statement_timeout_ms = (int)v;
			break;
		case OPT_LOCK_RETRIES:
			if (parse_number(verb, c, optarg, 1, 1000, &v))
				return MM_EXIT_USAGE;
			o->lock_retries = (int)v;
			break;
		case OPT_LOCK_WAIT:
			if (parse_number(verb, c, optarg, 1, INT_MAX, &v))
				return MM_EXIT_USAGE;
			o->lock_wait_ms = (int)v;
			break;
		case OPT_BATCH_SIZE:
			if (parse_number(verb, c, optarg, 1, 100000000, &v))
				return MM_EXIT_USAGE;
			o->batch_size = v;
			break;
		case OPT_BATCH_SLEEP:
			if (parse_number(verb, c, optarg, 0, 3600000, &v))
				return MM_EXIT_USAGE;
			o->batch_sleep_ms = (int)v;
			break;
		case OPT_BATCH_TIME:
			if (parse_number(verb, c, optarg, 0, 3600000, &v))
				return MM_EXIT_USAGE;
			o->batch_time_ms = (int)v;
			break;
		case OPT_MAX_REPLICA_LAG:
			if (parse_number(verb, c, optarg, 0, 86400000, &v))
				return MM_EXIT_USAGE;
			o->max_replica_lag_ms = (int)v;
			break;
		default:
			MM_BUG("option %d has no handler", c);
		}
	}
	for (int i = optind; i < argc; i++) {
		if (!(verb->flags & CLI_TAKES_FILES))
			return usage_error(verb, "'%s' takes no arguments, got '%s'", verb->name, argv[i]);
		mm_vec_push(a, &args->files, argv[i]);
	}
	return MM_EXIT_OK;
}

int cli_read_inputs(struct mm_ctx *ctx, struct cli_args *args, struct mm_stmt_list *out)
{
	if (!args->files.len)
		mm_vec_push(&ctx->arena, &args->files, "-");
	int rc = 0;
	for (size_t i = 0; i < args->files.len; i++) {
		struct mm_source *src = mm_sql_read(ctx, mm_vec_at(&args->files, i));
		if (!src || mm_sql_parse(ctx, src, out) != 0)
			rc = -1;
	}
	return rc;
}
