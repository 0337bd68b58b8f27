/*
 * naming.h — PostgreSQL's own choice of names for unnamed indexes and constraints.
 */
#ifndef MKMIG_NAMING_H
#define MKMIG_NAMING_H

#include "plan_internal.h"

/* ChooseRelationName: makeObjectName(name1, name2, label), then label1, label2, ... until the
 * name is free in the schema (model) and not in also_taken (names chosen earlier in this plan). */
char *mm_choose_relation_name(struct mm_rule_ctx *r, const char *schema, const char *name1,
                              const char *name2, const char *label, const struct mm_vec *also_taken);
char *mm_choose_name(struct mm_rule_ctx *r, const char *schema, const char *name1, const char *name2,
                     const char *label, const struct mm_vec *also_taken, enum mm_name_space space);
/* ChooseIndexName for an IndexStmt on table. */
char *mm_choose_index_name(struct mm_rule_ctx *r, const char *schema, const char *table,
                           const PgQuery__IndexStmt *ix, const struct mm_vec *also_taken);

#endif
