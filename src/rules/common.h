/*
 * common.h — building blocks several rules share: guarded (re-runnable) constraint steps,
 * NOT VALID + VALIDATE, NOT NULL through a validated CHECK, and batched backfills.
 */
#ifndef MKMIG_RULES_COMMON_H
#define MKMIG_RULES_COMMON_H

#include "../plan/naming.h"

/* add_sql (an ALTER TABLE ... ADD CONSTRAINT name ... NOT VALID), skipped when a constraint of
 * that name exists so a re-run after an interruption goes on; then VALIDATE CONSTRAINT in its own
 * transaction. other_table (or NULL) is the referenced table of a foreign key. Down drops the
 * constraint. */
void mm_rule_constraint_not_valid_validate(struct mm_rule_ctx *r, const char *name, const char *add_sql,
                                           enum mm_lock add_lock, const char *other_table, const char *why);
/* The change's table as a RangeVar qualified with its resolved schema (for deparsing). */
PgQuery__RangeVar *mm_rule_relation(struct mm_rule_ctx *r);
/* Deparse ALTER TABLE <table> <one subcommand>. */
const char *mm_rule_alter_sql(struct mm_rule_ctx *r, PgQuery__AlterTableCmd *cmd);
/* The four-step NOT NULL: CHECK (col IS NOT NULL) NOT VALID, VALIDATE, SET NOT NULL, drop the
 * CHECK. On PostgreSQL < 12 SET NOT NULL cannot use the CHECK and scans under ACCESS EXCLUSIVE;
 * the step says so. Down: DROP NOT NULL (unless keep_on_down). */
void mm_rule_not_null(struct mm_rule_ctx *r, const char *column, bool undo_on_down);
/* A guarded statement: IF <cond> THEN <sql> END IF (PL/pgSQL, for a step with plpgsql set). */
const char *mm_rule_guard(struct mm_rule_ctx *r, const char *cond, const char *sql);
/* SQL condition: a constraint of that name exists on qtable. */
/* SQL condition: the column exists on the change's table. */
const char *mm_rule_column_exists(struct mm_rule_ctx *r, const char *column);
const char *mm_rule_constraint_exists(struct mm_rule_ctx *r, const char *name);
/* Qualified name of the change's table, as a string literal (for to_regclass). */
const char *mm_rule_table_literal(struct mm_rule_ctx *r);

/* CREATE INDEX CONCURRENTLY IF NOT EXISTS name (a copy of ix with that name) on one plain table,
 * preceded by the removal of an INVALID leftover of that name. Down drops it concurrently. */
void mm_rule_build_index_concurrently(struct mm_rule_ctx *r, const PgQuery__IndexStmt *ix, const char *schema,
                                      const char *name, PgQuery__RangeVar *rel, const char *qtable);

/* Down-script SQL rebuilding model objects (recreate.c): a column definition, an index (IF NOT
 * EXISTS, optionally CONCURRENTLY), and a table's CREATE TABLE plus its non-constraint indexes. */
const char *mm_rule_column_sql(struct mm_rule_ctx *r, const struct mm_column *c, bool with_not_null);
const char *mm_rule_index_sql(struct mm_rule_ctx *r, const struct mm_index *ix, bool concurrently);
void mm_rule_create_table_sql(struct mm_rule_ctx *r, const struct mm_table *t, struct mm_vec *out);
/* A partitioned table whose partitioning mm_rule_create_table_sql cannot rebuild (key or a
 * partition's bound unknown, sub-partitions). */
bool mm_rule_partitioning_lost(const struct mm_table *t);

/* A batched backfill: UPDATE qtable SET <set> WHERE <pending> in keyset batches on the primary
 * key, each batch committed, progress kept so an interrupted run resumes. Returns -1 (with an
 * error) when the table's primary key is unknown. */
/* Why this change must keep its place in the input instead of being spread over phases: a later
 * subcommand of the same statement, or a later statement naming one of names (identifiers as
 * stored). NULL when nothing later depends on it. */
const char *mm_rule_later_use(struct mm_rule_ctx *r, const char *const *names, size_t n);
/* done_if: a SQL condition meaning the whole change already happened (a re-run): skip. */
int mm_rule_backfill(struct mm_rule_ctx *r, const char *label, const char *set_sql, const char *pending_sql,
                     const char *done_if);
/* The same, where computing a row's value can fail on one row: row_expr (over alias t) is that
 * value; a batch that fails finds the first row whose row_expr raises and stops with its key. */
int mm_rule_backfill_rows(struct mm_rule_ctx *r, const char *label, const char *set_sql, const char *pending_sql,
                          const char *done_if, const char *row_expr);

/* A batched write over the change's table (backfill.c): keyset batches on the primary key, the
 * batch's keys in the CTE mkmig_keys(mkmig_k1, mkmig_k2, ...); write_sql is one statement that
 * joins mkmig_keys and ends in RETURNING 1. Progress commits with each batch. once: the write is
 * not idempotent, so the job leaves a done marker that a final step of the plan removes. */
struct mm_batch_spec {
	const char *label;      /* unique per table in this plan */
	const char *from;       /* where the keys are read: the table, "ONLY t" as written */
	const char *write_sql;
	const char *done_if;    /* SQL condition: the whole change already happened, or NULL */
	bool once;
	const char *row_expr;   /* a value that can fail on one row (see mm_rule_backfill_rows), or NULL */
	const char *pending_sql;/* with row_expr: the condition of the rows still to fill (alias t) */
	const char *title, *why;
	enum mm_phase phase;
};
int mm_rule_batched(struct mm_rule_ctx *r, const struct mm_batch_spec *spec);
/* The primary key's columns (quoted) and types (types may be NULL); false when there is none. */
bool mm_rule_batch_key(struct mm_rule_ctx *r, struct mm_vec *cols, struct mm_vec *types);
/* Register a done marker (job literal in the change's schema's progress table) for the plan's
 * final cleanup step (planner.c). */
void mm_rule_batch_cleanup(struct mm_rule_ctx *r, const char *job);
void mm_rule_batch_cleanup_step(struct mm_ctx *ctx, struct mm_plan *plan);

/* The batch of a batched UPDATE / DELETE (dml_write.c): the condition (ref.k1, ...) =
 * (mkmig_keys.mkmig_k1, ...) over table's primary key, as a tree; the statement's text restricted
 * to the batch (cols: the key columns, quoted), or NULL when its text is not of a shape edited
 * safely. */
PgQuery__Node *mm_rule_key_eq(struct mm_arena *a, const struct mm_table *table, const char *ref);
const char *mm_rule_batch_write_text(struct mm_rule_ctx *r, const char *ref, const struct mm_vec *cols);

/* UPDATE that sets a primary key column (dml_key.c): why it cannot be batched (NULL: it can); the
 * step collecting the keys it touches into a work table (returned), batched over by dml.c; the
 * step dropping that table after the batches. */
const char *mm_rule_key_update_why(struct mm_rule_ctx *r);
const char *mm_rule_key_update_collect(struct mm_rule_ctx *r, const char *label, const char *ref);
void mm_rule_key_update_drop(struct mm_rule_ctx *r, const char *work);

/* ADD COLUMN of a serial or identity column in its safe form (add_generated.c): 0, -1 on error,
 * 1 when that form does not apply. Why a stored generated column has none. */
int mm_rule_add_generated(struct mm_rule_ctx *r, const PgQuery__ColumnDef *cd);
const char *mm_rule_generated_why(struct mm_rule_ctx *r);

#endif
