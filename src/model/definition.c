/*
 * definition.c — constraint definitions as text (the pg_get_constraintdef shape the model keeps)
 * and back. libpg_query deparses statements, not a lone constraint, so both directions go
 * through one carrier statement, "ALTER TABLE t ADD CONSTRAINT c <definition>".
 */
#include "model_internal.h"

#include <string.h>

static const char carrier_prefix[] = "ALTER TABLE t ADD CONSTRAINT c ";

PgQuery__Node *mm_model_constraint_parse(struct mm_model *m, const char *definition, PgQuery__Constraint **out)
{
	PgQuery__Node *n = mm_sql_parse_one(m->ctx, mm_sprintf(&m->ctx->arena, "%s%s", carrier_prefix, definition),
	                                    "constraint definition");
	if (!n || n->node_case != PG_QUERY__NODE__NODE_ALTER_TABLE_STMT)
		return NULL;
	*out = n->alter_table_stmt->cmds[0]->alter_table_cmd->def->constraint;
	return n;
}

const char *mm_model_constraint_print(struct mm_model *m, const PgQuery__Constraint *c)
{
	struct mm_arena *a = &m->ctx->arena;
	PgQuery__Constraint *copy = mm_alloc(a, sizeof(*copy));
	*copy = *c;
	copy->conname = "c";
	PgQuery__Node *cn = mm_alloc(a, sizeof(*cn));
	pg_query__node__init(cn);
	cn->node_case = PG_QUERY__NODE__NODE_CONSTRAINT;
	cn->constraint = copy;
	PgQuery__AlterTableCmd *cmd = mm_alloc(a, sizeof(*cmd));
	pg_query__alter_table_cmd__init(cmd);
	cmd->subtype = PG_QUERY__ALTER_TABLE_TYPE__AT_AddConstraint;
	cmd->def = cn;
	cmd->behavior = PG_QUERY__DROP_BEHAVIOR__DROP_RESTRICT;
	PgQuery__Node *cmdn = mm_alloc(a, sizeof(*cmdn));
	pg_query__node__init(cmdn);
	cmdn->node_case = PG_QUERY__NODE__NODE_ALTER_TABLE_CMD;
	cmdn->alter_table_cmd = cmd;
	PgQuery__RangeVar *rv = mm_alloc(a, sizeof(*rv));
	pg_query__range_var__init(rv);
	rv->relname = "t";
	rv->inh = true;
	rv->relpersistence = "p";
	rv->location = -1;
	PgQuery__AlterTableStmt *at = mm_alloc(a, sizeof(*at));
	pg_query__alter_table_stmt__init(at);
	at->relation = rv;
	at->n_cmds = 1;
	at->cmds = mm_alloc(a, sizeof(*at->cmds));
	at->cmds[0] = cmdn;
	at->objtype = PG_QUERY__OBJECT_TYPE__OBJECT_TABLE;
	PgQuery__Node *stmt = mm_alloc(a, sizeof(*stmt));
	pg_query__node__init(stmt);
	stmt->node_case = PG_QUERY__NODE__NODE_ALTER_TABLE_STMT;
	stmt->alter_table_stmt = at;
	/* A schema repeats the same key and foreign-key shapes thousands of times, differing in
	 * their column and table names: one deparse per shape (see deparse_memo.c). */
	struct mm_vec names = { 0 };
	PgQuery__Node **lists[] = { copy->keys, copy->fk_attrs, copy->pk_attrs };
	size_t lens[] = { copy->n_keys, copy->n_fk_attrs, copy->n_pk_attrs };
	for (size_t l = 0; l < MM_ARRAY_LEN(lists); l++)
		for (size_t i = 0; i < lens[l]; i++)
			if (lists[l][i]->node_case == PG_QUERY__NODE__NODE_STRING)
				mm_vec_push(a, &names, &lists[l][i]->string->sval);
	if (copy->pktable) {
		mm_vec_push(a, &names, &copy->pktable->catalogname);
		mm_vec_push(a, &names, &copy->pktable->schemaname);
		mm_vec_push(a, &names, &copy->pktable->relname);
	}
	const char *out = mm_sql_deparse_memo(m->ctx, "constraint", stmt, (char **const *)names.items, names.len,
	                                      mm_sql_deparse);
	if (!out || strncmp(out, carrier_prefix, sizeof(carrier_prefix) - 1) != 0)
		return NULL;
	return out + sizeof(carrier_prefix) - 1;
}
