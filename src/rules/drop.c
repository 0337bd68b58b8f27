/*
 * drop.c — DROP INDEX, DROP COLUMN, DROP TABLE.
 *
 * DROP INDEX takes ACCESS EXCLUSIVE on the table; DROP INDEX CONCURRENTLY waits for running
 * transactions instead and blocks nobody, but handles one index, no CASCADE, not a partitioned
 * index, not an index owned by a constraint (docs: sql-dropindex.html). Down rebuilds it
 * concurrently from its definition.
 *
 * DROP COLUMN and DROP TABLE are catalog updates, but destructive: they go to the contract
 * phase, after the checkpoint where the application has stopped using them, and are flagged.
 * Dropping a table (or a foreign key) also takes ACCESS EXCLUSIVE on every table it references,
 * because their RI triggers are dropped (RemoveTriggerById, pg-facts §1). Down re-creates the
 * structure and says that the data cannot come back.
 */
#include "common.h"

#include <string.h>

static void name_of(PgQuery__Node *obj, const char **schema, const char **name)
{
	const PgQuery__List *l = obj->list;
	*schema = l->n_items >= 2 ? l->items[l->n_items - 2]->string->sval : NULL;
	*name = l->items[l->n_items - 1]->string->sval;
}

static bool backs_constraint(const struct mm_table *t, const struct mm_index *ix)
{
	for (size_t i = 0; t && i < t->constraints.len; i++) {
		const struct mm_constraint *c = mm_vec_at(&t->constraints, i);
		if (c->type != MM_CON_CHECK && c->type != MM_CON_FOREIGN &&
		    (mm_streq(c->index_name, ix->name) || mm_streq(c->name, ix->name)))
			return true;
	}
	return false;
}

int mm_rule_drop_index(struct mm_rule_ctx *r)
{
	struct mm_arena *a = &r->ctx->arena;
	const PgQuery__DropStmt *d = r->ch->node->drop_stmt;
	if (d->behavior == PG_QUERY__DROP_BEHAVIOR__DROP_CASCADE)
		return mm_rule_passthrough(r, "CASCADE has no concurrent form");
	for (size_t i = 0; i < d->n_objects; i++) {
		const char *schema, *name;
		name_of(d->objects[i], &schema, &name);
		const struct mm_index *ix = mm_model_find_index(r->model, schema, name);
		const struct mm_table *t = ix ? mm_model_find_table(r->model, ix->schema, ix->table) : NULL;
		const char *qindex = mm_sql_qname(a, ix ? ix->schema : schema, name);
		const char *qtable = t ? mm_sql_qname(a, t->schema, t->name) : "its table";
		if (!ix && r->model->known && !d->missing_ok)
			continue; /* mm_model_apply reports it */
		if ((t && (t->origin == MM_ORIGIN_INPUT || t->kind == MM_REL_PARTITIONED)) || (ix && backs_constraint(t, ix))) {
			struct mm_step *s = mm_step_new(r->ctx, r->plan, r->ch, r->phase, MM_UNIT_TX, mm_sprintf(a, "drop index %s", qindex));
			mm_step_up(r->ctx, s, "DROP INDEX %s%s", d->missing_ok ? "IF EXISTS " : "", qindex);
			mm_step_lock(r->ctx, s, qtable, MM_LOCK_ACCESS_EXCLUSIVE, MM_WORK_CATALOG);
			mm_step_why(r->ctx, s, t && t->origin == MM_ORIGIN_INPUT ? "the table was created earlier in this input"
			                       : t && t->kind == MM_REL_PARTITIONED
			                           ? "a partitioned index cannot be dropped concurrently (catalog update only)"
			                           : "the index belongs to a constraint: drop the constraint instead");
			const char *re = ix && !r->ctx->opt.plan_only ? mm_rule_index_sql(r, ix, false) : NULL;
			if (re)
				mm_step_down(r->ctx, s, "%s", re);
			continue;
		}
		struct mm_step *s = mm_step_new(r->ctx, r->plan, r->ch, r->phase, MM_UNIT_NONTX,
		                                mm_sprintf(a, "drop index %s concurrently", qindex));
		mm_step_up(r->ctx, s, "DROP INDEX CONCURRENTLY IF EXISTS %s", qindex);
		mm_step_lock(r->ctx, s, qtable, MM_LOCK_SHARE_UPDATE_EXCLUSIVE, MM_WORK_CATALOG);
		mm_step_why(r->ctx, s, "DROP INDEX takes ACCESS EXCLUSIVE on %s; CONCURRENTLY waits for running "
		                       "transactions instead of blocking them, and cannot run in a transaction block",
		            qtable);
		const char *re = ix && !r->ctx->opt.plan_only ? mm_rule_index_sql(r, ix, true) : NULL; /* the down script's */
		if (re)
			mm_step_down(r->ctx, s, "%s", re);
		else
			s->down_warning = mm_sprintf(a, "the definition of index %s is unknown: the down script cannot rebuild it "
			                                "(pass --schema, --dir or --db)",
			                             qindex);
	}
	return 0;
}

