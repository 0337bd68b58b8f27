/*
 * ddl_changes.c — classify parsed statements into the change list. Classification is tables
 * keyed by libpg_query's node case and ALTER TABLE subcommand type; anything not listed is OTHER
 * (passed through under lock_timeout). One ALTER TABLE with several subcommands becomes one change
 * per subcommand, because each may need a different safe form.
 */
#include "mkmig/change.h"

#include <string.h>

static const char *const kind_names[] = {
#define X(k, s) [MM_CH_##k] = s,
	MM_CHANGE_KINDS(X)
#undef X
};
_Static_assert(MM_ARRAY_LEN(kind_names) == MM_CH__COUNT, "every change kind has a name");

const char *mm_change_kind_name(enum mm_change_kind k)
{
	return kind_names[k];
}

static struct mm_change *new_change(struct mm_ctx *ctx, enum mm_change_kind kind,
                                    const struct mm_stmt *st, PgQuery__Node *node, int loc)
{
	struct mm_change *c = mm_alloc(&ctx->arena, sizeof(*c));
	c->kind = kind;
	c->stmt = st;
	c->node = node;
	c->loc = loc >= 0 ? (size_t)loc : st->off;
	c->sub_count = 1;
	return c;
}

/* ALTER TABLE subcommands that have a rule of their own; every other one is OTHER. (Tables, not
 * switches: libpg_query's enums are foreign and large, and -Wswitch-enum wants every case.) */
static const struct {
	PgQuery__AlterTableType subtype;
	enum mm_change_kind kind;
} alter_kinds[] = {
	{ PG_QUERY__ALTER_TABLE_TYPE__AT_AddColumn, MM_CH_ADD_COLUMN },
	{ PG_QUERY__ALTER_TABLE_TYPE__AT_SetNotNull, MM_CH_SET_NOT_NULL },
	{ PG_QUERY__ALTER_TABLE_TYPE__AT_AddConstraint, MM_CH_ADD_CONSTRAINT },
	{ PG_QUERY__ALTER_TABLE_TYPE__AT_AlterColumnType, MM_CH_ALTER_TYPE },
	{ PG_QUERY__ALTER_TABLE_TYPE__AT_DropColumn, MM_CH_DROP_COLUMN },
	{ PG_QUERY__ALTER_TABLE_TYPE__AT_DetachPartition, MM_CH_DETACH_PARTITION },
	{ PG_QUERY__ALTER_TABLE_TYPE__AT_AttachPartition, MM_CH_ATTACH_PARTITION },
};

static enum mm_change_kind alter_cmd_kind(const PgQuery__AlterTableCmd *cmd)
{
	for (size_t i = 0; i < MM_ARRAY_LEN(alter_kinds); i++)
		if (alter_kinds[i].subtype == cmd->subtype)
			return alter_kinds[i].kind;
	return MM_CH_OTHER;
}

static void classify_alter_table(struct mm_ctx *ctx, const struct mm_stmt *st, struct mm_change_list *out)
{
	PgQuery__AlterTableStmt *at = st->node->alter_table_stmt;
	if (at->objtype != PG_QUERY__OBJECT_TYPE__OBJECT_TABLE) {
		mm_vec_push(&ctx->arena, &out->items, new_change(ctx, MM_CH_OTHER, st, st->node, -1));
		return;
	}
	for (size_t i = 0; i < at->n_cmds; i++) {
		PgQuery__AlterTableCmd *cmd = at->cmds[i]->alter_table_cmd;
		/* Subcommands carry no location of their own; point at the statement. */
		struct mm_change *c = new_change(ctx, alter_cmd_kind(cmd), st, at->cmds[i], -1);
		c->relation = at->relation;
		c->missing_ok = at->missing_ok;
		c->sub_index = i;
		c->sub_count = at->n_cmds;
		mm_vec_push(&ctx->arena, &out->items, c);
	}
}

static enum mm_change_kind rename_kind(const PgQuery__RenameStmt *rn)
{
	if (rn->rename_type == PG_QUERY__OBJECT_TYPE__OBJECT_COLUMN &&
	    rn->relation_type == PG_QUERY__OBJECT_TYPE__OBJECT_TABLE)
		return MM_CH_RENAME_COLUMN;
	if (rn->rename_type == PG_QUERY__OBJECT_TYPE__OBJECT_TABLE)
		return MM_CH_RENAME_TABLE;
	return MM_CH_OTHER;
}

static enum mm_change_kind drop_kind(const PgQuery__DropStmt *d)
{
	if (d->remove_type == PG_QUERY__OBJECT_TYPE__OBJECT_INDEX)
		return MM_CH_DROP_INDEX;
	if (d->remove_type == PG_QUERY__OBJECT_TYPE__OBJECT_TABLE)
		return MM_CH_DROP_TABLE;
	return MM_CH_OTHER;
}

