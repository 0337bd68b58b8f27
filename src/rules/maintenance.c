/*
 * maintenance.c — REINDEX, REFRESH MATERIALIZED VIEW, and the statements mkmig refuses to make
 * safe (VACUUM FULL, CLUSTER, LOCK TABLE, TRUNCATE).
 *
 * REINDEX INDEX / TABLE hold SHARE on the table (writes blocked) and ACCESS EXCLUSIVE on each
 * index (every query that plans with it waits) for the whole rebuild. From PostgreSQL 12 REINDEX
 * ... CONCURRENTLY builds a new index beside the old one under SHARE UPDATE EXCLUSIVE, swaps and
 * drops the old one; it cannot run in a transaction block, and an interrupted run leaves an
 * INVALID <name>_ccnew (or a <name>_ccold) that must be dropped before trying again (docs:
 * sql-reindex.html, "Rebuilding Indexes Concurrently"; pg-facts §5).
 *
 * REFRESH MATERIALIZED VIEW holds ACCESS EXCLUSIVE on the view (reads blocked) while it
 * recomputes; CONCURRENTLY takes EXCLUSIVE (reads continue) and needs a unique index on plain
 * columns with no WHERE, and a populated view (docs: sql-refreshmaterializedview.html).
 *
 * Refused (kept as written, with the reason and the alternative on stderr and in the plan):
 * what has no online form in plain SQL.
 */
#include "common.h"

#include <string.h>

static const char *drop_cc_leftovers(struct mm_rule_ctx *r, const char *index_cond)
{
	struct mm_arena *a = &r->ctx->arena;
	const char *pick = mm_sprintf(a,
	                              "FROM pg_catalog.pg_index i JOIN pg_catalog.pg_class c ON c.oid = i.indexrelid "
	                              "WHERE %s AND NOT i.indisvalid AND c.relname ~ '_cc(new|old)[0-9]*$'",
	                              index_cond);
	return mm_sprintf(a,
	                  "IF EXISTS (SELECT %s) THEN\n"
	                  "    RAISE NOTICE 'mkmig: dropping INVALID indexes left by an interrupted REINDEX CONCURRENTLY';\n"
	                  "    EXECUTE (SELECT 'DROP INDEX ' || string_agg(i.indexrelid::regclass::text, ', ') %s);\n"
	                  "END IF",
	                  pick, pick);
}

