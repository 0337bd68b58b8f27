/*
 * backfill.c — batched, resumable backfills: a DO block that updates a bounded batch of rows,
 * COMMITs, and goes on, so no transaction holds row locks or bloats for long.
 *
 * Batching is keyset pagination on the primary key with a row-value comparison,
 * (k1, k2) > (last1, last2) ORDER BY k1, k2 LIMIT n, which btree uses as an index condition for
 * any key type (bigint, uuid, text, composite) — pg-facts §6. Each batch is a fresh bounded query:
 * a FOR loop over one cursor would be materialised at the first COMMIT (docs:
 * plpgsql-transactions.html). The last key is stored in a progress table in the same transaction
 * as the batch, because a killed DO loses its variables; a re-run resumes after it, and the UPDATE
 * only touches rows still pending, so repeating a batch is harmless. COMMIT in DO needs
 * PostgreSQL 11+ and a DO run as its own top-level statement, outside any transaction block
 * (docs: sql-do.html) — the emitter gives it a unit of its own. The progress table is dropped
 * when the last backfill using it finishes.
 *
 * The same loop runs the user's own UPDATE / DELETE / INSERT ... SELECT in batches (dml.c): the
 * batch's keys are a CTE, mkmig_keys(mkmig_k1, ...), the write joins it, and progress commits with
 * the write, so no row is visited twice even when the write is not idempotent (SET n = n + 1).
 * Such a job leaves a done marker instead of deleting its progress row, so a re-run of the
 * script after the job finished does not apply it again; a final step removes the markers.
 *
 * Control (--batch-time, --max-replica-lag, --batch-sleep): the batch size adapts so a batch
 * takes about the target time (its row locks are held until it commits: shorter batches, shorter
 * stalls for concurrent writers of those rows); before each batch the loop waits while a
 * replica's replay_lag in pg_stat_replication is above the limit (visible to superusers and
 * pg_monitor members; others see NULL and are not paused); each notice gives keys walked out of
 * the planner's estimate (pg_class.reltuples) and an ETA from the rate so far.
 */
#include "common.h"

#include <string.h>

/* Key columns of the primary key, quoted, with their types; false when there is none. */
bool mm_rule_batch_key(struct mm_rule_ctx *r, struct mm_vec *cols, struct mm_vec *types)
{
	struct mm_arena *a = &r->ctx->arena;
	const struct mm_constraint *pk = r->table ? mm_table_primary_key(r->table) : NULL;
	if (!pk)
		return false;
	for (size_t i = 0; i < pk->columns.len; i++) {
		const char *col = mm_vec_at(&pk->columns, i);
		const struct mm_column *c = mm_table_find_column(r->table, col);
		mm_vec_push(a, cols, mm_sql_ident(a, col));
		if (types)
			mm_vec_push(a, types, (void *)(c && c->type ? c->type : "text"));
	}
	return true;
}

static int primary_key(struct mm_rule_ctx *r, struct mm_vec *cols, struct mm_vec *types)
{
	struct mm_arena *a = &r->ctx->arena;
	if (mm_rule_batch_key(r, cols, types))
		return 0;
	const char *why = r->table ? mm_sprintf(a, "%s has no primary key", r->qtable)
	                           : mm_sprintf(a, "the primary key of %s is unknown", r->qtable);
	return mm_error_hint(r->ctx, r->ch->stmt->src, r->ch->stmt->off, r->ch->stmt->len,
	                     r->table ? "add a primary key first: the backfill walks the table in key order"
	                              : "pass --schema, --dir or --db so mkmig knows the table",
	                     "%s: cannot plan a batched backfill", why);
}

/* "fmt(1), fmt(2), ..." for each key column: fmt gets the quoted column and its 1-based index. */
static const char *each_key(struct mm_arena *a, const struct mm_vec *cols, const struct mm_vec *types, const char *fmt)
{
	struct mm_buf b = MM_BUF_INIT;
	for (size_t i = 0; i < cols->len; i++) {
		if (i)
			mm_buf_adds(&b, ", ");
		for (const char *p = fmt; *p; p++) {
			if (*p == '@')
				mm_buf_adds(&b, mm_vec_at(cols, i));
			else if (*p == '#')
				mm_buf_addf(&b, "%zu", i + 1);
			else if (*p == '%' && types)
				mm_buf_adds(&b, mm_vec_at(types, i));
			else
				mm_buf_addch(&b, *p);
		}
	}
	char *s = mm_buf_arena(&b, a);
	mm_buf_release(&b);
	return s;
}

