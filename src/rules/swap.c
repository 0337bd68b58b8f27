/*
 * swap.c — expand/contract of one column, for RENAME COLUMN and for ALTER COLUMN TYPE when the
 * type change would rewrite the table (design.md, "Multi-deploy changes").
 *
 *   expand    add the new column (nullable, no default), a trigger that keeps old and new in
 *             sync on every INSERT and UPDATE, so that old and new application versions both work
 *   backfill  copy existing rows in batches; then NOT NULL, indexes and constraints on the new
 *             column, each in its non-blocking form
 *   CHECKPOINT  the application must read and write the new column before going on
 *   contract  one short transaction: drop the trigger and the old column, give the new column
 *             its final name and default, and give the rebuilt indexes and constraints their
 *             original names
 *
 * The new column has no default until the contract: an INSERT that leaves it NULL came from the
 * old application (copy old to new), one that sets it came from the new (copy new to old). The
 * backfill marks its transactions (mkmig.backfill) so its writes are not echoed back.
 */
#include "swap.h"

#include <string.h>

struct rename_ref {
	const char *from;
	const char *to_sql;
};

static const char *rename_ident(const char *ident, void *arg)
{
	const struct rename_ref *rr = arg;
	return strcmp(ident, rr->from) == 0 ? rr->to_sql : NULL;
}

struct qualify_arg {
	struct mm_arena *a;
	const char *alias;
};

/* Prefix every unqualified column reference with the alias. Done on the tree: type names such as
 * "double precision" or "timestamp with time zone" in a cast are not columns. */
static bool qualify_ref(PgQuery__Node *n, void *arg)
{
	const struct qualify_arg *q = arg;
	if (n->node_case != PG_QUERY__NODE__NODE_COLUMN_REF || n->column_ref->n_fields != 1 ||
	    n->column_ref->fields[0]->node_case != PG_QUERY__NODE__NODE_STRING)
		return true;
	PgQuery__ColumnRef *c = n->column_ref;
	PgQuery__Node **fields = mm_alloc(q->a, 2 * sizeof(*fields));
	fields[0] = mm_sql_string_node(q->a, q->alias);
	fields[1] = c->fields[0];
	c->fields = fields;
	c->n_fields = 2;
	return true;
}

const char *mm_swap_qualified(struct mm_rule_ctx *r, PgQuery__Node *expr, const char *alias)
{
	const char *text = mm_sql_deparse_expr(r->ctx, expr);
	if (!text)
		return "NULL";
	/* A fresh tree per alias: the caller's expression stays as written. */
	PgQuery__Node *copy = mm_sql_parse_expr(r->ctx, text);
	if (!copy)
		return text;
	/* Stored names are folded: "NEW" would be quoted, and PL/pgSQL's record is new. */
	struct qualify_arg q = { &r->ctx->arena, mm_model_fold(&r->ctx->arena, alias) };
	mm_sql_walk(copy, qualify_ref, &q);
	const char *out = mm_sql_deparse_expr(r->ctx, copy);
	return out ? out : text;
}

