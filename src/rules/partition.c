/*
 * partition.c — ALTER TABLE ... DETACH PARTITION.
 *
 * A plain DETACH holds ACCESS EXCLUSIVE on the parent: every query on the partitioned table
 * waits, and while it queues, every later one too. From PostgreSQL 14, DETACH ... CONCURRENTLY
 * takes SHARE UPDATE EXCLUSIVE on the parent in two transactions, waiting in between for the
 * queries that use the parent; it cannot run in a transaction block, and when interrupted it
 * leaves the partition "pending detach", to be completed with DETACH ... FINALIZE (docs:
 * sql-altertable.html, DETACH PARTITION; pg-facts §1a). It also adds a CHECK copy of the bound
 * to the partition, which the naive DETACH does not: it is dropped afterwards.
 *
 * Re-run after an interruption: the first step finds the pending detach, completes it with
 * FINALIZE and attaches the partition again with the bound it had (no scan: the CHECK copy
 * proves it), so the concurrent detach can run as written. A re-run after the whole detach
 * completed cannot: the partition no longer has a bound to attach it with.
 */
#include "common.h"
#include "partition_bound.h"

#include <string.h>

static const char *no_bound(struct mm_rule_ctx *r, const char *qpart)
{
	return mm_sprintf(&r->ctx->arena, "the partition bound of %s is not known to mkmig: attach it again by hand "
	                                  "(ALTER TABLE %s ATTACH PARTITION %s FOR VALUES ...)",
	                  qpart, r->qtable, qpart);
}

