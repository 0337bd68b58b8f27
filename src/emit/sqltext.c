/*
 * sqltext.c — one plan step as SQL that runs correctly under any runner: the session settings
 * it needs, and for statements that take a lock blocking traffic, a retry with back-off.
 *
 * Why retry: a DDL statement waiting for ACCESS EXCLUSIVE queues every later reader behind it
 * (lock queue, pg-facts §7), so it must give up quickly (lock_timeout) — and then try again, or a
 * busy table makes the migration fail. The retry lives in a session-local procedure,
 * pg_temp.mkmig_retry, defined once at the top of each file (mm_emit_retry_helper): a reviewer
 * reads it once, and each step reads as its statement. pg_temp objects vanish with the session,
 * so nothing is left behind; CREATE OR REPLACE because a runner may reuse the session for the next
 * file. Each attempt is a sub-transaction: on lock_not_available (55P03) everything it locked is
 * released before the sleep (docs: plpgsql-control-structures.html, "Trapping Errors").
 * statement_timeout covers the whole call, so it is set to the worst case of all attempts.
 *
 * Procedures (CALL, no result rows printed) exist from PostgreSQL 11; for 10 the helper is a
 * function called with SELECT.
 */
#include "mkmig/emit.h"

#include <string.h>

/* Longest sleep between attempts (seconds), before jitter. */
#define BACKOFF_CAP_S 5

const struct mm_sql_style mm_style_psql = { .tx = MM_TXW_SESSION };

static bool step_blocks_traffic(const struct mm_step *s)
{
	for (size_t i = 0; i < s->locks.len; i++) {
		const struct mm_lock_use *l = mm_vec_at(&s->locks, i);
		if (mm_lock_blocks_traffic(l->mode))
			return true;
	}
	return false;
}

bool mm_step_needs_retry(const struct mm_step *s, enum mm_direction dir)
{
	if (dir == MM_UP)
		return s->unit == MM_UNIT_TX && step_blocks_traffic(s);
	/* Down steps are mkmig's own DDL: treat them as blocking, so they retry too. */
	return s->down.len && s->down_unit == MM_UNIT_TX;
}

static bool has_procedures(const struct mm_ctx *ctx)
{
	return ctx->opt.pg_version >= 11;
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
	for (const char *p = text; *p;) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) + 1 : strlen(p);
		mm_buf_add(out, p, n);
		p += n;
		if (nl && *p)
			mm_buf_adds(out, indent);
	}
}

static void body_begin(const struct mm_sql_style *st, struct mm_buf *out)
{
	if (st->body_begin)
		mm_buf_addf(out, "%s\n", st->body_begin);
}

static void body_end(const struct mm_sql_style *st, struct mm_buf *out)
{
	if (st->body_end)
		mm_buf_addf(out, "%s\n", st->body_end);
}

void mm_emit_retry_helper(struct mm_ctx *ctx, const struct mm_sql_style *st, struct mm_buf *out)
{
	const struct mm_options *o = &ctx->opt;
	bool proc = has_procedures(ctx);
	mm_buf_addf(out,
	            "-- mkmig_retry runs a statement whose lock blocks traffic: it waits at most lock_timeout\n"
	            "-- in the lock queue, then releases everything and tries again with back-off (%d attempts\n"
	            "-- within %d ms at most). Session-local (pg_temp): it disappears when the session ends.\n",
	            o->lock_retries, o->lock_wait_ms);
	body_begin(st, out);
	mm_buf_addf(out,
	            "CREATE OR REPLACE %s pg_temp.mkmig_retry(sql text, block boolean DEFAULT false)\n"
	            "%sLANGUAGE plpgsql AS $mkmig_retry$\n"
	            "DECLARE\n"
	            "    attempt int := 0;\n"
	            "    started timestamptz := pg_catalog.clock_timestamp();\n"
	            "BEGIN\n"
	            "    LOOP\n"
	            "        BEGIN\n"
	            "            IF block THEN\n"
	            "                EXECUTE 'DO ' || pg_catalog.quote_literal('BEGIN ' || sql || ' END');\n"
	            "            ELSE\n"
	            "                EXECUTE sql;\n"
	            "            END IF;\n"
	            "            RETURN;\n"
	            "        EXCEPTION WHEN lock_not_available THEN\n"
	            "            attempt := attempt + 1;\n"
	            "            IF attempt >= %d OR pg_catalog.clock_timestamp() - started > interval '%d ms' THEN\n"
	            "                RAISE;\n"
	            "            END IF;\n"
	            "            RAISE NOTICE 'mkmig: lock not available, attempt %% of %d; retrying', attempt;\n"
	            "            PERFORM pg_catalog.pg_sleep(least(0.05 * 2 ^ attempt, %d) * (0.5 + random()));\n"
	            "        END;\n"
	            "    END LOOP;\n"
	            "END\n"
	            "$mkmig_retry$;\n",
	            proc ? "PROCEDURE" : "FUNCTION", proc ? "" : "RETURNS void ", o->lock_retries,
	            o->lock_wait_ms, o->lock_retries, BACKOFF_CAP_S);
	body_end(st, out);
}

