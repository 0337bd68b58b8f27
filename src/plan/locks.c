/*
 * locks.c — the one place that knows which lock a statement takes and what work it does under
 * it (the discipline of PostgreSQL's AlterTableGetLockLevel(): no lock literal anywhere else).
 * Facts and sources: shared pg-facts.md §1; PostgreSQL docs "Explicit Locking"
 * (https://www.postgresql.org/docs/15/explicit-locking.html) and "ALTER TABLE" for each form.
 */
#include "plan_internal.h"
#include "mkmig/locks.h"

#include <string.h>

static const char *const lock_names[] = {
	[MM_LOCK_NONE] = "no table lock",
	[MM_LOCK_ACCESS_SHARE] = "ACCESS SHARE",
	[MM_LOCK_ROW_SHARE] = "ROW SHARE",
	[MM_LOCK_ROW_EXCLUSIVE] = "ROW EXCLUSIVE",
	[MM_LOCK_SHARE_UPDATE_EXCLUSIVE] = "SHARE UPDATE EXCLUSIVE",
	[MM_LOCK_SHARE] = "SHARE",
	[MM_LOCK_SHARE_ROW_EXCLUSIVE] = "SHARE ROW EXCLUSIVE",
	[MM_LOCK_EXCLUSIVE] = "EXCLUSIVE",
	[MM_LOCK_ACCESS_EXCLUSIVE] = "ACCESS EXCLUSIVE",
};
_Static_assert(MM_ARRAY_LEN(lock_names) == MM_LOCK__COUNT, "every lock has a name");

/* What ordinary traffic notices (the conflict table of explicit-locking.html, read for the
 * modes SELECT (ACCESS SHARE) and INSERT/UPDATE/DELETE (ROW EXCLUSIVE) take). */
static const char *const lock_blocks[] = {
	[MM_LOCK_NONE] = "blocks nothing",
	[MM_LOCK_ACCESS_SHARE] = "blocks only ACCESS EXCLUSIVE DDL",
	[MM_LOCK_ROW_SHARE] = "blocks only EXCLUSIVE and ACCESS EXCLUSIVE DDL",
	[MM_LOCK_ROW_EXCLUSIVE] = "blocks DDL that takes SHARE or stronger, not reads or writes",
	[MM_LOCK_SHARE_UPDATE_EXCLUSIVE] = "blocks other DDL, VACUUM and ANALYZE; reads and writes continue",
	[MM_LOCK_SHARE] = "blocks writes; reads continue",
	[MM_LOCK_SHARE_ROW_EXCLUSIVE] = "blocks writes; reads continue",
	[MM_LOCK_EXCLUSIVE] = "blocks writes and SELECT ... FOR UPDATE; plain reads continue",
	[MM_LOCK_ACCESS_EXCLUSIVE] = "blocks reads and writes",
};
_Static_assert(MM_ARRAY_LEN(lock_blocks) == MM_LOCK__COUNT, "every lock says what it blocks");

static const char *const work_names[] = {
	[MM_WORK_CATALOG] = "catalog update only",
	[MM_WORK_SCAN] = "full table scan",
	[MM_WORK_REWRITE] = "table rewrite",
	[MM_WORK_BUILD] = "index build",
	[MM_WORK_BATCHES] = "updates in committed batches",
};
_Static_assert(MM_ARRAY_LEN(work_names) == MM_WORK__COUNT, "every work kind has a name");

static const char *const phase_names[] = {
	[MM_PHASE_EXPAND] = "expand",
	[MM_PHASE_BACKFILL] = "backfill",
	[MM_PHASE_CONTRACT] = "contract",
};
_Static_assert(MM_ARRAY_LEN(phase_names) == MM_PHASE__COUNT, "every phase has a name");

static const char *const unit_names[] = {
	[MM_UNIT_TX] = "transactional",
	[MM_UNIT_NONTX] = "non-transactional",
	[MM_UNIT_BATCH] = "batched, commits per batch",
};
_Static_assert(MM_ARRAY_LEN(unit_names) == MM_UNIT__COUNT, "every unit has a name");

const char *mm_lock_name(enum mm_lock l) { return lock_names[l]; }
const char *mm_lock_blocks(enum mm_lock l) { return lock_blocks[l]; }
const char *mm_work_name(enum mm_work w) { return work_names[w]; }
const char *mm_phase_name(enum mm_phase p) { return phase_names[p]; }
const char *mm_unit_name(enum mm_unit u) { return unit_names[u]; }

bool mm_lock_blocks_traffic(enum mm_lock l)
{
	/* SHARE and above conflict with ROW EXCLUSIVE (writes); ACCESS EXCLUSIVE also with reads. */
	return l >= MM_LOCK_SHARE;
}

