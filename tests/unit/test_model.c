/* test_model.c — the schema model: name folding, type normalisation, replay of each statement
 * kind, PostgreSQL's choice of names, errors with the nearest name, volatility, canonical text. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "mkmig/model.h"

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

/* Replay SQL as existing schema (like --schema) into a fresh model. */
static struct mm_model *model_of(struct mm_ctx *ctx, const char *sql)
{
	struct mm_model *m = mm_model_new(ctx);
	struct mm_source *src = mm_source_new(&ctx->arena, "schema.sql", mm_strdup(&ctx->arena, sql), strlen(sql));
	struct mm_stmt_list stmts = { 0 };
	assert_int_equal(mm_sql_parse(ctx, src, &stmts), 0);
	for (size_t i = 0; i < stmts.items.len; i++)
		assert_int_equal(mm_model_apply(m, mm_vec_at(&stmts.items, i), MM_ORIGIN_EXISTING), 0);
	m->known = true;
	return m;
}

/* Apply input SQL; returns the rc of the last statement. */
static int apply_input(struct mm_ctx *ctx, struct mm_model *m, const char *sql)
{
	struct mm_source *src = mm_source_new(&ctx->arena, "input.sql", mm_strdup(&ctx->arena, sql), strlen(sql));
	struct mm_stmt_list stmts = { 0 };
	assert_int_equal(mm_sql_parse(ctx, src, &stmts), 0);
	int rc = 0;
	for (size_t i = 0; i < stmts.items.len; i++)
		rc = mm_model_apply(m, mm_vec_at(&stmts.items, i), MM_ORIGIN_INPUT);
	return rc;
}

static const char *dump(struct mm_model *m)
{
	struct mm_buf b = MM_BUF_INIT;
	mm_model_dump(m, &b, false);
	const char *s = mm_buf_arena(&b, &m->ctx->arena);
	mm_buf_release(&b);
	return s;
}

static void test_fold(void **state)
{
	struct mm_ctx *ctx = *state;
	assert_string_equal(mm_model_fold(&ctx->arena, "Users"), "users");
	assert_string_equal(mm_model_fold(&ctx->arena, "\"Users\""), "Users");
	assert_string_equal(mm_model_fold(&ctx->arena, "\"a\"\"b\""), "a\"b");
	assert_string_equal(mm_model_fold(&ctx->arena, "ÉtÉ"), "ÉtÉ"); /* ASCII only, as downcase_identifier */
}

static void test_types(void **state)
{
	struct mm_ctx *ctx = *state;
	struct mm_model *m = model_of(ctx, "CREATE TYPE mood AS ENUM ('a');"
	                                   "CREATE TABLE t (a int, b varchar(20), c timestamptz, d timestamp(3), e char,"
	                                   " f double precision, g numeric(10,2), h bool, i int8[], j mood, k \"char\","
	                                   " l bigserial, m text, n decimal, o time with time zone, p bit varying(4));");
	struct mm_table *t = mm_model_find_table(m, NULL, "t");
	assert_non_null(t);
	static const char *const want[][2] = {
		{ "a", "integer" },
		{ "b", "character varying(20)" },
		{ "c", "timestamp with time zone" },
		{ "d", "timestamp(3) without time zone" },
		{ "e", "character(1)" },
		{ "f", "double precision" },
		{ "g", "numeric(10,2)" },
		{ "h", "boolean" },
		{ "i", "bigint[]" },
		{ "j", "public.mood" },
		{ "k", "\"char\"" },
		{ "l", "bigint" },
		{ "m", "text" },
		{ "n", "numeric" },
		{ "o", "time with time zone" },
		{ "p", "bit varying(4)" },
	};
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		struct mm_column *c = mm_table_find_column(t, want[i][0]);
		assert_non_null(c);
		assert_string_equal(c->type, want[i][1]);
	}
	assert_true(mm_table_find_column(t, "l")->not_null);
	assert_non_null(mm_model_find_sequence(m, "public", "t_l_seq"));
}

static void test_lookups_and_search_path(void **state)
{
	struct mm_ctx *ctx = *state;
	struct mm_model *m = model_of(ctx, "CREATE SCHEMA app; CREATE TABLE app.\"Users\" (id int);"
	                                   "CREATE TABLE users (id int);");
	assert_non_null(mm_model_find_table(m, "app", "Users"));
	assert_null(mm_model_find_table(m, NULL, "Users")); /* app is not on search_path */
	assert_string_equal(mm_model_find_table(m, NULL, "users")->schema, "public");
	assert_non_null(apply_input(ctx, m, "SET search_path = app, public;") == 0 ? m : NULL);
	assert_string_equal(mm_model_find_table(m, NULL, "Users")->schema, "app");
}

