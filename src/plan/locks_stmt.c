/*
 * locks_stmt.c — the lock authority for whole statements (the ALTER TABLE subcommands and the
 * lock names are in locks.c; the API in include/mkmig/locks.h).
 */
#include "plan_internal.h"
#include "mkmig/locks.h"

#include <string.h>

/* --- every statement kind --------------------------------------------------------------------
 * One row per statement node type libpg_query knows (tests/unit/test_locks.c fails on a missing
 * one). Facts: pg-facts.md §1b; docs explicit-locking.html, sql-reindex.html, sql-lock.html,
 * sql-vacuum.html, sql-cluster.html, sql-refreshmaterializedview.html. */

struct acc {
	struct mm_ctx *ctx;
	struct mm_stmt_locks *out;
	int pg_version;
	const PgQuery__RangeVar *target;  /* the written-to relation, skipped when collecting reads */
};

static void add(struct acc *a, const char *schema, const char *name, bool is_index, enum mm_lock mode,
                enum mm_work work, const char *note)
{
	struct mm_arena *ar = &a->ctx->arena;
	schema = schema && schema[0] ? schema : NULL;
	for (size_t i = 0; name && i < a->out->items.len; i++) {
		struct mm_stmt_lock *l = mm_vec_at(&a->out->items, i);
		if (l->name && strcmp(l->name, name) == 0 && mm_streq(l->schema, schema) && l->is_index == is_index) {
			if (mode > l->mode)
				l->mode = mode;
			if (mm_work_rank(work) > mm_work_rank(l->work))
				l->work = work;
			return;
		}
	}
	struct mm_stmt_lock *l = mm_alloc(ar, sizeof(*l));
	l->schema = schema;
	l->name = name;
	l->is_index = is_index;
	l->mode = mode;
	l->work = work;
	l->note = note;
	mm_vec_push(ar, &a->out->items, l);
	a->out->kind = MM_LOCKS_TABLES;
}

static void add_rv(struct acc *a, const PgQuery__RangeVar *rv, enum mm_lock mode, enum mm_work work)
{
	if (rv && rv->relname)
		add(a, rv->schemaname, rv->relname, false, mode, work, NULL);
}

/* A qualified name as a list of String nodes ([schema,] name [, member]); drop_tail drops the
 * last items (a trigger or policy name after its table). */
static void add_name_list(struct acc *a, const PgQuery__Node *n, size_t drop_tail, bool is_index, enum mm_lock mode,
                          enum mm_work work)
{
	if (!n || n->node_case != PG_QUERY__NODE__NODE_LIST)
		return;
	const PgQuery__List *l = n->list;
	if (l->n_items <= drop_tail)
		return;
	size_t len = l->n_items - drop_tail;
	const PgQuery__Node *last = l->items[len - 1];
	const PgQuery__Node *first = len >= 2 ? l->items[len - 2] : NULL;
	if (last->node_case != PG_QUERY__NODE__NODE_STRING)
		return;
	add(a, first && first->node_case == PG_QUERY__NODE__NODE_STRING ? first->string->sval : NULL,
	    last->string->sval, is_index, mode, work, NULL);
}

struct reads {
	struct acc *a;
	enum mm_lock mode;
	enum mm_work work;
	struct mm_vec ctes;  /* const char *: WITH names, which are not tables */
};

static bool collect_ctes(PgQuery__Node *n, void *arg)
{
	struct reads *r = arg;
	if (n->node_case == PG_QUERY__NODE__NODE_COMMON_TABLE_EXPR)
		mm_vec_push(&r->a->ctx->arena, &r->ctes, n->common_table_expr->ctename);
	return true;
}

static bool collect_reads(PgQuery__Node *n, void *arg)
{
	struct reads *r = arg;
	/* A REFERENCES clause names its table in a RangeVar field, not a node. */
	if (n->node_case == PG_QUERY__NODE__NODE_CONSTRAINT && n->constraint->contype == PG_QUERY__CONSTR_TYPE__CONSTR_FOREIGN)
		add_rv(r->a, n->constraint->pktable, r->mode, r->work);
	if (n->node_case != PG_QUERY__NODE__NODE_RANGE_VAR || n->range_var == r->a->target)
		return true;
	const PgQuery__RangeVar *rv = n->range_var;
	if (!rv->schemaname || !rv->schemaname[0])
		for (size_t i = 0; i < r->ctes.len; i++)
			if (strcmp(mm_vec_at(&r->ctes, i), rv->relname) == 0)
				return true;
	add_rv(r->a, rv, r->mode, r->work);
	return true;
}

/* Every other relation the statement reads (FROM, USING, subqueries, a query's sources). */
static void add_reads(struct acc *a, const PgQuery__Node *n, enum mm_lock mode, enum mm_work work)
{
	struct reads r = { .a = a, .mode = mode, .work = work };
	mm_sql_walk((PgQuery__Node *)n, collect_ctes, &r);
	mm_sql_walk((PgQuery__Node *)n, collect_reads, &r);
}

