/*
 * casts.c — the conversions PostgreSQL makes between the built-in types mkmig knows, so that a
 * type change it would refuse is an error at the statement, not a failure halfway through a
 * migration.
 *
 * ALTER COLUMN TYPE without USING converts with an assignment cast, and so does the result of a
 * USING expression (docs: sql-altertable.html, "SET DATA TYPE": "if there is no implicit or
 * assignment cast from old to new type, SET DATA TYPE might fail to convert the data as
 * required"). PostgreSQL finds a conversion (find_coercion_pathway, parse_coerce.c) in pg_cast —
 * castcontext 'i' (implicit) or 'a' (assignment) for assignment, any for an explicit cast — and
 * otherwise, automatically, through text I/O: to a string type (text, varchar, bpchar, name) on
 * assignment, from one only explicitly (the category 'S' of pg_type). Arrays convert element by element. The table below is
 * pg_cast restricted to these types, without the casts to string types (the I/O rule covers
 * them); tests/pg/cast_proof.sh checks every pair against ALTER TABLE on each PostgreSQL version.
 * Anything else (an extension's type, a domain, an enum) is left to PostgreSQL.
 */
#include "casts.h"
#include "../model/model_internal.h"

#include <string.h>

/* Source type → the types it converts to on assignment (pg_cast 'i' or 'a'), and only
 * explicitly ('e'), space-separated; since: the first major where the row's casts exist (a
 * source may have several rows). */
static const struct cast_row {
	const char *from;
	const char *assignment;
	const char *explicit_only;
	int since;
} casts[] = {
	{ "int2", "int4 int8 float4 float8 numeric oid", "", 0 },
	{ "int4", "int2 int8 float4 float8 numeric money oid", "bool char bit", 0 },
	{ "int8", "int2 int4 float4 float8 numeric money oid", "bit", 0 },
	{ "numeric", "int2 int4 int8 float4 float8 money", "", 0 },
	{ "float4", "int2 int4 int8 float8 numeric", "", 0 },
	{ "float8", "int2 int4 int8 float4 numeric", "", 0 },
	{ "money", "numeric", "", 0 },
	{ "oid", "int4 int8", "", 0 },
	{ "bool", "", "int4", 0 },
	{ "bit", "varbit", "int4 int8", 0 },
	{ "varbit", "bit", "", 0 },
	{ "char", "", "int4", 0 },
	{ "text", "char", "xml", 0 },
	{ "varchar", "char", "xml", 0 },
	{ "bpchar", "char", "xml", 0 },
	{ "name", "", "", 0 },
	{ "date", "timestamp timestamptz", "", 0 },
	{ "time", "interval timetz", "", 0 },
	{ "timetz", "time", "", 0 },
	{ "timestamp", "date time timestamptz", "", 0 },
	{ "timestamptz", "date time timestamp timetz", "", 0 },
	{ "interval", "time", "", 0 },
	{ "json", "jsonb", "", 0 },
	{ "jsonb", "json", "bool int2 int4 int8 numeric float4 float8", 0 },
	{ "inet", "cidr", "", 0 },
	{ "cidr", "inet", "", 0 },
	{ "macaddr", "macaddr8", "", 0 },
	{ "macaddr8", "macaddr", "", 0 },
	{ "uuid", "", "", 0 },
	{ "xml", "", "", 0 },
	{ "bytea", "", "", 0 },
	{ "tsvector", "", "", 0 },
	/* PostgreSQL 18: integers to and from their bytes. */
	{ "int2", "", "bytea", 18 },
	{ "int4", "", "bytea", 18 },
	{ "int8", "", "bytea", 18 },
	{ "bytea", "", "int2 int4 int8", 18 },
};

static const char *const string_types[] = { "text", "varchar", "bpchar", "name" };

