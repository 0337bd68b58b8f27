/*
 * util.h — memory, strings and small containers shared by every stage.
 *
 * Ownership model: one mm_arena per compilation owns everything the pipeline builds (model,
 * changes, plan, SQL text). Nothing allocated from it is freed on its own; mm_arena_release()
 * frees it all, and runs the cleanups registered with mm_arena_defer() (how foreign trees such as
 * libpg_query's protobuf results are tied to the compilation). Allocation failure aborts
 * (git's xmalloc), so no caller checks for NULL.
 */
#ifndef MKMIG_UTIL_H
#define MKMIG_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define MM_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#define MM_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* Broken invariant: a programmer error, never a user error. */
#define MM_BUG(...) mm_bug(__FILE__, __LINE__, __VA_ARGS__)
_Noreturn void mm_bug(const char *file, int line, const char *fmt, ...) MM_PRINTF(3, 4);

void *mm_xmalloc(size_t n);
void *mm_xcalloc(size_t n, size_t size);
void *mm_xrealloc(void *p, size_t n);
char *mm_xstrdup(const char *s);

/* --- arena ------------------------------------------------------------------------------- */
struct mm_arena_chunk;
struct mm_arena_defer;
struct mm_arena {
	struct mm_arena_chunk *head;
	struct mm_arena_defer *defers;
};
void mm_arena_init(struct mm_arena *a);
void mm_arena_release(struct mm_arena *a);
void *mm_alloc(struct mm_arena *a, size_t n);  /* zeroed, 8-byte aligned (strings: unaligned) */
char *mm_strdup(struct mm_arena *a, const char *s);
char *mm_strndup(struct mm_arena *a, const char *s, size_t n);
char *mm_sprintf(struct mm_arena *a, const char *fmt, ...) MM_PRINTF(2, 3);
char *mm_vsprintf(struct mm_arena *a, const char *fmt, va_list ap) MM_PRINTF(2, 0);
/* Move everything src owns into dst (src is left empty): a worker thread fills an arena of
 * its own, and the compilation's arena takes it over after the join. */
void mm_arena_adopt(struct mm_arena *dst, struct mm_arena *src);
/* Run fn(p) when the arena is released (last registered runs first). */
void mm_arena_defer(struct mm_arena *a, void (*fn)(void *), void *p);

/* --- mm_buf: git's strbuf contract ---------------------------------------------------------
 * buf is never NULL and always NUL-terminated; len is authoritative; appends cannot fail;
 * mm_buf_detach() is the only way to take the heap string; mm_buf_release() returns to init. */
struct mm_buf {
	char *buf;
	size_t len;
	size_t alloc;
};
extern char mm_buf_empty[];
#define MM_BUF_INIT { mm_buf_empty, 0, 0 }
void mm_buf_init(struct mm_buf *b);
void mm_buf_release(struct mm_buf *b);
void mm_buf_reset(struct mm_buf *b);
void mm_buf_grow(struct mm_buf *b, size_t extra);
void mm_buf_add(struct mm_buf *b, const void *data, size_t n);
void mm_buf_adds(struct mm_buf *b, const char *s);
/* Inline: renderers and the shape keys add a character at a time. */
static inline void mm_buf_addch(struct mm_buf *b, char c)
{
	if (b->len + 2 > b->alloc)
		mm_buf_grow(b, 1);
	b->buf[b->len++] = c;
	b->buf[b->len] = '\0';
}
void mm_buf_addf(struct mm_buf *b, const char *fmt, ...) MM_PRINTF(2, 3);
void mm_buf_vaddf(struct mm_buf *b, const char *fmt, va_list ap) MM_PRINTF(2, 0);
char *mm_buf_detach(struct mm_buf *b, size_t *len);
/* Copy the contents into the arena (the buffer keeps its own). */
char *mm_buf_arena(struct mm_buf *b, struct mm_arena *a);

/* --- vec: a growable array of pointers, allocated in an arena ---------------------------- */
struct mm_vec {
	void **items;
	size_t len;
	size_t cap;
};
void mm_vec_push(struct mm_arena *a, struct mm_vec *v, void *item);
/* Remove the first occurrence of item, keeping the order of the rest; false when absent. */
bool mm_vec_remove(struct mm_vec *v, const void *item);
#define mm_vec_at(v, i) ((v)->items[(i)])

/* --- map: (k1, k2) string key -> the objects added under it, in order (arena) ---------------
 * For the model's name lookups (schema, name). Keys are copied; values are the caller's. */
struct mm_map_slot;
struct mm_map {
	struct mm_map_slot *slots;
	size_t cap, used;
};
/* The objects under the key (possibly empty after removals), or NULL when never added. */
struct mm_vec *mm_map_get(const struct mm_map *m, const char *k1, const char *k2);
void mm_map_add(struct mm_arena *a, struct mm_map *m, const char *k1, const char *k2, void *val);
/* Remove val from the key's objects (nothing when absent). */
void mm_map_remove(struct mm_map *m, const char *k1, const char *k2, const void *val);
/* Forget everything (the slots stay in the arena). */
void mm_map_clear(struct mm_map *m);

/* --- text helpers ------------------------------------------------------------------------- */
bool mm_streq(const char *a, const char *b);            /* NULL-safe */
bool mm_strcaseeq(const char *a, const char *b);        /* ASCII case-insensitive, NULL-safe */
/* Levenshtein distance for "did you mean" hints (capped: long names compare as far apart). */
size_t mm_edit_distance(const char *a, const char *b);
/* Length of the longest prefix of s (at most max bytes) that ends on a UTF-8 boundary. */
size_t mm_utf8_clip(const char *s, size_t max);
/* Offset of the first invalid UTF-8 sequence in s[0..n), or n when the text is valid. */
size_t mm_utf8_invalid_at(const char *s, size_t n);

/* --- files -------------------------------------------------------------------------------- */
/* Read a whole file (or stdin for "-") into a NUL-terminated heap string; -1 with errno set. */
int mm_read_file(const char *path, char **out, size_t *len, size_t max);
/* Write atomically: temp file in the same directory, fsync, rename; never replaces an existing
 * file unless overwrite is true. Returns 0, or -1 with errno set (EEXIST when it would overwrite). */
int mm_write_file_atomic(const char *path, const char *data, size_t len, bool overwrite);
int mm_mkdir_p(const char *path);
/* Write files into dir as one unit that survives SIGKILL (src/util/stage.c): rels[i] relative to
 * dir, new (refused when it exists) or replace[i]; new files must come before replaced ones.
 * Returns 0, or -1 with errno set and *failed = the index of the file at fault. */
int mm_stage_write(const char *dir, const char *const *rels, const char *const *texts, const size_t *lens,
                   const bool *replace, size_t n, size_t *failed);
/* Finish (or discard, when not yet committed) the stage of every mkmig run on dir that is no
 * longer alive; call before reading dir. -1 with errno set when a committed stage cannot be placed. */
int mm_stage_recover(const char *dir);

#endif