/* ALTER TABLE subcommands that take less than ACCESS EXCLUSIVE, and those that do more than a
 * catalog update ("An ACCESS EXCLUSIVE lock is held unless explicitly noted", ALTER TABLE docs). */
static const struct {
	PgQuery__AlterTableType subtype;
	enum mm_lock lock;
	enum mm_work work;
} alter_locks[] = {
	/* Statistics, reloptions and clustering marks only affect planning and maintenance. */
	{ PG_QUERY__ALTER_TABLE_TYPE__AT_SetStatistics, MM_LOCK_SHARE_UPDATE_EXCLUSIVE, MM_WORK_CATALOG },
	{ PG_QUERY__ALTER_TABLE_TYPE__AT_SetOptions, MM_LOCK_SHARE_UPDATE_EXCLUSIVE, MM_WORK_CATALOG },
	{ PG_QUERY__ALTER_TABLE_TYPE__AT_ResetOptions, MM_LOCK_SHARE_UPDATE_EXCLUSIVE, MM_WORK_CATALOG },
	{ PG_QUERY__ALTER_TABLE_TYPE__AT_SetRelOptions, MM_LOCK_SHARE_UPDATE_EXCLUSIVE, MM_WORK_CATALOG },
	{ PG_QUERY__ALTER_TABLE_TYPE__AT_ResetRelOptions, MM_LOCK_SHARE_UPDATE_EXCLUSIVE, MM_WORK_CATALOG },
	{ PG_QUERY__ALTER_TABLE_TYPE__AT_ClusterOn, MM_LOCK_SHARE_UPDATE_EXCLUSIVE, MM_WORK_CATALOG },
	{ PG_QUERY__ALTER_TABLE_TYPE__AT_DropCluster, MM_LOCK_SHARE_UPDATE_EXCLUSIVE, MM_WORK_CATALOG },
	/* VALIDATE scans, but under a lock that lets reads and writes continue. */
	{ PG_QUERY__ALTER_TABLE_TYPE__AT_ValidateConstraint, MM_LOCK_SHARE_UPDATE_EXCLUSIVE, MM_WORK_SCAN },
	/* Triggers change what writes do, so writes are blocked; reads are not. */
	{ PG_QUERY__ALTER_TABLE_TYPE__AT_EnableTrig, MM_LOCK_SHARE_ROW_EXCLUSIVE, MM_WORK_CATALOG },
	{ PG_QUERY__ALTER_TABLE_TYPE__AT_DisableTrig, MM_LOCK_SHARE_ROW_EXCLUSIVE, MM_WORK_CATALOG },
	{ PG_QUERY__ALTER_TABLE_TYPE__AT_EnableTrigAll, MM_LOCK_SHARE_ROW_EXCLUSIVE, MM_WORK_CATALOG },
	{ PG_QUERY__ALTER_TABLE_TYPE__AT_DisableTrigAll, MM_LOCK_SHARE_ROW_EXCLUSIVE, MM_WORK_CATALOG },
	{ PG_QUERY__ALTER_TABLE_TYPE__AT_EnableTrigUser, MM_LOCK_SHARE_ROW_EXCLUSIVE, MM_WORK_CATALOG },
	{ PG_QUERY__ALTER_TABLE_TYPE__AT_DisableTrigUser, MM_LOCK_SHARE_ROW_EXCLUSIVE, MM_WORK_CATALOG },
	/* Full scans under ACCESS EXCLUSIVE. */
	{ PG_QUERY__ALTER_TABLE_TYPE__AT_SetNotNull, MM_LOCK_ACCESS_EXCLUSIVE, MM_WORK_SCAN },
	/* Rewrites under ACCESS EXCLUSIVE. */
	{ PG_QUERY__ALTER_TABLE_TYPE__AT_SetLogged, MM_LOCK_ACCESS_EXCLUSIVE, MM_WORK_REWRITE },
	{ PG_QUERY__ALTER_TABLE_TYPE__AT_SetUnLogged, MM_LOCK_ACCESS_EXCLUSIVE, MM_WORK_REWRITE },
	{ PG_QUERY__ALTER_TABLE_TYPE__AT_SetTableSpace, MM_LOCK_ACCESS_EXCLUSIVE, MM_WORK_REWRITE },
	{ PG_QUERY__ALTER_TABLE_TYPE__AT_SetAccessMethod, MM_LOCK_ACCESS_EXCLUSIVE, MM_WORK_REWRITE },
	{ PG_QUERY__ALTER_TABLE_TYPE__AT_AlterColumnType, MM_LOCK_ACCESS_EXCLUSIVE, MM_WORK_REWRITE },
};

