/*
 * dml.c — UPDATE and DELETE of an existing table, run in committed batches.
 *
 * One UPDATE of a big table holds a row lock on every row it changed until it commits (minutes),
 * or is cancelled halfway by statement_timeout. mkmig runs the statement as written, restricted
 * to one batch of primary keys at a time (the keyset loop of backfill.c): the batch's keys join
 * the statement (FROM / USING mkmig_keys) and its progress commits with it, so a run killed
 * anywhere resumes after the last committed batch and no row is changed twice — which matters for
 * a write that is not idempotent (SET n = n + 1). The end state equals the naive statement's for
 * every row it would have changed: each row is visited once, in key order, and the statement's
 * own conditions decide as they would.
 *
 * Kept whole, with the reason in the plan and on stderr, where batches could differ from the
 * single statement: RETURNING (the caller wants one result), a data-modifying WITH, WHERE
 * CURRENT OF, a statement that reads its own table again (a self-join or subquery would see rows
 * earlier batches changed), a SET of a primary key column that dml_key.c cannot batch over its
 * work table, and no primary key on UPDATE (ctid moves when a row is updated). A DELETE without a
 * primary key is idempotent, so it is batched by ctid until no row matches.
 */
#include "common.h"

#include <string.h>

struct target {
	const PgQuery__RangeVar *rel;
	PgQuery__Node **from;       /* FROM (UPDATE) / USING (DELETE) */
	size_t n_from;
	PgQuery__Node *where;
	size_t n_returning;
	const PgQuery__WithClause *with;
	const char *ref;            /* how the statement refers to its table: alias or name */
};

static void target_of(const PgQuery__Node *n, struct target *t)
{
	memset(t, 0, sizeof(*t));
	if (n->node_case == PG_QUERY__NODE__NODE_UPDATE_STMT) {
		const PgQuery__UpdateStmt *u = n->update_stmt;
		*t = (struct target){ u->relation, u->from_clause, u->n_from_clause, u->where_clause, u->n_returning_list,
		                      u->with_clause, NULL };
	} else {
		const PgQuery__DeleteStmt *d = n->delete_stmt;
		*t = (struct target){ d->relation, d->using_clause, d->n_using_clause, d->where_clause, d->n_returning_list,
		                      d->with_clause, NULL };
	}
	t->ref = t->rel->alias && t->rel->alias->aliasname ? t->rel->alias->aliasname : t->rel->relname;
}

struct self_ref {
	const struct target *t;
	bool found;
};

static bool find_self(PgQuery__Node *n, void *arg)
{
	struct self_ref *s = arg;
	if (n->node_case == PG_QUERY__NODE__NODE_RANGE_VAR && n->range_var != s->t->rel &&
	    strcmp(n->range_var->relname, s->t->rel->relname) == 0)
		s->found = true;
	return !s->found;
}

static bool find_table(PgQuery__Node *n, void *arg)
{
	struct self_ref *s = arg;
	if (n->node_case == PG_QUERY__NODE__NODE_RANGE_VAR && n->range_var != s->t->rel)
		s->found = true;
	return !s->found;
}

static bool modifying_cte(const PgQuery__WithClause *w)
{
	for (size_t i = 0; w && i < w->n_ctes; i++) {
		PgQuery__Node__NodeCase c = w->ctes[i]->common_table_expr->ctequery->node_case;
		if (c == PG_QUERY__NODE__NODE_INSERT_STMT || c == PG_QUERY__NODE__NODE_UPDATE_STMT ||
		    c == PG_QUERY__NODE__NODE_DELETE_STMT || c == PG_QUERY__NODE__NODE_MERGE_STMT)
			return true;
	}
	return false;
}

/* now() and its kin are the time the statement started; in batches, each batch's transaction
 * would see its own. They are pinned to the now() of the call that runs the batches: $3 of the
 * batch statement pg_temp.mkmig_batch executes (src/emit/batch.c), mkmig_now in the ctid DO
 * block; a re-run after an interruption takes it again. Precision forms (CURRENT_TIMESTAMP(0))
 * are left as written. */
