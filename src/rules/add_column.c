/*
 * add_column.c — ALTER TABLE ... ADD COLUMN without a rewrite or a scan under ACCESS EXCLUSIVE.
 *
 * From PostgreSQL 11 a non-volatile default is evaluated once and kept in the catalog
 * (pg_attribute.attmissingval): adding a column, even NOT NULL DEFAULT constant, is a catalog
 * update (docs: sql-altertable.html, Notes: "when ADD COLUMN is used with a non-volatile DEFAULT
 * ... no rewrite"). Such an add is kept as one statement under lock_timeout. A volatile default
 * (random(), clock_timestamp(), gen_random_uuid(), nextval()) — or any default before 11 —
 * rewrites the whole table under ACCESS EXCLUSIVE; it becomes: add the column nullable, set the
 * default for new rows, backfill existing rows in batches, then NOT NULL through a validated
 * CHECK. Inline CHECK (scans under ACCESS EXCLUSIVE), UNIQUE / PRIMARY KEY (build an index under
 * it) and, with a default, REFERENCES (validates by scanning) are split out into their safe forms.
 */
#include "common.h"

#include <string.h>

struct coldef_parts {
	PgQuery__Node *default_expr;
	bool not_null;
	bool rewrite_always;      /* identity, stored generated: no safe form */
	const char *rewrite_why;
	struct mm_vec keep;       /* PgQuery__Node *: constraints that stay in the ADD COLUMN */
	struct mm_vec split;      /* PgQuery__Constraint *: constraints planned on their own */
};

static void classify(struct mm_rule_ctx *r, PgQuery__ColumnDef *cd, struct coldef_parts *p)
{
	struct mm_arena *a = &r->ctx->arena;
	if (mm_model_serial_type(cd->type_name)) {
		p->rewrite_always = true;
		p->rewrite_why = "a serial column fills every existing row from its sequence: the table is rewritten";
	}
	bool has_default = false;
	for (size_t i = 0; i < cd->n_constraints; i++) {
		PgQuery__Node *n = cd->constraints[i];
		PgQuery__Constraint *c = n->constraint;
		PgQuery__ConstrType t = c->contype;
		if (t == PG_QUERY__CONSTR_TYPE__CONSTR_DEFAULT) {
			p->default_expr = c->raw_expr;
			has_default = true;
		} else if (t == PG_QUERY__CONSTR_TYPE__CONSTR_NOTNULL) {
			p->not_null = true;
		} else if (t == PG_QUERY__CONSTR_TYPE__CONSTR_IDENTITY) {
			p->rewrite_always = true;
			p->rewrite_why = "an identity column fills every existing row from its sequence: the table is rewritten";
		} else if (t == PG_QUERY__CONSTR_TYPE__CONSTR_GENERATED) {
			p->rewrite_always = true;
			p->rewrite_why = "a stored generated column is computed for every existing row: the table is rewritten";
		}
		if (t == PG_QUERY__CONSTR_TYPE__CONSTR_CHECK || t == PG_QUERY__CONSTR_TYPE__CONSTR_UNIQUE ||
		    t == PG_QUERY__CONSTR_TYPE__CONSTR_PRIMARY ||
		    (t == PG_QUERY__CONSTR_TYPE__CONSTR_FOREIGN && has_default))
			mm_vec_push(a, &p->split, c);
		else
			mm_vec_push(a, &p->keep, n);
	}
	(void)r;
}

/* The ADD COLUMN subcommand with only the kept constraints (and no default when slow). */
static const char *add_column_sql(struct mm_rule_ctx *r, const PgQuery__AlterTableCmd *cmd,
                                  const PgQuery__ColumnDef *orig, const struct coldef_parts *p,
                                  bool strip_default_and_not_null, bool if_not_exists)
{
	struct mm_arena *a = &r->ctx->arena;
	PgQuery__ColumnDef cd = *orig;
	cd.constraints = mm_alloc(a, (p->keep.len + 1) * sizeof(PgQuery__Node *));
	cd.n_constraints = 0;
	for (size_t i = 0; i < p->keep.len; i++) {
		PgQuery__Node *n = mm_vec_at(&p->keep, i);
		PgQuery__ConstrType t = n->constraint->contype;
		if (strip_default_and_not_null &&
		    (t == PG_QUERY__CONSTR_TYPE__CONSTR_DEFAULT || t == PG_QUERY__CONSTR_TYPE__CONSTR_NOTNULL))
			continue;
		cd.constraints[cd.n_constraints++] = n;
	}
	PgQuery__Node dn = PG_QUERY__NODE__INIT;
	dn.node_case = PG_QUERY__NODE__NODE_COLUMN_DEF;
	dn.column_def = &cd;
	PgQuery__AlterTableCmd c = *cmd;
	c.def = &dn;
	c.missing_ok = cmd->missing_ok || if_not_exists;
	return mm_rule_alter_sql(r, &c);
}

