/*
 * map.c — a hash map from a two-part string key (schema, name) to the objects stored under it,
 * in insertion order. Open addressing with linear probing over xxh3 hashes; slots and key copies
 * live in the caller's arena (a table that doubles leaves its old slots there: at most twice the
 * final size in total). Keys are never deleted: a key whose objects are all removed keeps its
 * slot with an empty list, so probing never needs tombstones.
 */
#include "mkmig/util.h"

#include <string.h>
#include <xxhash.h>

struct mm_map_slot {
	uint64_t hash;
	const char *k1, *k2;   /* k1 NULL: free slot */
	struct mm_vec vals;
};

static uint64_t key_hash(const char *k1, const char *k2)
{
	uint64_t h = XXH3_64bits(k1, strlen(k1));
	return XXH3_64bits_withSeed(k2, strlen(k2), h);
}

static struct mm_map_slot *probe(const struct mm_map *m, uint64_t h, const char *k1, const char *k2)
{
	size_t mask = m->cap - 1;
	for (size_t i = (size_t)h & mask;; i = (i + 1) & mask) {
		struct mm_map_slot *s = &m->slots[i];
		if (!s->k1 || (s->hash == h && strcmp(s->k1, k1) == 0 && strcmp(s->k2, k2) == 0))
			return s;
	}
}

struct mm_vec *mm_map_get(const struct mm_map *m, const char *k1, const char *k2)
{
	if (!m->cap || !k1 || !k2)
		return NULL;
	struct mm_map_slot *s = probe(m, key_hash(k1, k2), k1, k2);
	return s->k1 ? &s->vals : NULL;
}

static void grow(struct mm_arena *a, struct mm_map *m)
{
	struct mm_map_slot *old = m->slots;
	size_t old_cap = m->cap;
	m->cap = old_cap ? old_cap * 2 : 64;
	m->slots = mm_alloc(a, m->cap * sizeof(*m->slots));
	for (size_t i = 0; i < old_cap; i++)
		if (old[i].k1)
			*probe(m, old[i].hash, old[i].k1, old[i].k2) = old[i];
}

void mm_map_add(struct mm_arena *a, struct mm_map *m, const char *k1, const char *k2, void *val)
{
	if (!k1 || !k2)
		return;
	if ((m->used + 1) * 4 > m->cap * 3)
		grow(a, m);
	uint64_t h = key_hash(k1, k2);
	struct mm_map_slot *s = probe(m, h, k1, k2);
	if (!s->k1) {
		s->hash = h;
		s->k1 = mm_strdup(a, k1);
		s->k2 = mm_strdup(a, k2);
		m->used++;
	}
	mm_vec_push(a, &s->vals, val);
}

void mm_map_remove(struct mm_map *m, const char *k1, const char *k2, const void *val)
{
	struct mm_vec *v = mm_map_get(m, k1, k2);
	if (v)
		mm_vec_remove(v, val);
}

void mm_map_clear(struct mm_map *m)
{
	m->slots = NULL;
	m->cap = m->used = 0;
}
