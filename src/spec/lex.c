/*
 * lex.c — the change-spec lexer: words (with a call's or a type's parentheses attached:
 * `numeric(12,2)`, `now()`), "quoted" names, 'strings' (quotes doubled inside), numbers, '.', ','
 * and ';'. Comments run from '#' or '--' to the end of the line. Verbs contain dashes
 * (add-column); a name never does.
 */
#include "spec_internal.h"
#include "spec_grammar.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

static const struct {
	const char *word;
	int type;
} keywords[] = {
	{ "to", MM_SPEC_T_TO }, { "using", MM_SPEC_T_USING }, { "back", MM_SPEC_T_BACK }, { "not", MM_SPEC_T_NOT },
	{ "null", MM_SPEC_T_NULL }, { "default", MM_SPEC_T_DEFAULT }, { "where", MM_SPEC_T_WHERE },
	{ "name", MM_SPEC_T_NAME }, { "unique", MM_SPEC_T_UNIQUE }, { "references", MM_SPEC_T_REFERENCES },
	{ "on", MM_SPEC_T_ON }, { "delete", MM_SPEC_T_DELETE }, { "update", MM_SPEC_T_UPDATE },
	{ "batch-size", MM_SPEC_T_BATCH_SIZE }, { "lock-timeout", MM_SPEC_T_LOCK_TIMEOUT },
	{ "rename", MM_SPEC_T_RENAME }, { "rename-table", MM_SPEC_T_RENAME_TABLE },
	{ "add-column", MM_SPEC_T_ADD_COLUMN }, { "drop-column", MM_SPEC_T_DROP_COLUMN },
	{ "drop-table", MM_SPEC_T_DROP_TABLE }, { "add-index", MM_SPEC_T_ADD_INDEX },
	{ "drop-index", MM_SPEC_T_DROP_INDEX }, { "add-fk", MM_SPEC_T_ADD_FK }, { "add-check", MM_SPEC_T_ADD_CHECK },
	{ "add-unique", MM_SPEC_T_ADD_UNIQUE }, { "set-not-null", MM_SPEC_T_SET_NOT_NULL },
	{ "drop-not-null", MM_SPEC_T_DROP_NOT_NULL }, { "change-type", MM_SPEC_T_CHANGE_TYPE },
	{ "convert", MM_SPEC_T_CONVERT }, { "backfill", MM_SPEC_T_BACKFILL },
};

int mm_spec_keyword(const char *word, size_t len)
{
	for (size_t i = 0; i < MM_ARRAY_LEN(keywords); i++)
		if (strlen(keywords[i].word) == len && strncasecmp(keywords[i].word, word, len) == 0)
			return keywords[i].type;
	return 0;
}

const char *mm_spec_keyword_word(int type)
{
	for (size_t i = 0; i < MM_ARRAY_LEN(keywords); i++)
		if (keywords[i].type == type)
			return keywords[i].word;
	return NULL;
}

static bool word_start(char c)
{
	return isalpha((unsigned char)c) || c == '_' || (unsigned char)c >= 0x80;
}

static bool word_char(char c)
{
	return word_start(c) || isdigit((unsigned char)c) || c == '$';
}

/* End of a quoted run starting at p (the opening quote q); NULL when unterminated. Doubled
 * quotes are part of the run. */
static const char *quoted_end(const char *p, const char *end, char q)
{
	for (p++; p < end; p++)
		if (*p == q) {
			if (p + 1 < end && p[1] == q)
				p++;
			else
				return p + 1;
		}
	return NULL;
}

static char *unquote(struct mm_arena *a, const char *p, size_t len, char q)
{
	char *out = mm_alloc(a, len + 1), *o = out;
	for (size_t i = 1; i + 1 < len; i++) {
		*o++ = p[i];
		if (p[i] == q && p[i + 1] == q)
			i++;
	}
	*o = '\0';
	return out;
}