int mm_rule_reindex(struct mm_rule_ctx *r)
{
	struct mm_arena *a = &r->ctx->arena;
	const PgQuery__ReindexStmt *ri = r->ch->node->reindex_stmt;
	bool concurrent = false;
	for (size_t i = 0; i < ri->n_params; i++)
		if (strcmp(ri->params[i]->def_elem->defname, "concurrently") == 0)
			concurrent = true;
		else
			return mm_rule_passthrough(r, "REINDEX options other than CONCURRENTLY: kept as written");
	bool is_index = ri->kind == PG_QUERY__REINDEX_OBJECT_TYPE__REINDEX_OBJECT_INDEX;
	bool is_table = ri->kind == PG_QUERY__REINDEX_OBJECT_TYPE__REINDEX_OBJECT_TABLE;
	if (!is_index && !is_table)
		return mm_rule_passthrough(r, "REINDEX SCHEMA / DATABASE / SYSTEM: kept as written (run REINDEX TABLE "
		                              "CONCURRENTLY per table instead)");
	if (r->ctx->opt.pg_version < 12) {
		int rc = mm_rule_passthrough(r, NULL);
		struct mm_step *s = mm_vec_at(&r->plan->steps, r->plan->steps.len - 1);
		s->warning = mm_sprintf(a, "PostgreSQL %d has no REINDEX CONCURRENTLY (12+): the rebuild blocks writes, and "
		                           "queries using the index, until it ends; CREATE INDEX CONCURRENTLY a copy and drop "
		                           "the old index instead",
		                        r->ctx->opt.pg_version);
		return rc;
	}
	const PgQuery__RangeVar *rv = ri->relation;
	const char *schema = rv->schemaname && rv->schemaname[0] ? rv->schemaname : NULL;
	const struct mm_index *ix = is_index ? mm_model_find_index(r->model, schema, rv->relname) : NULL;
	const struct mm_table *t = is_index ? (ix ? mm_model_find_table(r->model, ix->schema, ix->table) : NULL)
	                                    : mm_model_find_table(r->model, schema, rv->relname);
	if (t && t->kind == MM_REL_PARTITIONED && r->ctx->opt.pg_version < 14)
		return mm_rule_passthrough(r, "a partitioned table's indexes can be rebuilt only partition by partition before "
		                              "PostgreSQL 14");
	const char *qname = mm_sql_qname(a, is_index ? (ix ? ix->schema : schema) : (t ? t->schema : schema), rv->relname);
	const char *qtable = t ? mm_sql_qname(a, t->schema, t->name) : is_index ? "the index's table" : qname;
	const char *lit = mm_sql_literal(a, qname);
	struct mm_step *c = mm_step_new(r->ctx, r->plan, r->ch, r->phase, MM_UNIT_TX,
	                                mm_sprintf(a, "drop INVALID leftovers of an interrupted REINDEX CONCURRENTLY of %s", qname));
	c->plpgsql = true;
	mm_step_up(r->ctx, c, "%s",
	           drop_cc_leftovers(r, is_index ? mm_sprintf(a, "i.indrelid = (SELECT indrelid FROM pg_catalog.pg_index WHERE "
	                                                         "indexrelid = pg_catalog.to_regclass(%s)) AND pg_catalog.starts_with(c.relname, %s)",
	                                                      lit, mm_sql_literal(a, rv->relname))
	                                         : mm_sprintf(a, "i.indrelid = pg_catalog.to_regclass(%s)", lit)));
	mm_step_lock(r->ctx, c, qtable, MM_LOCK_ACCESS_EXCLUSIVE, MM_WORK_CATALOG);
	mm_step_why(r->ctx, c, "an interrupted REINDEX CONCURRENTLY leaves an INVALID <name>_ccnew or <name>_ccold index "
	                       "that slows every write and makes the next attempt build a second copy; the drop takes its "
	                       "lock only when such an index exists");
	struct mm_step *s = mm_step_new(r->ctx, r->plan, r->ch, r->phase, MM_UNIT_NONTX,
	                                mm_sprintf(a, "rebuild %s%s concurrently", is_index ? "index " : "the indexes of ", qname));
	mm_step_up(r->ctx, s, "REINDEX %s CONCURRENTLY %s", is_index ? "INDEX" : "TABLE", qname);
	mm_step_lock(r->ctx, s, qtable, MM_LOCK_SHARE_UPDATE_EXCLUSIVE, MM_WORK_BUILD);
	s->no_timeout = true;
	mm_step_why(r->ctx, s, concurrent ? "already CONCURRENTLY: in its own non-transactional unit"
	                                  : "REINDEX holds SHARE on the table (writes wait) and ACCESS EXCLUSIVE on the index "
	                                    "(queries planning with it wait) for the whole rebuild; CONCURRENTLY (12+) lets "
	                                    "both continue, and cannot run inside a transaction block");
	return 0;
}

/* A unique index REFRESH ... CONCURRENTLY can use: plain columns, no WHERE. */
static bool has_refresh_key(const struct mm_table *mv)
{
	for (size_t i = 0; mv && i < mv->indexes.len; i++) {
		const struct mm_index *ix = mm_vec_at(&mv->indexes, i);
		if (ix->unique && !ix->partial && !ix->has_expressions && ix->valid)
			return true;
	}
	return false;
}

