/*
 * plan_internal.h — what the planner and the rules share: the rule context, the rule table,
 * lock facts and helpers for writing steps. Not for emitters or the CLI.
 */
#ifndef MKMIG_PLAN_INTERNAL_H
#define MKMIG_PLAN_INTERNAL_H

#include "mkmig/plan.h"
#include "mkmig/locks.h"

/* Everything a rule needs to plan one change. */
struct mm_rule_ctx {
	struct mm_ctx *ctx;
	struct mm_model *model;
	struct mm_plan *plan;
	const struct mm_change *ch;
	struct mm_table *table;     /* the change's table in the model, NULL when unknown */
	const char *schema;         /* the table's schema as resolved (NULL: unqualified, unknown) */
	const char *name;           /* the table's name */
	const char *qtable;         /* schema-qualified, quoted: for SQL */
	bool table_is_new;          /* created earlier in this input: no concurrency dance needed */
	const struct mm_change_list *changes; /* the whole input, for what comes after this change */
	size_t index;               /* this change's position in changes */
	enum mm_phase phase;        /* phase of the steps the shared helpers add (default expand;
	                               after a backfill, the steps that need its data use backfill) */
};

typedef int (*mm_rule_fn)(struct mm_rule_ctx *r);

struct mm_rule {
	const char *name;
	mm_rule_fn plan;
	const char *summary;
};

/* The rule for a change kind (rules.c). */
const struct mm_rule *mm_rule_for(enum mm_change_kind kind);

/* Lock facts (locks.c). */
/* Record on s every lock the statement node takes (locks.c decides; this resolves the names in
 * the model for display). */
void mm_step_locks_of(struct mm_rule_ctx *r, struct mm_step *s, const PgQuery__Node *stmt);

/* Drops deferred to the contract phase and what they still use (deferral.c). */
struct mm_deferral {
	struct mm_vec texts;   /* const char *: definitions the deferred drops keep alive */
	struct mm_vec whats;   /* const char *: which deferred drop, per text */
};
/* After a change's rule ran (its steps from first_step on): remember what a deferred drop uses. */
void mm_deferral_collect(struct mm_rule_ctx *r, struct mm_deferral *d, size_t first_step);
/* Before a change's rule: the deferred drop this DROP must follow, or NULL. */
const char *mm_deferral_needs(struct mm_rule_ctx *r, struct mm_deferral *d);

/* The statement text of a change as written: the original text when it is a whole statement,
 * else the deparsed single-subcommand ALTER TABLE. */
const char *mm_change_sql(struct mm_rule_ctx *r);
/* The same with IF [NOT] EXISTS added where the grammar has it, so a re-run is a no-op; NULL for
 * a named ADD CONSTRAINT, which the caller must guard itself. */
const char *mm_change_sql_rerunnable(struct mm_rule_ctx *r);
/* Plan the change unchanged, with its locks from locks.c (the OTHER rule, and the fallback of
 * rules that find nothing to make safer). */
int mm_rule_passthrough(struct mm_rule_ctx *r, const char *why);

/* Down statements (or a down warning) for a statement passed through unchanged (undo.c). */
void mm_rule_undo(struct mm_rule_ctx *r, struct mm_step *s);

/* The rules (src/rules/). */
int mm_rule_create_index(struct mm_rule_ctx *r);
int mm_rule_other(struct mm_rule_ctx *r);
int mm_rule_add_constraint(struct mm_rule_ctx *r);
int mm_rule_set_not_null(struct mm_rule_ctx *r);
int mm_rule_add_column(struct mm_rule_ctx *r);
int mm_rule_rename_column(struct mm_rule_ctx *r);
int mm_rule_rename_table(struct mm_rule_ctx *r);
int mm_rule_alter_type(struct mm_rule_ctx *r);
int mm_rule_drop_index(struct mm_rule_ctx *r);
int mm_rule_drop(struct mm_rule_ctx *r);
int mm_rule_add_enum_value(struct mm_rule_ctx *r);
int mm_rule_convert(struct mm_rule_ctx *r);
int mm_rule_backfill_change(struct mm_rule_ctx *r);
int mm_rule_dml(struct mm_rule_ctx *r);
int mm_rule_insert_select(struct mm_rule_ctx *r);
int mm_rule_reindex(struct mm_rule_ctx *r);
int mm_rule_refresh(struct mm_rule_ctx *r);
int mm_rule_refuse(struct mm_rule_ctx *r);
int mm_rule_detach_partition(struct mm_rule_ctx *r);
int mm_rule_attach_partition(struct mm_rule_ctx *r);

#endif
