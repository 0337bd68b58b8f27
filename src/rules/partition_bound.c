/*
 * partition_bound.c — does a partition's validated CHECK already imply the bound it is attached
 * with? Then ATTACH PARTITION skips its scan of the partition ("the scan ... will be skipped if
 * an existing valid CHECK constraint implies the partition constraint", docs: sql-altertable.html,
 * ATTACH PARTITION). PostgreSQL proves it with predicate_implied_by over the table's valid CHECK
 * constraints and NOT NULL columns (weak implication: a CHECK lets NULL through). This is a
 * smaller prover of the same facts, for a LIST or single-column RANGE bound and the forms people
 * (and mkmig, src/rules/partition.c) write: top-level AND of `col IS [NOT] NULL`, `col op const`
 * (op one of = < <= > >=), `col IN (...)`, and `col IS NULL OR col IN (...)`. Constants compare
 * as written, numbers by value, and ISO dates/timestamps of one shape as text; anything else is
 * not proven (the scan is assumed, as before).
 */
#include "common.h"
#include "partition_bound.h"

#include <stdlib.h>
#include <string.h>

struct facts {
	bool not_null, is_null;
	struct mm_vec lower, upper;  /* struct cmp *: col > / >= / = const, col < / <= / = const */
	struct mm_vec sets;          /* struct mm_vec * of constants: col IN (...) */
};

struct cmp {
	bool strict;
	const PgQuery__Node *value;  /* an A_Const */
};

/* The partition key column being proven about: its name and type (for casts of constants:
 * pg_get_constraintdef prints '2024-01-01'::date). */
struct key {
	struct mm_ctx *ctx;
	const char *col, *type;
};

/* Type names a cast may spell, as the model's column types are printed (format_type). */
static const struct {
	const char *cast, *type;
} type_alias[] = {
	{ "int2", "smallint" }, { "int4", "integer" }, { "int8", "bigint" }, { "timestamptz", "timestamp with time zone" },
	{ "timestamp", "timestamp without time zone" }, { "varchar", "character varying" }, { "bpchar", "character" },
};

static bool cast_to_key_type(const struct key *k, const PgQuery__TypeCast *tc)
{
	const PgQuery__TypeName *tn = tc->type_name;
	if (!k->type || !tn || !tn->n_names || tn->n_typmods || tn->n_array_bounds)
		return false;
	const PgQuery__Node *last = tn->names[tn->n_names - 1];
	if (last->node_case != PG_QUERY__NODE__NODE_STRING)
		return false;
	const char *t = last->string->sval;
	for (size_t i = 0; i < MM_ARRAY_LEN(type_alias); i++)
		if (strcmp(type_alias[i].cast, t) == 0)
			t = type_alias[i].type;
	return strcmp(t, k->type) == 0;
}

/* A constant as PostgreSQL compares it with the key: a literal, or one cast to the key's type
 * (a cast to another type is another comparison, which PostgreSQL may not prove either). */
static const PgQuery__Node *constant(const struct key *k, const PgQuery__Node *n)
{
	if (n && n->node_case == PG_QUERY__NODE__NODE_TYPE_CAST && cast_to_key_type(k, n->type_cast))
		n = n->type_cast->arg;
	return n && n->node_case == PG_QUERY__NODE__NODE_A_CONST && !n->a_const->isnull ? n : NULL;
}

static bool is_col(const struct key *k, const PgQuery__Node *n)
{
	if (!n || n->node_case != PG_QUERY__NODE__NODE_COLUMN_REF || !n->column_ref->n_fields)
		return false;
	const PgQuery__Node *f = n->column_ref->fields[n->column_ref->n_fields - 1];
	return f->node_case == PG_QUERY__NODE__NODE_STRING && strcmp(f->string->sval, k->col) == 0;
}

static const char *op_name(const PgQuery__AExpr *e)
{
	if (e->n_name != 1 || e->name[0]->node_case != PG_QUERY__NODE__NODE_STRING)
		return NULL;
	return e->name[0]->string->sval;
}

/* The constants of `col IN (...)`, `col = ANY (ARRAY[...])` or `col = c`, or NULL. */
static struct mm_vec *value_set(const struct key *k, const PgQuery__Node *n)
{
	struct mm_arena *a = &k->ctx->arena;
	if (!n || n->node_case != PG_QUERY__NODE__NODE_A_EXPR || !is_col(k, n->a_expr->lexpr))
		return NULL;
	const PgQuery__AExpr *e = n->a_expr;
	const char *op = op_name(e);
	if (!op || strcmp(op, "=") != 0)
		return NULL;
	struct mm_vec *set = mm_alloc(a, sizeof(*set));
	const PgQuery__Node *r = e->rexpr;
	if (e->kind == PG_QUERY__A__EXPR__KIND__AEXPR_OP) {
		if (!constant(k, r))
			return NULL;
		mm_vec_push(a, set, (void *)constant(k, r));
		return set;
	}
	PgQuery__Node **items = NULL;
	size_t n_items = 0;
	if (e->kind == PG_QUERY__A__EXPR__KIND__AEXPR_IN && r && r->node_case == PG_QUERY__NODE__NODE_LIST)
		items = r->list->items, n_items = r->list->n_items;
	else if (e->kind == PG_QUERY__A__EXPR__KIND__AEXPR_OP_ANY && r && r->node_case == PG_QUERY__NODE__NODE_A_ARRAY_EXPR)
		items = r->a_array_expr->elements, n_items = r->a_array_expr->n_elements;
	for (size_t i = 0; i < n_items; i++) {
		if (!constant(k, items[i]))
			return NULL;
		mm_vec_push(a, set, (void *)constant(k, items[i]));
	}
	return n_items ? set : NULL;
}