/* One batch: pick the next keys into mkmig_keys(mkmig_k1, ...), apply the write, return the last
 * key, the keys walked and the rows written. */
static void add_batch_query(struct mm_buf *b, struct mm_arena *a, const struct mm_batch_spec *sp, const struct mm_vec *cols,
                            const struct mm_vec *types, bool after, const char *indent)
{
	const char *keycols = each_key(a, cols, NULL, "@");
	const char *knames = each_key(a, cols, NULL, "mkmig_k#");
	mm_buf_addf(b, "%sWITH mkmig_keys (%s) AS (\n", indent, knames);
	mm_buf_addf(b, "%s    SELECT %s FROM %s%s ORDER BY %s LIMIT mkmig_size\n", indent, keycols, sp->from,
	            after ? mm_sprintf(a, " WHERE (%s) > (%s)", keycols, each_key(a, cols, types, "mkmig_last[#]::%")) : "",
	            keycols);
	mm_buf_addf(b, "%s), mkmig_written AS (\n", indent);
	mm_buf_addf(b, "%s    %s\n", indent, sp->write_sql);
	mm_buf_addf(b, "%s)\n", indent);
	mm_buf_addf(b, "%sSELECT (SELECT ARRAY[%s] FROM mkmig_keys ORDER BY %s LIMIT 1), (SELECT count(*) FROM mkmig_keys), "
	               "(SELECT count(*) FROM mkmig_written)\n",
	            indent, each_key(a, cols, NULL, "mkmig_k#::text"), each_key(a, cols, NULL, "mkmig_k# DESC"));
	mm_buf_addf(b, "%sINTO mkmig_batch, mkmig_seen_now, mkmig_rows;\n", indent);
}

/* The handler of an error other than a lock timeout in a batch, when the rows' values are computed
 * by an expression that can fail on one row (a convert: overflow, a bad cast): find the first
 * pending row of the batch whose value raises, and stop naming its key. The batches before are
 * committed; fixing the row and running the script again resumes after them. */
static void add_row_error_handler(struct mm_buf *b, struct mm_arena *a, const char *qtable, const struct mm_vec *cols,
                                  const struct mm_vec *types, const char *pending_sql, const char *row_expr,
                                  const char *job)
{
	const char *tcols = each_key(a, cols, NULL, "t.@");
	mm_buf_addf(b,
	            "            WHEN OTHERS THEN\n"
	            "                FOR mkmig_key IN SELECT ARRAY[%s] FROM %s AS t\n"
	            "                    WHERE (mkmig_last IS NULL OR (%s) > (%s)) AND (%s)\n"
	            "                    ORDER BY %s LIMIT mkmig_size\n"
	            "                LOOP\n"
	            "                    BEGIN\n"
	            "                        PERFORM %s FROM %s AS t WHERE (%s) = (%s);\n"
	            "                    EXCEPTION WHEN OTHERS THEN\n"
	            "                        RAISE EXCEPTION 'mkmig: backfill %%: the row with key (%s) = (%%) cannot be converted: %%',\n"
	            "                            %s, pg_catalog.array_to_string(mkmig_key, ', '), SQLERRM\n"
	            "                            USING HINT = 'fix the row (or the expression) and run the script again: the backfill resumes after the last committed batch';\n"
	            "                    END;\n"
	            "                END LOOP;\n"
	            "                RAISE;\n",
	            each_key(a, cols, NULL, "t.@::text"), qtable, tcols, each_key(a, cols, types, "mkmig_last[#]::%"), pending_sql,
	            tcols, row_expr, qtable, tcols, each_key(a, cols, types, "mkmig_key[#]::%"), each_key(a, cols, NULL, "@"), job);
}

