/*
 * backfill.c — batched, resumable backfills: a CALL of pg_temp.mkmig_batch (the loop, defined
 * once per file: src/emit/batch.c) that updates a bounded batch of rows, COMMITs, and goes on, so
 * no transaction holds row locks or bloats for long. This file writes the step: the two batch
 * statements the loop executes (the first batch, and the next one after the last key), and the
 * call's settings.
 *
 * Batching is keyset pagination on the primary key with a row-value comparison,
 * (k1, k2) > (last1, last2) ORDER BY k1, k2 LIMIT n, which btree uses as an index condition for
 * any key type (bigint, uuid, text, composite) — pg-facts §6. Each batch is a fresh bounded query:
 * a FOR loop over one cursor would be materialised at the first COMMIT (docs:
 * plpgsql-transactions.html). The last key is stored in a progress table in the same transaction
 * as the batch, because a killed call loses its variables; a re-run resumes after it, and the
 * UPDATE only touches rows still pending, so repeating a batch is harmless. COMMIT in a procedure
 * needs PostgreSQL 11+ and a CALL as its own top-level statement, outside any transaction block
 * (docs: sql-call.html) — the emitter gives it a unit of its own. The progress table is dropped
 * when the last backfill using it finishes.
 *
 * The same loop runs the user's own UPDATE / DELETE / INSERT ... SELECT in batches (dml.c): the
 * batch's keys are a CTE, mkmig_keys(mkmig_k1, ...), the write joins it, and progress commits with
 * the write, so no row is visited twice even when the write is not idempotent (SET n = n + 1).
 * Such a job leaves a done marker instead of deleting its progress row, so a re-run of the
 * script after the job finished does not apply it again; a final step removes the markers.
 *
 * Control (--batch-time, --max-replica-lag, --batch-sleep, passed to the call): the batch size
 * adapts so a batch takes about the target time (its row locks are held until it commits: shorter
 * batches, shorter stalls for concurrent writers of those rows); before each batch the loop waits
 * while a replica's replay_lag is above the limit; each notice gives keys walked out of the
 * planner's estimate (pg_class.reltuples) and an ETA from the rate so far.
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

/* One batch as the text pg_temp.mkmig_batch executes (src/emit/batch.c): pick the next keys
 * into mkmig_keys(mkmig_k1, ...), apply the write, return the last key, the keys walked and the
 * rows written. $1 is the batch size, $2 the last key committed (text[]). */
static void add_batch_query(struct mm_buf *b, struct mm_arena *a, const struct mm_batch_spec *sp, const struct mm_vec *cols,
                            const struct mm_vec *types, bool after, const char *indent)
{
	const char *keycols = each_key(a, cols, NULL, "@");
	const char *knames = each_key(a, cols, NULL, "mkmig_k#");
	mm_buf_addf(b, "%sWITH mkmig_keys (%s) AS (\n", indent, knames);
	mm_buf_addf(b, "%s    SELECT %s FROM %s%s ORDER BY %s LIMIT $1\n", indent, keycols, sp->from,
	            after ? mm_sprintf(a, " WHERE (%s) > (%s)", keycols, each_key(a, cols, types, "$2[#]::%")) : "",
	            keycols);
	mm_buf_addf(b, "%s), mkmig_written AS (\n", indent);
	const char *parts[] = { indent, "    ", sp->write_sql, "\n", indent, ")\n" };
	for (size_t i = 0; i < MM_ARRAY_LEN(parts); i++)
		mm_buf_adds(b, parts[i]);
	mm_buf_addf(b, "%sSELECT (SELECT ARRAY[%s] FROM mkmig_keys ORDER BY %s LIMIT 1), (SELECT count(*) FROM mkmig_keys), "
	               "(SELECT count(*) FROM mkmig_written)\n",
	            indent, each_key(a, cols, NULL, "mkmig_k#::text"), each_key(a, cols, NULL, "mkmig_k# DESC"));
}

/* A dollar-quote tag that occurs in none of the texts. */
static const char *quote_tag(struct mm_arena *a, const char *const *texts, size_t n)
{
	for (int k = 0;; k++) {
		const char *tag = k ? mm_sprintf(a, "$mkmig%d$", k) : "$mkmig$";
		bool clash = false;
		for (size_t i = 0; i < n && !clash; i++)
			clash = texts[i] && strstr(texts[i], tag);
		if (!clash)
			return tag;
	}
}

