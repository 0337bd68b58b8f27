/*
 * apply_drop.c — replay of CREATE INDEX and DROP, and the error every replay step uses for a
 * missing object (with the nearest known name as a hint).
 */
#include "model_internal.h"

#include <string.h>

/* --- errors ---------------------------------------------------------------------------------- */

static size_t at_loc(const struct mm_apply *ap, int loc)
{
	return loc >= 0 ? (size_t)loc : ap->st->off;
}

int mm_apply_missing(struct mm_apply *ap, int loc, const char *what, const char *name,
                     const struct mm_vec *candidates)
{
	struct mm_model *m = ap->m;
	if (!m->known)
		return 0;
	struct mm_vec rels = { 0 };
	if (!candidates) {
		for (size_t i = 0; i < m->tables.len; i++)
			mm_vec_push(&m->ctx->arena, &rels, (void *)((struct mm_table *)mm_vec_at(&m->tables, i))->name);
		candidates = &rels;
	}
	const char *best = NULL;
	size_t best_d = (size_t)-1;
	for (size_t i = 0; i < candidates->len; i++) {
		const char *c = mm_vec_at(candidates, i);
		size_t d = mm_edit_distance(name, c);
		if (d < best_d)
			best_d = d, best = c;
	}
	size_t len = strlen(name);
	if (loc < 0) {
		/* Nodes such as RenameStmt keep no location for the name: find it in the text, after
		 * the first word so "ALTER TABLE orders" does not match a column named "alter". */
		const char *hit = strstr(ap->st->text + strcspn(ap->st->text, " "), name);
		if (hit)
			loc = (int)(ap->st->off + (size_t)(hit - ap->st->text));
	}
	const char *msg = strstr(what, " of relation") ? mm_sprintf(&m->ctx->arena, "%s \"%s\" %s does not exist",
	                                                            mm_strndup(&m->ctx->arena, what, (size_t)(strstr(what, " of") - what)),
	                                                            name, strstr(what, "of relation"))
	                                               : mm_sprintf(&m->ctx->arena, "%s \"%s\" does not exist", what, name);
	if (best && best_d <= (len > 4 ? len / 2 : 2))
		return mm_error_hint(m->ctx, ap->st->src, at_loc(ap, loc), loc >= 0 ? len : ap->st->len,
		                     mm_sprintf(&m->ctx->arena, "did you mean \"%s\"?", best), "%s", msg);
	return mm_error(m->ctx, ap->st->src, at_loc(ap, loc), loc >= 0 ? len : ap->st->len, "%s", msg);
}

const char *mm_apply_schema(struct mm_apply *ap, const PgQuery__RangeVar *rv)
{
	if (rv->schemaname && *rv->schemaname)
		return rv->schemaname;
	return mm_model_default_schema(ap->m);
}

struct mm_table *mm_apply_table(struct mm_apply *ap, const PgQuery__RangeVar *rv, bool missing_ok, int *rc)
{
	const char *schema = rv->schemaname && *rv->schemaname ? rv->schemaname : NULL;
	struct mm_table *t = mm_model_find_table(ap->m, schema, rv->relname);
	if (!t && !missing_ok && mm_apply_missing(ap, rv->location, "relation", rv->relname, NULL) != 0)
		*rc = -1;
	return t;
}

static void qualified_name(PgQuery__Node **items, size_t n, const char **schema, const char **name)
{
	*schema = n >= 2 ? items[n - 2]->string->sval : NULL;
	*name = n ? items[n - 1]->string->sval : "";
}

/* --- indexes --------------------------------------------------------------------------------- */

/* A schema holds thousands of indexes differing only in their names: the definition is
 * deparsed once per shape, with the index, table and column names filled in. */
static const char *index_definition(struct mm_model *m, PgQuery__Node *n)
{
	PgQuery__IndexStmt *is = n->index_stmt;
	struct mm_arena *a = &m->ctx->arena;
	size_t cap = 3 + is->n_index_params, k = 0;
	char ***names = mm_alloc(a, cap * sizeof(*names));
	names[k++] = &is->idxname;
	names[k++] = &is->relation->schemaname;
	names[k++] = &is->relation->relname;
	for (size_t i = 0; i < is->n_index_params; i++)
		if (is->index_params[i]->node_case == PG_QUERY__NODE__NODE_INDEX_ELEM)
			names[k++] = &is->index_params[i]->index_elem->name;
	return mm_sql_deparse_memo(m->ctx, "index", n, names, k, mm_sql_deparse);
}