int mm_rule_detach_partition(struct mm_rule_ctx *r)
{
	struct mm_arena *a = &r->ctx->arena;
	const struct mm_options *o = &r->ctx->opt;
	const PgQuery__PartitionCmd *pc = r->ch->node->alter_table_cmd->def->partition_cmd;
	if (pc->concurrent)
		return mm_rule_passthrough(r, "already CONCURRENTLY");
	if (r->table_is_new)
		return mm_rule_passthrough(r, "the table was created earlier in this input");
	const PgQuery__RangeVar *prv = pc->name;
	const struct mm_table *part = mm_model_find_table(r->model, prv->schemaname && prv->schemaname[0] ? prv->schemaname : NULL,
	                                                  prv->relname);
	const char *qpart = part ? mm_sql_qname(a, part->schema, part->name)
	                         : mm_sql_qname(a, prv->schemaname && prv->schemaname[0] ? prv->schemaname : NULL, prv->relname);
	if (o->pg_version < 14) {
		int rc = mm_rule_passthrough(r, NULL);
		struct mm_step *s = mm_vec_at(&r->plan->steps, r->plan->steps.len - 1);
		s->warning = mm_sprintf(a, "PostgreSQL %d has no DETACH PARTITION ... CONCURRENTLY (14+): the detach takes "
		                           "ACCESS EXCLUSIVE on %s (a catalog update, under lock_timeout with retries)",
		                        o->pg_version, r->qtable);
		s->down_warning = no_bound(r, qpart);
		return rc;
	}
	const char *lpart = mm_sql_literal(a, qpart), *lparent = mm_sql_literal(a, mm_sprintf(a, "%s", r->qtable));

	struct mm_step *f = mm_step_new(r->ctx, r->plan, r->ch, r->phase, MM_UNIT_TX,
	                                mm_sprintf(a, "complete an interrupted DETACH CONCURRENTLY of %s, if any", qpart));
	f->plpgsql = true;
	mm_step_up(r->ctx, f,
	           "IF EXISTS (SELECT FROM pg_catalog.pg_inherits WHERE inhrelid = pg_catalog.to_regclass(%s) AND inhparent = "
	           "pg_catalog.to_regclass(%s) AND inhdetachpending) THEN\n"
	           "    RAISE NOTICE 'mkmig: completing the interrupted detach of %% and attaching it again', %s;\n"
	           "    PERFORM pg_catalog.set_config('mkmig.bound', (SELECT pg_catalog.pg_get_expr(relpartbound, oid) FROM "
	           "pg_catalog.pg_class WHERE oid = pg_catalog.to_regclass(%s)), true);\n"
	           "    ALTER TABLE %s DETACH PARTITION %s FINALIZE;\n"
	           "    EXECUTE 'ALTER TABLE %s ATTACH PARTITION %s ' || pg_catalog.current_setting('mkmig.bound');\n"
	           "END IF",
	           lpart, lparent, lpart, lpart, r->qtable, qpart, r->qtable, qpart);
	mm_step_lock(r->ctx, f, r->qtable, MM_LOCK_SHARE_UPDATE_EXCLUSIVE, MM_WORK_CATALOG);
	mm_step_lock(r->ctx, f, qpart, MM_LOCK_ACCESS_EXCLUSIVE, MM_WORK_CATALOG);
	mm_step_why(r->ctx, f, "only after an interruption: FINALIZE completes the pending detach, and attaching the "
	                       "partition again (no scan: the CHECK the detach added proves the bound) lets the next step "
	                       "run as written");

	struct mm_step *s = mm_step_new(r->ctx, r->plan, r->ch, r->phase, MM_UNIT_NONTX,
	                                mm_sprintf(a, "detach %s from %s concurrently", qpart, r->qtable));
	mm_step_up(r->ctx, s, "ALTER TABLE %s DETACH PARTITION %s CONCURRENTLY", r->qtable, qpart);
	mm_step_lock(r->ctx, s, r->qtable, MM_LOCK_SHARE_UPDATE_EXCLUSIVE, MM_WORK_CATALOG);
	mm_step_lock(r->ctx, s, qpart, MM_LOCK_ACCESS_EXCLUSIVE, MM_WORK_CATALOG);
	s->no_timeout = true;
	mm_step_why(r->ctx, s, "DETACH PARTITION holds ACCESS EXCLUSIVE on %s; CONCURRENTLY (14+) takes SHARE UPDATE "
	                       "EXCLUSIVE on it and waits for the queries using it instead; not in a transaction block",
	            r->qtable);
	s->warning = mm_sprintf(a, "a re-run of this step after the detach completed fails (%s is no longer a partition of "
	                           "%s): after an interruption before it completed, the previous step makes it runnable",
	                        qpart, r->qtable);
	s->down_warning = no_bound(r, qpart);

	/* The CHECK copy of the bound: constraints of the partition the model does not know. */
	struct mm_buf known = MM_BUF_INIT;
	for (size_t i = 0; part && i < part->constraints.len; i++) {
		const struct mm_constraint *k = mm_vec_at(&part->constraints, i);
		mm_buf_addf(&known, ", %s", mm_sql_literal(a, k->name));
	}
	struct mm_step *c = mm_step_new(r->ctx, r->plan, r->ch, r->phase, MM_UNIT_TX,
	                                mm_sprintf(a, "drop the CHECK copy of the bound the concurrent detach added to %s", qpart));
	c->plpgsql = true;
	const char *pick = mm_sprintf(a, "FROM pg_catalog.pg_constraint WHERE conrelid = pg_catalog.to_regclass(%s) AND contype = 'c' "
	                                 "AND conname NOT IN (''%s)",
	                              lpart, known.len ? known.buf : "");
	mm_step_up(r->ctx, c,
	           "IF EXISTS (SELECT %s) THEN\n"
	           "    EXECUTE (SELECT 'ALTER TABLE %s ' || string_agg('DROP CONSTRAINT ' || quote_ident(conname), ', ') %s);\n"
	           "END IF",
	           pick, qpart, pick);
	mm_buf_release(&known);
	mm_step_lock(r->ctx, c, qpart, MM_LOCK_ACCESS_EXCLUSIVE, MM_WORK_CATALOG);
	mm_step_why(r->ctx, c, "the naive DETACH leaves no such constraint; %s is no longer part of %s, so its lock blocks "
	                       "only direct users of the table",
	            qpart, r->qtable);
	return 0;
}

