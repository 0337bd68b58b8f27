/*
 * model_internal.h — what the model's own files share: constructors that keep the model's
 * invariants (names interned in the ctx arena, attnums in order, indexes reachable from both
 * their table and the model), and the replay entry point the file and directory loaders use.
 * Nothing outside src/model includes this.
 */
#ifndef MKMIG_MODEL_INTERNAL_H
#define MKMIG_MODEL_INTERNAL_H

#include "mkmig/model.h"

struct mm_table *mm_model_add_table(struct mm_model *m, const char *schema, const char *name,
                                    enum mm_relkind kind, enum mm_origin origin);
void mm_model_remove_table(struct mm_model *m, struct mm_table *t);
/* Appends with the next attnum; type already normalised (format_type form). */
struct mm_column *mm_table_add_column(struct mm_model *m, struct mm_table *t, const char *name,
                                      const char *type);
void mm_table_remove_column(struct mm_table *t, const char *name);
struct mm_constraint *mm_table_add_constraint(struct mm_model *m, struct mm_table *t,
                                              const char *name, enum mm_contype type);
void mm_table_remove_constraint(struct mm_model *m, struct mm_table *t, const char *name);
/* The index's schema is its table's. */
struct mm_index *mm_model_add_index(struct mm_model *m, struct mm_table *t, const char *name);
void mm_model_remove_index(struct mm_model *m, struct mm_index *ix);
struct mm_sequence *mm_model_add_sequence(struct mm_model *m, const char *schema, const char *name);
struct mm_enum *mm_model_add_enum(struct mm_model *m, const char *schema, const char *name);
struct mm_function *mm_model_add_function(struct mm_model *m, const char *schema, const char *name);
void mm_model_add_schema(struct mm_model *m, const char *name);
struct mm_table *mm_index_table(const struct mm_model *m, const struct mm_index *ix);

/* Objects whose first two members are schema and name (tables, sequences, enums, functions,
 * indexes). */
struct mm_named {
	const char *schema, *name;
};

/* Name indexes (lookup.c), kept current by the constructors and removals above. Code that
 * changes a stored name in place (renames) calls mm_model_names_changed so they are rebuilt. */
enum mm_lookup_kind { MM_LOOKUP_SEQUENCE, MM_LOOKUP_ENUM, MM_LOOKUP_FUNCTION };
void mm_model_names_changed(struct mm_model *m);
void mm_lookup_add_table(struct mm_model *m, struct mm_table *t);
void mm_lookup_remove_table(struct mm_model *m, struct mm_table *t);
void mm_lookup_index(struct mm_model *m, struct mm_index *ix, bool add);
void mm_lookup_constraint(struct mm_model *m, const struct mm_table *t, struct mm_constraint *k, bool add);
void mm_lookup_named(struct mm_model *m, enum mm_lookup_kind kind, void *o, bool add);

/* Replay every statement of an already-read source as existing schema. */
int mm_model_load_source(struct mm_model *m, struct mm_source *src);
/* A migration script mkmig wrote (listed in its directory's mkmig.sum): 1 = skip it, 2 = replay
 * *out (the naive statements of its run) instead; 0 = not mkmig's (dir_mkmig.c). */
int mm_model_mkmig_substitute(struct mm_model *m, const char *path, struct mm_source **out);
/* goose, Liquibase and plain directories (dir_more.c): *found says whether dir is one of them. */
int mm_model_load_dir_more(struct mm_model *m, const char *dir, bool *found);

/* Type normalisation: a parsed TypeName to format_type() text, resolving user types (enums,
 * domains, composite) through the model; serial types map to their integer type. */
const char *mm_model_type_name(struct mm_model *m, PgQuery__TypeName *tn);

/* Constraint definitions (definition.c): parse one into its carrier statement (the constraint
 * in *c; NULL on error), and print a constraint node as pg_get_constraintdef text (NULL on error). */
PgQuery__Node *mm_model_constraint_parse(struct mm_model *m, const char *definition, PgQuery__Constraint **c);
const char *mm_model_constraint_print(struct mm_model *m, const PgQuery__Constraint *c);

/* Canonical text of an expression for comparison (casts dropped, IN lists as = ANY (ARRAY[...]),
 * nextval() arguments schema-qualified with `schema`). NULL stays NULL. */
const char *mm_model_canon_expr(struct mm_model *m, const char *expr, const char *schema);
const char *mm_model_canon_constraint(struct mm_model *m, const char *definition);
const char *mm_model_canon_index(struct mm_model *m, const char *definition);

/* --- replay (apply*.c) ------------------------------------------------------------------- */
struct mm_apply {
	struct mm_model *m;
	const struct mm_stmt *st;
	enum mm_origin origin;
};
/* A missing object: an error with the nearest known name when the model is known, else
 * silently nothing (returns 0 then, -1 after an error). loc is a parser location or -1. */
int mm_apply_missing(struct mm_apply *ap, int loc, const char *what, const char *name,
                     const struct mm_vec *candidates);
/* The table a RangeVar names; reports it missing unless missing_ok. */
struct mm_table *mm_apply_table(struct mm_apply *ap, const PgQuery__RangeVar *rv, bool missing_ok, int *rc);
const char *mm_apply_schema(struct mm_apply *ap, const PgQuery__RangeVar *rv);
int mm_apply_create_table(struct mm_apply *ap, PgQuery__CreateStmt *cs);
int mm_apply_alter_table(struct mm_apply *ap, PgQuery__AlterTableStmt *at);
int mm_apply_create_index(struct mm_apply *ap, PgQuery__IndexStmt *is, struct mm_table *t,
                          const char *parent_index);
int mm_apply_index(struct mm_apply *ap, PgQuery__Node *n);
int mm_apply_drop(struct mm_apply *ap, PgQuery__Node *n);
int mm_apply_rename(struct mm_apply *ap, PgQuery__Node *n);
/* Name changes ripple into definitions: old → new in constraint/index texts of table t. */
void mm_apply_rename_column(struct mm_apply *ap, struct mm_table *t, const char *old, const char *new_name);
void mm_apply_rename_table(struct mm_apply *ap, struct mm_table *t, const char *new_name);

#endif
