/*
 * verbs.c — the verb table: one row per command (git's commands[]). Adding a command is adding
 * a row and its cmd_* function; nothing else dispatches on verb names.
 */
#include "cli.h"

#include <string.h>

static const struct cli_verb verbs[] = {
	{ "filter", cmd_filter, CLI_TAKES_FILES | CLI_TAKES_SCHEMA | CLI_TAKES_DOWN | CLI_TAKES_PHASE | CLI_TAKES_OUT,
	  "[--down] [--phase contract | --all-phases] [--schema FILE]... [--dir DIR] [--db CONNINFO] [--out DIR [--format LAYOUT]] [FILE...]",
	  "naive SQL in, a zero-downtime psql script out (the default command)", NULL },
	{ "add-check", cmd_spec, CLI_TAKES_FILES | CLI_TAKES_SCHEMA | CLI_TAKES_DOWN | CLI_TAKES_PHASE | CLI_SPEC | CLI_TAKES_OUT,
	  "TABLE 'CONDITION' [name NAME] [--schema FILE]... [--phase contract | --all-phases] [--down]",
	  "add a CHECK constraint (NOT VALID, then VALIDATE)",
	  "  mkmig add-check orders 'total >= 0' name orders_total_check --schema schema.sql" },
	{ "add-column", cmd_spec, CLI_TAKES_FILES | CLI_TAKES_SCHEMA | CLI_TAKES_DOWN | CLI_TAKES_PHASE | CLI_SPEC | CLI_TAKES_OUT,
	  "TABLE.COLUMN TYPE [not null] [default EXPR] [backfill EXPR] [batch-size N] [--schema FILE]... [--phase contract | --all-phases] [--down]",
	  "add a column (a volatile default or a backfill in batches, NOT NULL the safe way)",
	  "  mkmig add-column users.score integer not null default 0 --schema schema.sql\n  mkmig add-column users.email_lower text backfill 'lower(email)' --schema schema.sql" },
	{ "add-fk", cmd_spec, CLI_TAKES_FILES | CLI_TAKES_SCHEMA | CLI_TAKES_DOWN | CLI_TAKES_PHASE | CLI_SPEC | CLI_TAKES_OUT,
	  "TABLE.COLUMN[,COLUMN...] references TABLE[.COLUMN[,COLUMN...]] [name NAME] [on delete ACTION] [on update ACTION] [--schema FILE]... [--phase contract | --all-phases] [--down]",
	  "add a foreign key (NOT VALID, then VALIDATE)",
	  "  mkmig add-fk orders.customer_id references customers.id on delete cascade --schema schema.sql" },
	{ "add-index", cmd_spec, CLI_TAKES_FILES | CLI_TAKES_SCHEMA | CLI_TAKES_DOWN | CLI_TAKES_PHASE | CLI_SPEC | CLI_TAKES_OUT,
	  "TABLE COLUMN-OR-'EXPR'[,...] [unique] [where 'COND'] [name NAME] [--schema FILE]... [--phase contract | --all-phases] [--down]",
	  "build an index concurrently",
	  "  mkmig add-index orders customer_id,created_at --schema schema.sql\n  mkmig add-index users 'lower(email)' unique where 'deleted_at IS NULL' name users_email_key" },
	{ "add-unique", cmd_spec, CLI_TAKES_FILES | CLI_TAKES_SCHEMA | CLI_TAKES_DOWN | CLI_TAKES_PHASE | CLI_SPEC | CLI_TAKES_OUT,
	  "TABLE.COLUMN[,COLUMN...] [name NAME] [--schema FILE]... [--phase contract | --all-phases] [--down]",
	  "add a UNIQUE constraint through a concurrent index",
	  "  mkmig add-unique users.email --schema schema.sql" },
	{ "apply", cmd_filter, CLI_TAKES_FILES | CLI_TAKES_SCHEMA | CLI_TAKES_DOWN | CLI_TAKES_PHASE | CLI_SPEC_FILES | CLI_TAKES_OUT,
	  "FILE... [OPTIONS]",
	  "read change-spec files (statements ending in ';', '#' or '--' comments) as one input",
	  "  mkmig apply changes.mkmig --schema schema.sql\n  (files named *.mkmig are read as change specs by every command)" },
	{ "backfill", cmd_spec, CLI_TAKES_FILES | CLI_TAKES_SCHEMA | CLI_TAKES_DOWN | CLI_TAKES_PHASE | CLI_SPEC | CLI_TAKES_OUT,
	  "TABLE.COLUMN using EXPR [where 'COND'] [batch-size N] [--schema FILE]... [--phase contract | --all-phases] [--down]",
	  "set a column from an expression in committed, resumable batches",
	  "  mkmig backfill users.email_lower using 'lower(email)' where 'email_lower IS NULL' --schema schema.sql" },
	{ "change-type", cmd_spec, CLI_TAKES_FILES | CLI_TAKES_SCHEMA | CLI_TAKES_DOWN | CLI_TAKES_PHASE | CLI_SPEC | CLI_TAKES_OUT,
	  "TABLE.COLUMN [to] TYPE [using EXPR] [--schema FILE]... [--phase contract | --all-phases] [--down]",
	  "change a column's type (in place when PostgreSQL does not rewrite, else expand/contract)",
	  "  mkmig change-type orders.total numeric(12,2) --schema schema.sql" },
	{ "complete", cmd_complete, CLI_TAKES_FILES | CLI_TAKES_OUT, "[CHANGE] --out DIR",
	  "write the pending contract phase of a change recorded in DIR's mkmig.sum",
	  "  mkmig complete --out db/migration\n  mkmig complete rename_users_user_name_to_username --out db/migration" },
	{ "check", cmd_check, CLI_TAKES_FILES | CLI_TAKES_SCHEMA | CLI_TAKES_CHECK,
	  "[--format human|json|sarif|github|gitlab] [--exclude RULE]... [--small-table ROWS] [--schema FILE]... "
	  "[--dir DIR] [--db CONNINFO] [FILE|DIR...] | --explain RULE|all",
	  "explain every hazard in hand-written migrations, with the fix; exit 1 when any is found",
	  "  mkmig check db/migrations\n  mkmig check --dir db/migrations --format github new.sql\n  mkmig check --explain all" },
	{ "convert", cmd_spec, CLI_TAKES_FILES | CLI_TAKES_SCHEMA | CLI_TAKES_DOWN | CLI_TAKES_PHASE | CLI_SPEC | CLI_TAKES_OUT,
	  "TABLE.OLD to NEW TYPE using EXPR [back EXPR] [not null] [batch-size N] [--schema FILE]... [--phase contract | --all-phases] [--down]",
	  "move a column's data into a new column of another type (sync trigger, batched backfill, validation)",
	  "  mkmig convert products.price_dollars to price_cents integer using 'round(price_dollars * 100)' back 'price_cents / 100.0' --schema schema.sql" },
	{ "drop-column", cmd_spec, CLI_TAKES_FILES | CLI_TAKES_SCHEMA | CLI_TAKES_DOWN | CLI_TAKES_PHASE | CLI_SPEC | CLI_TAKES_OUT,
	  "TABLE.COLUMN [--schema FILE]... [--phase contract | --all-phases] [--down]",
	  "drop a column (contract phase, after the deploy that stops using it)",
	  "  mkmig drop-column users.legacy_flag --schema schema.sql --phase contract" },
	{ "drop-index", cmd_spec, CLI_TAKES_FILES | CLI_TAKES_SCHEMA | CLI_TAKES_DOWN | CLI_TAKES_PHASE | CLI_SPEC | CLI_TAKES_OUT,
	  "[SCHEMA.]INDEX [--schema FILE]... [--phase contract | --all-phases] [--down]",
	  "drop an index concurrently",
	  "  mkmig drop-index orders_customer_id_idx --schema schema.sql" },
	{ "drop-not-null", cmd_spec, CLI_TAKES_FILES | CLI_TAKES_SCHEMA | CLI_TAKES_DOWN | CLI_TAKES_PHASE | CLI_SPEC | CLI_TAKES_OUT,
	  "TABLE.COLUMN [--schema FILE]... [--phase contract | --all-phases] [--down]",
	  "drop a NOT NULL constraint",
	  "  mkmig drop-not-null users.nickname --schema schema.sql" },
	{ "drop-table", cmd_spec, CLI_TAKES_FILES | CLI_TAKES_SCHEMA | CLI_TAKES_DOWN | CLI_TAKES_PHASE | CLI_SPEC | CLI_TAKES_OUT,
	  "TABLE [--schema FILE]... [--phase contract | --all-phases] [--down]",
	  "drop a table (contract phase, after the deploy that stops using it)",
	  "  mkmig drop-table audit_old --schema schema.sql --phase contract" },
	{ "rename", cmd_spec, CLI_TAKES_FILES | CLI_TAKES_SCHEMA | CLI_TAKES_DOWN | CLI_TAKES_PHASE | CLI_SPEC | CLI_TAKES_OUT,
	  "TABLE.COLUMN [to] NEW_NAME [--schema FILE]... [--phase contract | --all-phases] [--down]",
	  "rename a column in phases, both application versions working in between",
	  "  mkmig rename users.user_name username --schema schema.sql            # expand and backfill\n  mkmig rename users.user_name username --schema schema.sql --phase contract   # after the deploy" },
	{ "rename-table", cmd_spec, CLI_TAKES_FILES | CLI_TAKES_SCHEMA | CLI_TAKES_DOWN | CLI_TAKES_PHASE | CLI_SPEC | CLI_TAKES_OUT,
	  "TABLE [to] NEW_NAME [--schema FILE]... [--phase contract | --all-phases] [--down]",
	  "rename a table, with a view under the old name until the contract",
	  "  mkmig rename-table customer customers --schema schema.sql" },
	{ "set-not-null", cmd_spec, CLI_TAKES_FILES | CLI_TAKES_SCHEMA | CLI_TAKES_DOWN | CLI_TAKES_PHASE | CLI_SPEC | CLI_TAKES_OUT,
	  "TABLE.COLUMN [--schema FILE]... [--phase contract | --all-phases] [--down]",
	  "SET NOT NULL through a validated CHECK (no long scan under ACCESS EXCLUSIVE)",
	  "  mkmig set-not-null orders.total --schema schema.sql" },

	{ "debug", cmd_debug, CLI_TAKES_FILES | CLI_TAKES_SCHEMA | CLI_HIDDEN, "schema [--schema FILE]... [--dir DIR] [--db CONNINFO] [FILE...]",
	  "print internal state: 'debug schema' prints the canonical schema model, 'debug locks' the lock of each statement", NULL },
	{ "help", cmd_help, 0, "", "show this help", NULL },
	{ "parse", cmd_parse, CLI_TAKES_FILES | CLI_HIDDEN, "[FILE...]",
	  "list the statements mkmig reads, with their positions (debugging)", NULL },
	{ "plan", cmd_plan, CLI_TAKES_FILES | CLI_TAKES_SCHEMA | CLI_TAKES_OUT,
	  "[--schema FILE]... [--dir DIR] [--db CONNINFO] [--out DIR] [FILE... | STATEMENT ARGS...]",
	  "explain the safe plan, every phase: each step, how it runs, what it locks and why",
	  "  mkmig plan --schema schema.sql naive.sql\n  mkmig plan rename users.user_name username --schema schema.sql" },
	{ "status", cmd_status, CLI_TAKES_FILES, "DIR",
	  "what mkmig wrote into DIR and what is pending (which deploy each change waits for)",
	  "  mkmig status db/migration" },
	{ "verify", cmd_verify, CLI_TAKES_FILES, "DIR",
	  "files mkmig wrote into DIR that were edited, renamed or deleted since (exit 1 if any)",
	  "  mkmig verify db/migration" },
	{ "version", cmd_version, 0, "", "print mkmig's version and its PostgreSQL grammar version", NULL },
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
	        "       mkmig COMMAND [OPTIONS] [ARGS]   a change-spec statement, or another command\n\n"
	        "commands:\n");
	for (size_t i = 0; i < MM_ARRAY_LEN(verbs); i++)
		if (!(verbs[i].flags & CLI_HIDDEN))
			fprintf(out, "  %-13s %s\n", verbs[i].name, verbs[i].summary);
	fputc('\n', out);
	cli_print_options(out);
}