static bool is_null_test(const struct key *k, const PgQuery__Node *n, PgQuery__NullTestType t)
{
	return n && n->node_case == PG_QUERY__NODE__NODE_NULL_TEST && n->null_test->nulltesttype == t &&
	       is_col(k, n->null_test->arg);
}

static void add_cmp(struct mm_arena *a, struct mm_vec *to, const PgQuery__Node *value, bool strict)
{
	struct cmp *c = mm_alloc(a, sizeof(*c));
	c->value = value;
	c->strict = strict;
	mm_vec_push(a, to, c);
}

static void add_conjunct(const struct key *k, struct facts *f, const PgQuery__Node *n)
{
	struct mm_arena *a = &k->ctx->arena;
	if (n->node_case == PG_QUERY__NODE__NODE_BOOL_EXPR && n->bool_expr->boolop == PG_QUERY__BOOL_EXPR_TYPE__AND_EXPR) {
		for (size_t i = 0; i < n->bool_expr->n_args; i++)
			add_conjunct(k, f, n->bool_expr->args[i]);
		return;
	}
	if (is_null_test(k, n, PG_QUERY__NULL_TEST_TYPE__IS_NOT_NULL)) {
		f->not_null = true;
		return;
	}
	if (is_null_test(k, n, PG_QUERY__NULL_TEST_TYPE__IS_NULL)) {
		f->is_null = true;
		return;
	}
	/* col IS NULL OR col IN (...): under weak implication the same as col IN (...). */
	if (n->node_case == PG_QUERY__NODE__NODE_BOOL_EXPR && n->bool_expr->boolop == PG_QUERY__BOOL_EXPR_TYPE__OR_EXPR &&
	    n->bool_expr->n_args == 2) {
		PgQuery__Node **args = n->bool_expr->args;
		struct mm_vec *set = NULL;
		if (is_null_test(k, args[0], PG_QUERY__NULL_TEST_TYPE__IS_NULL))
			set = value_set(k, args[1]);
		else if (is_null_test(k, args[1], PG_QUERY__NULL_TEST_TYPE__IS_NULL))
			set = value_set(k, args[0]);
		if (set)
			mm_vec_push(a, &f->sets, set);
		return;
	}
	struct mm_vec *set = value_set(k, n);
	if (set) {
		mm_vec_push(a, &f->sets, set);
		if (set->len == 1) {
			add_cmp(a, &f->lower, mm_vec_at(set, 0), false);
			add_cmp(a, &f->upper, mm_vec_at(set, 0), false);
		}
		return;
	}
	if (n->node_case != PG_QUERY__NODE__NODE_A_EXPR || n->a_expr->kind != PG_QUERY__A__EXPR__KIND__AEXPR_OP ||
	    !is_col(k, n->a_expr->lexpr) || !constant(k, n->a_expr->rexpr))
		return;
	const char *op = op_name(n->a_expr);
	if (!op || (op[0] != '<' && op[0] != '>') || (op[1] && strcmp(op + 1, "=") != 0))
		return;
	add_cmp(a, op[0] == '>' ? &f->lower : &f->upper, constant(k, n->a_expr->rexpr), op[1] != '=');
}

static bool iso_shape(const char *s)
{
	/* YYYY-MM-DD, optionally followed by a time: digits and separators only. */
	size_t n = strlen(s);
	if (n < 10 || s[4] != '-' || s[7] != '-')
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || strchr("-: .+T", s[i])))
			return false;
	return true;
}

