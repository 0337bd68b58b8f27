/*
 * add_generated.c — ADD COLUMN of a serial or identity column, and a stored generated column.
 *
 * PostgreSQL fills every existing row of a new serial or identity column from its sequence, in
 * a rewrite under ACCESS EXCLUSIVE (pg-facts §1a). The safe form: the column added nullable with
 * a sequence default (a catalog update), existing rows filled from the sequence in committed
 * batches in key order, NOT NULL through a validated CHECK, then — identity — the default
 * replaced by the identity (a catalog update on a NOT NULL column, docs: sql-altertable.html,
 * ADD GENERATED AS IDENTITY) and its sequence set to where the helper sequence stopped; —
 * serial — the sequence owned by the column. Rows get the numbers the naive statement would
 * give them when the table's physical order is its key order; otherwise the same set of
 * distinct numbers in key order.
 *
 * A STORED generated column has no such form: PostgreSQL 12-18 compute it for every row in a
 * rewrite when it is added, and no version turns a plain column into a generated one without a
 * rewrite (ALTER COLUMN ... SET EXPRESSION, 17+, rewrites too), so the catalog end state cannot be
 * reached online; kept, with that said.
 */
#include "common.h"

#include <string.h>

struct gen {
	const char *type;         /* the integer type */
	const char *identity;     /* "ALWAYS" / "BY DEFAULT", or NULL for serial */
	bool other;               /* constraints or options mkmig does not carry over */
};

static void inspect(const PgQuery__ColumnDef *cd, struct gen *g, struct mm_ctx *ctx)
{
	g->type = mm_model_serial_type(cd->type_name);
	for (size_t i = 0; i < cd->n_constraints; i++) {
		const PgQuery__Constraint *c = cd->constraints[i]->constraint;
		if (c->contype == PG_QUERY__CONSTR_TYPE__CONSTR_IDENTITY) {
			g->identity = c->generated_when && c->generated_when[0] == 'a' ? "ALWAYS" : "BY DEFAULT";
			g->other = g->other || c->n_options;
		} else if (c->contype != PG_QUERY__CONSTR_TYPE__CONSTR_NOTNULL) {
			g->other = true;
		}
	}
	if (g->identity && !g->type)
		g->type = mm_sql_deparse_type(ctx, cd->type_name);
}

/* The plan for a serial or identity column; 1 when this form does not apply (the caller keeps
 * the statement). */