static const struct {
	PgQuery__SQLValueFunctionOp op;
	const char *cast;
} pinned_svf[] = {
	{ PG_QUERY__SQLVALUE_FUNCTION_OP__SVFOP_CURRENT_TIMESTAMP, "" },
	{ PG_QUERY__SQLVALUE_FUNCTION_OP__SVFOP_CURRENT_DATE, "::date" },
	{ PG_QUERY__SQLVALUE_FUNCTION_OP__SVFOP_CURRENT_TIME, "::timetz" },
	{ PG_QUERY__SQLVALUE_FUNCTION_OP__SVFOP_LOCALTIMESTAMP, "::timestamp" },
	{ PG_QUERY__SQLVALUE_FUNCTION_OP__SVFOP_LOCALTIME, "::time" },
};
static const char *const pinned_funcs[] = { "now", "transaction_timestamp", "statement_timestamp" };

struct pin {
	struct mm_ctx *ctx;
	const char *now;   /* what the pinned time is called; NULL: only look for one */
	bool pinned;
};

static bool pin_now(PgQuery__Node *n, void *arg)
{
	struct pin *p = arg;
	const char *cast = NULL;
	if (n->node_case == PG_QUERY__NODE__NODE_SQLVALUE_FUNCTION) {
		for (size_t i = 0; i < MM_ARRAY_LEN(pinned_svf); i++)
			if (pinned_svf[i].op == n->sqlvalue_function->op)
				cast = pinned_svf[i].cast;
	} else if (n->node_case == PG_QUERY__NODE__NODE_FUNC_CALL && n->func_call->n_args == 0 && !n->func_call->over) {
		const PgQuery__FuncCall *f = n->func_call;
		const PgQuery__Node *last = f->funcname[f->n_funcname - 1];
		bool catalog = f->n_funcname == 1 || (f->n_funcname == 2 && strcmp(f->funcname[0]->string->sval, "pg_catalog") == 0);
		for (size_t i = 0; catalog && last->node_case == PG_QUERY__NODE__NODE_STRING && i < MM_ARRAY_LEN(pinned_funcs); i++)
			if (strcmp(last->string->sval, pinned_funcs[i]) == 0)
				cast = "";
	}
	if (!cast)
		return true;
	p->pinned = true;
	if (!p->now)
		return false;
	PgQuery__Node *e = mm_sql_parse_expr(p->ctx, mm_sprintf(&p->ctx->arena, "%s%s", p->now, cast));
	if (!e)
		MM_BUG("pinned time does not parse");
	*n = *e;
	return false;
}

/* The SET changes a column of the primary key (dml_key.c batches it over a work table). */
static bool sets_key(struct mm_rule_ctx *r)
{
	const PgQuery__UpdateStmt *u = r->ch->node->update_stmt;
	const struct mm_constraint *pk = mm_table_primary_key(r->table);
	for (size_t i = 0; i < u->n_target_list; i++)
		for (size_t k = 0; k < pk->columns.len; k++)
			if (strcmp(u->target_list[i]->res_target->name, mm_vec_at(&pk->columns, k)) == 0)
				return true;
	return false;
}

struct self_or_now {
	struct self_ref self;
	struct pin now;
};

/* One walk for both questions: does the statement read its table again, does it call now()? */
static bool find_self_or_now(PgQuery__Node *n, void *arg)
{
	struct self_or_now *q = arg;
	return find_self(n, &q->self) && pin_now(n, &q->now);
}