int mm_apply_create_index(struct mm_apply *ap, PgQuery__IndexStmt *is, struct mm_table *t, const char *parent_index)
{
	struct mm_model *m = ap->m;
	struct mm_arena *a = &m->ctx->arena;
	int rc = 0;
	if (!t) {
		t = mm_apply_table(ap, is->relation, false, &rc);
		if (!t)
			return rc;
	}
	for (size_t i = 0; i < is->n_index_params; i++) {
		PgQuery__IndexElem *el = is->index_params[i]->index_elem;
		if (el->name && *el->name && !mm_table_find_column(t, el->name) && t->kind != MM_REL_VIEW) {
			struct mm_vec names = { 0 };
			for (size_t k = 0; k < t->columns.len; k++)
				mm_vec_push(a, &names, (void *)((struct mm_column *)mm_vec_at(&t->columns, k))->name);
			if (t->columns.len)
				return mm_apply_missing(ap, is->relation->location, mm_sprintf(a, "column of relation \"%s\"", t->name),
				                        el->name, &names);
		}
	}
	const char *name = is->idxname && *is->idxname ? is->idxname : mm_model_choose_index_name(m, t->schema, t->name, is, NULL);
	if (mm_model_find_index(m, t->schema, name) || mm_model_relname_taken(m, t->schema, name)) {
		if (is->if_not_exists)
			return 0;
		return mm_error(m->ctx, ap->st->src, ap->st->off, ap->st->len, "relation \"%s\" already exists", name);
	}
	PgQuery__IndexStmt canon = *is;
	PgQuery__RangeVar rel = *is->relation;
	rel.schemaname = (char *)t->schema;
	rel.relname = (char *)t->name;
	rel.inh = !(t->kind == MM_REL_PARTITIONED && !is->relation->inh);
	canon.relation = &rel;
	canon.idxname = (char *)name;
	canon.concurrent = false;
	canon.if_not_exists = false;
	if (!canon.access_method || !*canon.access_method)
		canon.access_method = "btree";
	PgQuery__Node n = PG_QUERY__NODE__INIT;
	n.node_case = PG_QUERY__NODE__NODE_INDEX_STMT;
	n.index_stmt = &canon;
	struct mm_index *ix = mm_model_add_index(m, t, name);
	ix->origin = ap->origin;
	ix->definition = index_definition(m, &n);
	ix->unique = is->unique;
	ix->primary = is->primary;
	ix->partial = is->where_clause != NULL;
	ix->parent_index = parent_index;
	for (size_t i = 0; i < is->n_index_params; i++) {
		PgQuery__IndexElem *el = is->index_params[i]->index_elem;
		bool expr = !(el->name && *el->name);
		ix->has_expressions |= expr;
		mm_vec_push(a, &ix->columns, expr ? (char *)"" : el->name);
	}
	/* CREATE INDEX on a partitioned table (not ON ONLY) builds one on every partition. */
	if (t->kind == MM_REL_PARTITIONED && is->relation->inh)
		for (size_t i = 0; i < t->partitions.len; i++) {
			struct mm_table *p = mm_vec_at(&t->partitions, i);
			PgQuery__IndexStmt child = *is;
			child.idxname = "";
			child.if_not_exists = false;
			if (mm_apply_create_index(ap, &child, p, ix->name) != 0)
				rc = -1;
		}
	return rc;
}

int mm_apply_index(struct mm_apply *ap, PgQuery__Node *n)
{
	return mm_apply_create_index(ap, n->index_stmt, NULL, NULL);
}

/* --- DROP ------------------------------------------------------------------------------------ */

/* A relation and what goes with it: its partitions, the views reading it (PostgreSQL needs
 * CASCADE for those, so a replayed script that ran had it) and foreign keys pointing at it. */
static void remove_relation(struct mm_model *m, struct mm_table *t)
{
	for (size_t i = t->partitions.len; i-- > 0;)
		mm_model_remove_table(m, mm_vec_at(&t->partitions, i));
	struct mm_vec views = { 0 };
	mm_model_dependent_views(m, t, &views);
	for (size_t i = 0; i < views.len; i++)
		remove_relation(m, mm_vec_at(&views, i));
	for (size_t i = 0; i < m->tables.len; i++) {
		struct mm_table *o = mm_vec_at(&m->tables, i);
		for (size_t k = o->constraints.len; k-- > 0;) {
			struct mm_constraint *c = mm_vec_at(&o->constraints, k);
			if (o != t && c->type == MM_CON_FOREIGN && mm_streq(c->ref_table, t->name) && mm_streq(c->ref_schema, t->schema))
				mm_table_remove_constraint(m, o, c->name);
		}
	}
	mm_model_remove_table(m, t);
}

