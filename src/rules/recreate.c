/*
 * recreate.c — SQL that rebuilds model objects, for down scripts: a dropped column, index,
 * constraint or table comes back with its definition (never its data).
 */
#include "common.h"

#include <string.h>

const char *mm_rule_column_sql(struct mm_rule_ctx *r, const struct mm_column *c, bool with_not_null)
{
	struct mm_arena *a = &r->ctx->arena;
	struct mm_buf b = MM_BUF_INIT;
	mm_buf_addf(&b, "%s %s", mm_sql_ident(a, c->name), c->type);
	if (c->collation)
		mm_buf_addf(&b, " COLLATE %s", mm_sql_ident(a, c->collation));
	if (c->generated == 's' && c->generation_expr)
		mm_buf_addf(&b, " GENERATED ALWAYS AS (%s) STORED", c->generation_expr);
	if (c->default_expr)
		mm_buf_addf(&b, " DEFAULT %s", c->default_expr);
	if (c->identity)
		mm_buf_addf(&b, " GENERATED %s AS IDENTITY", c->identity == 'a' ? "ALWAYS" : "BY DEFAULT");
	if (with_not_null && c->not_null)
		mm_buf_adds(&b, " NOT NULL");
	char *s = mm_buf_arena(&b, a);
	mm_buf_release(&b);
	return s;
}

/* Index of t that a constraint owns (its backing index), or NULL. */
static const struct mm_constraint *owning_constraint(const struct mm_table *t, const struct mm_index *ix)
{
	for (size_t i = 0; i < t->constraints.len; i++) {
		const struct mm_constraint *c = mm_vec_at(&t->constraints, i);
		if (mm_streq(c->index_name, ix->name) || (c->type != MM_CON_CHECK && c->type != MM_CON_FOREIGN && mm_streq(c->name, ix->name)))
			return c;
	}
	return NULL;
}

const char *mm_rule_index_sql(struct mm_rule_ctx *r, const struct mm_index *ix, bool concurrently)
{
	if (!ix->definition)
		return NULL;
	PgQuery__Node *n = mm_sql_parse_one(r->ctx, ix->definition, "index definition");
	if (!n || n->node_case != PG_QUERY__NODE__NODE_INDEX_STMT)
		return NULL;
	PgQuery__IndexStmt copy = *n->index_stmt;
	copy.concurrent = concurrently;
	copy.if_not_exists = true;
	PgQuery__Node cn = PG_QUERY__NODE__INIT;
	cn.node_case = PG_QUERY__NODE__NODE_INDEX_STMT;
	cn.index_stmt = &copy;
	return mm_sql_deparse(r->ctx, &cn);
}

bool mm_rule_partitioning_lost(const struct mm_table *t)
{
	if (t->kind != MM_REL_PARTITIONED)
		return false;
	if (!t->partition_key)
		return true;
	for (size_t i = 0; i < t->partitions.len; i++) {
		const struct mm_table *p = mm_vec_at(&t->partitions, i);
		if (!p->partition_bound || p->kind == MM_REL_PARTITIONED)
			return true;
	}
	return false;
}

void mm_rule_create_table_sql(struct mm_rule_ctx *r, const struct mm_table *t, struct mm_vec *out)
{
	struct mm_arena *a = &r->ctx->arena;
	const char *qt = mm_sql_qname(a, t->schema, t->name);
	struct mm_buf b = MM_BUF_INIT;
	mm_buf_addf(&b, "CREATE TABLE %s (", qt);
	for (size_t i = 0; i < t->columns.len; i++)
		mm_buf_addf(&b, "%s\n    %s", i ? "," : "", mm_rule_column_sql(r, mm_vec_at(&t->columns, i), true));
	for (size_t i = 0; i < t->constraints.len; i++) {
		const struct mm_constraint *c = mm_vec_at(&t->constraints, i);
		if (c->definition)
			mm_buf_addf(&b, ",\n    CONSTRAINT %s %s", mm_sql_ident(a, c->name), c->definition);
	}
	mm_buf_adds(&b, "\n)");
	bool partitioned = t->kind == MM_REL_PARTITIONED && t->partition_key;
	if (partitioned)
		mm_buf_addf(&b, " PARTITION BY %s", t->partition_key);
	else if (t->kind == MM_REL_PARTITIONED)
		mm_vec_push(a, out, mm_sprintf(a, "-- %s was partitioned: its partitioning is not recreated", qt));
	mm_vec_push(a, out, mm_buf_arena(&b, a));
	mm_buf_release(&b);
	/* The partitions before the parent's indexes: CREATE INDEX on the parent builds theirs. */
	for (size_t i = 0; partitioned && i < t->partitions.len; i++) {
		const struct mm_table *p = mm_vec_at(&t->partitions, i);
		const char *qp = mm_sql_qname(a, p->schema, p->name);
		if (p->partition_bound && p->kind != MM_REL_PARTITIONED)
			mm_vec_push(a, out, mm_sprintf(a, "CREATE TABLE %s PARTITION OF %s %s", qp, qt, p->partition_bound));
		else
			mm_vec_push(a, out, mm_sprintf(a, "-- partition %s of %s: its bound is unknown, it is not recreated", qp, qt));
	}
	for (size_t i = 0; i < t->indexes.len; i++) {
		const struct mm_index *ix = mm_vec_at(&t->indexes, i);
		if (owning_constraint(t, ix))
			continue;
		const char *sql = mm_rule_index_sql(r, ix, false);
		if (sql)
			mm_vec_push(a, out, (void *)sql);
	}
}
