/* test_sql.c — the SQL front end: statement positions, error positions and carets, quoting,
 * generated names, deparse round trips. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "mkmig/sql.h"

#include <pg_query.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int setup(void **state)
{
	struct mm_ctx *ctx = mm_xmalloc(sizeof(*ctx));
	mm_ctx_init(ctx);
	*state = ctx;
	return 0;
}

static int teardown(void **state)
{
	struct mm_ctx *ctx = *state;
	mm_ctx_release(ctx);
	free(ctx);
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	mm_sql_shutdown();
	return 0;
}

static struct mm_source *src_of(struct mm_ctx *ctx, const char *text)
{
	return mm_source_new(&ctx->arena, "t.sql", mm_strdup(&ctx->arena, text), strlen(text));
}

static char *render_all(struct mm_ctx *ctx)
{
	struct mm_buf b = MM_BUF_INIT;
	for (size_t i = 0; i < ctx->diags.items.len; i++)
		mm_diag_render(&b, mm_vec_at(&ctx->diags.items, i), false);
	char *s = mm_buf_arena(&b, &ctx->arena);
	mm_buf_release(&b);
	return s;
}

static void test_statement_positions(void **state)
{
	struct mm_ctx *ctx = *state;
	struct mm_stmt_list l = { 0 };
	struct mm_source *src = src_of(ctx, "-- header\nCREATE TABLE t (id int);\n\n  /* c */ CREATE INDEX i ON t (id) ;\nSELECT 'a;b'");
	assert_int_equal(mm_sql_parse(ctx, src, &l), 0);
	assert_int_equal(l.items.len, 3);
	struct mm_stmt *s0 = mm_vec_at(&l.items, 0), *s1 = mm_vec_at(&l.items, 1), *s2 = mm_vec_at(&l.items, 2);
	assert_string_equal(s0->text, "CREATE TABLE t (id int)");
	assert_string_equal(s1->text, "CREATE INDEX i ON t (id)");
	assert_string_equal(s2->text, "SELECT 'a;b'");
	size_t line, col;
	mm_source_position(src, s1->off, &line, &col);
	assert_int_equal(line, 4);
	assert_int_equal(col, 11);
	assert_int_equal(s0->node->node_case, PG_QUERY__NODE__NODE_CREATE_STMT);
	assert_int_equal(s1->node->node_case, PG_QUERY__NODE__NODE_INDEX_STMT);
}

/* A long input is parsed in two halves (src/sql/parse_split.c); the cut lands between
 * statements whatever spans the middle, and positions in the second half are the file's. */
struct long_input {
	struct mm_buf text;
	size_t n, offs[40000];
	char *stmts[40000];
};

static void add_stmt(struct mm_arena *a, struct long_input *in, const char *stmt)
{
	in->offs[in->n] = in->text.len;
	in->stmts[in->n++] = mm_strdup(a, stmt);
	mm_buf_addf(&in->text, "%s;\n", stmt);
}

/* filler, middle (spanning the middle of the text), filler: each filler over 512 KB, the size at
 * which the release build starts to split. */
static void build_long(struct mm_arena *a, struct long_input *in, const char *middle)
{
	char stmt[64];
	mm_buf_init(&in->text);
	in->n = 0;
	for (int half = 0; half < 2; half++) {
		for (int i = 0; in->text.len < (size_t)(half + 1) * (560u << 10); i++) {
			snprintf(stmt, sizeof(stmt), "CREATE TABLE f%d_%d (a int)", half, i);
			add_stmt(a, in, stmt);
		}
		if (!half)
			add_stmt(a, in, middle);
	}
}

static void check_long(struct mm_ctx *ctx, const char *middle)
{
	struct long_input *in = mm_alloc(&ctx->arena, sizeof(*in));
	build_long(&ctx->arena, in, middle);
	struct mm_source *src = src_of(ctx, in->text.buf);
	struct mm_stmt_list l = { 0 };
	assert_int_equal(mm_sql_parse(ctx, src, &l), 0);
	assert_int_equal(l.items.len, in->n);
	for (size_t i = 0; i < in->n; i++) {
		const struct mm_stmt *st = mm_vec_at(&l.items, i);
		assert_string_equal(st->text, in->stmts[i]);
		assert_int_equal(st->off, in->offs[i]);
		assert_int_equal(st->index, i);
	}
	const struct mm_stmt *last = mm_vec_at(&l.items, in->n - 1);
	assert_int_equal(last->node->create_stmt->relation->location, last->off + strlen("CREATE TABLE "));
	mm_buf_release(&in->text);
}