/* Why the statement must run as one (NULL: it can be batched); whether it calls now(). */
static const char *why_whole(struct mm_rule_ctx *r, const struct target *t, bool is_update, bool has_key,
                             bool *calls_now)
{
	struct mm_arena *a = &r->ctx->arena;
	if (t->n_returning)
		return "RETURNING: the caller expects the statement's whole result at once";
	if (modifying_cte(t->with))
		return "a data-modifying WITH runs once, not per batch";
	if (t->where && t->where->node_case == PG_QUERY__NODE__NODE_CURRENT_OF_EXPR)
		return "WHERE CURRENT OF names one row of a cursor";
	struct self_or_now q = { .self = { .t = t }, .now = { .ctx = r->ctx } };
	mm_sql_walk(r->ch->node, find_self_or_now, &q);
	const struct self_ref s = q.self;
	*calls_now = q.now.pinned;
	if (s.found)
		return mm_sprintf(a, "the statement reads %s again (a self-join or subquery): a batch would see rows earlier "
		                     "batches already changed",
		                  r->qtable);
	if (!has_key)
		return is_update ? mm_sprintf(a, "%s has no primary key: batches need a stable key (ctid changes when a row "
		                                 "is updated)", r->qtable)
		                 : r->table->kind == MM_REL_PARTITIONED ? "a partitioned table without a primary key: ctid is "
		                                                          "not unique across partitions"
		                                                        : NULL;
	if (is_update && sets_key(r))
		return mm_rule_key_update_why(r);
	return NULL;
}

static PgQuery__Node *and_node(struct mm_arena *a, PgQuery__Node *x, PgQuery__Node *y)
{
	if (!y)
		return x;
	PgQuery__BoolExpr *b = mm_alloc(a, sizeof(*b));
	pg_query__bool_expr__init(b);
	b->boolop = PG_QUERY__BOOL_EXPR_TYPE__AND_EXPR;
	b->n_args = 2;
	b->args = mm_alloc(a, 2 * sizeof(*b->args));
	b->args[0] = x;
	b->args[1] = y;
	b->location = -1;
	PgQuery__Node *n = mm_alloc(a, sizeof(*n));
	pg_query__node__init(n);
	n->node_case = PG_QUERY__NODE__NODE_BOOL_EXPR;
	n->bool_expr = b;
	return n;
}

static PgQuery__Node *range_node(struct mm_arena *a, const char *name)
{
	PgQuery__RangeVar *rv = mm_alloc(a, sizeof(*rv));
	pg_query__range_var__init(rv);
	rv->relname = (char *)name;
	rv->schemaname = (char *)"";
	rv->inh = true;
	rv->relpersistence = (char *)"p";
	rv->location = -1;
	PgQuery__Node *n = mm_alloc(a, sizeof(*n));
	pg_query__node__init(n);
	n->node_case = PG_QUERY__NODE__NODE_RANGE_VAR;
	n->range_var = rv;
	return n;
}

/* The statement as written, joined with this batch's keys, ending in RETURNING 1 (its tree
 * changed and printed: the pinned now() is in the tree). */
static const char *batch_write(struct mm_rule_ctx *r, const struct target *t)
{
	struct mm_arena *a = &r->ctx->arena;
	PgQuery__Node *keyeq = mm_rule_key_eq(a, r->table, t->ref);
	PgQuery__Node **from = mm_alloc(a, (t->n_from + 1) * sizeof(*from));
	from[0] = range_node(a, "mkmig_keys");
	if (t->n_from)
		memcpy(from + 1, t->from, t->n_from * sizeof(*from));
	PgQuery__Node *n = mm_alloc(a, sizeof(*n));
	*n = *r->ch->node;
	if (n->node_case == PG_QUERY__NODE__NODE_UPDATE_STMT) {
		PgQuery__UpdateStmt *u = mm_alloc(a, sizeof(*u));
		*u = *n->update_stmt;
		u->from_clause = from;
		u->n_from_clause = t->n_from + 1;
		u->where_clause = and_node(a, keyeq, t->where);
		n->update_stmt = u;
	} else {
		PgQuery__DeleteStmt *d = mm_alloc(a, sizeof(*d));
		*d = *n->delete_stmt;
		d->using_clause = from;
		d->n_using_clause = t->n_from + 1;
		d->where_clause = and_node(a, keyeq, t->where);
		n->delete_stmt = d;
	}
	const char *sql = mm_sql_deparse(r->ctx, n);
	if (!sql)
		MM_BUG("batched statement does not deparse");
	return mm_sprintf(a, "%s RETURNING 1", sql);
}