static void test_constraint_and_index_names(void **state)
{
	struct mm_ctx *ctx = *state;
	struct mm_model *m = model_of(ctx,
	                              "CREATE TABLE c (id bigint PRIMARY KEY);"
	                              "CREATE TABLE o (id serial PRIMARY KEY, c_id bigint REFERENCES c, a int CHECK (a > 0),"
	                              " b int, e text UNIQUE, CHECK (a < b));"
	                              "CREATE INDEX ON o (b); CREATE INDEX ON o (b); CREATE INDEX ON o (lower(e));");
	struct mm_table *o = mm_model_find_table(m, NULL, "o");
	static const char *const cons[] = { "o_pkey", "o_c_id_fkey", "o_a_check", "o_e_key", "o_check" };
	for (size_t i = 0; i < sizeof(cons) / sizeof(cons[0]); i++)
		assert_non_null(mm_table_find_constraint(o, cons[i]));
	assert_string_equal(mm_table_find_constraint(o, "o_c_id_fkey")->ref_columns.items[0], "id");
	static const char *const idx[] = { "o_pkey", "o_e_key", "o_b_idx", "o_b_idx1", "o_lower_idx" };
	for (size_t i = 0; i < sizeof(idx) / sizeof(idx[0]); i++)
		assert_non_null(mm_model_find_index(m, NULL, idx[i]));
	assert_true(mm_table_find_column(o, "id")->not_null);
	assert_true(mm_model_relname_taken(m, "public", "o_id_seq"));
}

static void test_alter_rename_drop(void **state)
{
	struct mm_ctx *ctx = *state;
	struct mm_model *m = model_of(ctx,
	                              "CREATE TABLE c (id bigint PRIMARY KEY);"
	                              "CREATE TABLE o (id int PRIMARY KEY, user_name text, c_id bigint);"
	                              "CREATE INDEX o_user_name_idx ON o (user_name);"
	                              "CREATE VIEW v AS SELECT id FROM o;");
	assert_int_equal(apply_input(ctx, m,
	                             "ALTER TABLE o ADD COLUMN meta jsonb NOT NULL DEFAULT '{}',"
	                             " ADD CONSTRAINT o_c_fk FOREIGN KEY (c_id) REFERENCES c (id) NOT VALID;"
	                             "ALTER TABLE o RENAME COLUMN user_name TO username;"
	                             "ALTER TABLE o ALTER COLUMN username TYPE varchar(80), ALTER COLUMN username SET NOT NULL;"
	                             "ALTER TABLE c RENAME TO customers;"),
	                 0);
	struct mm_table *o = mm_model_find_table(m, NULL, "o");
	struct mm_column *u = mm_table_find_column(o, "username");
	assert_non_null(u);
	assert_null(mm_table_find_column(o, "user_name"));
	assert_string_equal(u->type, "character varying(80)");
	assert_true(u->not_null);
	assert_string_equal(mm_table_find_column(o, "meta")->default_expr, "'{}'");
	struct mm_constraint *fk = mm_table_find_constraint(o, "o_c_fk");
	assert_false(fk->validated);
	assert_string_equal(fk->ref_table, "customers");
	assert_non_null(strstr(fk->definition, "public.customers"));
	assert_non_null(strstr(mm_model_find_index(m, NULL, "o_user_name_idx")->definition, "(username)"));
	struct mm_vec views = { 0 };
	mm_model_dependent_views(m, o, &views);
	assert_int_equal(views.len, 1);
	assert_int_equal(apply_input(ctx, m, "ALTER TABLE o VALIDATE CONSTRAINT o_c_fk; ALTER TABLE o DROP COLUMN username;"
	                                     "DROP TABLE customers CASCADE;"),
	                 0);
	assert_null(mm_model_find_index(m, NULL, "o_user_name_idx"));
	assert_null(mm_table_find_constraint(o, "o_c_fk"));
	assert_null(mm_model_find_table(m, NULL, "customers"));
	assert_int_equal(mm_table_find_column(o, "meta")->attnum, 3);
}