const char *mm_swap_blocker(struct mm_rule_ctx *r, const char *column, bool rebuild_views)
{
	struct mm_arena *a = &r->ctx->arena;
	const struct mm_table *t = r->table;
	if (!t)
		return mm_sprintf(a, "the columns of %s are unknown (pass --schema, --dir or --db)", r->qtable);
	if (t->kind != MM_REL_TABLE)
		return "only plain tables are swapped (not partitioned tables, views or foreign tables)";
	/* Expand/contract spreads the change over phases; a later statement on the same table would
	 * meet the old column instead of the new one. */
	const char *names[] = { t->name };
	const char *later = mm_rule_later_use(r, names, 1);
	if (later)
		return later;
	const struct mm_column *c = mm_table_find_column(t, column);
	if (!c)
		return NULL; /* the model reports the missing column */
	if (c->identity)
		return "an identity column cannot be copied to a new column";
	if (c->generated)
		return "a generated column cannot be copied to a new column";
	struct mm_vec views = { 0 };
	mm_model_dependent_views(r->model, t, &views);
	if (views.len && !rebuild_views)
		return mm_sprintf(a, "views read %s, and dropping the old column would need them rebuilt", r->qtable);
	for (size_t i = 0; i < views.len; i++) {
		struct mm_vec deeper = { 0 };
		const struct mm_table *v = mm_vec_at(&views, i);
		mm_model_dependent_views(r->model, v, &deeper);
		if (deeper.len || !v->view_definition || v->kind != MM_REL_VIEW)
			return mm_sprintf(a, "%s is read by a view that other objects depend on", r->qtable);
	}
	for (size_t i = 0; i < t->constraints.len; i++) {
		const struct mm_constraint *k = mm_vec_at(&t->constraints, i);
		for (size_t j = 0; j < k->columns.len; j++)
			if (strcmp(mm_vec_at(&k->columns, j), column) == 0) {
				if (k->type == MM_CON_PRIMARY)
					return "the column is part of the primary key";
				if (k->type == MM_CON_EXCLUSION)
					return "the column is part of an EXCLUDE constraint";
			}
	}
	for (size_t i = 0; i < t->columns.len; i++) {
		const struct mm_column *g = mm_vec_at(&t->columns, i);
		if (g->generated && g->generation_expr && strstr(g->generation_expr, column))
			return "a generated column is computed from it";
	}
	for (size_t i = 0; i < r->model->tables.len; i++) {
		const struct mm_table *o = mm_vec_at(&r->model->tables, i);
		for (size_t k = 0; k < o->constraints.len; k++) {
			const struct mm_constraint *fk = mm_vec_at(&o->constraints, k);
			if (fk->type != MM_CON_FOREIGN || !mm_streq(fk->ref_table, t->name) || !mm_streq(fk->ref_schema, t->schema))
				continue;
			for (size_t j = 0; j < fk->ref_columns.len; j++)
				if (strcmp(mm_vec_at(&fk->ref_columns, j), column) == 0)
					return mm_sprintf(a, "foreign key %s of %s references it", mm_sql_ident(a, fk->name),
					                  mm_sql_qname(a, o->schema, o->name));
		}
	}
	return NULL;
}

/* Does a definition text mention the column (as a column)? */
static bool mentions(struct mm_rule_ctx *r, const char *def, const char *column, const char *stop);

bool mm_swap_mentions(struct mm_rule_ctx *r, const char *def, const char *column, const char *stop)
{
	return mentions(r, def, column, stop);
}

static bool mentions(struct mm_rule_ctx *r, const char *def, const char *column, const char *stop)
{
	struct rename_ref rr = { column, "\x01" };
	const char *out = mm_sql_rewrite_idents(r->ctx, def, stop, rename_ident, &rr);
	return out && strchr(out, '\x01');
}

static const char *renamed(struct mm_rule_ctx *r, const char *def, const char *from, const char *to, const char *stop)
{
	struct rename_ref rr = { from, mm_sql_ident(&r->ctx->arena, to) };
	const char *out = mm_sql_rewrite_idents(r->ctx, def, stop, rename_ident, &rr);
	return out ? out : def;
}

