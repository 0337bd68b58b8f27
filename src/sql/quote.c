/*
 * quote.c — identifier and literal quoting, exactly as PostgreSQL's quote_ident() and
 * quote_literal() do (src/backend/utils/adt/ruleutils.c quote_identifier, quote.c), so what
 * mkmig emits reads like what a careful person writes and never changes a name's meaning.
 */
#include "mkmig/sql.h"

#include <stdint.h>
#include <string.h>

bool mm_sql_ident_needs_quotes(const char *name)
{
	/* quote_identifier: safe iff it starts with [a-z_], continues with [a-z0-9_] (not '$', which
	 * the grammar accepts unquoted but quote_identifier quotes), and is not a keyword other than
	 * an unreserved one. */
	if (!name[0] || !((name[0] >= 'a' && name[0] <= 'z') || name[0] == '_'))
		return true;
	for (const char *p = name; *p; p++) {
		char c = *p;
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'))
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

/* --- keywords ----------------------------------------------------------------------------- */

/* PostgreSQL's own keyword table and its perfect-hash lookup (src/common/kwlookup.c), which
 * libpg_query exports: quote_identifier() asks exactly this. pg_query.h does not declare them,
 * so the shape of src/include/common/kwlookup.h is repeated here; a scan per identifier (a
 * protobuf round trip) cost a tenth of `mkmig check`. tests/unit checks it against the scanner. */
struct ScanKeywordList {
	const char *kw_string;
	const uint16_t *kw_offsets;
	int (*hash)(const void *key, size_t keylen);
	int num_keywords;
	int max_kw_len;
};
extern const struct ScanKeywordList ScanKeywords;
extern const uint8_t ScanKeywordCategories[];
int ScanKeywordLookup(const char *str, const struct ScanKeywordList *keywords);

enum mm_keyword_kind mm_sql_keyword_kind(const char *word)
{
	/* ScanKeywordCategories holds UNRESERVED_KEYWORD .. RESERVED_KEYWORD (src/include/common/keywords.h). */
	static const enum mm_keyword_kind map[] = { MM_KW_UNRESERVED, MM_KW_COL_NAME, MM_KW_TYPE_FUNC, MM_KW_RESERVED };
	/* Keywords are ASCII letters and underscores, at most 17 of them ("current_timestamp"). */
	size_t len = 0;
	for (const char *p = word; *p; p++, len++)
		if (len > 24 || !((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || *p == '_'))
			return MM_KW_NONE;
	if (!len)
		return MM_KW_NONE;
	int i = ScanKeywordLookup(word, &ScanKeywords);
	if (i < 0 || ScanKeywordCategories[i] >= MM_ARRAY_LEN(map))
		return MM_KW_NONE;
	return map[ScanKeywordCategories[i]];
}