static void test_partitions(void **state)
{
	struct mm_ctx *ctx = *state;
	struct mm_model *m = model_of(ctx, "CREATE TABLE e (id int, at date, PRIMARY KEY (id, at)) PARTITION BY RANGE (at);"
	                                   "CREATE TABLE e1 PARTITION OF e FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');"
	                                   "CREATE INDEX ON e (at);"
	                                   "ALTER TABLE e ADD COLUMN k text;");
	struct mm_table *e = mm_model_find_table(m, NULL, "e"), *e1 = mm_model_find_table(m, NULL, "e1");
	assert_int_equal(e->kind, MM_REL_PARTITIONED);
	assert_string_equal(e->partition_key, "RANGE (at)");
	assert_string_equal(e1->partition_parent, "e");
	assert_non_null(mm_table_find_column(e1, "k"));
	assert_non_null(mm_table_find_constraint(e1, "e1_pkey"));
	assert_string_equal(mm_model_find_index(m, NULL, "e1_at_idx")->parent_index, "e_at_idx");
}

static void test_enum_function_trigger(void **state)
{
	struct mm_ctx *ctx = *state;
	struct mm_model *m = model_of(ctx, "CREATE TYPE s AS ENUM ('a', 'c');"
	                                   "ALTER TYPE s ADD VALUE 'b' BEFORE 'c'; ALTER TYPE s ADD VALUE IF NOT EXISTS 'a';"
	                                   "CREATE TABLE t (id int, x s);"
	                                   "CREATE FUNCTION next_code() RETURNS text LANGUAGE sql VOLATILE AS 'SELECT 1';"
	                                   "CREATE FUNCTION pure(a int) RETURNS int LANGUAGE sql IMMUTABLE AS 'SELECT a';"
	                                   "CREATE FUNCTION tg() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN RETURN NEW; END$$;"
	                                   "CREATE TRIGGER t_tg BEFORE INSERT OR UPDATE ON t FOR EACH ROW EXECUTE FUNCTION tg();"
	                                   "COMMENT ON TABLE t IS 'ignored'; GRANT SELECT ON t TO PUBLIC; INSERT INTO t VALUES (1);");
	struct mm_enum *e = mm_model_find_enum(m, NULL, "s");
	assert_int_equal(e->labels.len, 3);
	assert_string_equal(e->labels.items[1], "b");
	assert_int_equal(mm_model_find_function(m, NULL, "pure")->volatility, MM_VOL_IMMUTABLE);
	struct mm_trigger *tg = mm_model_find_table(m, NULL, "t")->triggers.items[0];
	assert_string_equal(tg->function, "public.tg");
	assert_int_equal(tg->type, 1 | 2 | 4 | 16);

	static const struct {
		const char *expr;
		enum mm_volatility vol;
	} vols[] = {
		{ "'{}'", MM_VOL_IMMUTABLE },      { "now()", MM_VOL_STABLE },
		{ "CURRENT_TIMESTAMP", MM_VOL_STABLE }, { "gen_random_uuid()", MM_VOL_VOLATILE },
		{ "clock_timestamp()", MM_VOL_VOLATILE }, { "next_code()", MM_VOL_VOLATILE },
		{ "pure(1) + 2", MM_VOL_IMMUTABLE }, { "mystery()", MM_VOL_UNKNOWN },
	};
	for (size_t i = 0; i < sizeof(vols) / sizeof(vols[0]); i++)
		assert_int_equal(mm_model_expr_volatility(m, mm_sql_parse_expr(ctx, vols[i].expr)), vols[i].vol);
}

static void test_missing_names(void **state)
{
	struct mm_ctx *ctx = *state;
	struct mm_model *m = model_of(ctx, "CREATE TABLE users (id int, user_name text);");
	assert_int_equal(apply_input(ctx, m, "ALTER TABLE users RENAME COLUMN user_nme TO username;"), -1);
	assert_int_equal(apply_input(ctx, m, "ALTER TABLE usres ADD COLUMN x int;"), -1);
	assert_int_equal(ctx->diags.nerrors, 2);
	struct mm_diag *d0 = ctx->diags.items.items[0], *d1 = ctx->diags.items.items[1];
	assert_non_null(strstr(d0->message, "column \"user_nme\" of relation \"users\" does not exist"));
	assert_string_equal(d0->hint, "did you mean \"user_name\"?");
	assert_int_equal(d0->off, strlen("ALTER TABLE users RENAME COLUMN "));
	assert_non_null(strstr(d1->message, "relation \"usres\" does not exist"));
	assert_string_equal(d1->hint, "did you mean \"users\"?");
	/* Without a source nothing is known, so nothing is an error. */
	struct mm_model *blank = mm_model_new(ctx);
	assert_int_equal(apply_input(ctx, blank, "ALTER TABLE anything ADD COLUMN x int;"), 0);
}

