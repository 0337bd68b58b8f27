/*
 * emit.h — emitters: a plan in, files or a script out. Only src/emit/ turns plans into text.
 */
#ifndef MKMIG_EMIT_H
#define MKMIG_EMIT_H

#include "mkmig/plan.h"

enum mm_direction { MM_UP, MM_DOWN };

/* The filter's output: one script for `psql -X -v ON_ERROR_STOP=1 -f`, in psql's autocommit
 * mode, every phase in order with checkpoint comments between phases. */
void mm_emit_psql(struct mm_ctx *ctx, const struct mm_plan *plan, enum mm_direction dir, struct mm_buf *out);
/* The same for the steps a phase selection holds (plan.h): the default stops at the first
 * checkpoint and ends with a banner saying what was held back. Prints nothing for an empty
 * selection. */
void mm_emit_psql_phases(struct mm_ctx *ctx, const struct mm_plan *plan, enum mm_direction dir, enum mm_phase_sel sel,
                         struct mm_buf *out);
/* The same written to f as it is produced (the filter's stdout). */
void mm_emit_psql_to(struct mm_ctx *ctx, const struct mm_plan *plan, enum mm_direction dir, enum mm_phase_sel sel,
                     FILE *f);
/* `mkmig plan`: each step, its phase, unit, locks and why. */
void mm_emit_plan_text(struct mm_ctx *ctx, const struct mm_plan *plan, struct mm_buf *out);

/* Who opens the transaction around a transactional unit. */
enum mm_tx_wrap {
	MM_TXW_SESSION,  /* nobody: a psql script in autocommit; session SET, BEGIN/COMMIT only
	                    around several plain statements */
	MM_TXW_RUNNER,   /* the runner (Flyway, dbmate, goose, Liquibase): SET LOCAL, no BEGIN */
	MM_TXW_FILE,     /* the file itself (golang-migrate, sqitch, plain): BEGIN; SET LOCAL ...; COMMIT; */
};

/* How the runner sends a unit, so each step's SQL fits it (formats.md §0, §10). */
struct mm_sql_style {
	enum mm_tx_wrap tx;
	bool one_string;         /* a non-transactional unit reaches the server as one string: it
	                            must be exactly one statement, so no SET around it */
	bool reset_after;        /* the runner reuses the connection: a non-transactional unit
	                            resets the settings it made */
	const char *body_begin;  /* line before a statement with a dollar-quoted body (goose's
	                            StatementBegin), or NULL */
	const char *body_end;
};
extern const struct mm_sql_style mm_style_psql;

/* One step's SQL as it runs (lock settings, retry call), for the psql script. */
void mm_emit_step_sql(struct mm_ctx *ctx, const struct mm_step *s, enum mm_direction dir, struct mm_buf *out);
/* The same for a runner's file. */
void mm_emit_step_sql_styled(struct mm_ctx *ctx, const struct mm_step *s, enum mm_direction dir,
                             const struct mm_sql_style *st, struct mm_buf *out);
/* Does the step call pg_temp.mkmig_retry (so the file must define it first)? */
bool mm_step_needs_retry(const struct mm_step *s, enum mm_direction dir);
/* The definition of pg_temp.mkmig_retry, once per file or script, before the first call. */
void mm_emit_retry_helper(struct mm_ctx *ctx, const struct mm_sql_style *st, struct mm_buf *out);
/* Does the step call pg_temp.mkmig_batch (src/emit/batch.c)? Its definition, once per file or
 * script before the first call; and the call wrapped in one DO block that creates it first, for a
 * runner that sends a non-transactional unit as one string. */
bool mm_step_needs_batch_helper(const struct mm_step *s, enum mm_direction dir);
void mm_emit_batch_helper(struct mm_ctx *ctx, const struct mm_sql_style *st, struct mm_buf *out);
void mm_emit_batch_wrapped(struct mm_ctx *ctx, const char *call, struct mm_buf *out);

#endif
