/*
 * txn.c — transaction blocks, the runner's transaction and lock_timeout, statement by statement.
 *
 * Where a file runs in a transaction depends on its tool (shared/formats.md §1): Flyway wraps a
 * file unless its .sql.conf says executeInTransaction=false or every statement is one it detects
 * as non-transactional; golang-migrate and dbmate send the file (section) as one string, so
 * several statements form one implicit transaction; diesel wraps unless metadata.toml says
 * run_in_transaction = false; psql -f (plain files, sqitch) runs in autocommit.
 */
#include "check_internal.h"

#include <string.h>

/* Statements that never run in a transaction block, whatever their options. */
static const PgQuery__Node__NodeCase always_non_tx[] = {
	PG_QUERY__NODE__NODE_CREATEDB_STMT,         PG_QUERY__NODE__NODE_DROPDB_STMT,
	PG_QUERY__NODE__NODE_CREATE_TABLE_SPACE_STMT, PG_QUERY__NODE__NODE_DROP_TABLE_SPACE_STMT,
	PG_QUERY__NODE__NODE_ALTER_SYSTEM_STMT,     PG_QUERY__NODE__NODE_CREATE_SUBSCRIPTION_STMT,
};

/* PostgreSQL: "cannot run inside a transaction block" (docs of each command). ADD VALUE may run in
 * a transaction from 12 (sql-altertype.html). */
bool ck_stmt_non_tx(const PgQuery__Node *n, int pg_version)
{
	if (n->node_case == PG_QUERY__NODE__NODE_INDEX_STMT)
		return n->index_stmt->concurrent;
	if (n->node_case == PG_QUERY__NODE__NODE_DROP_STMT)
		return n->drop_stmt->concurrent;
	if (n->node_case == PG_QUERY__NODE__NODE_REINDEX_STMT) {
		for (size_t i = 0; i < n->reindex_stmt->n_params; i++) {
			const PgQuery__Node *p = n->reindex_stmt->params[i];
			if (p->node_case == PG_QUERY__NODE__NODE_DEF_ELEM && strcmp(p->def_elem->defname, "concurrently") == 0)
				return true;
		}
		return n->reindex_stmt->kind != PG_QUERY__REINDEX_OBJECT_TYPE__REINDEX_OBJECT_INDEX &&
		       n->reindex_stmt->kind != PG_QUERY__REINDEX_OBJECT_TYPE__REINDEX_OBJECT_TABLE;
	}
	if (n->node_case == PG_QUERY__NODE__NODE_VACUUM_STMT)
		return n->vacuum_stmt->is_vacuumcmd;
	for (size_t i = 0; i < MM_ARRAY_LEN(always_non_tx); i++)
		if (n->node_case == always_non_tx[i])
			return true;
	if (n->node_case == PG_QUERY__NODE__NODE_ALTER_ENUM_STMT) {
		return pg_version < 12 && n->alter_enum_stmt->new_val && n->alter_enum_stmt->new_val[0] &&
		       !(n->alter_enum_stmt->old_val && n->alter_enum_stmt->old_val[0]);
	}
	if (n->node_case == PG_QUERY__NODE__NODE_ALTER_TABLE_STMT) {
		for (size_t i = 0; i < n->alter_table_stmt->n_cmds; i++) {
			const PgQuery__AlterTableCmd *cmd = n->alter_table_stmt->cmds[i]->alter_table_cmd;
			if (cmd->subtype == PG_QUERY__ALTER_TABLE_TYPE__AT_DetachPartition && cmd->def &&
			    cmd->def->node_case == PG_QUERY__NODE__NODE_PARTITION_CMD && cmd->def->partition_cmd->concurrent)
				return true;
		}
		return false;
	}
	return false;
}

/* Flyway's own detection (formats.md §2): CREATE/DROP INDEX CONCURRENTLY, VACUUM, REINDEX of a
 * schema/database/system, databases, tablespaces, subscriptions, ALTER SYSTEM, ADD VALUE < 12 —
 * not REINDEX ... CONCURRENTLY of an index or table, nor DETACH ... CONCURRENTLY. */
