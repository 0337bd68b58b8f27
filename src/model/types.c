/*
 * types.c — a written type name to the text format_type() prints for it, so a column typed in a
 * migration ("int", "varchar(20)", "timestamptz") and the same column read from the catalog
 * ("integer", "character varying(20)", "timestamp with time zone") compare equal.
 *
 * format_type() rules followed here (src/backend/utils/adt/format_type.c): built-in types get
 * their SQL-standard spelling with the typmod inside ("timestamp(3) with time zone"); types
 * outside pg_catalog are schema-qualified (pg_dump and --db run with an empty search_path);
 * arrays print one "[]" whatever their declared dimensions.
 */
#include "model_internal.h"

#include <string.h>

/* Internal (pg_catalog) name → format_type() spelling. Those absent print as their own name. */
static const struct builtin {
	const char *internal;
	const char *printed;
	const char *mod_fmt; /* where the typmod goes: "%s(%s)" after, or a format with the name split */
} builtins[] = {
	{ "int2", "smallint", NULL },
	{ "int4", "integer", NULL },
	{ "int8", "bigint", NULL },
	{ "float4", "real", NULL },
	{ "float8", "double precision", NULL },
	{ "bool", "boolean", NULL },
	{ "varchar", "character varying", "character varying(%s)" },
	{ "bpchar", "character", "character(%s)" },
	{ "numeric", "numeric", "numeric(%s)" },
	{ "timestamp", "timestamp without time zone", "timestamp(%s) without time zone" },
	{ "timestamptz", "timestamp with time zone", "timestamp(%s) with time zone" },
	{ "time", "time without time zone", "time(%s) without time zone" },
	{ "timetz", "time with time zone", "time(%s) with time zone" },
	{ "interval", "interval", "interval(%s)" },
	{ "bit", "bit", "bit(%s)" },
	{ "varbit", "bit varying", "bit varying(%s)" },
	{ "char", "\"char\"", NULL },
};

/* serial types: an integer column with a sequence default (see apply.c). */
static const struct serial {
	const char *name, *type;
} serials[] = {
	{ "smallserial", "smallint" }, { "serial2", "smallint" }, { "serial", "integer" },
	{ "serial4", "integer" },      { "bigserial", "bigint" }, { "serial8", "bigint" },
};

const char *mm_model_serial_type(const PgQuery__TypeName *tn)
{
	if (!tn || tn->n_names != 1 || tn->n_array_bounds)
		return NULL;
	for (size_t i = 0; i < MM_ARRAY_LEN(serials); i++)
		if (strcmp(tn->names[0]->string->sval, serials[i].name) == 0)
			return serials[i].type;
	return NULL;
}

static const char *typmod_text(struct mm_arena *a, PgQuery__TypeName *tn)
{
	struct mm_buf b = MM_BUF_INIT;
	for (size_t i = 0; i < tn->n_typmods; i++) {
		PgQuery__Node *n = tn->typmods[i];
		if (i)
			mm_buf_addch(&b, ',');
		if (n->node_case == PG_QUERY__NODE__NODE_A_CONST && n->a_const->val_case == PG_QUERY__A__CONST__VAL_IVAL)
			mm_buf_addf(&b, "%d", n->a_const->ival->ival);
		else if (n->node_case == PG_QUERY__NODE__NODE_A_CONST && n->a_const->val_case == PG_QUERY__A__CONST__VAL_SVAL)
			mm_buf_adds(&b, n->a_const->sval->sval);
		else
			mm_buf_adds(&b, "?");
	}
	char *s = mm_buf_arena(&b, a);
	mm_buf_release(&b);
	return s;
}

/* "interval" carries its field restriction (YEAR TO MONTH...) as an encoded typmod; the
 * catalog prints it after the name. Rare in schemas: keep the written text for those. */
static const char *builtin_text(struct mm_arena *a, const struct builtin *bt, PgQuery__TypeName *tn)
{
	if (strcmp(bt->internal, "interval") == 0 && tn->n_typmods)
		return NULL;
	if (strcmp(bt->internal, "bpchar") == 0 && tn->n_typmods == 0)
		return "character(1)"; /* bare CHAR means char(1) */
	if (strcmp(bt->internal, "bit") == 0 && tn->n_typmods == 0)
		return "bit(1)";
	if (!tn->n_typmods || !bt->mod_fmt)
		return bt->printed;
	return mm_sprintf(a, bt->mod_fmt, typmod_text(a, tn));
}

const char *mm_model_type_name(struct mm_model *m, PgQuery__TypeName *tn)
{
	struct mm_arena *a = &m->ctx->arena;
	if (!tn || tn->n_names == 0)
		return "unknown";
	const char *serial = mm_model_serial_type(tn);
	if (serial)
		return serial;
	const char *base = NULL;
	const char *schema = tn->n_names >= 2 ? tn->names[tn->n_names - 2]->string->sval : NULL;
	const char *name = tn->names[tn->n_names - 1]->string->sval;
	if (!schema || strcmp(schema, "pg_catalog") == 0) {
		for (size_t i = 0; i < MM_ARRAY_LEN(builtins) && !base; i++)
			if (strcmp(builtins[i].internal, name) == 0 && (schema || strcmp(name, "char") != 0))
				base = builtin_text(a, &builtins[i], tn);
		/* A written "char" without pg_catalog is the SQL CHAR type the grammar already turned
		 * into pg_catalog.bpchar; an unqualified "char" reaching here was quoted: "char". */
		if (!base && !schema && strcmp(name, "char") == 0)
			base = "\"char\"";
	}
	if (!base) {
		/* A user type (enum, domain, composite) prints qualified; resolve unqualified names
		 * through search_path, falling back to the default schema. */
		const char *s = schema;
		if (!s) {
			struct mm_enum *e = mm_model_find_enum(m, NULL, name);
			if (e)
				s = e->schema;
			else if (mm_model_find_table(m, NULL, name))
				s = mm_model_find_table(m, NULL, name)->schema;
		}
		const char *typmod = tn->n_typmods ? mm_sprintf(a, "(%s)", typmod_text(a, tn)) : "";
		if (s && strcmp(s, "pg_catalog") != 0)
			base = mm_sprintf(a, "%s%s", mm_sql_qname(a, s, name), typmod);
		else
			base = mm_sprintf(a, "%s%s", mm_sql_ident(a, name), typmod);
	}
	if (tn->pct_type)
		return mm_sprintf(a, "%s%%TYPE", base);
	return tn->n_array_bounds ? mm_sprintf(a, "%s[]", base) : base;
}
