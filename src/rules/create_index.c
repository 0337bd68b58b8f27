/*
 * create_index.c — CREATE [UNIQUE] INDEX without blocking writes.
 *
 * Plain CREATE INDEX holds SHARE on the table for the whole build: writes stop. The safe form is
 * CREATE INDEX CONCURRENTLY (SHARE UPDATE EXCLUSIVE: reads and writes continue), which cannot run
 * in a transaction block (docs: sql-createindex.html, "Building Indexes Concurrently"). A failed
 * concurrent build leaves an INVALID index that IF NOT EXISTS would then silently keep, so each
 * build is preceded by the removal of an INVALID leftover of the same name (found through
 * pg_index.indexrelid, never by joining pg_indexes on the bare name).
 *
 * lock_timeout and statement_timeout are 0 for the build: its waits for older transactions are
 * lock waits, and cancelling one leaves exactly the INVALID index we must avoid (pg-facts §5).
 *
 * Partitioned tables reject CONCURRENTLY (PostgreSQL 11-18): the index is created ON ONLY the
 * parent (invalid, catalog only), concurrently on each partition, and each partition's index is
 * attached; the parent's index becomes valid with the last attach (docs: ddl-partitioning.html,
 * 5.11.2.2 "Partition Maintenance").
 */
#include "common.h"

#include <string.h>

/* A copy of the statement with its own name, table and flags, deparsed. */
static const char *index_sql(struct mm_rule_ctx *r, const PgQuery__IndexStmt *orig, const char *name,
                             PgQuery__RangeVar *rel, bool concurrent, bool only, bool if_not_exists)
{
	PgQuery__IndexStmt ix = *orig;
	PgQuery__RangeVar rv = *rel;
	rv.inh = !only;
	ix.relation = &rv;
	ix.idxname = (char *)name;
	ix.concurrent = concurrent;
	ix.if_not_exists = if_not_exists;
	PgQuery__Node n = PG_QUERY__NODE__INIT;
	n.node_case = PG_QUERY__NODE__NODE_INDEX_STMT;
	n.index_stmt = &ix;
	return mm_sql_deparse(r->ctx, &n);
}

/* PL/pgSQL guard that drops an INVALID index of that name, if one exists. */
static void drop_invalid_leftover(struct mm_rule_ctx *r, const char *qindex, const char *qtable)
{
	struct mm_arena *a = &r->ctx->arena;
	struct mm_step *s = mm_step_new(r->ctx, r->plan, r->ch, r->phase, MM_UNIT_TX,
	                                mm_sprintf(a, "drop an INVALID leftover of index %s, if any", qindex));
	s->plpgsql = true;
	const char *lit = mm_sql_literal(a, qindex);
	mm_step_up(r->ctx, s,
	           "IF EXISTS (SELECT FROM pg_catalog.pg_index WHERE indexrelid = pg_catalog.to_regclass(%s) AND NOT indisvalid) THEN\n"
	           "    RAISE NOTICE 'mkmig: dropping INVALID index %% left by an interrupted CREATE INDEX CONCURRENTLY', %s;\n"
	           "    DROP INDEX %s;\n"
	           "END IF",
	           lit, lit, qindex);
	mm_step_lock(r->ctx, s, qtable, MM_LOCK_ACCESS_EXCLUSIVE, MM_WORK_CATALOG);
	mm_step_why(r->ctx, s,
	            "a failed CREATE INDEX CONCURRENTLY leaves an INVALID index that would make the build "
	            "below skip (IF NOT EXISTS) or fail; the drop takes its lock only when such an index exists");
}

