/*
 * naming.c — the planner's view of PostgreSQL's name choice: the model's naming (which knows
 * every relation and constraint name) plus the names this plan has already chosen.
 */
#include "plan_internal.h"
#include "naming.h"

char *mm_choose_relation_name(struct mm_rule_ctx *r, const char *schema, const char *name1,
                              const char *name2, const char *label, const struct mm_vec *also_taken)
{
	return mm_model_choose_name(r->model, schema, name1, name2, label, also_taken, MM_NAME_RELATION);
}

char *mm_choose_name(struct mm_rule_ctx *r, const char *schema, const char *name1, const char *name2,
                     const char *label, const struct mm_vec *also_taken, enum mm_name_space space)
{
	return mm_model_choose_name(r->model, schema, name1, name2, label, also_taken, space);
}

char *mm_choose_index_name(struct mm_rule_ctx *r, const char *schema, const char *table,
                           const PgQuery__IndexStmt *ix, const struct mm_vec *also_taken)
{
	return mm_model_choose_index_name(r->model, schema, table, ix, also_taken);
}
