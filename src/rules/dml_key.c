/*
 * dml_key.c — an UPDATE whose SET changes a primary key column, batched over a work table.
 *
 * A keyset walk over the live table cannot batch it: a row moved forward in key order would be
 * visited again, one moved backward skipped. So the keys of the rows the statement touches (its
 * WHERE, evaluated once) are collected into a work table in a committed step of their own, and
 * the batches walk that table instead: the statement as written, restricted to a batch of old
 * keys, its WHERE applied again, its progress (the last old key) committed with the batch, so a
 * re-run after an interruption resumes and changes no row twice (SET id = id + 1000 included).
 *
 * PostgreSQL checks a non-deferrable unique constraint row by row (docs: sql-createtable.html,
 * "Non-deferred uniqueness constraints"), so SET id = id + 1 over consecutive ids succeeds or
 * fails by the order rows are visited: a batched run could stop halfway where the one statement
 * succeeds. The collecting step also computes each new key and looks for a new key that meets any
 * existing key (moved or not), two equal new keys, or a NULL one. With none, no order can
 * collide, batches and the statement end the same; with one, the statement runs whole right
 * there (with its done marker), which is exactly the naive statement. The check needs the new key
 * computed as the update will compute it, so it is only made for a key expression of columns,
 * constants, operators and casts (no function, which may be volatile: nextval, random).
 */
#include "common.h"

#include <string.h>

static const PgQuery__Node__NodeCase key_expr_nodes[] = {
	PG_QUERY__NODE__NODE_COLUMN_REF, PG_QUERY__NODE__NODE_A_CONST, PG_QUERY__NODE__NODE_A_EXPR,
	PG_QUERY__NODE__NODE_TYPE_CAST,  PG_QUERY__NODE__NODE_STRING,  PG_QUERY__NODE__NODE_INTEGER,
	PG_QUERY__NODE__NODE_FLOAT,      PG_QUERY__NODE__NODE_BOOLEAN,
};

static bool find_other(PgQuery__Node *n, void *arg)
{
	bool *other = arg;
	bool ok = false;
	for (size_t i = 0; i < MM_ARRAY_LEN(key_expr_nodes) && !ok; i++)
		ok = n->node_case == key_expr_nodes[i];
	if (n->node_case == PG_QUERY__NODE__NODE_A_EXPR && n->a_expr->kind != PG_QUERY__A__EXPR__KIND__AEXPR_OP)
		ok = false;
	if (!ok)
		*other = true;
	return !*other;
}

/* The SET's expression for primary key column col, or NULL when the SET leaves it. */
static PgQuery__ResTarget *set_of(const PgQuery__UpdateStmt *u, const char *col)
{
	for (size_t i = 0; i < u->n_target_list; i++)
		if (strcmp(u->target_list[i]->res_target->name, col) == 0)
			return u->target_list[i]->res_target;
	return NULL;
}

const char *mm_rule_key_update_why(struct mm_rule_ctx *r)
{
	const PgQuery__UpdateStmt *u = r->ch->node->update_stmt;
	const struct mm_constraint *pk = mm_table_primary_key(r->table);
	if (u->n_from_clause)
		return "the SET changes the primary key and the statement has a FROM: a joined row decides the new key, "
		       "which mkmig cannot collect once beforehand";
	for (size_t k = 0; k < pk->columns.len; k++) {
		const PgQuery__ResTarget *rt = set_of(u, mm_vec_at(&pk->columns, k));
		bool other = false;
		if (rt) {
			if (rt->n_indirection)
				other = true;
			else
				mm_sql_walk(rt->val, find_other, &other);
		}
		if (other)
			return mm_sprintf(&r->ctx->arena, "the SET computes the primary key column %s with more than columns, "
			                                   "constants, operators and casts: mkmig cannot check the new keys for "
			                                   "collisions before the first batch",
			                  mm_sql_ident(&r->ctx->arena, mm_vec_at(&pk->columns, k)));
	}
	return NULL;
}

