/*
 * canon.c — canonical text of expressions, constraint and index definitions, for comparing
 * models built from different sources.
 *
 * The catalog prints what the parser and analyser made of an expression: implicit casts become
 * explicit ("(amount > (0)::numeric)"), IN lists become "= ANY (ARRAY[...])", constants may be
 * quoted ("'-1'::integer"). A migration says "amount > 0". Both are reparsed here and reduced to
 * one shape: every cast dropped, every constant a string, IN as = ANY (ARRAY[...]), BETWEEN as
 * two comparisons, nextval()'s
 * sequence name schema-qualified. The result is for equality only — never emitted as SQL.
 */
#include "model_internal.h"

#include <string.h>

struct canon {
	struct mm_model *m;
	const char *schema; /* for unqualified nextval() arguments */
};

static PgQuery__Node *new_node(struct mm_arena *a)
{
	PgQuery__Node *n = mm_alloc(a, sizeof(*n));
	pg_query__node__init(n);
	return n;
}

static void const_to_string(struct mm_arena *a, PgQuery__AConst *c)
{
	const char *text = NULL;
	if (c->val_case == PG_QUERY__A__CONST__VAL_IVAL)
		text = mm_sprintf(a, "%d", c->ival->ival);
	else if (c->val_case == PG_QUERY__A__CONST__VAL_FVAL)
		text = c->fval->fval;
	if (!text)
		return;
	PgQuery__String *s = mm_alloc(a, sizeof(*s));
	pg_query__string__init(s);
	s->sval = (char *)text;
	c->val_case = PG_QUERY__A__CONST__VAL_SVAL;
	c->sval = s;
}

/* x IN (a, b) → x = ANY (ARRAY[a, b]); NOT IN → <> ALL. */
static void in_to_any(struct mm_arena *a, PgQuery__AExpr *e)
{
	if (!e->rexpr || e->rexpr->node_case != PG_QUERY__NODE__NODE_LIST)
		return;
	PgQuery__List *l = e->rexpr->list;
	PgQuery__AArrayExpr *arr = mm_alloc(a, sizeof(*arr));
	pg_query__a__array_expr__init(arr);
	arr->n_elements = l->n_items;
	arr->elements = l->items;
	arr->location = -1;
	PgQuery__Node *n = new_node(a);
	n->node_case = PG_QUERY__NODE__NODE_A_ARRAY_EXPR;
	n->a_array_expr = arr;
	e->rexpr = n;
	bool negated = e->n_name == 1 && strcmp(e->name[0]->string->sval, "<>") == 0;
	e->kind = negated ? PG_QUERY__A__EXPR__KIND__AEXPR_OP_ALL : PG_QUERY__A__EXPR__KIND__AEXPR_OP_ANY;
}

static PgQuery__Node *op_node(struct mm_arena *a, const char *op, PgQuery__Node *l, PgQuery__Node *r)
{
	PgQuery__AExpr *e = mm_alloc(a, sizeof(*e));
	pg_query__a__expr__init(e);
	e->kind = PG_QUERY__A__EXPR__KIND__AEXPR_OP;
	e->n_name = 1;
	e->name = mm_alloc(a, sizeof(*e->name));
	e->name[0] = mm_sql_string_node(a, op);
	e->lexpr = l;
	e->rexpr = r;
	e->location = -1;
	PgQuery__Node *n = new_node(a);
	n->node_case = PG_QUERY__NODE__NODE_A_EXPR;
	n->a_expr = e;
	return n;
}

/* x BETWEEN a AND b → x >= a AND x <= b (NOT BETWEEN → x < a OR x > b), as the analyser stores
 * it. The SYMMETRIC forms are left alone (rare, and stored as a larger OR). */
static void between_to_bool(struct mm_arena *a, PgQuery__Node *n)
{
	PgQuery__AExpr *e = n->a_expr;
	if (!e->rexpr || e->rexpr->node_case != PG_QUERY__NODE__NODE_LIST || e->rexpr->list->n_items != 2)
		return;
	bool negated = e->kind == PG_QUERY__A__EXPR__KIND__AEXPR_NOT_BETWEEN;
	PgQuery__BoolExpr *b = mm_alloc(a, sizeof(*b));
	pg_query__bool_expr__init(b);
	b->boolop = negated ? PG_QUERY__BOOL_EXPR_TYPE__OR_EXPR : PG_QUERY__BOOL_EXPR_TYPE__AND_EXPR;
	b->n_args = 2;
	b->args = mm_alloc(a, 2 * sizeof(*b->args));
	b->args[0] = op_node(a, negated ? "<" : ">=", e->lexpr, e->rexpr->list->items[0]);
	b->args[1] = op_node(a, negated ? ">" : "<=", e->lexpr, e->rexpr->list->items[1]);
	b->location = -1;
	n->node_case = PG_QUERY__NODE__NODE_BOOL_EXPR;
	n->bool_expr = b;
}

