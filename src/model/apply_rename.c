/*
 * apply_rename.c — RENAME of columns, relations, indexes, constraints and enum values, and how a
 * new name ripples into the definitions the model keeps (PostgreSQL stores expressions by
 * attribute number, so its printed definitions follow a rename; ours are text and must be
 * rewritten to stay equal to what the catalog would print).
 */
#include "model_internal.h"

#include <string.h>

struct ren {
	const char *old, *new_name;
	bool local;  /* rename key and FK-referencing columns (the renamed column's own table) */
	bool remote; /* rename FK-referenced columns (pk_attrs) */
};

static void ren_strings(const struct ren *r, PgQuery__Node **items, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (items[i]->node_case == PG_QUERY__NODE__NODE_STRING && strcmp(items[i]->string->sval, r->old) == 0)
			items[i]->string->sval = (char *)r->new_name;
}

static bool ren_visit(PgQuery__Node *n, void *arg)
{
	const struct ren *r = arg;
	if (n->node_case == PG_QUERY__NODE__NODE_COLUMN_REF && r->local) {
		PgQuery__ColumnRef *c = n->column_ref;
		if (c->n_fields)
			ren_strings(r, &c->fields[c->n_fields - 1], 1);
	} else if (n->node_case == PG_QUERY__NODE__NODE_INDEX_ELEM && r->local) {
		if (n->index_elem->name && strcmp(n->index_elem->name, r->old) == 0)
			n->index_elem->name = (char *)r->new_name;
	} else if (n->node_case == PG_QUERY__NODE__NODE_CONSTRAINT) {
		PgQuery__Constraint *c = n->constraint;
		if (r->local) {
			ren_strings(r, c->keys, c->n_keys);
			ren_strings(r, c->including, c->n_including);
			ren_strings(r, c->fk_attrs, c->n_fk_attrs);
		}
		if (r->remote)
			ren_strings(r, c->pk_attrs, c->n_pk_attrs);
	}
	return true;
}

/* Rewrite a definition (a constraint's, or a CREATE INDEX) through its tree. */
static const char *rewrite_def(struct mm_model *m, const char *def, bool constraint, bool (*visit)(PgQuery__Node *, void *),
                               void *arg)
{
	if (!def)
		return NULL;
	PgQuery__Constraint *c = NULL;
	PgQuery__Node *n = constraint ? mm_model_constraint_parse(m, def, &c) : mm_sql_parse_one(m->ctx, def, "definition");
	if (!n)
		return def;
	mm_sql_walk(n, visit, arg);
	const char *out = constraint ? mm_model_constraint_print(m, c) : mm_sql_deparse(m->ctx, n);
	return out ? out : def;
}

static void rename_in_vec(struct mm_vec *v, const char *old, const char *new_name)
{
	for (size_t i = 0; i < v->len; i++)
		if (strcmp(mm_vec_at(v, i), old) == 0)
			v->items[i] = (void *)new_name;
}