static bool has_option(PgQuery__Node **opts, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (opts[i]->node_case == PG_QUERY__NODE__NODE_DEF_ELEM && strcmp(opts[i]->def_elem->defname, name) == 0)
			return true;
	return false;
}

typedef void (*lock_fn)(struct acc *a, const PgQuery__Node *n);

static void l_alter_table(struct acc *a, const PgQuery__Node *n)
{
	const PgQuery__AlterTableStmt *at = n->alter_table_stmt;
	bool is_index = at->objtype == PG_QUERY__OBJECT_TYPE__OBJECT_INDEX;
	for (size_t i = 0; i < at->n_cmds; i++) {
		const PgQuery__AlterTableCmd *cmd = at->cmds[i]->alter_table_cmd;
		enum mm_lock mode;
		enum mm_work work;
		mm_locks_alter_cmd(cmd, a->pg_version, &mode, &work);
		const PgQuery__Node *def = cmd->def;
		if (is_index && cmd->subtype == PG_QUERY__ALTER_TABLE_TYPE__AT_AttachPartition && def &&
		    def->node_case == PG_QUERY__NODE__NODE_PARTITION_CMD) {
			/* ALTER INDEX ... ATTACH PARTITION: the parent index as ATTACH's table lock, the
			 * partition's index ACCESS EXCLUSIVE, both tables ACCESS SHARE; a catalog update (the
			 * indexes must already match), as pg_locks shows (tests/pg/fixtures/locks). */
			add(a, at->relation->schemaname, at->relation->relname, true, mode, MM_WORK_CATALOG, NULL);
			add(a, def->partition_cmd->name->schemaname, def->partition_cmd->name->relname, true,
			    MM_LOCK_ACCESS_EXCLUSIVE, MM_WORK_CATALOG, NULL);
			add(a, NULL, NULL, false, MM_LOCK_ACCESS_SHARE, MM_WORK_CATALOG, "the tables of both indexes");
			continue;
		}
		add(a, at->relation->schemaname, at->relation->relname, is_index, mode, work, NULL);
		if (def && def->node_case == PG_QUERY__NODE__NODE_PARTITION_CMD) {
			/* The partition: AEL when attached; detached: SUEL before 14, AEL from 14, and
			 * CONCURRENTLY ends under AEL on the partition (pg-facts §1a). */
			bool attach = cmd->subtype == PG_QUERY__ALTER_TABLE_TYPE__AT_AttachPartition;
			enum mm_lock pm = attach || a->pg_version >= 14 || def->partition_cmd->concurrent
			                      ? MM_LOCK_ACCESS_EXCLUSIVE : MM_LOCK_SHARE_UPDATE_EXCLUSIVE;
			add_rv(a, def->partition_cmd->name, pm, attach ? MM_WORK_SCAN : MM_WORK_CATALOG);
		}
		if (def && def->node_case == PG_QUERY__NODE__NODE_CONSTRAINT &&
		    def->constraint->contype == PG_QUERY__CONSTR_TYPE__CONSTR_FOREIGN)
			add_rv(a, def->constraint->pktable, MM_LOCK_SHARE_ROW_EXCLUSIVE,
			       def->constraint->skip_validation ? MM_WORK_CATALOG : MM_WORK_SCAN);
		if (def && def->node_case == PG_QUERY__NODE__NODE_COLUMN_DEF)
			for (size_t k = 0; k < def->column_def->n_constraints; k++) {
				const PgQuery__Constraint *c = def->column_def->constraints[k]->constraint;
				/* Validated (the column has a default, see mm_locks_alter_cmd): the referenced
				 * table is read too. */
				if (c->contype == PG_QUERY__CONSTR_TYPE__CONSTR_FOREIGN)
					add_rv(a, c->pktable, MM_LOCK_SHARE_ROW_EXCLUSIVE, work);
			}
	}
}

static void l_dml(struct acc *a, const PgQuery__RangeVar *target, const PgQuery__Node *n)
{
	a->target = target;
	add_rv(a, target, MM_LOCK_ROW_EXCLUSIVE, MM_WORK_SCAN);
	add_reads(a, n, MM_LOCK_ACCESS_SHARE, MM_WORK_SCAN);
}

static void l_insert(struct acc *a, const PgQuery__Node *n)
{
	a->target = n->insert_stmt->relation;
	add_rv(a, a->target, MM_LOCK_ROW_EXCLUSIVE, n->insert_stmt->select_stmt ? MM_WORK_SCAN : MM_WORK_CATALOG);
	add_reads(a, n, MM_LOCK_ACCESS_SHARE, MM_WORK_SCAN);
}
static void l_update(struct acc *a, const PgQuery__Node *n) { l_dml(a, n->update_stmt->relation, n); }
static void l_delete(struct acc *a, const PgQuery__Node *n) { l_dml(a, n->delete_stmt->relation, n); }
static void l_merge(struct acc *a, const PgQuery__Node *n) { l_dml(a, n->merge_stmt->relation, n); }

