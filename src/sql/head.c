/*
 * head.c — an option written into a statement's own text just after the keywords that open it:
 * CREATE UNLOGGED TABLE t … becomes CREATE UNLOGGED TABLE IF NOT EXISTS t ….
 *
 * The parse tree already says what the statement is; all that is missing is where its head ends
 * in the text. A head is keywords, white space and comments only (a keyword is never quoted), so
 * a scan of a few words finds it — where a deparse would rebuild the whole statement, re-parse it
 * to check it, and print it in another layout than the one the author reviewed.
 */
#include "sql_internal.h"

#include <string.h>
#include <strings.h>

/* Past white space and comments (-- to the end of the line; nested block comments) in
 * t[off, end): where a statement's head starts, or the next word of it. An unterminated comment
 * runs to end. */
size_t mm_sql_skip_blank(const char *t, size_t off, size_t end)
{
	while (off < end) {
		char c = t[off];
		if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v') {
			off++;
		} else if (c == '-' && off + 1 < end && t[off + 1] == '-') {
			while (off < end && t[off] != '\n')
				off++;
		} else if (c == '/' && off + 1 < end && t[off + 1] == '*') {
			int depth = 0;
			do {
				if (t[off] == '/' && off + 1 < end && t[off + 1] == '*') {
					depth++;
					off += 2;
				} else if (t[off] == '*' && off + 1 < end && t[off + 1] == '/') {
					depth--;
					off += 2;
				} else
					off++;
			} while (depth > 0 && off < end);
		} else
			break;
	}
	return off;
}

static size_t word_len(const char *p)
{
	size_t n = 0;
	while ((p[n] >= 'a' && p[n] <= 'z') || (p[n] >= 'A' && p[n] <= 'Z'))
		n++;
	/* "table1" or "table_x" is an identifier, not the keyword */
	return (p[n] >= '0' && p[n] <= '9') || p[n] == '_' || p[n] == '$' || (unsigned char)p[n] >= 0x80 ? 0 : n;
}

/* Is the word p[0..n) one of the '|'-separated alternatives? */
static bool one_of(const char *p, size_t n, const char *alts)
{
	for (const char *a = alts; *a;) {
		size_t k = strcspn(a, "|");
		if (k == n && strncasecmp(p, a, n) == 0)
			return true;
		a += k + (a[k] == '|');
	}
	return false;
}

char *mm_sql_insert_after_head(struct mm_arena *a, const char *text, const char *const *head, const char *insert)
{
	size_t len = strlen(text);
	const char *p = text;
	for (const char *const *w = head; *w; w++) {
		bool repeat = **w == '*';
		const char *alts = *w + repeat;
		for (;;) {
			const char *q = text + mm_sql_skip_blank(text, (size_t)(p - text), len);
			size_t n = word_len(q);
			if (n && one_of(q, n, alts)) {
				p = q + n;
				if (repeat)
					continue;
				break;
			}
			if (!repeat)
				return NULL;
			break;
		}
	}
	return mm_sprintf(a, "%.*s%s%s", (int)(p - text), text, insert, p);
}