/* The trigger function that keeps the two columns in step. */
static const char *sync_function(struct mm_rule_ctx *r, const struct mm_swap *sw, const char *qfn)
{
	struct mm_arena *a = &r->ctx->arena;
	const char *o = mm_sql_ident(a, sw->old_col), *n = mm_sql_ident(a, sw->new_col);
	const char *fwd = mm_swap_qualified(r, sw->forward, "NEW");
	struct mm_buf b = MM_BUF_INIT;
	mm_buf_addf(&b, "CREATE OR REPLACE FUNCTION %s() RETURNS trigger LANGUAGE plpgsql AS $mkmig_sync$\n", qfn);
	mm_buf_adds(&b, "BEGIN\n"
	                "    IF pg_catalog.current_setting('mkmig.backfill', true) = 'on' THEN\n"
	                "        RETURN NEW;\n"
	                "    END IF;\n"
	                "    IF TG_OP = 'INSERT' THEN\n");
	if (sw->backward) {
		const char *bwd = mm_swap_qualified(r, sw->backward, "NEW");
		mm_buf_addf(&b, "        IF NEW.%s IS NULL THEN\n            NEW.%s := %s;\n        ELSE\n"
		                "            NEW.%s := %s;\n        END IF;\n",
		            n, n, fwd, o, bwd);
		mm_buf_addf(&b, "    ELSIF NEW.%s IS DISTINCT FROM OLD.%s THEN\n        NEW.%s := %s;\n", n, n, o, bwd);
		mm_buf_addf(&b, "    ELSIF NEW.%s IS DISTINCT FROM OLD.%s THEN\n        NEW.%s := %s;\n", o, o, n, fwd);
	} else if (sw->fresh_column) {
		/* A convert without back: a new value written by the new application is kept; the new
		 * column follows the old one only when the old one was written. */
		mm_buf_addf(&b, "        IF NEW.%s IS NULL THEN\n            NEW.%s := %s;\n        END IF;\n", n, n, fwd);
		mm_buf_addf(&b, "    ELSIF NEW.%s IS DISTINCT FROM OLD.%s THEN\n        NEW.%s := %s;\n", o, o, n, fwd);
	} else {
		mm_buf_addf(&b, "        NEW.%s := %s;\n", n, fwd);
		mm_buf_addf(&b, "    ELSIF NEW.%s IS NOT DISTINCT FROM OLD.%s THEN\n        NEW.%s := %s;\n", n, n, n, fwd);
	}
	mm_buf_adds(&b, "    END IF;\n    RETURN NEW;\nEND\n$mkmig_sync$");
	char *s = mm_buf_arena(&b, a);
	mm_buf_release(&b);
	return s;
}

struct renames {
	struct mm_vec index_tmp, index_orig;         /* plain indexes: ALTER INDEX tmp RENAME TO orig */
	struct mm_vec con_tmp, con_orig;             /* CHECK/FK: RENAME CONSTRAINT */
	struct mm_vec uniq_tmp, uniq_orig, uniq_def; /* UNIQUE: ADD CONSTRAINT orig ... USING INDEX tmp */
};

static void rebuild_indexes(struct mm_rule_ctx *r, const struct mm_swap *sw, struct renames *rn)
{
	struct mm_arena *a = &r->ctx->arena;
	const struct mm_table *t = r->table;
	for (size_t i = 0; i < t->indexes.len; i++) {
		const struct mm_index *ix = mm_vec_at(&t->indexes, i);
		bool backs_constraint = false;
		for (size_t k = 0; k < t->constraints.len && !backs_constraint; k++) {
			const struct mm_constraint *c = mm_vec_at(&t->constraints, k);
			backs_constraint = mm_streq(c->index_name, ix->name) || mm_streq(c->name, ix->name);
		}
		if (backs_constraint || !ix->definition || !mentions(r, ix->definition, sw->old_col, NULL))
			continue;
		const char *def = renamed(r, ix->definition, sw->old_col, sw->new_col, NULL);
		PgQuery__Node *n = mm_sql_parse_one(r->ctx, def, "index definition");
		if (!n || n->node_case != PG_QUERY__NODE__NODE_INDEX_STMT)
			continue;
		const char *tmp = mm_name_helper(a, ix->name, "mkmig");
		mm_rule_build_index_concurrently(r, n->index_stmt, t->schema, tmp, mm_rule_relation(r), r->qtable);
		mm_vec_push(a, &rn->index_tmp, (void *)tmp);
		mm_vec_push(a, &rn->index_orig, (void *)ix->name);
	}
}

