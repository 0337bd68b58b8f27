/*
 * rename.c — RENAME COLUMN and RENAME TABLE without breaking the running application.
 *
 * A plain rename is a catalog update, but the application version still running queries the old
 * name and fails from that instant. RENAME COLUMN becomes an expand/contract swap (swap.c) with a
 * two-way sync trigger; RENAME TABLE renames and leaves an updatable view under the old name
 * (a single-table SELECT * view is automatically updatable, docs: sql-createview.html,
 * "Updatable Views"), dropped in the contract phase.
 */
#include "swap.h"

#include <string.h>

/* RenameStmt has no location for the new name; every RENAME form ends `TO newname`, and TO is a
 * reserved word (never an unquoted name), so the token after the last TO is it. Falls back to
 * the whole statement. */
static void newname_span(struct mm_rule_ctx *r, size_t *off, size_t *len)
{
	const struct mm_stmt *st = r->ch->stmt;
	*off = st->off;
	*len = st->len;
	struct mm_token *t = NULL;
	long n = st->text ? mm_sql_scan(r->ctx, st->text, &t) : -1;
	for (long i = n - 2; i >= 0; i--)
		if (t[i].keyword && strcmp(t[i].keyword, "to") == 0) {
			*off = st->off + t[i + 1].start;
			*len = t[i + 1].end - t[i + 1].start;
			return;
		}
}

/* Renaming onto a name that exists: PostgreSQL's own message, at the new name. */
static int name_taken(struct mm_rule_ctx *r, const char *fmt, const char *name)
{
	size_t off, len;
	newname_span(r, &off, &len);
	return mm_error(r->ctx, r->ch->stmt->src, off, len, fmt, name, r->name);
}

/* The expand phase of this same rename already ran: planning from the live catalog (--db)
 * between the phases, the new column is the one mkmig added, kept in step by its sync trigger
 * (the name swap.c gives it), so the rename carries on rather than meeting a taken name. */
static bool expand_ran(struct mm_rule_ctx *r, const char *from)
{
	struct mm_arena *a = &r->ctx->arena;
	const char *helper = mm_name_helper(a, mm_sprintf(a, "%s_%s", r->table->name, from), "mkmig_sync");
	for (size_t i = 0; i < r->table->triggers.len; i++)
		if (strcmp(((const struct mm_trigger *)mm_vec_at(&r->table->triggers, i))->name, helper) == 0)
			return true;
	return false;
}

static int plain_rename(struct mm_rule_ctx *r, const char *why_not, const char *from, const char *to)
{
	struct mm_arena *a = &r->ctx->arena;
	mm_rule_passthrough(r, NULL);
	struct mm_step *s = mm_vec_at(&r->plan->steps, r->plan->steps.len - 1);
	/* A re-run finds it renamed already. */
	s->plpgsql = true;
	s->up = (struct mm_vec){ 0 };
	mm_step_up(r->ctx, s, "%s",
	           mm_rule_guard(r, mm_sprintf(a, "%s AND NOT %s", mm_rule_column_exists(r, from), mm_rule_column_exists(r, to)),
	                         mm_sprintf(a, "ALTER TABLE %s RENAME COLUMN %s TO %s", r->qtable, mm_sql_ident(a, from),
	                                    mm_sql_ident(a, to))));
	s->warning = mm_sprintf(a, "renamed in place (%s): application code still using \"%s\" fails from this moment",
	                        why_not, from);
	s->down = (struct mm_vec){ 0 };
	s->down_plpgsql = true;
	mm_step_down(r->ctx, s, "%s",
	             mm_rule_guard(r, mm_sprintf(a, "%s AND NOT %s", mm_rule_column_exists(r, to), mm_rule_column_exists(r, from)),
	                           mm_sprintf(a, "ALTER TABLE %s RENAME COLUMN %s TO %s", r->qtable, mm_sql_ident(a, to),
	                                      mm_sql_ident(a, from))));
	return 0;
}

int mm_rule_rename_column(struct mm_rule_ctx *r)
{
	struct mm_arena *a = &r->ctx->arena;
	const PgQuery__RenameStmt *rn = r->ch->node->rename_stmt;
	const char *from = rn->subname, *to = rn->newname;
	if (r->table_is_new) {
		mm_rule_passthrough(r, "the table was created earlier in this input, so no application uses it yet");
		return 0;
	}
	if (!r->table && r->model->known)
		return 0;
	if (r->table && mm_table_find_column(r->table, from) && mm_table_find_column(r->table, to) && !expand_ran(r, from))
		return name_taken(r, "column \"%s\" of relation \"%s\" already exists", to);
	const char *blocker = mm_swap_blocker(r, from, false);
	if (blocker) {
		if (!r->table)
			return mm_error_hint(r->ctx, r->ch->stmt->src, r->ch->stmt->off, r->ch->stmt->len,
			                     "pass --schema, --dir or --db so mkmig knows the table",
			                     "the type of %s.%s is unknown: cannot plan the expand/contract rename",
			                     r->qtable, mm_sql_ident(a, from));
		return plain_rename(r, blocker, from, to);
	}
	const struct mm_column *c = mm_table_find_column(r->table, from);
	if (!c)
		return 0;
	struct mm_swap sw = {
		.old_col = from,
		.new_col = to,
		.final_col = to,
		.new_type = c->collation ? mm_sprintf(a, "%s COLLATE %s", c->type, mm_sql_ident(a, c->collation)) : c->type,
		.forward = mm_sql_parse_expr(r->ctx, mm_sql_ident(a, from)),
		.backward = mm_sql_parse_expr(r->ctx, mm_sql_ident(a, to)),
		.what = mm_sprintf(a, "rename %s.%s to %s", r->qtable, mm_sql_ident(a, from), mm_sql_ident(a, to)),
		.app_change = mm_sprintf(a, "deploy the application version that reads and writes %s.%s (not %s) everywhere",
		                         r->qtable, mm_sql_ident(a, to), mm_sql_ident(a, from)),
	};
	if (mm_rule_swap(r, &sw) != 0)
		return -1;
	struct mm_step *contract = mm_swap_contract_step(r);
	/* Undo: the new column holds every value; renaming it back restores the column, and the
	 * indexes and constraints already carry their original names. */
	contract->down_plpgsql = true;
	mm_step_down(r->ctx, contract, "%s",
	             mm_rule_guard(r, mm_sprintf(a, "%s AND NOT %s", mm_rule_column_exists(r, to), mm_rule_column_exists(r, from)),
	                           mm_sprintf(a, "ALTER TABLE %s RENAME COLUMN %s TO %s", r->qtable, mm_sql_ident(a, to),
	                                      mm_sql_ident(a, from))));
	return 0;
}