int mm_rule_batched(struct mm_rule_ctx *r, const struct mm_batch_spec *sp)
{
	struct mm_arena *a = &r->ctx->arena;
	const struct mm_options *o = &r->ctx->opt;
	struct mm_vec cols = { 0 }, types = { 0 };
	if (primary_key(r, &cols, &types) != 0)
		return -1;
	const char *progress = mm_sql_qname(a, r->schema, "mkmig_backfill");
	const char *job = mm_sql_literal(a, mm_sprintf(a, "%s.%s", r->qtable, sp->label));
	struct mm_buf b = MM_BUF_INIT;
	mm_buf_adds(&b, "DO $mkmig$\nDECLARE\n"
	                "    mkmig_last text[];\n    mkmig_batch text[];\n    mkmig_rows bigint;\n"
	                "    mkmig_total bigint;\n    mkmig_seen bigint;\n    mkmig_seen_now bigint;\n"
	                "    mkmig_run bigint := 0;\n    mkmig_estimate bigint;\n");
	mm_buf_addf(&b, "    mkmig_size bigint := %ld;\n", o->batch_size);
	if (sp->declare)
		mm_buf_addf(&b, "    %s", sp->declare);
	if (sp->row_expr)
		mm_buf_adds(&b, "    mkmig_key text[];\n");
	mm_buf_adds(&b, "    mkmig_start timestamptz := pg_catalog.clock_timestamp();\n"
	                "    mkmig_t0 timestamptz;\n    mkmig_ms double precision;\n    mkmig_attempt int;\nBEGIN\n");
	/* A re-run after the whole change completed: the columns the copy reads may be gone. */
	if (sp->done_if)
		mm_buf_addf(&b, "    IF %s THEN\n        RAISE NOTICE 'mkmig: backfill %%: the change is already complete', %s;\n"
		                "        RETURN;\n    END IF;\n",
		            sp->done_if, job);
	mm_buf_addf(&b, "    CREATE TABLE IF NOT EXISTS %s (job text PRIMARY KEY, last_key text[] NOT NULL, rows_done bigint NOT NULL, keys_seen bigint NOT NULL DEFAULT 0);\n",
	            progress);
	mm_buf_addf(&b, "    SELECT last_key, rows_done, keys_seen INTO mkmig_last, mkmig_total, mkmig_seen FROM %s WHERE job = %s;\n",
	            progress, job);
	if (sp->once)
		mm_buf_addf(&b, "    IF mkmig_last = '{}' THEN\n"
		                "        RAISE NOTICE 'mkmig: %% already ran to completion (%% rows): not applied again', %s, mkmig_total;\n"
		                "        RETURN;\n    END IF;\n",
		            job);
	mm_buf_addf(&b, "    SELECT greatest(reltuples, 0)::bigint INTO mkmig_estimate FROM pg_catalog.pg_class WHERE oid = pg_catalog.to_regclass(%s);\n",
	            mm_rule_table_literal(r));
	mm_buf_adds(&b, "    mkmig_total := coalesce(mkmig_total, 0);\n    mkmig_seen := coalesce(mkmig_seen, 0);\n"
	                "    IF mkmig_last IS NOT NULL THEN\n");
	mm_buf_addf(&b, "        RAISE NOTICE 'mkmig: resuming backfill %% after key %%', %s, mkmig_last;\n", job);
	mm_buf_adds(&b, "    END IF;\n    COMMIT;\n    LOOP\n");
	if (o->max_replica_lag_ms > 0)
		mm_buf_addf(&b,
		            "        WHILE coalesce((SELECT max(extract(epoch FROM replay_lag)) FROM pg_catalog.pg_stat_replication), 0) * 1000 > %d LOOP\n"
		            "            RAISE NOTICE 'mkmig: %%: replica lag above %d ms, waiting', %s;\n"
		            "            PERFORM pg_catalog.pg_sleep(1);\n"
		            "        END LOOP;\n",
		            o->max_replica_lag_ms, o->max_replica_lag_ms, job);
	mm_buf_adds(&b, "        mkmig_attempt := 0;\n        mkmig_t0 := pg_catalog.clock_timestamp();\n        LOOP\n            BEGIN\n"
	                /* Tells mkmig's sync triggers that this write is the backfill, not the
	                 * application, for this transaction only. */
	                "                PERFORM pg_catalog.set_config('mkmig.backfill', 'on', true);\n"
	                "                IF mkmig_last IS NULL THEN\n");
	add_batch_query(&b, a, sp, &cols, &types, false, "                    ");
	mm_buf_adds(&b, "                ELSE\n");
	add_batch_query(&b, a, sp, &cols, &types, true, "                    ");
	mm_buf_addf(&b,
	            "                END IF;\n"
	            "                EXIT;\n"
	            "            EXCEPTION WHEN lock_not_available OR deadlock_detected THEN\n"
	            "                mkmig_attempt := mkmig_attempt + 1;\n"
	            "                IF mkmig_attempt >= %d THEN\n"
	            "                    RAISE;\n"
	            "                END IF;\n"
	            "                PERFORM pg_catalog.pg_sleep(least(0.05 * 2 ^ mkmig_attempt, 5) * (0.5 + random()));\n",
	            o->lock_retries);
	if (sp->row_expr)
		add_row_error_handler(&b, a, r->qtable, &cols, &types, sp->pending_sql, sp->row_expr, job);
	mm_buf_adds(&b,
	            "            END;\n"
	            "        END LOOP;\n"
	            "        EXIT WHEN mkmig_batch IS NULL;\n"
	            "        mkmig_last := mkmig_batch;\n"
	            "        mkmig_total := mkmig_total + mkmig_rows;\n"
	            "        mkmig_seen := mkmig_seen + mkmig_seen_now;\n"
	            "        mkmig_run := mkmig_run + mkmig_seen_now;\n");
	mm_buf_addf(&b,
	            "        INSERT INTO %s AS p (job, last_key, rows_done, keys_seen) VALUES (%s, mkmig_last, mkmig_total, mkmig_seen)\n"
	            "            ON CONFLICT (job) DO UPDATE SET last_key = EXCLUDED.last_key, rows_done = EXCLUDED.rows_done, keys_seen = EXCLUDED.keys_seen;\n"
	            "        COMMIT;\n"
	            "        mkmig_ms := extract(epoch FROM pg_catalog.clock_timestamp() - mkmig_t0) * 1000;\n",
	            progress, job);
	/* ETA: the keys still to walk (estimate minus walked) at this run's rate. */
	mm_buf_addf(&b,
	            "        RAISE NOTICE 'mkmig: backfill %%: %% rows updated so far, %% of ~%% keys walked, ETA %%', %s, mkmig_total, mkmig_seen,\n"
	            "            coalesce(nullif(mkmig_estimate, 0)::text, '?'),\n"
	            "            CASE WHEN mkmig_estimate > mkmig_seen THEN pg_catalog.justify_interval(pg_catalog.make_interval(secs =>\n"
	            "                round(extract(epoch FROM pg_catalog.clock_timestamp() - mkmig_start) / mkmig_run * (mkmig_estimate - mkmig_seen))))::text\n"
	            "            ELSE 'soon' END;\n",
	            job);
	if (o->batch_time_ms > 0)
		/* Aim each batch at the target time: scale by target / last, at most x2 or /2 a step. */
		mm_buf_addf(&b, "        mkmig_size := greatest(1, least(mkmig_size * 2, greatest(mkmig_size / 2, (mkmig_size * %d / greatest(mkmig_ms, 1))::bigint)));\n",
		            o->batch_time_ms);
	if (o->batch_sleep_ms)
		mm_buf_addf(&b, "        PERFORM pg_catalog.pg_sleep(%d / 1000.0);\n", o->batch_sleep_ms);
	mm_buf_adds(&b, "    END LOOP;\n");
	if (sp->once)
		mm_buf_addf(&b,
		            "    INSERT INTO %s AS p (job, last_key, rows_done, keys_seen) VALUES (%s, '{}', mkmig_total, mkmig_seen)\n"
		            "        ON CONFLICT (job) DO UPDATE SET last_key = EXCLUDED.last_key, rows_done = EXCLUDED.rows_done;\n",
		            progress, job);
	else
		mm_buf_addf(&b,
		            "    DELETE FROM %s WHERE job = %s;\n"
		            "    IF NOT EXISTS (SELECT FROM %s) THEN\n"
		            "        DROP TABLE %s;\n"
		            "    END IF;\n",
		            progress, job, progress, progress);
	mm_buf_addf(&b, "    RAISE NOTICE 'mkmig: backfill %% done: %% rows updated', %s, mkmig_total;\nEND\n$mkmig$", job);
	struct mm_step *s = mm_step_new(r->ctx, r->plan, r->ch, sp->phase, MM_UNIT_BATCH, sp->title);
	mm_step_up(r->ctx, s, "%s", mm_buf_arena(&b, a));
	mm_buf_release(&b);
	mm_step_lock(r->ctx, s, r->qtable, MM_LOCK_ROW_EXCLUSIVE, MM_WORK_BATCHES);
	s->no_timeout = true;
	mm_step_why(r->ctx, s, "%s", sp->why);
	if (sp->once)
		mm_rule_batch_cleanup(r, job);
	return 0;
}

