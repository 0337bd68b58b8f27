/*
 * casts.h — which conversions PostgreSQL makes between built-in types (casts.c).
 */
#ifndef MKMIG_RULES_CASTS_H
#define MKMIG_RULES_CASTS_H

#include "mkmig/sql.h"

enum mm_cast {
	MM_CAST_UNKNOWN,    /* a type outside the table (extension, domain, enum): PostgreSQL decides */
	MM_CAST_NONE,       /* no conversion at all: even CAST(x AS T) fails */
	MM_CAST_EXPLICIT,   /* only written out: CAST(x AS T) or x::T */
	MM_CAST_ASSIGNMENT, /* also on assignment: ALTER COLUMN TYPE without USING, INSERT, UPDATE SET */
};

/* From a value of type `from` to type `to` (parsed type names; typmods do not matter), on
 * PostgreSQL pg_version. */
enum mm_cast mm_cast_between(const PgQuery__TypeName *from, const PgQuery__TypeName *to, int pg_version);

/* The type of an expression when it is plain enough to tell without PostgreSQL: a reference to
 * a column whose type lookup() knows, or a cast (x::T, CAST(x AS T)). NULL otherwise. */
typedef const char *(*mm_column_type_fn)(const char *column, void *arg);
PgQuery__TypeName *mm_cast_expr_type(struct mm_ctx *ctx, PgQuery__Node *expr, mm_column_type_fn lookup, void *arg);

/* Can the value of expr be stored in a column of type to_type without a cast (as UPDATE SET and
 * ALTER COLUMN TYPE ... USING store it)? Checked only where the type of expr is plain (see
 * mm_cast_expr_type), with any cast inside it. Returns 0, or -1 after an error at the expression
 * in src: what names it ("result of USING clause for column x"); types are named as the
 * model m prints them. */
struct mm_model;
int mm_cast_check_value(struct mm_model *m, const struct mm_source *src, PgQuery__Node *expr, const char *to_type,
                        mm_column_type_fn lookup, void *arg, const char *what);

#endif