static void l_select(struct acc *a, const PgQuery__Node *n)
{
	/* FOR UPDATE / FOR SHARE take ROW SHARE (explicit-locking.html). */
	add_reads(a, n, n->select_stmt->n_locking_clause ? MM_LOCK_ROW_SHARE : MM_LOCK_ACCESS_SHARE, MM_WORK_SCAN);
}

/* EXPLAIN, PREPARE, DECLARE: parse analysis already takes the inner statement's locks; only
 * EXPLAIN ANALYZE does its work. */
static void inner(struct acc *a, const PgQuery__Node *q, bool runs)
{
	struct mm_stmt_locks sub = { 0 };
	mm_locks_of_stmt(a->ctx, q, a->pg_version, &sub);
	for (size_t i = 0; i < sub.items.len; i++) {
		const struct mm_stmt_lock *l = mm_vec_at(&sub.items, i);
		add(a, l->schema, l->name, l->is_index, l->mode, runs ? l->work : MM_WORK_CATALOG, l->note);
	}
	if (sub.kind != MM_LOCKS_TABLES && !a->out->items.len) {
		a->out->kind = sub.kind;
		a->out->why = sub.why;
	}
}
static void l_explain(struct acc *a, const PgQuery__Node *n)
{
	const PgQuery__ExplainStmt *e = n->explain_stmt;
	inner(a, e->query, has_option(e->options, e->n_options, "analyze"));
}
static void l_prepare(struct acc *a, const PgQuery__Node *n) { inner(a, n->prepare_stmt->query, false); }
static void l_declare(struct acc *a, const PgQuery__Node *n) { inner(a, n->declare_cursor_stmt->query, true); }

static void l_copy(struct acc *a, const PgQuery__Node *n)
{
	const PgQuery__CopyStmt *c = n->copy_stmt;
	if (c->query)
		add_reads(a, c->query, MM_LOCK_ACCESS_SHARE, MM_WORK_SCAN);
	add_rv(a, c->relation, c->is_from ? MM_LOCK_ROW_EXCLUSIVE : MM_LOCK_ACCESS_SHARE, MM_WORK_SCAN);
}

static void l_create(struct acc *a, const PgQuery__Node *n)
{
	const PgQuery__CreateStmt *c = n->create_stmt;
	/* PARTITION OF: parent AEL; INHERITS: parent SUEL; REFERENCES: referenced SREL (pg-facts §1b). */
	for (size_t i = 0; i < c->n_inh_relations; i++)
		if (c->inh_relations[i]->node_case == PG_QUERY__NODE__NODE_RANGE_VAR)
			add_rv(a, c->inh_relations[i]->range_var,
			       c->partbound ? MM_LOCK_ACCESS_EXCLUSIVE : MM_LOCK_SHARE_UPDATE_EXCLUSIVE, MM_WORK_CATALOG);
	a->target = c->relation;
	struct reads r = { .a = a, .mode = MM_LOCK_SHARE_ROW_EXCLUSIVE, .work = MM_WORK_CATALOG };
	for (size_t i = 0; i < c->n_table_elts; i++)
		mm_sql_walk(c->table_elts[i], collect_reads, &r);
	for (size_t i = 0; i < c->n_constraints; i++)
		mm_sql_walk(c->constraints[i], collect_reads, &r);
}

static void l_index(struct acc *a, const PgQuery__Node *n)
{
	const PgQuery__IndexStmt *ix = n->index_stmt;
	add_rv(a, ix->relation, ix->concurrent ? MM_LOCK_SHARE_UPDATE_EXCLUSIVE : MM_LOCK_SHARE, MM_WORK_BUILD);
}

static void l_reindex(struct acc *a, const PgQuery__Node *n)
{
	const PgQuery__ReindexStmt *ri = n->reindex_stmt;
	bool conc = has_option(ri->params, ri->n_params, "concurrently");
	enum mm_lock table = conc ? MM_LOCK_SHARE_UPDATE_EXCLUSIVE : MM_LOCK_SHARE;
	enum mm_lock index = conc ? MM_LOCK_SHARE_UPDATE_EXCLUSIVE : MM_LOCK_ACCESS_EXCLUSIVE;
	if (ri->kind == PG_QUERY__REINDEX_OBJECT_TYPE__REINDEX_OBJECT_INDEX) {
		add(a, NULL, NULL, false, table, MM_WORK_BUILD, "the index's table");
		add(a, ri->relation->schemaname, ri->relation->relname, true, index, MM_WORK_BUILD, NULL);
	} else if (ri->kind == PG_QUERY__REINDEX_OBJECT_TYPE__REINDEX_OBJECT_TABLE) {
		add_rv(a, ri->relation, table, MM_WORK_BUILD);
		add(a, NULL, NULL, true, index, MM_WORK_BUILD, "every index of the table");
	} else {
		add(a, NULL, NULL, false, table, MM_WORK_BUILD, "every table of the schema or database, one at a time");
	}
}

