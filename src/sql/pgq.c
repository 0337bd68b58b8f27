/*
 * pgq.c — where mkmig calls libpg_query (besides parse_split.c's second thread and quote.c's
 * keyword table): read, parse, deparse, scan.
 *
 * Unit conversions happen here once: libpg_query's error cursorpos counts characters from 1
 * (0 = unknown); node locations are 0-based byte offsets. Everything leaving this file speaks
 * byte offsets into an mm_source. Unpacked protobuf trees are tied to the arena (freed with it).
 */
#include "sql_internal.h"

#include <errno.h>
#include <pg_query.h>
#include <stdlib.h>
#include <string.h>

/* Unpacked trees live in the compilation's arena: rules and the model rewrite trees in place,
 * hanging arena strings and nodes off them, so a tree must never be freed node by node. */
static void *arena_pb_alloc(void *data, size_t size)
{
	return mm_alloc(data, size ? size : 1);
}

static void arena_pb_free(void *data, void *p)
{
	(void)data, (void)p;
}

PgQuery__ParseResult *mm_sql_unpack(struct mm_arena *a, const PgQueryProtobuf *pb)
{
	ProtobufCAllocator alloc = { arena_pb_alloc, arena_pb_free, a };
	PgQuery__ParseResult *tree = pg_query__parse_result__unpack(&alloc, pb->len, (const uint8_t *)pb->data);
	if (!tree)
		MM_BUG("libpg_query produced a parse tree protobuf-c cannot unpack");
	return tree;
}

const char *mm_sql_grammar_version(void)
{
	return PG_VERSION;
}

void mm_sql_shutdown(void)
{
	/* pg_query_exit() dereferences the thread's top memory context, which exists only after a
	 * first call (libpg_query 15-4.0 crashes otherwise); a scan of "" creates it statelessly. */
	pg_query_free_scan_result(pg_query_scan(""));
	pg_query_exit();
}

/* --- reading ------------------------------------------------------------------------------ */

struct mm_source *mm_sql_read(struct mm_ctx *ctx, const char *path)
{
	char *text;
	size_t len;
	const char *name = strcmp(path, "-") == 0 ? "<stdin>" : path;
	if (mm_read_file(path, &text, &len, MM_MAX_INPUT_BYTES) != 0) {
		if (errno == EFBIG)
			mm_error_hint(ctx, NULL, 0, 0, "split the input into several files",
			              "%s: input is larger than %zu MiB, the most mkmig reads in one file",
			              name, MM_MAX_INPUT_BYTES >> 20);
		else
			mm_error(ctx, NULL, 0, 0, "cannot read '%s': %s", name, strerror(errno));
		return NULL;
	}
	mm_arena_defer(&ctx->arena, free, text);
	struct mm_source *src = mm_source_new(&ctx->arena, name, text, len);
	const char *nul = memchr(text, '\0', len);
	if (nul) {
		mm_error_hint(ctx, src, (size_t)(nul - text), 1, "is this a binary file?",
		              "NUL byte in SQL input");
		return NULL;
	}
	size_t bad = mm_utf8_invalid_at(text, len);
	if (bad < len) {
		mm_error_hint(ctx, src, bad, 1, "mkmig reads SQL as UTF-8; convert the file with iconv",
		              "invalid UTF-8 byte 0x%02x", (unsigned char)text[bad]);
		return NULL;
	}
	return src;
}

/* --- positions ---------------------------------------------------------------------------- */

/* Byte offset of the 1-based character position pos in text (clamped to len). */
static size_t char_to_byte(const char *text, size_t len, int pos)
{
	size_t off = 0;
	for (int c = 1; c < pos && off < len; c++) {
		off++;
		while (off < len && ((unsigned char)text[off] & 0xC0) == 0x80)
			off++;
	}
	return off < len ? off : len;
}

/* Length of the token PostgreSQL names in `... at or near "TOKEN"`, when it stands at off. */
static size_t near_token_len(const char *msg, const char *text, size_t len, size_t off)
{
	const char *p = strstr(msg, "at or near \"");
	if (!p)
		return 1;
	p += strlen("at or near \"");
	const char *q = strrchr(p, '"');
	if (!q || q == p)
		return 1;
	size_t n = (size_t)(q - p);
	return off + n <= len && memcmp(text + off, p, n) == 0 ? n : 1;
}