static bool flyway_detects(const PgQuery__Node *n, int pg_version)
{
	if (n->node_case == PG_QUERY__NODE__NODE_REINDEX_STMT)
		return n->reindex_stmt->kind != PG_QUERY__REINDEX_OBJECT_TYPE__REINDEX_OBJECT_INDEX &&
		       n->reindex_stmt->kind != PG_QUERY__REINDEX_OBJECT_TYPE__REINDEX_OBJECT_TABLE;
	if (n->node_case == PG_QUERY__NODE__NODE_ALTER_TABLE_STMT)
		return false;
	return ck_stmt_non_tx(n, pg_version);
}

static void runner_transaction(struct ck_file *f)
{
	const struct mm_check_runner *r = f->runner;
	int v = f->ctx->opt.pg_version;
	switch (r->kind) {
	case MM_RUNNER_FLYWAY: {
		if (r->non_tx)
			return;
		bool all = f->n > 0, any = false;
		for (size_t i = 0; i < f->n; i++) {
			bool d = flyway_detects(f->stmts[i].st->node, v);
			all = all && d;
			any = any || d;
		}
		if (all)
			return;
		f->runner_tx = true;
		f->runner_why = any ? "Flyway runs this file in a transaction (it mixes statements Flyway detects as "
		                      "non-transactional with others, which Flyway refuses) unless its .sql.conf says "
		                      "executeInTransaction=false"
		                    : "Flyway runs this file in a transaction unless its .sql.conf says "
		                      "executeInTransaction=false";
		return;
	}
	case MM_RUNNER_GOLANG:
		f->runner_tx = f->n > 1;
		f->runner_why = "golang-migrate sends the whole file as one string, so its statements run as one "
		                "implicit transaction: put this statement alone in its own migration";
		return;
	case MM_RUNNER_DBMATE:
		f->runner_tx = !r->non_tx || f->n > 1;
		f->runner_why = r->non_tx ? "dbmate sends the section as one string, so its statements run as one implicit "
		                            "transaction: keep one statement per transaction:false migration"
		                          : "dbmate runs the migration in a transaction unless its up line says "
		                            "'-- migrate:up transaction:false'";
		return;
	case MM_RUNNER_DIESEL:
		f->runner_tx = !r->non_tx;
		f->runner_why = "diesel runs this migration in a transaction unless its metadata.toml says "
		                "run_in_transaction = false";
		return;
	case MM_RUNNER_PLAIN:
	case MM_RUNNER_SQITCH:
	case MM_RUNNER__COUNT:
		return;
	}
}

/* SET [LOCAL] lock_timeout: true/false when the statement sets it, -1 when it does not touch it. */
static int sets_lock_timeout(const PgQuery__Node *n, bool *local)
{
	if (n->node_case != PG_QUERY__NODE__NODE_VARIABLE_SET_STMT)
		return -1;
	const PgQuery__VariableSetStmt *v = n->variable_set_stmt;
	*local = v->is_local;
	if (v->kind == PG_QUERY__VARIABLE_SET_KIND__VAR_RESET_ALL)
		return 0;
	if (!v->name || strcmp(v->name, "lock_timeout") != 0)
		return -1;
	if (v->kind != PG_QUERY__VARIABLE_SET_KIND__VAR_SET_VALUE || v->n_args != 1)
		return 0; /* DEFAULT, RESET: back to the server's (normally 0) */
	const PgQuery__Node *a = v->args[0];
	if (a->node_case != PG_QUERY__NODE__NODE_A_CONST)
		return 1;
	const PgQuery__AConst *c = a->a_const;
	if (c->val_case == PG_QUERY__A__CONST__VAL_IVAL)
		return c->ival->ival != 0;
	if (c->val_case == PG_QUERY__A__CONST__VAL_SVAL) {
		const char *s = c->sval->sval;
		while (*s == '0')
			s++;
		return *s && strcmp(s, "ms") != 0 && strcmp(s, "s") != 0;
	}
	return 1;
}

static const char *nontx_name(const PgQuery__Node *n)
{
	if (n->node_case == PG_QUERY__NODE__NODE_INDEX_STMT)
		return "CREATE INDEX CONCURRENTLY";
	if (n->node_case == PG_QUERY__NODE__NODE_DROP_STMT)
		return "DROP INDEX CONCURRENTLY";
	if (n->node_case == PG_QUERY__NODE__NODE_REINDEX_STMT)
		return "REINDEX";
	if (n->node_case == PG_QUERY__NODE__NODE_VACUUM_STMT)
		return "VACUUM";
	if (n->node_case == PG_QUERY__NODE__NODE_ALTER_ENUM_STMT)
		return "ALTER TYPE ... ADD VALUE (before PostgreSQL 12)";
	if (n->node_case == PG_QUERY__NODE__NODE_ALTER_TABLE_STMT)
		return "DETACH PARTITION CONCURRENTLY";
	return "this statement";

}

