/*
 * ctx.c — compilation context lifecycle and the reporting calls every stage uses.
 */
#include "mkmig/ctx.h"

#include <string.h>

void mm_options_default(struct mm_options *o)
{
	memset(o, 0, sizeof(*o));
	o->pg_version = MM_PG_VERSION_DEFAULT;
	/* While a DDL statement waits for its lock, every later query on the table queues behind
	 * it, so lock_timeout is how long traffic stalls per attempt. Measured with
	 * tests/bench/traffic/tune.sh (lock-queue trap: a reader holds the table 4 s; 4 clients at
	 * 200 tps; no-migration max 60-120 ms): the worst latency follows the timeout (50 ms: 66,
	 * 100: 118, 250: 259, 500: 532, 2000: 2006 ms). 100 ms keeps it within the baseline's noise;
	 * more attempts, with the jittered back-off between them, outlast a blocker of a minute. */
	o->lock_timeout_ms = 100;
	o->statement_timeout_ms = 30000;
	o->lock_retries = 30;
	/* The attempts stop at whichever comes first: the count or this much time, so a blocker that
	 * never ends fails the step in a minute instead of after every back-off (about two minutes at
	 * 30 attempts), and statement_timeout can be set to a bound a reviewer can read. */
	o->lock_wait_ms = 60000;
	o->batch_size = 5000;
	o->batch_sleep_ms = 0;
	o->batch_time_ms = 0;
	o->max_replica_lag_ms = 0;
}

void mm_ctx_init(struct mm_ctx *ctx)
{
	memset(ctx, 0, sizeof(*ctx));
	mm_arena_init(&ctx->arena);
	mm_options_default(&ctx->opt);
}

void mm_ctx_release(struct mm_ctx *ctx)
{
	mm_arena_release(&ctx->arena);
	mm_map_clear(&ctx->deparse_memo);
	memset(&ctx->diags, 0, sizeof(ctx->diags));
}

static struct mm_diag *vreport(struct mm_ctx *ctx, enum mm_severity sev, const struct mm_source *src,
                               size_t off, size_t len, const char *fmt, va_list ap)
{
	char *msg = mm_vsprintf(&ctx->arena, fmt, ap);
	return mm_diag_add(&ctx->arena, &ctx->diags, sev, src, off, len, msg);
}

int mm_error(struct mm_ctx *ctx, const struct mm_source *src, size_t off, size_t len, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vreport(ctx, MM_ERROR, src, off, len, fmt, ap);
	va_end(ap);
	return -1;
}

int mm_error_hint(struct mm_ctx *ctx, const struct mm_source *src, size_t off, size_t len,
                  const char *hint, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	struct mm_diag *d = vreport(ctx, MM_ERROR, src, off, len, fmt, ap);
	va_end(ap);
	d->hint = hint ? mm_strdup(&ctx->arena, hint) : NULL;
	return -1;
}

void mm_warn(struct mm_ctx *ctx, const struct mm_source *src, size_t off, size_t len, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vreport(ctx, MM_WARNING, src, off, len, fmt, ap);
	va_end(ap);
}

void mm_note(struct mm_ctx *ctx, const struct mm_source *src, size_t off, size_t len, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vreport(ctx, MM_NOTE, src, off, len, fmt, ap);
	va_end(ap);
}
