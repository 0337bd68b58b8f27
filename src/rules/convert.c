/*
 * convert.c — `convert T.OLD to NEW TYPE using EXPR [back EXPR]` (the data migration every team
 * writes by hand) and `backfill T.COL using EXPR`, the two change-spec statements that have no
 * one-statement SQL form.
 *
 * convert is an expand/contract swap (swap.c) into a fresh column:
 *   expand    NEW added nullable (kept if an earlier attempt added it with the same type), a
 *             trigger computing NEW from OLD for the old application's writes and OLD from NEW
 *             through `back` for the new application's
 *   backfill  rows where NEW IS NULL only (rows migrated by hand are left alone), in committed
 *             batches; a row whose EXPR raises stops the batch naming its key; then a validation
 *             that counts the rows EXPR left NULL and stops, naming a few keys, before anything
 *             the applications notice; then NOT NULL (when OLD had it, or asked for) the safe way
 *   contract  drop OLD and the trigger
 * Down restores OLD from NEW through `back`; without `back` it says the data cannot come back.
 */
#include "swap.h"
#include "casts.h"
#include "../model/model_internal.h"

#include <string.h>

/* Rows EXPR gave NULL for a non-NULL OLD: the count and a few keys, then stop. Both application
 * versions keep working (the trigger is in place, OLD untouched); fix the rows, run again. */
static void validate_step(struct mm_rule_ctx *r, const struct mm_swap *sw)
{
	struct mm_arena *a = &r->ctx->arena;
	const char *o = mm_sql_ident(a, sw->old_col), *n = mm_sql_ident(a, sw->new_col);
	const struct mm_constraint *pk = mm_table_primary_key(r->table);
	struct mm_buf keys = MM_BUF_INIT;
	for (size_t i = 0; pk && i < pk->columns.len; i++)
		mm_buf_addf(&keys, "%st.%s::text", i ? " || ', ' || " : "", mm_sql_ident(a, mm_vec_at(&pk->columns, i)));
	const char *bad = mm_sprintf(a, "t.%s IS NULL AND t.%s IS NOT NULL", n, o);
	struct mm_step *s = mm_step_new(r->ctx, r->plan, r->ch, MM_PHASE_BACKFILL, MM_UNIT_TX,
	                                mm_sprintf(a, "%s: check that every row converted", sw->what));
	s->plpgsql = true;
	s->no_timeout = true;
	const char *fmt = mm_sprintf(a, "mkmig: %s: %%s rows could not be converted (%s is NULL where %s is not), "
	                                "e.g. the rows with key %%s",
	                             sw->what, n, o);
	const char *hint = mm_sprintf(a, "both application versions keep working; fix those rows (set %s, or change %s) "
	                                 "and run the script again",
	                              n, o);
	/* Nested: after the contract (a re-run) the old column is gone, and PL/pgSQL plans the inner
	 * query only when it runs. */
	mm_step_up(r->ctx, s,
	           "IF %s THEN\n"
	           "    IF EXISTS (SELECT FROM %s AS t WHERE %s) THEN\n"
	           "        RAISE EXCEPTION USING MESSAGE = pg_catalog.format(%s,\n"
	           "            (SELECT count(*) FROM %s AS t WHERE %s),\n"
	           "            (SELECT pg_catalog.string_agg('(' || k || ')', ', ') FROM (SELECT %s AS k FROM %s AS t WHERE %s LIMIT 5) AS s)),\n"
	           "            HINT = %s;\n"
	           "    END IF;\n"
	           "END IF",
	           mm_rule_column_exists(r, sw->old_col), r->qtable, bad, mm_sql_literal(a, fmt), r->qtable, bad,
	           keys.len ? keys.buf : "'?'", r->qtable, bad, mm_sql_literal(a, hint));
	mm_buf_release(&keys);
	mm_step_lock(r->ctx, s, r->qtable, MM_LOCK_ACCESS_SHARE, MM_WORK_SCAN);
	mm_step_why(r->ctx, s, "a row whose using expression gives NULL would lose its data when %s is dropped: the "
	                       "change stops here, naming such rows, with nothing the applications notice", o);
}

/* Is the index the one a UNIQUE, PRIMARY KEY or EXCLUDE constraint of t owns? */
static bool backs_constraint(const struct mm_table *t, const struct mm_index *ix)
{
	for (size_t i = 0; i < t->constraints.len; i++) {
		const struct mm_constraint *k = mm_vec_at(&t->constraints, i);
		if (k->type != MM_CON_CHECK && k->type != MM_CON_FOREIGN && (mm_streq(k->index_name, ix->name) || mm_streq(k->name, ix->name)))
			return true;
	}
	return false;
}

/* Column types for the convert's expressions: the table's, and the new column's as declared. */
struct convert_types {
	const struct mm_table *table;
	const struct mm_convert *cv;
	const char *new_type; /* as the model prints it */
};

static const char *convert_column_type(const char *column, void *arg)
{
	const struct convert_types *ct = arg;
	if (strcmp(column, ct->cv->new_col) == 0)
		return ct->new_type;
	const struct mm_column *c = mm_table_find_column(ct->table, column);
	return c ? c->type : NULL;
}

