/*
 * swap.h — expand/contract of one column: RENAME COLUMN and ALTER COLUMN TYPE share it.
 */
#ifndef MKMIG_RULES_SWAP_H
#define MKMIG_RULES_SWAP_H

#include "common.h"

struct mm_swap {
	const char *old_col;        /* the existing column */
	const char *new_col;        /* the column added in expand */
	const char *final_col;      /* its name after the contract */
	const char *new_type;       /* SQL type of the new column (with COLLATE when needed) */
	PgQuery__Node *forward;     /* new value from the row (unqualified column refs) */
	PgQuery__Node *backward;    /* old value from the row, or NULL: one-way sync */
	const char *what;           /* "rename users.user_name to username" (titles) */
	const char *app_change;     /* what the application must do before the contract */
	bool rebuild_views;         /* drop and recreate the views reading the table in the contract */
	/* convert (convert.c) differs from a rename or a type change in these: */
	const char *pending;        /* rows the backfill updates (alias t); NULL: new differs from
	                               forward(old) */
	bool fresh_column;          /* the new column is a new value (no default, indexes or
	                               constraints carried over from the old one) */
	bool not_null;              /* NOT NULL on the new column even when the old one is nullable */
	/* Called after the backfill, before NOT NULL: a validation step, say. */
	void (*after_backfill)(struct mm_rule_ctx *r, const struct mm_swap *sw);
	const void *arg;            /* for after_backfill */
};

/* Can the column be swapped? NULL when yes, else why not (then the caller falls back). */
const char *mm_swap_blocker(struct mm_rule_ctx *r, const char *column, bool rebuild_views);
int mm_rule_swap(struct mm_rule_ctx *r, const struct mm_swap *sw);
/* The contract step mm_rule_swap planned (its down is the caller's to write). */
struct mm_step *mm_swap_contract_step(struct mm_rule_ctx *r);
/* A copy of expr with every unqualified column reference qualified by alias, deparsed. */
const char *mm_swap_qualified(struct mm_rule_ctx *r, PgQuery__Node *expr, const char *alias);
/* Does a definition (index, constraint) name the column as a column? Tokens after stop_keyword
 * (e.g. "references") are not looked at. */
bool mm_swap_mentions(struct mm_rule_ctx *r, const char *def, const char *column, const char *stop);
/* Replace references to column `from` by `to` in a tree (in place; the tree must be a copy). */
void mm_swap_rename_refs(PgQuery__Node *tree, const char *from, const char *to);

#endif
