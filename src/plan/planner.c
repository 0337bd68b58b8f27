/*
 * planner.c — walks the change list in order: resolves each change's table in the model, lets
 * the change kind's rule add steps, then replays the statement into the model so the next change
 * sees it. Finally orders the steps by phase (stable: input order within a phase), because a
 * contract step (dropping an old column) must never run before a later change's expand step.
 */
#include "plan_internal.h"
#include "../rules/common.h"

#include <stdlib.h>
#include <string.h>

/* Resolve the table a change targets (NULL fields when the change names none). */
static void resolve_table(struct mm_rule_ctx *r)
{
	const struct mm_change *ch = r->ch;
	const PgQuery__RangeVar *rv = ch->relation;
	PgQuery__Node *n = ch->node;
	if (!rv && n->node_case == PG_QUERY__NODE__NODE_INDEX_STMT)
		rv = n->index_stmt->relation;
	if (!rv && n->node_case == PG_QUERY__NODE__NODE_RENAME_STMT)
		rv = n->rename_stmt->relation;
	if (!rv && n->node_case == PG_QUERY__NODE__NODE_CREATE_STMT)
		rv = n->create_stmt->relation;
	if (!rv && n->node_case == PG_QUERY__NODE__NODE_UPDATE_STMT)
		rv = n->update_stmt->relation;
	if (!rv && n->node_case == PG_QUERY__NODE__NODE_DELETE_STMT)
		rv = n->delete_stmt->relation;
	if (!rv && ch->kind == MM_CH_INSERT_SELECT)
		rv = n->insert_stmt->relation;
	if (!rv)
		return;
	r->schema = rv->schemaname && rv->schemaname[0] ? rv->schemaname : NULL;
	r->name = rv->relname;
	r->table = mm_model_find_table(r->model, r->schema, r->name);
	if (r->table) {
		r->schema = r->table->schema;
		r->table_is_new = r->table->origin == MM_ORIGIN_INPUT;
	}
	r->qtable = mm_sql_qname(&r->ctx->arena, r->schema, r->name);
}

/* Order steps by phase, keeping the planning order inside each phase. */
static void order_by_phase(struct mm_ctx *ctx, struct mm_plan *plan)
{
	/* A stable bucket sort: one pass per phase over a long plan walks every step's memory again. */
	size_t start[MM_PHASE__COUNT + 1] = { 0 };
	for (size_t i = 0; i < plan->steps.len; i++)
		start[((struct mm_step *)mm_vec_at(&plan->steps, i))->phase + 1]++;
	for (int ph = 0; ph < MM_PHASE__COUNT; ph++)
		start[ph + 1] += start[ph];
	struct mm_vec sorted = { 0 };
	for (size_t i = 0; i < plan->steps.len; i++)
		mm_vec_push(&ctx->arena, &sorted, NULL);
	for (size_t i = 0; i < plan->steps.len; i++) {
		struct mm_step *s = mm_vec_at(&plan->steps, i);
		sorted.items[start[s->phase]++] = s;
	}
	plan->steps = sorted;
}

static void note_size(struct mm_ctx *ctx, struct mm_plan *plan, const struct mm_table *t)
{
	if (!t || (t->est_rows < 0 && t->est_bytes < 0) || t->origin == MM_ORIGIN_INPUT)
		return;
	const char *q = mm_sql_qname(&ctx->arena, t->schema, t->name);
	for (size_t i = 0; i < plan->sizes.len; i++)
		if (strcmp(((struct mm_table_size *)mm_vec_at(&plan->sizes, i))->table, q) == 0)
			return;
	struct mm_table_size *ts = mm_alloc(&ctx->arena, sizeof(*ts));
	ts->table = q;
	ts->rows = t->est_rows;
	ts->bytes = t->est_bytes;
	mm_vec_push(&ctx->arena, &plan->sizes, ts);
}

/* The change's ALTER TABLE statement reduced to one subcommand (cmd: the change's own node or a
 * modified copy of it). */
static PgQuery__Node *single_cmd_stmt(struct mm_ctx *ctx, const struct mm_change *ch, PgQuery__Node *cmd)
{
	PgQuery__AlterTableStmt *at = mm_alloc(&ctx->arena, sizeof(*at));
	*at = *ch->stmt->node->alter_table_stmt;
	at->cmds = mm_alloc(&ctx->arena, sizeof(*at->cmds));
	at->cmds[0] = cmd;
	at->n_cmds = 1;
	PgQuery__Node *n = mm_alloc(&ctx->arena, sizeof(*n));
	pg_query__node__init(n);
	n->node_case = PG_QUERY__NODE__NODE_ALTER_TABLE_STMT;
	n->alter_table_stmt = at;
	return n;
}