static void test_long_input_halves(void **state)
{
	struct mm_ctx *ctx = *state;
	struct mm_buf body = MM_BUF_INIT;
	for (int i = 0; i < 4000; i++)
		mm_buf_addf(&body, "  PERFORM %d;\n", i);
	/* a dollar-quoted body holding ";\n" lines across the middle */
	check_long(ctx, mm_sprintf(&ctx->arena, "CREATE FUNCTION f() RETURNS void LANGUAGE plpgsql AS $fn$\nBEGIN\n%sEND\n$fn$",
	                            body.buf));
	mm_buf_reset(&body);
	for (int i = 0; i < 4000; i++)
		mm_buf_addf(&body, "  SELECT %d;\n", i);
	/* a SQL-standard body: ";\n" outside any quote, inside one statement */
	check_long(ctx, mm_sprintf(&ctx->arena, "CREATE FUNCTION g() RETURNS int LANGUAGE sql BEGIN ATOMIC\n%sEND", body.buf));
	mm_buf_release(&body);

	/* a syntax error in the second half is reported at its place in the file */
	struct long_input *in = mm_alloc(&ctx->arena, sizeof(*in));
	build_long(&ctx->arena, in, "SELECT 1");
	mm_buf_adds(&in->text, "CREATE TABLE broken (a int,);\n");
	struct mm_stmt_list l = { 0 };
	assert_int_equal(mm_sql_parse(ctx, src_of(ctx, in->text.buf), &l), -1);
	size_t nl = 1;
	for (const char *p = in->text.buf; *p; p++)
		nl += *p == '\n';
	char *all = render_all(ctx);
	assert_non_null(strstr(all, mm_sprintf(&ctx->arena, "t.sql:%zu:28: error: syntax error at or near \")\"", nl - 1)));
	mm_buf_release(&in->text);
}

static void test_empty_input(void **state)
{
	struct mm_ctx *ctx = *state;
	struct mm_stmt_list l = { 0 };
	assert_int_equal(mm_sql_parse(ctx, src_of(ctx, ""), &l), 0);
	assert_int_equal(mm_sql_parse(ctx, src_of(ctx, "  -- only a comment\n/* and this */\n"), &l), 0);
	assert_int_equal(l.items.len, 0);
	assert_int_equal(ctx->diags.nerrors, 0);
}

static void test_syntax_error_line3(void **state)
{
	struct mm_ctx *ctx = *state;
	struct mm_stmt_list l = { 0 };
	struct mm_source *src = src_of(ctx, "CREATE TABLE t (id int);\nCREATE INDEX i ON t (id);\nALTER TABLE t ADD COLUMN x int DEFAUL 1;\n");
	assert_int_equal(mm_sql_parse(ctx, src, &l), -1);
	assert_int_equal(ctx->diags.nerrors, 1);
	assert_string_equal(render_all(ctx),
	                    "t.sql:3:32: error: syntax error at or near \"DEFAUL\"\n"
	                    "    ALTER TABLE t ADD COLUMN x int DEFAUL 1;\n"
	                    "                                   ^~~~~~\n"
	                    "hint: PostgreSQL 15.1 grammar; is this valid SQL for it?\n");
}

static void test_error_column_counts_characters(void **state)
{
	struct mm_ctx *ctx = *state;
	struct mm_stmt_list l = { 0 };
	/* "é" is 2 bytes but one column. */
	struct mm_source *src = src_of(ctx, "SELECT 'é', 1 +;");
	assert_int_equal(mm_sql_parse(ctx, src, &l), -1);
	struct mm_diag *d = mm_vec_at(&ctx->diags.items, 0);
	size_t line, col;
	mm_source_position(src, d->off, &line, &col);
	assert_int_equal(line, 1);
	assert_int_equal(col, 16);
	assert_int_equal(d->off, 16);
}

static void test_unterminated(void **state)
{
	struct mm_ctx *ctx = *state;
	struct mm_stmt_list l = { 0 };
	assert_int_equal(mm_sql_parse(ctx, src_of(ctx, "SELECT 1;\nSELECT $x$ abc"), &l), -1);
	assert_int_equal(mm_sql_parse(ctx, src_of(ctx, "SELECT \"abc"), &l), -1);
	assert_int_equal(mm_sql_parse(ctx, src_of(ctx, "SELECT 1 /* never closed"), &l), -1);
	assert_int_equal(ctx->diags.nerrors, 3);
	char *all = render_all(ctx);
	assert_non_null(strstr(all, "t.sql:2:8: error: unterminated dollar-quoted string"));
	assert_non_null(strstr(all, "hint: a dollar-quoted body opened here is never closed"));
	assert_non_null(strstr(all, "unterminated quoted identifier"));
	assert_non_null(strstr(all, "unterminated /* comment"));
}