static int drop_relation(struct mm_apply *ap, PgQuery__DropStmt *d, PgQuery__List *l)
{
	const char *schema, *name;
	qualified_name(l->items, l->n_items, &schema, &name);
	struct mm_table *t = mm_model_find_table(ap->m, schema, name);
	if (!t)
		return d->missing_ok ? 0 : mm_apply_missing(ap, -1, "relation", name, NULL);
	remove_relation(ap->m, t);
	return 0;
}

static int drop_index(struct mm_apply *ap, PgQuery__DropStmt *d, PgQuery__List *l)
{
	const char *schema, *name;
	qualified_name(l->items, l->n_items, &schema, &name);
	struct mm_index *ix = mm_model_find_index(ap->m, schema, name);
	if (!ix)
		return d->missing_ok ? 0 : mm_apply_missing(ap, -1, "index", name, NULL);
	/* Dropping a partitioned index drops its partitions' indexes. Only an index of a partitioned
	 * table has any: the others skip the walk over every table (DROP INDEX stays O(1) per
	 * statement, not O(tables)). */
	const struct mm_table *owner = mm_model_find_table(ap->m, ix->schema, ix->table);
	for (size_t i = 0; (!owner || owner->kind == MM_REL_PARTITIONED) && i < ap->m->tables.len; i++) {
		struct mm_table *t = mm_vec_at(&ap->m->tables, i);
		for (size_t k = t->indexes.len; k-- > 0;) {
			struct mm_index *c = mm_vec_at(&t->indexes, k);
			if (mm_streq(c->parent_index, ix->name) && mm_streq(c->schema, ix->schema))
				mm_model_remove_index(ap->m, c);
		}
	}
	mm_model_remove_index(ap->m, ix);
	return 0;
}

static int drop_sequence(struct mm_apply *ap, PgQuery__DropStmt *d, PgQuery__List *l)
{
	const char *schema, *name;
	qualified_name(l->items, l->n_items, &schema, &name);
	struct mm_sequence *sq = mm_model_find_sequence(ap->m, schema, name);
	if (!sq)
		return d->missing_ok ? 0 : mm_apply_missing(ap, -1, "sequence", name, NULL);
	mm_vec_remove(&ap->m->sequences, sq);
	return 0;
}

static int drop_type(struct mm_apply *ap, PgQuery__DropStmt *d, PgQuery__Node *obj)
{
	/* DROP TYPE's objects are TypeNames. */
	if (obj->node_case != PG_QUERY__NODE__NODE_TYPE_NAME)
		return 0;
	const char *schema, *name;
	qualified_name(obj->type_name->names, obj->type_name->n_names, &schema, &name);
	struct mm_enum *e = mm_model_find_enum(ap->m, schema, name);
	if (!e)
		return 0; /* domains and composite types are not modelled */
	(void)d;
	mm_vec_remove(&ap->m->enums, e);
	return 0;
}

static int drop_function(struct mm_apply *ap, PgQuery__Node *obj)
{
	if (obj->node_case != PG_QUERY__NODE__NODE_OBJECT_WITH_ARGS)
		return 0;
	const char *schema, *name;
	qualified_name(obj->object_with_args->objname, obj->object_with_args->n_objname, &schema, &name);
	struct mm_function *f = mm_model_find_function(ap->m, schema, name);
	if (f)
		mm_vec_remove(&ap->m->functions, f);
	return 0;
}

static int drop_trigger(struct mm_apply *ap, PgQuery__List *l)
{
	/* objects: [schema,] table, trigger */
	const char *schema, *table;
	qualified_name(l->items, l->n_items - 1, &schema, &table);
	const char *name = l->items[l->n_items - 1]->string->sval;
	struct mm_table *t = mm_model_find_table(ap->m, schema, table);
	for (size_t i = 0; t && i < t->triggers.len; i++)
		if (strcmp(((struct mm_trigger *)mm_vec_at(&t->triggers, i))->name, name) == 0) {
			mm_vec_remove(&t->triggers, mm_vec_at(&t->triggers, i));
			break;
		}
	return 0;
}