/* Balanced parentheses (and brackets) right after a word, skipping quoted runs inside. */
static const char *attached_parens(const char *p, const char *end)
{
	int depth = 0;
	const char *q = p;
	while (q < end) {
		if (*q == '(' || *q == '[')
			depth++;
		else if (*q == ')' || *q == ']') {
			if (--depth == 0) {
				q++;
				if (q < end && (*q == '(' || *q == '['))
					continue;
				return q;
			}
		} else if (*q == '\'' || *q == '"') {
			const char *e = quoted_end(q, end, *q);
			if (!e)
				return NULL;
			q = e;
			continue;
		} else if (depth == 0)
			return q;
		q++;
	}
	return NULL;
}

long mm_spec_lex(struct mm_ctx *ctx, struct mm_source *src, struct mm_spec_tok **out)
{
	struct mm_arena *a = &ctx->arena;
	struct mm_vec toks = { 0 };
	const char *text = src->text, *end = src->text + src->len;
	const char *p = text;
	while (p < end) {
		if (isspace((unsigned char)*p)) {
			p++;
			continue;
		}
		if (*p == '#' || (*p == '-' && p + 1 < end && p[1] == '-')) {
			while (p < end && *p != '\n')
				p++;
			continue;
		}
		struct mm_spec_tok *t = mm_alloc(a, sizeof(*t));
		t->off = (size_t)(p - text);
		const char *q = p;
		if (*p == ';' || *p == ',' || *p == '.') {
			t->type = *p == ';' ? MM_SPEC_T_SEMI : *p == ',' ? MM_SPEC_T_COMMA : MM_SPEC_T_DOT;
			q = p + 1;
		} else if (*p == '\'' || *p == '"') {
			q = quoted_end(p, end, *p);
			if (!q)
				return mm_error_hint(ctx, src, t->off, 1, *p == '\'' ? "close it with ' (write '' for a quote inside)"
				                                                      : "close it with \"",
				                     "unterminated %s", *p == '\'' ? "string" : "quoted name");
			t->type = *p == '\'' ? MM_SPEC_T_STRING : MM_SPEC_T_WORD;
			t->quoted = true;
			t->val = unquote(a, p, (size_t)(q - p), *p);
		} else if (isdigit((unsigned char)*p) || (*p == '-' && p + 1 < end && isdigit((unsigned char)p[1]))) {
			for (q = p + 1; q < end && (isdigit((unsigned char)*q) || *q == '.');)
				q++;
			t->type = MM_SPEC_T_NUMBER;
		} else if (word_start(*p)) {
			while (q < end && (word_char(*q) || (*q == '-' && q + 1 < end && word_char(q[1]) && q[1] != '$')))
				q++;
			int kw = mm_spec_keyword(p, (size_t)(q - p));
			if (!kw && q < end && (*q == '(' || *q == '[')) {
				const char *e = attached_parens(q, end);
				if (!e)
					return mm_error_hint(ctx, src, (size_t)(q - text), 1, "close every ( with a )",
					                     "unbalanced parenthesis");
				q = e;
			}
			t->type = kw ? kw : MM_SPEC_T_WORD;
		} else {
			return mm_error_hint(ctx, src, t->off, 1, "quote SQL text such as expressions: 'price * 100'",
			                     "unexpected character '%c'", *p);
		}
		t->len = (size_t)(q - p);
		if (!t->val)
			t->val = mm_strndup(a, p, t->len);
		mm_vec_push(a, &toks, t);
		p = q;
	}
	struct mm_spec_tok *eof = mm_alloc(a, sizeof(*eof));
	eof->off = src->len;
	eof->val = "";
	mm_vec_push(a, &toks, eof);
	struct mm_spec_tok *arr = mm_alloc(a, toks.len * sizeof(*arr));
	for (size_t i = 0; i < toks.len; i++)
		arr[i] = *(struct mm_spec_tok *)toks.items[i];
	*out = arr;
	return (long)toks.len;
}