static void test_quote_ident(void **state)
{
	struct mm_ctx *ctx = *state;
	struct mm_arena *a = &ctx->arena;
	/* Expected values are PostgreSQL 15's quote_ident() output. */
	assert_string_equal(mm_sql_ident(a, "users"), "users");
	assert_string_equal(mm_sql_ident(a, "user_name2"), "user_name2");
	assert_string_equal(mm_sql_ident(a, "MixedCase"), "\"MixedCase\"");
	assert_string_equal(mm_sql_ident(a, "user"), "\"user\"");       /* reserved */
	assert_string_equal(mm_sql_ident(a, "select"), "\"select\"");
	assert_string_equal(mm_sql_ident(a, "int"), "\"int\"");         /* col_name keyword */
	assert_string_equal(mm_sql_ident(a, "left"), "\"left\"");       /* type_func_name keyword */
	assert_string_equal(mm_sql_ident(a, "name"), "name");           /* unreserved */
	assert_string_equal(mm_sql_ident(a, "type"), "type");
	assert_string_equal(mm_sql_ident(a, "with\"quote"), "\"with\"\"quote\"");
	assert_string_equal(mm_sql_ident(a, "émoji"), "\"émoji\"");
	assert_string_equal(mm_sql_ident(a, "1abc"), "\"1abc\"");
	assert_string_equal(mm_sql_ident(a, "a$b"), "\"a$b\"");  /* quote_identifier quotes $ (the deparser too) */
	assert_string_equal(mm_sql_ident(a, "a b"), "\"a b\"");
	assert_string_equal(mm_sql_qname(a, "public", "Orders"), "public.\"Orders\"");
	assert_string_equal(mm_sql_literal(a, "it's"), "'it''s'");
	assert_string_equal(mm_sql_literal(a, "a\\b"), "E'a\\\\b'");
}

/* mm_sql_keyword_kind reads PostgreSQL's keyword table directly; it must classify every keyword
 * (and its capitalised spelling) exactly as the scanner does. */
struct ScanKeywordList {
	const char *kw_string;
	const uint16_t *kw_offsets;
	int (*hash)(const void *key, size_t keylen);
	int num_keywords;
	int max_kw_len;
};
extern const struct ScanKeywordList ScanKeywords;

static enum mm_keyword_kind scanned_kind(const char *w)
{
	static const enum mm_keyword_kind map[] = { MM_KW_NONE, MM_KW_UNRESERVED, MM_KW_COL_NAME, MM_KW_TYPE_FUNC,
	                                            MM_KW_RESERVED };
	enum mm_keyword_kind k = MM_KW_NONE;
	PgQueryScanResult r = pg_query_scan(w);
	assert_null(r.error);
	PgQuery__ScanResult *sr = pg_query__scan_result__unpack(NULL, r.pbuf.len, (const uint8_t *)r.pbuf.data);
	if (sr->n_tokens == 1 && (size_t)sr->tokens[0]->end == strlen(w))
		k = map[sr->tokens[0]->keyword_kind];
	pg_query__scan_result__free_unpacked(sr, NULL);
	pg_query_free_scan_result(r);
	return k;
}

static void test_keyword_kinds(void **state)
{
	(void)state;
	assert_true(ScanKeywords.num_keywords > 400);
	for (int i = 0; i < ScanKeywords.num_keywords; i++) {
		char w[64];
		snprintf(w, sizeof(w), "%s", ScanKeywords.kw_string + ScanKeywords.kw_offsets[i]);
		assert_int_equal(mm_sql_keyword_kind(w), scanned_kind(w));
		assert_int_not_equal(mm_sql_keyword_kind(w), MM_KW_NONE);
		w[0] = (char)(w[0] - 'a' + 'A');
		assert_int_equal(mm_sql_keyword_kind(w), scanned_kind(w));
	}
	static const char *const others[] = { "users", "account_id", "x", "tbl_1", "customer", "selects", "émoji" };
	for (size_t i = 0; i < sizeof(others) / sizeof(*others); i++)
		assert_int_equal(mm_sql_keyword_kind(others[i]), MM_KW_NONE);
	assert_int_equal(mm_sql_keyword_kind("name"), MM_KW_UNRESERVED);
	assert_int_equal(mm_sql_keyword_kind("Select"), MM_KW_RESERVED);
}

