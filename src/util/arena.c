/*
 * arena.c — the bump allocator that owns one compilation. Chunks grow geometrically; a request
 * larger than a chunk gets a chunk of its own. Nothing is freed before mm_arena_release().
 */
#include "mkmig/util.h"

#include <stdlib.h>
#include <string.h>

#define CHUNK_MIN ((size_t)64 << 10)
/* What the arena's records hold: pointers, 64-bit integers, doubles (protobuf-c messages
 * too). Nothing allocated here is a vector type or a long double. */
#define ALIGN ((size_t)8)
_Static_assert(_Alignof(void *) <= ALIGN && _Alignof(long long) <= ALIGN && _Alignof(double) <= ALIGN,
               "arena alignment");

struct mm_arena_chunk {
	struct mm_arena_chunk *next;
	size_t used, size;
	_Alignas(16) unsigned char data[];
};

struct mm_arena_defer {
	struct mm_arena_defer *next;
	void (*fn)(void *);
	void *p;
};

void mm_arena_init(struct mm_arena *a)
{
	a->head = NULL;
	a->defers = NULL;
}

void mm_arena_release(struct mm_arena *a)
{
	/* Deferred cleanups first: they may point into chunks (their records live there). */
	for (struct mm_arena_defer *d = a->defers; d; d = d->next)
		d->fn(d->p);
	struct mm_arena_chunk *c = a->head;
	while (c) {
		struct mm_arena_chunk *next = c->next;
		free(c);
		c = next;
	}
	mm_arena_init(a);
}

void mm_arena_adopt(struct mm_arena *dst, struct mm_arena *src)
{
	/* src's chunks go behind dst's current one, which stays the one allocations come from. */
	if (src->head) {
		struct mm_arena_chunk *tail = src->head;
		while (tail->next)
			tail = tail->next;
		if (dst->head) {
			tail->next = dst->head->next;
			dst->head->next = src->head;
		} else {
			dst->head = src->head;
		}
	}
	if (src->defers) {
		struct mm_arena_defer *tail = src->defers;
		while (tail->next)
			tail = tail->next;
		tail->next = dst->defers;
		dst->defers = src->defers;
	}
	mm_arena_init(src);
}

/* Bump n bytes at an `align` boundary: the position is rounded, not the size, so a string
 * (align 1) costs its length and the next record pads only what it needs. */
static void *bump(struct mm_arena *a, size_t n, size_t align)
{
	struct mm_arena_chunk *c = a->head;
	size_t at = c ? (c->used + align - 1) & ~(align - 1) : 0;
	if (!c || at > c->size || c->size - at < n) {
		size_t size = c ? c->size * 2 : CHUNK_MIN;
		if (size > ((size_t)8 << 20))
			size = (size_t)8 << 20;
		if (size < n)
			size = n;
		/* Zeroed here once (fresh mmap'd pages cost nothing to zero), not per allocation. */
		c = mm_xcalloc(1, sizeof(*c) + size);
		c->used = 0;
		c->size = size;
		c->next = a->head;
		a->head = c;
		at = 0;
	}
	c->used = at + n;
	return c->data + at;
}

void *mm_alloc(struct mm_arena *a, size_t n)
{
	return bump(a, n, ALIGN);
}

char *mm_strndup(struct mm_arena *a, const char *s, size_t n)
{
	char *p = bump(a, n + 1, 1);
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *mm_strdup(struct mm_arena *a, const char *s)
{
	return s ? mm_strndup(a, s, strlen(s)) : NULL;
}

char *mm_vsprintf(struct mm_arena *a, const char *fmt, va_list ap)
{
	/* Most results are short: format once into the stack, copy; twice only when longer. */
	char small[256];
	va_list cp;
	va_copy(cp, ap);
	int n = vsnprintf(small, sizeof(small), fmt, cp);
	va_end(cp);
	if (n < 0)
		MM_BUG("bad format \"%s\"", fmt);
	if ((size_t)n < sizeof(small))
		return mm_strndup(a, small, (size_t)n);
	char *p = bump(a, (size_t)n + 1, 1);
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	return p;
}

char *mm_sprintf(struct mm_arena *a, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *p = mm_vsprintf(a, fmt, ap);
	va_end(ap);
	return p;
}

void mm_arena_defer(struct mm_arena *a, void (*fn)(void *), void *p)
{
	struct mm_arena_defer *d = mm_alloc(a, sizeof(*d));
	d->fn = fn;
	d->p = p;
	d->next = a->defers;
	a->defers = d;
}

void mm_vec_push(struct mm_arena *a, struct mm_vec *v, void *item)
{
	if (v->len == v->cap) {
		/* Most vectors hold one or two items (a step's statements, its locks). */
		size_t cap = v->cap ? v->cap * 2 : 2;
		void **items = mm_alloc(a, cap * sizeof(*items));
		if (v->len)
			memcpy(items, v->items, v->len * sizeof(*items));
		v->items = items;
		v->cap = cap;
	}
	v->items[v->len++] = item;
}

bool mm_vec_remove(struct mm_vec *v, const void *item)
{
	for (size_t i = 0; i < v->len; i++)
		if (v->items[i] == item) {
			memmove(&v->items[i], &v->items[i + 1], (v->len - i - 1) * sizeof(void *));
			v->len--;
			return true;
		}
	return false;
}