static void l_vacuum(struct acc *a, const PgQuery__Node *n)
{
	const PgQuery__VacuumStmt *v = n->vacuum_stmt;
	bool full = v->is_vacuumcmd && has_option(v->options, v->n_options, "full");
	enum mm_lock mode = full ? MM_LOCK_ACCESS_EXCLUSIVE : MM_LOCK_SHARE_UPDATE_EXCLUSIVE;
	enum mm_work work = full ? MM_WORK_REWRITE : MM_WORK_SCAN;
	for (size_t i = 0; i < v->n_rels; i++)
		if (v->rels[i]->node_case == PG_QUERY__NODE__NODE_VACUUM_RELATION)
			add_rv(a, v->rels[i]->vacuum_relation->relation, mode, work);
	if (!v->n_rels)
		add(a, NULL, NULL, false, mode, work, "every table of the database, one at a time");
}

static void l_cluster(struct acc *a, const PgQuery__Node *n)
{
	if (n->cluster_stmt->relation)
		add_rv(a, n->cluster_stmt->relation, MM_LOCK_ACCESS_EXCLUSIVE, MM_WORK_REWRITE);
	else
		add(a, NULL, NULL, false, MM_LOCK_ACCESS_EXCLUSIVE, MM_WORK_REWRITE, "every table clustered before");
}

static void l_refresh(struct acc *a, const PgQuery__Node *n)
{
	const PgQuery__RefreshMatViewStmt *m = n->refresh_mat_view_stmt;
	add_rv(a, m->relation, m->concurrent ? MM_LOCK_EXCLUSIVE : MM_LOCK_ACCESS_EXCLUSIVE, MM_WORK_REWRITE);
	add(a, NULL, NULL, false, MM_LOCK_ACCESS_SHARE, MM_WORK_SCAN, "the tables the view reads");
}

static void l_lock(struct acc *a, const PgQuery__Node *n)
{
	const PgQuery__LockStmt *l = n->lock_stmt;
	/* LOCK's mode numbers are PostgreSQL's LOCKMODE values, which enum mm_lock follows. */
	enum mm_lock mode = l->mode >= MM_LOCK_ACCESS_SHARE && l->mode < MM_LOCK__COUNT ? (enum mm_lock)l->mode
	                                                                               : MM_LOCK_ACCESS_EXCLUSIVE;
	for (size_t i = 0; i < l->n_relations; i++)
		if (l->relations[i]->node_case == PG_QUERY__NODE__NODE_RANGE_VAR)
			add_rv(a, l->relations[i]->range_var, mode, MM_WORK_CATALOG);
}

static void l_truncate(struct acc *a, const PgQuery__Node *n)
{
	const PgQuery__TruncateStmt *t = n->truncate_stmt;
	for (size_t i = 0; i < t->n_relations; i++)
		if (t->relations[i]->node_case == PG_QUERY__NODE__NODE_RANGE_VAR)
			add_rv(a, t->relations[i]->range_var, MM_LOCK_ACCESS_EXCLUSIVE, MM_WORK_CATALOG);
	if (t->behavior == PG_QUERY__DROP_BEHAVIOR__DROP_CASCADE)
		add(a, NULL, NULL, false, MM_LOCK_ACCESS_EXCLUSIVE, MM_WORK_CATALOG, "every table referencing them (CASCADE)");
}

/* Object types whose DROP, RENAME, COMMENT or SET SCHEMA locks a relation: the relation itself,
 * or (member) the table named before the last item. */
static const struct {
	PgQuery__ObjectType type;
	bool member, is_index;
} rel_objects[] = {
	{ PG_QUERY__OBJECT_TYPE__OBJECT_TABLE, false, false },
	{ PG_QUERY__OBJECT_TYPE__OBJECT_VIEW, false, false },
	{ PG_QUERY__OBJECT_TYPE__OBJECT_MATVIEW, false, false },
	{ PG_QUERY__OBJECT_TYPE__OBJECT_FOREIGN_TABLE, false, false },
	{ PG_QUERY__OBJECT_TYPE__OBJECT_SEQUENCE, false, false },
	{ PG_QUERY__OBJECT_TYPE__OBJECT_INDEX, false, true },
	{ PG_QUERY__OBJECT_TYPE__OBJECT_COLUMN, true, false },
	{ PG_QUERY__OBJECT_TYPE__OBJECT_TRIGGER, true, false },
	{ PG_QUERY__OBJECT_TYPE__OBJECT_POLICY, true, false },
	{ PG_QUERY__OBJECT_TYPE__OBJECT_RULE, true, false },
	{ PG_QUERY__OBJECT_TYPE__OBJECT_TABCONSTRAINT, true, false },
};