/* The single plain key column of "LIST (k)" / "RANGE (k)", or NULL. */
static const char *key_column(struct mm_arena *a, const char *partition_key)
{
	const char *open = partition_key ? strchr(partition_key, '(') : NULL;
	const char *close = open ? strrchr(open, ')') : NULL;
	if (!close || close[1])
		return NULL;
	const char *col = mm_strndup(a, open + 1, (size_t)(close - open - 1));
	for (const char *p = col; *p; p++)
		if (!(*p == '_' || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '"'))
			return NULL;
	return col[0] ? col : NULL;
}

static bool is_bound_word(const PgQuery__Node *n, const char *word)
{
	return n->node_case == PG_QUERY__NODE__NODE_COLUMN_REF && n->column_ref->n_fields == 1 &&
	       n->column_ref->fields[0]->node_case == PG_QUERY__NODE__NODE_STRING &&
	       strcmp(n->column_ref->fields[0]->string->sval, word) == 0;
}

/* The partition's constraint as a CHECK expression (what ATTACH would prove by scanning), for a
 * LIST or single-column RANGE bound; NULL for anything else. */
static const char *bound_check(struct mm_rule_ctx *r, const PgQuery__PartitionBoundSpec *b, const char *col)
{
	struct mm_arena *a = &r->ctx->arena;
	struct mm_buf out = MM_BUF_INIT;
	const char *res = NULL;
	if (b->is_default || !b->strategy)
		return NULL;
	if (b->strategy[0] == 'l' && b->n_listdatums) {
		bool has_null = false;
		struct mm_buf vals = MM_BUF_INIT;
		for (size_t i = 0; i < b->n_listdatums; i++) {
			const PgQuery__Node *d = b->listdatums[i];
			if (d->node_case == PG_QUERY__NODE__NODE_A_CONST && d->a_const->isnull) {
				has_null = true;
				continue;
			}
			mm_buf_addf(&vals, "%s%s", vals.len ? ", " : "", mm_sql_deparse_expr(r->ctx, (PgQuery__Node *)d));
		}
		if (!vals.len)
			mm_buf_addf(&out, "%s IS NULL", col);
		else if (has_null)
			mm_buf_addf(&out, "%s IS NULL OR %s IN (%s)", col, col, vals.buf);
		else
			mm_buf_addf(&out, "%s IS NOT NULL AND %s IN (%s)", col, col, vals.buf);
		mm_buf_release(&vals);
	} else if (b->strategy[0] == 'r' && b->n_lowerdatums == 1 && b->n_upperdatums == 1) {
		mm_buf_addf(&out, "%s IS NOT NULL", col);
		if (!is_bound_word(b->lowerdatums[0], "minvalue"))
			mm_buf_addf(&out, " AND %s >= %s", col, mm_sql_deparse_expr(r->ctx, b->lowerdatums[0]));
		if (!is_bound_word(b->upperdatums[0], "maxvalue"))
			mm_buf_addf(&out, " AND %s < %s", col, mm_sql_deparse_expr(r->ctx, b->upperdatums[0]));
	}
	if (out.len)
		res = mm_buf_arena(&out, a);
	mm_buf_release(&out);
	return res;
}

/* The guarded ATTACH (a re-run finds it attached), a catalog update once a validated CHECK of the
 * partition implies the bound. */
static int attach_step(struct mm_rule_ctx *r, const struct mm_table *child, const char *title, const char *why)
{
	struct mm_arena *a = &r->ctx->arena;
	const char *qchild = mm_sql_qname(a, child->schema, child->name);
	const char *attached = mm_sprintf(a, "EXISTS (SELECT FROM pg_catalog.pg_inherits WHERE inhrelid = pg_catalog.to_regclass(%s) "
	                                     "AND inhparent = pg_catalog.to_regclass(%s))",
	                                  mm_sql_literal(a, qchild), mm_rule_table_literal(r));
	struct mm_step *s = mm_step_new(r->ctx, r->plan, r->ch, r->phase, MM_UNIT_TX, title);
	s->plpgsql = true;
	mm_step_up(r->ctx, s, "%s", mm_rule_guard(r, mm_sprintf(a, "NOT %s", attached), mm_change_sql(r)));
	mm_step_down(r->ctx, s, "ALTER TABLE %s DETACH PARTITION %s", r->qtable, qchild);
	mm_step_locks_of(r, s, r->ch->stmt->node);
	for (size_t i = 0; i < s->locks.len; i++)
		((struct mm_lock_use *)mm_vec_at(&s->locks, i))->work = MM_WORK_CATALOG;
	if (why)
		mm_step_why(r->ctx, s, "%s", why);
	else
		mm_step_why(r->ctx, s, "%s on %s (PostgreSQL %d), ACCESS EXCLUSIVE on %s; a catalog update now that the CHECK "
		                       "implies the partition constraint",
		            r->ctx->opt.pg_version >= 12 ? "SHARE UPDATE EXCLUSIVE" : "ACCESS EXCLUSIVE", r->qtable,
		            r->ctx->opt.pg_version, qchild);
	return 0;
}

