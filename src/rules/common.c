/*
 * common.c — shared rule building blocks (see common.h).
 */
#include "common.h"

#include <string.h>

const char *mm_rule_table_literal(struct mm_rule_ctx *r)
{
	return mm_sql_literal(&r->ctx->arena, r->qtable);
}

const char *mm_rule_guard(struct mm_rule_ctx *r, const char *cond, const char *sql)
{
	return mm_sprintf(&r->ctx->arena, "IF %s THEN\n    %s;\nEND IF", cond, sql);
}

const char *mm_rule_column_exists(struct mm_rule_ctx *r, const char *column)
{
	struct mm_arena *a = &r->ctx->arena;
	return mm_sprintf(a,
	                  "EXISTS (SELECT FROM pg_catalog.pg_attribute WHERE attrelid = pg_catalog.to_regclass(%s) AND attname = %s AND NOT attisdropped)",
	                  mm_rule_table_literal(r), mm_sql_literal(a, column));
}

const char *mm_rule_constraint_exists(struct mm_rule_ctx *r, const char *name)
{
	struct mm_arena *a = &r->ctx->arena;
	return mm_sprintf(a,
	                  "EXISTS (SELECT FROM pg_catalog.pg_constraint WHERE conrelid = pg_catalog.to_regclass(%s) AND conname = %s)",
	                  mm_rule_table_literal(r), mm_sql_literal(a, name));
}

PgQuery__RangeVar *mm_rule_relation(struct mm_rule_ctx *r)
{
	PgQuery__RangeVar *rv = mm_alloc(&r->ctx->arena, sizeof(*rv));
	pg_query__range_var__init(rv);
	rv->schemaname = (char *)(r->schema ? r->schema : "");
	rv->relname = (char *)r->name;
	rv->inh = true;
	rv->relpersistence = (char *)"p";
	rv->location = -1;
	return rv;
}

const char *mm_rule_alter_sql(struct mm_rule_ctx *r, PgQuery__AlterTableCmd *cmd)
{
	PgQuery__AlterTableStmt at = PG_QUERY__ALTER_TABLE_STMT__INIT;
	at.relation = mm_rule_relation(r);
	at.objtype = PG_QUERY__OBJECT_TYPE__OBJECT_TABLE;
	PgQuery__Node cn = PG_QUERY__NODE__INIT;
	cn.node_case = PG_QUERY__NODE__NODE_ALTER_TABLE_CMD;
	cn.alter_table_cmd = cmd;
	PgQuery__Node *cmds[1] = { &cn };
	at.n_cmds = 1;
	at.cmds = cmds;
	PgQuery__Node n = PG_QUERY__NODE__INIT;
	n.node_case = PG_QUERY__NODE__NODE_ALTER_TABLE_STMT;
	n.alter_table_stmt = &at;
	const char *sql = mm_sql_deparse(r->ctx, &n);
	return sql ? sql : "";
}

void mm_rule_constraint_not_valid_validate(struct mm_rule_ctx *r, const char *name, const char *add_sql,
                                           enum mm_lock add_lock, const char *other_table, const char *why)
{
	struct mm_arena *a = &r->ctx->arena;
	const char *qname = mm_sql_ident(a, name);
	struct mm_step *s = mm_step_new(r->ctx, r->plan, r->ch, r->phase, MM_UNIT_TX,
	                                mm_sprintf(a, "add constraint %s on %s as NOT VALID", qname, r->qtable));
	s->plpgsql = true;
	mm_step_up(r->ctx, s, "%s",
	           mm_rule_guard(r, mm_sprintf(a, "NOT %s", mm_rule_constraint_exists(r, name)), add_sql));
	mm_step_down(r->ctx, s, "ALTER TABLE %s DROP CONSTRAINT IF EXISTS %s", r->qtable, qname);
	mm_step_lock(r->ctx, s, r->qtable, add_lock, MM_WORK_CATALOG);
	if (other_table)
		mm_step_lock(r->ctx, s, other_table, MM_LOCK_SHARE_ROW_EXCLUSIVE, MM_WORK_CATALOG);
	if (why)
		mm_step_why(r->ctx, s, "%s", why);

	struct mm_step *v = mm_step_new(r->ctx, r->plan, r->ch, r->phase, MM_UNIT_TX,
	                                mm_sprintf(a, "validate constraint %s on %s", qname, r->qtable));
	mm_step_up(r->ctx, v, "ALTER TABLE %s VALIDATE CONSTRAINT %s", r->qtable, qname);
	mm_step_lock(r->ctx, v, r->qtable, MM_LOCK_SHARE_UPDATE_EXCLUSIVE, MM_WORK_SCAN);
	if (other_table)
		mm_step_lock(r->ctx, v, other_table, MM_LOCK_ROW_SHARE, MM_WORK_SCAN);
	v->no_timeout = true;
	mm_step_why(r->ctx, v,
	            "VALIDATE CONSTRAINT scans the table under SHARE UPDATE EXCLUSIVE, so reads and writes "
	            "continue; in its own transaction so the short lock of the NOT VALID step is not held "
	            "during the scan (docs: sql-altertable.html, VALIDATE CONSTRAINT)");
}