/* ADD CONSTRAINT name ... NOT VALID (or VALIDATE CONSTRAINT name): the constraint's name. */
static const char *constraint_cmd(const PgQuery__Node *n, bool *validate)
{
	if (n->node_case != PG_QUERY__NODE__NODE_ALTER_TABLE_STMT)
		return NULL;
	for (size_t i = 0; i < n->alter_table_stmt->n_cmds; i++) {
		const PgQuery__AlterTableCmd *cmd = n->alter_table_stmt->cmds[i]->alter_table_cmd;
		if (cmd->subtype == PG_QUERY__ALTER_TABLE_TYPE__AT_ValidateConstraint) {
			*validate = true;
			return cmd->name;
		}
		if (cmd->subtype == PG_QUERY__ALTER_TABLE_TYPE__AT_AddConstraint && cmd->def &&
		    cmd->def->node_case == PG_QUERY__NODE__NODE_CONSTRAINT && cmd->def->constraint->skip_validation &&
		    cmd->def->constraint->conname && cmd->def->constraint->conname[0]) {
			*validate = false;
			return cmd->def->constraint->conname;
		}
	}
	return NULL;
}

/* The column of CHECK (column IS NOT NULL), or NULL. */
static const char *not_null_check_column(const PgQuery__Constraint *c)
{
	const PgQuery__Node *e = c->raw_expr;
	if (c->contype != PG_QUERY__CONSTR_TYPE__CONSTR_CHECK || !e || e->node_case != PG_QUERY__NODE__NODE_NULL_TEST ||
	    e->null_test->nulltesttype != PG_QUERY__NULL_TEST_TYPE__IS_NOT_NULL)
		return NULL;
	const PgQuery__Node *a = e->null_test->arg;
	if (!a || a->node_case != PG_QUERY__NODE__NODE_COLUMN_REF || !a->column_ref->n_fields)
		return NULL;
	const PgQuery__Node *last = a->column_ref->fields[a->column_ref->n_fields - 1];
	return last->node_case == PG_QUERY__NODE__NODE_STRING ? last->string->sval : NULL;
}

/* The CHECK constraint an ALTER TABLE adds, or NULL. */
static const PgQuery__Constraint *added_check(const PgQuery__Node *n)
{
	if (n->node_case != PG_QUERY__NODE__NODE_ALTER_TABLE_STMT)
		return NULL;
	for (size_t i = 0; i < n->alter_table_stmt->n_cmds; i++) {
		const PgQuery__AlterTableCmd *cmd = n->alter_table_stmt->cmds[i]->alter_table_cmd;
		if (cmd->subtype == PG_QUERY__ALTER_TABLE_TYPE__AT_AddConstraint && cmd->def &&
		    cmd->def->node_case == PG_QUERY__NODE__NODE_CONSTRAINT &&
		    cmd->def->constraint->contype == PG_QUERY__CONSTR_TYPE__CONSTR_CHECK)
			return cmd->def->constraint;
	}
	return NULL;
}

bool ck_not_null_proven(const struct ck_file *f, const char *table, const char *column)
{
	for (size_t i = 0; i + 1 < f->proven.len; i += 2)
		if (strcmp(mm_vec_at(&f->proven, i), table) == 0 && strcmp(mm_vec_at(&f->proven, i + 1), column) == 0)
			return true;
	return false;
}

