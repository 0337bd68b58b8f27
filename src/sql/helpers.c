/*
 * helpers.c — mkmig's own output read back as the statements it runs. A transactional step
 * whose lock blocks traffic is emitted as CALL pg_temp.mkmig_retry($tag$ ... $tag$[, block =>
 * true]) (src/emit/sqltext.c): the DDL is a string argument, invisible to a reader of the parse
 * tree. Here the file is parsed a second time through a "view" of it: the same bytes and lines,
 * with each call's wrapper blanked to spaces, so the string's statements (dollar-quoted, hence
 * byte for byte what the file holds) parse in place and keep the file's positions.
 *
 * A block body is PL/pgSQL: the guards mkmig writes around a statement to make it re-runnable.
 * The view keeps what a first run executes: the THEN branch of each IF (the guard's "not done
 * yet" path), not ELSE/ELSIF branches (the re-run path), and not a branch whose condition tests
 * pg_index.indisvalid (the cleanup of an INVALID leftover, which runs only after an interrupted
 * build). PL/pgSQL's own statements (RAISE, PERFORM, assignments, ...) are blanked too.
 */
#include "mkmig/sql.h"

#include <string.h>
#include <strings.h>

#define MAX_NESTING 32

static bool name_is(PgQuery__Node **items, size_t n, const char *schema, const char *name)
{
	return n == 2 && items[0]->node_case == PG_QUERY__NODE__NODE_STRING &&
	       items[1]->node_case == PG_QUERY__NODE__NODE_STRING && strcmp(items[0]->string->sval, schema) == 0 &&
	       strcmp(items[1]->string->sval, name) == 0;
}

/* The helper's FuncCall in a statement (CALL from 11, SELECT before), or NULL. */
static const PgQuery__FuncCall *helper_call(const PgQuery__Node *n)
{
	const PgQuery__FuncCall *fc = NULL;
	if (n->node_case == PG_QUERY__NODE__NODE_CALL_STMT)
		fc = n->call_stmt->funccall;
	else if (n->node_case == PG_QUERY__NODE__NODE_SELECT_STMT && n->select_stmt->n_target_list == 1 &&
	         !n->select_stmt->n_from_clause && n->select_stmt->target_list[0]->node_case == PG_QUERY__NODE__NODE_RES_TARGET) {
		const PgQuery__Node *v = n->select_stmt->target_list[0]->res_target->val;
		if (v && v->node_case == PG_QUERY__NODE__NODE_FUNC_CALL)
			fc = v->func_call;
	}
	if (!fc || !name_is(fc->funcname, fc->n_funcname, "pg_temp", "mkmig_retry") || fc->n_args < 1 ||
	    fc->n_args > 2 || fc->args[0]->node_case != PG_QUERY__NODE__NODE_A_CONST ||
	    fc->args[0]->a_const->val_case != PG_QUERY__A__CONST__VAL_SVAL)
		return NULL;
	return fc;
}

/* block => true (or a positional true). */
static bool helper_block(const PgQuery__FuncCall *fc)
{
	if (fc->n_args < 2)
		return false;
	const PgQuery__Node *a = fc->args[1];
	if (a->node_case == PG_QUERY__NODE__NODE_NAMED_ARG_EXPR)
		a = a->named_arg_expr->arg;
	return a && a->node_case == PG_QUERY__NODE__NODE_A_CONST &&
	       a->a_const->val_case == PG_QUERY__A__CONST__VAL_BOOLVAL && a->a_const->boolval->boolval;
}

static void blank(char *t, size_t from, size_t to)
{
	for (size_t i = from; i < to; i++)
		if (t[i] != '\n')
			t[i] = ' ';
}

static bool kw(const struct mm_token *t, const char *word)
{
	return t->keyword && strcmp(t->keyword, word) == 0;
}

/* PL/pgSQL statements that are not SQL (plpgsql.html "Basic Statements", "Control Structures"). */
static const char *const plpgsql_words[] = { "raise", "perform", "return", "null", "execute", "exit", "continue",
	                                     "get", "assert", "open", "close", "fetch", "move", "commit", "rollback" };

static bool plpgsql_word(const struct mm_token *t, const char *text)
{
	size_t n = t->end - t->start;
	for (size_t i = 0; i < MM_ARRAY_LEN(plpgsql_words); i++)
		if (strlen(plpgsql_words[i]) == n && strncasecmp(text + t->start, plpgsql_words[i], n) == 0)
			return true;
	return false;
}

/* The index of the token that ends a statement starting at i: ';' outside parentheses, or -1. */
static long stmt_end(const struct mm_token *tk, long n, long i)
{
	int depth = 0;
	for (; i < n; i++) {
		if (tk[i].ch == '(')
			depth++;
		else if (tk[i].ch == ')')
			depth--;
		else if (tk[i].ch == ';' && depth <= 0)
			return i;
	}
	return -1;
}

/* THEN closing a condition that starts at i, or -1. */
static long then_at(const struct mm_token *tk, long n, long i)
{
	for (int depth = 0; i < n; i++) {
		if (tk[i].ch == '(')
			depth++;
		else if (tk[i].ch == ')')
			depth--;
		else if (depth <= 0 && kw(&tk[i], "then"))
			return i;
	}
	return -1;
}