static void contract_checkpoint(struct mm_rule_ctx *r, const char *what)
{
	mm_plan_checkpoint(r->ctx, r->plan, MM_PHASE_CONTRACT,
	                   "deploy the application version that no longer uses %s everywhere", what);
}

static bool adds_primary_key(const struct mm_change *ch)
{
	const PgQuery__Node *n = ch->node;
	if (ch->kind != MM_CH_ADD_CONSTRAINT || !n || n->node_case != PG_QUERY__NODE__NODE_ALTER_TABLE_CMD)
		return false;
	const PgQuery__Node *d = n->alter_table_cmd->def;
	return d && d->node_case == PG_QUERY__NODE__NODE_CONSTRAINT &&
	       d->constraint->contype == PG_QUERY__CONSTR_TYPE__CONSTR_PRIMARY;
}

/* What keeps a DROP COLUMN in place: a later statement naming the column (re-adding the name, or
 * using one of that name), or naming the table in a statement that sees its whole row shape (a
 * view, CREATE TABLE AS, an INSERT without a column list: any statement mkmig passes through) or
 * adding a primary key. A later ADD COLUMN, index, constraint or type change on other columns of
 * the table does not: the drop still belongs in the contract. */
static const char *drop_column_blocker(struct mm_rule_ctx *r, const char *column)
{
	const char *names[] = { column };
	/* Other DROP COLUMNs of the same statement (the changes right after this one) do not need
	 * this one gone: they are deferred alike (DROP COLUMN a, DROP COLUMN b drops both in the
	 * contract phase). */
	struct mm_rule_ctx own = *r;
	while (r->changes && own.index + 1 < r->changes->items.len) {
		const struct mm_change *next = mm_vec_at(&r->changes->items, own.index + 1);
		if (next->stmt != r->ch->stmt || next->kind != MM_CH_DROP_COLUMN)
			break;
		own.index++;
	}
	const char *later = mm_rule_later_use(&own, names, 1);
	if (later || !r->changes)
		return later;
	struct mm_change_list shape = { 0 };
	mm_vec_push(&r->ctx->arena, &shape.items, (void *)r->ch);
	for (size_t i = r->index + 1; i < r->changes->items.len; i++) {
		const struct mm_change *ch = mm_vec_at(&r->changes->items, i);
		if (ch->kind == MM_CH_OTHER || ch->kind == MM_CH_CREATE_TABLE || adds_primary_key(ch))
			mm_vec_push(&r->ctx->arena, &shape.items, (void *)ch);
	}
	struct mm_rule_ctx only = *r;
	only.changes = &shape;
	only.index = 0;
	const char *tables[] = { r->name };
	return mm_rule_later_use(&only, tables, 1);
}