static int report_pg_error(struct mm_ctx *ctx, struct mm_source *src, size_t base, size_t span_len,
                           PgQueryError *err)
{
	size_t off = base;
	size_t len = 1;
	if (err->cursorpos > 0) {
		off = base + char_to_byte(src->text + base, span_len, err->cursorpos);
		len = near_token_len(err->message, src->text, src->len, off);
	}
	const char *hint = NULL;
	if (strstr(err->message, "unterminated quoted string"))
		hint = "a string literal opened here is never closed: add the closing quote";
	else if (strstr(err->message, "unterminated dollar-quoted string"))
		hint = "a dollar-quoted body opened here is never closed: add the matching $tag$";
	else if (strstr(err->message, "unterminated quoted identifier"))
		hint = "a quoted identifier opened here is never closed: add the closing double quote";
	else if (strstr(err->message, "unterminated /* comment"))
		hint = "a comment opened here is never closed: add */";
	else if (strstr(err->message, "syntax error"))
		hint = mm_sprintf(&ctx->arena, "PostgreSQL %s grammar; is this valid SQL for it?", PG_VERSION);
	return mm_error_hint(ctx, src, off, len, hint, "%s", err->message);
}

/* --- parsing ------------------------------------------------------------------------------ */

static PgQuery__ParseResult *parse_text(struct mm_ctx *ctx, struct mm_source *src, size_t base,
                                        size_t span_len, const char *text)
{
	PgQueryProtobufParseResult r = pg_query_parse_protobuf(text);
	if (r.error) {
		report_pg_error(ctx, src, base, span_len, r.error);
		pg_query_free_protobuf_parse_result(r);
		return NULL;
	}
	PgQuery__ParseResult *tree = mm_sql_unpack(&ctx->arena, &r.parse_tree);
	pg_query_free_protobuf_parse_result(r);
	return tree;
}

/* psql meta-commands are not SQL: pg_dump 15.14+ writes \restrict / \unrestrict lines, and
 * hand-written scripts use \set or \connect. A line starting with a backslash is blanked
 * (same length, so positions hold) before parsing. */
static void blank_meta_commands(struct mm_ctx *ctx, struct mm_source *src)
{
	char *copy = NULL;
	for (size_t i = 0; i < src->len; i++) {
		if (src->text[i] != '\\' || (i > 0 && src->text[i - 1] != '\n'))
			continue;
		if (!copy)
			copy = mm_strndup(&ctx->arena, src->text, src->len);
		if (ctx->opt.verbose)
			mm_note(ctx, src, i, 0, "skipped a psql meta-command");
		for (; i < src->len && copy[i] != '\n'; i++)
			copy[i] = ' ';
	}
	if (copy)
		src->text = copy;
}

/* The end of the statement's last token, before any comment that follows it: a statement's text
 * is written back with ";" appended, which a trailing "-- comment" would swallow. Scanned only
 * when the span holds a comment opener (most statements have none). */
static size_t trim_trailing_comment(struct mm_ctx *ctx, const char *text, size_t start, size_t end)
{
	bool opener = false;
	for (size_t i = start; i + 1 < end && !opener; i++)
		opener = (text[i] == '-' && text[i + 1] == '-') || (text[i] == '/' && text[i + 1] == '*');
	if (!opener)
		return end;
	char *span = mm_strndup(&ctx->arena, text + start, end - start);
	PgQueryScanResult r = pg_query_scan(span);
	if (r.error) {
		pg_query_free_scan_result(r);
		return end;
	}
	PgQuery__ScanResult *sr = pg_query__scan_result__unpack(NULL, r.pbuf.len, (const uint8_t *)r.pbuf.data);
	pg_query_free_scan_result(r);
	size_t last = end - start;
	for (size_t i = sr->n_tokens; i-- > 0;) {
		const PgQuery__ScanToken *t = sr->tokens[i];
		if (t->token != PG_QUERY__TOKEN__SQL_COMMENT && t->token != PG_QUERY__TOKEN__C_COMMENT) {
			last = (size_t)t->end;
			break;
		}
	}
	pg_query__scan_result__free_unpacked(sr, NULL);
	return start + last;
}