static void qualify_nextval(struct canon *cn, PgQuery__FuncCall *f)
{
	if (f->n_funcname == 0 || f->n_args != 1)
		return;
	if (strcmp(f->funcname[f->n_funcname - 1]->string->sval, "nextval") != 0)
		return;
	PgQuery__Node *arg = f->args[0];
	if (arg->node_case != PG_QUERY__NODE__NODE_A_CONST || arg->a_const->val_case != PG_QUERY__A__CONST__VAL_SVAL)
		return;
	const char *seq = arg->a_const->sval->sval;
	/* A regclass text is qualified when it has a dot outside double quotes. */
	bool quoted = false, qualified = false;
	for (const char *p = seq; *p; p++) {
		if (*p == '"')
			quoted = !quoted;
		else if (*p == '.' && !quoted)
			qualified = true;
	}
	if (!qualified && cn->schema)
		arg->a_const->sval->sval =
		    mm_sprintf(&cn->m->ctx->arena, "%s.%s", mm_sql_ident(&cn->m->ctx->arena, cn->schema), seq);
}

static bool canon_visit(PgQuery__Node *n, void *arg)
{
	struct canon *cn = arg;
	struct mm_arena *a = &cn->m->ctx->arena;
	while (n->node_case == PG_QUERY__NODE__NODE_TYPE_CAST && n->type_cast->arg)
		*n = *n->type_cast->arg;
	if (n->node_case == PG_QUERY__NODE__NODE_A_CONST)
		const_to_string(a, n->a_const);
	else if (n->node_case == PG_QUERY__NODE__NODE_A_EXPR &&
	         n->a_expr->kind == PG_QUERY__A__EXPR__KIND__AEXPR_IN)
		in_to_any(a, n->a_expr);
	else if (n->node_case == PG_QUERY__NODE__NODE_A_EXPR &&
	         (n->a_expr->kind == PG_QUERY__A__EXPR__KIND__AEXPR_BETWEEN ||
	          n->a_expr->kind == PG_QUERY__A__EXPR__KIND__AEXPR_NOT_BETWEEN))
		between_to_bool(a, n);
	else if (n->node_case == PG_QUERY__NODE__NODE_FUNC_CALL)
		qualify_nextval(cn, n->func_call);
	return true;
}

const char *mm_model_canon_expr(struct mm_model *m, const char *expr, const char *schema)
{
	if (!expr)
		return NULL;
	PgQuery__Node *n = mm_sql_parse_expr(m->ctx, expr);
	if (!n)
		return expr;
	struct canon cn = { m, schema };
	mm_sql_walk(n, canon_visit, &cn);
	const char *out = mm_sql_deparse_expr(m->ctx, n);
	return out ? out : expr;
}

const char *mm_model_canon_constraint(struct mm_model *m, const char *definition)
{
	if (!definition)
		return NULL;
	PgQuery__Constraint *c;
	PgQuery__Node *n = mm_model_constraint_parse(m, definition, &c);
	if (!n)
		return definition;
	/* Validity is a separate fact of the model; the text compares the rule itself. */
	c->skip_validation = false;
	c->initially_valid = false;
	struct canon cn = { m, NULL };
	mm_sql_walk(n, canon_visit, &cn);
	const char *out = mm_model_constraint_print(m, c);
	return out ? out : definition;
}

const char *mm_model_canon_index(struct mm_model *m, const char *definition)
{
	if (!definition)
		return NULL;
	PgQuery__Node *n = mm_sql_parse_one(m->ctx, definition, "index definition");
	if (!n || n->node_case != PG_QUERY__NODE__NODE_INDEX_STMT)
		return definition;
	PgQuery__IndexStmt *ix = n->index_stmt;
	ix->concurrent = false;
	ix->if_not_exists = false;
	/* pg_get_indexdef says ON ONLY for a partitioned parent's index; whether it recursed is
	 * modelled by the child indexes themselves. */
	ix->relation->inh = true;
	if (!ix->access_method || !*ix->access_method)
		ix->access_method = "btree";
	struct canon cn = { m, NULL };
	mm_sql_walk(n, canon_visit, &cn);
	const char *out = mm_sql_deparse(m->ctx, n);
	return out ? out : definition;
}