static int drop_column(struct mm_rule_ctx *r)
{
	struct mm_arena *a = &r->ctx->arena;
	const PgQuery__AlterTableCmd *cmd = r->ch->node->alter_table_cmd;
	const char *qcol = mm_sql_ident(a, cmd->name);
	if (r->table_is_new)
		return mm_rule_passthrough(r, "the table was created earlier in this input");
	if (!r->table && r->model->known)
		return 0;
	const struct mm_column *c = r->table ? mm_table_find_column(r->table, cmd->name) : NULL;
	const char *what = mm_sprintf(a, "%s.%s", r->qtable, qcol);
	/* Deferred to the contract phase unless later statements depend on it being gone (re-adding
	 * the name, a view over the table, a new primary key): then it keeps its place. */
	const char *later = drop_column_blocker(r, cmd->name);
	if (!later)
		contract_checkpoint(r, what);
	struct mm_step *s = mm_step_new(r->ctx, r->plan, r->ch, later ? r->phase : MM_PHASE_CONTRACT, MM_UNIT_TX,
	                                mm_sprintf(a, "drop column %s", what));
	mm_step_up(r->ctx, s, "%s", mm_change_sql_rerunnable(r));
	mm_step_lock(r->ctx, s, r->qtable, MM_LOCK_ACCESS_EXCLUSIVE, MM_WORK_CATALOG);
	mm_step_why(r->ctx, s, "a catalog update (the space is reclaimed by later rewrites), but destructive: "
	                       "it belongs after the deploy that stops using the column");
	s->warning = later ? mm_sprintf(a, "destructive: dropping %s deletes its data; dropped in place, not in the "
	                                   "contract phase, because %s",
	                                what, later)
	                   : mm_sprintf(a, "destructive: dropping %s deletes its data", what);
	if (!c) {
		s->down_warning = mm_sprintf(a, "the definition of %s is unknown: the down script cannot re-add it", what);
		return 0;
	}
	bool can_not_null = !c->not_null || c->default_expr;
	/* A serial column's sequence went with it: back first, owned by the column again after. */
	const struct mm_sequence *owned = NULL;
	for (size_t k = 0; k < r->model->sequences.len && !owned; k++) {
		const struct mm_sequence *sq = mm_vec_at(&r->model->sequences, k);
		if (mm_streq(sq->schema, r->table->schema) && mm_streq(sq->owner_table, r->table->name) &&
		    mm_streq(sq->owner_column, cmd->name))
			owned = sq;
	}
	if (owned)
		mm_step_down(r->ctx, s, "CREATE SEQUENCE IF NOT EXISTS %s%s%s", mm_sql_qname(a, owned->schema, owned->name),
		             owned->type ? " AS " : "", owned->type ? owned->type : "");
	mm_step_down(r->ctx, s, "ALTER TABLE %s ADD COLUMN IF NOT EXISTS %s", r->qtable, mm_rule_column_sql(r, c, can_not_null));
	if (owned)
		mm_step_down(r->ctx, s, "ALTER SEQUENCE %s OWNED BY %s.%s", mm_sql_qname(a, owned->schema, owned->name), r->qtable,
		             qcol);
	for (size_t i = 0; i < r->table->indexes.len; i++) {
		const struct mm_index *ix = mm_vec_at(&r->table->indexes, i);
		bool on_col = false;
		for (size_t k = 0; k < ix->columns.len && !on_col; k++)
			on_col = strcmp(mm_vec_at(&ix->columns, k), cmd->name) == 0;
		const char *re = on_col && !backs_constraint(r->table, ix) ? mm_rule_index_sql(r, ix, false) : NULL;
		if (re)
			mm_step_down(r->ctx, s, "%s", re);
	}
	for (size_t i = 0; i < r->table->constraints.len; i++) {
		const struct mm_constraint *k = mm_vec_at(&r->table->constraints, i);
		bool on_col = false;
		for (size_t j = 0; j < k->columns.len && !on_col; j++)
			on_col = strcmp(mm_vec_at(&k->columns, j), cmd->name) == 0;
		if (on_col && k->definition)
			mm_step_down(r->ctx, s, "ALTER TABLE %s ADD CONSTRAINT %s %s", r->qtable, mm_sql_ident(a, k->name), k->definition);
	}
	s->down_warning = mm_sprintf(a, "%s comes back empty%s: its data cannot be restored", what,
	                             can_not_null ? "" : " and nullable (it was NOT NULL without a default)");
	return 0;
}

