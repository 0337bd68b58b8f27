/*
 * check_internal.h — what the parts of `mkmig check` share: the per-file and per-statement
 * context (transaction state, lock_timeout, ignore comments) and the finding builder.
 */
#ifndef MKMIG_CHECK_INTERNAL_H
#define MKMIG_CHECK_INTERNAL_H

#include "mkmig/check.h"
#include "mkmig/change.h"

/* What is in force when a statement runs. */
struct ck_stmt {
	const struct mm_stmt *st;
	bool in_tx;             /* inside a transaction block (explicit, or the runner's) */
	bool explicit_tx;       /* inside an explicit BEGIN ... COMMIT of the file */
	size_t tx;              /* transaction number: equal for statements of one transaction */
	bool lock_timeout;      /* a non-zero lock_timeout is set */
	const char *ignore;     /* the rule list of '-- mkmig:ignore ...' on the line before, or NULL */
	bool fresh;             /* a change of it is on a table this input created (the plan says) */
	size_t call;            /* 1 + the index of mkmig's retry call it runs in (f->calls), or 0 */
};

struct ck_file {
	struct mm_check *c;
	struct mm_ctx *ctx;
	struct mm_source *src;
	const struct mm_check_runner *runner;
	bool runner_tx;         /* the runner wraps the whole file in one transaction */
	const char *runner_why; /* why it does (for messages) */
	struct ck_stmt *stmts;
	size_t n;
	struct mm_vec calls;    /* struct mm_sql_helper_call *: mkmig's retry calls, in file order */
	struct mm_vec proven;   /* const char * "table.column": a CHECK (col IS NOT NULL) validated in
	                           this file, in a later transaction than the one that added it */
};

/* True when this file validated a CHECK (column IS NOT NULL) on the table (SET NOT NULL then
 * skips its scan on PostgreSQL 12+). */
bool ck_not_null_proven(const struct ck_file *f, const char *table, const char *column);

/* The buffer's text copied into the arena; the buffer is released. */
char *ck_buf_take(struct mm_buf *b, struct mm_arena *a);

/* Add a finding unless the rule is excluded or ignored at that statement; NULL then. The span
 * defaults to the statement's first line when len is 0. */
struct mm_finding *ck_add(struct ck_file *f, const struct ck_stmt *s, const char *rule_id, size_t off, size_t len,
                          const char *fmt, ...) MM_PRINTF(6, 7);

/* Statements that PostgreSQL refuses inside a transaction block (at this version). */
bool ck_stmt_non_tx(const PgQuery__Node *n, int pg_version);
/* Transactions, the runner and lock_timeout: fills f->stmts and reports their rules. */
void ck_transactions(struct ck_file *f);
/* Hazards from the plan for each change of the file (judge.c). */
void ck_judge(struct ck_file *f, const struct mm_change_list *changes, const struct mm_plan *plan);
/* The rule that names a hazard of this change kind (for a change the planner could not plan). */
const char *ck_rule_for_change(const struct mm_change *ch);
/* Tables the file's DO blocks create (created.c): noted before the file is judged. */
void ck_note_do_tables(struct ck_file *f);
/* Did a DO block before offset off of this file (or an earlier file) create the table? */
bool ck_created_in_do(const struct ck_file *f, const char *schema, const char *name, size_t off);
/* Does the UPDATE or DELETE pin a unique key of its table by equality (one row at most)? */
bool ck_single_row(struct mm_arena *a, const struct mm_table *t, const PgQuery__Node *stmt);
/* Statement-level rules: types, domains, TRUNCATE CASCADE, identifiers, index forms (style.c). */
void ck_style(struct ck_file *f, const struct ck_stmt *s);

#endif
