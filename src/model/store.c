/*
 * store.c — the model's storage: constructors, removal and lookups.
 *
 * The vectors keep creation order (replay stays deterministic, the structures inspectable);
 * name lookups go through the hash indexes of lookup.c, which every constructor and removal
 * here keeps current.
 */
#include "model_internal.h"

#include <string.h>

static const char *intern(struct mm_model *m, const char *s)
{
	return s ? mm_strdup(&m->ctx->arena, s) : NULL;
}

struct mm_model *mm_model_new(struct mm_ctx *ctx)
{
	struct mm_model *m = mm_alloc(&ctx->arena, sizeof(*m));
	m->ctx = ctx;
	mm_model_add_schema(m, "public");
	mm_vec_push(&ctx->arena, &m->search_path, (void *)"public");
	return m;
}

void mm_model_add_schema(struct mm_model *m, const char *name)
{
	for (size_t i = 0; i < m->schemas.len; i++)
		if (strcmp(mm_vec_at(&m->schemas, i), name) == 0)
			return;
	mm_vec_push(&m->ctx->arena, &m->schemas, (void *)intern(m, name));
}

const char *mm_model_default_schema(const struct mm_model *m)
{
	return m->search_path.len ? mm_vec_at(&m->search_path, 0) : "public";
}

struct mm_table *mm_model_add_table(struct mm_model *m, const char *schema, const char *name,
                                    enum mm_relkind kind, enum mm_origin origin)
{
	struct mm_table *t = mm_alloc(&m->ctx->arena, sizeof(*t));
	t->schema = intern(m, schema);
	t->name = intern(m, name);
	t->kind = kind;
	t->origin = origin;
	t->est_rows = -1;
	t->est_bytes = -1;
	if (strcmp(schema, "pg_temp") != 0)
		mm_model_add_schema(m, schema);
	mm_vec_push(&m->ctx->arena, &m->tables, t);
	mm_lookup_add_table(m, t);
	return t;
}

void mm_model_remove_table(struct mm_model *m, struct mm_table *t)
{
	if (t->partition_parent) {
		struct mm_table *p = mm_model_find_table(m, t->partition_parent_schema, t->partition_parent);
		if (p)
			mm_vec_remove(&p->partitions, t);
	}
	/* Sequences owned by the table go with it, as DROP TABLE drops them. */
	for (size_t i = m->sequences.len; i-- > 0;) {
		struct mm_sequence *sq = mm_vec_at(&m->sequences, i);
		if (mm_streq(sq->schema, t->schema) && mm_streq(sq->owner_table, t->name)) {
			mm_vec_remove(&m->sequences, sq);
			mm_lookup_named(m, MM_LOOKUP_SEQUENCE, sq, false);
		}
	}
	mm_vec_remove(&m->tables, t);
	mm_lookup_remove_table(m, t);
}

struct mm_column *mm_table_add_column(struct mm_model *m, struct mm_table *t, const char *name,
                                      const char *type)
{
	struct mm_column *c = mm_alloc(&m->ctx->arena, sizeof(*c));
	c->name = intern(m, name);
	c->type = intern(m, type);
	c->attnum = (int)t->columns.len + 1;
	mm_vec_push(&m->ctx->arena, &t->columns, c);
	return c;
}

void mm_table_remove_column(struct mm_table *t, const char *name)
{
	struct mm_column *c = mm_table_find_column(t, name);
	if (!c)
		return;
	mm_vec_remove(&t->columns, c);
	for (size_t i = 0; i < t->columns.len; i++)
		((struct mm_column *)mm_vec_at(&t->columns, i))->attnum = (int)i + 1;
}

struct mm_constraint *mm_table_add_constraint(struct mm_model *m, struct mm_table *t,
                                              const char *name, enum mm_contype type)
{
	struct mm_constraint *c = mm_alloc(&m->ctx->arena, sizeof(*c));
	c->name = intern(m, name);
	c->type = type;
	c->validated = true;
	c->origin = t->origin;
	mm_vec_push(&m->ctx->arena, &t->constraints, c);
	mm_lookup_constraint(m, t, c, true);
	return c;
}

void mm_table_remove_constraint(struct mm_model *m, struct mm_table *t, const char *name)
{
	struct mm_constraint *c = mm_table_find_constraint(t, name);
	if (c && mm_vec_remove(&t->constraints, c))
		mm_lookup_constraint(m, t, c, false);
}