void mm_apply_rename_column(struct mm_apply *ap, struct mm_table *t, const char *old, const char *new_name)
{
	struct mm_model *m = ap->m;
	struct mm_column *c = mm_table_find_column(t, old);
	if (!c)
		return;
	c->name = new_name;
	struct ren local = { old, new_name, true, false };
	for (size_t i = 0; i < t->constraints.len; i++) {
		struct mm_constraint *k = mm_vec_at(&t->constraints, i);
		rename_in_vec(&k->columns, old, new_name);
		bool self = k->type == MM_CON_FOREIGN && mm_streq(k->ref_table, t->name) && mm_streq(k->ref_schema, t->schema);
		if (self)
			rename_in_vec(&k->ref_columns, old, new_name);
		struct ren r = { old, new_name, true, self };
		k->definition = rewrite_def(m, k->definition, true, ren_visit, &r);
	}
	for (size_t i = 0; i < t->indexes.len; i++) {
		struct mm_index *ix = mm_vec_at(&t->indexes, i);
		rename_in_vec(&ix->columns, old, new_name);
		ix->definition = rewrite_def(m, ix->definition, false, ren_visit, &local);
	}
	for (size_t i = 0; i < m->tables.len; i++) {
		struct mm_table *o = mm_vec_at(&m->tables, i);
		if (o == t)
			continue;
		for (size_t j = 0; j < o->constraints.len; j++) {
			struct mm_constraint *k = mm_vec_at(&o->constraints, j);
			if (k->type != MM_CON_FOREIGN || !mm_streq(k->ref_table, t->name) || !mm_streq(k->ref_schema, t->schema))
				continue;
			rename_in_vec(&k->ref_columns, old, new_name);
			struct ren r = { old, new_name, false, true };
			k->definition = rewrite_def(m, k->definition, true, ren_visit, &r);
		}
	}
	for (size_t i = 0; i < m->sequences.len; i++) {
		struct mm_sequence *sq = mm_vec_at(&m->sequences, i);
		if (mm_streq(sq->schema, t->schema) && mm_streq(sq->owner_table, t->name) && mm_streq(sq->owner_column, old))
			sq->owner_column = new_name;
	}
	/* A partition's column is the parent's column: renamed together. */
	for (size_t i = 0; i < t->partitions.len; i++)
		mm_apply_rename_column(ap, mm_vec_at(&t->partitions, i), old, new_name);
}

struct table_ren {
	const char *schema, *old, *new_name;
};

static bool table_ren_visit(PgQuery__Node *n, void *arg)
{
	const struct table_ren *r = arg;
	PgQuery__RangeVar *rv = NULL;
	if (n->node_case == PG_QUERY__NODE__NODE_RANGE_VAR)
		rv = n->range_var;
	else if (n->node_case == PG_QUERY__NODE__NODE_INDEX_STMT)
		rv = n->index_stmt->relation;
	else if (n->node_case == PG_QUERY__NODE__NODE_CONSTRAINT)
		rv = n->constraint->pktable;
	if (rv && strcmp(rv->relname, r->old) == 0 && (!rv->schemaname || !*rv->schemaname || strcmp(rv->schemaname, r->schema) == 0))
		rv->relname = (char *)r->new_name;
	return true;
}

void mm_apply_rename_table(struct mm_apply *ap, struct mm_table *t, const char *new_name)
{
	struct mm_model *m = ap->m;
	const char *old = t->name;
	struct table_ren r = { t->schema, old, new_name };
	char *old_key = mm_sprintf(&m->ctx->arena, "%s.%s", t->schema, old);
	char *new_key = mm_sprintf(&m->ctx->arena, "%s.%s", t->schema, new_name);
	t->name = new_name;
	mm_model_names_changed(m);
	for (size_t i = 0; i < t->indexes.len; i++) {
		struct mm_index *ix = mm_vec_at(&t->indexes, i);
		ix->table = new_name;
		ix->definition = rewrite_def(m, ix->definition, false, table_ren_visit, &r);
	}
	for (size_t i = 0; i < m->tables.len; i++) {
		struct mm_table *o = mm_vec_at(&m->tables, i);
		rename_in_vec(&o->view_deps, old_key, new_key);
		if (mm_streq(o->partition_parent, old) && mm_streq(o->partition_parent_schema, t->schema))
			o->partition_parent = new_name;
		for (size_t j = 0; j < o->constraints.len; j++) {
			struct mm_constraint *k = mm_vec_at(&o->constraints, j);
			if (k->type == MM_CON_FOREIGN && mm_streq(k->ref_table, old) && mm_streq(k->ref_schema, t->schema)) {
				k->ref_table = new_name;
				k->definition = rewrite_def(m, k->definition, true, table_ren_visit, &r);
			}
		}
	}
	for (size_t i = 0; i < m->sequences.len; i++) {
		struct mm_sequence *sq = mm_vec_at(&m->sequences, i);
		if (mm_streq(sq->schema, t->schema) && mm_streq(sq->owner_table, old))
			sq->owner_table = new_name;
	}
}