/* Plan an inline constraint as its own ADD CONSTRAINT on the column. */
static int plan_split_constraint(struct mm_rule_ctx *r, const char *column, PgQuery__Constraint *orig)
{
	struct mm_arena *a = &r->ctx->arena;
	PgQuery__Constraint *c = mm_alloc(a, sizeof(*c));
	*c = *orig;
	PgQuery__Node **one = mm_alloc(a, sizeof(*one));
	one[0] = mm_sql_string_node(a, column);
	if (c->contype == PG_QUERY__CONSTR_TYPE__CONSTR_FOREIGN) {
		c->n_fk_attrs = 1;
		c->fk_attrs = one;
	} else if (c->contype != PG_QUERY__CONSTR_TYPE__CONSTR_CHECK) {
		c->n_keys = 1;
		c->keys = one;
	}
	PgQuery__Node *cn = mm_alloc(a, sizeof(*cn));
	pg_query__node__init(cn);
	cn->node_case = PG_QUERY__NODE__NODE_CONSTRAINT;
	cn->constraint = c;
	PgQuery__AlterTableCmd *cmd = mm_alloc(a, sizeof(*cmd));
	pg_query__alter_table_cmd__init(cmd);
	cmd->subtype = PG_QUERY__ALTER_TABLE_TYPE__AT_AddConstraint;
	cmd->def = cn;
	cmd->behavior = PG_QUERY__DROP_BEHAVIOR__DROP_RESTRICT;
	PgQuery__Node *node = mm_alloc(a, sizeof(*node));
	pg_query__node__init(node);
	node->node_case = PG_QUERY__NODE__NODE_ALTER_TABLE_CMD;
	node->alter_table_cmd = cmd;
	struct mm_change *ch = mm_alloc(a, sizeof(*ch));
	*ch = *r->ch;
	ch->kind = MM_CH_ADD_CONSTRAINT;
	ch->node = node;
	struct mm_rule_ctx sub = *r;
	sub.ch = ch;
	return mm_rule_add_constraint(&sub);
}

/* An inline REFERENCES kept on the column (no default: PostgreSQL creates it valid without a
 * scan) still takes SHARE ROW EXCLUSIVE on the referenced table for the catalog update. */
static void lock_kept_references(struct mm_rule_ctx *r, struct mm_step *s, const struct coldef_parts *p)
{
	struct mm_arena *a = &r->ctx->arena;
	for (size_t i = 0; i < p->keep.len; i++) {
		const PgQuery__Constraint *c = ((PgQuery__Node *)mm_vec_at(&p->keep, i))->constraint;
		if (c->contype != PG_QUERY__CONSTR_TYPE__CONSTR_FOREIGN || !c->pktable)
			continue;
		const char *schema = c->pktable->schemaname && c->pktable->schemaname[0] ? c->pktable->schemaname : NULL;
		const struct mm_table *t = mm_model_find_table(r->model, schema, c->pktable->relname);
		mm_step_lock(r->ctx, s, t ? mm_sql_qname(a, t->schema, t->name) : mm_sql_qname(a, schema, c->pktable->relname),
		             MM_LOCK_SHARE_ROW_EXCLUSIVE, MM_WORK_CATALOG);
	}
}

static struct mm_step *last_step(struct mm_rule_ctx *r)
{
	return mm_vec_at(&r->plan->steps, r->plan->steps.len - 1);
}

