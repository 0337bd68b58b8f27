/*
 * constraint.c — ADD CONSTRAINT without long locks.
 *
 * FOREIGN KEY and CHECK validate every existing row while holding their lock (SHARE ROW
 * EXCLUSIVE on both tables for a foreign key: writes stop; ACCESS EXCLUSIVE for a CHECK: all
 * traffic stops). Added NOT VALID they are instant, and VALIDATE CONSTRAINT then scans under
 * SHARE UPDATE EXCLUSIVE, which lets reads and writes go on (docs: sql-altertable.html, "ADD
 * table_constraint [ NOT VALID ]" and "VALIDATE CONSTRAINT").
 *
 * UNIQUE and PRIMARY KEY build their index under ACCESS EXCLUSIVE. The index is built first with
 * CREATE UNIQUE INDEX CONCURRENTLY and then adopted, instantly, with ADD CONSTRAINT ... USING
 * INDEX (which renames it to the constraint's name). A primary key on nullable columns would
 * scan for NULLs under ACCESS EXCLUSIVE, so those columns go through the NOT NULL rule first.
 */
#include "common.h"

#include <string.h>

/* ChooseConstraintName for an unnamed FOREIGN KEY or CHECK (tablecmds.c / heap.c). */
static const char *constraint_name(struct mm_rule_ctx *r, const PgQuery__Constraint *c)
{
	struct mm_arena *a = &r->ctx->arena;
	if (c->conname && c->conname[0])
		return c->conname;
	struct mm_vec cols = { 0 };
	const char *label;
	if (c->contype == PG_QUERY__CONSTR_TYPE__CONSTR_FOREIGN) {
		for (size_t i = 0; i < c->n_fk_attrs; i++)
			mm_vec_push(a, &cols, c->fk_attrs[i]->string->sval);
		label = "fkey";
	} else {
		/* A CHECK on exactly one column is named after it; otherwise after the table alone. */
		mm_sql_column_refs(a, c->raw_expr, &cols);
		if (cols.len != 1)
			cols.len = 0;
		label = "check";
	}
	return mm_choose_name(r, r->schema, r->name, cols.len ? mm_name_addition(a, &cols) : NULL, label, NULL,
	                      MM_NAME_CONSTRAINT);
}

static const char *referenced_table(struct mm_rule_ctx *r, const PgQuery__Constraint *c)
{
	const PgQuery__RangeVar *pk = c->pktable;
	const char *schema = pk->schemaname && pk->schemaname[0] ? pk->schemaname : NULL;
	const struct mm_table *t = mm_model_find_table(r->model, schema, pk->relname);
	if (t)
		schema = t->schema;
	return mm_sql_qname(&r->ctx->arena, schema, pk->relname);
}

static int not_valid_then_validate(struct mm_rule_ctx *r, PgQuery__AlterTableCmd *cmd,
                                   const PgQuery__Constraint *orig)
{
	bool fk = orig->contype == PG_QUERY__CONSTR_TYPE__CONSTR_FOREIGN;
	PgQuery__Constraint c = *orig;
	c.conname = (char *)constraint_name(r, orig);
	c.skip_validation = true;
	c.initially_valid = false;
	PgQuery__Node cn = PG_QUERY__NODE__INIT;
	cn.node_case = PG_QUERY__NODE__NODE_CONSTRAINT;
	cn.constraint = &c;
	PgQuery__AlterTableCmd ac = *cmd;
	ac.def = &cn;
	const char *why = fk ? "a foreign key validated at once scans both tables under SHARE ROW EXCLUSIVE, "
	                       "blocking writes to both; NOT VALID makes adding it instant (new rows are "
	                       "checked from then on)"
	                     : "a CHECK validated at once scans the table under ACCESS EXCLUSIVE, blocking "
	                       "reads and writes; NOT VALID makes adding it instant (new rows are checked "
	                       "from then on)";
	mm_rule_constraint_not_valid_validate(r, c.conname, mm_rule_alter_sql(r, &ac),
	                                      fk ? MM_LOCK_SHARE_ROW_EXCLUSIVE : MM_LOCK_ACCESS_EXCLUSIVE,
	                                      fk ? referenced_table(r, orig) : NULL, why);
	return 0;
}

