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
};

struct mm_change_list {
	struct mm_vec items;  /* struct mm_change * */
};

const char *mm_change_kind_name(enum mm_change_kind k);
/* Turn parsed statements into changes (one per statement or ALTER TABLE subcommand). */
void mm_changes_from_stmts(struct mm_ctx *ctx, const struct mm_stmt_list *stmts, struct mm_change_list *out);

#endif
