/* test_spec.c — the change-spec front end: every error path of the lexer, the grammar and the
 * lowering points at the right line and column (inside embedded SQL too, through the map back
 * from the generated SQL), says what it found and what was expected; statements lower to the
 * change kinds the SQL front end produces; the command line joins to one statement. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "mkmig/spec.h"

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

/* Parse text as a spec file; returns the change list (errors in ctx, moved to the spec). */
static struct mm_change_list parse(struct mm_ctx *ctx, const char *text, int *rc)
{
	struct mm_source *src = mm_source_new(&ctx->arena, "t.mkmig", mm_strdup(&ctx->arena, text), strlen(text));
	struct mm_spec *spec = mm_spec_new(ctx);
	struct mm_change_list out = { 0 };
	*rc = mm_spec_parse(ctx, spec, src, &out);
	mm_spec_remap_diags(ctx, spec);
	return out;
}

/* The first error: at line:col of t.mkmig, its message containing msg, its caret span len
 * (0: not checked), its hint containing hint (NULL: not checked). */
static void expect_error(const char *text, size_t line, size_t col, size_t len, const char *msg, const char *hint)
{
	struct mm_ctx ctx;
	mm_ctx_init(&ctx);
	int rc;
	parse(&ctx, text, &rc);
	if (rc == 0 || !ctx.diags.nerrors)
		fail_msg("no error for: %s", text);
	const struct mm_diag *d = NULL;
	for (size_t i = 0; i < ctx.diags.items.len && !d; i++) {
		const struct mm_diag *x = ctx.diags.items.items[i];
		if (x->severity == MM_ERROR)
			d = x;
	}
	assert_non_null(d);
	assert_non_null(d->src);
	assert_string_equal(d->src->name, "t.mkmig");
	size_t l, c;
	mm_source_position((struct mm_source *)d->src, d->off, &l, &c);
	if (l != line || c != col || !strstr(d->message, msg) || (len && d->len != len) ||
	    (hint && (!d->hint || !strstr(d->hint, hint))))
		fail_msg("for %s\n got %zu:%zu len %zu: %s (hint: %s)\n want %zu:%zu len %zu: %s (hint: %s)", text, l, c, d->len,
		         d->message, d->hint ? d->hint : "-", line, col, len, msg, hint ? hint : "-");
	mm_ctx_release(&ctx);
}

static void test_lexical_errors(void **state)
{
	(void)state;
	expect_error("rename users.a b;\nadd-check t 'x > 1", 2, 13, 1, "unterminated string", "''");
	expect_error("rename \"users.a b;", 1, 8, 1, "unterminated quoted name", NULL);
	expect_error("add-index t lower(email;", 1, 18, 1, "unbalanced parenthesis", NULL);
	expect_error("rename users.a @b;", 1, 16, 1, "unexpected character '@'", "quote SQL text");
}

static void test_unknown_verb(void **state)
{
	(void)state;
	expect_error("# comment\n  renam users.a b;", 2, 3, 5, "unknown statement 'renam'", "did you mean 'rename'?");
	expect_error("rename users.a b;\nconvrt a.b to c int using 'b';", 2, 1, 6, "unknown statement 'convrt'",
	             "did you mean 'convert'?");
	expect_error("frobnicate x;", 1, 1, 10, "unknown statement 'frobnicate'", "mkmig --help");
	expect_error("'rename' a.b c;", 1, 1, 8, "expected a statement, found the string 'rename'", NULL);
}

static void test_grammar_errors(void **state)
{
	(void)state;
	/* the token found and what was expected */
	expect_error("rename users.user_name", 1, 23, 0, "rename: expected one of a name, '.', 'to', found the end of the input",
	             "mkmig rename --help");
	expect_error("rename users.user_name username extra;", 1, 33, 5, "found 'extra'", NULL);
	expect_error("add-index users email unique name;", 1, 34, 1, "add-index: expected a name, found ';'", NULL);
	expect_error("convert p.a price_cents int using 'a';", 1, 13, 11, "convert: expected one of '.', 'to', found 'price_cents'",
	             NULL);
	expect_error("add-column users.age;", 1, 21, 1, "expected one of a name, a 'string', '.', found ';'", NULL);
	expect_error("add-fk orders.customer_id customers;", 1, 27, 9, "expected one of '.', ',', 'references'", NULL);
	expect_error("add-column t.c int batch-size big;", 1, 31, 3, "expected a number, found 'big'", NULL);
	/* a keyword where a name fits is a name */
	expect_error("rename users.name to to extra;", 1, 25, 5, "found 'extra'", NULL);
}

