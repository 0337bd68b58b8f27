/*
 * head.c — an option written into a statement's own text just after the keywords that open it:
 * CREATE UNLOGGED TABLE t … becomes CREATE UNLOGGED TABLE IF NOT EXISTS t ….
 *
 * The parse tree already says what the statement is; all that is missing is where its head ends
 * in the text. A head is keywords, white space and comments only (a keyword is never quoted), so
 * a scan of a few words finds it — where a deparse would rebuild the whole statement, re-parse it
 * to check it, and print it in another layout than the one the author reviewed.
 */
#include "mkmig/sql.h"

#include <string.h>
#include <strings.h>

/* Past white space and comments (-- to the end of the line; nested block comments). */
static const char *skip_space(const char *p)
{
	for (;;) {
		if (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r' || *p == '\f' || *p == '\v') {
			p++;
		} else if (p[0] == '-' && p[1] == '-') {
			p += strcspn(p, "\n");
		} else if (p[0] == '/' && p[1] == '*') {
			int depth = 0;
			do {
				if (p[0] == '/' && p[1] == '*')
					depth++, p += 2;
				else if (p[0] == '*' && p[1] == '/')
					depth--, p += 2;
				else if (*p)
					p++;
				else
					return p; /* unterminated: the caller sees no word */
			} while (depth > 0);
		} else {
			return p;
		}
	}
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
	const char *p = text;
	for (const char *const *w = head; *w; w++) {
		bool repeat = **w == '*';
		const char *alts = *w + repeat;
		for (;;) {
			const char *q = skip_space(p);
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