/* DELETE without a key: repeat "delete up to n matching rows by ctid" until none matches. A
 * repeated batch deletes nothing twice, so this is exact; ctid is only used inside one statement,
 * where it is stable. */
static int delete_by_ctid(struct mm_rule_ctx *r, const struct target *t, bool pinned)
{
	struct mm_arena *a = &r->ctx->arena;
	const struct mm_options *o = &r->ctx->opt;
	PgQuery__SelectStmt *sel = mm_alloc(a, sizeof(*sel));
	pg_query__select_stmt__init(sel);
	PgQuery__ResTarget *rt = mm_alloc(a, sizeof(*rt));
	pg_query__res_target__init(rt);
	rt->val = mm_sql_parse_expr(r->ctx, mm_sprintf(a, "%s.ctid", mm_sql_ident(a, t->ref)));
	rt->location = -1;
	PgQuery__Node *rtn = mm_alloc(a, sizeof(*rtn));
	pg_query__node__init(rtn);
	rtn->node_case = PG_QUERY__NODE__NODE_RES_TARGET;
	rtn->res_target = rt;
	sel->n_target_list = 1;
	sel->target_list = mm_alloc(a, sizeof(*sel->target_list));
	sel->target_list[0] = rtn;
	PgQuery__RangeVar *rel = mm_alloc(a, sizeof(*rel));
	*rel = *t->rel;
	rel->inh = false;
	PgQuery__Node *reln = mm_alloc(a, sizeof(*reln));
	pg_query__node__init(reln);
	reln->node_case = PG_QUERY__NODE__NODE_RANGE_VAR;
	reln->range_var = rel;
	sel->n_from_clause = t->n_from + 1;
	sel->from_clause = mm_alloc(a, sel->n_from_clause * sizeof(*sel->from_clause));
	sel->from_clause[0] = reln;
	if (t->n_from)
		memcpy(sel->from_clause + 1, t->from, t->n_from * sizeof(*sel->from_clause));
	sel->where_clause = t->where;
	sel->with_clause = (PgQuery__WithClause *)t->with;
	sel->limit_count = mm_sql_parse_expr(r->ctx, mm_sprintf(a, "%ld", o->batch_size));
	sel->limit_option = PG_QUERY__LIMIT_OPTION__LIMIT_OPTION_COUNT;
	sel->op = PG_QUERY__SET_OPERATION__SETOP_NONE;
	PgQuery__Node sn = PG_QUERY__NODE__INIT;
	sn.node_case = PG_QUERY__NODE__NODE_SELECT_STMT;
	sn.select_stmt = sel;
	const char *pick = mm_sql_deparse(r->ctx, &sn);
	if (!pick)
		MM_BUG("ctid batch does not deparse");
	struct mm_buf b = MM_BUF_INIT;
	mm_buf_addf(&b,
	            "DO $mkmig$\nDECLARE\n    mkmig_rows bigint;\n    mkmig_total bigint := 0;\n    mkmig_attempt int;\n%sBEGIN\n"
	            "    LOOP\n        mkmig_attempt := 0;\n        LOOP\n            BEGIN\n"
	            "                DELETE FROM ONLY %s WHERE ctid = ANY (ARRAY(%s));\n"
	            "                GET DIAGNOSTICS mkmig_rows = ROW_COUNT;\n"
	            "                EXIT;\n"
	            "            EXCEPTION WHEN lock_not_available OR deadlock_detected THEN\n"
	            "                mkmig_attempt := mkmig_attempt + 1;\n"
	            "                IF mkmig_attempt >= %d THEN\n                    RAISE;\n                END IF;\n"
	            "                PERFORM pg_catalog.pg_sleep(least(0.05 * 2 ^ mkmig_attempt, 5) * (0.5 + random()));\n"
	            "            END;\n        END LOOP;\n        COMMIT;\n"
	            "        mkmig_total := mkmig_total + mkmig_rows;\n"
	            "        RAISE NOTICE 'mkmig: delete from %%: %% rows deleted so far', %s, mkmig_total;\n"
	            /* Rows a concurrent update moved away from their ctid are picked up again. */
	            "        EXIT WHEN mkmig_rows = 0 AND NOT EXISTS (%s);\n",
	            pinned ? "    mkmig_now timestamptz := pg_catalog.now();\n" : "", r->qtable, pick, o->lock_retries,
	            mm_rule_table_literal(r), pick);
	if (o->batch_sleep_ms)
		mm_buf_addf(&b, "        PERFORM pg_catalog.pg_sleep(%d / 1000.0);\n", o->batch_sleep_ms);
	mm_buf_adds(&b, "    END LOOP;\nEND\n$mkmig$");
	struct mm_step *s = mm_step_new(r->ctx, r->plan, r->ch, r->phase, MM_UNIT_BATCH,
	                                mm_sprintf(a, "%s, in batches of %ld rows by ctid", mm_change_sql(r), o->batch_size));
	mm_step_up(r->ctx, s, "%s", mm_buf_arena(&b, a));
	mm_buf_release(&b);
	mm_step_lock(r->ctx, s, r->qtable, MM_LOCK_ROW_EXCLUSIVE, MM_WORK_BATCHES);
	s->no_timeout = true;
	mm_step_why(r->ctx, s,
	            "%s has no primary key, but a DELETE can be repeated safely: each batch deletes up to %ld matching rows "
	            "by ctid (stable within one statement) and commits, until no row matches; rows of tables that inherit "
	            "from it (not partitions) are not included",
	            r->qtable, o->batch_size);
	s->down_warning = mm_sprintf(a, "deleted rows cannot be restored by the down script: %s", s->title);
	return 0;
}

