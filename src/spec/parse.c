/*
 * parse.c — drives the lemon parser over the lexer's tokens, one statement at a time, and hands
 * each complete statement to the lowering.
 *
 * Keywords are reserved only where the grammar can take them: before feeding a keyword the
 * driver asks a copy of the parser whether it fits; if not, and a plain word does, it is fed as a
 * word (so `rename users.name to full_name` works). The same probe lists, on a syntax error,
 * exactly the tokens that would have fitted.
 */
#include "spec_internal.h"
#include "spec_grammar.h"

#include <string.h>

static const struct {
	int token;
	enum mm_spec_verb verb;
} verb_tokens[] = {
	{ MM_SPEC_T_RENAME, MM_SV_RENAME }, { MM_SPEC_T_RENAME_TABLE, MM_SV_RENAME_TABLE },
	{ MM_SPEC_T_ADD_COLUMN, MM_SV_ADD_COLUMN }, { MM_SPEC_T_DROP_COLUMN, MM_SV_DROP_COLUMN },
	{ MM_SPEC_T_DROP_TABLE, MM_SV_DROP_TABLE }, { MM_SPEC_T_ADD_INDEX, MM_SV_ADD_INDEX },
	{ MM_SPEC_T_DROP_INDEX, MM_SV_DROP_INDEX }, { MM_SPEC_T_ADD_FK, MM_SV_ADD_FK },
	{ MM_SPEC_T_ADD_CHECK, MM_SV_ADD_CHECK }, { MM_SPEC_T_ADD_UNIQUE, MM_SV_ADD_UNIQUE },
	{ MM_SPEC_T_SET_NOT_NULL, MM_SV_SET_NOT_NULL }, { MM_SPEC_T_DROP_NOT_NULL, MM_SV_DROP_NOT_NULL },
	{ MM_SPEC_T_CHANGE_TYPE, MM_SV_CHANGE_TYPE }, { MM_SPEC_T_CONVERT, MM_SV_CONVERT },
	{ MM_SPEC_T_BACKFILL, MM_SV_BACKFILL },
};

static const char *const verb_names[] = {
	[MM_SV_RENAME] = "rename", [MM_SV_RENAME_TABLE] = "rename-table", [MM_SV_ADD_COLUMN] = "add-column",
	[MM_SV_DROP_COLUMN] = "drop-column", [MM_SV_DROP_TABLE] = "drop-table", [MM_SV_ADD_INDEX] = "add-index",
	[MM_SV_DROP_INDEX] = "drop-index", [MM_SV_ADD_FK] = "add-fk", [MM_SV_ADD_CHECK] = "add-check",
	[MM_SV_ADD_UNIQUE] = "add-unique", [MM_SV_SET_NOT_NULL] = "set-not-null", [MM_SV_DROP_NOT_NULL] = "drop-not-null",
	[MM_SV_CHANGE_TYPE] = "change-type", [MM_SV_CONVERT] = "convert", [MM_SV_BACKFILL] = "backfill",
};
_Static_assert(MM_ARRAY_LEN(verb_names) == MM_SV__COUNT, "every verb has a name");

const char *mm_spec_verb_name(size_t i)
{
	return i < MM_SV__COUNT ? verb_names[i] : NULL;
}

bool mm_spec_is_verb(const char *word)
{
	for (size_t i = 0; i < MM_SV__COUNT; i++)
		if (strcmp(verb_names[i], word) == 0)
			return true;
	return false;
}

static int verb_of(int token)
{
	for (size_t i = 0; i < MM_ARRAY_LEN(verb_tokens); i++)
		if (verb_tokens[i].token == token)
			return (int)verb_tokens[i].verb;
	return -1;
}

void mm_spec_set_opt(struct mm_spec_pstate *S, enum mm_spec_opt o, struct mm_spec_tok kw)
{
	int bit = __builtin_ctz((unsigned)o);
	S->cur.opts |= (unsigned)o;
	S->cur.opt_tok[bit] = kw;
}

void mm_spec_push_tok(struct mm_spec_pstate *S, struct mm_vec *v, struct mm_spec_tok t)
{
	if (S->probing)
		return;
	struct mm_spec_tok *c = mm_alloc(S->arena, sizeof(*c));
	*c = t;
	mm_vec_push(S->arena, v, c);
}

struct driver {
	struct mm_ctx *ctx;
	struct mm_source *src;
	void *parser, *probe;
	struct mm_spec_pstate S;
};

/* Would the parser take a token of this type now? */
static bool fits(struct driver *d, int type, struct mm_spec_tok tok)
{
	mm_spec_parser_copy(d->probe, d->parser);
	struct mm_spec_pstate scratch = d->S;
	scratch.probing = true;
	scratch.error = false;
	tok.type = type;
	mm_spec_parser(d->probe, type, tok, &scratch);
	return !scratch.error;
}

static const char *describe_type(struct mm_arena *a, int type)
{
	switch (type) {
	case MM_SPEC_T_WORD:
		return "a name";
	case MM_SPEC_T_STRING:
		return "a 'string'";
	case MM_SPEC_T_NUMBER:
		return "a number";
	case MM_SPEC_T_SEMI:
		return "the end of the statement";
	case MM_SPEC_T_DOT:
		return "'.'";
	case MM_SPEC_T_COMMA:
		return "','";
	default:
		break;
	}
	const char *w = mm_spec_keyword_word(type);
	return mm_sprintf(a, "'%s'", w ? w : "?");
}

