/*
 * check.h — `mkmig check`: the planner's analysis reported instead of emitted.
 *
 * Every hazard about locks comes from the plan: a change the planner had to rewrite (its steps
 * are not the statement as written) is a hazard, described by what the lock authority
 * (src/plan/locks.c) says about the statement as written, and fixed by the planner's steps. A
 * change kept as written is a hazard only when its step still blocks traffic while it scans or
 * rewrites (no online form), or takes a blocking lock without lock_timeout. Rules that are about
 * transactions, the migration runner or column types live in src/check/ as tables.
 */
#ifndef MKMIG_CHECK_H
#define MKMIG_CHECK_H

#include "mkmig/model.h"
#include "mkmig/plan.h"

enum mm_check_category {
	MM_CHECK_CAT_LOCK,         /* derived from the plan: locks, scans, rewrites */
	MM_CHECK_CAT_TRANSACTION,  /* transaction blocks and the runner's transaction */
	MM_CHECK_CAT_CORRECTNESS,  /* statements that fail or leave a broken state */
	MM_CHECK_CAT_STYLE,        /* schema choices that cost an outage later */
	MM_CHECK_CAT__COUNT
};

struct mm_check_rule {
	const char *id;
	enum mm_check_category category;
	const char *summary;       /* one line */
	const char *explain;       /* the paragraph of `mkmig check --explain ID` */
	const char *peers;         /* the squawk / strong_migrations rules it covers, or NULL */
};

const char *mm_check_category_name(enum mm_check_category c);
size_t mm_check_rule_count(void);
const struct mm_check_rule *mm_check_rule_at(size_t i);
/* The rule with that id, NULL when none. */
const struct mm_check_rule *mm_check_rule_find(const char *id);

/* How the migration tool runs a file (from its path and, where the tool has one, its settings). */
enum mm_runner { MM_RUNNER_PLAIN, MM_RUNNER_FLYWAY, MM_RUNNER_GOLANG, MM_RUNNER_DBMATE, MM_RUNNER_DIESEL,
                 MM_RUNNER_SQITCH, MM_RUNNER__COUNT };

struct mm_check_runner {
	enum mm_runner kind;
	bool non_tx;               /* the file's settings turn the tool's transaction off */
	const char *setting;       /* where that setting lives, for messages ("V2__x.sql.conf") */
};

const char *mm_runner_name(enum mm_runner r);
/* Detect the runner of a migration file from its path (Flyway V..__x.sql and its .sql.conf,
 * golang-migrate N_x.up.sql, diesel N_x/up.sql and metadata.toml, dbmate '-- migrate:up',
 * sqitch deploy/). */
void mm_check_runner_detect(struct mm_ctx *ctx, const char *path, const struct mm_source *src,
                            struct mm_check_runner *out);

/* One hazard. */
struct mm_finding {
	const struct mm_check_rule *rule;
	enum mm_severity severity;
	struct mm_source *src;
	size_t off, len;           /* the span the caret marks */
	size_t stmt_off, stmt_len; /* the whole statement (fingerprints) */
	const char *message;
	const char *table;         /* the table locked (qualified), or NULL */
	bool has_lock;
	enum mm_lock lock;
	enum mm_work work;
	double rows;               /* estimates from --db, -1 unknown */
	int64_t bytes;
	double seconds;            /* expected duration of the scan/rewrite/build, -1 unknown */
	const char *fix;           /* the SQL mkmig would emit instead, or NULL */
	const char *note;          /* one more sentence (why the fix has that form), or NULL */
};

struct mm_check_options {
	struct mm_vec excludes;    /* const char *: rule ids or category names */
	double small_table;        /* with --db: hazards on tables of at most this many rows are notes */
};

struct mm_check {
	struct mm_ctx *ctx;
	struct mm_model *model;
	struct mm_check_options opt;
	struct mm_vec findings;    /* struct mm_finding *, in input order */
	size_t nfiles, nstmts;
	size_t nbad;               /* input files that could not be read or parsed (reported as errors) */
	bool incomplete;           /* an earlier input file was not learned: the model may miss its objects */
	struct mm_vec do_tables;   /* tables DO blocks of the input create, which the model does not see */
};

/* Check one migration file (already read): judge each statement against the model, then let the
 * model learn it, so the next file sees it. Returns 0, or -1 after reporting a bad input. */
int mm_check_source(struct mm_check *c, struct mm_source *src, const struct mm_check_runner *runner);

/* The migration scripts of a directory in the order its tool runs them (the --dir loader's
 * detection); paths appended to out. Returns 0 or -1 with an error reported. */
int mm_model_dir_scripts(struct mm_ctx *ctx, const char *dir, struct mm_vec *out);

enum mm_check_format { MM_CHECK_HUMAN, MM_CHECK_JSON, MM_CHECK_SARIF, MM_CHECK_GITHUB, MM_CHECK_GITLAB,
                       MM_CHECK_FORMAT__COUNT };
/* Parse a --format word; false when unknown. */
bool mm_check_format_parse(const char *word, enum mm_check_format *out);
/* Render all findings. */
void mm_check_render(struct mm_check *c, enum mm_check_format f, bool color, struct mm_buf *out);
/* `--explain ID` text. */
void mm_check_explain(const struct mm_check_rule *r, struct mm_buf *out);
/* True when a finding counts for the exit status (errors and warnings; notes do not). */
bool mm_check_failed(const struct mm_check *c);

#endif