void ck_transactions(struct ck_file *f)
{
	runner_transaction(f);
	int v = f->ctx->opt.pg_version;
	size_t tx = 1, open_at = 0;
	bool explicit_tx = false, timeout = false, timeout_local = false;
	struct mm_vec not_valid = { 0 }; /* const char * name, then (void *)tx, pairs */
	struct mm_vec not_null_checks = { 0 }; /* parallel to not_valid: the column of CHECK (col IS NOT NULL) */
	for (size_t i = 0; i < f->n; i++) {
		struct ck_stmt *s = &f->stmts[i];
		const PgQuery__Node *n = s->st->node;
		/* The statements of one retry call run in one transaction: the call's. */
		bool same_call = s->call && i > 0 && f->stmts[i - 1].call == s->call;
		s->in_tx = f->runner_tx || explicit_tx || s->call;
		s->explicit_tx = explicit_tx;
		s->tx = f->runner_tx || explicit_tx || same_call ? tx : ++tx;
		s->lock_timeout = timeout;
		if (ck_stmt_non_tx(n, v) && s->in_tx) {
			bool add_value = n->node_case == PG_QUERY__NODE__NODE_ALTER_ENUM_STMT;
			struct mm_finding *x = ck_add(f, s, add_value ? "enum-value-in-transaction" : "concurrently-in-transaction",
			                              s->st->off, 0,
			                              "%s cannot run inside a transaction block, and this one runs in one",
			                              nontx_name(n));
			if (x)
				x->note = explicit_tx ? "the file's own BEGIN opened it: run the statement after COMMIT"
				                      : f->runner_why;
		}
		bool local;
		int set = sets_lock_timeout(n, &local);
		if (set >= 0) {
			/* SET LOCAL outside a transaction block only warns and does nothing (formats.md §0.3). */
			if (!local || s->in_tx)
				timeout = set, timeout_local = local && set;
			s->lock_timeout = timeout;
		}
		bool validate;
		const char *con = constraint_cmd(n, &validate);
		if (con && !validate) {
			mm_vec_push(&f->ctx->arena, &not_valid, (void *)con);
			mm_vec_push(&f->ctx->arena, &not_valid, (void *)(uintptr_t)s->tx);
			const PgQuery__Constraint *chk = added_check(n);
			const char *col = chk ? not_null_check_column(chk) : NULL;
			mm_vec_push(&f->ctx->arena, &not_null_checks, (void *)col);
			mm_vec_push(&f->ctx->arena, &not_null_checks, NULL);
		} else if (con) {
			for (size_t k = 0; k < not_valid.len; k += 2) {
				if (strcmp(mm_vec_at(&not_valid, k), con) != 0)
					continue;
				if ((uintptr_t)mm_vec_at(&not_valid, k + 1) != s->tx) {
					const char *col = mm_vec_at(&not_null_checks, k);
					if (col) {
						mm_vec_push(&f->ctx->arena, &f->proven, (void *)n->alter_table_stmt->relation->relname);
						mm_vec_push(&f->ctx->arena, &f->proven, (void *)col);
					}
					continue;
				}
					ck_add(f, s, "validate-in-same-transaction", s->st->off, 0,
					       "VALIDATE CONSTRAINT %s runs in the transaction that added it NOT VALID, so the "
					       "ADD's strong lock is held during the scan",
					       con);
			}
		}
		if (n->node_case != PG_QUERY__NODE__NODE_TRANSACTION_STMT)
			continue;
		PgQuery__TransactionStmtKind k = n->transaction_stmt->kind;
		if (k == PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_BEGIN || k == PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_START) {
			if (s->in_tx) {
				struct mm_finding *x = ck_add(f, s, "transaction-nesting", s->st->off, 0,
				                              "BEGIN inside a transaction that is already open");
				if (x && !explicit_tx)
					x->note = f->runner_why;
			}
			if (!explicit_tx)
				open_at = i;
			explicit_tx = true;
			if (!f->runner_tx)
				tx++;
		} else if (k == PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_COMMIT ||
		           k == PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_ROLLBACK ||
		           k == PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_COMMIT_PREPARED ||
		           k == PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_PREPARE) {
			if (!explicit_tx)
				ck_add(f, s, "transaction-nesting", s->st->off, 0, "%s without a BEGIN in this file%s",
				       k == PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_ROLLBACK ? "ROLLBACK" : "COMMIT",
				       f->runner_tx ? ": it ends the migration tool's own transaction early" : "");
			explicit_tx = false;
			tx++;
			if (timeout_local)
				timeout = timeout_local = false;
		}
	}
	if (explicit_tx && !f->runner_tx)
		ck_add(f, &f->stmts[open_at], "uncommitted-transaction", f->stmts[open_at].st->off, 0,
		       "this transaction is still open at the end of the file");
}