static int drop_schema(struct mm_apply *ap, const char *name)
{
	struct mm_model *m = ap->m;
	for (size_t i = m->tables.len; i-- > 0;) {
		struct mm_table *t = mm_vec_at(&m->tables, i);
		if (strcmp(t->schema, name) == 0)
			mm_model_remove_table(m, t);
	}
	struct mm_vec *vecs[] = { &m->sequences, &m->enums, &m->functions, &m->schemas };
	for (size_t v = 0; v < MM_ARRAY_LEN(vecs); v++) {
		size_t keep = 0;
		for (size_t i = 0; i < vecs[v]->len; i++) {
			void *o = mm_vec_at(vecs[v], i);
			const char *s = v == 3 ? (const char *)o : *(const char *const *)o;
			if (strcmp(s, name) != 0)
				vecs[v]->items[keep++] = o;
		}
		vecs[v]->len = keep;
	}
	return 0;
}

static int drop_relation_obj(struct mm_apply *ap, PgQuery__DropStmt *d, PgQuery__Node *obj)
{
	return obj->node_case == PG_QUERY__NODE__NODE_LIST ? drop_relation(ap, d, obj->list) : 0;
}

static int drop_index_obj(struct mm_apply *ap, PgQuery__DropStmt *d, PgQuery__Node *obj)
{
	return obj->node_case == PG_QUERY__NODE__NODE_LIST ? drop_index(ap, d, obj->list) : 0;
}

static int drop_sequence_obj(struct mm_apply *ap, PgQuery__DropStmt *d, PgQuery__Node *obj)
{
	return obj->node_case == PG_QUERY__NODE__NODE_LIST ? drop_sequence(ap, d, obj->list) : 0;
}

static int drop_function_obj(struct mm_apply *ap, PgQuery__DropStmt *d, PgQuery__Node *obj)
{
	(void)d;
	return drop_function(ap, obj);
}

static int drop_trigger_obj(struct mm_apply *ap, PgQuery__DropStmt *d, PgQuery__Node *obj)
{
	(void)d;
	return obj->node_case == PG_QUERY__NODE__NODE_LIST ? drop_trigger(ap, obj->list) : 0;
}

static int drop_schema_obj(struct mm_apply *ap, PgQuery__DropStmt *d, PgQuery__Node *obj)
{
	(void)d;
	return obj->node_case == PG_QUERY__NODE__NODE_STRING ? drop_schema(ap, obj->string->sval) : 0;
}

static const struct drop_kind {
	PgQuery__ObjectType type;
	int (*fn)(struct mm_apply *ap, PgQuery__DropStmt *d, PgQuery__Node *obj);
} drop_kinds[] = {
	{ PG_QUERY__OBJECT_TYPE__OBJECT_TABLE, drop_relation_obj },
	{ PG_QUERY__OBJECT_TYPE__OBJECT_VIEW, drop_relation_obj },
	{ PG_QUERY__OBJECT_TYPE__OBJECT_MATVIEW, drop_relation_obj },
	{ PG_QUERY__OBJECT_TYPE__OBJECT_FOREIGN_TABLE, drop_relation_obj },
	{ PG_QUERY__OBJECT_TYPE__OBJECT_INDEX, drop_index_obj },
	{ PG_QUERY__OBJECT_TYPE__OBJECT_SEQUENCE, drop_sequence_obj },
	{ PG_QUERY__OBJECT_TYPE__OBJECT_TYPE, drop_type },
	{ PG_QUERY__OBJECT_TYPE__OBJECT_FUNCTION, drop_function_obj },
	{ PG_QUERY__OBJECT_TYPE__OBJECT_PROCEDURE, drop_function_obj },
	{ PG_QUERY__OBJECT_TYPE__OBJECT_ROUTINE, drop_function_obj },
	{ PG_QUERY__OBJECT_TYPE__OBJECT_TRIGGER, drop_trigger_obj },
	{ PG_QUERY__OBJECT_TYPE__OBJECT_SCHEMA, drop_schema_obj },
};

int mm_apply_drop(struct mm_apply *ap, PgQuery__Node *n)
{
	PgQuery__DropStmt *d = n->drop_stmt;
	int rc = 0;
	for (size_t k = 0; k < MM_ARRAY_LEN(drop_kinds); k++) {
		if (drop_kinds[k].type != d->remove_type)
			continue;
		for (size_t i = 0; i < d->n_objects; i++)
			if (drop_kinds[k].fn(ap, d, d->objects[i]) != 0)
				rc = -1;
	}
	return rc;
}