/* UNIQUE / PRIMARY KEY: concurrent unique index, then ADD CONSTRAINT ... USING INDEX. */
static int unique_via_index(struct mm_rule_ctx *r, PgQuery__AlterTableCmd *cmd, const PgQuery__Constraint *orig)
{
	struct mm_arena *a = &r->ctx->arena;
	bool primary = orig->contype == PG_QUERY__CONSTR_TYPE__CONSTR_PRIMARY;
	/* The index that PostgreSQL would build for the constraint, as an IndexStmt, so that naming
	 * and deparsing are shared with CREATE INDEX. */
	PgQuery__IndexStmt ix = PG_QUERY__INDEX_STMT__INIT;
	ix.relation = mm_rule_relation(r);
	ix.access_method = (char *)"btree";
	ix.unique = true;
	ix.primary = primary;
	ix.isconstraint = true;
	ix.nulls_not_distinct = orig->nulls_not_distinct;
	ix.table_space = orig->indexspace;
	ix.n_options = orig->n_options;
	ix.options = orig->options;
	ix.n_index_params = orig->n_keys;
	ix.index_params = mm_alloc(a, (orig->n_keys + 1) * sizeof(PgQuery__Node *));
	for (size_t i = 0; i < orig->n_keys; i++) {
		PgQuery__IndexElem *el = mm_alloc(a, sizeof(*el));
		pg_query__index_elem__init(el);
		el->name = orig->keys[i]->string->sval;
		el->ordering = PG_QUERY__SORT_BY_DIR__SORTBY_DEFAULT;
		el->nulls_ordering = PG_QUERY__SORT_BY_NULLS__SORTBY_NULLS_DEFAULT;
		PgQuery__Node *n = mm_alloc(a, sizeof(*n));
		pg_query__node__init(n);
		n->node_case = PG_QUERY__NODE__NODE_INDEX_ELEM;
		n->index_elem = el;
		ix.index_params[i] = n;
	}
	ix.n_index_including_params = orig->n_including;
	ix.index_including_params = mm_alloc(a, (orig->n_including + 1) * sizeof(PgQuery__Node *));
	for (size_t i = 0; i < orig->n_including; i++) {
		PgQuery__IndexElem *el = mm_alloc(a, sizeof(*el));
		pg_query__index_elem__init(el);
		el->name = orig->including[i]->string->sval;
		el->ordering = PG_QUERY__SORT_BY_DIR__SORTBY_DEFAULT;
		el->nulls_ordering = PG_QUERY__SORT_BY_NULLS__SORTBY_NULLS_DEFAULT;
		PgQuery__Node *n = mm_alloc(a, sizeof(*n));
		pg_query__node__init(n);
		n->node_case = PG_QUERY__NODE__NODE_INDEX_ELEM;
		n->index_elem = el;
		ix.index_including_params[i] = n;
	}
	const char *name = orig->conname && orig->conname[0] ? orig->conname
	                                                     : mm_choose_index_name(r, r->schema, r->name, &ix, NULL);
	ix.idxname = (char *)name;
	ix.primary = false; /* CREATE UNIQUE INDEX; the constraint makes it primary */
	ix.isconstraint = false;
	ix.concurrent = true;
	ix.if_not_exists = true;
	const char *qindex = mm_sql_qname(a, r->schema, name);

	if (primary && orig->n_including == 0)
		for (size_t i = 0; i < orig->n_keys; i++) {
			const char *col = orig->keys[i]->string->sval;
			const struct mm_column *c = r->table ? mm_table_find_column(r->table, col) : NULL;
			if (!c || !c->not_null)
				mm_rule_not_null(r, col, true);
		}

	struct mm_step *cl = mm_step_new(r->ctx, r->plan, r->ch, r->phase, MM_UNIT_TX,
	                                 mm_sprintf(a, "drop an INVALID leftover of index %s, if any", qindex));
	cl->plpgsql = true;
	mm_step_up(r->ctx, cl, "%s",
	           mm_rule_guard(r,
	                         mm_sprintf(a, "EXISTS (SELECT FROM pg_catalog.pg_index WHERE indexrelid = pg_catalog.to_regclass(%s) AND NOT indisvalid)",
	                                    mm_sql_literal(a, qindex)),
	                         mm_sprintf(a, "DROP INDEX %s", qindex)));
	mm_step_lock(r->ctx, cl, r->qtable, MM_LOCK_ACCESS_EXCLUSIVE, MM_WORK_CATALOG);
	mm_step_why(r->ctx, cl, "a failed concurrent build leaves an INVALID index (still enforcing uniqueness on "
	                        "new rows) that must go before the build is tried again");

	PgQuery__Node n = PG_QUERY__NODE__INIT;
	n.node_case = PG_QUERY__NODE__NODE_INDEX_STMT;
	n.index_stmt = &ix;
	struct mm_step *b = mm_step_new(r->ctx, r->plan, r->ch, r->phase, MM_UNIT_NONTX,
	                                mm_sprintf(a, "build unique index %s concurrently", qindex));
	mm_step_up(r->ctx, b, "%s", mm_sql_deparse(r->ctx, &n));
	mm_step_down(r->ctx, b, "DROP INDEX CONCURRENTLY IF EXISTS %s", qindex);
	mm_step_lock(r->ctx, b, r->qtable, MM_LOCK_SHARE_UPDATE_EXCLUSIVE, MM_WORK_BUILD);
	b->no_timeout = true;
	mm_step_why(r->ctx, b, "ADD %s builds its index under ACCESS EXCLUSIVE; building it CONCURRENTLY first "
	                       "lets reads and writes continue",
	            primary ? "PRIMARY KEY" : "UNIQUE");

	PgQuery__Constraint c = PG_QUERY__CONSTRAINT__INIT;
	c.contype = orig->contype;
	c.conname = (char *)name;
	c.indexname = (char *)name;
	c.deferrable = orig->deferrable;
	c.initdeferred = orig->initdeferred;
	c.location = -1;
	PgQuery__Node cn = PG_QUERY__NODE__INIT;
	cn.node_case = PG_QUERY__NODE__NODE_CONSTRAINT;
	cn.constraint = &c;
	PgQuery__AlterTableCmd ac = *cmd;
	ac.def = &cn;
	struct mm_step *u = mm_step_new(r->ctx, r->plan, r->ch, r->phase, MM_UNIT_TX,
	                                mm_sprintf(a, "add constraint %s using the index", mm_sql_ident(a, name)));
	u->plpgsql = true;
	mm_step_up(r->ctx, u, "%s",
	           mm_rule_guard(r, mm_sprintf(a, "NOT %s", mm_rule_constraint_exists(r, name)), mm_rule_alter_sql(r, &ac)));
	mm_step_down(r->ctx, u, "ALTER TABLE %s DROP CONSTRAINT IF EXISTS %s", r->qtable, mm_sql_ident(a, name));
	mm_step_lock(r->ctx, u, r->qtable, MM_LOCK_ACCESS_EXCLUSIVE, MM_WORK_CATALOG);
	mm_step_why(r->ctx, u, "USING INDEX adopts the valid index without a build%s",
	            primary && r->ctx->opt.pg_version >= 12 ? "; the columns are already NOT NULL, so no scan" : "");
	return 0;
}