/* The statement kept whole, the reason in the plan and on stderr. It still runs once: with a
 * done marker written in its transaction, so a re-run of the script after an interruption does
 * not apply it a second time. RETURNING goes through EXECUTE, which discards the rows (PL/pgSQL
 * refuses a result with no destination). */
static int whole(struct mm_rule_ctx *r, const char *why)
{
	struct mm_arena *a = &r->ctx->arena;
	const PgQuery__Node *n = r->ch->node;
	size_t n_returning = n->node_case == PG_QUERY__NODE__NODE_UPDATE_STMT   ? n->update_stmt->n_returning_list
	                     : n->node_case == PG_QUERY__NODE__NODE_DELETE_STMT ? n->delete_stmt->n_returning_list
	                                                                        : n->insert_stmt->n_returning_list;
	const char *progress = mm_sql_qname(a, r->schema, "mkmig_backfill");
	const char *job = mm_sql_literal(a, mm_sprintf(a, "%s.%s_%zu_%zu", r->qtable ? r->qtable : "t", mm_change_kind_name(r->ch->kind),
	                                               r->ch->stmt->off, r->index));
	struct mm_step *s = mm_step_new(r->ctx, r->plan, r->ch, r->phase, MM_UNIT_TX, mm_change_sql(r));
	s->plpgsql = true;
	mm_step_up(r->ctx, s, "CREATE TABLE IF NOT EXISTS %s (job text PRIMARY KEY, last_key text[] NOT NULL, rows_done bigint NOT NULL, "
	                      "keys_seen bigint NOT NULL DEFAULT 0)", progress);
	mm_step_up(r->ctx, s, "IF EXISTS (SELECT FROM %s WHERE job = %s) THEN\n    RAISE NOTICE 'mkmig: %%: already applied', %s;\n    RETURN;\nEND IF",
	           progress, job, job);
	if (n_returning)
		mm_step_up(r->ctx, s, "EXECUTE %s", mm_sql_literal(a, r->ch->stmt->text));
	else
		mm_step_up(r->ctx, s, "%s", r->ch->stmt->text);
	mm_step_up(r->ctx, s, "INSERT INTO %s (job, last_key, rows_done) VALUES (%s, '{}', 0)", progress, job);
	mm_step_locks_of(r, s, r->ch->node);
	mm_step_why(r->ctx, s, "kept as one statement: %s; a done marker in the same transaction keeps a re-run from applying it twice", why);
	s->warning = mm_sprintf(a, "not batched (%s): it holds its row locks until it commits", why);
	mm_rule_undo(r, s);
	mm_rule_batch_cleanup(r, job);
	return 0;
}

