/*
 * lookup.c — hash indexes over the model's names, so a lookup costs the same with 50 tables or
 * 50,000 (a pg_dump -s of a large schema, or a long input that creates objects as it goes).
 *
 * The vectors in struct mm_model stay the truth and keep creation order (dumps, views, "first
 * match" semantics); these maps only answer "which objects have this (schema, name)". Additions
 * and removals through store.c keep them current. A change of a stored name (renames rewrite
 * fields in place) marks them stale instead, and the next lookup rebuilds them from the vectors:
 * a rename already walks the whole model, so the rebuild does not change its order of cost.
 */
#include "model_internal.h"

#include <string.h>

struct mm_lookup {
	bool stale;
	struct mm_map tables, indexes, sequences, enums, functions;
	struct mm_map constraints;  /* (table schema, constraint name): names are unique per schema */
};

static void index_table(struct mm_arena *a, struct mm_lookup *L, struct mm_table *t)
{
	mm_map_add(a, &L->tables, t->schema, t->name, t);
	for (size_t j = 0; j < t->indexes.len; j++) {
		struct mm_index *ix = mm_vec_at(&t->indexes, j);
		mm_map_add(a, &L->indexes, ix->schema, ix->name, ix);
	}
	for (size_t j = 0; j < t->constraints.len; j++) {
		struct mm_constraint *k = mm_vec_at(&t->constraints, j);
		mm_map_add(a, &L->constraints, t->schema, k->name, k);
	}
}

static void add_all(struct mm_arena *a, struct mm_map *map, const struct mm_vec *v)
{
	for (size_t i = 0; i < v->len; i++) {
		const struct mm_named *o = mm_vec_at(v, i);
		mm_map_add(a, map, o->schema, o->name, (void *)o);
	}
}

static void rebuild(struct mm_model *m, struct mm_lookup *L)
{
	struct mm_arena *a = &m->ctx->arena;
	*L = (struct mm_lookup){ 0 };
	for (size_t i = 0; i < m->tables.len; i++)
		index_table(a, L, mm_vec_at(&m->tables, i));
	add_all(a, &L->sequences, &m->sequences);
	add_all(a, &L->enums, &m->enums);
	add_all(a, &L->functions, &m->functions);
}

/* The current maps (built on first use, rebuilt when stale). Lookups take a const model: the
 * maps are a cache of it, so filling them does not change what the model says. */
static struct mm_lookup *lookup(const struct mm_model *cm)
{
	struct mm_model *m = (struct mm_model *)cm;
	struct mm_lookup *L = m->priv;
	if (!L) {
		L = m->priv = mm_alloc(&m->ctx->arena, sizeof(*L));
		L->stale = true;
	}
	if (L->stale)
		rebuild(m, L);
	return L;
}

/* Maintenance from store.c: only when the maps exist and are current (else the rebuild will
 * see the change anyway). */
static struct mm_lookup *live(struct mm_model *m)
{
	struct mm_lookup *L = m->priv;
	return L && !L->stale ? L : NULL;
}

void mm_model_names_changed(struct mm_model *m)
{
	struct mm_lookup *L = m->priv;
	if (L)
		L->stale = true;
}

void mm_lookup_add_table(struct mm_model *m, struct mm_table *t)
{
	struct mm_lookup *L = live(m);
	if (L)
		index_table(&m->ctx->arena, L, t);
}

void mm_lookup_remove_table(struct mm_model *m, struct mm_table *t)
{
	struct mm_lookup *L = live(m);
	if (!L)
		return;
	mm_map_remove(&L->tables, t->schema, t->name, t);
	for (size_t j = 0; j < t->indexes.len; j++) {
		struct mm_index *ix = mm_vec_at(&t->indexes, j);
		mm_map_remove(&L->indexes, ix->schema, ix->name, ix);
	}
	for (size_t j = 0; j < t->constraints.len; j++) {
		struct mm_constraint *k = mm_vec_at(&t->constraints, j);
		mm_map_remove(&L->constraints, t->schema, k->name, k);
	}
}

void mm_lookup_index(struct mm_model *m, struct mm_index *ix, bool add)
{
	struct mm_lookup *L = live(m);
	if (!L)
		return;
	if (!ix->name)
		L->stale = true;
	else if (add)
		mm_map_add(&m->ctx->arena, &L->indexes, ix->schema, ix->name, ix);
	else
		mm_map_remove(&L->indexes, ix->schema, ix->name, ix);
}

void mm_lookup_constraint(struct mm_model *m, const struct mm_table *t, struct mm_constraint *k, bool add)
{
	struct mm_lookup *L = live(m);
	if (!L)
		return;
	if (!k->name)
		L->stale = true; /* named later, in place */
	else if (add)
		mm_map_add(&m->ctx->arena, &L->constraints, t->schema, k->name, k);
	else
		mm_map_remove(&L->constraints, t->schema, k->name, k);
}

void mm_lookup_named(struct mm_model *m, enum mm_lookup_kind kind, void *o, bool add)
{
	struct mm_lookup *L = live(m);
	if (!L)
		return;
	struct mm_map *map = kind == MM_LOOKUP_SEQUENCE ? &L->sequences
	                     : kind == MM_LOOKUP_ENUM   ? &L->enums
	                                                : &L->functions;
	const struct mm_named *n = o;
	if (add)
		mm_map_add(&m->ctx->arena, map, n->schema, n->name, o);
	else
		mm_map_remove(map, n->schema, n->name, o);
}

/* --- queries ------------------------------------------------------------------------------ */

static void *first(const struct mm_map *map, const char *schema, const char *name)
{
	struct mm_vec *v = mm_map_get(map, schema, name);
	return v && v->len ? mm_vec_at(v, 0) : NULL;
}

/* schema NULL: pg_temp first (as PostgreSQL searches relations), then the search_path. */
static void *find(const struct mm_model *m, const struct mm_map *map, const char *schema,
                  const char *name, bool temp_first)
{
	if (!name)
		return NULL;
	if (schema)
		return first(map, schema, name);
	void *o = temp_first ? first(map, "pg_temp", name) : NULL;
	for (size_t s = 0; !o && s < m->search_path.len; s++)
		o = first(map, mm_vec_at(&m->search_path, s), name);
	return o;
}

struct mm_table *mm_model_find_table(const struct mm_model *m, const char *schema, const char *name)
{
	return find(m, &lookup(m)->tables, schema, name, true);
}

struct mm_enum *mm_model_find_enum(const struct mm_model *m, const char *schema, const char *name)
{
	return find(m, &lookup(m)->enums, schema, name, true);
}

struct mm_function *mm_model_find_function(const struct mm_model *m, const char *schema, const char *name)
{
	return find(m, &lookup(m)->functions, schema, name, true);
}

struct mm_sequence *mm_model_find_sequence(const struct mm_model *m, const char *schema, const char *name)
{
	return find(m, &lookup(m)->sequences, schema, name, true);
}

struct mm_index *mm_model_find_index(const struct mm_model *m, const char *schema, const char *name)
{
	return find(m, &lookup(m)->indexes, schema, name, false);
}

bool mm_model_relname_taken(const struct mm_model *m, const char *schema, const char *name)
{
	if (!schema)
		schema = mm_model_default_schema(m);
	struct mm_lookup *L = lookup(m);
	return first(&L->tables, schema, name) || first(&L->indexes, schema, name) ||
	       first(&L->sequences, schema, name);
}

bool mm_model_constraint_name_taken(const struct mm_model *m, const char *schema, const char *name)
{
	return first(&lookup(m)->constraints, schema ? schema : mm_model_default_schema(m), name) != NULL;
}