static bool same_type(struct mm_rule_ctx *r, const char *have, PgQuery__TypeName *want)
{
	return strcmp(have, mm_model_type_name(r->model, want)) == 0;
}

int mm_rule_convert(struct mm_rule_ctx *r)
{
	struct mm_arena *a = &r->ctx->arena;
	const struct mm_convert *cv = r->ch->convert;
	const struct mm_stmt *st = r->ch->stmt;
	if (!r->table) {
		if (r->model->known)
			return 0; /* the model reports the unknown table */
		return mm_error_hint(r->ctx, st->src, st->off, st->len, "pass --schema, --dir or --db so mkmig knows the table",
		                     "convert needs to know %s (its primary key and the column's type)", r->qtable);
	}
	const struct mm_column *oc = mm_table_find_column(r->table, cv->old_col);
	if (!oc)
		return 0; /* the model reports the unknown column (at DROP COLUMN) */
	const struct mm_column *nc = mm_table_find_column(r->table, cv->new_col);
	if (nc && !same_type(r, nc->type, cv->type_name))
		return mm_error_hint(r->ctx, st->src, cv->new_off, cv->new_len,
		                     "convert carries on into an existing column only when it has the same type (an "
		                     "earlier attempt); choose another name or drop it first",
		                     "column %s of %s already exists with type %s, not %s", mm_sql_ident(a, cv->new_col),
		                     r->qtable, nc->type, mm_model_type_name(r->model, cv->type_name));
	if (r->table_is_new)
		return mm_error(r->ctx, st->src, st->off, st->len,
		                "convert on %s, a table created earlier in this input: write the new column directly", r->qtable);
	/* The backfill stores EXPR in NEW and the down stores back in OLD, each as UPDATE SET does:
	 * with an assignment cast (casts.c). */
	struct convert_types ct = { r->table, cv, mm_model_type_name(r->model, cv->type_name) };
	if (mm_cast_check_value(r->model, cv->forward_src, cv->forward, ct.new_type,
	                        convert_column_type, &ct, mm_sprintf(a, "the using expression for %s", mm_sql_ident(a, cv->new_col))) ||
	    (cv->back && mm_cast_check_value(r->model, cv->back_src, cv->back, oc->type, convert_column_type, &ct,
	                                     mm_sprintf(a, "the back expression for %s", mm_sql_ident(a, cv->old_col)))))
		return -1;
	const char *blocker = mm_swap_blocker(r, cv->old_col, false);
	if (blocker)
		return mm_error(r->ctx, st->src, st->off, st->len, "cannot convert %s.%s: %s", r->qtable,
		                mm_sql_ident(a, cv->old_col), blocker);
	const char *qo = mm_sql_ident(a, cv->old_col), *qn = mm_sql_ident(a, cv->new_col);
	struct mm_swap sw = {
		.old_col = cv->old_col,
		.new_col = cv->new_col,
		.final_col = cv->new_col,
		.new_type = cv->type,
		.forward = cv->forward,
		.backward = cv->back,
		.what = mm_sprintf(a, "convert %s.%s to %s", r->qtable, qo, qn),
		.app_change = mm_sprintf(a, "deploy the application version that reads and writes %s.%s (not %s) everywhere",
		                         r->qtable, qn, qo),
		.pending = mm_sprintf(a, "t.%s IS NULL AND t.%s IS NOT NULL", qn, qo),
		.fresh_column = true,
		.not_null = cv->not_null,
		.after_backfill = validate_step,
	};
	if (mm_rule_swap(r, &sw) != 0)
		return -1;
	struct mm_step *e = NULL, *c = mm_swap_contract_step(r);
	for (size_t i = 0; i < r->plan->steps.len && !e; i++) {
		struct mm_step *s = mm_vec_at(&r->plan->steps, i);
		if (s->change == r->ch && s->phase == MM_PHASE_EXPAND)
			e = s;
	}
	if (nc && e) {
		/* The column was there before (an earlier attempt): the down keeps it, as it was. */
		e->down.len--;
		if (!nc->not_null)
			mm_step_down(r->ctx, e, "ALTER TABLE %s ALTER COLUMN %s DROP NOT NULL", r->qtable, qn);
	}
	/* Down of the contract: OLD back, computed from NEW (PL/pgSQL: guarded steps, so a re-run of
	 * the down goes through). */
	c->down_plpgsql = true;
	/* Added without its default first: a default would fill every row before the UPDATE. */
	mm_step_down(r->ctx, c, "ALTER TABLE %s ADD COLUMN IF NOT EXISTS %s %s%s", r->qtable, qo, oc->type,
	             oc->collation ? mm_sprintf(a, " COLLATE %s", mm_sql_ident(a, oc->collation)) : "");
	if (cv->back) {
		mm_step_down(r->ctx, c, "UPDATE %s AS t SET %s = %s WHERE t.%s IS NULL", r->qtable, qo,
		             mm_swap_qualified(r, cv->back, "t"), qo);
		if (oc->not_null)
			mm_step_down(r->ctx, c, "ALTER TABLE %s ALTER COLUMN %s SET NOT NULL", r->qtable, qo);
		if (oc->default_expr)
			mm_step_down(r->ctx, c, "ALTER TABLE %s ALTER COLUMN %s SET DEFAULT %s", r->qtable, qo, oc->default_expr);
		c->down_warning = mm_sprintf(a, "restores %s from %s through the back expression in one transaction (an "
		                                "UPDATE of every row; a NOT NULL scan and its index and constraint builds under ACCESS EXCLUSIVE)",
		                             qo, qn);
	}
	/* Dropping the old column dropped its indexes and the constraints on it (UNIQUE, CHECK,
	 * FOREIGN KEY): the down rebuilds them, guarded so a re-run goes through (the restored column
	 * is complete only with them). An index that backs a constraint comes back with the
	 * constraint. They are built inside the down's one transaction, which already holds ACCESS
	 * EXCLUSIVE for the UPDATE of every row (the down warning says so); a PRIMARY KEY or EXCLUDE
	 * column is never converted (mm_swap_blocker). */
	for (size_t i = 0; i < r->table->indexes.len; i++) {
		const struct mm_index *ix = mm_vec_at(&r->table->indexes, i);
		if (ix->definition && !ix->primary && !backs_constraint(r->table, ix) &&
		    mm_swap_mentions(r, ix->definition, cv->old_col, NULL))
			mm_step_down(r->ctx, c, "%s", mm_rule_index_sql(r, ix, false));
	}
	for (size_t i = 0; i < r->table->constraints.len; i++) {
		const struct mm_constraint *k = mm_vec_at(&r->table->constraints, i);
		bool fk = k->type == MM_CON_FOREIGN;
		if ((k->type != MM_CON_CHECK && k->type != MM_CON_UNIQUE && !fk) || !k->definition ||
		    !mm_swap_mentions(r, k->definition, cv->old_col, fk ? "references" : NULL))
			continue;
		mm_step_down(r->ctx, c, "%s",
		             mm_rule_guard(r, mm_sprintf(a, "NOT %s", mm_rule_constraint_exists(r, k->name)),
		                           mm_sprintf(a, "ALTER TABLE %s ADD CONSTRAINT %s %s", r->qtable, mm_sql_ident(a, k->name),
		                                      k->definition)));
	}
	if (!cv->back) {
		if (oc->default_expr)
			mm_step_down(r->ctx, c, "ALTER TABLE %s ALTER COLUMN %s SET DEFAULT %s", r->qtable, qo, oc->default_expr);
		c->down_warning = mm_sprintf(a, "the data of %s.%s cannot come back: the convert has no back expression; "
		                                "the down adds %s again, empty (NULL)%s",
		                             r->qtable, qo, qo, oc->not_null ? " and without its NOT NULL" : "");
	}
	return 0;
}