static PgQuery__Node *target_node(struct mm_arena *a, PgQuery__Node *val, const char *name)
{
	PgQuery__ResTarget *rt = mm_alloc(a, sizeof(*rt));
	pg_query__res_target__init(rt);
	rt->val = val;
	rt->name = (char *)name;
	rt->location = -1;
	PgQuery__Node *n = mm_alloc(a, sizeof(*n));
	pg_query__node__init(n);
	n->node_case = PG_QUERY__NODE__NODE_RES_TARGET;
	n->res_target = rt;
	return n;
}

/* SELECT ref.k1 AS k1, ..., <new k1> AS mkmig_new_1, ... FROM <table as written> WHERE <where>. */
static const char *collect_sql(struct mm_rule_ctx *r, const char *ref)
{
	struct mm_arena *a = &r->ctx->arena;
	const PgQuery__UpdateStmt *u = r->ch->node->update_stmt;
	const struct mm_constraint *pk = mm_table_primary_key(r->table);
	size_t nk = pk->columns.len;
	PgQuery__SelectStmt *sel = mm_alloc(a, sizeof(*sel));
	pg_query__select_stmt__init(sel);
	sel->n_target_list = 2 * nk;
	sel->target_list = mm_alloc(a, 2 * nk * sizeof(*sel->target_list));
	for (size_t k = 0; k < nk; k++) {
		const char *col = mm_vec_at(&pk->columns, k);
		PgQuery__Node *old = mm_sql_parse_expr(r->ctx, mm_sprintf(a, "%s.%s", mm_sql_ident(a, ref), mm_sql_ident(a, col)));
		const PgQuery__ResTarget *rt = set_of(u, col);
		sel->target_list[k] = target_node(a, old, col);
		sel->target_list[nk + k] = target_node(a, rt ? rt->val : old, mm_sprintf(a, "mkmig_new_%zu", k + 1));
	}
	PgQuery__Node *reln = mm_alloc(a, sizeof(*reln));
	pg_query__node__init(reln);
	reln->node_case = PG_QUERY__NODE__NODE_RANGE_VAR;
	reln->range_var = u->relation;
	sel->n_from_clause = 1;
	sel->from_clause = mm_alloc(a, sizeof(*sel->from_clause));
	sel->from_clause[0] = reln;
	sel->where_clause = u->where_clause;
	sel->with_clause = u->with_clause;
	sel->op = PG_QUERY__SET_OPERATION__SETOP_NONE;
	PgQuery__Node sn = PG_QUERY__NODE__INIT;
	sn.node_case = PG_QUERY__NODE__NODE_SELECT_STMT;
	sn.select_stmt = sel;
	const char *sql = mm_sql_deparse(r->ctx, &sn);
	if (!sql)
		MM_BUG("key collection does not deparse");
	return sql;
}