static void test_lowering_errors(void **state)
{
	(void)state;
	expect_error("rename users username;", 1, 8, 5, "expected a column as TABLE.COLUMN, found 'users'", "TABLE.COLUMN");
	expect_error("rename users.a other.b;", 1, 16, 7, "expected the new column name alone", NULL);
	expect_error("drop-table a.b.c;", 1, 12, 5, "expected a table name, found a column name", NULL);
	expect_error("rename users.a b using 'x';", 1, 18, 5, "'using' does not apply to rename", "mkmig rename --help");
	expect_error("convert p.a to b int;", 1, 21, 1, "convert: expected 'using'", NULL);
	expect_error("backfill t.c where 'c > 1';", 1, 27, 1, "backfill: expected 'using'", NULL);
	expect_error("add-column t.c int batch-size 0;", 1, 31, 1, "batch-size: expected a whole number", NULL);
	expect_error("rename t.a b lock-timeout 1.5;", 1, 27, 3, "lock-timeout: expected milliseconds", NULL);
}

static void test_embedded_sql_errors(void **state)
{
	(void)state;
	/* inside a string: the column of the offending token in the spec line */
	expect_error("rename users.a b;\n\nconvert p.a to b int\n    using 'round(a * )';", 4, 22, 1, "syntax error at or near \")\"",
	             NULL);
	/* doubled quotes inside the string shift the columns */
	expect_error("add-check t 'status <> ''x'' AND AND 1';", 1, 34, 3, "syntax error at or near \"AND\"", NULL);
	/* at the end of the expression */
	expect_error("convert p.a to b int using 'round(a * 100';", 1, 42, 0, "syntax error at end of input", NULL);
	expect_error("add-column t.c int default '1 +';", 1, 32, 1, "syntax error", NULL);
	/* a type */
	expect_error("add-column t.c 'varchar(';", 1, 25, 1, "syntax error", NULL);
	expect_error("change-type t.c to 'numeric(10,';", 1, 32, 1, "syntax error", NULL);
	expect_error("change-type t.c to numeric(10,;", 1, 27, 1, "unbalanced parenthesis", NULL);
	/* an unquoted expression word */
	expect_error("add-column t.c int default now(1 +);", 1, 35, 1, "syntax error at or near \")\"", NULL);
	/* one expression, not a splice */
	expect_error("add-check t '1); DROP TABLE x; SELECT (1';", 1, 13, 29, "the CHECK condition is not one SQL expression",
	             "one SQL expression");
	expect_error("backfill t.c using '1 FROM x';", 1, 23, 4, "syntax error at or near \"FROM\"", NULL);
	expect_error("backfill t.c using '';", 1, 20, 2, "the backfill expression is empty", "''''");
	expect_error("add-index t a where 'a >';", 1, 25, 1, "syntax error", NULL);
}

static enum mm_change_kind kind_at(const struct mm_change_list *l, size_t i)
{
	return ((const struct mm_change *)l->items.items[i])->kind;
}