static int drop_table(struct mm_rule_ctx *r)
{
	struct mm_arena *a = &r->ctx->arena;
	const PgQuery__DropStmt *d = r->ch->node->drop_stmt;
	for (size_t i = 0; i < d->n_objects; i++) {
		const char *schema, *name;
		name_of(d->objects[i], &schema, &name);
		const struct mm_table *t = mm_model_find_table(r->model, schema, name);
		if (!t && r->model->known && !d->missing_ok)
			continue;
		const char *qt = mm_sql_qname(a, t ? t->schema : schema, name);
		bool is_new = t && t->origin == MM_ORIGIN_INPUT;
		const char *names[] = { name };
		const char *later = is_new ? NULL : mm_rule_later_use(r, names, 1);
		bool deferred = !is_new && !later;
		if (deferred)
			contract_checkpoint(r, qt);
		struct mm_step *s = mm_step_new(r->ctx, r->plan, r->ch, deferred ? MM_PHASE_CONTRACT : r->phase, MM_UNIT_TX,
		                                mm_sprintf(a, "drop table %s", qt));
		mm_step_up(r->ctx, s, "DROP TABLE IF EXISTS %s%s", qt,
		           d->behavior == PG_QUERY__DROP_BEHAVIOR__DROP_CASCADE ? " CASCADE" : "");
		mm_step_lock(r->ctx, s, qt, MM_LOCK_ACCESS_EXCLUSIVE, MM_WORK_CATALOG);
		for (size_t k = 0; t && k < t->constraints.len; k++) {
			const struct mm_constraint *c = mm_vec_at(&t->constraints, k);
			if (c->type == MM_CON_FOREIGN && !(mm_streq(c->ref_table, t->name) && mm_streq(c->ref_schema, t->schema)))
				mm_step_lock(r->ctx, s, mm_sql_qname(a, c->ref_schema, c->ref_table), MM_LOCK_ACCESS_EXCLUSIVE,
				             MM_WORK_CATALOG);
		}
		if (is_new)
			continue;
		mm_step_why(r->ctx, s, "a catalog update, but destructive: it belongs after the deploy that stops using "
		                       "the table; it also locks every table it references by foreign key");
		s->warning = later ? mm_sprintf(a, "destructive: dropping %s deletes its data; dropped in place, not in the "
		                                   "contract phase, because %s",
		                                qt, later)
		                   : mm_sprintf(a, "destructive: dropping %s deletes its data", qt);
		if (!t) {
			s->down_warning = mm_sprintf(a, "the definition of %s is unknown: the down script cannot re-create it", qt);
			continue;
		}
		struct mm_vec sqls = { 0 };
		for (size_t k = 0; k < r->model->sequences.len; k++) {
			const struct mm_sequence *sq = mm_vec_at(&r->model->sequences, k);
			if (mm_streq(sq->owner_table, t->name) && mm_streq(sq->schema, t->schema))
				mm_vec_push(a, &sqls, mm_sprintf(a, "CREATE SEQUENCE IF NOT EXISTS %s%s%s", mm_sql_qname(a, sq->schema, sq->name),
				                                 sq->type ? " AS " : "", sq->type ? sq->type : ""));
		}
		mm_rule_create_table_sql(r, t, &sqls);
		for (size_t k = 0; k < r->model->sequences.len; k++) {
			const struct mm_sequence *sq = mm_vec_at(&r->model->sequences, k);
			if (mm_streq(sq->owner_table, t->name) && mm_streq(sq->schema, t->schema))
				mm_vec_push(a, &sqls, mm_sprintf(a, "ALTER SEQUENCE %s OWNED BY %s.%s", mm_sql_qname(a, sq->schema, sq->name), qt,
				                                 mm_sql_ident(a, sq->owner_column)));
		}
		for (size_t k = 0; k < sqls.len; k++) {
			const char *q = mm_vec_at(&sqls, k);
			if (strncmp(q, "--", 2) != 0)
				mm_step_down(r->ctx, s, "%s", q);
		}
		if (!mm_rule_partitioning_lost(t))
			s->down_warning = mm_sprintf(a, "%s is re-created empty: its data cannot be restored", qt);
		else if (!t->partition_key)
			s->down_warning = mm_sprintf(a, "%s is re-created empty and not partitioned (its partition key is "
			                                "unknown): its data, partitioning and partitions cannot be restored", qt);
		else
			s->down_warning = mm_sprintf(a, "%s is re-created empty and without the partitions whose bounds mkmig "
			                                "does not know (attached with ATTACH PARTITION, or sub-partitioned): "
			                                "its data and those partitions cannot be restored", qt);
	}
	return 0;
}

int mm_rule_drop(struct mm_rule_ctx *r)
{
	if (r->ch->kind == MM_CH_DROP_COLUMN)
		return drop_column(r);
	return drop_table(r);
}

int mm_rule_add_enum_value(struct mm_rule_ctx *r)
{
	struct mm_arena *a = &r->ctx->arena;
	const PgQuery__AlterEnumStmt *e = r->ch->node->alter_enum_stmt;
	PgQuery__AlterEnumStmt copy = *e;
	copy.skip_if_new_val_exists = true;
	PgQuery__Node n = PG_QUERY__NODE__INIT;
	n.node_case = PG_QUERY__NODE__NODE_ALTER_ENUM_STMT;
	n.alter_enum_stmt = &copy;
	/* ALTER TYPE ... ADD VALUE cannot run in a transaction block before PostgreSQL 12; from 12 it
	 * can, but the new value cannot be used until the transaction commits (docs: sql-altertype.html). */
	bool nontx = r->ctx->opt.pg_version < 12;
	struct mm_step *s = mm_step_new(r->ctx, r->plan, r->ch, r->phase, nontx ? MM_UNIT_NONTX : MM_UNIT_TX,
	                                mm_sprintf(a, "add value %s to the enum", mm_sql_literal(a, e->new_val)));
	mm_step_up(r->ctx, s, "%s", mm_sql_deparse(r->ctx, &n));
	mm_step_why(r->ctx, s, "%s; IF NOT EXISTS makes a re-run harmless; no table is locked",
	            nontx ? "before PostgreSQL 12 ADD VALUE cannot run inside a transaction block"
	                  : "in a transaction of its own, because the new value is usable only after it commits");
	s->down_warning = mm_sprintf(a, "PostgreSQL cannot remove an enum value: %s stays in the type",
	                             mm_sql_literal(a, e->new_val));
	return 0;
}