int mm_rule_add_generated(struct mm_rule_ctx *r, const PgQuery__ColumnDef *cd)
{
	struct mm_arena *a = &r->ctx->arena;
	struct mm_ctx *ctx = r->ctx;
	struct gen g = { 0 };
	inspect(cd, &g, ctx);
	struct mm_vec key = { 0 };
	if (!g.type || g.other || !r->table || !mm_rule_batch_key(r, &key, NULL) || !g.type[0])
		return 1;
	const char *col = cd->colname, *qcol = mm_sql_ident(a, col);
	const char *seq = g.identity ? mm_name_helper(a, mm_sprintf(a, "%s_%s", r->name, col), "mkmig_seq")
	                             : mm_choose_relation_name(r, r->schema, r->name, col, "seq", NULL);
	const char *qseq = mm_sql_qname(a, r->schema, seq);
	const char *lseq = mm_sql_literal(a, qseq);
	const char *is_identity = mm_sprintf(a, "EXISTS (SELECT FROM pg_catalog.pg_attribute WHERE attrelid = pg_catalog.to_regclass(%s) "
	                                        "AND attname = %s AND attidentity <> '')",
	                                     mm_rule_table_literal(r), mm_sql_literal(a, col));

	struct mm_step *s = mm_step_new(ctx, r->plan, r->ch, r->phase, MM_UNIT_TX,
	                                mm_sprintf(a, "add column %s to %s, nullable, numbered from sequence %s", qcol, r->qtable, qseq));
	s->plpgsql = true;
	mm_step_up(ctx, s, "IF NOT %s THEN\n    CREATE SEQUENCE IF NOT EXISTS %s AS %s;\n"
	                   "    ALTER TABLE %s ADD COLUMN IF NOT EXISTS %s %s;\n"
	                   "    ALTER TABLE %s ALTER COLUMN %s SET DEFAULT pg_catalog.nextval(%s::regclass);\nEND IF",
	           is_identity, qseq, g.type, r->qtable, qcol, g.type, r->qtable, qcol, lseq);
	mm_step_down(ctx, s, "ALTER TABLE %s DROP COLUMN IF EXISTS %s", r->qtable, qcol);
	mm_step_down(ctx, s, "DROP SEQUENCE IF EXISTS %s", qseq);
	mm_step_lock(ctx, s, r->qtable, MM_LOCK_ACCESS_EXCLUSIVE, MM_WORK_CATALOG);
	mm_step_why(ctx, s, "%s fills every existing row from its sequence in a rewrite under ACCESS EXCLUSIVE; a "
	                    "nullable column with a sequence default is a catalog update, and new rows are numbered "
	                    "from now on",
	            g.identity ? "an identity column" : "a serial column");
	if (mm_rule_backfill(r, col, mm_sprintf(a, "%s = pg_catalog.nextval(%s::regclass)", qcol, lseq),
	                     mm_sprintf(a, "t.%s IS NULL", qcol), g.identity ? is_identity : NULL) != 0)
		return -1;
	r->phase = MM_PHASE_BACKFILL;
	mm_rule_not_null(r, col, false);
	struct mm_step *f = mm_step_new(ctx, r->plan, r->ch, r->phase, MM_UNIT_TX,
	                                g.identity ? mm_sprintf(a, "make %s.%s an identity column, continuing after the backfill", r->qtable, qcol)
	                                           : mm_sprintf(a, "sequence %s owned by %s.%s", qseq, r->qtable, qcol));
	if (g.identity) {
		f->plpgsql = true;
		mm_step_up(ctx, f,
		           "IF NOT %s THEN\n"
		           "    ALTER TABLE %s ALTER COLUMN %s DROP DEFAULT;\n"
		           "    ALTER TABLE %s ALTER COLUMN %s ADD GENERATED %s AS IDENTITY;\n"
		           "    PERFORM pg_catalog.setval(pg_catalog.pg_get_serial_sequence(%s, %s), last_value, is_called) FROM %s;\n"
		           "    DROP SEQUENCE %s;\n"
		           "END IF",
		           is_identity, r->qtable, qcol, r->qtable, qcol, g.identity, mm_rule_table_literal(r), mm_sql_literal(a, col),
		           qseq, qseq);
		mm_step_why(ctx, f, "ADD GENERATED AS IDENTITY on a NOT NULL column is a catalog update; its sequence "
		                    "goes on where the helper sequence stopped, so new rows get the next numbers");
	} else {
		mm_step_up(ctx, f, "ALTER SEQUENCE %s OWNED BY %s.%s", qseq, r->qtable, qcol);
		mm_step_why(ctx, f, "as serial leaves it: the sequence belongs to the column");
	}
	mm_step_lock(ctx, f, r->qtable, MM_LOCK_ACCESS_EXCLUSIVE, MM_WORK_CATALOG);
	return 0;
}

const char *mm_rule_generated_why(struct mm_rule_ctx *r)
{
	return mm_sprintf(&r->ctx->arena,
	                  "a stored generated column is computed for every existing row in a rewrite under ACCESS "
	                  "EXCLUSIVE, and no PostgreSQL version (11-18) makes a plain column generated without that "
	                  "rewrite (ALTER COLUMN ... SET EXPRESSION, 17+, rewrites too); %s",
	                  r->ctx->opt.pg_version >= 18 ? "on 18 a VIRTUAL generated column is a catalog update, if the value need not be stored"
	                                               : "a column filled by a trigger and a batched backfill would work, but is not a generated column");
}
