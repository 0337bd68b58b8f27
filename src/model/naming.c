/*
 * naming.c — the names PostgreSQL would choose for objects a statement leaves unnamed: the
 * model needs them to replay "CREATE INDEX ON t (c)" and the planner to make mkmig's safe form
 * end with the same names (design contract 1). Follows
 * ChooseIndexColumnNames / ChooseIndexNameAddition / ChooseIndexName / ChooseRelationName in
 * src/backend/commands/indexcmds.c (PostgreSQL 11-18 alike).
 */
#include "model_internal.h"

#include <string.h>

/* FigureColname's answer for an index expression (parse_target.c): a column reference or a
 * function call names itself, a cast names its argument (or else its type); anything else is
 * "expr" (FigureIndexColname's fallback). */
static const char *expr_colname(const PgQuery__Node *e)
{
	if (!e)
		return NULL;
	if (e->node_case == PG_QUERY__NODE__NODE_COLUMN_REF && e->column_ref->n_fields) {
		const PgQuery__Node *last = e->column_ref->fields[e->column_ref->n_fields - 1];
		return last->node_case == PG_QUERY__NODE__NODE_STRING ? last->string->sval : NULL;
	}
	if (e->node_case == PG_QUERY__NODE__NODE_FUNC_CALL && e->func_call->n_funcname)
		return e->func_call->funcname[e->func_call->n_funcname - 1]->string->sval;
	if (e->node_case == PG_QUERY__NODE__NODE_COALESCE_EXPR)
		return "coalesce";
	if (e->node_case == PG_QUERY__NODE__NODE_TYPE_CAST) {
		const char *inner = expr_colname(e->type_cast->arg);
		const PgQuery__TypeName *tn = e->type_cast->type_name;
		if (inner)
			return inner;
		return tn && tn->n_names ? tn->names[tn->n_names - 1]->string->sval : NULL;
	}
	return NULL;
}

/* Column-name parts of an index: the column, else the expression's alias, else "expr";
 * duplicates within one index get a number ("expr", "expr1"). INCLUDE columns count too. */
static void index_colnames(struct mm_arena *a, const PgQuery__IndexStmt *ix, struct mm_vec *out)
{
	size_t n = ix->n_index_params + ix->n_index_including_params;
	for (size_t i = 0; i < n; i++) {
		PgQuery__Node *p = i < ix->n_index_params ? ix->index_params[i]
		                                          : ix->index_including_params[i - ix->n_index_params];
		const PgQuery__IndexElem *el = p->index_elem;
		const char *orig = el->indexcolname && el->indexcolname[0] ? el->indexcolname
		                   : el->name && el->name[0]                ? el->name
		                   : expr_colname(el->expr)                 ? expr_colname(el->expr)
		                                                           : "expr";
		const char *cur = orig;
		for (int k = 1;; k++) {
			bool clash = false;
			for (size_t j = 0; j < out->len && !clash; j++)
				clash = strcmp(mm_vec_at(out, j), cur) == 0;
			if (!clash)
				break;
			char num[16];
			snprintf(num, sizeof(num), "%d", k);
			size_t keep = mm_utf8_clip(orig, MM_NAMEDATALEN - 1 - strlen(num));
			cur = mm_sprintf(a, "%.*s%s", (int)keep, orig, num);
		}
		mm_vec_push(a, out, (void *)cur);
	}
}

/* ChooseIndexNameAddition: parts joined by "_", cut at NAMEDATALEN - 1 bytes. */
static char *name_addition(struct mm_arena *a, const struct mm_vec *parts)
{
	struct mm_buf b = MM_BUF_INIT;
	for (size_t i = 0; i < parts->len && b.len < MM_NAMEDATALEN - 1; i++) {
		if (b.len)
			mm_buf_addch(&b, '_');
		mm_buf_adds(&b, mm_vec_at(parts, i));
	}
	if (b.len > MM_NAMEDATALEN - 1)
		b.len = MM_NAMEDATALEN - 1, b.buf[b.len] = '\0';
	char *s = mm_buf_arena(&b, a);
	mm_buf_release(&b);
	return s;
}

static bool in_list(const struct mm_vec *v, const char *name)
{
	for (size_t i = 0; v && i < v->len; i++)
		if (strcmp(mm_vec_at(v, i), name) == 0)
			return true;
	return false;
}

char *mm_model_choose_name(const struct mm_model *m, const char *schema, const char *name1,
                           const char *name2, const char *label, const struct mm_vec *also_taken,
                           enum mm_name_space space)
{
	struct mm_arena *a = &m->ctx->arena;
	for (int pass = 0;; pass++) {
		const char *lab = pass ? mm_sprintf(a, "%s%d", label, pass) : label;
		char *cand = mm_name_pg_object(a, name1, name2, lab);
		bool taken = in_list(also_taken, cand);
		/* A constraint's index must be free as a relation name and as a constraint name
		 * (ChooseRelationName with isconstraint); a CHECK or FK name only as a constraint name
		 * (ChooseConstraintName). */
		if (space != MM_NAME_CONSTRAINT)
			taken = taken || mm_model_relname_taken(m, schema, cand);
		if (space != MM_NAME_RELATION)
			taken = taken || mm_model_constraint_name_taken(m, schema, cand);
		if (!taken)
			return cand;
	}
}

char *mm_model_choose_index_name(const struct mm_model *m, const char *schema, const char *table,
                                 const PgQuery__IndexStmt *ix, const struct mm_vec *also_taken)
{
	struct mm_vec parts = { 0 };
	index_colnames(&m->ctx->arena, ix, &parts);
	const char *label = ix->primary ? "pkey" : ix->isconstraint ? "key" : "idx";
	if (ix->n_exclude_op_names)
		label = "excl";
	/* A primary key's name has no column part: makeObjectName(table, NULL, "pkey"). */
	return mm_model_choose_name(m, schema, table, ix->primary ? NULL : name_addition(&m->ctx->arena, &parts),
	                      label, also_taken, ix->isconstraint ? MM_NAME_CONSTRAINT_INDEX : MM_NAME_RELATION);
}

char *mm_name_addition(struct mm_arena *a, const struct mm_vec *parts)
{
	return name_addition(a, parts);
}