static int backfill(struct mm_rule_ctx *r, const char *label, const char *set_sql, const char *pending_sql,
                    const char *done_if, const char *row_expr);

int mm_rule_backfill(struct mm_rule_ctx *r, const char *label, const char *set_sql, const char *pending_sql,
                     const char *done_if)
{
	return backfill(r, label, set_sql, pending_sql, done_if, NULL);
}

int mm_rule_backfill_rows(struct mm_rule_ctx *r, const char *label, const char *set_sql, const char *pending_sql,
                          const char *done_if, const char *row_expr)
{
	return backfill(r, label, set_sql, pending_sql, done_if, row_expr);
}

static int backfill(struct mm_rule_ctx *r, const char *label, const char *set_sql, const char *pending_sql,
                    const char *done_if, const char *row_expr)
{
	struct mm_arena *a = &r->ctx->arena;
	const struct mm_options *o = &r->ctx->opt;
	struct mm_vec cols = { 0 };
	if (primary_key(r, &cols, NULL) != 0)
		return -1;
	struct mm_batch_spec sp = {
		.label = label,
		.from = r->qtable,
		.write_sql = mm_sprintf(a, "UPDATE %s AS t SET %s FROM mkmig_keys AS k WHERE (%s) = (%s) AND (%s) RETURNING 1",
		                        r->qtable, set_sql, each_key(a, &cols, NULL, "t.@"), each_key(a, &cols, NULL, "k.mkmig_k#"),
		                        pending_sql),
		.done_if = done_if,
		.pending_sql = pending_sql,
		.row_expr = row_expr,
		.title = mm_sprintf(a, "backfill %s in batches of %ld rows", label, o->batch_size),
		.why = mm_sprintf(a,
		                  "one UPDATE of every row would hold its row locks and its snapshot for the whole table; "
		                  "batches of %ld keyed on the primary key commit one by one, and an interrupted run "
		                  "resumes after the last committed batch",
		                  o->batch_size),
		.phase = MM_PHASE_BACKFILL,
	};
	return mm_rule_batched(r, &sp);
}