int mm_rule_dml(struct mm_rule_ctx *r)
{
	struct mm_arena *a = &r->ctx->arena;
	const struct mm_options *o = &r->ctx->opt;
	bool is_update = r->ch->kind == MM_CH_UPDATE;
	if (r->table_is_new)
		return mm_rule_passthrough(r, "the table was created earlier in this input, so no other session can be using it");
	if (!r->table || !r->qtable)
		return whole(r, mm_sprintf(a, "the primary key of %s is unknown (pass --schema, --dir or --db)",
		                           r->qtable ? r->qtable : "the table"));
	struct target t;
	target_of(r->ch->node, &t);
	struct mm_vec cols = { 0 };
	bool has_key = mm_rule_batch_key(r, &cols, NULL);
	bool calls_now = false;
	const char *why = why_whole(r, &t, is_update, has_key, &calls_now);
	if (why)
		return whole(r, why);
	/* Collected with the statement as written: its now() is the collecting transaction's. */
	const char *work = has_key && is_update && sets_key(r)
	                       ? mm_rule_key_update_collect(r, mm_sprintf(a, "update_%zu_%zu", r->ch->stmt->off, r->index), t.ref)
	                       : NULL;
	/* On a copy of the statement: the node is also the change's record of what was written. */
	PgQuery__Node *copy = calls_now ? mm_sql_parse_one(r->ctx, r->ch->stmt->text, "statement") : NULL;
	struct pin pin = { .ctx = r->ctx, .now = has_key ? "$3" : "mkmig_now" };
	if (copy)
		mm_sql_walk(copy, pin_now, &pin);
	struct target t2;
	if (pin.pinned) {
		struct mm_change *ch = mm_alloc(a, sizeof(*ch));
		*ch = *r->ch;
		ch->node = copy;
		r->ch = ch;
		target_of(copy, &t2);
		t = t2;
	}
	if (!has_key)
		return delete_by_ctid(r, &t, pin.pinned);
	const char *label = mm_sprintf(a, "%s_%zu_%zu", is_update ? "update" : "delete", r->ch->stmt->off, r->index);
	const char *write = pin.pinned ? NULL : mm_rule_batch_write_text(r, t.ref, &cols);
	if (!write)
		write = batch_write(r, &t);
	struct mm_batch_spec sp = {
		.label = label,
		.from = work ? work : t.rel->inh ? r->qtable : mm_sprintf(a, "ONLY %s", r->qtable),
		.write_sql = write,
		.once = true,
		.title = mm_sprintf(a, "%s, in batches of %ld keys", mm_change_sql(r), o->batch_size),
		.why = mm_sprintf(a,
		                  "one statement would hold the row locks of every row it changes until it commits; the same "
		                  "statement restricted to %ld primary keys at a time commits batch by batch, its progress "
		                  "committed with each batch, so a re-run after an interruption resumes without changing any "
		                  "row twice",
		                  o->batch_size),
		.phase = r->phase,
	};
	if (mm_rule_batched(r, &sp) != 0)
		return -1;
	struct mm_step *s = NULL;
	for (size_t i = r->plan->steps.len; i-- > 0 && !s;)
		if (((struct mm_step *)mm_vec_at(&r->plan->steps, i))->change == r->ch)
			s = mm_vec_at(&r->plan->steps, i);
	s->down_warning = mm_sprintf(a, "%s rows cannot be restored by the down script: %s",
	                             is_update ? "the previous values of updated" : "deleted", s->title);
	if (work) {
		s->why = mm_sprintf(a, "%s; the batches walk the keys collected in %s, in their order", s->why, work);
		mm_rule_key_update_drop(r, work);
	}
	return 0;
}