void mm_rule_not_null(struct mm_rule_ctx *r, const char *column, bool undo_on_down)
{
	struct mm_arena *a = &r->ctx->arena;
	struct mm_ctx *ctx = r->ctx;
	const char *qcol = mm_sql_ident(a, column);
	const char *helper = mm_name_helper(a, mm_sprintf(a, "%s_%s", r->name, column), "mkmig_nn");
	const char *qhelper = mm_sql_ident(a, helper);
	mm_rule_constraint_not_valid_validate(
	    r, helper,
	    mm_sprintf(a, "ALTER TABLE %s ADD CONSTRAINT %s CHECK (%s IS NOT NULL) NOT VALID", r->qtable, qhelper, qcol),
	    MM_LOCK_ACCESS_EXCLUSIVE, NULL,
	    "a helper CHECK (col IS NOT NULL), added NOT VALID (instant) and validated without blocking "
	    "traffic, lets SET NOT NULL skip its full scan under ACCESS EXCLUSIVE (PostgreSQL 12+, docs: "
	    "sql-altertable.html, SET NOT NULL)");
	struct mm_step *s = mm_step_new(ctx, r->plan, r->ch, r->phase, MM_UNIT_TX,
	                                mm_sprintf(a, "set %s.%s NOT NULL", r->qtable, qcol));
	mm_step_up(ctx, s, "ALTER TABLE %s ALTER COLUMN %s SET NOT NULL", r->qtable, qcol);
	if (undo_on_down)
		mm_step_down(ctx, s, "ALTER TABLE %s ALTER COLUMN %s DROP NOT NULL", r->qtable, qcol);
	if (ctx->opt.pg_version >= 12) {
		mm_step_lock(ctx, s, r->qtable, MM_LOCK_ACCESS_EXCLUSIVE, MM_WORK_CATALOG);
		mm_step_why(ctx, s, "the validated CHECK proves the column has no NULL, so no scan is needed");
	} else {
		mm_step_lock(ctx, s, r->qtable, MM_LOCK_ACCESS_EXCLUSIVE, MM_WORK_SCAN);
		s->warning = mm_sprintf(a,
		                        "PostgreSQL %d cannot use a CHECK constraint to skip the scan of SET NOT NULL "
		                        "(12+ can): %s is scanned under ACCESS EXCLUSIVE",
		                        ctx->opt.pg_version, r->qtable);
	}
	struct mm_step *d = mm_step_new(ctx, r->plan, r->ch, r->phase, MM_UNIT_TX,
	                                mm_sprintf(a, "drop the helper constraint %s", qhelper));
	/* Its own statement: dropping it in the same ALTER as SET NOT NULL brings the scan back. */
	mm_step_up(ctx, d, "ALTER TABLE %s DROP CONSTRAINT IF EXISTS %s", r->qtable, qhelper);
	mm_step_lock(ctx, d, r->qtable, MM_LOCK_ACCESS_EXCLUSIVE, MM_WORK_CATALOG);
}

static bool statement_names(struct mm_rule_ctx *r, const struct mm_stmt *st, const char *const *names, size_t n,
                            const char **hit)
{
	struct mm_token *t;
	long count = mm_sql_scan(r->ctx, st->text, &t);
	for (long i = 0; i < count; i++) {
		if (!t[i].ident)
			continue;
		const char *word = mm_model_fold(&r->ctx->arena, mm_strndup(&r->ctx->arena, st->text + t[i].start,
		                                                             t[i].end - t[i].start));
		for (size_t k = 0; k < n; k++)
			if (names[k] && strcmp(word, names[k]) == 0) {
				*hit = names[k];
				return true;
			}
	}
	return false;
}

const char *mm_rule_later_use(struct mm_rule_ctx *r, const char *const *names, size_t n)
{
	struct mm_arena *a = &r->ctx->arena;
	const struct mm_stmt *scanned = r->ch->stmt;
	for (size_t i = r->index + 1; r->changes && i < r->changes->items.len; i++) {
		const struct mm_change *ch = mm_vec_at(&r->changes->items, i);
		size_t line, col;
		mm_source_position(ch->stmt->src, ch->stmt->off, &line, &col);
		if (ch->stmt == r->ch->stmt)
			return mm_sprintf(a, "the same statement goes on to change %s (%s:%zu)", r->qtable, ch->stmt->src->name, line);
		if (ch->stmt == scanned)
			continue;
		scanned = ch->stmt;
		const char *hit;
		if (statement_names(r, ch->stmt, names, n, &hit))
			return mm_sprintf(a, "a later statement of this input uses %s (%s:%zu)", mm_sql_ident(a, hit),
			                  ch->stmt->src->name, line);
	}
	return NULL;
}
