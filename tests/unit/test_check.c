/* test_check.c — pieces of `mkmig check`: the rule table, runner detection from paths and
 * settings files, and mm_check_source on small inputs (the plan-derived verdicts, lock_timeout,
 * transactions, ignore comments, excludes). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "mkmig/check.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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

static void test_rule_table(void **state)
{
	(void)state;
	size_t n = mm_check_rule_count();
	assert_true(n >= 30);
	for (size_t i = 0; i < n; i++) {
		const struct mm_check_rule *r = mm_check_rule_at(i);
		assert_non_null(r->summary);
		assert_true(strlen(r->explain) > 40);
		assert_ptr_equal(mm_check_rule_find(r->id), r);
		for (size_t k = i + 1; k < n; k++)
			assert_string_not_equal(r->id, mm_check_rule_at(k)->id);
	}
	assert_null(mm_check_rule_find("no-such-rule"));
	assert_null(mm_check_rule_at(n));
	enum mm_check_format f;
	assert_true(mm_check_format_parse("sarif", &f));
	assert_int_equal(f, MM_CHECK_SARIF);
	assert_false(mm_check_format_parse("xml", &f));
}

static void write_file(const char *path, const char *text)
{
	FILE *fp = fopen(path, "w");
	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
}

static void test_runner_detect(void **state)
{
	struct mm_ctx *ctx = *state;
	char dir[] = "/tmp/mkmig-test-check-XXXXXX";
	assert_non_null(mkdtemp(dir));
	struct mm_check_runner r;
	char *p = mm_sprintf(&ctx->arena, "%s/V2__index.sql", dir);
	mm_check_runner_detect(ctx, p, NULL, &r);
	assert_int_equal(r.kind, MM_RUNNER_FLYWAY);
	assert_false(r.non_tx);
	write_file(mm_sprintf(&ctx->arena, "%s.conf", p), "# settings\nexecuteInTransaction = false\n");
	mm_check_runner_detect(ctx, p, NULL, &r);
	assert_true(r.non_tx);
	mm_check_runner_detect(ctx, mm_sprintf(&ctx->arena, "%s/000003_x.up.sql", dir), NULL, &r);
	assert_int_equal(r.kind, MM_RUNNER_GOLANG);
	char *mig = mm_sprintf(&ctx->arena, "%s/2024-01-01-000000_x", dir);
	assert_int_equal(mkdir(mig, 0700), 0);
	char *up = mm_sprintf(&ctx->arena, "%s/up.sql", mig);
	mm_check_runner_detect(ctx, up, NULL, &r);
	assert_int_equal(r.kind, MM_RUNNER_DIESEL);
	assert_false(r.non_tx);
	char *meta = mm_sprintf(&ctx->arena, "%s/metadata.toml", mig);
	write_file(meta, "run_in_transaction=false\n");
	mm_check_runner_detect(ctx, up, NULL, &r);
	assert_true(r.non_tx);
	const char *text = "-- migrate:up transaction:false\nCREATE INDEX CONCURRENTLY i ON t (c);\n";
	struct mm_source *src = mm_source_new(&ctx->arena, "x.sql", text, strlen(text));
	mm_check_runner_detect(ctx, "db/20260101_x.sql", src, &r);
	assert_int_equal(r.kind, MM_RUNNER_DBMATE);
	assert_true(r.non_tx);
	mm_check_runner_detect(ctx, "plain.sql", NULL, &r);
	assert_int_equal(r.kind, MM_RUNNER_PLAIN);
	unlink(meta);
	unlink(mm_sprintf(&ctx->arena, "%s.conf", p));
	rmdir(mig);
	rmdir(dir);
}

/* The rule ids of check on sql (plain runner, no schema), space separated, in order. */
static const char *check_rules(struct mm_ctx *ctx, const char *sql, const char *exclude)
{
	struct mm_check c = { .ctx = ctx, .model = mm_model_new(ctx) };
	c.opt.small_table = 10000;
	if (exclude)
		mm_vec_push(&ctx->arena, &c.opt.excludes, (void *)exclude);
	struct mm_source *src = mm_source_new(&ctx->arena, "t.sql", mm_strdup(&ctx->arena, sql), strlen(sql));
	struct mm_check_runner r = { .kind = MM_RUNNER_PLAIN };
	assert_int_equal(mm_check_source(&c, src, &r), 0);
	struct mm_buf b = MM_BUF_INIT;
	for (size_t i = 0; i < c.findings.len; i++) {
		const struct mm_finding *x = mm_vec_at(&c.findings, i);
		mm_buf_addf(&b, "%s%s", i ? " " : "", x->rule->id);
	}
	char *out = mm_buf_arena(&b, &ctx->arena);
	mm_buf_release(&b);
	return out;
}