static int apply_change(struct mm_ctx *ctx, struct mm_model *model, const struct mm_change *ch)
{
	if (ch->sub_count <= 1 || ch->stmt->node->node_case != PG_QUERY__NODE__NODE_ALTER_TABLE_STMT)
		return ch->sub_index + 1 == ch->sub_count || ch->sub_count == 0 ? mm_model_apply(model, ch->stmt, MM_ORIGIN_INPUT)
		                                                                  : 0;
	struct mm_stmt one = *ch->stmt;
	one.node = single_cmd_stmt(ctx, ch, ch->node);
	return mm_model_apply(model, &one, MM_ORIGIN_INPUT);
}

int mm_plan_build(struct mm_ctx *ctx, struct mm_model *model, const struct mm_change_list *changes,
                  struct mm_plan *out)
{
	int rc = 0;
	struct mm_deferral deferral = { 0 };
	for (size_t i = 0; i < changes->items.len; i++) {
		const struct mm_change *ch = mm_vec_at(&changes->items, i);
		struct mm_rule_ctx r = { .ctx = ctx, .model = model, .plan = out, .ch = ch, .changes = changes, .index = i,
		                         .phase = MM_PHASE_EXPAND };
		resolve_table(&r);
		note_size(ctx, out, r.table);
		const struct mm_rule *rule = mm_rule_for(ch->kind);
		const char *after = mm_deferral_needs(&r, &deferral);
		if (after)
			r.phase = MM_PHASE_CONTRACT;
		/* A spec statement's own batch size (batch-size N) for this change only. */
		long batch_size = ctx->opt.batch_size;
		if (ch->batch_size)
			ctx->opt.batch_size = ch->batch_size;
		size_t first = out->steps.len;
		if (rule->plan(&r) != 0)
			rc = -1;
		ctx->opt.batch_size = batch_size;
		for (size_t k = first; k < out->steps.len; k++) {
			struct mm_step *s = mm_vec_at(&out->steps, k);
			s->lock_timeout_ms = ch->lock_timeout_ms;
			s->table_new = r.table_is_new;
			if (after)
				mm_step_why(ctx, s, "deferred to the contract phase with %s, which still uses it until then%s%s", after,
				            s->why ? "; " : "", s->why ? s->why : "");
		}
		mm_deferral_collect(&r, &deferral, first);
		/* The model learns each change once it is planned; the subcommands of one ALTER TABLE one
		 * by one, so "DROP COLUMN id, ADD PRIMARY KEY (a)" names the new key as PostgreSQL does,
		 * after the old one is gone. */
		if (apply_change(ctx, model, ch) != 0)
			rc = -1;
	}
	mm_rule_batch_cleanup_step(ctx, out);
	order_by_phase(ctx, out);
	mm_plan_guard_reruns(ctx, out);
	mm_plan_add_guard_step(ctx, out);
	return rc;
}

/* --- shared helpers for rules ---------------------------------------------------------------- */

const char *mm_change_sql(struct mm_rule_ctx *r)
{
	const struct mm_change *ch = r->ch;
	if (ch->sub_count <= 1)
		return ch->stmt->text;
	/* One subcommand of a multi-command ALTER TABLE: rebuild the statement around it. */
	const char *sql = mm_sql_deparse(r->ctx, single_cmd_stmt(r->ctx, ch, ch->node));
	return sql ? sql : ch->stmt->text;
}

/* The heads IF NOT EXISTS follows, for the statements whose text is edited rather than
 * deparsed (the author's layout and comments stay; CREATE SEQUENCE's options order is free). */
static const char *const create_table_head[] = { "create", "*global|local|temporary|temp|unlogged", "table", NULL };
static const char *const create_seq_head[] = { "create", "*temporary|temp|unlogged", "sequence", NULL };
static const char *const create_schema_head[] = { "create", "schema", NULL };
static const char *const create_extension_head[] = { "create", "extension", NULL };
static const char *const *const rerunnable_heads[] = {
	[PG_QUERY__NODE__NODE_CREATE_STMT] = create_table_head,
	[PG_QUERY__NODE__NODE_CREATE_SEQ_STMT] = create_seq_head,
	[PG_QUERY__NODE__NODE_CREATE_SCHEMA_STMT] = create_schema_head,
	[PG_QUERY__NODE__NODE_CREATE_EXTENSION_STMT] = create_extension_head,
};

static const char *rerunnable_text(struct mm_rule_ctx *r, const PgQuery__Node *orig)
{
	size_t k = (size_t)orig->node_case;
	const char *const *head = k < MM_ARRAY_LEN(rerunnable_heads) ? rerunnable_heads[k] : NULL;
	if (!head || r->ch->sub_count > 1 || !r->ch->stmt->text)
		return NULL;
	return mm_sql_insert_after_head(&r->ctx->arena, r->ch->stmt->text, head, " IF NOT EXISTS");
}

