/*
 * alter_type.c — ALTER COLUMN TYPE without a rewrite under ACCESS EXCLUSIVE.
 *
 * PostgreSQL skips the rewrite when the conversion is binary coercible or only relaxes a length
 * or precision limit (ATColumnChangeRequiresRewrite, tablecmds.c; docs: sql-altertable.html,
 * Notes). Those changes are kept as one statement under lock_timeout — unless a view reads the
 * column (the statement would fail: "cannot alter type of a column used by a view or rule").
 * Every other change — and any USING — is an expand/contract swap (swap.c): new column of the
 * new type, sync trigger, batched backfill with the cast or the USING expression, swap.
 * The list below is the empirically checked one of pg-facts §2 (identical on 11-18).
 */
#include "swap.h"
#include "casts.h"
#include "../model/model_internal.h"

#include <stdlib.h>
#include <string.h>

struct typeinfo {
	const char *name;  /* canonical base type name (pg_catalog spelling) */
	int nmods;
	long mods[2];
	bool array;
};

/* Spellings a person may type for the types whose changes can skip the rewrite. The grammar
 * already maps keywords (VARCHAR, NUMERIC, INTEGER, ...) to pg_catalog names. */
static const struct {
	const char *alias, *canonical;
} aliases[] = {
	{ "character varying", "varchar" }, { "decimal", "numeric" }, { "timestamp without time zone", "timestamp" },
	{ "timestamp with time zone", "timestamptz" }, { "bit varying", "varbit" },
	{ "time without time zone", "time" }, { "time with time zone", "timetz" },
};

static bool parse_type(struct mm_rule_ctx *r, PgQuery__TypeName *tn, struct typeinfo *ti)
{
	memset(ti, 0, sizeof(*ti));
	if (!tn || !tn->n_names)
		return false;
	PgQuery__Node *last = tn->names[tn->n_names - 1];
	if (last->node_case != PG_QUERY__NODE__NODE_STRING)
		return false;
	ti->name = last->string->sval;
	for (size_t i = 0; i < MM_ARRAY_LEN(aliases); i++)
		if (strcmp(ti->name, aliases[i].alias) == 0)
			ti->name = aliases[i].canonical;
	ti->array = tn->n_array_bounds > 0;
	for (size_t i = 0; i < tn->n_typmods && i < 2; i++) {
		PgQuery__Node *m = tn->typmods[i];
		if (m->node_case != PG_QUERY__NODE__NODE_A_CONST || m->a_const->val_case != PG_QUERY__A__CONST__VAL_IVAL)
			return false;
		ti->mods[ti->nmods++] = m->a_const->ival->ival;
	}
	(void)r;
	return true;
}

static bool same_name(const struct typeinfo *a, const char *n)
{
	return strcmp(a->name, n) == 0;
}

/* True when changing from one type to the other needs no table rewrite (pg-facts §2). */
static bool no_rewrite(const struct typeinfo *from, const struct typeinfo *to)
{
	if (from->array || to->array)
		return from->array == to->array && same_name(from, to->name) && from->nmods == to->nmods &&
		       (!from->nmods || from->mods[0] == to->mods[0]);
	/* Same type, wider or no limit. */
	static const char *const length_types[] = { "varchar", "varbit", "timestamp", "timestamptz", "time", "timetz", "interval" };
	for (size_t i = 0; i < MM_ARRAY_LEN(length_types); i++)
		if (same_name(from, length_types[i]) && same_name(to, length_types[i]))
			return to->nmods == 0 || (from->nmods == 1 && to->mods[0] >= from->mods[0]);
	if (same_name(from, "numeric") && same_name(to, "numeric")) {
		if (to->nmods == 0)
			return true;
		long fs = from->nmods == 2 ? from->mods[1] : 0, ts = to->nmods == 2 ? to->mods[1] : 0;
		return from->nmods >= 1 && fs == ts && to->mods[0] >= from->mods[0];
	}
	/* Binary coercible without a length check. */
	if (same_name(from, "varchar") && same_name(to, "text"))
		return true;
	if (same_name(from, "text") && same_name(to, "varchar"))
		return to->nmods == 0;
	if (same_name(from, "cidr") && same_name(to, "inet"))
		return true;
	return from->nmods == to->nmods && same_name(from, to->name) &&
	       (!from->nmods || (from->mods[0] == to->mods[0] && from->mods[1] == to->mods[1]));
}

