/*
 * plan.h — the plan: ordered steps, each one unit an emitter writes (a transaction, a
 * non-transactional statement such as CREATE INDEX CONCURRENTLY, or a batched backfill that
 * commits per batch), with the SQL that undoes it and the locks it takes.
 *
 * Steps are grouped by phase. The filter prints every phase with checkpoint comments between
 * them; a migrations-directory emitter writes expand/backfill now and keeps contract pending
 * (design.md, "Multi-deploy changes").
 */
#ifndef MKMIG_PLAN_H
#define MKMIG_PLAN_H

#include "mkmig/change.h"
#include "mkmig/model.h"

enum mm_phase { MM_PHASE_EXPAND, MM_PHASE_BACKFILL, MM_PHASE_CONTRACT, MM_PHASE__COUNT };

/* How a step must be run. */
enum mm_unit {
	MM_UNIT_TX,     /* one transaction; blocking locks under lock_timeout with in-SQL retries */
	MM_UNIT_NONTX,  /* must run outside any transaction block (CONCURRENTLY, ADD VALUE on 11) */
	MM_UNIT_BATCH,  /* a DO block that COMMITs per batch: top level, outside any transaction */
	MM_UNIT__COUNT
};

/* PostgreSQL's table lock modes, weakest first (docs: explicit-locking.html). */
enum mm_lock {
	MM_LOCK_NONE,
	MM_LOCK_ACCESS_SHARE,
	MM_LOCK_ROW_SHARE,
	MM_LOCK_ROW_EXCLUSIVE,
	MM_LOCK_SHARE_UPDATE_EXCLUSIVE,
	MM_LOCK_SHARE,
	MM_LOCK_SHARE_ROW_EXCLUSIVE,
	MM_LOCK_EXCLUSIVE,
	MM_LOCK_ACCESS_EXCLUSIVE,
	MM_LOCK__COUNT
};

/* What the statement does while it holds the lock. */
enum mm_work {
	MM_WORK_CATALOG,   /* catalog update only: instant once the lock is granted */
	MM_WORK_SCAN,      /* reads the whole table */
	MM_WORK_REWRITE,   /* writes a new copy of the table and its indexes */
	MM_WORK_BUILD,     /* builds an index (CONCURRENTLY: two scans, waits for old snapshots) */
	MM_WORK_BATCHES,   /* updates rows in committed batches */
	MM_WORK__COUNT
};

struct mm_lock_use {
	const char *table;       /* qualified, quoted as needed (display) */
	enum mm_lock mode;
	enum mm_work work;
};

struct mm_step {
	enum mm_phase phase;
	enum mm_unit unit;
	const char *title;       /* one line: what the step does */
	const char *why;         /* why this form (shown by `mkmig plan`), or NULL */
	const char *warning;     /* said on stderr and in the script (destructive, irreversible) */
	struct mm_vec up;        /* const char *: SQL statements, no trailing semicolon */
	struct mm_vec down;      /* const char *: statements that undo this step (run in order) */
	enum mm_unit down_unit;  /* how the down statements run (default: TX, NONTX for NONTX) */
	bool plpgsql;            /* up statements are PL/pgSQL statements: the emitter wraps them in
	                            a DO block (IF ... THEN ... END IF guards) */
	bool down_plpgsql;       /* likewise for down */
	const char *down_warning;/* said in the down script and on stderr (e.g. data cannot return) */
	struct mm_vec locks;     /* struct mm_lock_use * */
	const char *lock_note;   /* locks that cannot be listed (a DO block, CALL): why, or NULL */
	bool no_timeout;         /* long by design: no statement_timeout (VALIDATE, scans) */
	bool on_new_table;       /* its table was created earlier in this input: no one waits on it */
	int lock_timeout_ms;     /* this step's lock_timeout (0: --lock-timeout), from its change */
	const struct mm_change *change;
	bool table_new;          /* its change's table was created earlier in this input (when planned) */
	bool batch_call;         /* up is one CALL of pg_temp.mkmig_batch (src/emit/batch.c): the file
	                            defines the procedure first */
};

/* A point between phases where the application must be deployed before going on. */
struct mm_checkpoint {
	enum mm_phase before;    /* the checkpoint sits before the first step of this phase */
	const char *message;     /* which application change must be live */
};

/* A table the plan changes, with its size where the live catalog told it (--db). */
struct mm_table_size {
	const char *table;           /* qualified, quoted as needed */
	double rows;
	int64_t bytes;
};

/* A condition the contract phase needs (the expand and backfill phases completed): checked in SQL
 * by the guard step that opens the contract phase. */