static int rel_object(PgQuery__ObjectType t)
{
	for (size_t i = 0; i < MM_ARRAY_LEN(rel_objects); i++)
		if (rel_objects[i].type == t)
			return (int)i;
	return -1;
}

static void l_drop(struct acc *a, const PgQuery__Node *n)
{
	const PgQuery__DropStmt *d = n->drop_stmt;
	int k = rel_object(d->remove_type);
	if (k < 0)
		return;
	enum mm_lock mode = d->concurrent ? MM_LOCK_SHARE_UPDATE_EXCLUSIVE : MM_LOCK_ACCESS_EXCLUSIVE;
	for (size_t i = 0; i < d->n_objects; i++)
		add_name_list(a, d->objects[i], rel_objects[k].member, rel_objects[k].is_index, mode, MM_WORK_CATALOG);
	if (rel_objects[k].is_index)
		add(a, NULL, NULL, false, mode, MM_WORK_CATALOG, "the index's table");
	if (d->remove_type == PG_QUERY__OBJECT_TYPE__OBJECT_TABLE)
		add(a, NULL, NULL, false, MM_LOCK_ACCESS_EXCLUSIVE, MM_WORK_CATALOG,
		    "the tables it references by foreign key (their RI triggers are dropped)");
}

static void l_rename(struct acc *a, const PgQuery__Node *n)
{
	const PgQuery__RenameStmt *rn = n->rename_stmt;
	/* ALTER INDEX ... RENAME takes SUEL on the index from 12, AEL before (pg-facts §1a). */
	if (rn->rename_type == PG_QUERY__OBJECT_TYPE__OBJECT_INDEX) {
		add(a, rn->relation->schemaname, rn->relation->relname, true,
		    a->pg_version >= 12 ? MM_LOCK_SHARE_UPDATE_EXCLUSIVE : MM_LOCK_ACCESS_EXCLUSIVE, MM_WORK_CATALOG, NULL);
		return;
	}
	if (rn->relation)
		add_rv(a, rn->relation, MM_LOCK_ACCESS_EXCLUSIVE, MM_WORK_CATALOG);
}

static void l_set_schema(struct acc *a, const PgQuery__Node *n)
{
	if (n->alter_object_schema_stmt->relation)
		add_rv(a, n->alter_object_schema_stmt->relation, MM_LOCK_ACCESS_EXCLUSIVE, MM_WORK_CATALOG);
}

static void l_comment(struct acc *a, const PgQuery__Node *n)
{
	int k = rel_object(n->comment_stmt->objtype);
	if (k >= 0)
		add_name_list(a, n->comment_stmt->object, rel_objects[k].member, rel_objects[k].is_index,
		              MM_LOCK_SHARE_UPDATE_EXCLUSIVE, MM_WORK_CATALOG);
}

static void l_seclabel(struct acc *a, const PgQuery__Node *n)
{
	int k = rel_object(n->sec_label_stmt->objtype);
	if (k >= 0)
		add_name_list(a, n->sec_label_stmt->object, rel_objects[k].member, rel_objects[k].is_index,
		              MM_LOCK_SHARE_UPDATE_EXCLUSIVE, MM_WORK_CATALOG);
}