int mm_rule_add_column(struct mm_rule_ctx *r)
{
	struct mm_arena *a = &r->ctx->arena;
	struct mm_ctx *ctx = r->ctx;
	PgQuery__AlterTableCmd *cmd = r->ch->node->alter_table_cmd;
	PgQuery__ColumnDef *cd = cmd->def->column_def;
	const char *qcol = mm_sql_ident(a, cd->colname);
	if (r->table_is_new)
		return mm_rule_passthrough(r, "the table was created earlier in this input");
	if (!r->table && r->model->known)
		return 0;
	struct coldef_parts p = { 0 };
	classify(r, cd, &p);
	if (p.rewrite_always) {
		bool generated = false;
		for (size_t i = 0; i < cd->n_constraints; i++)
			generated = generated || cd->constraints[i]->constraint->contype == PG_QUERY__CONSTR_TYPE__CONSTR_GENERATED;
		int rc = generated ? 1 : mm_rule_add_generated(r, cd);
		if (rc <= 0)
			return rc;
		mm_rule_passthrough(r, NULL);
		last_step(r)->warning = generated ? mm_sprintf(a, "not made safe: %s", mm_rule_generated_why(r))
		                                  : mm_sprintf(a, "%s under ACCESS EXCLUSIVE; mkmig's safe form needs a primary key "
		                                                  "and no other constraint or sequence option on the column",
		                                               p.rewrite_why);
		mm_step_down(ctx, last_step(r), "ALTER TABLE %s DROP COLUMN IF EXISTS %s", r->qtable, qcol);
		return 0;
	}
	enum mm_volatility vol = p.default_expr ? mm_model_expr_volatility(r->model, p.default_expr) : MM_VOL_IMMUTABLE;
	bool null_default = p.default_expr && p.default_expr->node_case == PG_QUERY__NODE__NODE_A_CONST &&
	                    p.default_expr->a_const->isnull;
	bool slow = p.default_expr && !null_default && (ctx->opt.pg_version < 11 || vol == MM_VOL_VOLATILE || vol == MM_VOL_UNKNOWN);
	if (!slow) {
		struct mm_step *s = mm_step_new(ctx, r->plan, r->ch, r->phase, MM_UNIT_TX,
		                                mm_sprintf(a, "add column %s to %s", qcol, r->qtable));
		mm_step_up(ctx, s, "%s", add_column_sql(r, cmd, cd, &p, false, true));
		mm_step_down(ctx, s, "ALTER TABLE %s DROP COLUMN IF EXISTS %s", r->qtable, qcol);
		mm_step_lock(ctx, s, r->qtable, MM_LOCK_ACCESS_EXCLUSIVE, MM_WORK_CATALOG);
		lock_kept_references(r, s, &p);
		if (p.default_expr && !null_default)
			mm_step_why(ctx, s,
			            "PostgreSQL %d keeps a non-volatile default in the catalog (fast default, 11+): "
			            "existing rows are not rewritten, so this is a catalog update under a short lock",
			            ctx->opt.pg_version);
		else if (p.not_null)
			mm_step_why(ctx, s, "NOT NULL without a default: instant on an empty table, an error on a "
			                    "non-empty one (as the naive statement)");
		else
			mm_step_why(ctx, s, "a nullable column without a default is a catalog update");
	} else {
		struct mm_step *s = mm_step_new(ctx, r->plan, r->ch, r->phase, MM_UNIT_TX,
		                                mm_sprintf(a, "add column %s to %s, nullable, default for new rows", qcol, r->qtable));
		mm_step_up(ctx, s, "%s", add_column_sql(r, cmd, cd, &p, true, true));
		const char *dflt = mm_sql_deparse_expr(ctx, p.default_expr);
		mm_step_up(ctx, s, "ALTER TABLE %s ALTER COLUMN %s SET DEFAULT %s", r->qtable, qcol, dflt);
		mm_step_down(ctx, s, "ALTER TABLE %s DROP COLUMN IF EXISTS %s", r->qtable, qcol);
		mm_step_lock(ctx, s, r->qtable, MM_LOCK_ACCESS_EXCLUSIVE, MM_WORK_CATALOG);
		lock_kept_references(r, s, &p);
		if (ctx->opt.pg_version < 11)
			mm_step_why(ctx, s, "before PostgreSQL 11 any default on a new column rewrites the table under "
			                    "ACCESS EXCLUSIVE; a nullable column is a catalog update, and SET DEFAULT only "
			                    "affects new rows");
		else
			mm_step_why(ctx, s, "the default %s is %s, so PostgreSQL would compute it for every row in a "
			                    "rewrite under ACCESS EXCLUSIVE; a nullable column is a catalog update, and "
			                    "SET DEFAULT only affects new rows",
			            dflt, vol == MM_VOL_UNKNOWN ? "not known to be non-volatile" : "volatile");
		if (mm_rule_backfill(r, cd->colname, mm_sprintf(a, "%s = %s", qcol, dflt),
		                     mm_sprintf(a, "t.%s IS NULL", qcol), NULL) != 0)
			return -1;
		/* What follows needs the backfilled values. */
		r->phase = MM_PHASE_BACKFILL;
		if (p.not_null)
			mm_rule_not_null(r, cd->colname, false);
	}
	for (size_t i = 0; i < p.split.len; i++)
		if (plan_split_constraint(r, cd->colname, mm_vec_at(&p.split, i)) != 0)
			return -1;
	return 0;
}