/* Blank a PL/pgSQL body (text[off, off+len) of the view) down to the SQL a first run executes. */
static int view_block(struct mm_ctx *ctx, char *view, size_t off, size_t len)
{
	char *body = mm_strndup(&ctx->arena, view + off, len);
	struct mm_token *tk;
	long n = mm_sql_scan(ctx, body, &tk);
	if (n < 0)
		return -1;
	bool skip[MAX_NESTING] = { false };
	int top = 0;
	for (long i = 0; i < n;) {
		const struct mm_token *t = &tk[i];
		long last = -1; /* the last token of the part blanked, or kept */
		bool keep = false;
		if (kw(t, "if") || kw(t, "elsif") || kw(t, "when")) {
			last = then_at(tk, n, i + 1);
			if (last < 0)
				return -1;
			if (kw(t, "if")) {
				if (top + 1 >= MAX_NESTING)
					return -1;
				bool cleanup = false;
				for (long k = i; k < last && !cleanup; k++)
					cleanup = tk[k].end - tk[k].start == 10 && strncmp(body + tk[k].start, "indisvalid", 10) == 0;
				skip[top + 1] = skip[top] || cleanup;
				top++;
			} else {
				skip[top] = true; /* another branch: the re-run path */
			}
		} else if (kw(t, "else") || kw(t, "exception")) {
			last = i;
			skip[top] = true;
		} else if (kw(t, "loop") || kw(t, "begin")) {
			last = i;
			if (top + 1 >= MAX_NESTING)
				return -1;
			skip[top + 1] = skip[top];
			top++;
		} else if (kw(t, "end")) {
			last = stmt_end(tk, n, i);
			if (last < 0 || top == 0)
				return -1;
			top--;
		} else {
			last = stmt_end(tk, n, i);
			if (last < 0)
				last = n - 1;
			bool assign = i + 1 < n && tk[i + 1].end - tk[i + 1].start == 2 && strncmp(body + tk[i + 1].start, ":=", 2) == 0;
			keep = !skip[top] && !assign && !plpgsql_word(t, body);
		}
		if (!keep)
			blank(view, off + t->start, off + tk[last].end);
		/* Text between parts (comments, the blanks of indentation) stays as it is. */
		i = last + 1;
	}
	return top == 0 ? 0 : -1;
}

int mm_sql_parse_unwrapped(struct mm_ctx *ctx, struct mm_source *src, struct mm_stmt_list *out, struct mm_vec *calls)
{
	struct mm_stmt_list first = { 0 };
	if (mm_sql_parse(ctx, src, &first) != 0)
		return -1;
	char *view = NULL;
	for (size_t i = 0; i < first.items.len; i++) {
		const struct mm_stmt *st = mm_vec_at(&first.items, i);
		const PgQuery__FuncCall *fc = helper_call(st->node);
		if (!fc)
			continue;
		const PgQuery__AConst *s = fc->args[0]->a_const;
		if (s->location < 0)
			continue;
		size_t at = (size_t)s->location;
		const char *tag_end = src->text[at] == '$' ? strchr(src->text + at + 1, '$') : NULL;
		if (!tag_end)
			continue; /* not dollar-quoted: escapes would shift positions; left as written */
		size_t tag = (size_t)(tag_end - (src->text + at)) + 1;
		size_t body = at + tag, blen = strlen(s->sval->sval);
		if (body + blen + tag > src->len || memcmp(src->text + body, s->sval->sval, blen) != 0 ||
		    memcmp(src->text + body + blen, src->text + at, tag) != 0)
			continue;
		if (!view)
			view = mm_strndup(&ctx->arena, src->text, src->len);
		bool block = helper_block(fc);
		/* A body this reader does not follow (not mkmig's shapes) stays a call, as written. */
		size_t ndiags = ctx->diags.items.len, nerrors = ctx->diags.nerrors;
		if (block && view_block(ctx, view, body, blen) != 0) {
			memcpy(view + body, src->text + body, blen);
			ctx->diags.items.len = ndiags, ctx->diags.nerrors = nerrors; /* a lexical error of the body is not the file's */
			continue;
		}
		blank(view, st->off, body);
		blank(view, body + blen, st->off + st->len);
		struct mm_sql_helper_call *c = mm_alloc(&ctx->arena, sizeof(*c));
		*c = (struct mm_sql_helper_call){ .off = st->off, .len = st->len, .block = block };
		if (calls)
			mm_vec_push(&ctx->arena, calls, c);
	}
	if (!view) {
		for (size_t i = 0; i < first.items.len; i++)
			mm_vec_push(&ctx->arena, &out->items, mm_vec_at(&first.items, i));
		return 0;
	}
	struct mm_source *v = mm_source_new(&ctx->arena, src->name, view, src->len);
	size_t base = out->items.len;
	if (mm_sql_parse(ctx, v, out) != 0)
		return -1;
	/* Diagnostics and findings show the file as written. */
	for (size_t i = base; i < out->items.len; i++)
		((struct mm_stmt *)mm_vec_at(&out->items, i))->src = src;
	return 0;
}
