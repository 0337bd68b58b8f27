/*
 * undo.c — the down statements of statements mkmig passes through unchanged: the inverse where
 * one exists (CREATE → DROP, GRANT → REVOKE, a rename → the rename back, a changed default → the
 * previous one from the model), and otherwise a warning in the down script and on stderr
 * (design contract 2: never silently).
 */
#include "common.h"

#include <string.h>

static const char *qname_of_rv(struct mm_arena *a, const PgQuery__RangeVar *rv)
{
	return mm_sql_qname(a, rv->schemaname && rv->schemaname[0] ? rv->schemaname : NULL, rv->relname);
}

static const char *qname_of_list(struct mm_arena *a, PgQuery__Node **items, size_t n)
{
	struct mm_buf b = MM_BUF_INIT;
	for (size_t i = 0; i < n; i++) {
		if (i)
			mm_buf_addch(&b, '.');
		mm_buf_add_ident(&b, items[i]->string->sval);
	}
	char *s = mm_buf_arena(&b, a);
	mm_buf_release(&b);
	return s;
}

static const char *function_signature(struct mm_rule_ctx *r, const PgQuery__CreateFunctionStmt *f)
{
	struct mm_arena *a = &r->ctx->arena;
	struct mm_buf b = MM_BUF_INIT;
	mm_buf_adds(&b, qname_of_list(a, f->funcname, f->n_funcname));
	mm_buf_addch(&b, '(');
	bool first = true;
	for (size_t i = 0; i < f->n_parameters; i++) {
		const PgQuery__FunctionParameter *p = f->parameters[i]->function_parameter;
		if (p->mode == PG_QUERY__FUNCTION_PARAMETER_MODE__FUNC_PARAM_OUT ||
		    p->mode == PG_QUERY__FUNCTION_PARAMETER_MODE__FUNC_PARAM_TABLE)
			continue;
		mm_buf_addf(&b, "%s%s", first ? "" : ", ", mm_sql_deparse_type(r->ctx, p->arg_type));
		first = false;
	}
	mm_buf_addch(&b, ')');
	char *s = mm_buf_arena(&b, a);
	mm_buf_release(&b);
	return s;
}

static const char *undo_alter_cmd(struct mm_rule_ctx *r, const PgQuery__AlterTableCmd *cmd, const char **warning)
{
	struct mm_arena *a = &r->ctx->arena;
	const struct mm_column *c = r->table && cmd->name ? mm_table_find_column(r->table, cmd->name) : NULL;
	const char *qcol = cmd->name ? mm_sql_ident(a, cmd->name) : NULL;
	if (cmd->subtype == PG_QUERY__ALTER_TABLE_TYPE__AT_ColumnDefault) {
		if (r->table_is_new)
			return NULL;
		if (!c) {
			*warning = "the column's previous default is unknown (pass --schema, --dir or --db)";
			return NULL;
		}
		return c->default_expr ? mm_sprintf(a, "ALTER TABLE %s ALTER COLUMN %s SET DEFAULT %s", r->qtable, qcol, c->default_expr)
		                       : mm_sprintf(a, "ALTER TABLE %s ALTER COLUMN %s DROP DEFAULT", r->qtable, qcol);
	}
	if (cmd->subtype == PG_QUERY__ALTER_TABLE_TYPE__AT_DropNotNull) {
		*warning = "SET NOT NULL scans the table under ACCESS EXCLUSIVE, and fails if NULLs were written meanwhile";
		return mm_sprintf(a, "ALTER TABLE %s ALTER COLUMN %s SET NOT NULL", r->qtable, qcol);
	}
	if (cmd->subtype == PG_QUERY__ALTER_TABLE_TYPE__AT_DropConstraint) {
		const struct mm_constraint *k = r->table ? mm_table_find_constraint(r->table, cmd->name) : NULL;
		if (!k || !k->definition) {
			*warning = "the dropped constraint's definition is unknown (pass --schema, --dir or --db)";
			return NULL;
		}
		*warning = "re-adding the constraint validates it with a full scan while it holds its lock";
		return mm_sprintf(a, "ALTER TABLE %s ADD CONSTRAINT %s %s", r->qtable, mm_sql_ident(a, k->name), k->definition);
	}
	if (cmd->subtype == PG_QUERY__ALTER_TABLE_TYPE__AT_ValidateConstraint) {
		return NULL; /* validation changes no definition */
	}
	if (cmd->subtype == PG_QUERY__ALTER_TABLE_TYPE__AT_AddColumn) {
		return mm_sprintf(a, "ALTER TABLE %s DROP COLUMN IF EXISTS %s", r->qtable,
		                  mm_sql_ident(a, cmd->def->column_def->colname));
	}
	if (cmd->subtype == PG_QUERY__ALTER_TABLE_TYPE__AT_AddConstraint) {
		const PgQuery__Constraint *k = cmd->def->constraint;
		if (k->conname && k->conname[0])
			return mm_sprintf(a, "ALTER TABLE %s DROP CONSTRAINT IF EXISTS %s", r->qtable, mm_sql_ident(a, k->conname));
		*warning = "the constraint has no name in the input: name it so the down script can drop it";
		return NULL;
	}
	if (r->table_is_new)
		return NULL;
	*warning = "mkmig cannot undo this ALTER TABLE subcommand";
	return NULL;
}

