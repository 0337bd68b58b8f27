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
 */
#include "common.h"

#include <string.h>

struct key {
	struct mm_vec cols;   /* quoted column names */
	struct mm_vec types;  /* type names for casting text back */
};

static int primary_key(struct mm_rule_ctx *r, struct key *k)
{
	struct mm_arena *a = &r->ctx->arena;
	const struct mm_constraint *pk = r->table ? mm_table_primary_key(r->table) : NULL;
	if (!pk) {
		const char *why = r->table ? mm_sprintf(a, "%s has no primary key", r->qtable)
		                           : mm_sprintf(a, "the primary key of %s is unknown", r->qtable);
		return mm_error_hint(r->ctx, r->ch->stmt->src, r->ch->stmt->off, r->ch->stmt->len,
		                     r->table ? "add a primary key first: the backfill walks the table in key order"
		                              : "pass --schema, --dir or --db so mkmig knows the table",
		                     "%s: cannot plan a batched backfill", why);
	}
	for (size_t i = 0; i < pk->columns.len; i++) {
		const char *col = mm_vec_at(&pk->columns, i);
		const struct mm_column *c = mm_table_find_column(r->table, col);
		mm_vec_push(a, &k->cols, mm_sql_ident(a, col));
		mm_vec_push(a, &k->types, (void *)(c && c->type ? c->type : "text"));
	}
	return 0;
}

/* "a, b" with an optional prefix before each column ("t.a, t.b"), or with " DESC". */
static const char *join_cols(struct mm_arena *a, const struct key *k, const char *prefix, const char *suffix)
{
	struct mm_buf b = MM_BUF_INIT;
	for (size_t i = 0; i < k->cols.len; i++)
		mm_buf_addf(&b, "%s%s%s%s", i ? ", " : "", prefix, (const char *)mm_vec_at(&k->cols, i), suffix);
	char *s = mm_buf_arena(&b, a);
	mm_buf_release(&b);
	return s;
}

static const char *last_key_values(struct mm_arena *a, const struct key *k)
{
	struct mm_buf b = MM_BUF_INIT;
	for (size_t i = 0; i < k->cols.len; i++)
		mm_buf_addf(&b, "%smkmig_last[%zu]::%s", i ? ", " : "", i + 1, (const char *)mm_vec_at(&k->types, i));
	char *s = mm_buf_arena(&b, a);
	mm_buf_release(&b);
	return s;
}

static const char *key_as_text_array(struct mm_arena *a, const struct key *k)
{
	struct mm_buf b = MM_BUF_INIT;
	mm_buf_adds(&b, "ARRAY[");
	for (size_t i = 0; i < k->cols.len; i++)
		mm_buf_addf(&b, "%s%s::text", i ? ", " : "", (const char *)mm_vec_at(&k->cols, i));
	mm_buf_adds(&b, "]");
	char *s = mm_buf_arena(&b, a);
	mm_buf_release(&b);
	return s;
}

/* One batch: pick the next keys, update the pending rows among them, return the last key. */
static void add_batch_query(struct mm_buf *b, struct mm_arena *a, const char *qtable, const struct key *k,
                            const char *after, long n, const char *set_sql, const char *pending_sql,
                            const char *indent)
{
	const char *cols = join_cols(a, k, "", "");
	mm_buf_addf(b, "%sWITH mkmig_keys AS (\n", indent);
	mm_buf_addf(b, "%s    SELECT %s FROM %s%s ORDER BY %s LIMIT %ld\n", indent, cols, qtable,
	            after ? mm_sprintf(a, " WHERE (%s) > (%s)", cols, after) : "", cols, n);
	mm_buf_addf(b, "%s), mkmig_updated AS (\n", indent);
	mm_buf_addf(b, "%s    UPDATE %s AS t SET %s FROM mkmig_keys AS k\n", indent, qtable, set_sql);
	mm_buf_addf(b, "%s    WHERE (%s) = (%s) AND (%s)\n", indent, join_cols(a, k, "t.", ""),
	            join_cols(a, k, "k.", ""), pending_sql);
	mm_buf_addf(b, "%s    RETURNING 1\n", indent);
	mm_buf_addf(b, "%s)\n", indent);
	mm_buf_addf(b, "%sSELECT (SELECT %s FROM mkmig_keys ORDER BY %s LIMIT 1), (SELECT count(*) FROM mkmig_updated)\n",
	            indent, key_as_text_array(a, k), join_cols(a, k, "", " DESC"));
	mm_buf_addf(b, "%sINTO mkmig_batch, mkmig_rows;\n", indent);
}

/* The handler of an error other than a lock timeout in a batch, when the rows' values are computed
 * by an expression that can fail on one row (a convert: overflow, a bad cast): find the first
 * pending row of the batch whose value raises, and stop naming its key. The batches before are
 * committed; fixing the row and running the script again resumes after them. */