/* backfill T.COL using EXPR [where COND]: a batched, resumable UPDATE (the naive one would hold
 * every row lock of the table in one transaction). */
int mm_rule_backfill_change(struct mm_rule_ctx *r)
{
	struct mm_arena *a = &r->ctx->arena;
	const PgQuery__UpdateStmt *u = r->ch->node->update_stmt;
	const PgQuery__ResTarget *rt = u->target_list[0]->res_target;
	const struct mm_stmt *st = r->ch->stmt;
	if (!r->table) {
		if (r->model->known)
			return mm_error(r->ctx, st->src, (size_t)u->relation->location, strlen(u->relation->relname),
			                "table %s does not exist", r->qtable);
		return mm_error_hint(r->ctx, st->src, st->off, st->len, "pass --schema, --dir or --db so mkmig knows the table",
		                     "a batched backfill needs the primary key of %s", r->qtable);
	}
	const struct mm_column *col = mm_table_find_column(r->table, rt->name);
	if (!col)
		return mm_error(r->ctx, st->src, (size_t)rt->location, strlen(rt->name), "column %s of %s does not exist",
		                mm_sql_ident(a, rt->name), r->qtable);
	const char *qc = mm_sql_ident(a, rt->name);
	const char *val = mm_swap_qualified(r, rt->val, "t");
	const char *pending = mm_sprintf(a, "t.%s IS DISTINCT FROM %s", qc, val);
	if (u->where_clause)
		pending = mm_sprintf(a, "(%s) AND %s", mm_swap_qualified(r, u->where_clause, "t"), pending);
	if (mm_rule_backfill_rows(r, rt->name, mm_sprintf(a, "%s = %s", qc, val), pending, NULL,
	                          mm_sprintf(a, "CAST(%s AS %s)", val, col->type)) != 0)
		return -1;
	struct mm_step *s = mm_vec_at(&r->plan->steps, r->plan->steps.len - 1);
	s->down_warning = mm_sprintf(a, "the values the backfill replaced in %s.%s cannot come back", r->qtable, qc);
	return 0;
}
