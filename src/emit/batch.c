/*
 * batch.c — pg_temp.mkmig_batch, the loop every batched data change runs (backfills, and the
 * input's own UPDATE / DELETE / INSERT ... SELECT: src/rules/backfill.c, dml.c), defined once per
 * file or script like pg_temp.mkmig_retry (sqltext.c), so each step reads as one CALL whose
 * arguments are the statement being batched.
 *
 * The step passes two statements as text: the first batch and the next one, each a bounded
 * keyset query over the primary key that writes one batch and returns its last key (text[]), the
 * keys it walked and the rows it wrote. They run with EXECUTE ... USING $1 = the batch size,
 * $2 = the last key committed (NULL before the first batch), $3 = now() when the call started
 * (the input's now(), pinned: each batch is a transaction of its own). The loop:
 *   - keeps its progress (last key, rows, keys walked) in the progress table, written in the
 *     batch's own transaction: a killed run resumes after the last committed batch, and a row is
 *     never written twice (the write may not be idempotent: SET n = n + 1);
 *   - once => true: leaves a done marker ('{}') so a re-run of the script does not apply the
 *     change again (the plan's last step removes the markers); otherwise drops its row, and the
 *     table once empty;
 *   - retries a batch that hit lock_timeout or a deadlock, with jittered back-off;
 *   - sets mkmig.backfill for the batch's transaction: mkmig's sync triggers read it;
 *   - batch_ms (--batch-time): the size adapts so a batch takes about that long (at most x2 or /2
 *     a step); max_lag_ms (--max-replica-lag): waits while a replica's replay_lag is above it
 *     (pg_stat_replication shows it to superusers and pg_monitor members; others see NULL and are
 *     not paused); sleep_ms (--batch-sleep) between batches;
 *   - bad_rows / bad_row (a conversion whose value can fail on one row): on an error other than a
 *     lock timeout, finds the first pending row of the batch that raises and names its key.
 *
 * COMMIT inside a procedure needs PostgreSQL 11 and a CALL at top level, outside a transaction
 * block (docs: sql-call.html, plpgsql-transactions.html): psql's autocommit, or a runner's
 * non-transactional unit. PostgreSQL 10 has no procedures and no transaction control in PL/pgSQL:
 * there the helper is a function without COMMIT, so the batches run in one transaction (the step
 * says so). A runner that sends a non-transactional unit as one string (Liquibase, dbmate,
 * golang-migrate, goose) gets one DO block that creates the helper and calls it
 * (mm_emit_batch_wrapped).
 */
#include "mkmig/emit.h"

#include <string.h>

/* Longest sleep between attempts (seconds), before jitter: as mkmig_retry's. */
#define BACKOFF_CAP_S 5