static void rename_index(struct mm_model *m, struct mm_index *ix, const char *new_name)
{
	const char *old = ix->name;
	struct mm_table *t = mm_index_table(m, ix);
	ix->name = new_name;
	mm_model_names_changed(m);
	PgQuery__Node *n = mm_sql_parse_one(m->ctx, ix->definition, "index definition");
	if (n && n->node_case == PG_QUERY__NODE__NODE_INDEX_STMT) {
		n->index_stmt->idxname = (char *)new_name;
		ix->definition = mm_sql_deparse(m->ctx, n);
	}
	/* Renaming the index of a PRIMARY KEY / UNIQUE / EXCLUDE constraint renames the constraint
	 * too (RenameRelationInternal calls RenameConstraintById). */
	for (size_t i = 0; t && i < t->constraints.len; i++) {
		struct mm_constraint *k = mm_vec_at(&t->constraints, i);
		if (mm_streq(k->index_name, old)) {
			k->index_name = new_name;
			k->name = new_name;
		}
	}
	mm_model_names_changed(m); /* the constraint names just changed too */
	for (size_t i = 0; i < m->tables.len; i++) {
		struct mm_table *o = mm_vec_at(&m->tables, i);
		for (size_t j = 0; j < o->indexes.len; j++) {
			struct mm_index *c = mm_vec_at(&o->indexes, j);
			if (mm_streq(c->parent_index, old) && mm_streq(c->schema, ix->schema))
				c->parent_index = new_name;
		}
	}
}

static int rename_column(struct mm_apply *ap, PgQuery__RenameStmt *rn)
{
	int rc = 0;
	struct mm_table *t = mm_apply_table(ap, rn->relation, rn->missing_ok, &rc);
	if (!t)
		return rc;
	if (!mm_table_find_column(t, rn->subname)) {
		struct mm_vec names = { 0 };
		for (size_t i = 0; i < t->columns.len; i++)
			mm_vec_push(&ap->m->ctx->arena, &names, (void *)((struct mm_column *)mm_vec_at(&t->columns, i))->name);
		if (t->kind == MM_REL_VIEW || t->kind == MM_REL_MATVIEW)
			return 0; /* view columns are not modelled */
		return mm_apply_missing(ap, -1, mm_sprintf(&ap->m->ctx->arena, "column of relation \"%s\"", t->name),
		                        rn->subname, &names);
	}
	mm_apply_rename_column(ap, t, rn->subname, rn->newname);
	return 0;
}

static int rename_relation(struct mm_apply *ap, PgQuery__RenameStmt *rn)
{
	int rc = 0;
	if (rn->rename_type == PG_QUERY__OBJECT_TYPE__OBJECT_SEQUENCE) {
		struct mm_sequence *sq = mm_model_find_sequence(ap->m, rn->relation->schemaname && *rn->relation->schemaname
		                                                           ? rn->relation->schemaname : NULL,
		                                                rn->relation->relname);
		if (sq) {
			sq->name = rn->newname;
			mm_model_names_changed(ap->m);
		}
		return 0;
	}
	if (rn->rename_type == PG_QUERY__OBJECT_TYPE__OBJECT_INDEX) {
		struct mm_index *ix = mm_model_find_index(ap->m, rn->relation->schemaname && *rn->relation->schemaname
		                                                     ? rn->relation->schemaname : NULL,
		                                          rn->relation->relname);
		if (!ix)
			return rn->missing_ok ? 0 : mm_apply_missing(ap, rn->relation->location, "index", rn->relation->relname, NULL);
		rename_index(ap->m, ix, rn->newname);
		return 0;
	}
	struct mm_table *t = mm_apply_table(ap, rn->relation, rn->missing_ok, &rc);
	if (t)
		mm_apply_rename_table(ap, t, rn->newname);
	return rc;
}