static const char *describe_found(struct mm_arena *a, const struct mm_spec_tok *t, bool synthetic_end)
{
	if (t->type == 0 || synthetic_end)
		return "the end of the input";
	if (t->type == MM_SPEC_T_SEMI)
		return "';'";
	if (t->type == MM_SPEC_T_STRING)
		return mm_sprintf(a, "the string '%s'", t->val);
	return mm_sprintf(a, "'%s'", t->val);
}

static int syntax_error(struct driver *d, const struct mm_spec_tok *t, bool synthetic_end)
{
	struct mm_arena *a = &d->ctx->arena;
	struct mm_buf b = MM_BUF_INIT;
	size_t n = 0;
	int ntok = mm_spec_token_count();
	for (int type = 1; type < ntok; type++) {
		/* Verbs start statements; backfill is also an option of add-column. */
		if ((verb_of(type) >= 0 && type != MM_SPEC_T_BACKFILL) || !fits(d, type, *t))
			continue;
		mm_buf_addf(&b, "%s%s", n ? ", " : "", describe_type(a, type));
		n++;
	}
	const char *verb = verb_names[d->S.cur.verb];
	const char *expected = n ? mm_buf_arena(&b, a) : "nothing more";
	mm_buf_release(&b);
	return mm_error_hint(d->ctx, d->src, t->off, t->len ? t->len : 1,
	                     mm_sprintf(a, "see 'mkmig %s --help' for the statement's form", verb),
	                     "%s: expected %s%s, found %s", verb, n > 1 ? "one of " : "", expected,
	                     describe_found(a, t, synthetic_end));
}

static int unknown_verb(struct driver *d, const struct mm_spec_tok *t)
{
	struct mm_arena *a = &d->ctx->arena;
	if (t->type != MM_SPEC_T_WORD)
		return mm_error_hint(d->ctx, d->src, t->off, t->len ? t->len : 1, "a statement starts with a verb such as "
		                                                                  "rename, add-column or convert",
		                     "expected a statement, found %s", describe_found(a, t, false));
	const char *best = NULL;
	size_t bd = 4;
	for (size_t i = 0; i < MM_SV__COUNT; i++) {
		size_t dist = mm_edit_distance(t->val, verb_names[i]);
		if (dist < bd)
			bd = dist, best = verb_names[i];
	}
	return mm_error_hint(d->ctx, d->src, t->off, t->len,
	                     best ? mm_sprintf(a, "did you mean '%s'?", best) : "see 'mkmig --help' for the statements",
	                     "unknown statement '%s'", t->val);
}

int mm_spec_parse(struct mm_ctx *ctx, struct mm_spec *spec, struct mm_source *src, struct mm_change_list *out)
{
	struct mm_spec_tok *toks;
	long n = mm_spec_lex(ctx, src, &toks);
	if (n < 0)
		return -1;
	struct driver d = { .ctx = ctx, .src = src };
	d.parser = mm_alloc(&ctx->arena, mm_spec_parser_size());
	d.probe = mm_alloc(&ctx->arena, mm_spec_parser_size());
	mm_spec_parser_init(d.parser);
	d.S.arena = &ctx->arena;
	bool in_stmt = false;
	size_t prev_end = 0;
	int rc = 0;
	for (long i = 0; i < n; i++) {
		struct mm_spec_tok t = toks[i];
		bool synthetic = false;
		if (t.type == 0 && in_stmt) {
			/* The last statement may omit its ';' (always so on the command line). */
			t.type = MM_SPEC_T_SEMI;
			t.len = 0;
			synthetic = true;
			i--;
		}
		if (!in_stmt && t.type != MM_SPEC_T_SEMI && t.type != 0) {
			int v = verb_of(t.type);
			if (v < 0)
				return unknown_verb(&d, &t);
			memset(&d.S.cur, 0, sizeof(d.S.cur));
			d.S.cur.verb = (enum mm_spec_verb)v;
			d.S.cur.verb_tok = t;
			d.S.cur.off = t.off;
			in_stmt = true;
		}
		int type = t.type;
		if (type == MM_SPEC_T_SEMI && in_stmt)
			d.S.cur.len = prev_end - d.S.cur.off;
		/* A keyword (or a verb word inside a statement) that does not fit here is a name. */
		if (type > MM_SPEC_T_SEMI && d.S.cur.off != t.off && !fits(&d, type, t) && fits(&d, MM_SPEC_T_WORD, t))
			type = MM_SPEC_T_WORD;
		if (type != 0 && !fits(&d, type, t))
			return syntax_error(&d, &t, synthetic);
		t.type = type;
		mm_spec_parser(d.parser, type, t, &d.S);
		if (d.S.error)
			return syntax_error(&d, &t, synthetic);
		if (type == 0)
			break;
		if (type == MM_SPEC_T_SEMI && in_stmt) {
			in_stmt = false;
			if (mm_spec_lower(ctx, spec, src, &d.S.cur, out) != 0)
				rc = -1;
		}
		if (!synthetic)
			prev_end = t.off + t.len;
	}
	return rc;
}