int mm_rule_attach_partition(struct mm_rule_ctx *r)
{
	struct mm_arena *a = &r->ctx->arena;
	const PgQuery__PartitionCmd *pc = r->ch->node->alter_table_cmd->def->partition_cmd;
	const PgQuery__RangeVar *crv = pc->name;
	const struct mm_table *child = mm_model_find_table(r->model, crv->schemaname && crv->schemaname[0] ? crv->schemaname : NULL,
	                                                   crv->relname);
	const char *col = r->table ? key_column(a, r->table->partition_key) : NULL;
	const char *check = col && child && child->origin != MM_ORIGIN_INPUT ? bound_check(r, pc->bound, col) : NULL;
	if (r->ch->sub_count > 1)
		check = NULL;
	/* The partition may already prove its bound: then ATTACH is a catalog update as written. */
	bool implied = col && child && !r->table_is_new && r->ch->sub_count <= 1 &&
	               mm_partition_bound_implied(r->ctx, child, col, pc->bound);
	if (implied)
		return attach_step(r, child, mm_change_sql(r),
		                   mm_sprintf(a, "a validated CHECK on %s implies the partition bound, so ATTACH PARTITION "
		                                 "skips its scan (docs: sql-altertable.html, ATTACH PARTITION)",
		                              mm_sql_qname(a, child->schema, child->name)));
	if (r->table_is_new || !check)
		return mm_rule_passthrough(r, r->table_is_new ? "the table was created earlier in this input"
		                              : "ATTACH scans the partition under its lock to prove the bound; mkmig proves it "
		                                "beforehand only for a LIST or single-column RANGE bound of a known table");
	const char *qchild = mm_sql_qname(a, child->schema, child->name);
	const char *helper = mm_name_helper(a, child->name, "mkmig_bound");
	struct mm_rule_ctx cr = *r;
	cr.table = (struct mm_table *)child;
	cr.schema = child->schema;
	cr.name = child->name;
	cr.qtable = qchild;
	mm_rule_constraint_not_valid_validate(
	    &cr, helper, mm_sprintf(a, "ALTER TABLE %s ADD CONSTRAINT %s CHECK (%s) NOT VALID", qchild, mm_sql_ident(a, helper), check),
	    MM_LOCK_ACCESS_EXCLUSIVE, NULL,
	    "a CHECK matching the partition bound, added NOT VALID (instant) and validated without blocking traffic, lets "
	    "ATTACH PARTITION skip its scan of the partition (docs: sql-altertable.html, ATTACH PARTITION)");
	attach_step(r, child, mm_sprintf(a, "attach %s to %s (no scan: the validated CHECK proves the bound)", qchild, r->qtable),
	            NULL);
	struct mm_step *d = mm_step_new(r->ctx, r->plan, r->ch, r->phase, MM_UNIT_TX,
	                                mm_sprintf(a, "drop the helper constraint %s", mm_sql_ident(a, helper)));
	mm_step_up(r->ctx, d, "ALTER TABLE %s DROP CONSTRAINT IF EXISTS %s", qchild, mm_sql_ident(a, helper));
	mm_step_lock(r->ctx, d, qchild, MM_LOCK_ACCESS_EXCLUSIVE, MM_WORK_CATALOG);
	return 0;
}