static bool in_list(const char *list, const char *name)
{
	size_t n = strlen(name);
	for (const char *p = list; (p = strstr(p, name)) != NULL; p += n)
		if ((p == list || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\0'))
			return true;
	return false;
}

static const struct cast_row *row_of(const char *name)
{
	for (size_t i = 0; i < MM_ARRAY_LEN(casts); i++)
		if (strcmp(casts[i].from, name) == 0)
			return &casts[i];
	return NULL;
}

/* "char" was a string type until PostgreSQL 15 moved it to the internal-use category 'Z'
 * (release notes 15, "Create a new pg_type.typcategory value for \"char\""). */
static bool is_string(const char *name, int pg_version)
{
	if (strcmp(name, "char") == 0)
		return pg_version < 15;
	for (size_t i = 0; i < MM_ARRAY_LEN(string_types); i++)
		if (strcmp(string_types[i], name) == 0)
			return true;
	return false;
}

/* The built-in type a parsed name stands for (pg_catalog spelling), or NULL: a name qualified
 * by another schema is never built in. */
static const char *builtin_name(const PgQuery__TypeName *tn)
{
	if (!tn || !tn->n_names || tn->n_names > 2 || tn->setof || tn->pct_type)
		return NULL;
	for (size_t i = 0; i < tn->n_names; i++)
		if (tn->names[i]->node_case != PG_QUERY__NODE__NODE_STRING)
			return NULL;
	if (tn->n_names == 2 && strcmp(tn->names[0]->string->sval, "pg_catalog") != 0)
		return NULL;
	const char *name = tn->names[tn->n_names - 1]->string->sval;
	return row_of(name) ? name : NULL;
}

/* A pg_cast entry decides when there is one (int4 to "char" stays explicit on 11, where "char"
 * is a string type); only without one does the I/O conversion apply. */
static enum mm_cast scalar_cast(const char *from, const char *to, int pg_version)
{
	if (strcmp(from, to) == 0)
		return MM_CAST_ASSIGNMENT;
	for (size_t i = 0; i < MM_ARRAY_LEN(casts); i++) {
		const struct cast_row *r = &casts[i];
		if (strcmp(r->from, from) != 0 || pg_version < r->since)
			continue;
		if (in_list(r->assignment, to))
			return MM_CAST_ASSIGNMENT;
		if (in_list(r->explicit_only, to))
			return MM_CAST_EXPLICIT;
	}
	if (is_string(to, pg_version))
		return MM_CAST_ASSIGNMENT;
	return is_string(from, pg_version) ? MM_CAST_EXPLICIT : MM_CAST_NONE;
}

enum mm_cast mm_cast_between(const PgQuery__TypeName *from, const PgQuery__TypeName *to, int pg_version)
{
	const char *f = builtin_name(from), *t = builtin_name(to);
	if (!f || !t)
		return MM_CAST_UNKNOWN;
	bool fa = from->n_array_bounds > 0, ta = to->n_array_bounds > 0;
	if (fa == ta)
		return scalar_cast(f, t, pg_version); /* arrays: element by element */
	/* An array and a scalar: only through text I/O. */
	if (!fa && is_string(f, pg_version))
		return MM_CAST_EXPLICIT;
	return fa && is_string(t, pg_version) ? MM_CAST_ASSIGNMENT : MM_CAST_NONE;
}

PgQuery__TypeName *mm_cast_expr_type(struct mm_ctx *ctx, PgQuery__Node *expr, mm_column_type_fn lookup, void *arg)
{
	if (!expr)
		return NULL;
	if (expr->node_case == PG_QUERY__NODE__NODE_TYPE_CAST)
		return expr->type_cast->type_name;
	if (expr->node_case != PG_QUERY__NODE__NODE_COLUMN_REF || expr->column_ref->n_fields != 1 ||
	    expr->column_ref->fields[0]->node_case != PG_QUERY__NODE__NODE_STRING)
		return NULL;
	const char *type = lookup(expr->column_ref->fields[0]->string->sval, arg);
	return type ? mm_sql_parse_type(ctx, type) : NULL;
}

/* Where an expression starts, and how long to underline: a column's name, or the cast's operand. */
static void expr_span(PgQuery__Node *e, size_t *off, size_t *len)
{
	if (e->node_case == PG_QUERY__NODE__NODE_TYPE_CAST && e->type_cast->arg &&
	    e->type_cast->arg->node_case == PG_QUERY__NODE__NODE_COLUMN_REF)
		e = e->type_cast->arg;
	if (e->node_case == PG_QUERY__NODE__NODE_COLUMN_REF && e->column_ref->location >= 0) {
		PgQuery__Node *f = e->column_ref->fields[e->column_ref->n_fields - 1];
		*off = (size_t)e->column_ref->location;
		*len = f->node_case == PG_QUERY__NODE__NODE_STRING ? strlen(f->string->sval) : 1;
		return;
	}
	*off = e->node_case == PG_QUERY__NODE__NODE_TYPE_CAST && e->type_cast->location >= 0 ? (size_t)e->type_cast->location : 0;
	*len = 1;
}

static const char *type_text(struct mm_model *m, PgQuery__Node *expr, PgQuery__TypeName *tn, mm_column_type_fn lookup, void *arg)
{
	if (expr->node_case == PG_QUERY__NODE__NODE_COLUMN_REF)
		return lookup(expr->column_ref->fields[0]->string->sval, arg);
	return mm_model_type_name(m, tn);
}

int mm_cast_check_value(struct mm_model *m, const struct mm_source *src, PgQuery__Node *expr, const char *to_type,
                        mm_column_type_fn lookup, void *arg, const char *what)
{
	struct mm_ctx *ctx = m->ctx;
	int v = ctx->opt.pg_version;
	PgQuery__TypeName *to = mm_sql_parse_type(ctx, to_type);
	if (!expr || !to)
		return 0;
	size_t off, len;
	expr_span(expr, &off, &len);
	if (expr->node_case == PG_QUERY__NODE__NODE_TYPE_CAST) {
		PgQuery__Node *in = expr->type_cast->arg;
		PgQuery__TypeName *from = mm_cast_expr_type(ctx, in, lookup, arg);
		if (from && mm_cast_between(from, expr->type_cast->type_name, v) == MM_CAST_NONE)
			return mm_error_hint(ctx, src, off, len, "PostgreSQL has no conversion between these types: compute the value "
			                                         "another way",
			                     "cannot cast type %s to %s", type_text(m, in, from, lookup, arg),
			                     mm_model_type_name(m, expr->type_cast->type_name));
	}
	PgQuery__TypeName *from = mm_cast_expr_type(ctx, expr, lookup, arg);
	enum mm_cast c = from ? mm_cast_between(from, to, v) : MM_CAST_UNKNOWN;
	if (c == MM_CAST_UNKNOWN || c == MM_CAST_ASSIGNMENT)
		return 0;
	const char *ft = type_text(m, expr, from, lookup, arg);
	return mm_error_hint(ctx, src, off, len,
	                     c == MM_CAST_EXPLICIT ? mm_sprintf(&ctx->arena, "write the conversion: (...)::%s", to_type)
	                                           : mm_sprintf(&ctx->arena, "PostgreSQL has no conversion from %s to %s: "
	                                                                     "compute the value another way", ft, to_type),
	                     "%s (of type %s) cannot be cast automatically to type %s", what, ft, to_type);
}