int mm_rule_refresh(struct mm_rule_ctx *r)
{
	struct mm_arena *a = &r->ctx->arena;
	const PgQuery__RefreshMatViewStmt *m = r->ch->node->refresh_mat_view_stmt;
	const PgQuery__RangeVar *rv = m->relation;
	const struct mm_table *mv = mm_model_find_table(r->model, rv->schemaname && rv->schemaname[0] ? rv->schemaname : NULL,
	                                                rv->relname);
	if (m->concurrent || m->skip_data || !has_refresh_key(mv)) {
		int rc = mm_rule_passthrough(r, m->concurrent ? "already CONCURRENTLY (reads continue)" : NULL);
		struct mm_step *s = mm_vec_at(&r->plan->steps, r->plan->steps.len - 1);
		s->no_timeout = true;
		if (!m->concurrent && !m->skip_data)
			s->warning = mm_sprintf(a, "REFRESH MATERIALIZED VIEW blocks reads of %s until it ends: %s; add a unique "
			                           "index on plain columns (no WHERE) so mkmig can use CONCURRENTLY",
			                        rv->relname, mv ? "it has no unique index CONCURRENTLY could use"
			                                        : "mkmig does not know its indexes (pass --schema, --dir or --db)");
		return rc;
	}
	const char *q = mm_sql_qname(a, mv->schema, mv->name);
	struct mm_step *s = mm_step_new(r->ctx, r->plan, r->ch, r->phase, MM_UNIT_TX,
	                                mm_sprintf(a, "refresh materialized view %s concurrently", q));
	s->plpgsql = true;
	/* CONCURRENTLY needs a populated view; the first refresh of an empty one is the plain form,
	 * which blocks nothing anyone could read yet. */
	mm_step_up(r->ctx, s,
	           "IF (SELECT relispopulated FROM pg_catalog.pg_class WHERE oid = pg_catalog.to_regclass(%s)) THEN\n"
	           "    REFRESH MATERIALIZED VIEW CONCURRENTLY %s;\nELSE\n    REFRESH MATERIALIZED VIEW %s;\nEND IF",
	           mm_sql_literal(a, q), q, q);
	mm_step_lock(r->ctx, s, q, MM_LOCK_EXCLUSIVE, MM_WORK_REWRITE);
	mm_step_lock(r->ctx, s, "the tables the view reads", MM_LOCK_ACCESS_SHARE, MM_WORK_SCAN);
	s->no_timeout = true;
	mm_step_why(r->ctx, s, "REFRESH holds ACCESS EXCLUSIVE on the view (reads wait) while it recomputes; CONCURRENTLY "
	                       "takes EXCLUSIVE (reads continue) and applies the difference, using the view's unique index");
	return 0;
}

/* Statements with no online form in plain SQL: kept, with the reason and what to do instead. */
int mm_rule_refuse(struct mm_rule_ctx *r)
{
	struct mm_arena *a = &r->ctx->arena;
	const PgQuery__Node *n = r->ch->node;
	const char *why;
	if (n->node_case == PG_QUERY__NODE__NODE_VACUUM_STMT || n->node_case == PG_QUERY__NODE__NODE_CLUSTER_STMT)
		why = "it rewrites the table under ACCESS EXCLUSIVE (reads and writes wait for the whole rewrite); use "
		      "pg_repack (or REPACK ... CONCURRENTLY, PostgreSQL 19+), or plain VACUUM, which blocks nothing";
	else if (n->node_case == PG_QUERY__NODE__NODE_LOCK_STMT)
		why = "each step of this script is its own transaction, so the lock protects nothing after this statement "
		      "and only queues traffic behind it; remove it (mkmig's steps take the locks they need)";
	else
		why = "TRUNCATE takes ACCESS EXCLUSIVE and empties the table at once; on a table with traffic, DELETE in "
		      "batches (mkmig runs a DELETE in committed batches) or build a new table and swap";
	if (n->node_case == PG_QUERY__NODE__NODE_VACUUM_STMT) {
		/* VACUUM cannot run in a transaction block or a DO block: its own unit. */
		struct mm_step *s = mm_step_new(r->ctx, r->plan, r->ch, r->phase, MM_UNIT_NONTX, mm_change_sql(r));
		mm_step_up(r->ctx, s, "SET lock_timeout = '%dms'", r->ctx->opt.lock_timeout_ms);
		mm_step_up(r->ctx, s, "%s", r->ch->stmt->text);
		mm_step_locks_of(r, s, n);
		s->no_timeout = true;
		mm_step_why(r->ctx, s, "kept as written: %s", why);
		s->warning = mm_sprintf(a, "not made safe: %s", why);
		return 0;
	}
	int rc = mm_rule_passthrough(r, mm_sprintf(a, "kept as written: %s", why));
	struct mm_step *s = mm_vec_at(&r->plan->steps, r->plan->steps.len - 1);
	s->warning = mm_sprintf(a, "not made safe: %s", why);
	return rc;
}