static void definition(struct mm_ctx *ctx, struct mm_buf *out)
{
	const struct mm_options *o = &ctx->opt;
	bool proc = ctx->opt.pg_version >= 11;
	const char *commit = proc ? "    COMMIT;\n" : "";
	mm_buf_addf(out,
	            "CREATE OR REPLACE %s pg_temp.mkmig_batch(job text, tbl text, size bigint, first_batch text, next_batch text,\n"
	            "    once boolean DEFAULT false, done_if text DEFAULT NULL, progress text DEFAULT 'public.mkmig_backfill',\n"
	            "    batch_ms int DEFAULT 0, sleep_ms int DEFAULT 0, max_lag_ms int DEFAULT 0,\n"
	            "    bad_rows text DEFAULT NULL, bad_row text DEFAULT NULL, key_names text DEFAULT NULL)\n"
	            "%sLANGUAGE plpgsql AS $mkmig_batch$\n"
	            "DECLARE\n"
	            "    last_key text[];\n"
	            "    batch_key text[];\n"
	            "    batch_keys bigint;\n"
	            "    batch_rows bigint;\n"
	            "    rows_done bigint;\n"
	            "    keys_seen bigint;\n"
	            "    keys_run bigint := 0;\n"
	            "    estimate bigint;\n"
	            "    started timestamptz := pg_catalog.clock_timestamp();\n"
	            "    pinned_now timestamptz := pg_catalog.now();\n"
	            "    t0 timestamptz;\n"
	            "    took_ms double precision;\n"
	            "    attempt int;\n"
	            "    done boolean;\n"
	            "    bad_key text[];\n"
	            "BEGIN\n"
	            /* A re-run after the whole change completed: the columns the copy reads may be gone. */
	            "    IF done_if IS NOT NULL THEN\n"
	            "        EXECUTE 'SELECT ' || done_if INTO done;\n"
	            "        IF done THEN\n"
	            "            RAISE NOTICE 'mkmig: backfill %%: the change is already complete', job;\n"
	            "            RETURN;\n"
	            "        END IF;\n"
	            "    END IF;\n"
	            "    EXECUTE 'CREATE TABLE IF NOT EXISTS ' || progress || ' (job text PRIMARY KEY, last_key text[] NOT NULL, '\n"
	            "        'rows_done bigint NOT NULL, keys_seen bigint NOT NULL DEFAULT 0)';\n"
	            "    EXECUTE 'SELECT last_key, rows_done, keys_seen FROM ' || progress || ' WHERE job = $1'\n"
	            "        INTO last_key, rows_done, keys_seen USING job;\n"
	            "    IF once AND last_key = '{}' THEN\n"
	            "        RAISE NOTICE 'mkmig: %% already ran to completion (%% rows): not applied again', job, rows_done;\n"
	            "        RETURN;\n"
	            "    END IF;\n"
	            "    SELECT greatest(reltuples, 0)::bigint INTO estimate FROM pg_catalog.pg_class WHERE oid = pg_catalog.to_regclass(tbl);\n"
	            "    rows_done := coalesce(rows_done, 0);\n"
	            "    keys_seen := coalesce(keys_seen, 0);\n"
	            "    IF last_key IS NOT NULL THEN\n"
	            "        RAISE NOTICE 'mkmig: resuming backfill %% after key %%', job, last_key;\n"
	            "    END IF;\n"
	            "%s"
	            "    LOOP\n"
	            "        WHILE max_lag_ms > 0 AND coalesce((SELECT max(extract(epoch FROM replay_lag)) FROM pg_catalog.pg_stat_replication), 0) * 1000 > max_lag_ms LOOP\n"
	            "            RAISE NOTICE 'mkmig: %%: replica lag above %% ms, waiting', job, max_lag_ms;\n"
	            "            PERFORM pg_catalog.pg_sleep(1);\n"
	            "        END LOOP;\n"
	            "        attempt := 0;\n"
	            "        t0 := pg_catalog.clock_timestamp();\n"
	            "        LOOP\n"
	            "            BEGIN\n"
	            "                PERFORM pg_catalog.set_config('mkmig.backfill', 'on', true);\n"
	            "                EXECUTE CASE WHEN last_key IS NULL THEN first_batch ELSE next_batch END\n"
	            "                    INTO batch_key, batch_keys, batch_rows USING size, last_key, pinned_now;\n"
	            "                EXIT;\n"
	            "            EXCEPTION WHEN lock_not_available OR deadlock_detected THEN\n"
	            "                attempt := attempt + 1;\n"
	            "                IF attempt >= %d THEN\n"
	            "                    RAISE;\n"
	            "                END IF;\n"
	            "                PERFORM pg_catalog.pg_sleep(least(0.05 * 2 ^ attempt, %d) * (0.5 + random()));\n"
	            "            WHEN OTHERS THEN\n"
	            "                IF bad_rows IS NOT NULL THEN\n"
	            "                    FOR bad_key IN EXECUTE bad_rows USING size, last_key LOOP\n"
	            "                        BEGIN\n"
	            "                            EXECUTE bad_row USING bad_key;\n"
	            "                        EXCEPTION WHEN OTHERS THEN\n"
	            "                            RAISE EXCEPTION 'mkmig: backfill %%: the row with key (%%) = (%%) cannot be converted: %%',\n"
	            "                                job, key_names, pg_catalog.array_to_string(bad_key, ', '), SQLERRM\n"
	            "                                USING HINT = 'fix the row (or the expression) and run the script again: the backfill resumes after the last committed batch';\n"
	            "                        END;\n"
	            "                    END LOOP;\n"
	            "                END IF;\n"
	            "                RAISE;\n"
	            "            END;\n"
	            "        END LOOP;\n"
	            "        EXIT WHEN batch_key IS NULL;\n"
	            "        last_key := batch_key;\n"
	            "        rows_done := rows_done + batch_rows;\n"
	            "        keys_seen := keys_seen + batch_keys;\n"
	            "        keys_run := keys_run + batch_keys;\n"
	            "        EXECUTE 'INSERT INTO ' || progress || ' AS p (job, last_key, rows_done, keys_seen) VALUES ($1, $2, $3, $4) '\n"
	            "            'ON CONFLICT (job) DO UPDATE SET last_key = EXCLUDED.last_key, rows_done = EXCLUDED.rows_done, keys_seen = EXCLUDED.keys_seen'\n"
	            "            USING job, last_key, rows_done, keys_seen;\n"
	            "%s"
	            "        took_ms := extract(epoch FROM pg_catalog.clock_timestamp() - t0) * 1000;\n"
	            /* ETA: the keys still to walk (estimate minus walked) at this run's rate. */
	            "        RAISE NOTICE 'mkmig: backfill %%: %% rows updated so far, %% of ~%% keys walked, ETA %%', job, rows_done, keys_seen,\n"
	            "            coalesce(nullif(estimate, 0)::text, '?'),\n"
	            "            CASE WHEN estimate > keys_seen THEN pg_catalog.justify_interval(pg_catalog.make_interval(secs =>\n"
	            "                round(extract(epoch FROM pg_catalog.clock_timestamp() - started) / keys_run * (estimate - keys_seen))))::text\n"
	            "            ELSE 'soon' END;\n"
	            "        IF batch_ms > 0 THEN\n"
	            "            size := greatest(1, least(size * 2, greatest(size / 2, (size * batch_ms / greatest(took_ms, 1))::bigint)));\n"
	            "        END IF;\n"
	            "        IF sleep_ms > 0 THEN\n"
	            "            PERFORM pg_catalog.pg_sleep(sleep_ms / 1000.0);\n"
	            "        END IF;\n"
	            "    END LOOP;\n"
	            "    IF once THEN\n"
	            "        EXECUTE 'INSERT INTO ' || progress || ' AS p (job, last_key, rows_done, keys_seen) VALUES ($1, ''{}'', $2, $3) '\n"
	            "            'ON CONFLICT (job) DO UPDATE SET last_key = EXCLUDED.last_key, rows_done = EXCLUDED.rows_done'\n"
	            "            USING job, rows_done, keys_seen;\n"
	            "    ELSE\n"
	            "        EXECUTE 'DELETE FROM ' || progress || ' WHERE job = $1' USING job;\n"
	            "        EXECUTE 'SELECT NOT EXISTS (SELECT FROM ' || progress || ')' INTO done;\n"
	            "        IF done THEN\n"
	            "            EXECUTE 'DROP TABLE ' || progress;\n"
	            "        END IF;\n"
	            "    END IF;\n"
	            "    RAISE NOTICE 'mkmig: backfill %% done: %% rows updated', job, rows_done;\n"
	            "END\n"
	            "$mkmig_batch$",
	            proc ? "PROCEDURE" : "FUNCTION", proc ? "" : "RETURNS void ", commit, o->lock_retries, BACKOFF_CAP_S,
	            proc ? "        COMMIT;\n" : "");
}