/* The same against a schema the model loaded first (the tables exist, with rows unknown). */
static const char *check_rules_on(struct mm_ctx *ctx, const char *schema, const char *sql)
{
	struct mm_check c = { .ctx = ctx, .model = mm_model_new(ctx) };
	c.opt.small_table = 10000;
	assert_int_equal(mm_model_load_text(c.model, "schema.sql", schema), 0);
	struct mm_source *src = mm_source_new(&ctx->arena, "t.sql", mm_strdup(&ctx->arena, sql), strlen(sql));
	struct mm_check_runner r = { .kind = MM_RUNNER_PLAIN };
	assert_int_equal(mm_check_source(&c, src, &r), 0);
	struct mm_buf b = MM_BUF_INIT;
	for (size_t i = 0; i < c.findings.len; i++) {
		const struct mm_finding *x = mm_vec_at(&c.findings, i);
		mm_buf_addf(&b, "%s%s", i ? " " : "", x->rule->id);
	}
	char *out = mm_buf_arena(&b, &ctx->arena);
	mm_buf_release(&b);
	return out;
}

/* Safe patterns check must recognise in context: ATTACH after a CHECK implying the bound, one row
 * by its key, a table a DO block created. */
static void test_context(void **state)
{
	struct mm_ctx *ctx = *state;
	const char *range = "CREATE TABLE m (at date NOT NULL) PARTITION BY RANGE (at);"
	                    "CREATE TABLE m1 (at date NOT NULL, CONSTRAINT b CHECK (at >= '2024-01-01' AND at < '2024-07-01'));"
	                    "CREATE TABLE m2 (at date NOT NULL, CONSTRAINT b2 CHECK (at >= '2024-01-01'::date AND at < '2025-01-01'::date));"
	                    "CREATE TABLE m3 (at date, CONSTRAINT b3 CHECK (at >= '2024-01-01' AND at < '2025-01-01'));"
	                    "CREATE TABLE m4 (at date NOT NULL, CONSTRAINT b4 CHECK (at >= '2024-01-01' AND at < '2025-01-02'));"
	                    "CREATE TABLE m5 (at date NOT NULL, CONSTRAINT b5 CHECK (at >= '2024-01-01'::timestamptz AND at < '2025-01-01'));";
	const char *attach = "SET lock_timeout = '1s'; ALTER TABLE m ATTACH PARTITION %s FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');";
	/* narrower, and as pg_get_constraintdef prints it (casts to the key's type) */
	assert_string_equal(check_rules_on(ctx, range, mm_sprintf(&ctx->arena, attach, "m1")), "");
	assert_string_equal(check_rules_on(ctx, range, mm_sprintf(&ctx->arena, attach, "m2")), "");
	/* NULL passes the CHECK but not the bound; wider than the bound; a cast to another type */
	assert_string_equal(check_rules_on(ctx, range, mm_sprintf(&ctx->arena, attach, "m3")), "blocking-scan");
	assert_string_equal(check_rules_on(ctx, range, mm_sprintf(&ctx->arena, attach, "m4")), "blocking-scan");
	assert_string_equal(check_rules_on(ctx, range, mm_sprintf(&ctx->arena, attach, "m5")), "blocking-scan");
	const char *list = "CREATE TABLE o (r text) PARTITION BY LIST (r);"
	                   "CREATE TABLE o1 (r text NOT NULL, CHECK (r = ANY (ARRAY['de'::text, 'fr'::text])));"
	                   "CREATE TABLE o2 (r text, CHECK (r IN ('de', 'fr')));"
	                   "CREATE TABLE o3 (r text, CHECK (r IS NULL OR r IN ('xx')));";
	assert_string_equal(check_rules_on(ctx, list, "SET lock_timeout = '1s'; ALTER TABLE o ATTACH PARTITION o1 FOR VALUES IN ('de', 'fr', 'it');"), "");
	assert_string_equal(check_rules_on(ctx, list, "SET lock_timeout = '1s'; ALTER TABLE o ATTACH PARTITION o2 FOR VALUES IN ('de', 'fr');"),
	                    "blocking-scan");
	assert_string_equal(check_rules_on(ctx, list, "SET lock_timeout = '1s'; ALTER TABLE o ATTACH PARTITION o2 FOR VALUES IN (NULL, 'de', 'fr');"), "");
	assert_string_equal(check_rules_on(ctx, list, "SET lock_timeout = '1s'; ALTER TABLE o ATTACH PARTITION o3 FOR VALUES IN (NULL, 'xx');"), "");
	/* one row by its key */
	const char *keyed = "CREATE TABLE k (id bigint PRIMARY KEY, a bigint, b bigint, c text UNIQUE, UNIQUE (a, b));";
	assert_string_equal(check_rules_on(ctx, keyed, "UPDATE k SET c = 'x' WHERE id = 1;"), "");
	assert_string_equal(check_rules_on(ctx, keyed, "DELETE FROM k WHERE c = 'y' AND id > 3;"), "");
	assert_string_equal(check_rules_on(ctx, keyed, "UPDATE k AS t SET c = 'x' WHERE t.a = 1 AND t.b = 2;"), "");
	assert_string_equal(check_rules_on(ctx, keyed, "UPDATE k SET c = 'x' WHERE a = 1;"), "unbatched-dml");
	assert_string_equal(check_rules_on(ctx, keyed, "UPDATE k SET c = 'x' WHERE id = 1 OR id = 2;"), "unbatched-dml");
	assert_string_equal(check_rules_on(ctx, keyed, "UPDATE k SET c = 'x' WHERE id = a;"), "unbatched-dml");
	/* a table a DO block made is new; one of the schema is not */
	assert_string_equal(check_rules_on(ctx, keyed, "SET lock_timeout = '1s'; DO $$ BEGIN CREATE TABLE w AS SELECT 1 AS x; END $$; DROP TABLE w;"), "");
	assert_string_equal(check_rules_on(ctx, keyed, "SET lock_timeout = '1s'; DO $$ BEGIN CREATE TABLE w AS SELECT 1 AS x; END $$; DROP TABLE k;"),
	                    "drop-table");
}