/* CREATE INDEX CONCURRENTLY on one plain table, preceded by the leftover cleanup. */
void mm_rule_build_index_concurrently(struct mm_rule_ctx *r, const PgQuery__IndexStmt *ix, const char *schema,
                               const char *name, PgQuery__RangeVar *rel, const char *qtable)
{
	struct mm_arena *a = &r->ctx->arena;
	const char *qindex = mm_sql_qname(a, schema, name);
	drop_invalid_leftover(r, qindex, qtable);
	struct mm_step *s = mm_step_new(r->ctx, r->plan, r->ch, r->phase, MM_UNIT_NONTX,
	                                mm_sprintf(a, "build index %s concurrently", qindex));
	mm_step_up(r->ctx, s, "%s", index_sql(r, ix, name, rel, true, false, true));
	mm_step_down(r->ctx, s, "DROP INDEX CONCURRENTLY IF EXISTS %s", qindex);
	mm_step_lock(r->ctx, s, qtable, MM_LOCK_SHARE_UPDATE_EXCLUSIVE, MM_WORK_BUILD);
	s->no_timeout = true;
	mm_step_why(r->ctx, s,
	            "CREATE INDEX holds SHARE on %s for the whole build, which blocks every write; "
	            "CONCURRENTLY lets reads and writes continue (it scans twice and waits for older "
	            "transactions), and cannot run inside a transaction block",
	            qtable);
}

static PgQuery__RangeVar *range_var(struct mm_arena *a, const char *schema, const char *name)
{
	PgQuery__RangeVar *rv = mm_alloc(a, sizeof(*rv));
	pg_query__range_var__init(rv);
	rv->schemaname = (char *)(schema ? schema : "");
	rv->relname = (char *)name;
	rv->inh = true;
	rv->relpersistence = (char *)"p";
	rv->location = -1;
	return rv;
}

/* The partitioned recipe, recursing into sub-partitioned partitions. Returns the parent index's
 * qualified name. */
static const char *build_partitioned(struct mm_rule_ctx *r, const PgQuery__IndexStmt *ix,
                                     struct mm_table *t, const char *name, struct mm_vec *chosen)
{
	struct mm_arena *a = &r->ctx->arena;
	const char *qtable = mm_sql_qname(a, t->schema, t->name);
	const char *qindex = mm_sql_qname(a, t->schema, name);
	struct mm_step *s = mm_step_new(r->ctx, r->plan, r->ch, r->phase, MM_UNIT_TX,
	                                mm_sprintf(a, "create index %s on the partitioned table only", qindex));
	mm_step_up(r->ctx, s, "%s", index_sql(r, ix, name, range_var(a, t->schema, t->name), false, true, true));
	mm_step_down(r->ctx, s, "DROP INDEX IF EXISTS %s", qindex);
	mm_step_lock(r->ctx, s, qtable, MM_LOCK_SHARE, MM_WORK_CATALOG);
	mm_step_why(r->ctx, s,
	            "CONCURRENTLY is not supported on a partitioned table; ON ONLY creates the parent's "
	            "index without building anything (it stays invalid until every partition's index is attached)");
	for (size_t i = 0; i < t->partitions.len; i++) {
		struct mm_table *p = mm_vec_at(&t->partitions, i);
		/* PostgreSQL names a partition's index as if it were created on the partition itself. */
		char *pname = mm_choose_index_name(r, p->schema, p->name, ix, chosen);
		mm_vec_push(a, chosen, pname);
		const char *qpindex;
		if (p->kind == MM_REL_PARTITIONED) {
			qpindex = build_partitioned(r, ix, p, pname, chosen);
		} else {
			mm_rule_build_index_concurrently(r, ix, p->schema, pname, range_var(a, p->schema, p->name),
			                   mm_sql_qname(a, p->schema, p->name));
			qpindex = mm_sql_qname(a, p->schema, pname);
			/* Once attached, the partition's index can only go with the parent's (whose down
			 * runs after this one); only a leftover that never got attached is dropped here. */
			struct mm_step *b = mm_vec_at(&r->plan->steps, r->plan->steps.len - 1);
			b->down = (struct mm_vec){ 0 };
			b->down_unit = MM_UNIT_TX;
			b->down_plpgsql = true;
			mm_step_down(r->ctx, b,
			             "IF pg_catalog.to_regclass(%s) IS NOT NULL AND NOT EXISTS (SELECT FROM pg_catalog.pg_inherits WHERE inhrelid = pg_catalog.to_regclass(%s)) THEN\n"
			             "    DROP INDEX %s;\n"
			             "END IF",
			             mm_sql_literal(a, qpindex), mm_sql_literal(a, qpindex), qpindex);
		}
		struct mm_step *at = mm_step_new(r->ctx, r->plan, r->ch, r->phase, MM_UNIT_TX,
		                                 mm_sprintf(a, "attach %s to %s", qpindex, qindex));
		at->plpgsql = true;
		/* Re-running after an interruption must not fail on an index already attached. */
		mm_step_up(r->ctx, at,
		           "IF NOT EXISTS (SELECT FROM pg_catalog.pg_inherits WHERE inhrelid = pg_catalog.to_regclass(%s) AND inhparent = pg_catalog.to_regclass(%s)) THEN\n"
		           "    ALTER INDEX %s ATTACH PARTITION %s;\n"
		           "END IF",
		           mm_sql_literal(a, qpindex), mm_sql_literal(a, qindex), qindex, qpindex);
		/* As pg_locks shows (tests/pg/fixtures/locks): the parent index SHARE UPDATE EXCLUSIVE
		 * (ACCESS EXCLUSIVE before 12), the partition's index ACCESS EXCLUSIVE, which queries
		 * planning on the partition wait for; both tables ACCESS SHARE. */
		mm_step_lock(r->ctx, at, mm_sprintf(a, "index %s", qindex),
		             r->ctx->opt.pg_version >= 12 ? MM_LOCK_SHARE_UPDATE_EXCLUSIVE : MM_LOCK_ACCESS_EXCLUSIVE,
		             MM_WORK_CATALOG);
		mm_step_lock(r->ctx, at, mm_sprintf(a, "index %s", qpindex), MM_LOCK_ACCESS_EXCLUSIVE, MM_WORK_CATALOG);
		mm_step_lock(r->ctx, at, qtable, MM_LOCK_ACCESS_SHARE, MM_WORK_CATALOG);
		mm_step_lock(r->ctx, at, mm_sql_qname(a, p->schema, p->name), MM_LOCK_ACCESS_SHARE, MM_WORK_CATALOG);
		mm_step_why(r->ctx, at,
		            "attaching takes SHARE UPDATE EXCLUSIVE on the parent index and ACCESS EXCLUSIVE "
		            "on the partition's index only, not on the tables' data: a catalog update");
	}
	return qindex;
}