static const char *undo_rename(struct mm_rule_ctx *r, const PgQuery__RenameStmt *rn, const char **warning)
{
	struct mm_arena *a = &r->ctx->arena;
	if (rn->rename_type == PG_QUERY__OBJECT_TYPE__OBJECT_INDEX ||
	    rn->rename_type == PG_QUERY__OBJECT_TYPE__OBJECT_SEQUENCE ||
	    rn->rename_type == PG_QUERY__OBJECT_TYPE__OBJECT_VIEW ||
	    rn->rename_type == PG_QUERY__OBJECT_TYPE__OBJECT_MATVIEW ||
	    rn->rename_type == PG_QUERY__OBJECT_TYPE__OBJECT_TABLE) {
		static const struct { PgQuery__ObjectType t; const char *kw; } kws[] = {
			{ PG_QUERY__OBJECT_TYPE__OBJECT_INDEX, "INDEX" }, { PG_QUERY__OBJECT_TYPE__OBJECT_SEQUENCE, "SEQUENCE" },
			{ PG_QUERY__OBJECT_TYPE__OBJECT_VIEW, "VIEW" }, { PG_QUERY__OBJECT_TYPE__OBJECT_MATVIEW, "MATERIALIZED VIEW" },
			{ PG_QUERY__OBJECT_TYPE__OBJECT_TABLE, "TABLE" },
		};
		const char *kw = "TABLE";
		for (size_t i = 0; i < MM_ARRAY_LEN(kws); i++)
			if (kws[i].t == rn->rename_type)
				kw = kws[i].kw;
		const PgQuery__RangeVar *rv = rn->relation;
		const char *schema = rv->schemaname && rv->schemaname[0] ? rv->schemaname : NULL;
		return mm_sprintf(a, "ALTER %s %s RENAME TO %s", kw, mm_sql_qname(a, schema, rn->newname), mm_sql_ident(a, rv->relname));
	}
	if (rn->rename_type == PG_QUERY__OBJECT_TYPE__OBJECT_TABCONSTRAINT) {
		return mm_sprintf(a, "ALTER TABLE %s RENAME CONSTRAINT %s TO %s", qname_of_rv(a, rn->relation),
		                  mm_sql_ident(a, rn->newname), mm_sql_ident(a, rn->subname));
	}
	if (rn->rename_type == PG_QUERY__OBJECT_TYPE__OBJECT_COLUMN) {
		return mm_sprintf(a, "ALTER TABLE %s RENAME COLUMN %s TO %s", qname_of_rv(a, rn->relation),
		                  mm_sql_ident(a, rn->newname), mm_sql_ident(a, rn->subname));
	}
	*warning = "mkmig cannot undo this rename";
	return NULL;
}

static const char *undo_create(struct mm_rule_ctx *r, const PgQuery__Node *n, const char **warning)
{
	struct mm_arena *a = &r->ctx->arena;
	if (n->node_case == PG_QUERY__NODE__NODE_CREATE_STMT) {
		return mm_sprintf(a, "DROP TABLE IF EXISTS %s", qname_of_rv(a, n->create_stmt->relation));
	}
	if (n->node_case == PG_QUERY__NODE__NODE_VIEW_STMT) {
		if (n->view_stmt->replace && mm_model_find_table(r->model, NULL, n->view_stmt->view->relname)) {
			*warning = "CREATE OR REPLACE VIEW replaced an existing view: its previous definition is not restored";
			return NULL;
		}
		return mm_sprintf(a, "DROP VIEW IF EXISTS %s", qname_of_rv(a, n->view_stmt->view));
	}
	if (n->node_case == PG_QUERY__NODE__NODE_CREATE_TABLE_AS_STMT) {
		return mm_sprintf(a, "DROP %s IF EXISTS %s",
		                  n->create_table_as_stmt->objtype == PG_QUERY__OBJECT_TYPE__OBJECT_MATVIEW ? "MATERIALIZED VIEW" : "TABLE",
		                  qname_of_rv(a, n->create_table_as_stmt->into->rel));
	}
	if (n->node_case == PG_QUERY__NODE__NODE_CREATE_SEQ_STMT) {
		return mm_sprintf(a, "DROP SEQUENCE IF EXISTS %s", qname_of_rv(a, n->create_seq_stmt->sequence));
	}
	if (n->node_case == PG_QUERY__NODE__NODE_CREATE_ENUM_STMT) {
		return mm_sprintf(a, "DROP TYPE IF EXISTS %s", qname_of_list(a, n->create_enum_stmt->type_name, n->create_enum_stmt->n_type_name));
	}
	if (n->node_case == PG_QUERY__NODE__NODE_COMPOSITE_TYPE_STMT) {
		return mm_sprintf(a, "DROP TYPE IF EXISTS %s", qname_of_rv(a, n->composite_type_stmt->typevar));
	}
	if (n->node_case == PG_QUERY__NODE__NODE_CREATE_DOMAIN_STMT) {
		return mm_sprintf(a, "DROP DOMAIN IF EXISTS %s", qname_of_list(a, n->create_domain_stmt->domainname, n->create_domain_stmt->n_domainname));
	}
	if (n->node_case == PG_QUERY__NODE__NODE_CREATE_SCHEMA_STMT) {
		return mm_sprintf(a, "DROP SCHEMA IF EXISTS %s", mm_sql_ident(a, n->create_schema_stmt->schemaname));
	}
	if (n->node_case == PG_QUERY__NODE__NODE_CREATE_FUNCTION_STMT) {
		if (n->create_function_stmt->replace) {
			*warning = "CREATE OR REPLACE FUNCTION: if it replaced a function, the previous body is not restored";
		}
		return mm_sprintf(a, "DROP %s IF EXISTS %s", n->create_function_stmt->is_procedure ? "PROCEDURE" : "FUNCTION",
		                  function_signature(r, n->create_function_stmt));
	}
	if (n->node_case == PG_QUERY__NODE__NODE_CREATE_TRIG_STMT) {
		return mm_sprintf(a, "DROP TRIGGER IF EXISTS %s ON %s", mm_sql_ident(a, n->create_trig_stmt->trigname),
		                  qname_of_rv(a, n->create_trig_stmt->relation));
	}
	if (n->node_case == PG_QUERY__NODE__NODE_CREATE_EXTENSION_STMT) {
		return mm_sprintf(a, "DROP EXTENSION IF EXISTS %s", mm_sql_ident(a, n->create_extension_stmt->extname));
	}
	if (n->node_case == PG_QUERY__NODE__NODE_INDEX_STMT) {
		if (n->index_stmt->idxname && n->index_stmt->idxname[0]) {
			const PgQuery__RangeVar *rv = n->index_stmt->relation;
			return mm_sprintf(a, "DROP INDEX IF EXISTS %s",
			                  mm_sql_qname(a, rv->schemaname && rv->schemaname[0] ? rv->schemaname : NULL, n->index_stmt->idxname));
		}
		return NULL; /* an unnamed index on a new table goes with the table */
	}
	return NULL;
}