const char *mm_rule_key_update_collect(struct mm_rule_ctx *r, const char *label, const char *ref)
{
	struct mm_arena *a = &r->ctx->arena;
	const struct mm_constraint *pk = mm_table_primary_key(r->table);
	const char *work = mm_sql_qname(a, r->schema, mm_sprintf(a, "mkmig_work_%s", label));
	const char *progress = mm_sql_qname(a, r->schema, "mkmig_backfill");
	const char *job = mm_sql_literal(a, mm_sprintf(a, "%s.%s", r->qtable, label));
	struct mm_buf oldk = MM_BUF_INIT, newk = MM_BUF_INIT, nulls = MM_BUF_INIT, keys = MM_BUF_INIT;
	for (size_t k = 0; k < pk->columns.len; k++) {
		const char *col = mm_sql_ident(a, mm_vec_at(&pk->columns, k));
		mm_buf_addf(&oldk, "%sx.%s", k ? ", " : "", col);
		mm_buf_addf(&newk, "%smkmig_new_%zu", k ? ", " : "", k + 1);
		mm_buf_addf(&nulls, "%smkmig_new_%zu IS NULL", k ? " OR " : "", k + 1);
		mm_buf_addf(&keys, "%s%s", k ? ", " : "", col);
	}
	const char *on = r->ch->node->update_stmt->relation->inh ? r->qtable : mm_sprintf(a, "ONLY %s", r->qtable);
	struct mm_step *s = mm_step_new(r->ctx, r->plan, r->ch, r->phase, MM_UNIT_TX,
	                                mm_sprintf(a, "collect the keys of the rows %s changes", mm_change_sql(r)));
	s->plpgsql = true;
	s->no_timeout = true;
	mm_step_up(r->ctx, s, "CREATE TABLE IF NOT EXISTS %s (job text PRIMARY KEY, last_key text[] NOT NULL, rows_done bigint NOT NULL, "
	                      "keys_seen bigint NOT NULL DEFAULT 0)", progress);
	mm_step_up(r->ctx, s, "IF EXISTS (SELECT FROM %s WHERE job = %s) OR pg_catalog.to_regclass(%s) IS NOT NULL THEN\n"
	                      "    RAISE NOTICE 'mkmig: %%: keys already collected', %s;\n    RETURN;\nEND IF",
	           progress, job, mm_sql_literal(a, work), job);
	mm_step_up(r->ctx, s, "CREATE TABLE %s AS %s", work, collect_sql(r, ref));
	mm_step_up(r->ctx, s,
	           "IF EXISTS (SELECT FROM %s GROUP BY %s HAVING count(*) > 1)\n"
	           "   OR EXISTS (SELECT FROM %s WHERE %s)\n"
	           "   OR EXISTS (SELECT FROM %s AS w JOIN %s AS x ON (%s) = (%s)) THEN\n"
	           "    RAISE NOTICE 'mkmig: %%: a new key meets an existing one (or another new one, or is NULL): run as one statement', %s;\n"
	           "    %s;\n"
	           "    INSERT INTO %s (job, last_key, rows_done) VALUES (%s, '{}', 0);\n"
	           "    DROP TABLE %s;\n"
	           "    RETURN;\n"
	           "END IF",
	           work, mm_buf_arena(&newk, a), work, mm_buf_arena(&nulls, a), work, on, mm_buf_arena(&oldk, a),
	           mm_buf_arena(&newk, a), job, r->ch->stmt->text, progress, job, work);
	mm_step_up(r->ctx, s, "ALTER TABLE %s ADD PRIMARY KEY (%s)", work, mm_buf_arena(&keys, a));
	mm_buf_release(&oldk);
	mm_buf_release(&newk);
	mm_buf_release(&nulls);
	mm_buf_release(&keys);
	mm_step_locks_of(r, s, r->ch->node);
	mm_step_why(r->ctx, s,
	            "the SET changes the primary key, so batches cannot walk the table itself (a moved row would be "
	            "visited again or skipped): the keys of the rows the WHERE selects now are kept in %s, committed, and "
	            "the batches walk it. PostgreSQL checks the key row by row, so if a new key meets an existing key, "
	            "another new key or is NULL, the result could depend on the order of the rows: then the statement "
	            "runs here whole, as written",
	            work);
	s->down_warning = mm_sprintf(a, "the previous values of the updated rows cannot be restored by the down script: %s",
	                             mm_change_sql(r));
	return work;
}

void mm_rule_key_update_drop(struct mm_rule_ctx *r, const char *work)
{
	struct mm_step *s = mm_step_new(r->ctx, r->plan, r->ch, r->phase, MM_UNIT_TX,
	                                mm_sprintf(&r->ctx->arena, "drop the work table %s", work));
	mm_step_up(r->ctx, s, "DROP TABLE IF EXISTS %s", work);
	mm_step_lock(r->ctx, s, work, MM_LOCK_ACCESS_EXCLUSIVE, MM_WORK_CATALOG);
	mm_step_why(r->ctx, s, "the batches are done; only mkmig used it");
}