/* The new type as written in the statement (ColumnDef has only its start): the tokens from there
 * up to USING, COLLATE, a ',' or the end, parentheses balanced. Falls back to the statement. */
static void type_span(struct mm_rule_ctx *r, const PgQuery__TypeName *tn, size_t *off, size_t *len)
{
	const struct mm_stmt *st = r->ch->stmt;
	*off = st->off;
	*len = st->len;
	struct mm_token *t = NULL;
	long n = st->text && tn->location >= (int)st->off ? mm_sql_scan(r->ctx, st->text, &t) : -1;
	size_t at = tn->location >= 0 ? (size_t)tn->location - st->off : 0;
	long i = 0;
	while (i < n && t[i].start < at)
		i++;
	if (i >= n || t[i].start != at)
		return;
	long last = i;
	int depth = 0;
	for (long k = i; k < n; k++) {
		const char *kw = t[k].keyword;
		if (depth == 0 && (t[k].ch == ',' || t[k].ch == ';' || (kw && (!strcmp(kw, "using") || !strcmp(kw, "collate")))))
			break;
		depth += t[k].ch == '(' ? 1 : t[k].ch == ')' ? -1 : 0;
		if (depth < 0)
			break;
		last = k;
	}
	*off = st->off + t[i].start;
	*len = t[last].end - t[i].start;
}

static const char *table_column_type(const char *column, void *arg)
{
	const struct mm_column *c = mm_table_find_column(arg, column);
	return c ? c->type : NULL;
}

/* USING that is just the column itself changes nothing. */
static bool trivial_using(PgQuery__Node *u, const char *column)
{
	if (!u)
		return true;
	if (u->node_case != PG_QUERY__NODE__NODE_COLUMN_REF || u->column_ref->n_fields != 1)
		return false;
	PgQuery__Node *f = u->column_ref->fields[0];
	return f->node_case == PG_QUERY__NODE__NODE_STRING && strcmp(f->string->sval, column) == 0;
}

static void note_in_place_costs(struct mm_rule_ctx *r, struct mm_step *s, const char *column)
{
	struct mm_arena *a = &r->ctx->arena;
	const struct mm_table *t = r->table;
	for (size_t i = 0; i < t->constraints.len; i++) {
		const struct mm_constraint *c = mm_vec_at(&t->constraints, i);
		bool on_col = false;
		for (size_t j = 0; j < c->columns.len && !on_col; j++)
			on_col = strcmp(mm_vec_at(&c->columns, j), column) == 0;
		if (c->type == MM_CON_CHECK && c->definition && strstr(c->definition, column))
			s->warning = mm_sprintf(a, "CHECK constraint %s is re-validated by a full scan under ACCESS EXCLUSIVE "
			                           "even without a rewrite",
			                        mm_sql_ident(a, c->name));
		if (c->type == MM_CON_FOREIGN && on_col)
			mm_step_lock(r->ctx, s, mm_sql_qname(a, c->ref_schema, c->ref_table), MM_LOCK_ACCESS_EXCLUSIVE,
			             MM_WORK_CATALOG);
	}
}

struct fn_acc {
	struct mm_arena *a;
	struct mm_vec *out;
};

static bool collect_functions(PgQuery__Node *n, void *arg)
{
	struct fn_acc *acc = arg;
	if (n->node_case == PG_QUERY__NODE__NODE_FUNC_CALL && n->func_call->n_funcname)
		mm_vec_push(acc->a, acc->out, n->func_call->funcname[n->func_call->n_funcname - 1]->string->sval);
	return true;
}