void mm_rule_undo(struct mm_rule_ctx *r, struct mm_step *s)
{
	if (r->ctx->opt.plan_only)
		return; /* mkmig check reads no down script */
	struct mm_arena *a = &r->ctx->arena;
	const PgQuery__Node *n = r->ch->node;
	const char *warning = NULL, *sql = NULL;
	if (n->node_case == PG_QUERY__NODE__NODE_ALTER_TABLE_CMD)
		sql = undo_alter_cmd(r, n->alter_table_cmd, &warning);
	else if (n->node_case == PG_QUERY__NODE__NODE_RENAME_STMT)
		sql = undo_rename(r, n->rename_stmt, &warning);
	else if (n->node_case == PG_QUERY__NODE__NODE_GRANT_STMT) {
		PgQuery__GrantStmt g = *n->grant_stmt;
		g.is_grant = !g.is_grant;
		PgQuery__Node gn = PG_QUERY__NODE__INIT;
		gn.node_case = PG_QUERY__NODE__NODE_GRANT_STMT;
		gn.grant_stmt = &g;
		sql = mm_sql_deparse(r->ctx, &gn);
	} else if (n->node_case == PG_QUERY__NODE__NODE_INSERT_STMT || n->node_case == PG_QUERY__NODE__NODE_UPDATE_STMT ||
	           n->node_case == PG_QUERY__NODE__NODE_DELETE_STMT || n->node_case == PG_QUERY__NODE__NODE_MERGE_STMT) {
		warning = "a data change cannot be undone by the down script";
	} else if (n->node_case == PG_QUERY__NODE__NODE_COMMENT_STMT) {
		warning = "the previous comment is not known to mkmig and is not restored";
	} else if (n->node_case == PG_QUERY__NODE__NODE_TRUNCATE_STMT) {
		warning = "the emptied rows cannot be restored by the down script";
	} else if (n->node_case == PG_QUERY__NODE__NODE_VARIABLE_SET_STMT || n->node_case == PG_QUERY__NODE__NODE_SELECT_STMT ||
	           n->node_case == PG_QUERY__NODE__NODE_REFRESH_MAT_VIEW_STMT || n->node_case == PG_QUERY__NODE__NODE_CLUSTER_STMT ||
	           n->node_case == PG_QUERY__NODE__NODE_LOCK_STMT || n->node_case == PG_QUERY__NODE__NODE_VACUUM_STMT ||
	           n->node_case == PG_QUERY__NODE__NODE_REINDEX_STMT) {
		return; /* nothing persistent */
	} else {
		sql = undo_create(r, n, &warning);
		if (!sql && !warning && n->node_case != PG_QUERY__NODE__NODE_INDEX_STMT)
			warning = "mkmig cannot undo this statement";
	}
	if (sql)
		mm_step_down(r->ctx, s, "%s", sql);
	if (warning)
		s->down_warning = mm_sprintf(a, "%s: %s", warning, s->title); /* the title is one line */
}
