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
/* `mkmig plan`: each step, its phase, unit, locks and why. */
void mm_emit_plan_text(struct mm_ctx *ctx, const struct mm_plan *plan, struct mm_buf *out);

/* One step's SQL as it runs (lock settings, retry wrapper), for emitters that write one file
 * per unit. */
void mm_emit_step_sql(struct mm_ctx *ctx, const struct mm_step *s, enum mm_direction dir, struct mm_buf *out);

#endif