int mm_rule_add_constraint(struct mm_rule_ctx *r)
{
	PgQuery__AlterTableCmd *cmd = r->ch->node->alter_table_cmd;
	const PgQuery__Constraint *c = cmd->def->constraint;
	if (r->table_is_new)
		return mm_rule_passthrough(r, "the table was created earlier in this input, so no other "
		                              "session can be using it");
	if (!r->table && r->model->known)
		return 0; /* mm_model_apply reports the unknown table */
	bool partitioned = r->table && r->table->kind == MM_REL_PARTITIONED;
	PgQuery__ConstrType t = c->contype;
	if (t == PG_QUERY__CONSTR_TYPE__CONSTR_FOREIGN && !c->skip_validation && partitioned &&
	    r->ctx->opt.pg_version < 18) {
		mm_rule_passthrough(r, NULL);
		struct mm_step *s = mm_vec_at(&r->plan->steps, r->plan->steps.len - 1);
		s->warning = "a foreign key on a partitioned table cannot be added NOT VALID before "
		             "PostgreSQL 18: it is validated at once, blocking writes while it scans";
		return 0;
	}
	if (t == PG_QUERY__CONSTR_TYPE__CONSTR_FOREIGN || t == PG_QUERY__CONSTR_TYPE__CONSTR_CHECK) {
		if (c->skip_validation)
			return mm_rule_passthrough(r, "already NOT VALID: adding it is instant");
		return not_valid_then_validate(r, cmd, c);
	}
	if (t == PG_QUERY__CONSTR_TYPE__CONSTR_PRIMARY || t == PG_QUERY__CONSTR_TYPE__CONSTR_UNIQUE) {
		if (c->indexname && c->indexname[0])
			return mm_rule_passthrough(r, "USING INDEX adopts an existing index: catalog only");
		if (partitioned) {
			mm_rule_passthrough(r, NULL);
			struct mm_step *s = mm_vec_at(&r->plan->steps, r->plan->steps.len - 1);
			s->warning = "UNIQUE / PRIMARY KEY on a partitioned table cannot use a concurrently built "
			             "index (ADD CONSTRAINT ... USING INDEX is not supported there): the index is "
			             "built while writes are blocked";
			return 0;
		}
		return unique_via_index(r, cmd, c);
	}
	mm_rule_passthrough(r, NULL);
	struct mm_step *s = mm_vec_at(&r->plan->steps, r->plan->steps.len - 1);
	s->warning = "an EXCLUDE constraint builds its index under ACCESS EXCLUSIVE and has no concurrent form";
	return 0;
}

int mm_rule_set_not_null(struct mm_rule_ctx *r)
{
	const PgQuery__AlterTableCmd *cmd = r->ch->node->alter_table_cmd;
	if (r->table_is_new)
		return mm_rule_passthrough(r, "the table was created earlier in this input");
	if (!r->table && r->model->known)
		return 0;
	const struct mm_column *col = r->table ? mm_table_find_column(r->table, cmd->name) : NULL;
	if (col && col->not_null)
		return mm_rule_passthrough(r, "the column is already NOT NULL: nothing to scan");
	mm_rule_not_null(r, cmd->name, true);
	return 0;
}