/*
 * The passed-through statement in a form that can run twice: every step of a script must survive
 * a re-run after an interruption, and a plain ADD COLUMN or CREATE TABLE fails the second time.
 * Where the grammar has IF [NOT] EXISTS, it is added (on a copy: the model still replays the
 * statement as written, so a missing column stays an error).
 */
const char *mm_change_sql_rerunnable(struct mm_rule_ctx *r)
{
	const struct mm_change *ch = r->ch;
	struct mm_arena *a = &r->ctx->arena;
	PgQuery__Node *orig = ch->node;
	PgQuery__Node *n = mm_alloc(a, sizeof(*n));
	*n = *orig;
	bool changed = false;
	if (orig->node_case == PG_QUERY__NODE__NODE_ALTER_TABLE_CMD) {
		PgQuery__AlterTableCmd *cmd = mm_alloc(a, sizeof(*cmd));
		*cmd = *orig->alter_table_cmd;
		n->alter_table_cmd = cmd;
		if (cmd->subtype == PG_QUERY__ALTER_TABLE_TYPE__AT_AddConstraint && r->table) {
			/* Named as PostgreSQL would name it, so a re-run finds it instead of adding a twin. */
			const char *name = mm_model_constraint_name(r->model, r->table, cmd->def->constraint, NULL);
			if (name)
				return NULL;
		}
		changed = cmd->subtype == PG_QUERY__ALTER_TABLE_TYPE__AT_AddColumn ||
		          cmd->subtype == PG_QUERY__ALTER_TABLE_TYPE__AT_DropColumn ||
		          cmd->subtype == PG_QUERY__ALTER_TABLE_TYPE__AT_DropConstraint;
		cmd->missing_ok = cmd->missing_ok || changed;
		if (!changed)
			return mm_change_sql(r);
		const char *sql = mm_sql_deparse(r->ctx, single_cmd_stmt(r->ctx, ch, n));
		return sql ? sql : mm_change_sql(r);
	}
	if (orig->node_case == PG_QUERY__NODE__NODE_CREATE_STMT) {
		PgQuery__CreateStmt *c = mm_alloc(a, sizeof(*c));
		*c = *orig->create_stmt;
		changed = !c->if_not_exists;
		c->if_not_exists = true;
		n->create_stmt = c;
	} else if (orig->node_case == PG_QUERY__NODE__NODE_INDEX_STMT && r->table) {
		PgQuery__IndexStmt *c = mm_alloc(a, sizeof(*c));
		*c = *orig->index_stmt;
		/* IF NOT EXISTS needs a name: the one PostgreSQL would choose. */
		if (!c->idxname || !c->idxname[0])
			c->idxname = mm_model_choose_index_name(r->model, r->table->schema, r->table->name, c, NULL);
		changed = !c->if_not_exists;
		c->if_not_exists = true;
		n->index_stmt = c;
	} else if (orig->node_case == PG_QUERY__NODE__NODE_DROP_STMT) {
		PgQuery__DropStmt *c = mm_alloc(a, sizeof(*c));
		*c = *orig->drop_stmt;
		changed = !c->missing_ok;
		c->missing_ok = true;
		n->drop_stmt = c;
	} else if (orig->node_case == PG_QUERY__NODE__NODE_CREATE_SEQ_STMT) {
		PgQuery__CreateSeqStmt *c = mm_alloc(a, sizeof(*c));
		*c = *orig->create_seq_stmt;
		changed = !c->if_not_exists;
		c->if_not_exists = true;
		n->create_seq_stmt = c;
	} else if (orig->node_case == PG_QUERY__NODE__NODE_CREATE_SCHEMA_STMT) {
		PgQuery__CreateSchemaStmt *c = mm_alloc(a, sizeof(*c));
		*c = *orig->create_schema_stmt;
		changed = !c->if_not_exists;
		c->if_not_exists = true;
		n->create_schema_stmt = c;
	} else if (orig->node_case == PG_QUERY__NODE__NODE_CREATE_EXTENSION_STMT) {
		PgQuery__CreateExtensionStmt *c = mm_alloc(a, sizeof(*c));
		*c = *orig->create_extension_stmt;
		changed = !c->if_not_exists;
		c->if_not_exists = true;
		n->create_extension_stmt = c;
	}
	if (!changed)
		return mm_change_sql(r);
	const char *sql = rerunnable_text(r, orig);
	if (!sql)
		sql = mm_sql_deparse(r->ctx, n);
	return sql ? sql : mm_change_sql(r);
}

/* A lock from locks.c, named for display: resolved in the model (schema-qualified), an index
 * prefixed "index", an unnamed target by its note. */
