/*
 * xalloc.c — allocation that cannot fail: out of memory aborts with a message (git's xmalloc),
 * so no caller anywhere checks for NULL.
 */
#include "mkmig/util.h"

#include <stdlib.h>
#include <string.h>

static _Noreturn void oom(size_t n)
{
	fprintf(stderr, "mkmig: fatal: out of memory (allocating %zu bytes)\n", n);
	abort();
}

void *mm_xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		oom(n);
	return p;
}

void *mm_xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);
	if (!p)
		oom(n * size);
	return p;
}

void *mm_xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);
	if (!q)
		oom(n);
	return q;
}

char *mm_xstrdup(const char *s)
{
	size_t n = strlen(s) + 1;
	return memcpy(mm_xmalloc(n), s, n);
}

void mm_bug(const char *file, int line, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "mkmig: BUG at %s:%d: ", file, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}
