/*
 * rules.c — the rule table: one row per change kind (designated initializers keyed by the
 * change enum; the static assert keeps it complete). A new rule is a file in src/rules/, one row
 * here, and its fixtures.
 */
#include "plan_internal.h"

static const struct mm_rule rules[] = {
	[MM_CH_CREATE_TABLE] = { "create-table", mm_rule_other, "a new table: nothing else can be using it" },
	[MM_CH_CREATE_INDEX] = { "create-index", mm_rule_create_index,
	                         "CREATE INDEX CONCURRENTLY in its own non-transactional unit" },
	[MM_CH_DROP_INDEX] = { "drop-index", mm_rule_drop_index, "DROP INDEX CONCURRENTLY, one index per unit" },
	[MM_CH_ADD_COLUMN] = { "add-column", mm_rule_add_column,
	                       "fast default kept; volatile default: nullable add, backfill, NOT NULL via CHECK" },
	[MM_CH_SET_NOT_NULL] = { "set-not-null", mm_rule_set_not_null,
	                         "CHECK (col IS NOT NULL) NOT VALID, VALIDATE, SET NOT NULL, drop the CHECK" },
	[MM_CH_ADD_CONSTRAINT] = { "add-constraint", mm_rule_add_constraint,
	                           "FK/CHECK NOT VALID + VALIDATE; UNIQUE/PK via a concurrent index" },
	[MM_CH_ALTER_TYPE] = { "alter-type", mm_rule_alter_type,
	                       "kept when PostgreSQL does no rewrite; otherwise expand/contract" },
	[MM_CH_RENAME_COLUMN] = { "rename-column", mm_rule_rename_column,
	                          "expand/contract with a two-way sync trigger" },
	[MM_CH_RENAME_TABLE] = { "rename-table", mm_rule_rename_table,
	                         "rename plus an updatable view under the old name until the contract" },
	[MM_CH_DROP_COLUMN] = { "drop-column", mm_rule_drop, "contract phase, flagged destructive" },
	[MM_CH_DROP_TABLE] = { "drop-table", mm_rule_drop, "contract phase, flagged destructive" },
	[MM_CH_ADD_ENUM_VALUE] = { "add-enum-value", mm_rule_add_enum_value,
	                           "its own unit (non-transactional before 12); irreversible" },
	[MM_CH_CONVERT] = { "convert", mm_rule_convert,
	                    "new column computed by a trigger and a batched backfill, validated; old one dropped in the contract" },
	[MM_CH_BACKFILL] = { "backfill", mm_rule_backfill_change, "batched, resumable UPDATE keyed on the primary key" },
	[MM_CH_UPDATE] = { "update", mm_rule_dml, "committed batches keyed on the primary key, resumable, no row twice" },
	[MM_CH_DELETE] = { "delete", mm_rule_dml, "committed batches keyed on the primary key (by ctid without one)" },
	[MM_CH_REINDEX] = { "reindex", mm_rule_reindex, "REINDEX CONCURRENTLY (12+), INVALID _ccnew/_ccold leftovers dropped first" },
	[MM_CH_REFRESH] = { "refresh-matview", mm_rule_refresh, "CONCURRENTLY where a unique index allows it" },
	[MM_CH_REFUSED] = { "refused", mm_rule_refuse,
	                    "VACUUM FULL, CLUSTER, LOCK TABLE, TRUNCATE: kept, with the reason and the alternative" },
	[MM_CH_DETACH_PARTITION] = { "detach-partition", mm_rule_detach_partition,
	                             "DETACH ... CONCURRENTLY (14+), FINALIZE of an interrupted one on re-run" },
	[MM_CH_ATTACH_PARTITION] = { "attach-partition", mm_rule_attach_partition,
	                             "a validated CHECK matching the bound first, so the attach does not scan" },
	[MM_CH_INSERT_SELECT] = { "insert-select", mm_rule_insert_select,
	                          "committed batches keyed on the source table's primary key" },
	[MM_CH_OTHER] = { "other", mm_rule_other, "passed through unchanged, under lock_timeout" },
};
_Static_assert(MM_ARRAY_LEN(rules) == MM_CH__COUNT, "every change kind has a rule");

const struct mm_rule *mm_rule_for(enum mm_change_kind kind)
{
	if (!rules[kind].plan)
		MM_BUG("no rule for change kind %d", (int)kind);
	return &rules[kind];
}