static int rename_constraint(struct mm_apply *ap, PgQuery__RenameStmt *rn)
{
	int rc = 0;
	struct mm_table *t = mm_apply_table(ap, rn->relation, rn->missing_ok, &rc);
	if (!t)
		return rc;
	struct mm_constraint *k = mm_table_find_constraint(t, rn->subname);
	if (!k)
		return mm_apply_missing(ap, -1, mm_sprintf(&ap->m->ctx->arena, "constraint of relation \"%s\"", t->name),
		                        rn->subname, NULL);
	/* Renaming a key constraint renames its index too (RenameConstraintById). */
	if (k->index_name) {
		struct mm_index *ix = mm_model_find_index(ap->m, t->schema, k->index_name);
		if (ix)
			rename_index(ap->m, ix, rn->newname);
	}
	k->name = rn->newname;
	mm_model_names_changed(ap->m);
	return 0;
}

static int rename_type(struct mm_apply *ap, PgQuery__RenameStmt *rn)
{
	if (!rn->object || rn->object->node_case != PG_QUERY__NODE__NODE_LIST)
		return 0;
	PgQuery__List *l = rn->object->list;
	const char *schema = l->n_items >= 2 ? l->items[l->n_items - 2]->string->sval : NULL;
	struct mm_enum *e = mm_model_find_enum(ap->m, schema, l->items[l->n_items - 1]->string->sval);
	if (!e)
		return 0;
	const char *old_type = mm_sql_qname(&ap->m->ctx->arena, e->schema, e->name);
	e->name = rn->newname;
	mm_model_names_changed(ap->m);
	const char *new_type = mm_sql_qname(&ap->m->ctx->arena, e->schema, e->name);
	/* Columns of the type print its new name. */
	for (size_t i = 0; i < ap->m->tables.len; i++) {
		struct mm_table *t = mm_vec_at(&ap->m->tables, i);
		for (size_t j = 0; j < t->columns.len; j++) {
			struct mm_column *c = mm_vec_at(&t->columns, j);
			if (strcmp(c->type, old_type) == 0)
				c->type = new_type;
			else if (strncmp(c->type, old_type, strlen(old_type)) == 0 && strcmp(c->type + strlen(old_type), "[]") == 0)
				c->type = mm_sprintf(&ap->m->ctx->arena, "%s[]", new_type);
		}
	}
	return 0;
}

static int rename_trigger(struct mm_apply *ap, PgQuery__RenameStmt *rn)
{
	int rc = 0;
	struct mm_table *t = mm_apply_table(ap, rn->relation, rn->missing_ok, &rc);
	for (size_t i = 0; t && i < t->triggers.len; i++) {
		struct mm_trigger *tg = mm_vec_at(&t->triggers, i);
		if (strcmp(tg->name, rn->subname) == 0)
			tg->name = rn->newname;
	}
	return rc;
}

static const struct rename_kind {
	PgQuery__ObjectType type;
	int (*fn)(struct mm_apply *ap, PgQuery__RenameStmt *rn);
} rename_kinds[] = {
	{ PG_QUERY__OBJECT_TYPE__OBJECT_COLUMN, rename_column },
	{ PG_QUERY__OBJECT_TYPE__OBJECT_TABLE, rename_relation },
	{ PG_QUERY__OBJECT_TYPE__OBJECT_VIEW, rename_relation },
	{ PG_QUERY__OBJECT_TYPE__OBJECT_MATVIEW, rename_relation },
	{ PG_QUERY__OBJECT_TYPE__OBJECT_FOREIGN_TABLE, rename_relation },
	{ PG_QUERY__OBJECT_TYPE__OBJECT_SEQUENCE, rename_relation },
	{ PG_QUERY__OBJECT_TYPE__OBJECT_INDEX, rename_relation },
	{ PG_QUERY__OBJECT_TYPE__OBJECT_TABCONSTRAINT, rename_constraint },
	{ PG_QUERY__OBJECT_TYPE__OBJECT_TYPE, rename_type },
	{ PG_QUERY__OBJECT_TYPE__OBJECT_TRIGGER, rename_trigger },
};

int mm_apply_rename(struct mm_apply *ap, PgQuery__Node *n)
{
	PgQuery__RenameStmt *rn = n->rename_stmt;
	for (size_t i = 0; i < MM_ARRAY_LEN(rename_kinds); i++)
		if (rename_kinds[i].type == rn->rename_type)
			return rename_kinds[i].fn(ap, rn);
	return 0;
}