bool mm_step_needs_batch_helper(const struct mm_step *s, enum mm_direction dir)
{
	return dir == MM_UP && s->batch_call && s->up.len;
}

void mm_emit_batch_helper(struct mm_ctx *ctx, const struct mm_sql_style *st, struct mm_buf *out)
{
	mm_buf_addf(out,
	            "-- mkmig_batch runs a data change in batches of primary keys, each committed with its progress\n"
	            "-- in the progress table: a lock wait of a batch is bounded by lock_timeout and retried (%d\n"
	            "-- attempts, back-off), and a re-run resumes after the last committed batch. Session-local\n"
	            "-- (pg_temp): it disappears when the session ends.\n",
	            ctx->opt.lock_retries);
	if (st->body_begin)
		mm_buf_addf(out, "%s\n", st->body_begin);
	definition(ctx, out);
	mm_buf_adds(out, ";\n");
	if (st->body_end)
		mm_buf_addf(out, "%s\n", st->body_end);
}

/* A dollar-quote tag, from base, that occurs in none of the texts. */
static const char *free_tag(struct mm_ctx *ctx, const char *base, const char *x, const char *y)
{
	for (int n = 0;; n++) {
		const char *tag = n ? mm_sprintf(&ctx->arena, "$%s%d$", base, n) : mm_sprintf(&ctx->arena, "$%s$", base);
		if (!strstr(x, tag) && !strstr(y, tag))
			return tag;
	}
}

void mm_emit_batch_wrapped(struct mm_ctx *ctx, const char *call, struct mm_buf *out)
{
	struct mm_buf def = MM_BUF_INIT;
	definition(ctx, &def);
	const char *dtag = free_tag(ctx, "mkmig_def", def.buf, call);
	const char *tag = free_tag(ctx, "mkmig_do", def.buf, call);
	mm_buf_addf(out, "DO %s\nBEGIN\n    -- the runner sends this unit as one statement: the helper is created here\n"
	                 "    EXECUTE %s\n%s\n%s;\n",
	            tag, dtag, def.buf, dtag);
	mm_buf_adds(out, "    ");
	if (!strncmp(call, "SELECT ", 7)) {
		/* PostgreSQL 10's function: PL/pgSQL discards a result with PERFORM */
		mm_buf_adds(out, "PERFORM ");
		call += 7;
	}
	for (const char *p = call; *p; p++) {
		mm_buf_addch(out, *p);
		if (*p == '\n' && p[1])
			mm_buf_adds(out, "    ");
	}
	mm_buf_addf(out, ";\nEND\n%s;\n", tag);
	mm_buf_release(&def);
}
