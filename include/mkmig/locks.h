/*
 * locks.h — the lock authority (src/plan/locks.c): for any statement libpg_query parses, every
 * table lock it takes, in which mode, and what work it does while holding it. The planner shows
 * these in `mkmig plan` and the script comments; `mkmig check` reports them. No other file
 * decides a lock mode.
 *
 * Usage: mm_locks_of_stmt(ctx, stmt_node, pg_version, &out); then out.kind says whether the
 * statement takes no table lock (true: roles, settings, functions, ...), the listed ones, or
 * locks mkmig cannot know (a DO block, CALL, EXECUTE: code it does not read).
 */
#ifndef MKMIG_LOCKS_H
#define MKMIG_LOCKS_H

#include "mkmig/plan.h"

enum mm_locks_kind {
	MM_LOCKS_NONE,     /* no lock on any table or index (out.why says why) */
	MM_LOCKS_TABLES,   /* out.items lists every lock (may still carry a note on unnamed targets) */
	MM_LOCKS_UNKNOWN,  /* depends on code mkmig does not analyse (out.why says which) */
};

struct mm_stmt_lock {
	const char *schema;   /* as written (NULL: unqualified) */
	const char *name;     /* relation as written; NULL when the targets are not named (see note) */
	bool is_index;        /* the lock is on an index, not a table */
	enum mm_lock mode;
	enum mm_work work;
	const char *note;     /* which objects when not named ("every table using the domain"), or NULL */
};

struct mm_stmt_locks {
	enum mm_locks_kind kind;
	const char *why;      /* NONE / UNKNOWN: one line saying why */
	struct mm_vec items;  /* struct mm_stmt_lock *, one per (object, role); strongest first per object */
};

/* Every table lock of one top-level statement (stmt: a parsed statement node, e.g. a RawStmt's
 * stmt). ALTER TABLE merges its subcommands per table (strongest mode, heaviest work). */
void mm_locks_of_stmt(struct mm_ctx *ctx, const PgQuery__Node *stmt, int pg_version, struct mm_stmt_locks *out);
/* The lock and work of one ALTER TABLE subcommand on the altered table. */
void mm_locks_alter_cmd(const PgQuery__AlterTableCmd *cmd, int pg_version, enum mm_lock *lock, enum mm_work *work);
/* True when the authority has an entry for this statement node type (the unit test walks every
 * *_stmt node type the parser knows). */
bool mm_locks_has_entry(PgQuery__Node__NodeCase node);
/* Orders work kinds by how long they hold the lock: catalog < batches < scan < build < rewrite. */
int mm_work_rank(enum mm_work w);

#endif