void mm_locks_alter_cmd(const PgQuery__AlterTableCmd *cmd, int pg_version, enum mm_lock *lock, enum mm_work *work)
{
	*lock = MM_LOCK_ACCESS_EXCLUSIVE;
	*work = MM_WORK_CATALOG;
	if (cmd->subtype == PG_QUERY__ALTER_TABLE_TYPE__AT_AttachPartition) {
		/* SHARE UPDATE EXCLUSIVE on the parent from 12 (before: ACCESS EXCLUSIVE); the partition
		 * is scanned unless a valid CHECK implies the bound (pg-facts §1a, ALTER TABLE docs). */
		*lock = pg_version >= 12 ? MM_LOCK_SHARE_UPDATE_EXCLUSIVE : MM_LOCK_ACCESS_EXCLUSIVE;
		*work = MM_WORK_SCAN;
		return;
	}
	if (cmd->subtype == PG_QUERY__ALTER_TABLE_TYPE__AT_DetachPartition && cmd->def &&
	    cmd->def->node_case == PG_QUERY__NODE__NODE_PARTITION_CMD && cmd->def->partition_cmd->concurrent) {
		/* 14+: SHARE UPDATE EXCLUSIVE on the parent in both of its transactions (pg-facts §1a). */
		*lock = MM_LOCK_SHARE_UPDATE_EXCLUSIVE;
		return;
	}
	if (cmd->subtype == PG_QUERY__ALTER_TABLE_TYPE__AT_AddConstraint && cmd->def &&
	    cmd->def->node_case == PG_QUERY__NODE__NODE_CONSTRAINT) {
		const PgQuery__Constraint *c = cmd->def->constraint;
		bool not_valid = c->skip_validation;
		if (c->contype == PG_QUERY__CONSTR_TYPE__CONSTR_FOREIGN)
			*lock = MM_LOCK_SHARE_ROW_EXCLUSIVE;
		if (c->contype == PG_QUERY__CONSTR_TYPE__CONSTR_FOREIGN ||
		    c->contype == PG_QUERY__CONSTR_TYPE__CONSTR_CHECK)
			*work = not_valid ? MM_WORK_CATALOG : MM_WORK_SCAN;
		else if (c->contype == PG_QUERY__CONSTR_TYPE__CONSTR_PRIMARY ||
		         c->contype == PG_QUERY__CONSTR_TYPE__CONSTR_UNIQUE ||
		         c->contype == PG_QUERY__CONSTR_TYPE__CONSTR_EXCLUSION)
			*work = c->indexname && c->indexname[0] ? MM_WORK_CATALOG : MM_WORK_BUILD;
		return;
	}
	if (cmd->subtype == PG_QUERY__ALTER_TABLE_TYPE__AT_AddColumn && cmd->def &&
	    cmd->def->node_case == PG_QUERY__NODE__NODE_COLUMN_DEF) {
		/* An inline CHECK is validated by a scan, even though the new column is all NULL; an
		 * inline REFERENCES too once the column has a DEFAULT (even DEFAULT NULL): PostgreSQL
		 * skips the validation only for a new column without one (transformAlterTableStmt), as
		 * pg_stat_xact_user_tables shows (pg-facts §1a). The default's own rewrite is the
		 * planner's to judge (its volatility). */
		const PgQuery__ColumnDef *cd = cmd->def->column_def;
		bool has_default = cd->raw_default != NULL, fk = false, check = false, unique = false;
		for (size_t k = 0; k < cd->n_constraints; k++) {
			const PgQuery__Constraint *c = cd->constraints[k]->constraint;
			has_default = has_default || c->contype == PG_QUERY__CONSTR_TYPE__CONSTR_DEFAULT;
			fk = fk || c->contype == PG_QUERY__CONSTR_TYPE__CONSTR_FOREIGN;
			check = check || c->contype == PG_QUERY__CONSTR_TYPE__CONSTR_CHECK;
			unique = unique || c->contype == PG_QUERY__CONSTR_TYPE__CONSTR_UNIQUE ||
			         c->contype == PG_QUERY__CONSTR_TYPE__CONSTR_PRIMARY;
		}
		/* An inline UNIQUE / PRIMARY KEY builds its index under the ACCESS EXCLUSIVE. */
		if (unique)
			*work = MM_WORK_BUILD;
		else if (check || (fk && has_default))
			*work = MM_WORK_SCAN;
		return;
	}
	for (size_t i = 0; i < MM_ARRAY_LEN(alter_locks); i++)
		if (alter_locks[i].subtype == cmd->subtype) {
			*lock = alter_locks[i].lock;
			*work = alter_locks[i].work;
			return;
		}
}

