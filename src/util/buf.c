/*
 * buf.c — mm_buf, a growable string with git's strbuf contract (see util.h).
 */
#include "mkmig/util.h"

#include <stdlib.h>
#include <string.h>

char mm_buf_empty[1];

void mm_buf_init(struct mm_buf *b)
{
	b->buf = mm_buf_empty;
	b->len = b->alloc = 0;
}

void mm_buf_release(struct mm_buf *b)
{
	if (b->alloc)
		free(b->buf);
	mm_buf_init(b);
}

void mm_buf_reset(struct mm_buf *b)
{
	b->len = 0;
	if (b->alloc)
		b->buf[0] = '\0';
}

void mm_buf_grow(struct mm_buf *b, size_t extra)
{
	size_t need = b->len + extra + 1;
	if (need <= b->alloc)
		return;
	size_t alloc = b->alloc ? b->alloc : 64;
	while (alloc < need)
		alloc = alloc * 3 / 2 + 16;
	if (b->alloc) {
		b->buf = mm_xrealloc(b->buf, alloc);
	} else {
		b->buf = mm_xmalloc(alloc);
		b->buf[0] = '\0';
	}
	b->alloc = alloc;
}

void mm_buf_add(struct mm_buf *b, const void *data, size_t n)
{
	if (!n)
		return;
	mm_buf_grow(b, n);
	memcpy(b->buf + b->len, data, n);
	b->len += n;
	b->buf[b->len] = '\0';
}

void mm_buf_adds(struct mm_buf *b, const char *s)
{
	mm_buf_add(b, s, strlen(s));
}

void mm_buf_vaddf(struct mm_buf *b, const char *fmt, va_list ap)
{
	/* One formatting pass when the text fits the room left (the common case: emitting SQL
	 * grows one buffer by small pieces); a second one only after growing. */
	if (!b->alloc)
		mm_buf_grow(b, 64);
	size_t room = b->alloc - b->len;
	va_list cp;
	va_copy(cp, ap);
	int n = vsnprintf(b->buf + b->len, room, fmt, cp);
	va_end(cp);
	if (n < 0)
		MM_BUG("bad format \"%s\"", fmt);
	if ((size_t)n >= room) {
		b->buf[b->len] = '\0';
		mm_buf_grow(b, (size_t)n);
		vsnprintf(b->buf + b->len, (size_t)n + 1, fmt, ap);
	}
	b->len += (size_t)n;
}

void mm_buf_addf(struct mm_buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	mm_buf_vaddf(b, fmt, ap);
	va_end(ap);
}

char *mm_buf_detach(struct mm_buf *b, size_t *len)
{
	char *s = b->alloc ? b->buf : mm_xstrdup("");
	if (len)
		*len = b->len;
	mm_buf_init(b);
	return s;
}

char *mm_buf_arena(struct mm_buf *b, struct mm_arena *a)
{
	return mm_strndup(a, b->buf, b->len);
}