static void emit_retry_call(struct mm_ctx *ctx, const struct mm_vec *stmts, bool plpgsql,
                            const struct mm_sql_style *st, struct mm_buf *out)
{
	const char *tag = dollar_tag(ctx, stmts);
	const char *call = has_procedures(ctx) ? "CALL" : "SELECT";
	const char *tail = plpgsql ? ", block => true" : "";
	bool one_line = stmts->len == 1 && !plpgsql && !strchr(mm_vec_at(stmts, 0), '\n');
	if (one_line) {
		mm_buf_addf(out, "%s pg_temp.mkmig_retry(%s%s%s%s);\n", call, tag, (const char *)mm_vec_at(stmts, 0),
		            tag, tail);
		return;
	}
	body_begin(st, out);
	mm_buf_addf(out, "%s pg_temp.mkmig_retry(%s\n", call, tag);
	for (size_t i = 0; i < stmts->len; i++) {
		add_indented(out, mm_vec_at(stmts, i), "    ");
		mm_buf_adds(out, plpgsql || i + 1 < stmts->len ? ";\n" : "\n");
	}
	mm_buf_addf(out, "%s%s);\n", tag, tail);
	body_end(st, out);
}

static void emit_plain_do(struct mm_ctx *ctx, const struct mm_vec *stmts, const struct mm_sql_style *st,
                          struct mm_buf *out)
{
	const char *tag = dollar_tag(ctx, stmts);
	body_begin(st, out);
	mm_buf_addf(out, "DO %s\nBEGIN\n", tag);
	for (size_t i = 0; i < stmts->len; i++) {
		add_indented(out, mm_vec_at(stmts, i), "    ");
		mm_buf_adds(out, ";\n");
	}
	mm_buf_addf(out, "END\n%s;\n", tag);
	body_end(st, out);
}

static void emit_statements(const struct mm_vec *stmts, const struct mm_sql_style *st, struct mm_buf *out)
{
	for (size_t i = 0; i < stmts->len; i++) {
		const char *sql = mm_vec_at(stmts, i);
		bool body = strpbrk(sql, "$\n") != NULL;
		if (body)
			body_begin(st, out);
		mm_buf_adds(out, sql);
		mm_buf_adds(out, ";\n");
		if (body)
			body_end(st, out);
	}
}

/* Session settings for a unit that runs outside a transaction; a runner that reuses the connection
 * gets them reset at the end (formats §0.3: plain SET leaks into later migrations). */
static void nontx_settings(const struct mm_sql_style *st, const char *lock_timeout, struct mm_buf *out)
{
	if (st->one_string)
		return;
	mm_buf_addf(out, "SET lock_timeout = %s;\nSET statement_timeout = 0;\n", lock_timeout);
}

static void nontx_reset(const struct mm_sql_style *st, struct mm_buf *out)
{
	if (st->reset_after && !st->one_string)
		mm_buf_adds(out, "RESET lock_timeout;\nRESET statement_timeout;\n");
}