/* The statements of one parse tree; positions before `from` belong to another tree. */
static void add_stmts(struct mm_ctx *ctx, struct mm_source *src, PgQuery__ParseResult *tree, size_t from,
                      size_t last_end, struct mm_stmt_list *out, size_t base)
{
	for (size_t i = 0; i < tree->n_stmts; i++) {
		PgQuery__RawStmt *raw = tree->stmts[i];
		size_t start = (size_t)raw->stmt_location;
		size_t end = raw->stmt_len ? start + (size_t)raw->stmt_len : last_end;
		if (end > src->len)
			end = src->len;
		start = mm_sql_skip_blank(src->text, start > from ? start : from, end);
		while (end > start && strchr(" \t\r\n\f\v;", src->text[end - 1]))
			end--;
		end = trim_trailing_comment(ctx, src->text, start, end);
		struct mm_stmt *st = mm_alloc(&ctx->arena, sizeof(*st));
		st->src = src;
		st->off = start;
		st->len = end - start;
		st->text = mm_strndup(&ctx->arena, src->text + start, end - start);
		st->node = raw->stmt;
		st->index = out->items.len - base;
		mm_vec_push(&ctx->arena, &out->items, st);
	}
}

int mm_sql_parse(struct mm_ctx *ctx, struct mm_source *src, struct mm_stmt_list *out)
{
	blank_meta_commands(ctx, src);
	size_t base = out->items.len;
	PgQuery__ParseResult *halves[2];
	size_t cut = mm_sql_parse_split(&ctx->arena, src->text, src->len, halves);
	if (cut) {
		for (size_t h = 0; h < 2; h++)
			add_stmts(ctx, src, halves[h], h ? cut : 0, h ? src->len : cut, out, base);
		return 0;
	}
	PgQuery__ParseResult *tree = parse_text(ctx, src, 0, src->len, src->text);
	if (!tree)
		return -1;
	add_stmts(ctx, src, tree, 0, src->len, out, base);
	return 0;
}

PgQuery__Node *mm_sql_parse_one(struct mm_ctx *ctx, const char *sql, const char *what)
{
	struct mm_source *src = mm_source_new(&ctx->arena, what, mm_strdup(&ctx->arena, sql), strlen(sql));
	PgQuery__ParseResult *tree = parse_text(ctx, src, 0, src->len, src->text);
	if (!tree)
		return NULL;
	if (tree->n_stmts != 1) {
		mm_error(ctx, src, 0, src->len, "expected exactly one statement, found %zu", tree->n_stmts);
		return NULL;
	}
	return tree->stmts[0]->stmt;
}

/* Parse `prefix fragment suffix`; errors point into the fragment (offset shifted back). */
static PgQuery__Node *parse_carrier(struct mm_ctx *ctx, const char *prefix, const char *frag,
                                    const char *suffix, const char *what)
{
	struct mm_source *src = mm_source_new(&ctx->arena, what, mm_strdup(&ctx->arena, frag), strlen(frag));
	char *text = mm_sprintf(&ctx->arena, "%s%s%s", prefix, frag, suffix);
	PgQueryProtobufParseResult r = pg_query_parse_protobuf(text);
	if (r.error) {
		size_t plen = strlen(prefix);
		size_t pos = r.error->cursorpos > 0 ? char_to_byte(text, strlen(text), r.error->cursorpos) : plen;
		size_t off = pos >= plen ? pos - plen : 0;
		if (off > src->len)
			off = src->len;
		mm_error(ctx, src, off, near_token_len(r.error->message, src->text, src->len, off), "%s",
		         r.error->message);
		pg_query_free_protobuf_parse_result(r);
		return NULL;
	}
	PgQuery__ParseResult *tree = mm_sql_unpack(&ctx->arena, &r.parse_tree);
	pg_query_free_protobuf_parse_result(r);
	if (tree->n_stmts != 1 || tree->stmts[0]->stmt->node_case != PG_QUERY__NODE__NODE_SELECT_STMT) {
		mm_error(ctx, src, 0, src->len, "expected a single %s", what);
		return NULL;
	}
	PgQuery__SelectStmt *sel = tree->stmts[0]->stmt->select_stmt;
	if (sel->n_target_list != 1 || sel->n_from_clause || sel->where_clause) {
		mm_error(ctx, src, 0, src->len, "expected a single %s", what);
		return NULL;
	}
	return sel->target_list[0]->res_target->val;
}

PgQuery__Node *mm_sql_parse_expr(struct mm_ctx *ctx, const char *expr)
{
	return parse_carrier(ctx, "SELECT (", expr, ")", "expression");
}

PgQuery__TypeName *mm_sql_parse_type(struct mm_ctx *ctx, const char *type)
{
	PgQuery__Node *n = parse_carrier(ctx, "SELECT NULL::", type, "", "type name");
	if (!n)
		return NULL;
	if (n->node_case != PG_QUERY__NODE__NODE_TYPE_CAST) {
		struct mm_source *src = mm_source_new(&ctx->arena, "type name", type, strlen(type));
		mm_error(ctx, src, 0, src->len, "expected a type name");
		return NULL;
	}
	return n->type_cast->type_name;
}