static void test_lowering(void **state)
{
	struct mm_ctx *ctx = *state;
	int rc;
	struct mm_change_list l = parse(ctx,
	                                "rename users.user_name username;\n"
	                                "rename-table a to b;\n"
	                                "add-column t.c int not null default 0;\n"
	                                "add-column t.d text backfill 'upper(c::text)' not null batch-size 10;\n"
	                                "add-index t c, 'lower(d)' unique where 'c > 0' name t_idx;\n"
	                                "drop-index t_idx;\n"
	                                "add-fk t.c references u.id on delete set-null;\n"
	                                "add-check t 'c >= 0';\n"
	                                "add-unique t.c,d name t_cd;\n"
	                                "set-not-null t.c; drop-not-null t.c;\n"
	                                "change-type t.c bigint;\n"
	                                "convert t.c to e bigint using 'c * 2' back 'e / 2';\n"
	                                "backfill t.e using '0' where 'e IS NULL';\n"
	                                "drop-column t.e; drop-table t;\n",
	                                &rc);
	assert_int_equal(rc, 0);
	assert_int_equal(ctx->diags.nerrors, 0);
	static const enum mm_change_kind want[] = {
		MM_CH_RENAME_COLUMN, MM_CH_RENAME_TABLE, MM_CH_ADD_COLUMN, MM_CH_ADD_COLUMN, MM_CH_BACKFILL,
		MM_CH_SET_NOT_NULL, MM_CH_CREATE_INDEX, MM_CH_DROP_INDEX, MM_CH_ADD_CONSTRAINT, MM_CH_ADD_CONSTRAINT,
		MM_CH_ADD_CONSTRAINT, MM_CH_SET_NOT_NULL, MM_CH_OTHER, MM_CH_ALTER_TYPE, MM_CH_CONVERT,
		MM_CH_BACKFILL, MM_CH_DROP_COLUMN, MM_CH_DROP_TABLE,
	};
	assert_int_equal(l.items.len, MM_ARRAY_LEN(want));
	for (size_t i = 0; i < MM_ARRAY_LEN(want); i++)
		if (kind_at(&l, i) != want[i])
			fail_msg("change %zu: %s, want %s", i, mm_change_kind_name(kind_at(&l, i)), mm_change_kind_name(want[i]));
	const struct mm_change *ix = l.items.items[6];
	assert_string_equal(ix->stmt->text, "CREATE UNIQUE INDEX t_idx ON t (c, (lower(d))) WHERE c > 0");
	const struct mm_change *fk = l.items.items[8];
	assert_string_equal(fk->stmt->text, "ALTER TABLE t ADD FOREIGN KEY (c) REFERENCES u (id) ON DELETE set null");
	const struct mm_change *cv = l.items.items[14];
	assert_string_equal(cv->convert->old_col, "c");
	assert_string_equal(cv->convert->new_col, "e");
	assert_non_null(cv->convert->back);
	assert_int_equal(((const struct mm_change *)l.items.items[4])->batch_size, 10);
	l = parse(ctx, "set-not-null t.c lock-timeout 500;", &rc);
	assert_int_equal(rc, 0);
	assert_int_equal(((const struct mm_change *)l.items.items[0])->lock_timeout_ms, 500);
}

static void test_names_fold_and_quote(void **state)
{
	struct mm_ctx *ctx = *state;
	int rc;
	struct mm_change_list l = parse(ctx, "rename \"Users\".\"User Name\" to userName;\n", &rc);
	assert_int_equal(rc, 0);
	assert_string_equal(((const struct mm_change *)l.items.items[0])->stmt->text,
	                    "ALTER TABLE \"Users\" RENAME COLUMN \"User Name\" TO username");
	/* a keyword as a column name; a verb word inside a statement is a name too */
	l = parse(ctx, "add-column t.name text; rename t.convert to using;", &rc);
	assert_int_equal(rc, 0);
	assert_string_equal(((const struct mm_change *)l.items.items[1])->stmt->text,
	                    "ALTER TABLE t RENAME COLUMN convert TO \"using\"");
}

static void test_join_words(void **state)
{
	struct mm_ctx *ctx = *state;
	const char *w[] = { "products.price_dollars", "to", "price_cents", "integer", "using", "round(price_dollars * 100)",
		            "back", "it's", "numeric(12,2)", "a,b" };
	assert_string_equal(mm_spec_join_words(&ctx->arena, "convert", w, MM_ARRAY_LEN(w)),
	                    "convert products.price_dollars to price_cents integer using 'round(price_dollars * 100)' "
	                    "back 'it''s' 'numeric(12,2)' a,b");
	/* the joined command line parses as one statement */
	int rc;
	struct mm_change_list l = parse(ctx, mm_spec_join_words(&ctx->arena, "convert", w, 6), &rc);
	assert_int_equal(rc, 0);
	assert_int_equal(l.items.len, 1);
	assert_true(mm_spec_is_verb("add-column"));
	assert_false(mm_spec_is_verb("filter"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lexical_errors),
		cmocka_unit_test(test_unknown_verb),
		cmocka_unit_test(test_grammar_errors),
		cmocka_unit_test(test_lowering_errors),
		cmocka_unit_test(test_embedded_sql_errors),
		cmocka_unit_test_setup_teardown(test_lowering, setup, teardown),
		cmocka_unit_test_setup_teardown(test_names_fold_and_quote, setup, teardown),
		cmocka_unit_test_setup_teardown(test_join_words, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, group_teardown);
}