static void test_dump_canonical(void **state)
{
	struct mm_ctx *ctx = *state;
	/* The same schema as a migration writes it and as pg_dump prints it. */
	struct mm_model *a = model_of(ctx, "CREATE TABLE t (id serial PRIMARY KEY, amount numeric CHECK (amount > 0),"
	                                   " s text DEFAULT 'x' CHECK (s IN ('x', 'y')), n int DEFAULT -1);");
	struct mm_model *b = model_of(ctx,
	                              "SELECT pg_catalog.set_config('search_path', '', false);"
	                              "CREATE TABLE public.t (id integer NOT NULL, amount numeric,"
	                              " s text DEFAULT 'x'::text, n integer DEFAULT '-1'::integer,"
	                              " CONSTRAINT t_amount_check CHECK ((amount > (0)::numeric)),"
	                              " CONSTRAINT t_s_check CHECK ((s = ANY (ARRAY['x'::text, 'y'::text]))));"
	                              "CREATE SEQUENCE public.t_id_seq AS integer START WITH 1;"
	                              "ALTER SEQUENCE public.t_id_seq OWNED BY public.t.id;"
	                              "ALTER TABLE ONLY public.t ALTER COLUMN id SET DEFAULT nextval('public.t_id_seq'::regclass);"
	                              "ALTER TABLE ONLY public.t ADD CONSTRAINT t_pkey PRIMARY KEY (id);");
	assert_string_equal(dump(a), dump(b));
	assert_int_equal(ctx->diags.nerrors, 0);
}

static void test_more_statement_kinds(void **state)
{
	struct mm_ctx *ctx = *state;
	struct mm_model *m = model_of(ctx,
	                              "CREATE TABLE p (id int, at date) PARTITION BY RANGE (at);"
	                              "CREATE TABLE p1 (id int, at date);"
	                              "ALTER TABLE ONLY p ATTACH PARTITION p1 FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');"
	                              "CREATE INDEX p_at_idx ON ONLY p (at); CREATE INDEX p1_at_idx ON p1 (at);"
	                              "ALTER INDEX p_at_idx ATTACH PARTITION p1_at_idx;"
	                              "CREATE TABLE r (id int, during tstzrange, CONSTRAINT r_k UNIQUE (id),"
	                              " EXCLUDE USING gist (during WITH &&));"
	                              "CREATE SEQUENCE r_seq; ALTER SEQUENCE r_seq OWNED BY r.id;"
	                              "CREATE MATERIALIZED VIEW mv AS SELECT id FROM r;");
	assert_string_equal(mm_model_find_index(m, NULL, "p1_at_idx")->parent_index, "p_at_idx");
	struct mm_table *r = mm_model_find_table(m, NULL, "r");
	assert_non_null(mm_table_find_constraint(r, "r_during_excl"));
	assert_string_equal(mm_model_find_sequence(m, NULL, "r_seq")->owner_column, "id");
	struct mm_vec views = { 0 };
	mm_model_dependent_views(m, r, &views);
	assert_int_equal(views.len, 1);
	assert_int_equal(((struct mm_table *)views.items[0])->kind, MM_REL_MATVIEW);
	assert_int_equal(apply_input(ctx, m,
	                             "ALTER INDEX r_k RENAME TO r_key2;" /* renames the constraint too */
	                             "ALTER TABLE r RENAME CONSTRAINT r_key2 TO r_key3;"
	                             "ALTER TABLE p DETACH PARTITION p1;"
	                             "DROP INDEX p_at_idx;"),
	                 0);
	struct mm_constraint *k = mm_table_find_constraint(r, "r_key3");
	assert_non_null(k);
	assert_string_equal(k->index_name, "r_key3");
	assert_null(mm_model_find_table(m, NULL, "p1")->partition_parent);
	assert_null(mm_model_find_index(m, NULL, "p_at_idx"));
	assert_non_null(mm_model_find_index(m, NULL, "p1_at_idx")); /* detached first: it stays */
	assert_int_equal(ctx->diags.nerrors, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_fold, setup, teardown),
		cmocka_unit_test_setup_teardown(test_types, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lookups_and_search_path, setup, teardown),
		cmocka_unit_test_setup_teardown(test_constraint_and_index_names, setup, teardown),
		cmocka_unit_test_setup_teardown(test_alter_rename_drop, setup, teardown),
		cmocka_unit_test_setup_teardown(test_partitions, setup, teardown),
		cmocka_unit_test_setup_teardown(test_enum_function_trigger, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing_names, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dump_canonical, setup, teardown),
		cmocka_unit_test_setup_teardown(test_more_statement_kinds, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, group_teardown);
}