/* --- deparsing ---------------------------------------------------------------------------- */

static char *deparse_raw(struct mm_ctx *ctx, PgQuery__Node *stmt)
{
	PgQuery__RawStmt raw = PG_QUERY__RAW_STMT__INIT;
	raw.stmt = stmt;
	PgQuery__RawStmt *raws[1] = { &raw };
	PgQuery__ParseResult pr = PG_QUERY__PARSE_RESULT__INIT;
	pr.version = PG_VERSION_NUM;
	pr.n_stmts = 1;
	pr.stmts = raws;
	size_t n = pg_query__parse_result__get_packed_size(&pr);
	uint8_t *data = mm_xmalloc(n);
	pg_query__parse_result__pack(&pr, data);
	PgQueryProtobuf pb = { .len = n, .data = (char *)data };
	PgQueryDeparseResult r = pg_query_deparse_protobuf(pb);
	free(data);
	char *out = NULL;
	if (r.error)
		mm_error(ctx, NULL, 0, 0, "internal: cannot deparse a generated statement: %s", r.error->message);
	else
		out = mm_strdup(&ctx->arena, r.query);
	pg_query_free_deparse_result(r);
	return out;
}

/*
 * libpg_query 15-4.0's deparser prints index names (CREATE INDEX name) and constraint names
 * (CONSTRAINT name) without quote_identifier, so "Orders_pkey" would come back as orders_pkey.
 * Such names are swapped for placeholders the deparser prints verbatim, then put back quoted.
 */
struct name_fix {
	struct mm_arena *a;
	struct mm_vec fields;    /* char **: the tree fields replaced */
	struct mm_vec originals; /* char *: their values */
};

static void fix_field(struct name_fix *f, char **field)
{
	if (!*field || !**field || !mm_sql_ident_needs_quotes(*field))
		return;
	mm_vec_push(f->a, &f->fields, field);
	mm_vec_push(f->a, &f->originals, *field);
	*field = mm_sprintf(f->a, "mkmig_name_placeholder_%zu_", f->fields.len);
}

/* Names, types and expressions never hold an index statement or a constraint: not entered. */
static const bool no_names_inside[] = {
	[PG_QUERY__NODE__NODE_STRING] = true,      [PG_QUERY__NODE__NODE_INTEGER] = true,
	[PG_QUERY__NODE__NODE_A_CONST] = true,     [PG_QUERY__NODE__NODE_COLUMN_REF] = true,
	[PG_QUERY__NODE__NODE_A_EXPR] = true,      [PG_QUERY__NODE__NODE_BOOL_EXPR] = true,
	[PG_QUERY__NODE__NODE_FUNC_CALL] = true,   [PG_QUERY__NODE__NODE_TYPE_CAST] = true,
	[PG_QUERY__NODE__NODE_TYPE_NAME] = true,   [PG_QUERY__NODE__NODE_RANGE_VAR] = true,
	[PG_QUERY__NODE__NODE_INDEX_ELEM] = true,  [PG_QUERY__NODE__NODE_SELECT_STMT] = true,
};

static bool collect_unquoted(PgQuery__Node *n, void *arg)
{
	if (n->node_case == PG_QUERY__NODE__NODE_INDEX_STMT)
		fix_field(arg, &n->index_stmt->idxname);
	else if (n->node_case == PG_QUERY__NODE__NODE_CONSTRAINT)
		fix_field(arg, &n->constraint->conname);
	return !((size_t)n->node_case < MM_ARRAY_LEN(no_names_inside) && no_names_inside[n->node_case]);
}

