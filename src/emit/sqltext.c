/*
 * sqltext.c — one plan step as SQL that runs correctly under any runner: the session settings
 * it needs, and for statements that take a lock blocking traffic, an in-SQL retry loop.
 *
 * Why a retry loop inside SQL: a DDL statement waiting for ACCESS EXCLUSIVE queues every later
 * reader behind it (lock queue, pg-facts §7), so it must give up quickly (lock_timeout) — and then
 * try again, or a busy table makes the migration fail. The loop is a DO block whose body is one
 * sub-transaction per attempt: on lock_not_available (55P03) everything the attempt locked is
 * released before it sleeps (docs: plpgsql-control-structures.html, "Trapping Errors").
 * statement_timeout covers the whole DO, so it is set to the worst case of all attempts.
 */
#include "mkmig/emit.h"

#include <string.h>

/* Longest sleep between attempts (seconds), before jitter. */
#define BACKOFF_CAP_S 5

static bool step_blocks_traffic(const struct mm_step *s)
{
	for (size_t i = 0; i < s->locks.len; i++) {
		const struct mm_lock_use *l = mm_vec_at(&s->locks, i);
		if (mm_lock_blocks_traffic(l->mode))
			return true;
	}
	return false;
}

/* A dollar-quote tag that does not occur in the body. */
static const char *dollar_tag(struct mm_ctx *ctx, const struct mm_vec *stmts)
{
	for (int n = 0;; n++) {
		const char *tag = n ? mm_sprintf(&ctx->arena, "$mkmig%d$", n) : "$mkmig$";
		bool clash = false;
		for (size_t i = 0; i < stmts->len && !clash; i++)
			clash = strstr(mm_vec_at(stmts, i), tag) != NULL;
		if (!clash)
			return tag;
	}
}

static void add_indented(struct mm_buf *out, const char *text, const char *indent)
{
	mm_buf_adds(out, indent);
	for (const char *p = text; *p; p++) {
		mm_buf_addch(out, *p);
		if (*p == '\n' && p[1])
			mm_buf_adds(out, indent);
	}
}

static void emit_retry_do(struct mm_ctx *ctx, const struct mm_vec *stmts, struct mm_buf *out)
{
	const struct mm_options *o = &ctx->opt;
	const char *tag = dollar_tag(ctx, stmts);
	mm_buf_addf(out, "DO %s\nDECLARE\n    mkmig_attempt int := 0;\nBEGIN\n    LOOP\n        BEGIN\n", tag);
	for (size_t i = 0; i < stmts->len; i++) {
		add_indented(out, mm_vec_at(stmts, i), "            ");
		mm_buf_adds(out, ";\n");
	}
	mm_buf_addf(out,
	            "            EXIT;\n"
	            "        EXCEPTION WHEN lock_not_available THEN\n"
	            "            mkmig_attempt := mkmig_attempt + 1;\n"
	            "            IF mkmig_attempt >= %d THEN\n"
	            "                RAISE;\n"
	            "            END IF;\n"
	            "            RAISE NOTICE 'mkmig: lock not available, attempt %% of %d; retrying', mkmig_attempt;\n"
	            "            PERFORM pg_catalog.pg_sleep(least(0.05 * 2 ^ mkmig_attempt, %d) * (0.5 + random()));\n"
	            "        END;\n"
	            "    END LOOP;\n"
	            "END\n%s;\n",
	            o->lock_retries, o->lock_retries, BACKOFF_CAP_S, tag);
}

static void emit_plain_do(struct mm_ctx *ctx, const struct mm_vec *stmts, struct mm_buf *out)
{
	const char *tag = dollar_tag(ctx, stmts);
	mm_buf_addf(out, "DO %s\nBEGIN\n", tag);
	for (size_t i = 0; i < stmts->len; i++) {
		add_indented(out, mm_vec_at(stmts, i), "    ");
		mm_buf_adds(out, ";\n");
	}
	mm_buf_addf(out, "END\n%s;\n", tag);
}

static void emit_statements(const struct mm_vec *stmts, struct mm_buf *out)
{
	for (size_t i = 0; i < stmts->len; i++)
		mm_buf_addf(out, "%s;\n", (const char *)mm_vec_at(stmts, i));
}

void mm_emit_step_sql(struct mm_ctx *ctx, const struct mm_step *s, enum mm_direction dir, struct mm_buf *out)
{
	const struct mm_options *o = &ctx->opt;
	const int lock_timeout_ms = s->lock_timeout_ms ? s->lock_timeout_ms : o->lock_timeout_ms; /* a spec statement's own */
	const struct mm_vec *stmts = dir == MM_UP ? &s->up : &s->down;
	enum mm_unit unit = dir == MM_UP ? s->unit : s->down_unit;
	bool plpgsql = dir == MM_UP ? s->plpgsql : s->down_plpgsql;
	/* Down steps are mkmig's own DDL: treat them as blocking, so they retry too. */
	bool blocking = dir == MM_UP ? step_blocks_traffic(s) : unit == MM_UNIT_TX;
	switch (unit) {
	case MM_UNIT_BATCH:
		/* Each batch waits for row locks at most lock_timeout and retries; the whole DO runs as
		 * long as the table needs, so no statement_timeout. */
		mm_buf_addf(out, "SET lock_timeout = '%dms';\nSET statement_timeout = 0;\n", lock_timeout_ms);
		emit_statements(stmts, out);
		return;
	case MM_UNIT_NONTX:
		/* Long by design, and a cancelled CONCURRENTLY build leaves an INVALID index: no
		 * timeouts. Session-level SET, because SET LOCAL outside a transaction does nothing. */
		mm_buf_adds(out, "SET lock_timeout = 0;\nSET statement_timeout = 0;\n");
		if (plpgsql)
			emit_plain_do(ctx, stmts, out);
		else
			emit_statements(stmts, out);
		return;
	case MM_UNIT_TX:
		break;
	case MM_UNIT__COUNT:
		MM_BUG("bad unit");
	}
	long per_try = (long)lock_timeout_ms + (long)BACKOFF_CAP_S * 1500;
	long budget = s->no_timeout ? 0 : o->statement_timeout_ms + (blocking ? per_try * o->lock_retries : 0);
	mm_buf_addf(out, "SET lock_timeout = '%dms';\n", lock_timeout_ms);
	if (budget)
		mm_buf_addf(out, "SET statement_timeout = '%ldms';\n", budget);
	else
		mm_buf_adds(out, "SET statement_timeout = 0;\n");
	if (blocking)
		emit_retry_do(ctx, stmts, out);
	else if (plpgsql)
		emit_plain_do(ctx, stmts, out);
	else if (stmts->len > 1) {
		mm_buf_adds(out, "BEGIN;\n");
		emit_statements(stmts, out);
		mm_buf_adds(out, "COMMIT;\n");
	} else
		emit_statements(stmts, out);
}