void mm_rule_batch_cleanup(struct mm_rule_ctx *r, const char *job)
{
	struct mm_arena *a = &r->ctx->arena;
	mm_vec_push(a, &r->plan->done_jobs, mm_sprintf(a, "%s\n%s", mm_sql_qname(a, r->schema, "mkmig_backfill"), job));
}

/* The last step of the plan: the done markers go, and the progress table once it is empty. Last,
 * so a re-run of the script after an interruption anywhere before it skips the finished jobs. */
void mm_rule_batch_cleanup_step(struct mm_ctx *ctx, struct mm_plan *plan)
{
	if (!plan->done_jobs.len)
		return;
	struct mm_arena *a = &ctx->arena;
	struct mm_step *s = mm_step_new(ctx, plan, NULL, MM_PHASE_CONTRACT, MM_UNIT_TX,
	                                "remove the done markers of the batched data changes");
	s->plpgsql = true;
	struct mm_vec tables = { 0 };
	for (size_t i = 0; i < plan->done_jobs.len; i++) {
		const char *e = mm_vec_at(&plan->done_jobs, i);
		const char *nl = strchr(e, '\n');
		const char *table = mm_strndup(a, e, (size_t)(nl - e));
		mm_step_up(ctx, s, "IF pg_catalog.to_regclass(%s) IS NOT NULL THEN\n    DELETE FROM %s WHERE job = %s;\nEND IF",
		           mm_sql_literal(a, table), table, nl + 1);
		bool seen = false;
		for (size_t k = 0; k < tables.len && !seen; k++)
			seen = strcmp(mm_vec_at(&tables, k), table) == 0;
		if (!seen)
			mm_vec_push(a, &tables, (void *)table);
	}
	for (size_t k = 0; k < tables.len; k++) {
		const char *table = mm_vec_at(&tables, k);
		mm_step_up(ctx, s, "IF pg_catalog.to_regclass(%s) IS NOT NULL AND NOT EXISTS (SELECT FROM %s) THEN\n    DROP TABLE %s;\nEND IF",
		           mm_sql_literal(a, table), table, table);
	}
	mm_step_why(ctx, s, "kept until the end so that re-running the script after an interruption does not apply a "
	                    "finished data change a second time");
}