char *mm_sql_deparse(struct mm_ctx *ctx, PgQuery__Node *stmt)
{
	struct name_fix f = { &ctx->arena, { 0 }, { 0 } };
	mm_sql_walk(stmt, collect_unquoted, &f);
	char *out = deparse_raw(ctx, stmt);
	for (size_t i = f.fields.len; i-- > 0;) {
		char **field = mm_vec_at(&f.fields, i);
		const char *quoted = mm_sql_ident(&ctx->arena, mm_vec_at(&f.originals, i));
		if (out) {
			char *at = strstr(out, *field);
			if (at) {
				size_t pl = strlen(*field);
				out = mm_sprintf(&ctx->arena, "%.*s%s%s", (int)(at - out), out, quoted, at + pl);
			}
		}
		*field = mm_vec_at(&f.originals, i);
	}
	/* The deparser is not total: a tree it cannot print faithfully (e.g. a type modifier that is
	 * an expression, numeric(a - b, 2), printed as numeric(, 2)) yields text that does not parse.
	 * Refuse it here rather than emit a script PostgreSQL cannot read (design contract 6). */
	if (out) {
		/* The parser splitting the text raises the same errors as a parse, without building a
		 * JSON tree nobody reads. */
		PgQuerySplitResult pr = pg_query_split_with_parser(out);
		if (pr.error) {
			mm_error(ctx, NULL, 0, 0, "cannot reproduce a statement: PostgreSQL's deparser printed SQL that "
			         "does not parse (%s): %s", pr.error->message, out);
			out = NULL;
		}
		pg_query_free_split_result(pr);
	}
	return out;
}

/* Deparse `SELECT <node>` and strip the carrier. */
static char *deparse_in_select(struct mm_ctx *ctx, PgQuery__Node *val, const char *prefix)
{
	PgQuery__ResTarget rt = PG_QUERY__RES_TARGET__INIT;
	rt.val = val;
	PgQuery__Node rtn = PG_QUERY__NODE__INIT;
	rtn.node_case = PG_QUERY__NODE__NODE_RES_TARGET;
	rtn.res_target = &rt;
	PgQuery__Node *targets[1] = { &rtn };
	PgQuery__SelectStmt sel = PG_QUERY__SELECT_STMT__INIT;
	sel.n_target_list = 1;
	sel.target_list = targets;
	sel.limit_option = PG_QUERY__LIMIT_OPTION__LIMIT_OPTION_DEFAULT;
	sel.op = PG_QUERY__SET_OPERATION__SETOP_NONE;
	PgQuery__Node sn = PG_QUERY__NODE__INIT;
	sn.node_case = PG_QUERY__NODE__NODE_SELECT_STMT;
	sn.select_stmt = &sel;
	char *s = mm_sql_deparse(ctx, &sn);
	if (!s)
		return NULL;
	size_t pl = strlen(prefix);
	if (strncmp(s, prefix, pl) != 0)
		MM_BUG("deparsed carrier \"%s\" lacks prefix \"%s\"", s, prefix);
	return s + pl;
}

static char *deparse_expr(struct mm_ctx *ctx, PgQuery__Node *expr)
{
	return deparse_in_select(ctx, expr, "SELECT ");
}

/* Defaults and checks repeat ("DEFAULT 0", "DEFAULT now()") across a schema; an integer
 * constant, the commonest default, prints as itself (the deparser's "%d"). */
char *mm_sql_deparse_expr(struct mm_ctx *ctx, PgQuery__Node *expr)
{
	if (expr->node_case == PG_QUERY__NODE__NODE_A_CONST && !expr->a_const->isnull &&
	    expr->a_const->val_case == PG_QUERY__A__CONST__VAL_IVAL) {
		char *out = mm_sprintf(&ctx->arena, "%d", expr->a_const->ival->ival);
#ifndef NDEBUG
		char *direct = deparse_expr(ctx, expr);
		if (!direct || strcmp(direct, out) != 0)
			MM_BUG("integer constant printed \"%s\", the deparser \"%s\"", out, direct ? direct : "(null)");
#endif
		return out;
	}
	return mm_sql_deparse_memo(ctx, "expr", expr, NULL, 0, deparse_expr);
}

/* A type name's shape without its location: names, constant typmods, array bounds, flags.
 * False for typmods that are not constants (never seen in column types, but possible). */
static bool type_shape(const PgQuery__TypeName *t, struct mm_buf *b)
{
	for (size_t i = 0; i < t->n_names; i++) {
		if (t->names[i]->node_case != PG_QUERY__NODE__NODE_STRING)
			return false;
		mm_buf_addf(b, "%s\x1f", t->names[i]->string->sval);
	}
	mm_buf_addch(b, '\x1e');
	for (size_t i = 0; i < t->n_typmods; i++) {
		const PgQuery__Node *n = t->typmods[i];
		if (n->node_case != PG_QUERY__NODE__NODE_A_CONST)
			return false;
		const PgQuery__AConst *c = n->a_const;
		if (c->val_case == PG_QUERY__A__CONST__VAL_IVAL)
			mm_buf_addf(b, "i%d\x1f", c->ival->ival);
		else if (c->val_case == PG_QUERY__A__CONST__VAL_SVAL)
			mm_buf_addf(b, "s%s\x1f", c->sval->sval);
		else
			return false;
	}
	mm_buf_addch(b, '\x1e');
	for (size_t i = 0; i < t->n_array_bounds; i++) {
		const PgQuery__Node *n = t->array_bounds[i];
		if (n->node_case != PG_QUERY__NODE__NODE_INTEGER)
			return false;
		mm_buf_addf(b, "%d,", n->integer->ival);
	}
	mm_buf_addf(b, "\x1e%d%d%d", t->setof, t->pct_type, t->typemod);
	return true;
}