/* The arguments that find the row a conversion fails on, when the rows' values are computed by
 * an expression that can fail on one row (a convert: overflow, a bad cast): the pending rows of
 * the failed batch in key order, and the value of one of them. */
static void add_row_check(struct mm_buf *b, struct mm_arena *a, const char *qtable, const struct mm_vec *cols,
                          const struct mm_vec *types, const char *pending_sql, const char *row_expr, const char *tag)
{
	const char *tcols = each_key(a, cols, NULL, "t.@");
	mm_buf_addf(b, ",\n    bad_rows => %sSELECT ARRAY[%s] FROM %s AS t WHERE ($2 IS NULL OR (%s) > (%s)) AND (%s) ORDER BY %s LIMIT $1%s",
	            tag, each_key(a, cols, NULL, "t.@::text"), qtable, tcols, each_key(a, cols, types, "$2[#]::%"),
	            pending_sql, tcols, tag);
	mm_buf_addf(b, ",\n    bad_row => %sSELECT %s FROM %s AS t WHERE (%s) = (%s)%s", tag, row_expr, qtable, tcols,
	            each_key(a, cols, types, "$1[#]::%"), tag);
	mm_buf_addf(b, ",\n    key_names => %s", mm_sql_literal(a, each_key(a, cols, NULL, "@")));
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
	struct mm_buf first = MM_BUF_INIT, next = MM_BUF_INIT, b = MM_BUF_INIT;
	add_batch_query(&first, a, sp, &cols, &types, false, "        ");
	add_batch_query(&next, a, sp, &cols, &types, true, "        ");
	const char *texts[] = { first.buf, next.buf, sp->pending_sql, sp->row_expr };
	const char *tag = quote_tag(a, texts, MM_ARRAY_LEN(texts));
	bool proc = o->pg_version >= 11;
	mm_buf_addf(&b, "%s pg_temp.mkmig_batch(%s, %s, %ld", proc ? "CALL" : "SELECT", job, mm_rule_table_literal(r),
	            o->batch_size);
	if (sp->once)
		mm_buf_adds(&b, ", once => true");
	if (sp->done_if)
		mm_buf_addf(&b, ",\n    done_if => %s", mm_sql_literal(a, sp->done_if));
	if (strcmp(progress, "public.mkmig_backfill") != 0)
		mm_buf_addf(&b, ",\n    progress => %s", mm_sql_literal(a, progress));
	if (o->batch_time_ms > 0)
		mm_buf_addf(&b, ", batch_ms => %d", o->batch_time_ms);
	if (o->batch_sleep_ms > 0)
		mm_buf_addf(&b, ", sleep_ms => %d", o->batch_sleep_ms);
	if (o->max_replica_lag_ms > 0)
		mm_buf_addf(&b, ", max_lag_ms => %d", o->max_replica_lag_ms);
	/* The statements are long: copied, not formatted. */
	const char *parts[] = { ",\n    first_batch => ", tag, "\n", first.buf, "    ", tag,
		                ",\n    next_batch => ", tag, "\n", next.buf, "    ", tag };
	for (size_t i = 0; i < MM_ARRAY_LEN(parts); i++)
		mm_buf_adds(&b, parts[i]);
	if (sp->row_expr)
		add_row_check(&b, a, r->qtable, &cols, &types, sp->pending_sql, sp->row_expr, tag);
	mm_buf_adds(&b, ")");
	mm_buf_release(&first);
	mm_buf_release(&next);
	struct mm_step *s = mm_step_new(r->ctx, r->plan, r->ch, sp->phase, MM_UNIT_BATCH, sp->title);
	mm_vec_push(a, &s->up, mm_buf_arena(&b, a));
	mm_buf_release(&b);
	s->batch_call = true;
	mm_step_lock(r->ctx, s, r->qtable, MM_LOCK_ROW_EXCLUSIVE, MM_WORK_BATCHES);
	s->no_timeout = true;
	mm_step_why(r->ctx, s, "%s", sp->why);
	if (!proc)
		s->warning = mm_sprintf(a, "PostgreSQL %d has no COMMIT in PL/pgSQL (it came in 11): the batches of this step "
		                           "run in one transaction, which holds their row locks until the end",
		                        o->pg_version);
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
