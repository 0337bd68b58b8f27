/*
 * rerun.c — keeps a script re-runnable when a later change of the same input renames or drops
 * what earlier steps name.
 *
 * Each rule guards its own steps (IF NOT EXISTS, catalog checks), but a guard reads the catalog
 * under the names of its own change: once a later step has renamed the table or column (or dropped
 * it), a second run of the script fails on the old name ("relation ... does not exist"), or, for an
 * ADD COLUMN whose column a later step renamed, adds it again. A script runs in order, so when the
 * first step of that later change has visibly happened, every step before it has completed: such
 * steps are wrapped in IF <the later change has not happened> THEN ... END IF. Only transactional
 * steps can be (the others cannot run inside a DO block; their statements carry IF [NOT] EXISTS).
 *
 * The evidence, per later change (its table T and, for columns, C on T):
 *   rename table T to U      U exists            (before it, U is free: the model said so)
 *   drop table T             T does not exist    (the steps guarded lock T: it existed for them)
 *   rename column C to D     D exists on T       (only the steps of changes on column C)
 *   drop column C            C does not exist    (likewise)
 */
#include "plan_internal.h"

#include <string.h>

/* The column a change works on (raw name), or NULL. */
static const char *change_column(const struct mm_change *ch)
{
	PgQuery__Node *n = ch->node;
	if (!n)
		return NULL;
	if (n->node_case == PG_QUERY__NODE__NODE_RENAME_STMT)
		return n->rename_stmt->rename_type == PG_QUERY__OBJECT_TYPE__OBJECT_COLUMN ? n->rename_stmt->subname : NULL;
	if (n->node_case != PG_QUERY__NODE__NODE_ALTER_TABLE_CMD)
		return NULL;
	const PgQuery__AlterTableCmd *cmd = n->alter_table_cmd;
	if (ch->kind == MM_CH_ADD_COLUMN && cmd->def && cmd->def->node_case == PG_QUERY__NODE__NODE_COLUMN_DEF)
		return cmd->def->column_def->colname;
	return cmd->name && *cmd->name ? cmd->name : NULL;
}

static bool locks_table(const struct mm_step *s, const char *table)
{
	for (size_t i = 0; i < s->locks.len; i++) {
		const struct mm_lock_use *l = mm_vec_at(&s->locks, i);
		if (l->table && strcmp(l->table, table) == 0)
			return true;
	}
	return false;
}

/* schema.name for a new name in the schema of table (display form, quoted as needed). */
static const char *sibling(struct mm_arena *a, const char *table, const char *old_name, const char *new_name)
{
	const char *q = mm_sql_ident(a, old_name);
	size_t tl = strlen(table), ql = strlen(q);
	if (tl > ql && table[tl - ql - 1] == '.' && strcmp(table + tl - ql, q) == 0)
		return mm_sprintf(a, "%.*s.%s", (int)(tl - ql - 1), table, mm_sql_ident(a, new_name));
	return mm_sql_ident(a, new_name);
}

static const char *column_exists(struct mm_arena *a, const char *table, const char *col)
{
	return mm_sprintf(a,
	                  "EXISTS (SELECT FROM pg_catalog.pg_attribute WHERE attrelid = pg_catalog.to_regclass(%s) "
	                  "AND attname = %s AND NOT attisdropped)",
	                  mm_sql_literal(a, table), mm_sql_literal(a, col));
}

/* The condition under which the steps before the later change still have to run, or NULL. */
static const char *not_yet(struct mm_arena *a, const struct mm_step *later, const char **table, const char **column)
{
	const struct mm_change *ch = later->change;
	if (!ch || !later->locks.len)
		return NULL;
	const struct mm_lock_use *l = mm_vec_at(&later->locks, 0);
	*table = l->table;
	*column = NULL;
	PgQuery__Node *n = ch->node;
	if (ch->kind == MM_CH_RENAME_TABLE) {
		if (!n || n->node_case != PG_QUERY__NODE__NODE_RENAME_STMT || !n->rename_stmt->relation)
			return NULL;
		return mm_sprintf(a, "pg_catalog.to_regclass(%s) IS NULL",
		                  mm_sql_literal(a, sibling(a, l->table, n->rename_stmt->relation->relname,
		                                            n->rename_stmt->newname)));
	}
	if (ch->kind == MM_CH_DROP_TABLE)
		return mm_sprintf(a, "pg_catalog.to_regclass(%s) IS NOT NULL", mm_sql_literal(a, l->table));
	if (ch->kind != MM_CH_RENAME_COLUMN && ch->kind != MM_CH_DROP_COLUMN)
		return NULL;
	if (!(*column = change_column(ch)))
		return NULL;
	if (ch->kind == MM_CH_RENAME_COLUMN)
		return mm_sprintf(a, "NOT %s", column_exists(a, l->table, n->rename_stmt->newname));
	return column_exists(a, l->table, *column);
}

static void guard_step(struct mm_ctx *ctx, struct mm_step *s, const char *cond)
{
	struct mm_arena *a = &ctx->arena;
	struct mm_buf b = MM_BUF_INIT;
	mm_buf_addf(&b, "IF %s THEN\n", cond);
	for (size_t i = 0; i < s->up.len; i++) {
		const char *stmt = mm_vec_at(&s->up, i);
		mm_buf_adds(&b, "    ");
		for (const char *p = stmt; *p; p++) {
			mm_buf_addch(&b, *p);
			if (*p == '\n')
				mm_buf_adds(&b, "    ");
		}
		mm_buf_adds(&b, ";\n");
	}
	mm_buf_adds(&b, "END IF");
	const char *one = mm_strndup(a, b.buf, b.len);
	mm_buf_release(&b);
	s->up.len = 0;
	mm_vec_push(a, &s->up, (void *)one);
	s->plpgsql = true;
}

void mm_plan_guard_reruns(struct mm_ctx *ctx, struct mm_plan *plan)
{
	for (size_t j = 0; j < plan->steps.len; j++) {
		struct mm_step *later = mm_vec_at(&plan->steps, j);
		/* Only renames and drops leave evidence to test; checked first, because the scans below
		 * are over every earlier step (per step, they made a long input quadratic). */
		enum mm_change_kind kind = later->change ? later->change->kind : MM_CH_OTHER;
		if (kind != MM_CH_RENAME_TABLE && kind != MM_CH_DROP_TABLE && kind != MM_CH_RENAME_COLUMN &&
		    kind != MM_CH_DROP_COLUMN)
			continue;
		/* The first step of its change: the earliest sign that the change has run. */
		bool first = true;
		for (size_t k = 0; k < j && first; k++)
			first = ((struct mm_step *)mm_vec_at(&plan->steps, k))->change != later->change;
		const char *table = NULL, *column = NULL;
		const char *cond = first ? not_yet(&ctx->arena, later, &table, &column) : NULL;
		if (!cond)
			continue;
		for (size_t i = 0; i < j; i++) {
			struct mm_step *s = mm_vec_at(&plan->steps, i);
			if (s->unit != MM_UNIT_TX || s->change == later->change || !s->change || !s->up.len ||
			    !locks_table(s, table))
				continue;
			const char *c = column ? change_column(s->change) : NULL;
			if (column && (!c || strcmp(c, column) != 0))
				continue;
			guard_step(ctx, s, cond);
		}
	}
}