static void l_trigger(struct acc *a, const PgQuery__Node *n)
{
	add_rv(a, n->create_trig_stmt->relation, MM_LOCK_SHARE_ROW_EXCLUSIVE, MM_WORK_CATALOG);
}
static void l_rule(struct acc *a, const PgQuery__Node *n)
{
	add_rv(a, n->rule_stmt->relation, MM_LOCK_ACCESS_EXCLUSIVE, MM_WORK_CATALOG);
}
static void l_policy(struct acc *a, const PgQuery__Node *n)
{
	add_rv(a, n->create_policy_stmt->table, MM_LOCK_ACCESS_EXCLUSIVE, MM_WORK_CATALOG);
}
static void l_alter_policy(struct acc *a, const PgQuery__Node *n)
{
	add_rv(a, n->alter_policy_stmt->table, MM_LOCK_ACCESS_EXCLUSIVE, MM_WORK_CATALOG);
}
static void l_stats(struct acc *a, const PgQuery__Node *n)
{
	const PgQuery__CreateStatsStmt *s = n->create_stats_stmt;
	for (size_t i = 0; i < s->n_relations; i++)
		if (s->relations[i]->node_case == PG_QUERY__NODE__NODE_RANGE_VAR)
			add_rv(a, s->relations[i]->range_var, MM_LOCK_SHARE_UPDATE_EXCLUSIVE, MM_WORK_CATALOG);
}
static void l_view(struct acc *a, const PgQuery__Node *n)
{
	const PgQuery__ViewStmt *v = n->view_stmt;
	if (v->replace)
		add_rv(a, v->view, MM_LOCK_ACCESS_EXCLUSIVE, MM_WORK_CATALOG);
	a->target = v->view;
	add_reads(a, v->query, MM_LOCK_ACCESS_SHARE, MM_WORK_CATALOG);
}
static void l_ctas(struct acc *a, const PgQuery__Node *n)
{
	const PgQuery__CreateTableAsStmt *c = n->create_table_as_stmt;
	add_reads(a, c->query, MM_LOCK_ACCESS_SHARE, c->into && c->into->skip_data ? MM_WORK_CATALOG : MM_WORK_SCAN);
}
static void l_alter_seq(struct acc *a, const PgQuery__Node *n)
{
	/* SHARE ROW EXCLUSIVE conflicts with the ROW EXCLUSIVE of nextval(): inserts wait. */
	add_rv(a, n->alter_seq_stmt->sequence, MM_LOCK_SHARE_ROW_EXCLUSIVE, MM_WORK_CATALOG);
}
static void l_domain(struct acc *a, const PgQuery__Node *n)
{
	const PgQuery__AlterDomainStmt *d = n->alter_domain_stmt;
	const char *st = d->subtype;
	/* ADD CONSTRAINT ... NOT VALID checks no existing value: no table is locked (pg_locks). */
	if (st && st[0] == 'C' && d->def && d->def->node_case == PG_QUERY__NODE__NODE_CONSTRAINT &&
	    d->def->constraint->skip_validation) {
		a->out->why = "ALTER DOMAIN ... ADD CONSTRAINT ... NOT VALID checks no existing column: no table lock";
		return;
	}
	/* ADD CONSTRAINT (C) and SET NOT NULL (O) check every column of the domain; VALIDATE (V) too. */
	if (st && (st[0] == 'C' || st[0] == 'O' || st[0] == 'V'))
		add(a, NULL, NULL, false, MM_LOCK_SHARE, MM_WORK_SCAN, "every table with a column of the domain");
}
static void l_publication(struct acc *a, const PgQuery__Node *n)
{
	(void)n;
	add(a, NULL, NULL, false, MM_LOCK_SHARE_UPDATE_EXCLUSIVE, MM_WORK_CATALOG, "the tables added to the publication");
}
static void l_grant(struct acc *a, const PgQuery__Node *n)
{
	/* No relation lock on 15 (pg-facts §1b); ACCESS SHARE on each table on 18, as pg_locks shows
	 * (tests/pg/locks_proof.sh); 16 and 17 are not measured and treated like 15. */
	const PgQuery__GrantStmt *g = n->grant_stmt;
	if (a->pg_version < 18 || g->objtype != PG_QUERY__OBJECT_TYPE__OBJECT_TABLE ||
	    g->targtype != PG_QUERY__GRANT_TARGET_TYPE__ACL_TARGET_OBJECT) {
		a->out->why = "GRANT/REVOKE update the catalog without a table lock (pg-facts §1b)";
		return;
	}
	for (size_t i = 0; i < g->n_objects; i++)
		if (g->objects[i]->node_case == PG_QUERY__NODE__NODE_RANGE_VAR)
			add_rv(a, g->objects[i]->range_var, MM_LOCK_ACCESS_SHARE, MM_WORK_CATALOG);
}

static void l_move_all(struct acc *a, const PgQuery__Node *n)
{
	(void)n;
	add(a, NULL, NULL, false, MM_LOCK_ACCESS_EXCLUSIVE, MM_WORK_REWRITE, "every table in the tablespace");
}

enum shape {
	NO_LOCK,      /* takes no table lock: why */
	UNKNOWN,      /* runs code mkmig does not read: why */
	NOT_TOP,      /* only ever nested inside another statement */
	FN,           /* fn says */
};

#define NONE_(node, why) { PG_QUERY__NODE__NODE_##node, NO_LOCK, NULL, why }
#define UNKN(node, why) { PG_QUERY__NODE__NODE_##node, UNKNOWN, NULL, why }
#define NEST(node) { PG_QUERY__NODE__NODE_##node, NOT_TOP, NULL, "not a top-level statement" }
#define FN_(node, fn) { PG_QUERY__NODE__NODE_##node, FN, fn, NULL }

static const char no_rel[] = "takes no lock on any table";
static const char new_obj[] = "creates a new object: no existing table is locked";
static const char global[] = "a database, role, tablespace or server object: no table lock";