/* Order of two constants (A_Const): *ok false when mkmig cannot tell (then nothing is proven). */
static int value_cmp(const struct key *k, const PgQuery__Node *x, const PgQuery__Node *y, bool *ok)
{
	*ok = true;
	const PgQuery__AConst *a = x->a_const, *b = y->a_const;
	bool na = a->val_case == PG_QUERY__A__CONST__VAL_IVAL || a->val_case == PG_QUERY__A__CONST__VAL_FVAL;
	bool nb = b->val_case == PG_QUERY__A__CONST__VAL_IVAL || b->val_case == PG_QUERY__A__CONST__VAL_FVAL;
	if (na && nb) {
		double da = a->val_case == PG_QUERY__A__CONST__VAL_IVAL ? a->ival->ival : strtod(a->fval->fval, NULL);
		double db = b->val_case == PG_QUERY__A__CONST__VAL_IVAL ? b->ival->ival : strtod(b->fval->fval, NULL);
		return da < db ? -1 : da > db;
	}
	if (a->val_case == PG_QUERY__A__CONST__VAL_SVAL && b->val_case == PG_QUERY__A__CONST__VAL_SVAL) {
		const char *sa = a->sval->sval, *sb = b->sval->sval;
		if (strcmp(sa, sb) == 0)
			return 0;
		/* Two ISO dates or timestamps of one shape order as their text. */
		bool same_shape = strlen(sa) == strlen(sb) && iso_shape(sa) && iso_shape(sb);
		for (size_t i = 0; same_shape && sa[i]; i++)
			same_shape = (sa[i] >= '0' && sa[i] <= '9') == (sb[i] >= '0' && sb[i] <= '9') &&
			             ((sa[i] >= '0' && sa[i] <= '9') || sa[i] == sb[i]);
		*ok = same_shape;
		return strcmp(sa, sb) < 0 ? -1 : 1;
	}
	const char *ta = mm_sql_deparse_expr(k->ctx, (PgQuery__Node *)x), *tb = mm_sql_deparse_expr(k->ctx, (PgQuery__Node *)y);
	*ok = ta && tb && strcmp(ta, tb) == 0;
	return 0;
}

static bool is_bound_word(const PgQuery__Node *n, const char *word)
{
	return n->node_case == PG_QUERY__NODE__NODE_COLUMN_REF && n->column_ref->n_fields == 1 &&
	       n->column_ref->fields[0]->node_case == PG_QUERY__NODE__NODE_STRING &&
	       strcmp(n->column_ref->fields[0]->string->sval, word) == 0;
}

/* Some fact proves col >= low (lower) or col < high (upper). */
static bool bounded(const struct key *k, const struct mm_vec *facts, const PgQuery__Node *limit, bool lower)
{
	if (is_bound_word(limit, lower ? "minvalue" : "maxvalue"))
		return true;
	limit = constant(k, limit);
	if (!limit)
		return false;
	for (size_t i = 0; i < facts->len; i++) {
		const struct cmp *c = mm_vec_at(facts, i);
		bool ok;
		int d = value_cmp(k, c->value, limit, &ok);
		/* lower: col > v, >= v or = v with v >= low; upper: col < v with v <= high, <= v or = v with v < high. */
		if (ok && (lower ? d >= 0 : c->strict ? d <= 0 : d < 0))
			return true;
	}
	return false;
}

static bool in_list(const struct key *k, const PgQuery__Node *v, PgQuery__Node **list, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const PgQuery__Node *c = constant(k, list[i]);
		bool ok;
		if (c && value_cmp(k, v, c, &ok) == 0 && ok)
			return true;
	}
	return false;
}

bool mm_partition_bound_implied(struct mm_ctx *ctx, const struct mm_table *part, const char *column,
                                const PgQuery__PartitionBoundSpec *b)
{
	if (!part || !column || !b || b->is_default || !b->strategy)
		return false;
	struct key k = { .ctx = ctx, .col = mm_model_fold(&ctx->arena, column) };
	const struct mm_column *c = mm_table_find_column(part, k.col);
	if (!c)
		return false;
	k.type = c->type;
	struct facts f = { .not_null = c->not_null };
	for (size_t i = 0; i < part->constraints.len; i++) {
		const struct mm_constraint *con = mm_vec_at(&part->constraints, i);
		if (con->type != MM_CON_CHECK || !con->validated || !con->definition || strncmp(con->definition, "CHECK ", 6) != 0)
			continue;
		size_t nd = ctx->diags.items.len, ne = ctx->diags.nerrors;
		PgQuery__Node *e = mm_sql_parse_expr(ctx, con->definition + 6);
		ctx->diags.items.len = nd, ctx->diags.nerrors = ne; /* an unreadable definition proves nothing */
		if (e)
			add_conjunct(&k, &f, e);
	}
	if (b->strategy[0] == 'r') {
		/* Single-column RANGE: col IS NOT NULL AND col >= low AND col < high. */
		return b->n_lowerdatums == 1 && b->n_upperdatums == 1 && f.not_null &&
		       bounded(&k, &f.lower, b->lowerdatums[0], true) && bounded(&k, &f.upper, b->upperdatums[0], false);
	}
	if (b->strategy[0] != 'l' || !b->n_listdatums)
		return false;
	bool has_null = false;
	size_t values = 0;
	for (size_t i = 0; i < b->n_listdatums; i++) {
		const PgQuery__Node *d = b->listdatums[i];
		if (d->node_case == PG_QUERY__NODE__NODE_A_CONST && d->a_const->isnull)
			has_null = true;
		else
			values++;
	}
	/* LIST: col IS NOT NULL AND col = ANY (values), or col IS NULL OR col = ANY (values) with NULL. */
	if (f.is_null && has_null)
		return true;
	if (!has_null && !f.not_null)
		return false;
	for (size_t i = 0; i < f.sets.len && values; i++) {
		const struct mm_vec *set = mm_vec_at(&f.sets, i);
		bool all = true;
		for (size_t s = 0; s < set->len && all; s++)
			all = in_list(&k, mm_vec_at(set, s), b->listdatums, b->n_listdatums);
		if (all)
			return true;
	}
	return false;
}