/* --- INSERT ... SELECT copies ------------------------------------------------------------------
 * Batched on the source table's primary key: each batch inserts what the SELECT gives for the
 * batch's source rows. Only a plain SELECT from one table qualifies: anything that combines rows
 * (aggregates, DISTINCT, GROUP BY, window functions, LIMIT, ORDER BY, set operations, joins)
 * would give a different result per batch. */

static const char *const aggregates[] = {
	"count", "sum", "avg", "min", "max", "array_agg", "string_agg", "bool_and", "bool_or", "every",
	"json_agg", "jsonb_agg", "json_object_agg", "jsonb_object_agg", "xmlagg", "bit_and", "bit_or",
	"stddev", "stddev_pop", "stddev_samp", "variance", "var_pop", "var_samp", "percentile_cont",
	"percentile_disc", "mode", "rank", "dense_rank", "row_number", "ntile", "lag", "lead",
};

static bool find_combining(PgQuery__Node *n, void *arg)
{
	bool *found = arg;
	if (n->node_case == PG_QUERY__NODE__NODE_FUNC_CALL) {
		const PgQuery__FuncCall *f = n->func_call;
		const PgQuery__Node *last = f->funcname[f->n_funcname - 1];
		if (f->agg_star || f->agg_distinct || f->n_agg_order || f->agg_filter || f->over)
			*found = true;
		for (size_t i = 0; last->node_case == PG_QUERY__NODE__NODE_STRING && i < MM_ARRAY_LEN(aggregates); i++)
			if (strcmp(last->string->sval, aggregates[i]) == 0)
				*found = true;
	}
	if (n->node_case == PG_QUERY__NODE__NODE_SUB_LINK)
		*found = true; /* a subquery may read the target as it fills */
	return !*found;
}