void cli_print_options(FILE *out)
{
	struct mm_options dflt;
	mm_options_default(&dflt);
	fprintf(out,
	        "options:\n"
	        "  --down               write the script that undoes the up script (same phases)\n"
	        "  --phase contract     print what follows the checkpoint (run it after the deploy)\n"
	        "  --all-phases         print every phase, checkpoints as comments\n"
	        "  --schema FILE        learn the existing schema from SQL (repeatable)\n"
	        "  --dir DIR            learn the existing schema from a migrations directory\n"
	        "  --db CONNINFO        learn the existing schema from a live database\n"
	        "  --out DIR            write migration files into DIR (its schema is read from it)\n"
	        "  --format LAYOUT      DIR's layout: flyway|golang-migrate|goose|dbmate|liquibase|sqitch|plain\n"
	        "                       (default: detected)\n"
	        "  --pg-version N       the PostgreSQL major version to target (%d-%d, default %d)\n"
	        "  --lock-timeout MS    lock_timeout for blocking statements: the longest traffic\n"
	        "                       waits behind one attempt (default %d)\n"
	        "  --statement-timeout MS  statement_timeout for catalog-only statements (default 30000)\n"
	        "  --lock-retries N     attempts when a lock times out (default %d)\n"
	        "  --lock-wait MS       total time one statement keeps retrying its lock (default %d)\n"
	        "  --batch-size N       rows per committed backfill batch (default 5000)\n"
	        "  --batch-sleep MS     pause between backfill batches (default 0)\n"
	        "  --batch-time MS      adapt the batch size so a batch takes about MS (default: fixed size)\n"
	        "  --max-replica-lag MS pause batches while a replica's replay lag is above MS (default: off)\n"
	        "  -v, --verbose        say more on stderr\n"
	        "  -h, --help           show this help\n\n"
	        "By default the script stops at the first checkpoint, where the application must be\n"
	        "deployed; stderr says what was held back and the command that prints it. A word\n"
	        "starting with '-' inside a statement goes after '--'. Every statement also takes\n"
	        "lock-timeout MS: the lock_timeout of its own steps.\n\n"
	        "exit status: 0 ok, 1 hazards found (check), 2 bad input or usage\n",
	        MM_PG_VERSION_MIN, MM_PG_VERSION_MAX, MM_PG_VERSION_DEFAULT, dflt.lock_timeout_ms,
	        dflt.lock_retries, dflt.lock_wait_ms);
}

const char *cli_verb_name(size_t i)
{
	return i < MM_ARRAY_LEN(verbs) ? verbs[i].name : NULL;
}