static const struct {
	PgQuery__Node__NodeCase node;
	enum shape shape;
	lock_fn fn;
	const char *why;
} stmt_rows[] = {
	NEST(RAW_STMT), NEST(RETURN_STMT), NEST(PLASSIGN_STMT), NEST(SET_OPERATION_STMT), NEST(REPLICA_IDENTITY_STMT),
	FN_(INSERT_STMT, l_insert), FN_(DELETE_STMT, l_delete), FN_(UPDATE_STMT, l_update), FN_(MERGE_STMT, l_merge),
	FN_(SELECT_STMT, l_select), FN_(ALTER_TABLE_STMT, l_alter_table), FN_(ALTER_DOMAIN_STMT, l_domain),
	FN_(GRANT_STMT, l_grant),
	NONE_(GRANT_ROLE_STMT, global), NONE_(ALTER_DEFAULT_PRIVILEGES_STMT, no_rel), NONE_(CLOSE_PORTAL_STMT, no_rel),
	FN_(CLUSTER_STMT, l_cluster), FN_(COPY_STMT, l_copy), FN_(CREATE_STMT, l_create), NONE_(DEFINE_STMT, new_obj),
	FN_(DROP_STMT, l_drop), FN_(TRUNCATE_STMT, l_truncate), FN_(COMMENT_STMT, l_comment), NONE_(FETCH_STMT, no_rel),
	FN_(INDEX_STMT, l_index), NONE_(CREATE_FUNCTION_STMT, new_obj), NONE_(ALTER_FUNCTION_STMT, no_rel),
	UNKN(DO_STMT, "a DO block: its locks are those of the statements it runs, which mkmig does not analyse"),
	FN_(RENAME_STMT, l_rename), FN_(RULE_STMT, l_rule), NONE_(NOTIFY_STMT, no_rel), NONE_(LISTEN_STMT, no_rel),
	NONE_(UNLISTEN_STMT, no_rel), NONE_(TRANSACTION_STMT, no_rel), FN_(VIEW_STMT, l_view), NONE_(LOAD_STMT, no_rel),
	NONE_(CREATE_DOMAIN_STMT, new_obj), NONE_(CREATEDB_STMT, global), NONE_(DROPDB_STMT, global),
	FN_(VACUUM_STMT, l_vacuum), FN_(EXPLAIN_STMT, l_explain), FN_(CREATE_TABLE_AS_STMT, l_ctas),
	NONE_(CREATE_SEQ_STMT, new_obj), FN_(ALTER_SEQ_STMT, l_alter_seq), NONE_(VARIABLE_SET_STMT, no_rel),
	NONE_(VARIABLE_SHOW_STMT, no_rel), NONE_(DISCARD_STMT, no_rel), FN_(CREATE_TRIG_STMT, l_trigger),
	NONE_(CREATE_PLANG_STMT, new_obj), NONE_(CREATE_ROLE_STMT, global), NONE_(ALTER_ROLE_STMT, global),
	NONE_(DROP_ROLE_STMT, global), FN_(LOCK_STMT, l_lock), NONE_(CONSTRAINTS_SET_STMT, no_rel),
	FN_(REINDEX_STMT, l_reindex), NONE_(CHECK_POINT_STMT, no_rel), NONE_(CREATE_SCHEMA_STMT, new_obj),
	NONE_(ALTER_DATABASE_STMT, global), NONE_(ALTER_DATABASE_REFRESH_COLL_STMT, global),
	NONE_(ALTER_DATABASE_SET_STMT, global), NONE_(ALTER_ROLE_SET_STMT, global), NONE_(CREATE_CONVERSION_STMT, new_obj),
	NONE_(CREATE_CAST_STMT, new_obj), NONE_(CREATE_OP_CLASS_STMT, new_obj), NONE_(CREATE_OP_FAMILY_STMT, new_obj),
	NONE_(ALTER_OP_FAMILY_STMT, no_rel), FN_(PREPARE_STMT, l_prepare),
	UNKN(EXECUTE_STMT, "EXECUTE runs a prepared statement mkmig does not see"), NONE_(DEALLOCATE_STMT, no_rel),
	FN_(DECLARE_CURSOR_STMT, l_declare), NONE_(CREATE_TABLE_SPACE_STMT, global), NONE_(DROP_TABLE_SPACE_STMT, global),
	NONE_(ALTER_OBJECT_DEPENDS_STMT, no_rel), FN_(ALTER_OBJECT_SCHEMA_STMT, l_set_schema),
	NONE_(ALTER_OWNER_STMT, "a non-relation object (a table's owner changes through ALTER TABLE)"),
	NONE_(ALTER_OPERATOR_STMT, no_rel), NONE_(ALTER_TYPE_STMT, no_rel),
	UNKN(DROP_OWNED_STMT, "drops whatever the role owns, which mkmig does not know"),
	UNKN(REASSIGN_OWNED_STMT, "changes the owner of every object of the role (ACCESS EXCLUSIVE on its tables)"),
	NONE_(COMPOSITE_TYPE_STMT, new_obj), NONE_(CREATE_ENUM_STMT, new_obj), NONE_(CREATE_RANGE_STMT, new_obj),
	NONE_(ALTER_ENUM_STMT, "locks the type, not the tables using it (pg-facts §1b)"),
	NONE_(ALTER_TSDICTIONARY_STMT, no_rel), NONE_(ALTER_TSCONFIGURATION_STMT, no_rel), NONE_(CREATE_FDW_STMT, global),
	NONE_(ALTER_FDW_STMT, global), NONE_(CREATE_FOREIGN_SERVER_STMT, global), NONE_(ALTER_FOREIGN_SERVER_STMT, global),
	NONE_(CREATE_USER_MAPPING_STMT, global), NONE_(ALTER_USER_MAPPING_STMT, global),
	NONE_(DROP_USER_MAPPING_STMT, global), NONE_(ALTER_TABLE_SPACE_OPTIONS_STMT, global),
	FN_(ALTER_TABLE_MOVE_ALL_STMT, l_move_all), FN_(SEC_LABEL_STMT, l_seclabel),
	NONE_(CREATE_FOREIGN_TABLE_STMT, new_obj), NONE_(IMPORT_FOREIGN_SCHEMA_STMT, new_obj),
	NONE_(CREATE_EXTENSION_STMT, new_obj),
	UNKN(ALTER_EXTENSION_STMT, "runs the extension's update script, which mkmig does not read"),
	NONE_(ALTER_EXTENSION_CONTENTS_STMT, no_rel), NONE_(CREATE_EVENT_TRIG_STMT, global),
	NONE_(ALTER_EVENT_TRIG_STMT, global), FN_(REFRESH_MAT_VIEW_STMT, l_refresh), NONE_(ALTER_SYSTEM_STMT, global),
	FN_(CREATE_POLICY_STMT, l_policy), FN_(ALTER_POLICY_STMT, l_alter_policy), NONE_(CREATE_TRANSFORM_STMT, new_obj),
	NONE_(CREATE_AM_STMT, new_obj), FN_(CREATE_PUBLICATION_STMT, l_publication),
	FN_(ALTER_PUBLICATION_STMT, l_publication), NONE_(CREATE_SUBSCRIPTION_STMT, global),
	NONE_(ALTER_SUBSCRIPTION_STMT, global), NONE_(DROP_SUBSCRIPTION_STMT, global), FN_(CREATE_STATS_STMT, l_stats),
	NONE_(ALTER_COLLATION_STMT, no_rel),
	UNKN(CALL_STMT, "a procedure call: its locks are those of the procedure's body, which mkmig does not analyse"),
	NONE_(ALTER_STATS_STMT, "locks the statistics object, not its table"),
};