static enum mm_change_kind enum_kind(const PgQuery__AlterEnumStmt *e)
{
	/* ADD VALUE only; RENAME VALUE is a catalog update that passes through. */
	return e->old_val && e->old_val[0] ? MM_CH_OTHER : MM_CH_ADD_ENUM_VALUE;
}

/* VACUUM FULL, CLUSTER, LOCK TABLE, TRUNCATE: no online form (src/rules/maintenance.c). */
static bool no_online_form(const PgQuery__Node *n)
{
	if (n->node_case == PG_QUERY__NODE__NODE_VACUUM_STMT) {
		const PgQuery__VacuumStmt *v = n->vacuum_stmt;
		for (size_t i = 0; v->is_vacuumcmd && i < v->n_options; i++)
			if (v->options[i]->node_case == PG_QUERY__NODE__NODE_DEF_ELEM && strcmp(v->options[i]->def_elem->defname, "full") == 0)
				return true;
		return false;
	}
	return n->node_case == PG_QUERY__NODE__NODE_CLUSTER_STMT || n->node_case == PG_QUERY__NODE__NODE_LOCK_STMT ||
	       n->node_case == PG_QUERY__NODE__NODE_TRUNCATE_STMT;
}

/* Statements no safe script can pass through, with why (NULL: none). mkmig decides where
 * transactions begin and end: a BEGIN of the input around its steps would put CREATE INDEX
 * CONCURRENTLY in a transaction block and make the committed backfill batches one transaction.
 * COPY ... FROM STDIN needs data lines after it that an SQL file cannot carry. */
static const char *refused(const PgQuery__Node *n)
{
	if (n->node_case == PG_QUERY__NODE__NODE_TRANSACTION_STMT)
		return "transaction control in the input: mkmig decides which steps run in a transaction";
	if (n->node_case == PG_QUERY__NODE__NODE_COPY_STMT && n->copy_stmt->is_from &&
	    !n->copy_stmt->is_program && !(n->copy_stmt->filename && n->copy_stmt->filename[0]))
		return "COPY ... FROM STDIN cannot be part of a migration script: its data lines are not SQL";
	return NULL;
}

void mm_changes_from_stmts(struct mm_ctx *ctx, const struct mm_stmt_list *stmts, struct mm_change_list *out)
{
	for (size_t i = 0; i < stmts->items.len; i++) {
		const struct mm_stmt *st = mm_vec_at(&stmts->items, i);
		PgQuery__Node *n = st->node;
		enum mm_change_kind kind = MM_CH_OTHER;
		const char *why = refused(n);
		if (why) {
			mm_error_hint(ctx, st->src, st->off, st->len,
			              n->node_case == PG_QUERY__NODE__NODE_TRANSACTION_STMT
			                      ? "remove BEGIN/COMMIT: every step of the output says how it runs"
			                      : "load the data with a separate tool, or COPY ... FROM 'file' on the server",
			              "%s", why);
			continue;
		}
		if (n->node_case == PG_QUERY__NODE__NODE_ALTER_TABLE_STMT) {
			classify_alter_table(ctx, st, out);
			continue;
		}
		if (n->node_case == PG_QUERY__NODE__NODE_CREATE_STMT)
			kind = MM_CH_CREATE_TABLE;
		else if (n->node_case == PG_QUERY__NODE__NODE_INDEX_STMT)
			kind = MM_CH_CREATE_INDEX;
		else if (n->node_case == PG_QUERY__NODE__NODE_DROP_STMT)
			kind = drop_kind(n->drop_stmt);
		else if (n->node_case == PG_QUERY__NODE__NODE_RENAME_STMT)
			kind = rename_kind(n->rename_stmt);
		else if (n->node_case == PG_QUERY__NODE__NODE_ALTER_ENUM_STMT)
			kind = enum_kind(n->alter_enum_stmt);
		else if (n->node_case == PG_QUERY__NODE__NODE_UPDATE_STMT)
			kind = MM_CH_UPDATE;
		else if (n->node_case == PG_QUERY__NODE__NODE_DELETE_STMT)
			kind = MM_CH_DELETE;
		else if (n->node_case == PG_QUERY__NODE__NODE_INSERT_STMT && n->insert_stmt->select_stmt &&
		         n->insert_stmt->select_stmt->node_case == PG_QUERY__NODE__NODE_SELECT_STMT &&
		         !n->insert_stmt->select_stmt->select_stmt->n_values_lists)
			kind = MM_CH_INSERT_SELECT;
		else if (n->node_case == PG_QUERY__NODE__NODE_REINDEX_STMT)
			kind = MM_CH_REINDEX;
		else if (n->node_case == PG_QUERY__NODE__NODE_REFRESH_MAT_VIEW_STMT)
			kind = MM_CH_REFRESH;
		else if (no_online_form(n))
			kind = MM_CH_REFUSED;
		mm_vec_push(&ctx->arena, &out->items, new_change(ctx, kind, st, n, -1));
	}
}
