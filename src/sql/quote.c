/*
 * quote.c — identifier and literal quoting, exactly as PostgreSQL's quote_ident() and
 * quote_literal() do (src/backend/utils/adt/ruleutils.c quote_identifier, quote.c), so what
 * mkmig emits reads like what a careful person writes and never changes a name's meaning.
 */
#include "mkmig/sql.h"

#include <string.h>

bool mm_sql_ident_needs_quotes(const char *name)
{
	/* quote_identifier: safe iff it starts with [a-z_], continues with [a-z0-9_$], and is not a
	 * keyword other than an unreserved one. */
	if (!name[0] || !((name[0] >= 'a' && name[0] <= 'z') || name[0] == '_'))
		return true;
	for (const char *p = name; *p; p++) {
		char c = *p;
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '$'))
			return true;
	}
	enum mm_keyword_kind k = mm_sql_keyword_kind(name);
	return k != MM_KW_NONE && k != MM_KW_UNRESERVED;
}

void mm_buf_add_ident(struct mm_buf *b, const char *name)
{
	if (!mm_sql_ident_needs_quotes(name)) {
		mm_buf_adds(b, name);
		return;
	}
	mm_buf_addch(b, '"');
	for (const char *p = name; *p; p++) {
		if (*p == '"')
			mm_buf_addch(b, '"');
		mm_buf_addch(b, *p);
	}
	mm_buf_addch(b, '"');
}

void mm_buf_add_literal(struct mm_buf *b, const char *text)
{
	if (strchr(text, '\\'))
		mm_buf_addch(b, 'E');
	mm_buf_addch(b, '\'');
	for (const char *p = text; *p; p++) {
		if (*p == '\'' || *p == '\\')
			mm_buf_addch(b, *p);
		mm_buf_addch(b, *p);
	}
	mm_buf_addch(b, '\'');
}

char *mm_sql_ident(struct mm_arena *a, const char *name)
{
	if (!mm_sql_ident_needs_quotes(name))
		return mm_strdup(a, name);
	struct mm_buf b = MM_BUF_INIT;
	mm_buf_add_ident(&b, name);
	char *s = mm_buf_arena(&b, a);
	mm_buf_release(&b);
	return s;
}

char *mm_sql_qname(struct mm_arena *a, const char *schema, const char *name)
{
	/* Most names need no quotes: one copy into the arena, no buffer. */
	if ((!schema || !mm_sql_ident_needs_quotes(schema)) && !mm_sql_ident_needs_quotes(name)) {
		size_t sl = schema ? strlen(schema) : 0, nl = strlen(name);
		char *s = mm_alloc(a, sl + 1 + nl + 1), *p = s;
		if (schema) {
			memcpy(p, schema, sl);
			p[sl] = '.';
			p += sl + 1;
		}
		memcpy(p, name, nl + 1);
		return s;
	}
	struct mm_buf b = MM_BUF_INIT;
	if (schema) {
		mm_buf_add_ident(&b, schema);
		mm_buf_addch(&b, '.');
	}
	mm_buf_add_ident(&b, name);
	char *s = mm_buf_arena(&b, a);
	mm_buf_release(&b);
	return s;
}

char *mm_sql_literal(struct mm_arena *a, const char *text)
{
	struct mm_buf b = MM_BUF_INIT;
	mm_buf_add_literal(&b, text);
	char *s = mm_buf_arena(&b, a);
	mm_buf_release(&b);
	return s;
}