static int row_of(PgQuery__Node__NodeCase node)
{
	for (size_t i = 0; i < MM_ARRAY_LEN(stmt_rows); i++)
		if (stmt_rows[i].node == node)
			return (int)i;
	return -1;
}

bool mm_locks_has_entry(PgQuery__Node__NodeCase node)
{
	return row_of(node) >= 0;
}

void mm_locks_of_stmt(struct mm_ctx *ctx, const PgQuery__Node *stmt, int pg_version, struct mm_stmt_locks *out)
{
	memset(out, 0, sizeof(*out));
	out->kind = MM_LOCKS_NONE;
	out->why = no_rel;
	int k = stmt ? row_of(stmt->node_case) : -1;
	if (k < 0) {
		out->kind = MM_LOCKS_UNKNOWN;
		out->why = "a statement kind mkmig has no lock facts for";
		return;
	}
	if (stmt_rows[k].shape != FN) {
		out->kind = stmt_rows[k].shape == UNKNOWN || stmt_rows[k].shape == NOT_TOP ? MM_LOCKS_UNKNOWN : MM_LOCKS_NONE;
		out->why = stmt_rows[k].why;
		return;
	}
	struct acc a = { .ctx = ctx, .out = out, .pg_version = pg_version };
	stmt_rows[k].fn(&a, stmt);
	if (out->kind == MM_LOCKS_TABLES)
		out->why = NULL;
}

int mm_work_rank(enum mm_work w)
{
	static const int rank[] = {
		[MM_WORK_CATALOG] = 0, [MM_WORK_BATCHES] = 1, [MM_WORK_SCAN] = 2, [MM_WORK_BUILD] = 3, [MM_WORK_REWRITE] = 4,
	};
	_Static_assert(MM_ARRAY_LEN(rank) == MM_WORK__COUNT, "every work kind has a rank");
	return rank[w];
}
