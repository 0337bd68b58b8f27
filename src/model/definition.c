/*
 * definition.c — constraint definitions as text (the pg_get_constraintdef shape the model keeps)
 * and back. libpg_query deparses statements, not a lone constraint, so both directions go
 * through one carrier statement, "ALTER TABLE t ADD CONSTRAINT c <definition>".
 */
#include "model_internal.h"

#include <string.h>

static const char carrier_prefix[] = "ALTER TABLE t ADD CONSTRAINT c ";

PgQuery__Node *mm_model_constraint_parse(struct mm_model *m, const char *definition, PgQuery__Constraint **out)
{
	PgQuery__Node *n = mm_sql_parse_one(m->ctx, mm_sprintf(&m->ctx->arena, "%s%s", carrier_prefix, definition),
	                                    "constraint definition");
	if (!n || n->node_case != PG_QUERY__NODE__NODE_ALTER_TABLE_STMT)
		return NULL;
	*out = n->alter_table_stmt->cmds[0]->alter_table_cmd->def->constraint;
	return n;
}

static bool names_shape(struct mm_buf *b, PgQuery__Node **v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (v[i]->node_case != PG_QUERY__NODE__NODE_STRING)
			return false;
		mm_buf_addf(b, "%s\x1f", v[i]->string->sval);
	}
	mm_buf_addch(b, '\x1e');
	return true;
}

static const char *nz(const char *s)
{
	return s ? s : "";
}

/* The shape of a key or foreign-key constraint made only of column names, without locations
 * (the same definition written twice differs only there); false for anything with an expression
 * or index options, which is printed each time. */
static bool constraint_shape(const PgQuery__Constraint *c, struct mm_buf *b)
{
	if (c->contype != PG_QUERY__CONSTR_TYPE__CONSTR_PRIMARY && c->contype != PG_QUERY__CONSTR_TYPE__CONSTR_UNIQUE &&
	    c->contype != PG_QUERY__CONSTR_TYPE__CONSTR_FOREIGN)
		return false;
	if (c->raw_expr || c->where_clause || c->n_exclusions || c->n_options || c->n_including ||
	    c->n_fk_del_set_cols || c->n_old_conpfeqop || *nz(c->cooked_expr) || *nz(c->indexname) ||
	    *nz(c->indexspace) || *nz(c->access_method) || *nz(c->generated_when))
		return false;
	mm_buf_addf(b, "%d %d%d%d%d%d%d%d\x1e", (int)c->contype, c->deferrable, c->initdeferred, c->is_no_inherit,
	            c->nulls_not_distinct, c->reset_default_tblspc, c->skip_validation, c->initially_valid);
	if (!names_shape(b, c->keys, c->n_keys) || !names_shape(b, c->fk_attrs, c->n_fk_attrs) ||
	    !names_shape(b, c->pk_attrs, c->n_pk_attrs))
		return false;
	const PgQuery__RangeVar *rv = c->pktable;
	if (rv)
		mm_buf_addf(b, "%s\x1f%s\x1f%s\x1f%s\x1f%d%s\x1f%d", nz(rv->catalogname), nz(rv->schemaname), nz(rv->relname),
		            nz(rv->relpersistence), rv->inh, rv->alias ? "a" : "", (int)c->old_pktable_oid);
	mm_buf_addf(b, "\x1e%s\x1f%s\x1f%s", nz(c->fk_matchtype), nz(c->fk_upd_action), nz(c->fk_del_action));
	return !rv || !rv->alias;
}

static const char *constraint_print(struct mm_model *m, const PgQuery__Constraint *c);

/* A schema repeats the same key and foreign-key shapes thousands of times ("PRIMARY KEY (id)");
 * each print is a protobuf round trip through libpg_query, so the text is kept per shape. */
const char *mm_model_constraint_print(struct mm_model *m, const PgQuery__Constraint *c)
{
	struct mm_ctx *ctx = m->ctx;
	struct mm_buf key = MM_BUF_INIT;
	const char *out;
	if (!constraint_shape(c, &key)) {
		out = constraint_print(m, c);
	} else {
		struct mm_vec *hit = mm_map_get(&ctx->deparse_memo, "constraint", key.buf);
		if (hit && hit->len) {
			out = mm_vec_at(hit, 0);
		} else {
			out = constraint_print(m, c);
			if (out)
				mm_map_add(&ctx->arena, &ctx->deparse_memo, "constraint", key.buf, (void *)out);
		}
	}
	mm_buf_release(&key);
	return out;
}

static const char *constraint_print(struct mm_model *m, const PgQuery__Constraint *c)
{
	struct mm_arena *a = &m->ctx->arena;
	PgQuery__Constraint *copy = mm_alloc(a, sizeof(*copy));
	*copy = *c;
	copy->conname = "c";
	PgQuery__Node *cn = mm_alloc(a, sizeof(*cn));
	pg_query__node__init(cn);
	cn->node_case = PG_QUERY__NODE__NODE_CONSTRAINT;
	cn->constraint = copy;
	PgQuery__AlterTableCmd *cmd = mm_alloc(a, sizeof(*cmd));
	pg_query__alter_table_cmd__init(cmd);
	cmd->subtype = PG_QUERY__ALTER_TABLE_TYPE__AT_AddConstraint;
	cmd->def = cn;
	cmd->behavior = PG_QUERY__DROP_BEHAVIOR__DROP_RESTRICT;
	PgQuery__Node *cmdn = mm_alloc(a, sizeof(*cmdn));
	pg_query__node__init(cmdn);
	cmdn->node_case = PG_QUERY__NODE__NODE_ALTER_TABLE_CMD;
	cmdn->alter_table_cmd = cmd;
	PgQuery__RangeVar *rv = mm_alloc(a, sizeof(*rv));
	pg_query__range_var__init(rv);
	rv->relname = "t";
	rv->inh = true;
	rv->relpersistence = "p";
	rv->location = -1;
	PgQuery__AlterTableStmt *at = mm_alloc(a, sizeof(*at));
	pg_query__alter_table_stmt__init(at);
	at->relation = rv;
	at->n_cmds = 1;
	at->cmds = mm_alloc(a, sizeof(*at->cmds));
	at->cmds[0] = cmdn;
	at->objtype = PG_QUERY__OBJECT_TYPE__OBJECT_TABLE;
	PgQuery__Node *stmt = mm_alloc(a, sizeof(*stmt));
	pg_query__node__init(stmt);
	stmt->node_case = PG_QUERY__NODE__NODE_ALTER_TABLE_STMT;
	stmt->alter_table_stmt = at;
	const char *out = mm_sql_deparse(m->ctx, stmt);
	if (!out || strncmp(out, carrier_prefix, sizeof(carrier_prefix) - 1) != 0)
		return NULL;
	return out + sizeof(carrier_prefix) - 1;
}