static const char *strip_not_valid(struct mm_arena *a, const char *def)
{
	size_t n = strlen(def);
	const char *suffix = " NOT VALID";
	size_t sl = strlen(suffix);
	if (n > sl && strcmp(def + n - sl, suffix) == 0)
		return mm_strndup(a, def, n - sl);
	return def;
}

static void rebuild_constraints(struct mm_rule_ctx *r, const struct mm_swap *sw, struct renames *rn)
{
	struct mm_arena *a = &r->ctx->arena;
	const struct mm_table *t = r->table;
	for (size_t i = 0; i < t->constraints.len; i++) {
		const struct mm_constraint *c = mm_vec_at(&t->constraints, i);
		if (!c->definition)
			continue;
		bool fk = c->type == MM_CON_FOREIGN;
		const char *stop = fk ? "references" : NULL;
		const char *def = strip_not_valid(a, c->definition);
		if (!mentions(r, def, sw->old_col, stop))
			continue;
		const char *ndef = renamed(r, def, sw->old_col, sw->new_col, stop);
		const char *tmp = mm_name_helper(a, c->name, "mkmig");
		if (c->type == MM_CON_UNIQUE) {
			/* Build the unique index on the new column now; adopt it in the contract. */
			const char *idx = mm_sprintf(a, "CREATE UNIQUE INDEX %s ON %s %s", mm_sql_ident(a, tmp), r->qtable,
			                             ndef + strlen("UNIQUE"));
			PgQuery__Node *n = mm_sql_parse_one(r->ctx, idx, "unique constraint");
			if (!n || n->node_case != PG_QUERY__NODE__NODE_INDEX_STMT)
				continue;
			mm_rule_build_index_concurrently(r, n->index_stmt, t->schema, tmp, mm_rule_relation(r), r->qtable);
			mm_vec_push(a, &rn->uniq_tmp, (void *)tmp);
			mm_vec_push(a, &rn->uniq_orig, (void *)c->name);
			const char *tail = strstr(ndef, "DEFERRABLE");
			mm_vec_push(a, &rn->uniq_def, (void *)(tail ? mm_sprintf(a, " %s", tail) : ""));
			continue;
		}
		if (c->type != MM_CON_CHECK && !fk)
			continue;
		const char *add = mm_sprintf(a, "ALTER TABLE %s ADD CONSTRAINT %s %s NOT VALID", r->qtable, mm_sql_ident(a, tmp), ndef);
		if (c->validated)
			mm_rule_constraint_not_valid_validate(r, tmp, add, fk ? MM_LOCK_SHARE_ROW_EXCLUSIVE : MM_LOCK_ACCESS_EXCLUSIVE,
			                                      fk ? mm_sql_qname(a, c->ref_schema, c->ref_table) : NULL,
			                                      "the constraint is recreated on the new column without blocking traffic");
		else {
			struct mm_step *s = mm_step_new(r->ctx, r->plan, r->ch, r->phase, MM_UNIT_TX,
			                                mm_sprintf(a, "add constraint %s (NOT VALID, as the original)", tmp));
			s->plpgsql = true;
			mm_step_up(r->ctx, s, "%s", mm_rule_guard(r, mm_sprintf(a, "NOT %s", mm_rule_constraint_exists(r, tmp)), add));
			mm_step_lock(r->ctx, s, r->qtable, MM_LOCK_ACCESS_EXCLUSIVE, MM_WORK_CATALOG);
		}
		mm_vec_push(a, &rn->con_tmp, (void *)tmp);
		mm_vec_push(a, &rn->con_orig, (void *)c->name);
	}
}