int mm_rule_insert_select(struct mm_rule_ctx *r)
{
	struct mm_arena *a = &r->ctx->arena;
	const struct mm_options *o = &r->ctx->opt;
	const PgQuery__InsertStmt *ins = r->ch->node->insert_stmt;
	const PgQuery__SelectStmt *sel = ins->select_stmt && ins->select_stmt->node_case == PG_QUERY__NODE__NODE_SELECT_STMT
	                                     ? ins->select_stmt->select_stmt : NULL;
	const char *why = NULL;
	bool combining = false;
	if (sel)
		mm_sql_walk(ins->select_stmt, find_combining, &combining);
	struct self_ref tables = { .t = &(struct target){ .rel = ins->relation } };
	if (sel)
		mm_sql_walk(ins->select_stmt, find_table, &tables);
	/* Nothing read from a table (VALUES, generate_series): no long scan to split. */
	if (!sel || sel->n_values_lists || sel->op != PG_QUERY__SET_OPERATION__SETOP_NONE || !tables.found)
		return mm_rule_passthrough(r, NULL);
	if (ins->n_returning_list || modifying_cte(ins->with_clause) || sel->with_clause)
		why = "RETURNING or a WITH clause";
	else if (sel->n_from_clause != 1 || sel->from_clause[0]->node_case != PG_QUERY__NODE__NODE_RANGE_VAR)
		why = "the SELECT does not read exactly one table";
	else if (combining || sel->n_distinct_clause || sel->n_group_clause || sel->having_clause || sel->n_window_clause ||
	         sel->limit_count || sel->limit_offset || sel->n_sort_clause || sel->n_locking_clause)
		why = "the SELECT combines or orders rows (aggregate, DISTINCT, GROUP BY, window, LIMIT, ORDER BY or a subquery)";
	if (why)
		return whole(r, why);
	const PgQuery__RangeVar *src = sel->from_clause[0]->range_var;
	const char *sschema = src->schemaname && src->schemaname[0] ? src->schemaname : NULL;
	struct mm_table *st = mm_model_find_table(r->model, sschema, src->relname);
	if (!st || st->origin == MM_ORIGIN_INPUT)
		return mm_rule_passthrough(r, st ? "the source table was created earlier in this input" : NULL);
	if (strcmp(st->name, ins->relation->relname) == 0)
		return whole(r, "the statement copies a table into itself: batches would walk the rows they insert");
	struct mm_rule_ctx sr = *r;
	sr.table = st;
	sr.schema = st->schema;
	sr.name = st->name;
	sr.qtable = mm_sql_qname(a, st->schema, st->name);
	sr.table_is_new = false;
	struct mm_vec cols = { 0 };
	if (!mm_rule_batch_key(&sr, &cols, NULL))
		return whole(&sr, mm_sprintf(a, "%s has no primary key to walk in batches", sr.qtable));
	/* The statement as written, its SELECT restricted to this batch's source keys. */
	const char *ref = src->alias && src->alias->aliasname ? src->alias->aliasname : src->relname;
	struct target t = { .rel = src, .from = sel->from_clause, .n_from = 1, .where = sel->where_clause, .ref = ref };
	PgQuery__Node *keyeq = mm_rule_key_eq(a, st, ref);
	PgQuery__SelectStmt *s2 = mm_alloc(a, sizeof(*s2));
	*s2 = *sel;
	s2->n_from_clause = 2;
	s2->from_clause = mm_alloc(a, 2 * sizeof(*s2->from_clause));
	s2->from_clause[0] = range_node(a, "mkmig_keys");
	s2->from_clause[1] = t.from[0];
	s2->where_clause = and_node(a, keyeq, t.where);
	PgQuery__Node *sn = mm_alloc(a, sizeof(*sn));
	*sn = *ins->select_stmt;
	sn->select_stmt = s2;
	PgQuery__InsertStmt *i2 = mm_alloc(a, sizeof(*i2));
	*i2 = *ins;
	i2->select_stmt = sn;
	PgQuery__Node n = *r->ch->node;
	n.insert_stmt = i2;
	const char *sql = mm_sql_deparse(r->ctx, &n);
	if (!sql)
		MM_BUG("batched INSERT does not deparse");
	struct mm_batch_spec sp = {
		.label = mm_sprintf(a, "insert_%zu_%zu", r->ch->stmt->off, r->index),
		.from = src->inh ? sr.qtable : mm_sprintf(a, "ONLY %s", sr.qtable),
		.write_sql = mm_sprintf(a, "%s RETURNING 1", sql),
		.once = true,
		.title = mm_sprintf(a, "%s, in batches of %ld keys of %s", mm_change_sql(r), o->batch_size, sr.qtable),
		.why = mm_sprintf(a, "one INSERT ... SELECT of a big table runs as one long transaction (its snapshot holds back "
		                     "vacuum, a failure loses all of it); the same statement restricted to %ld source keys at a "
		                     "time commits batch by batch and resumes after the last committed one",
		                  o->batch_size),
		.phase = r->phase,
	};
	size_t first = r->plan->steps.len;
	if (mm_rule_batched(&sr, &sp) != 0)
		return -1;
	struct mm_step *s = mm_vec_at(&r->plan->steps, first);
	s->locks.len = 0;
	mm_step_locks_of(r, s, r->ch->node);
	for (size_t i = 0; i < s->locks.len; i++)
		((struct mm_lock_use *)mm_vec_at(&s->locks, i))->work = MM_WORK_BATCHES;
	s->down_warning = mm_sprintf(a, "the copied rows are not removed by the down script: %s", s->title);
	return 0;
}