static char *deparse_type(struct mm_ctx *ctx, PgQuery__TypeName *type);

/* Columns repeat a handful of types thousands of times in a large schema; each deparse costs a
 * protobuf round trip through libpg_query, so the text is kept per shape. */
char *mm_sql_deparse_type(struct mm_ctx *ctx, PgQuery__TypeName *type)
{
	struct mm_buf key = MM_BUF_INIT;
	char *out;
	if (!type_shape(type, &key)) {
		out = deparse_type(ctx, type);
	} else {
		struct mm_vec *hit = mm_map_get(&ctx->deparse_memo, "type", key.buf);
		if (hit && hit->len) {
			out = mm_vec_at(hit, 0);
		} else {
			out = deparse_type(ctx, type);
			if (out)
				mm_map_add(&ctx->arena, &ctx->deparse_memo, "type", key.buf, out);
		}
	}
	mm_buf_release(&key);
	return out;
}

static char *deparse_type(struct mm_ctx *ctx, PgQuery__TypeName *type)
{
	PgQuery__AConst nul = PG_QUERY__A__CONST__INIT;
	nul.isnull = true;
	nul.location = -1;
	PgQuery__Node nn = PG_QUERY__NODE__INIT;
	nn.node_case = PG_QUERY__NODE__NODE_A_CONST;
	nn.a_const = &nul;
	PgQuery__TypeCast tc = PG_QUERY__TYPE_CAST__INIT;
	tc.arg = &nn;
	tc.type_name = type;
	tc.location = -1;
	PgQuery__Node tn = PG_QUERY__NODE__INIT;
	tn.node_case = PG_QUERY__NODE__NODE_TYPE_CAST;
	tn.type_cast = &tc;
	return deparse_in_select(ctx, &tn, "SELECT NULL::");
}

/* --- scanning ---------------------------------------------------------------------------- */

long mm_sql_scan(struct mm_ctx *ctx, const char *text, struct mm_token **out)
{
	PgQueryScanResult r = pg_query_scan(text);
	if (r.error) {
		struct mm_source *src = mm_source_new(&ctx->arena, "generated SQL", text, strlen(text));
		report_pg_error(ctx, src, 0, src->len, r.error);
		pg_query_free_scan_result(r);
		return -1;
	}
	PgQuery__ScanResult *sr = pg_query__scan_result__unpack(NULL, r.pbuf.len, (const uint8_t *)r.pbuf.data);
	pg_query_free_scan_result(r);
	struct mm_token *toks = mm_alloc(&ctx->arena, (sr->n_tokens + 1) * sizeof(*toks));
	for (size_t i = 0; i < sr->n_tokens; i++) {
		const PgQuery__ScanToken *t = sr->tokens[i];
		struct mm_token *k = &toks[i];
		k->start = (size_t)t->start;
		k->end = (size_t)t->end;
		k->quoted = t->token == PG_QUERY__TOKEN__IDENT && text[k->start] == '"';
		/* Unreserved and column-name keywords can name a column (a column called "name"). */
		k->ident = t->token == PG_QUERY__TOKEN__IDENT ||
		           t->keyword_kind == PG_QUERY__KEYWORD_KIND__UNRESERVED_KEYWORD ||
		           t->keyword_kind == PG_QUERY__KEYWORD_KIND__COL_NAME_KEYWORD;
		if (k->end == k->start + 1 && !k->ident)
			k->ch = text[k->start];
		if (t->keyword_kind != PG_QUERY__KEYWORD_KIND__NO_KEYWORD) {
			char *kw = mm_strndup(&ctx->arena, text + k->start, k->end - k->start);
			for (char *p = kw; *p; p++)
				if (*p >= 'A' && *p <= 'Z')
					*p = (char)(*p - 'A' + 'a');
			k->keyword = kw;
		}
	}
	long n = (long)sr->n_tokens;
	pg_query__scan_result__free_unpacked(sr, NULL);
	*out = toks;
	return n;
}
