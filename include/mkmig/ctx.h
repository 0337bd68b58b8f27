/*
 * ctx.h — the compilation context handed to every stage: arena, diagnostics, options.
 *
 * Reporting follows git's error(): mm_error() records and returns -1 so a call site reads
 * `return mm_error(ctx, ...)`. Stages keep going where they can, so one run reports every error;
 * the CLI writes nothing when ctx->diags.nerrors is non-zero (design contract 5).
 */
#ifndef MKMIG_CTX_H
#define MKMIG_CTX_H

#include "mkmig/diag.h"
#include "mkmig/util.h"

/* The oldest PostgreSQL major release the PostgreSQL project still supports when this release was
 * cut: 14 reached end of life on 2026-11-12 (https://www.postgresql.org/support/versioning/). */
#define MM_PG_VERSION_DEFAULT 15
#define MM_PG_VERSION_MIN 10
#define MM_PG_VERSION_MAX 18

struct mm_options {
	int pg_version;            /* major version the output must be correct for */
	int lock_timeout_ms;       /* for every statement that takes a blocking lock */
	int statement_timeout_ms;  /* for catalog-only transactional statements */
	int lock_retries;          /* attempts before giving up on a lock */
	int lock_wait_ms;          /* total time one statement may spend retrying its lock */
	long batch_size;           /* rows per committed backfill batch */
	int batch_sleep_ms;        /* pause between batches */
	int batch_time_ms;         /* target time per batch: the batch size adapts (0: fixed size) */
	int max_replica_lag_ms;    /* pause batches while a replica's replay lag is above (0: off) */
	int verbose;
	bool plan_only;            /* mkmig check: a statement kept as written needs its step's title and
	                              locks, not its re-runnable SQL (nothing is emitted) */
};

struct mm_ctx {
	struct mm_arena arena;
	struct mm_diags diags;
	struct mm_options opt;
	struct mm_map deparse_memo;   /* deparsed type names and constraint definitions by their shape
	                              (pgq.c, model/definition.c; in the arena) */
};

void mm_ctx_init(struct mm_ctx *ctx);
void mm_ctx_release(struct mm_ctx *ctx);
void mm_options_default(struct mm_options *o);

int mm_error(struct mm_ctx *ctx, const struct mm_source *src, size_t off, size_t len,
             const char *fmt, ...) MM_PRINTF(5, 6);
int mm_error_hint(struct mm_ctx *ctx, const struct mm_source *src, size_t off, size_t len,
                  const char *hint, const char *fmt, ...) MM_PRINTF(6, 7);
void mm_warn(struct mm_ctx *ctx, const struct mm_source *src, size_t off, size_t len,
             const char *fmt, ...) MM_PRINTF(5, 6);
void mm_note(struct mm_ctx *ctx, const struct mm_source *src, size_t off, size_t len,
             const char *fmt, ...) MM_PRINTF(5, 6);

#endif