static void test_verdicts(void **state)
{
	struct mm_ctx *ctx = *state;
	/* from the plan */
	assert_string_equal(check_rules(ctx, "CREATE INDEX i ON t (c);", NULL), "index-blocking-build");
	assert_string_equal(check_rules(ctx, "SET lock_timeout = '1s'; ALTER TABLE t ADD COLUMN c text;", NULL), "");
	assert_string_equal(check_rules(ctx, "ALTER TABLE t ADD COLUMN c text;", NULL), "missing-lock-timeout");
	assert_string_equal(check_rules(ctx, "SET lock_timeout = 0; ALTER TABLE t ADD COLUMN c text;", NULL),
	                    "missing-lock-timeout");
	/* SET LOCAL outside a transaction does nothing */
	assert_string_equal(check_rules(ctx, "SET LOCAL lock_timeout = '1s'; ALTER TABLE t ADD COLUMN c text;", NULL),
	                    "missing-lock-timeout");
	assert_string_equal(check_rules(ctx, "CREATE TABLE n (id bigint); CREATE INDEX ON n (id);", NULL), "");
	assert_string_equal(check_rules(ctx, "CREATE INDEX CONCURRENTLY i ON t (c);", NULL), "");
	/* transactions */
	assert_string_equal(check_rules(ctx, "BEGIN; CREATE INDEX CONCURRENTLY i ON t (c); COMMIT;", NULL),
	                    "concurrently-in-transaction");
	assert_string_equal(check_rules(ctx, "BEGIN; SELECT 1;", NULL), "uncommitted-transaction");
	/* ignore comments and excludes */
	assert_string_equal(check_rules(ctx, "-- mkmig:ignore index-blocking-build\nCREATE INDEX i ON t (c);", NULL), "");
	assert_string_equal(check_rules(ctx, "-- mkmig:ignore other-rule\nCREATE INDEX i ON t (c);", NULL),
	                    "index-blocking-build");
	assert_string_equal(check_rules(ctx, "CREATE INDEX i ON t (c);", "lock"), "");
	assert_string_equal(check_rules(ctx, "CREATE TABLE n (id int);", NULL), "prefer-bigint");
	assert_string_equal(check_rules(ctx, "CREATE TABLE n (id int);", "style"), "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rule_table),
		cmocka_unit_test_setup_teardown(test_runner_detect, setup, teardown),
		cmocka_unit_test_setup_teardown(test_verdicts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_context, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, group_teardown);
}