static const char *lock_target(struct mm_rule_ctx *r, const struct mm_stmt_lock *l)
{
	struct mm_arena *a = &r->ctx->arena;
	if (!l->name)
		return l->note ? l->note : "unnamed objects";
	if (l->is_index) {
		const struct mm_index *ix = mm_model_find_index(r->model, l->schema, l->name);
		return mm_sprintf(a, "index %s", mm_sql_qname(a, ix ? ix->schema : l->schema, l->name));
	}
	const struct mm_table *t = mm_model_find_table(r->model, l->schema, l->name);
	return t ? mm_sql_qname(a, t->schema, t->name) : mm_sql_qname(a, l->schema, l->name);
}

void mm_step_locks_of(struct mm_rule_ctx *r, struct mm_step *s, const PgQuery__Node *stmt)
{
	struct mm_stmt_locks locks;
	mm_locks_of_stmt(r->ctx, stmt, r->ctx->opt.pg_version, &locks);
	if (locks.kind == MM_LOCKS_UNKNOWN)
		s->lock_note = locks.why;
	for (size_t i = 0; i < locks.items.len; i++) {
		const struct mm_stmt_lock *l = mm_vec_at(&locks.items, i);
		const char *target = lock_target(r, l);
		enum mm_lock mode = l->mode;
		/* A table created earlier in this input: what it takes does not matter to traffic, but
		 * the step is still run under lock_timeout like any DDL. */
		if (r->table_is_new && r->qtable && strcmp(target, r->qtable) == 0)
			mode = MM_LOCK_ACCESS_EXCLUSIVE;
		mm_step_lock(r->ctx, s, target, mode, l->work);
	}
}

int mm_rule_passthrough(struct mm_rule_ctx *r, const char *why)
{
	const struct mm_change *ch = r->ch;
	const char *title = mm_change_sql(r);
	/* check reads a kept step's title and locks only: the re-runnable form (a deparse) is skipped. */
	const char *sql = r->ctx->opt.plan_only ? title : mm_change_sql_rerunnable(r);
	struct mm_step *s = mm_step_new(r->ctx, r->plan, ch, r->phase, MM_UNIT_TX, title);
	if (sql) {
		mm_step_up(r->ctx, s, "%s", sql);
	} else {
		/* ADD CONSTRAINT has no IF NOT EXISTS: guarded, under the name PostgreSQL would choose. */
		struct mm_arena *a = &r->ctx->arena;
		PgQuery__AlterTableCmd *cmd = mm_alloc(a, sizeof(*cmd));
		*cmd = *ch->node->alter_table_cmd;
		PgQuery__Constraint *c = mm_alloc(a, sizeof(*c));
		*c = *cmd->def->constraint;
		c->conname = (char *)mm_model_constraint_name(r->model, r->table, c, NULL);
		PgQuery__Node *def = mm_alloc(a, sizeof(*def));
		*def = *cmd->def;
		def->constraint = c;
		cmd->def = def;
		s->plpgsql = true;
		mm_step_up(r->ctx, s, "%s",
		           mm_rule_guard(r, mm_sprintf(a, "NOT %s", mm_rule_constraint_exists(r, c->conname)),
		                         mm_rule_alter_sql(r, cmd)));
	}
	s->on_new_table = r->table_is_new;
	mm_step_locks_of(r, s, ch->node->node_case == PG_QUERY__NODE__NODE_ALTER_TABLE_CMD
	                           ? single_cmd_stmt(r->ctx, ch, ch->node) : ch->node);
	/* Dropping a foreign key drops its RI triggers on the referenced table too, under ACCESS
	 * EXCLUSIVE there (PostgreSQL 11-18; ../shared/pg-facts.md, DROP CONSTRAINT (FK)). */
	if (ch->node->node_case == PG_QUERY__NODE__NODE_ALTER_TABLE_CMD &&
	    ch->node->alter_table_cmd->subtype == PG_QUERY__ALTER_TABLE_TYPE__AT_DropConstraint && r->table) {
		const struct mm_constraint *k = mm_table_find_constraint(r->table, ch->node->alter_table_cmd->name);
		if (k && k->type == MM_CON_FOREIGN && !(mm_streq(k->ref_table, r->table->name) && mm_streq(k->ref_schema, r->table->schema))) {
			mm_step_lock(r->ctx, s, mm_sql_qname(&r->ctx->arena, k->ref_schema, k->ref_table), MM_LOCK_ACCESS_EXCLUSIVE,
			             MM_WORK_CATALOG);
			if (!why)
				mm_step_why(r->ctx, s, "a catalog update, but it also takes ACCESS EXCLUSIVE on %s (the referenced "
				                       "table's RI triggers are dropped): lock_timeout and retries protect the traffic of both",
				            mm_sql_qname(&r->ctx->arena, k->ref_schema, k->ref_table));
		}
	}
	if (why)
		mm_step_why(r->ctx, s, "%s", why);
	mm_rule_undo(r, s);
	return 0;
}