int mm_rule_rename_table(struct mm_rule_ctx *r)
{
	struct mm_arena *a = &r->ctx->arena;
	const PgQuery__RenameStmt *rn = r->ch->node->rename_stmt;
	if (r->table_is_new || (r->table && r->table->kind != MM_REL_TABLE && r->table->kind != MM_REL_PARTITIONED)) {
		mm_rule_passthrough(r, r->table_is_new ? "the table was created earlier in this input" : NULL);
		return 0;
	}
	if (!r->table && r->model->known)
		return 0;
	if (r->table && mm_model_relname_taken(r->model, r->schema, rn->newname))
		return name_taken(r, "relation \"%s\" already exists", rn->newname);
	/* A later statement naming either table would meet the compatibility view or miss the new
	 * name: the rename keeps its place. */
	const char *qnew = mm_sql_qname(a, r->schema, rn->newname);
	const char *names[] = { r->name, rn->newname };
	const char *later = mm_rule_later_use(r, names, 2);
	if (later) {
		mm_rule_passthrough(r, NULL);
		struct mm_step *s = mm_vec_at(&r->plan->steps, r->plan->steps.len - 1);
		s->plpgsql = true;
		s->up = (struct mm_vec){ 0 };
		mm_step_up(r->ctx, s, "%s",
		           mm_rule_guard(r, mm_sprintf(a, "pg_catalog.to_regclass(%s) IS NULL", mm_sql_literal(a, qnew)),
		                         mm_sprintf(a, "ALTER TABLE %s RENAME TO %s", r->qtable, mm_sql_ident(a, rn->newname))));
		s->warning = mm_sprintf(a, "renamed in place, without a compatibility view (%s): application code still "
		                           "using %s fails from this moment",
		                        later, r->qtable);
		return 0;
	}
	const char *qold = r->qtable;
	struct mm_step *e = mm_step_new(r->ctx, r->plan, r->ch, MM_PHASE_EXPAND, MM_UNIT_TX,
	                                mm_sprintf(a, "rename %s to %s, with a view under the old name", qold, qnew));
	/* A re-run finds the table renamed already (and perhaps the view dropped by the contract). */
	e->plpgsql = true;
	mm_step_up(r->ctx, e, "%s",
	           mm_rule_guard(r, mm_sprintf(a, "pg_catalog.to_regclass(%s) IS NULL", mm_sql_literal(a, qnew)),
	                         mm_sprintf(a, "ALTER TABLE %s RENAME TO %s", qold, mm_sql_ident(a, rn->newname))));
	mm_step_up(r->ctx, e, "%s",
	           mm_rule_guard(r, mm_sprintf(a, "pg_catalog.to_regclass(%s) IS NULL", mm_sql_literal(a, qold)),
	                         mm_sprintf(a, "CREATE VIEW %s AS SELECT * FROM %s", qold, qnew)));
	mm_step_down(r->ctx, e, "DROP VIEW IF EXISTS %s", qold);
	mm_step_down(r->ctx, e, "ALTER TABLE %s RENAME TO %s", qnew, mm_sql_ident(a, r->name));
	mm_step_lock(r->ctx, e, qold, MM_LOCK_ACCESS_EXCLUSIVE, MM_WORK_CATALOG);
	mm_step_why(r->ctx, e, "the application version still running uses the old name: a simple SELECT * view "
	                       "is updatable, so its reads and writes keep working until the contract phase");
	mm_plan_checkpoint(r->ctx, r->plan, MM_PHASE_CONTRACT,
	                   "deploy the application version that uses %s (not %s) everywhere", qnew, qold);
	mm_plan_contract_guard(r->ctx, r->plan, NULL, mm_sprintf(a, "pg_catalog.to_regclass(%s) IS NOT NULL", mm_sql_literal(a, qnew)), NULL,
	                       "rename %s to %s: the expand phase has not run (%s does not exist)", qold, qnew, qnew);
	struct mm_step *c = mm_step_new(r->ctx, r->plan, r->ch, MM_PHASE_CONTRACT, MM_UNIT_TX,
	                                mm_sprintf(a, "drop the compatibility view %s", qold));
	mm_step_up(r->ctx, c, "DROP VIEW IF EXISTS %s", qold);
	c->down_plpgsql = true;
	mm_step_down(r->ctx, c, "%s",
	             mm_rule_guard(r, mm_sprintf(a, "pg_catalog.to_regclass(%s) IS NULL", mm_sql_literal(a, qold)),
	                           mm_sprintf(a, "CREATE VIEW %s AS SELECT * FROM %s", qold, qnew)));
	mm_step_lock(r->ctx, c, qold, MM_LOCK_ACCESS_EXCLUSIVE, MM_WORK_CATALOG);
	return 0;
}