struct mm_index *mm_model_add_index(struct mm_model *m, struct mm_table *t, const char *name)
{
	struct mm_index *ix = mm_alloc(&m->ctx->arena, sizeof(*ix));
	ix->schema = t->schema;
	ix->name = intern(m, name);
	ix->table = t->name;
	ix->valid = true;
	ix->origin = t->origin;
	mm_vec_push(&m->ctx->arena, &t->indexes, ix);
	mm_lookup_index(m, ix, true);
	return ix;
}

struct mm_table *mm_index_table(const struct mm_model *m, const struct mm_index *ix)
{
	return mm_model_find_table(m, ix->schema, ix->table);
}

void mm_model_remove_index(struct mm_model *m, struct mm_index *ix)
{
	struct mm_table *t = mm_index_table(m, ix);
	if (t && mm_vec_remove(&t->indexes, ix))
		mm_lookup_index(m, ix, false);
}

struct mm_sequence *mm_model_add_sequence(struct mm_model *m, const char *schema, const char *name)
{
	struct mm_sequence *s = mm_alloc(&m->ctx->arena, sizeof(*s));
	s->schema = intern(m, schema);
	s->name = intern(m, name);
	s->type = "bigint";
	mm_model_add_schema(m, schema);
	mm_vec_push(&m->ctx->arena, &m->sequences, s);
	mm_lookup_named(m, MM_LOOKUP_SEQUENCE, s, true);
	return s;
}

struct mm_enum *mm_model_add_enum(struct mm_model *m, const char *schema, const char *name)
{
	struct mm_enum *e = mm_alloc(&m->ctx->arena, sizeof(*e));
	e->schema = intern(m, schema);
	e->name = intern(m, name);
	mm_model_add_schema(m, schema);
	mm_vec_push(&m->ctx->arena, &m->enums, e);
	mm_lookup_named(m, MM_LOOKUP_ENUM, e, true);
	return e;
}

struct mm_function *mm_model_add_function(struct mm_model *m, const char *schema, const char *name)
{
	struct mm_function *f = mm_alloc(&m->ctx->arena, sizeof(*f));
	f->schema = intern(m, schema);
	f->name = intern(m, name);
	f->volatility = MM_VOL_VOLATILE; /* CREATE FUNCTION's default */
	mm_vec_push(&m->ctx->arena, &m->functions, f);
	mm_lookup_named(m, MM_LOOKUP_FUNCTION, f, true);
	return f;
}

/* --- lookups ------------------------------------------------------------------------------ */

struct mm_column *mm_table_find_column(const struct mm_table *t, const char *name)
{
	for (size_t i = 0; t && name && i < t->columns.len; i++) {
		struct mm_column *c = mm_vec_at(&t->columns, i);
		if (strcmp(c->name, name) == 0)
			return c;
	}
	return NULL;
}

struct mm_constraint *mm_table_find_constraint(const struct mm_table *t, const char *name)
{
	for (size_t i = 0; t && name && i < t->constraints.len; i++) {
		struct mm_constraint *c = mm_vec_at(&t->constraints, i);
		if (strcmp(c->name, name) == 0)
			return c;
	}
	return NULL;
}

struct mm_constraint *mm_table_primary_key(const struct mm_table *t)
{
	for (size_t i = 0; t && i < t->constraints.len; i++) {
		struct mm_constraint *c = mm_vec_at(&t->constraints, i);
		if (c->type == MM_CON_PRIMARY)
			return c;
	}
	return NULL;
}

void mm_model_dependent_views(const struct mm_model *m, const struct mm_table *t, struct mm_vec *out)
{
	char *key = mm_sprintf(&m->ctx->arena, "%s.%s", t->schema, t->name);
	for (size_t i = 0; i < m->tables.len; i++) {
		struct mm_table *v = mm_vec_at(&m->tables, i);
		if (v->kind != MM_REL_VIEW && v->kind != MM_REL_MATVIEW)
			continue;
		for (size_t j = 0; j < v->view_deps.len; j++)
			if (strcmp(mm_vec_at(&v->view_deps, j), key) == 0) {
				mm_vec_push(&m->ctx->arena, out, v);
				break;
			}
	}
}

char *mm_model_fold(struct mm_arena *a, const char *word)
{
	size_t n = strlen(word);
	if (n >= 2 && word[0] == '"' && word[n - 1] == '"') {
		char *out = mm_alloc(a, n), *o = out;
		for (size_t i = 1; i + 1 < n; i++) {
			*o++ = word[i];
			if (word[i] == '"' && word[i + 1] == '"')
				i++;
		}
		*o = 0;
		return out;
	}
	char *out = mm_strdup(a, word);
	/* PostgreSQL's downcase_identifier folds ASCII only (multi-byte letters keep their case). */
	for (char *p = out; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	return out;
}
