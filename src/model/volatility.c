/*
 * volatility.c — how volatile an expression is, which decides whether ADD COLUMN ... DEFAULT
 * stays a catalog-only change. PostgreSQL 11+ stores a non-volatile default once and serves it
 * for existing rows; a volatile one must be evaluated per row, so the table is rewritten
 * (https://www.postgresql.org/docs/current/sql-altertable.html, "Notes").
 */
#include "model_internal.h"

#include <string.h>

/* pg_proc.provolatile of the built-ins migrations put in defaults (PostgreSQL 11-18 agree). */
static const struct builtin_fn {
	const char *name;
	enum mm_volatility vol;
} builtin_fns[] = {
	{ "now", MM_VOL_STABLE },
	{ "transaction_timestamp", MM_VOL_STABLE },
	{ "statement_timestamp", MM_VOL_STABLE },
	{ "current_setting", MM_VOL_STABLE },
	{ "to_timestamp", MM_VOL_IMMUTABLE },
	{ "timezone", MM_VOL_IMMUTABLE },
	{ "clock_timestamp", MM_VOL_VOLATILE },
	{ "timeofday", MM_VOL_VOLATILE },
	{ "random", MM_VOL_VOLATILE },
	{ "gen_random_uuid", MM_VOL_VOLATILE },
	{ "uuid_generate_v4", MM_VOL_VOLATILE },
	{ "uuid_generate_v1", MM_VOL_VOLATILE },
	{ "uuidv4", MM_VOL_VOLATILE },
	{ "uuidv7", MM_VOL_VOLATILE },
	{ "nextval", MM_VOL_VOLATILE },
	{ "setval", MM_VOL_VOLATILE },
	{ "txid_current", MM_VOL_STABLE },
	{ "pg_current_xact_id", MM_VOL_VOLATILE },
	{ "lower", MM_VOL_IMMUTABLE },
	{ "upper", MM_VOL_IMMUTABLE },
	{ "length", MM_VOL_IMMUTABLE },
	{ "coalesce", MM_VOL_IMMUTABLE },
	{ "concat", MM_VOL_STABLE },
	{ "md5", MM_VOL_IMMUTABLE },
	{ "jsonb_build_object", MM_VOL_STABLE },
	{ "json_build_object", MM_VOL_STABLE },
	{ "jsonb_build_array", MM_VOL_STABLE },
	{ "to_jsonb", MM_VOL_STABLE },
	{ "array_to_string", MM_VOL_STABLE },
	{ "date_trunc", MM_VOL_IMMUTABLE },
	{ "make_interval", MM_VOL_IMMUTABLE },
	{ "abs", MM_VOL_IMMUTABLE },
	{ "round", MM_VOL_IMMUTABLE },
	{ "substr", MM_VOL_IMMUTABLE },
	{ "btrim", MM_VOL_IMMUTABLE },
	{ "trim", MM_VOL_IMMUTABLE },
	{ "replace", MM_VOL_IMMUTABLE },
};

struct vol_acc {
	const struct mm_model *m;
	enum mm_volatility worst;
	bool unknown;
};

static void note(struct vol_acc *acc, enum mm_volatility v)
{
	if (v == MM_VOL_UNKNOWN)
		acc->unknown = true;
	else if (v > acc->worst)
		acc->worst = v;
}

static enum mm_volatility function_volatility(const struct mm_model *m, const PgQuery__FuncCall *f)
{
	const char *name = f->funcname[f->n_funcname - 1]->string->sval;
	const char *schema = f->n_funcname >= 2 ? f->funcname[f->n_funcname - 2]->string->sval : NULL;
	if (!schema || strcmp(schema, "pg_catalog") != 0) {
		const struct mm_function *fn = mm_model_find_function(m, schema, name);
		if (fn)
			return fn->volatility;
	}
	for (size_t i = 0; i < MM_ARRAY_LEN(builtin_fns); i++)
		if (strcmp(builtin_fns[i].name, name) == 0)
			return builtin_fns[i].vol;
	return MM_VOL_UNKNOWN;
}

static bool visit(PgQuery__Node *n, void *arg)
{
	struct vol_acc *acc = arg;
	if (n->node_case == PG_QUERY__NODE__NODE_FUNC_CALL && n->func_call->n_funcname)
		note(acc, function_volatility(acc->m, n->func_call));
	else if (n->node_case == PG_QUERY__NODE__NODE_SQLVALUE_FUNCTION)
		note(acc, MM_VOL_STABLE); /* CURRENT_TIMESTAMP, CURRENT_USER, ... */
	else if (n->node_case == PG_QUERY__NODE__NODE_SUB_LINK)
		note(acc, MM_VOL_UNKNOWN);
	return true;
}

enum mm_volatility mm_model_expr_volatility(const struct mm_model *m, PgQuery__Node *expr)
{
	if (!expr)
		return MM_VOL_UNKNOWN;
	struct vol_acc acc = { m, MM_VOL_IMMUTABLE, false };
	mm_sql_walk(expr, visit, &acc);
	if (acc.worst == MM_VOL_VOLATILE)
		return MM_VOL_VOLATILE;
	return acc.unknown ? MM_VOL_UNKNOWN : acc.worst;
}
