/*
 * rewrite.c — identifier rewriting on token streams: rename a column in an index or constraint
 * definition, or qualify an expression's columns with NEW. / t. for a trigger or a backfill.
 * Done on tokens rather than on trees because libpg_query owns (and frees) its trees, and a
 * definition text is exactly what we re-emit anyway.
 */
#include "mkmig/sql.h"

#include <string.h>

/* Keywords after which an identifier names a relation or a constraint, not a column. */
static bool names_object(const struct mm_token *prev)
{
	static const char *const kws[] = { "on", "table", "index", "references", "constraint", "exists", "only" };
	if (!prev || !prev->keyword)
		return false;
	for (size_t i = 0; i < MM_ARRAY_LEN(kws); i++)
		if (strcmp(prev->keyword, kws[i]) == 0)
			return true;
	return false;
}

static char *unquote(struct mm_arena *a, const char *text, const struct mm_token *t)
{
	if (!t->quoted) {
		char *s = mm_strndup(a, text + t->start, t->end - t->start);
		for (char *p = s; *p; p++)
			if (*p >= 'A' && *p <= 'Z')
				*p = (char)(*p - 'A' + 'a');
		return s;
	}
	struct mm_buf b = MM_BUF_INIT;
	for (size_t i = t->start + 1; i + 1 < t->end; i++) {
		mm_buf_addch(&b, text[i]);
		if (text[i] == '"')
			i++;
	}
	char *s = mm_buf_arena(&b, a);
	mm_buf_release(&b);
	return s;
}

char *mm_sql_rewrite_idents(struct mm_ctx *ctx, const char *text, const char *stop_keyword, mm_ident_fn fn, void *arg)
{
	struct mm_token *t;
	long n = mm_sql_scan(ctx, text, &t);
	if (n < 0)
		return NULL;
	struct mm_buf b = MM_BUF_INIT;
	size_t copied = 0;
	for (long i = 0; i < n; i++) {
		if (stop_keyword && t[i].keyword && strcmp(t[i].keyword, stop_keyword) == 0)
			break;
		if (!t[i].ident)
			continue;
		const struct mm_token *prev = i > 0 ? &t[i - 1] : NULL;
		const struct mm_token *next = i + 1 < n ? &t[i + 1] : NULL;
		if (prev && prev->ch == '.')
			continue;
		if (prev && prev->end == prev->start + 2 && text[prev->start] == ':' && text[prev->start + 1] == ':')
			continue;
		if (names_object(prev))
			continue;
		if (next && (next->ch == '.' || next->ch == '('))
			continue;
		const char *rep = fn(unquote(&ctx->arena, text, &t[i]), arg);
		if (!rep)
			continue;
		mm_buf_add(&b, text + copied, t[i].start - copied);
		mm_buf_adds(&b, rep);
		copied = t[i].end;
	}
	mm_buf_adds(&b, text + copied);
	char *s = mm_buf_arena(&b, &ctx->arena);
	mm_buf_release(&b);
	return s;
}
