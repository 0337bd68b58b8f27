/*
 * single_row.c — an UPDATE or DELETE whose WHERE pins a unique key by equality changes at most
 * one row: it holds one row lock for an index lookup, not the row locks of a whole table, so it
 * is no unbatched-dml hazard (the rule is about one statement over many rows). A key is the
 * primary key or a valid, non-partial unique index on plain columns; the WHERE is read as its
 * top-level AND: `col = constant` (or a parameter) for every key column. NULL never equals, so a
 * nullable unique column still matches at most one row.
 */
#include "check_internal.h"

#include <string.h>

/* The column `name = constant` pins, or NULL. alias: the target's alias or name. */
static const char *pinned(const PgQuery__Node *n, const char *alias)
{
	if (n->node_case != PG_QUERY__NODE__NODE_A_EXPR || n->a_expr->kind != PG_QUERY__A__EXPR__KIND__AEXPR_OP ||
	    n->a_expr->n_name != 1 || n->a_expr->name[0]->node_case != PG_QUERY__NODE__NODE_STRING ||
	    strcmp(n->a_expr->name[0]->string->sval, "=") != 0)
		return NULL;
	const PgQuery__Node *sides[2] = { n->a_expr->lexpr, n->a_expr->rexpr };
	for (int i = 0; i < 2; i++) {
		const PgQuery__Node *c = sides[i], *v = sides[1 - i];
		if (!c || !v || c->node_case != PG_QUERY__NODE__NODE_COLUMN_REF)
			continue;
		if (v->node_case == PG_QUERY__NODE__NODE_TYPE_CAST)
			v = v->type_cast->arg;
		if (!v || (v->node_case != PG_QUERY__NODE__NODE_A_CONST && v->node_case != PG_QUERY__NODE__NODE_PARAM_REF))
			continue;
		if (v->node_case == PG_QUERY__NODE__NODE_A_CONST && v->a_const->isnull)
			continue;
		const PgQuery__ColumnRef *cr = c->column_ref;
		if (cr->n_fields < 1 || cr->n_fields > 2 || cr->fields[cr->n_fields - 1]->node_case != PG_QUERY__NODE__NODE_STRING)
			continue;
		if (cr->n_fields == 2 && (cr->fields[0]->node_case != PG_QUERY__NODE__NODE_STRING ||
		                          strcmp(cr->fields[0]->string->sval, alias) != 0))
			continue;
		return cr->fields[cr->n_fields - 1]->string->sval;
	}
	return NULL;
}

static void collect(const PgQuery__Node *n, const char *alias, struct mm_vec *cols, struct mm_arena *a)
{
	if (n->node_case == PG_QUERY__NODE__NODE_BOOL_EXPR && n->bool_expr->boolop == PG_QUERY__BOOL_EXPR_TYPE__AND_EXPR) {
		for (size_t i = 0; i < n->bool_expr->n_args; i++)
			collect(n->bool_expr->args[i], alias, cols, a);
		return;
	}
	const char *c = pinned(n, alias);
	if (c)
		mm_vec_push(a, cols, (void *)c);
}

static bool has(const struct mm_vec *cols, const char *c)
{
	for (size_t i = 0; i < cols->len; i++)
		if (strcmp(mm_vec_at(cols, i), c) == 0)
			return true;
	return false;
}

bool ck_single_row(struct mm_arena *a, const struct mm_table *t, const PgQuery__Node *stmt)
{
	const PgQuery__RangeVar *rv;
	const PgQuery__Node *where;
	if (!t)
		return false;
	if (stmt->node_case == PG_QUERY__NODE__NODE_UPDATE_STMT)
		rv = stmt->update_stmt->relation, where = stmt->update_stmt->where_clause;
	else if (stmt->node_case == PG_QUERY__NODE__NODE_DELETE_STMT)
		rv = stmt->delete_stmt->relation, where = stmt->delete_stmt->where_clause;
	else
		return false;
	if (!where || !rv)
		return false;
	const char *alias = rv->alias && rv->alias->aliasname ? rv->alias->aliasname : rv->relname;
	struct mm_vec cols = { 0 };
	collect(where, alias, &cols, a);
	for (size_t i = 0; i < t->indexes.len && cols.len; i++) {
		const struct mm_index *ix = mm_vec_at(&t->indexes, i);
		if (!(ix->unique || ix->primary) || ix->partial || ix->has_expressions || !ix->valid || !ix->columns.len)
			continue;
		bool all = true;
		for (size_t k = 0; k < ix->columns.len && all; k++)
			all = has(&cols, mm_vec_at(&ix->columns, k));
		if (all)
			return true;
	}
	return false;
}