int mm_rule_swap(struct mm_rule_ctx *r, const struct mm_swap *sw)
{
	struct mm_arena *a = &r->ctx->arena;
	struct mm_ctx *ctx = r->ctx;
	const struct mm_table *t = r->table;
	const struct mm_column *oc = mm_table_find_column(t, sw->old_col);
	if (!oc)
		return 0; /* mm_model_apply reports it */
	const char *qold = mm_sql_ident(a, sw->old_col), *qnew = mm_sql_ident(a, sw->new_col);
	const char *helper = mm_name_helper(a, mm_sprintf(a, "%s_%s", t->name, sw->old_col), "mkmig_sync");
	const char *qfn = mm_sql_qname(a, t->schema, helper);
	const char *qtrg = mm_sql_ident(a, helper);

	/* expand: the new column and the sync trigger, in one short transaction. */
	struct mm_step *e = mm_step_new(ctx, r->plan, r->ch, MM_PHASE_EXPAND, MM_UNIT_TX,
	                                mm_sprintf(a, "%s: add column %s and a trigger keeping it in sync with %s",
	                                           sw->what, qnew, qold));
	e->plpgsql = true;
	/* Every step must survive a re-run of the whole script, including after the contract step
	 * committed: the old column's existence tells whether there is anything left to do. */
	const char *old_exists = mm_rule_column_exists(r, sw->old_col);
	bool renames = strcmp(sw->old_col, sw->final_col) != 0;
	mm_step_up(ctx, e, "%s",
	           mm_rule_guard(r, renames ? old_exists : "true",
	                         mm_sprintf(a, "ALTER TABLE %s ADD COLUMN IF NOT EXISTS %s %s", r->qtable, qnew, sw->new_type)));
	mm_step_up(ctx, e, "%s", mm_rule_guard(r, old_exists, sync_function(r, sw, qfn)));
	mm_step_up(ctx, e, "%s",
	           mm_rule_guard(r,
	                         mm_sprintf(a, "%s AND NOT EXISTS (SELECT FROM pg_catalog.pg_trigger WHERE tgrelid = pg_catalog.to_regclass(%s) AND tgname = %s)",
	                                    old_exists, mm_rule_table_literal(r), mm_sql_literal(a, helper)),
	                         mm_sprintf(a, "CREATE TRIGGER %s BEFORE INSERT OR UPDATE ON %s FOR EACH ROW EXECUTE %s %s()",
	                                    qtrg, r->qtable, ctx->opt.pg_version >= 11 ? "FUNCTION" : "PROCEDURE", qfn)));
	mm_step_down(ctx, e, "DROP TRIGGER IF EXISTS %s ON %s", qtrg, r->qtable);
	mm_step_down(ctx, e, "DROP FUNCTION IF EXISTS %s()", qfn);
	mm_step_down(ctx, e, "ALTER TABLE %s DROP COLUMN IF EXISTS %s", r->qtable, qnew);
	mm_step_lock(ctx, e, r->qtable, MM_LOCK_ACCESS_EXCLUSIVE, MM_WORK_CATALOG);
	mm_step_why(ctx, e, "old and new application versions run side by side during the deploy; the trigger "
	                    "copies every write of either column to the other");

	/* backfill, then what needs the data. */
	const char *pending = sw->pending ? sw->pending
	                                  : mm_sprintf(a, "t.%s IS DISTINCT FROM %s", qnew, mm_swap_qualified(r, sw->forward, "t"));
	const char *fwd_t = mm_swap_qualified(r, sw->forward, "t");
	const char *set = mm_sprintf(a, "%s = %s", qnew, fwd_t);
	const char *done = renames ? mm_sprintf(a, "NOT %s", old_exists) : NULL;
	/* A convert's expression may fail on one row: the backfill then names the row. */
	/* (The value as stored: the assignment cast is where an overflow raises.) */
	if ((sw->fresh_column ? mm_rule_backfill_rows(r, sw->final_col, set, pending, done,
	                                              mm_sprintf(a, "CAST(%s AS %s)", fwd_t, sw->new_type))
	                      : mm_rule_backfill(r, sw->final_col, set, pending, done)) != 0)
		return -1;
	r->phase = MM_PHASE_BACKFILL;
	if (sw->after_backfill)
		sw->after_backfill(r, sw);
	if (oc->not_null || sw->not_null)
		mm_rule_not_null(r, sw->new_col, false);
	struct renames rn = { 0 };
	if (!sw->fresh_column) {
		rebuild_indexes(r, sw, &rn);
		rebuild_constraints(r, sw, &rn);
	}

	/* contract: one short transaction, opened by a guard that it is time (phases.c). Done: the
	 * old column is gone (a rename or convert), or the helper column is (a type change, whose
	 * contract also fails safely if its expand never ran: the helper column to rename is missing).
	 * Ready: both columns and the trigger exist and no row is pending. */
	mm_plan_checkpoint(ctx, r->plan, MM_PHASE_CONTRACT, "%s", sw->app_change);
	const char *new_exists = mm_rule_column_exists(r, sw->new_col);
	const char *trg_exists = mm_sprintf(a, "EXISTS (SELECT FROM pg_catalog.pg_trigger WHERE tgrelid = pg_catalog.to_regclass(%s) AND tgname = %s)",
	                                    mm_rule_table_literal(r), mm_sql_literal(a, helper));
	mm_plan_contract_guard(ctx, r->plan, mm_sprintf(a, "NOT %s", renames ? old_exists : new_exists),
	                       mm_sprintf(a, "%s AND %s", new_exists, trg_exists),
	                       mm_sprintf(a, "SELECT FROM %s AS t WHERE %s", r->qtable, pending),
	                       "%s: the expand and backfill phases have not completed (column %s, the sync trigger %s or "
	                       "backfilled rows are missing)",
	                       sw->what, qnew, helper);
	struct mm_step *c = mm_step_new(ctx, r->plan, r->ch, MM_PHASE_CONTRACT, MM_UNIT_TX,
	                                mm_sprintf(a, "%s: drop %s and the trigger, %s takes its place", sw->what, qold, qnew));
	c->plpgsql = true;
	mm_step_up(ctx, c, "DROP TRIGGER IF EXISTS %s ON %s", qtrg, r->qtable);
	mm_step_up(ctx, c, "DROP FUNCTION IF EXISTS %s()", qfn);
	struct mm_vec views = { 0 };
	if (sw->rebuild_views)
		mm_model_dependent_views(r->model, t, &views);
	for (size_t i = 0; i < views.len; i++) {
		const struct mm_table *v = mm_vec_at(&views, i);
		mm_step_up(ctx, c, "DROP VIEW IF EXISTS %s", mm_sql_qname(a, v->schema, v->name));
	}
	/* The swap itself, only while the old column is there (see the expand step). */
	struct mm_buf swap = MM_BUF_INIT;
	for (size_t i = 0; i < r->model->sequences.len; i++) {
		const struct mm_sequence *sq = mm_vec_at(&r->model->sequences, i);
		if (mm_streq(sq->owner_table, t->name) && mm_streq(sq->owner_column, sw->old_col) &&
		    mm_streq(sq->schema, t->schema))
			/* Dropping the old column would drop the sequence its default uses. */
			mm_buf_addf(&swap, "    ALTER SEQUENCE %s OWNED BY %s.%s;\n", mm_sql_qname(a, sq->schema, sq->name), r->qtable, qnew);
	}
	mm_buf_addf(&swap, "    ALTER TABLE %s DROP COLUMN %s;\n", r->qtable, qold);
	if (strcmp(sw->new_col, sw->final_col) != 0)
		mm_buf_addf(&swap, "    ALTER TABLE %s RENAME COLUMN %s TO %s;\n", r->qtable, qnew, mm_sql_ident(a, sw->final_col));
	const char *qfinal = mm_sql_ident(a, sw->final_col);
	if (oc->default_expr && !sw->fresh_column)
		mm_buf_addf(&swap, "    ALTER TABLE %s ALTER COLUMN %s SET DEFAULT %s;\n", r->qtable, qfinal, oc->default_expr);
	swap.len -= 2; /* the guard adds the last ";\n" */
	swap.buf[swap.len] = '\0';
	mm_step_up(ctx, c, "IF %s THEN\n%s;\nEND IF", old_exists, swap.buf);
	mm_buf_release(&swap);
	/* A rebuilt index or constraint takes its original name once the original went with the old
	 * column; if the original is still there, this is a re-run and the copy is redundant. */
	for (size_t i = 0; i < rn.index_tmp.len; i++) {
		const char *tmp = mm_sql_qname(a, t->schema, mm_vec_at(&rn.index_tmp, i));
		const char *orig = mm_sql_qname(a, t->schema, mm_vec_at(&rn.index_orig, i));
		mm_step_up(ctx, c,
		           "IF pg_catalog.to_regclass(%s) IS NULL THEN\n    ALTER INDEX %s RENAME TO %s;\n"
		           "ELSE\n    DROP INDEX IF EXISTS %s;\nEND IF",
		           mm_sql_literal(a, orig), tmp, mm_sql_ident(a, mm_vec_at(&rn.index_orig, i)), tmp);
	}
	for (size_t i = 0; i < rn.con_tmp.len; i++) {
		const char *tmp = mm_sql_ident(a, mm_vec_at(&rn.con_tmp, i));
		mm_step_up(ctx, c, "IF NOT %s THEN\n    ALTER TABLE %s RENAME CONSTRAINT %s TO %s;\n"
		                   "ELSE\n    ALTER TABLE %s DROP CONSTRAINT IF EXISTS %s;\nEND IF",
		           mm_rule_constraint_exists(r, mm_vec_at(&rn.con_orig, i)), r->qtable, tmp,
		           mm_sql_ident(a, mm_vec_at(&rn.con_orig, i)), r->qtable, tmp);
	}
	for (size_t i = 0; i < rn.uniq_tmp.len; i++) {
		const char *tmp = mm_sql_ident(a, mm_vec_at(&rn.uniq_tmp, i));
		mm_step_up(ctx, c, "IF NOT %s THEN\n    ALTER TABLE %s ADD CONSTRAINT %s UNIQUE USING INDEX %s%s;\n"
		                   "ELSE\n    DROP INDEX IF EXISTS %s;\nEND IF",
		           mm_rule_constraint_exists(r, mm_vec_at(&rn.uniq_orig, i)), r->qtable,
		           mm_sql_ident(a, mm_vec_at(&rn.uniq_orig, i)), tmp, (const char *)mm_vec_at(&rn.uniq_def, i),
		           mm_sql_qname(a, t->schema, mm_vec_at(&rn.uniq_tmp, i)));
	}
	for (size_t i = 0; i < views.len; i++) {
		const struct mm_table *v = mm_vec_at(&views, i);
		mm_step_up(ctx, c, "CREATE VIEW %s AS %s", mm_sql_qname(a, v->schema, v->name), v->view_definition);
	}
	mm_step_lock(ctx, c, r->qtable, MM_LOCK_ACCESS_EXCLUSIVE, MM_WORK_CATALOG);
	mm_step_why(ctx, c, "dropping a column, renaming and adopting ready indexes are catalog updates; done "
	                    "together so no moment exists with the old column gone and the new one misnamed");
	c->warning = mm_sprintf(a, "the contract phase drops %s.%s: run it only after the application no longer uses it",
	                        r->qtable, qold);
	r->phase = MM_PHASE_EXPAND;
	return 0;
}

struct mm_step *mm_swap_contract_step(struct mm_rule_ctx *r)
{
	for (size_t i = r->plan->steps.len; i-- > 0;) {
		struct mm_step *s = mm_vec_at(&r->plan->steps, i);
		if (s->change == r->ch && s->phase == MM_PHASE_CONTRACT)
			return s;
	}
	MM_BUG("swap planned no contract step");
}