static void add_row_error_handler(struct mm_buf *b, struct mm_arena *a, const char *qtable, const struct key *k, long n,
                                  const char *pending_sql, const char *row_expr, const char *job)
{
	const char *cols = join_cols(a, k, "t.", "");
	struct mm_buf vals = MM_BUF_INIT;
	for (size_t i = 0; i < k->cols.len; i++)
		mm_buf_addf(&vals, "%smkmig_key[%zu]::%s", i ? ", " : "", i + 1, (const char *)mm_vec_at(&k->types, i));
	mm_buf_addf(b,
	            "            WHEN OTHERS THEN\n"
	            "                FOR mkmig_key IN SELECT ARRAY[%s] FROM %s AS t\n"
	            "                    WHERE (mkmig_last IS NULL OR (%s) > (%s)) AND (%s)\n"
	            "                    ORDER BY %s LIMIT %ld\n"
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
	            join_cols(a, k, "t.", "::text"), qtable, cols, last_key_values(a, k), pending_sql, cols, n, row_expr, qtable,
	            cols, vals.buf, join_cols(a, k, "", ""), job);
	mm_buf_release(&vals);
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
	struct key k = { 0 };
	if (primary_key(r, &k) != 0)
		return -1;
	const char *progress = mm_sql_qname(a, r->schema, "mkmig_backfill");
	const char *job = mm_sql_literal(a, mm_sprintf(a, "%s.%s", r->qtable, label));
	struct mm_buf b = MM_BUF_INIT;
	mm_buf_adds(&b, "DO $mkmig$\nDECLARE\n"
	                "    mkmig_last text[];\n    mkmig_batch text[];\n    mkmig_rows bigint;\n"
	                "    mkmig_total bigint;\n    mkmig_attempt int;\n");
	if (row_expr)
		mm_buf_adds(&b, "    mkmig_key text[];\n");
	mm_buf_adds(&b, "BEGIN\n");
	/* A re-run after the whole change completed: the columns the copy reads may be gone. */
	if (done_if)
		mm_buf_addf(&b, "    IF %s THEN\n        RAISE NOTICE 'mkmig: backfill %%: the change is already complete', %s;\n"
		                "        RETURN;\n    END IF;\n",
		            done_if, job);
	mm_buf_addf(&b, "    CREATE TABLE IF NOT EXISTS %s (job text PRIMARY KEY, last_key text[] NOT NULL, rows_done bigint NOT NULL);\n",
	            progress);
	mm_buf_addf(&b, "    SELECT last_key, rows_done INTO mkmig_last, mkmig_total FROM %s WHERE job = %s;\n", progress, job);
	mm_buf_adds(&b, "    mkmig_total := coalesce(mkmig_total, 0);\n"
	                "    IF mkmig_last IS NOT NULL THEN\n");
	mm_buf_addf(&b, "        RAISE NOTICE 'mkmig: resuming backfill %% after key %%', %s, mkmig_last;\n", job);
	mm_buf_adds(&b, "    END IF;\n    COMMIT;\n    LOOP\n        mkmig_attempt := 0;\n        LOOP\n            BEGIN\n"
	                /* Tells mkmig's sync triggers that this write is the backfill, not the
	                 * application, for this transaction only. */
	                "                PERFORM pg_catalog.set_config('mkmig.backfill', 'on', true);\n"
	                "                IF mkmig_last IS NULL THEN\n");
	add_batch_query(&b, a, r->qtable, &k, NULL, o->batch_size, set_sql, pending_sql, "                    ");
	mm_buf_adds(&b, "                ELSE\n");
	add_batch_query(&b, a, r->qtable, &k, last_key_values(a, &k), o->batch_size, set_sql, pending_sql,
	                "                    ");
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
	if (row_expr)
		add_row_error_handler(&b, a, r->qtable, &k, o->batch_size, pending_sql, row_expr, job);
	mm_buf_adds(&b, "            END;\n"
	                "        END LOOP;\n"
	                "        EXIT WHEN mkmig_batch IS NULL;\n"
	                "        mkmig_last := mkmig_batch;\n"
	                "        mkmig_total := mkmig_total + mkmig_rows;\n");
	mm_buf_addf(&b,
	            "        INSERT INTO %s AS p (job, last_key, rows_done) VALUES (%s, mkmig_last, mkmig_total)\n"
	            "            ON CONFLICT (job) DO UPDATE SET last_key = EXCLUDED.last_key, rows_done = EXCLUDED.rows_done;\n"
	            "        COMMIT;\n"
	            "        RAISE NOTICE 'mkmig: backfill %%: %% rows updated so far', %s, mkmig_total;\n",
	            progress, job, job);
	if (o->batch_sleep_ms)
		mm_buf_addf(&b, "        PERFORM pg_catalog.pg_sleep(%d / 1000.0);\n", o->batch_sleep_ms);
	mm_buf_addf(&b,
	            "    END LOOP;\n"
	            "    DELETE FROM %s WHERE job = %s;\n"
	            "    IF NOT EXISTS (SELECT FROM %s) THEN\n"
	            "        DROP TABLE %s;\n"
	            "    END IF;\n"
	            "    RAISE NOTICE 'mkmig: backfill %% done: %% rows updated', %s, mkmig_total;\n"
	            "END\n$mkmig$",
	            progress, job, progress, progress, job);
	struct mm_step *s = mm_step_new(r->ctx, r->plan, r->ch, MM_PHASE_BACKFILL, MM_UNIT_BATCH,
	                                mm_sprintf(a, "backfill %s in batches of %ld rows", label, o->batch_size));
	mm_step_up(r->ctx, s, "%s", mm_buf_arena(&b, a));
	mm_buf_release(&b);
	mm_step_lock(r->ctx, s, r->qtable, MM_LOCK_ROW_EXCLUSIVE, MM_WORK_BATCHES);
	s->no_timeout = true;
	mm_step_why(r->ctx, s,
	            "one UPDATE of every row would hold its row locks and its snapshot for the whole table; "
	            "batches of %ld keyed on the primary key commit one by one, and an interrupted run "
	            "resumes after the last committed batch",
	            o->batch_size);
	return 0;
}