struct mm_guard {
	const char *done;            /* SQL: the change already went through (a re-run), or NULL */
	const char *ready;           /* SQL, catalog only: the expand phase's objects exist */
	const char *pending;         /* a query whose rows the backfill has not finished, or NULL
	                                (run only once ready holds: it names the new columns) */
	const char *message;         /* what is missing */
};

struct mm_plan {
	struct mm_vec steps;         /* struct mm_step *, in execution order */
	struct mm_vec checkpoints;   /* struct mm_checkpoint * */
	const struct mm_checkpoint *first_checkpoint; /* the earliest of them (the first of equals), or NULL:
	                                                 every step asks for it */
	struct mm_vec guards;        /* struct mm_guard *: what the contract guard step checks */
	struct mm_vec sizes;         /* struct mm_table_size *: tables with estimates, first use order */
	struct mm_vec done_jobs;     /* const char *: "progress table\njob literal" of batched writes
	                                that leave a done marker; the plan's last step removes them */
};

const char *mm_phase_name(enum mm_phase p);
const char *mm_unit_name(enum mm_unit u);
const char *mm_lock_name(enum mm_lock l);
const char *mm_work_name(enum mm_work w);
/* What a lock mode blocks, in words ("blocks reads and writes", "blocks writes", ...). */
const char *mm_lock_blocks(enum mm_lock l);
/* True when the mode blocks ordinary reads or writes of the table (SHARE and stronger, and
 * also SHARE ROW EXCLUSIVE). Such statements must be short and run under lock_timeout. */
bool mm_lock_blocks_traffic(enum mm_lock l);

/* Plan every change against the model (which is updated as each change is planned). */
int mm_plan_build(struct mm_ctx *ctx, struct mm_model *model, const struct mm_change_list *changes,
                  struct mm_plan *out);

/* --- phase selection (phases.c): which steps an output holds --------------------------------
 * Nothing may run ahead of the deploy: by default an output stops at the first checkpoint (the
 * application must be deployed there), `--phase contract` is what follows it, `--all-phases`
 * everything (design.md, "Multi-deploy changes"). Every emitter asks these, so the psql script,
 * the migration-tool layouts and the down scripts agree on the split. */
enum mm_phase_sel {
	MM_SEL_UNTIL_CHECKPOINT,  /* the default: up to the first checkpoint */
	MM_SEL_CONTRACT,          /* the steps after the first checkpoint */
	MM_SEL_ALL,               /* every step, checkpoints as comments */
};
/* The phase the first checkpoint sits before; MM_PHASE__COUNT when the plan has none. */
enum mm_phase mm_plan_first_checkpoint(const struct mm_plan *plan);
/* The first checkpoint (NULL when none). */
const struct mm_checkpoint *mm_plan_checkpoint_first(const struct mm_plan *plan);
/* What must be deployed at the checkpoint before phase ph: every change's message there, in
 * input order, distinct ones joined by "; " (NULL when none). */
const char *mm_plan_checkpoint_message(struct mm_ctx *ctx, const struct mm_plan *plan, enum mm_phase ph);
bool mm_plan_selects(const struct mm_plan *plan, const struct mm_step *s, enum mm_phase_sel sel);
/* How many steps a selection holds. */
size_t mm_plan_count(const struct mm_plan *plan, enum mm_phase_sel sel);
/* Record a condition the contract phase needs; mm_plan_build turns them into the guard step
 * that opens the contract phase (it RAISEs, naming what is missing, when one is false). */
void mm_plan_contract_guard(struct mm_ctx *ctx, struct mm_plan *plan, const char *done, const char *ready,
                            const char *pending, const char *fmt, ...) MM_PRINTF(6, 7);
/* Insert the guard step (called once, after the steps are ordered by phase). */
void mm_plan_add_guard_step(struct mm_ctx *ctx, struct mm_plan *plan);

/* --- building steps (used by rules) --------------------------------------------------------- */
struct mm_step *mm_step_new(struct mm_ctx *ctx, struct mm_plan *plan, const struct mm_change *ch,
                            enum mm_phase phase, enum mm_unit unit, const char *title);
void mm_step_up(struct mm_ctx *ctx, struct mm_step *s, const char *fmt, ...) MM_PRINTF(3, 4);
void mm_step_down(struct mm_ctx *ctx, struct mm_step *s, const char *fmt, ...) MM_PRINTF(3, 4);
void mm_step_lock(struct mm_ctx *ctx, struct mm_step *s, const char *table, enum mm_lock mode,
                  enum mm_work work);
void mm_step_why(struct mm_ctx *ctx, struct mm_step *s, const char *fmt, ...) MM_PRINTF(3, 4);
void mm_plan_checkpoint(struct mm_ctx *ctx, struct mm_plan *plan, enum mm_phase before, const char *fmt, ...)
    MM_PRINTF(4, 5);

#endif