static void test_names(void **state)
{
	struct mm_ctx *ctx = *state;
	struct mm_arena *a = &ctx->arena;
	assert_string_equal(mm_name_pg_object(a, "orders", "customer_id", "idx"), "orders_customer_id_idx");
	assert_string_equal(mm_name_pg_object(a, "orders", NULL, "pkey"), "orders_pkey");
	/* Observed on PostgreSQL (pg-facts §8): the longer name is cut, the label kept. */
	assert_string_equal(mm_name_pg_object(a, "customer_subscription_billing",
	                                      "some_really_long_column_name_that_goes_on_and_on", "key"),
	                    "customer_subscription_billing_some_really_long_column_name__key");
	char *n = mm_name_pg_object(a, "tttttttttttttttttttttttttttttttttttttttttttttttttttttttttttt", "éééééé", "idx");
	assert_true(strlen(n) <= 63);
	assert_int_equal(mm_utf8_invalid_at(n, strlen(n)), strlen(n));
	assert_string_equal(mm_name_helper(a, "orders", "nn"), "orders_nn");
	char long1[80], long2[80];
	memset(long1, 'a', 70), long1[70] = 0;
	memcpy(long2, long1, 71), long2[69] = 'b';
	char *h1 = mm_name_helper(a, long1, "mkmig_sync"), *h2 = mm_name_helper(a, long2, "mkmig_sync");
	assert_int_equal(strlen(h1), 63);
	assert_string_not_equal(h1, h2);
	assert_string_equal(h1, mm_name_helper(a, long1, "mkmig_sync")); /* deterministic */
	assert_non_null(strstr(h1, "_mkmig_sync"));
}

static void test_deparse_round_trip(void **state)
{
	struct mm_ctx *ctx = *state;
	PgQuery__Node *n = mm_sql_parse_one(ctx, "create index concurrently foo on \"Bar\" (a) where b > 1", "test");
	assert_non_null(n);
	assert_true(n->index_stmt->concurrent);
	n->index_stmt->concurrent = false;
	assert_string_equal(mm_sql_deparse(ctx, n), "CREATE INDEX foo ON \"Bar\" USING btree (a) WHERE b > 1");
	PgQuery__Node *e = mm_sql_parse_expr(ctx, "coalesce(x, 'a''b') || now()::text");
	assert_non_null(e);
	assert_string_equal(mm_sql_deparse_expr(ctx, e), "COALESCE(x, 'a''b') || now()::text");
	PgQuery__TypeName *t = mm_sql_parse_type(ctx, "varchar(20)[]");
	assert_non_null(t);
	assert_string_equal(mm_sql_deparse_type(ctx, t), "varchar(20)[]");
	assert_null(mm_sql_parse_expr(ctx, "1 +"));
	assert_int_equal(ctx->diags.nerrors, 1);
}

static void test_insert_after_head(void **state)
{
	struct mm_ctx *ctx = *state;
	struct mm_arena *a = &ctx->arena;
	static const char *const table[] = { "create", "*global|local|temporary|temp|unlogged", "table", NULL };
	static const char *const ext[] = { "create", "extension", NULL };
	const char *ine = " IF NOT EXISTS";
	assert_string_equal(mm_sql_insert_after_head(a, "CREATE TABLE t (a int)", table, ine),
	                    "CREATE TABLE IF NOT EXISTS t (a int)");
	/* comments and line breaks in the head stay where the author put them */
	assert_string_equal(mm_sql_insert_after_head(a, "-- new\ncreate /* a /* nested */ c */ Global\tTemp table\n t()",
	                                             table, ine),
	                    "-- new\ncreate /* a /* nested */ c */ Global\tTemp table IF NOT EXISTS\n t()");
	assert_string_equal(mm_sql_insert_after_head(a, "CREATE UNLOGGED TABLE t()", table, ine),
	                    "CREATE UNLOGGED TABLE IF NOT EXISTS t()");
	assert_string_equal(mm_sql_insert_after_head(a, "create extension pgcrypto", ext, ine),
	                    "create extension IF NOT EXISTS pgcrypto");
	/* not the head asked for: the caller deparses instead */
	assert_null(mm_sql_insert_after_head(a, "CREATE FOREIGN TABLE t ()", table, ine));
	assert_null(mm_sql_insert_after_head(a, "CREATE tables", table, ine));
	assert_null(mm_sql_insert_after_head(a, "CREATE table_x", table, ine));
	assert_null(mm_sql_insert_after_head(a, "CREATE /* unterminated", table, ine));
	assert_null(mm_sql_insert_after_head(a, "", ext, ine));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_statement_positions, setup, teardown),
		cmocka_unit_test_setup_teardown(test_empty_input, setup, teardown),
		cmocka_unit_test_setup_teardown(test_long_input_halves, setup, teardown),
		cmocka_unit_test_setup_teardown(test_syntax_error_line3, setup, teardown),
		cmocka_unit_test_setup_teardown(test_error_column_counts_characters, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unterminated, setup, teardown),
		cmocka_unit_test_setup_teardown(test_quote_ident, setup, teardown),
		cmocka_unit_test_setup_teardown(test_names, setup, teardown),
		cmocka_unit_test(test_keyword_kinds),
		cmocka_unit_test_setup_teardown(test_deparse_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_insert_after_head, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, group_teardown);
}
