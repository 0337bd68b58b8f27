/*
 * change.h — the typed list of changes both front ends produce and the planner consumes.
 *
 * A change is one schema operation: one statement, or one subcommand of a multi-command ALTER
 * TABLE. It keeps its libpg_query node (rules rewrite and deparse it) and the statement it came
 * from (positions for errors, the text for pass-through). The change-spec front end builds the
 * same changes by generating SQL, so rules have one input shape.
 */
#ifndef MKMIG_CHANGE_H
#define MKMIG_CHANGE_H

#include "mkmig/sql.h"

#define MM_CHANGE_KINDS(X)                                                                        \
	X(CREATE_TABLE, "create-table")                                                           \
	X(CREATE_INDEX, "create-index")                                                           \
	X(DROP_INDEX, "drop-index")                                                               \
	X(ADD_COLUMN, "add-column")                                                               \
	X(SET_NOT_NULL, "set-not-null")                                                           \
	X(ADD_CONSTRAINT, "add-constraint")                                                       \
	X(ALTER_TYPE, "alter-type")                                                               \
	X(RENAME_COLUMN, "rename-column")                                                         \
	X(RENAME_TABLE, "rename-table")                                                           \
	X(DROP_COLUMN, "drop-column")                                                             \
	X(DROP_TABLE, "drop-table")                                                               \
	X(ADD_ENUM_VALUE, "add-enum-value")                                                       \
	X(CONVERT, "convert")                                                                     \
	X(BACKFILL, "backfill")                                                                   \
	/* data changes and maintenance statements (issue 9) */                                  \
	X(UPDATE, "update")                                                                       \
	X(DELETE, "delete")                                                                       \
	X(INSERT_SELECT, "insert-select")                                                         \
	X(REINDEX, "reindex")                                                                     \
	X(REFRESH, "refresh-matview")                                                             \
	X(REFUSED, "refused")                                                                     \
	X(DETACH_PARTITION, "detach-partition")                                                   \
	X(ATTACH_PARTITION, "attach-partition")                                                   \
	X(OTHER, "other")

enum mm_change_kind {
#define X(k, s) MM_CH_##k,
	MM_CHANGE_KINDS(X)
#undef X
	MM_CH__COUNT
};

/* A convert (change-spec only, src/rules/convert.c): a new column computed from an old one,
 * the old one dropped in the contract. Its statement is the naive equivalent for the model
 * (ADD COLUMN IF NOT EXISTS new, DROP COLUMN old). */
struct mm_convert {
	const char *old_col, *new_col;  /* as stored */
	const char *type;               /* SQL type of the new column */
	PgQuery__TypeName *type_name;   /* the same, parsed */
	PgQuery__Node *forward;         /* the new value from the row (old application's writes) */
	PgQuery__Node *back;            /* the old value from the row (new application's), or NULL */
	bool not_null;                  /* NOT NULL asked for (it is also kept when old was NOT NULL) */
	size_t new_off, new_len;        /* the new column's name in the statement text (errors) */
	struct mm_source *forward_src, *back_src; /* the texts forward and back were parsed from
	                                             (their locations, for errors) */
};

struct mm_change {
	enum mm_change_kind kind;
	const struct mm_stmt *stmt;  /* where it was written */
	size_t loc;                  /* byte offset of the subcommand (or the statement) in stmt->src */
	/* The node the rule works on: the statement for CREATE/DROP INDEX, CREATE TABLE, DROP,
	 * ALTER TYPE ADD VALUE, RENAME; the AlterTableCmd for ALTER TABLE subcommands; the statement
	 * for OTHER. */
	PgQuery__Node *node;
	/* For ALTER TABLE subcommands: the statement's relation (schema NULL when unqualified) and
	 * ONLY / IF EXISTS as written. */
	PgQuery__RangeVar *relation;
	bool missing_ok;
	/* Set when one ALTER TABLE was split: the change is subcommand index of count. */
	size_t sub_index, sub_count;
	const struct mm_convert *convert;  /* MM_CH_CONVERT */
	long batch_size;                   /* rows per backfill batch for this change (0: --batch-size) */
	int lock_timeout_ms;               /* lock_timeout of this change's steps (0: --lock-timeout) */
};

struct mm_change_list {
	struct mm_vec items;  /* struct mm_change * */
};

const char *mm_change_kind_name(enum mm_change_kind k);
/* Turn parsed statements into changes (one per statement or ALTER TABLE subcommand). */
void mm_changes_from_stmts(struct mm_ctx *ctx, const struct mm_stmt_list *stmts, struct mm_change_list *out);

#endif
