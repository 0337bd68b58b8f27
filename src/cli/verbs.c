/*
 * verbs.c — the verb table: one row per command (git's commands[]). Adding a command is adding
 * a row and its cmd_* function; nothing else dispatches on verb names.
 */
#include "cli.h"

#include <string.h>

static const struct cli_verb verbs[] = {
	{ "filter", cmd_filter, CLI_TAKES_FILES | CLI_TAKES_SCHEMA | CLI_TAKES_DOWN,
	  "[--down] [--schema FILE]... [--dir DIR] [--db CONNINFO] [FILE...]",
	  "naive SQL in, a zero-downtime psql script out (the default command)" },
	{ "check", cmd_check, CLI_TAKES_FILES | CLI_TAKES_SCHEMA | CLI_TAKES_CHECK,
	  "[--format human|json|sarif|github|gitlab] [--exclude RULE]... [--small-table ROWS] [--schema FILE]... "
	  "[--dir DIR] [--db CONNINFO] [FILE|DIR...] | --explain RULE|all",
	  "explain every hazard in hand-written migrations, with the fix; exit 1 when any is found" },
	{ "debug", cmd_debug, CLI_TAKES_FILES | CLI_TAKES_SCHEMA | CLI_HIDDEN, "schema [--schema FILE]... [--dir DIR] [--db CONNINFO] [FILE...]",
	  "print internal state: 'debug schema' prints the canonical schema model" },
	{ "help", cmd_help, 0, "", "show this help" },
	{ "parse", cmd_parse, CLI_TAKES_FILES | CLI_HIDDEN, "[FILE...]",
	  "list the statements mkmig reads, with their positions (debugging)" },
	{ "plan", cmd_plan, CLI_TAKES_FILES | CLI_TAKES_SCHEMA,
	  "[--schema FILE]... [--dir DIR] [--db CONNINFO] [FILE...]",
	  "explain the safe plan: each step, how it runs, what it locks and why" },
	{ "version", cmd_version, 0, "", "print mkmig's version and its PostgreSQL grammar version" },
};

const struct cli_verb *cli_find_verb(const char *name)
{
	for (size_t i = 0; i < MM_ARRAY_LEN(verbs); i++)
		if (strcmp(verbs[i].name, name) == 0)
			return &verbs[i];
	return NULL;
}

const struct cli_verb *cli_default_verb(void)
{
	return &verbs[0];
}

void cli_print_usage(FILE *out)
{
	fprintf(out,
	        "usage: mkmig [OPTIONS] [FILE...]        rewrite naive DDL into a safe script\n"
	        "       mkmig COMMAND [OPTIONS] [ARGS]\n\n"
	        "commands:\n");
	for (size_t i = 0; i < MM_ARRAY_LEN(verbs); i++)
		if (!(verbs[i].flags & CLI_HIDDEN))
			fprintf(out, "  %-10s %s\n", verbs[i].name, verbs[i].summary);
	fprintf(out,
	        "\noptions:\n"
	        "  --down               write the script that undoes the up script\n"
	        "  --schema FILE        learn the existing schema from SQL (repeatable)\n"
	        "  --dir DIR            learn the existing schema from a migrations directory\n"
	        "  --db CONNINFO        learn the existing schema from a live database\n"
	        "  --pg-version N       the PostgreSQL major version to target (%d-%d, default %d)\n"
	        "  --lock-timeout MS    lock_timeout for blocking statements (default 2000)\n"
	        "  --statement-timeout MS  statement_timeout for catalog-only statements (default 30000)\n"
	        "  --lock-retries N     attempts when a lock times out (default 10)\n"
	        "  --batch-size N       rows per committed backfill batch (default 5000)\n"
	        "  --batch-sleep MS     pause between backfill batches (default 0)\n"
	        "  -v, --verbose        say more on stderr\n"
	        "  -h, --help           show this help\n\n"
	        "exit status: 0 ok, 1 hazards found (check), 2 bad input or usage\n",
	        MM_PG_VERSION_MIN, MM_PG_VERSION_MAX, MM_PG_VERSION_DEFAULT);
}

const char *cli_verb_name(size_t i)
{
	return i < MM_ARRAY_LEN(verbs) ? verbs[i].name : NULL;
}