int mm_rule_alter_type(struct mm_rule_ctx *r)
{
	struct mm_arena *a = &r->ctx->arena;
	PgQuery__AlterTableCmd *cmd = r->ch->node->alter_table_cmd;
	PgQuery__ColumnDef *cd = cmd->def->column_def;
	const char *column = cmd->name;
	if (r->table_is_new)
		return mm_rule_passthrough(r, "the table was created earlier in this input");
	if (!r->table) {
		if (r->model->known)
			return 0;
		return mm_error_hint(r->ctx, r->ch->stmt->src, r->ch->stmt->off, r->ch->stmt->len,
		                     "pass --schema, --dir or --db so mkmig knows the table",
		                     "the type of %s.%s is unknown: cannot tell whether the change rewrites the table",
		                     r->qtable, mm_sql_ident(a, column));
	}
	const struct mm_column *c = mm_table_find_column(r->table, column);
	if (!c)
		return 0;
	struct typeinfo from, to;
	PgQuery__TypeName *old_tn = mm_sql_parse_type(r->ctx, c->type);
	bool known = parse_type(r, old_tn, &from) && parse_type(r, cd->type_name, &to);
	bool collation_change = cd->coll_clause != NULL;
	struct mm_vec views = { 0 };
	mm_model_dependent_views(r->model, r->table, &views);
	/* Without USING PostgreSQL converts with an assignment cast; a USING result is converted to
	 * the new type the same way (casts.c). */
	enum mm_cast cast = mm_cast_between(old_tn, cd->type_name, r->ctx->opt.pg_version);
	const char *to_name = mm_model_type_name(r->model, cd->type_name);
	size_t type_off, type_len;
	type_span(r, cd->type_name, &type_off, &type_len);
	if (!cd->raw_default && (cast == MM_CAST_EXPLICIT || cast == MM_CAST_NONE))
		return mm_error_hint(r->ctx, r->ch->stmt->src, type_off, type_len,
		                     cast == MM_CAST_EXPLICIT
		                         ? mm_sprintf(a, "say how to convert the values: USING %s::%s (in a change spec: using '...')",
		                                      mm_sql_ident(a, column), to_name)
		                         : mm_sprintf(a, "PostgreSQL has no conversion from %s to %s: say how to compute the new "
		                                         "values with USING (in a change spec: using '...')",
		                                      c->type, to_name),
		                     "column %s of type %s cannot be cast automatically to type %s", mm_sql_ident(a, column),
		                     c->type, to_name);
	if (cd->raw_default &&
	    mm_cast_check_value(r->model, r->ch->stmt->src, cd->raw_default, to_name,
	                        table_column_type, (void *)r->table,
	                        mm_sprintf(a, "result of USING clause for column %s", mm_sql_ident(a, column))) != 0)
		return -1;
	if (known && !collation_change && trivial_using(cd->raw_default, column) && no_rewrite(&from, &to) && !views.len) {
		mm_rule_passthrough(r, NULL);
		struct mm_step *s = mm_vec_at(&r->plan->steps, r->plan->steps.len - 1);
		struct mm_lock_use *l = mm_vec_at(&s->locks, 0);
		l->work = MM_WORK_CATALOG;
		mm_step_why(r->ctx, s, "%s to %s is binary coercible or only relaxes a limit: PostgreSQL changes the "
		                       "catalog without rewriting the table (indexes on the column are kept)",
		            c->type, mm_sql_deparse_type(r->ctx, cd->type_name));
		mm_step_down(r->ctx, s, "ALTER TABLE %s ALTER COLUMN %s TYPE %s", r->qtable, mm_sql_ident(a, column), c->type);
		s->down_warning = mm_sprintf(a, "narrowing %s back to %s rewrites the table under ACCESS EXCLUSIVE and fails "
		                                "if a longer value was written meanwhile",
		                             mm_sql_ident(a, column), c->type);
		note_in_place_costs(r, s, column);
		return 0;
	}
	/* The down (and the sync back to the old column) casts the new values back: PostgreSQL may
	 * have no conversion that way (integer to money has one, money to integer none). */
	const char *no_way_back =
	    mm_cast_between(cd->type_name, old_tn, r->ctx->opt.pg_version) == MM_CAST_NONE
	        ? mm_sprintf(a, "PostgreSQL has no conversion from %s back to %s: the down cannot change %s back (restore it "
	                        "from a backup or write the conversion by hand)",
	                     to_name, c->type, mm_sql_ident(a, column))
	        : NULL;
	const char *blocker = mm_swap_blocker(r, column, true);
	if (!blocker && cd->raw_default) {
		/* The backfill runs the USING expression after later statements that may drop what it
		 * calls (a conversion function written for this migration, say). */
		struct mm_vec fns = { 0 };
		mm_sql_walk(cd->raw_default, collect_functions, &(struct fn_acc){ a, &fns });
		blocker = mm_rule_later_use(r, (const char *const *)fns.items, fns.len);
	}
	if (blocker) {
		mm_rule_passthrough(r, NULL);
		struct mm_step *s = mm_vec_at(&r->plan->steps, r->plan->steps.len - 1);
		s->warning = mm_sprintf(a, "rewrites %s under ACCESS EXCLUSIVE (no expand/contract: %s)", r->qtable, blocker);
		if (no_way_back)
			s->down_warning = no_way_back;
		else
			mm_step_down(r->ctx, s, "ALTER TABLE %s ALTER COLUMN %s TYPE %s USING %s::%s", r->qtable,
			             mm_sql_ident(a, column), c->type, mm_sql_ident(a, column), c->type);
		return 0;
	}
	const char *new_type = mm_sql_deparse_type(r->ctx, cd->type_name);
	if (cd->coll_clause)
		new_type = mm_sprintf(a, "%s COLLATE %s", new_type,
		                      mm_sql_ident(a, cd->coll_clause->collname[cd->coll_clause->n_collname - 1]->string->sval));
	const char *qcol = mm_sql_ident(a, column);
	const char *tmp = mm_name_helper(a, column, "mkmig_new");
	PgQuery__Node *fwd = trivial_using(cd->raw_default, column)
	                         ? mm_sql_parse_expr(r->ctx, mm_sprintf(a, "CAST(%s AS %s)", qcol, new_type))
	                         : cd->raw_default;
	/* Without USING the reverse cast keeps old writers and readers working; with USING there is
	 * no known inverse, so the old column is only written by the old application. */
	PgQuery__Node *bwd = trivial_using(cd->raw_default, column) && !no_way_back
	                         ? mm_sql_parse_expr(r->ctx, mm_sprintf(a, "CAST(%s AS %s)", mm_sql_ident(a, tmp), c->type))
	                         : NULL;
	struct mm_swap sw = {
		.old_col = column,
		.new_col = tmp,
		.final_col = column,
		.new_type = new_type,
		.forward = fwd,
		.backward = bwd,
		.what = mm_sprintf(a, "change %s.%s to %s", r->qtable, qcol, new_type),
		.app_change = mm_sprintf(a, "deploy the application version that works with %s.%s as %s everywhere", r->qtable,
		                         qcol, new_type),
		.rebuild_views = true,
	};
	if (mm_rule_swap(r, &sw) != 0)
		return -1;
	struct mm_step *contract = mm_swap_contract_step(r);
	if (no_way_back) {
		contract->down_warning = no_way_back;
		if (!bwd)
			contract->warning = mm_sprintf(a, "writes of the new application to %s are not copied back to the old "
			                                  "column during the transition (no conversion back)",
			                               mm_sql_ident(a, tmp));
		return 0;
	}
	for (size_t i = 0; i < views.len; i++) {
		const struct mm_table *v = mm_vec_at(&views, i);
		mm_step_down(r->ctx, contract, "DROP VIEW %s", mm_sql_qname(a, v->schema, v->name));
	}
	mm_step_down(r->ctx, contract, "ALTER TABLE %s ALTER COLUMN %s TYPE %s USING %s::%s", r->qtable, qcol, c->type, qcol,
	             c->type);
	for (size_t i = 0; i < views.len; i++) {
		const struct mm_table *v = mm_vec_at(&views, i);
		mm_step_down(r->ctx, contract, "CREATE VIEW %s AS %s", mm_sql_qname(a, v->schema, v->name), v->view_definition);
	}
	contract->down_warning = mm_sprintf(a, "changing %s back to %s rewrites %s under ACCESS EXCLUSIVE", qcol, c->type,
	                                    r->qtable);
	if (!bwd)
		contract->warning = mm_sprintf(a, "the USING expression has no inverse: writes of the new application to %s "
		                                  "are not copied back to the old column during the transition",
		                                  mm_sql_ident(a, tmp));
	return 0;
}