void mm_emit_step_sql_styled(struct mm_ctx *ctx, const struct mm_step *s, enum mm_direction dir,
                             const struct mm_sql_style *st, struct mm_buf *out)
{
	const struct mm_options *o = &ctx->opt;
	const int lock_timeout_ms = s->lock_timeout_ms ? s->lock_timeout_ms : o->lock_timeout_ms; /* a spec statement's own */
	const struct mm_vec *stmts = dir == MM_UP ? &s->up : &s->down;
	enum mm_unit unit = dir == MM_UP ? s->unit : s->down_unit;
	bool plpgsql = dir == MM_UP ? s->plpgsql : s->down_plpgsql;
	bool retry = mm_step_needs_retry(s, dir);
	switch (unit) {
	case MM_UNIT_BATCH:
		/* Each batch waits for row locks at most lock_timeout and retries; the whole call runs
		 * as long as the table needs, so no statement_timeout. A runner that sends the unit as
		 * one string gets the pg_temp.mkmig_batch call in a DO block that creates it. */
		nontx_settings(st, mm_sprintf(&ctx->arena, "'%dms'", lock_timeout_ms), out);
		if (st->one_string && mm_step_needs_batch_helper(s, dir)) {
			body_begin(st, out);
			mm_emit_batch_wrapped(ctx, mm_vec_at(stmts, 0), out);
			body_end(st, out);
		} else {
			emit_statements(stmts, st, out);
		}
		nontx_reset(st, out);
		return;
	case MM_UNIT_NONTX:
		/* Long by design, and a cancelled CONCURRENTLY build leaves an INVALID index: no
		 * timeouts. Session-level SET, because SET LOCAL outside a transaction does nothing. */
		nontx_settings(st, "0", out);
		if (plpgsql)
			emit_plain_do(ctx, stmts, st, out);
		else
			emit_statements(stmts, st, out);
		nontx_reset(st, out);
		return;
	case MM_UNIT_TX:
		break;
	case MM_UNIT__COUNT:
		MM_BUG("bad unit");
	}
	/* The retries end after lock_wait_ms, or earlier by count; then one more attempt and sleep
	 * may be under way. */
	long per_try = (long)lock_timeout_ms + (long)BACKOFF_CAP_S * 1500;
	long retrying = per_try * o->lock_retries;
	if (retrying > (long)o->lock_wait_ms + per_try)
		retrying = (long)o->lock_wait_ms + per_try;
	long budget = s->no_timeout ? 0 : o->statement_timeout_ms + (retry ? retrying : 0);
	/* In a psql script each statement is its own transaction, so the settings are the
	 * session's; inside a transaction SET LOCAL ends with it. */
	const char *set = st->tx == MM_TXW_SESSION ? "SET" : "SET LOCAL";
	bool wrap = st->tx == MM_TXW_FILE || (st->tx == MM_TXW_SESSION && !retry && !plpgsql && stmts->len > 1);
	if (wrap && st->tx == MM_TXW_FILE)
		mm_buf_adds(out, "BEGIN;\n");
	mm_buf_addf(out, "%s lock_timeout = '%dms';\n", set, lock_timeout_ms);
	if (budget)
		mm_buf_addf(out, "%s statement_timeout = '%ldms';\n", set, budget);
	else
		mm_buf_addf(out, "%s statement_timeout = 0;\n", set);
	if (wrap && st->tx == MM_TXW_SESSION)
		mm_buf_adds(out, "BEGIN;\n");
	if (retry)
		emit_retry_call(ctx, stmts, plpgsql, st, out);
	else if (plpgsql)
		emit_plain_do(ctx, stmts, st, out);
	else
		emit_statements(stmts, st, out);
	if (wrap)
		mm_buf_adds(out, "COMMIT;\n");
}

void mm_emit_step_sql(struct mm_ctx *ctx, const struct mm_step *s, enum mm_direction dir, struct mm_buf *out)
{
	mm_emit_step_sql_styled(ctx, s, dir, &mm_style_psql, out);
}