int mm_rule_create_index(struct mm_rule_ctx *r)
{
	PgQuery__IndexStmt *ix = r->ch->node->index_stmt;
	if (r->table_is_new)
		return mm_rule_passthrough(r, "the table was created earlier in this input, so no other "
		                              "session can be using it: a plain CREATE INDEX is right");
	struct mm_vec chosen = { 0 };
	const char *name = ix->idxname && ix->idxname[0] ? ix->idxname
	                                                 : mm_choose_index_name(r, r->schema, r->name, ix, NULL);
	mm_vec_push(&r->ctx->arena, &chosen, (void *)name);
	if (r->table && r->table->kind == MM_REL_PARTITIONED) {
		if (!ix->relation->inh) {
			/* CREATE INDEX ON ONLY: SHARE on the parent only, nothing built (the lock authority
			 * reads the statement alone and cannot tell a partitioned table from a plain one, where
			 * ONLY still builds). */
			int rc = mm_rule_passthrough(r, "ON ONLY a partitioned table builds nothing: a catalog update under SHARE "
			                                "on the parent only; the index stays invalid until every partition's "
			                                "index is attached (ALTER INDEX ... ATTACH PARTITION)");
			struct mm_step *s = mm_vec_at(&r->plan->steps, r->plan->steps.len - 1);
			for (size_t i = 0; i < s->locks.len; i++)
				((struct mm_lock_use *)mm_vec_at(&s->locks, i))->work = MM_WORK_CATALOG;
			return rc;
		}
		build_partitioned(r, ix, r->table, name, &chosen);
		return 0;
	}
	if (!r->table && r->model->known)
		return 0; /* mm_model_apply reports the unknown table */
	mm_rule_build_index_concurrently(r, ix, r->schema, name, ix->relation, r->qtable);
	return 0;
}
