/* test_layout.c — Flyway's CRC32, description slugs, next versions, the manifest round trip, the
 * lines runners read as their own directives. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "mkmig/layout.h"

#include <stdlib.h>
#include <string.h>

/* formats.md §2: the checksum of V7__add_accounts_last_login_at.sql as Flyway stores it. */
static const char v7[] = "-- mkmig: step 1/2 (transactional): add nullable column\n"
                         "SET LOCAL lock_timeout = '3s';\n"
                         "ALTER TABLE accounts ADD COLUMN last_login_at timestamptz;\n";

static void test_flyway_crc32(void **state)
{
	(void)state;
	assert_int_equal(mm_flyway_crc32(v7, strlen(v7)), 794587092);
	/* line breaks and a BOM do not count; every other byte does */
	const char crlf[] = "-- mkmig: step 1/2 (transactional): add nullable column\r\n"
	                    "SET LOCAL lock_timeout = '3s';\r"
	                    "ALTER TABLE accounts ADD COLUMN last_login_at timestamptz;";
	assert_int_equal(mm_flyway_crc32(crlf, strlen(crlf)), 794587092);
	char bom[sizeof(v7) + 3] = "\xEF\xBB\xBF";
	strcat(bom, v7);
	assert_int_equal(mm_flyway_crc32(bom, strlen(bom)), 794587092);
	assert_int_equal(mm_flyway_crc32("", 0), 0);
	assert_int_not_equal(mm_flyway_crc32(v7, strlen(v7) - 2), 794587092);
}

static void test_md5(void **state)
{
	(void)state;
	char hex[33];
	mm_md5_hex("", 0, hex);
	assert_string_equal(hex, "d41d8cd98f00b204e9800998ecf8427e");
	mm_md5_hex("abc", 3, hex);
	assert_string_equal(hex, "900150983cd24fb0d6963f7d28e17f72");
	const char *long56 = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
	mm_md5_hex(long56, strlen(long56), hex);
	assert_string_equal(hex, "8215ef0796a20bcaaae116d3876c664a");
	char sha[41];
	mm_sha1_hex("abc", 3, sha);
	assert_string_equal(sha, "a9993e364706816aba3e25717850c26c9cd0d89d");
	mm_sha1_hex("", 0, sha);
	assert_string_equal(sha, "da39a3ee5e6b4b0d3255bfef95601890afd80709");
	mm_sha1_hex(long56, strlen(long56), sha);
	assert_string_equal(sha, "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
	/* recorded by Liquibase 4.28.1 in DATABASECHANGELOG.MD5SUM for these changesets */
	struct mm_arena a;
	mm_arena_init(&a);
	const char *sql = "CREATE TABLE t (id int);\n";
	assert_string_equal(mm_liquibase_checksum(&a, sql, strlen(sql)), "9:6d4549ab668f0fa3a148fb9da6d22712");
	sql = "SET LOCAL lock_timeout = '1s';\nDO $x$ BEGIN\n  RAISE NOTICE 'hi';\nEND $x$;\n";
	assert_string_equal(mm_liquibase_checksum(&a, sql, strlen(sql)), "9:5ef0ee00171fea041e97f645673308fc");
	mm_arena_release(&a);
}

static void test_slug(void **state)
{
	(void)state;
	struct mm_arena a;
	mm_arena_init(&a);
	assert_string_equal(mm_layout_slug(&a, "build index public.orders_customer_id_idx concurrently", 60),
	                    "build_index_orders_customer_id_idx_concurrently");
	assert_string_equal(mm_layout_slug(&a, "rename public.users.user_name to username: add column", 60),
	                    "rename_users_user_name_to_username");
	assert_string_equal(mm_layout_slug(&a, "add column \"Weird Name\" (x)", 60), "add_column_weird_name");
	assert_string_equal(mm_layout_slug(&a, "abcdef", 3), "abc");
	assert_string_equal(mm_layout_slug(&a, "::", 10), "change");
	mm_arena_release(&a);
}

static const char *next1(struct mm_ctx *ctx, const char *const *names, size_t n, bool ts)
{
	struct mm_layout_run run;
	memset(&run, 0, sizeof(run));
	run.ctx = ctx;
	run.now = 1795608000; /* 2026-11-25 12:00:00 UTC */
	for (size_t i = 0; i < n; i++)
		mm_vec_push(&ctx->arena, &run.existing, (void *)names[i]);
	const char *out[2];
	mm_layout_next_numbers(&run, "", ts, 2, out);
	return mm_sprintf(&ctx->arena, "%s %s", out[0], out[1]);
}

static void test_next_numbers(void **state)
{
	(void)state;
	struct mm_ctx ctx;
	mm_ctx_init(&ctx);
	const char *plain[] = { "1_a.up.sql", "2_b.up.sql", "10_c.up.sql", "9_d.up.sql" };
	assert_string_equal(next1(&ctx, plain, 4, false), "11 12");
	const char *padded[] = { "000007_a.up.sql", "000008_b.up.sql" };
	assert_string_equal(next1(&ctx, padded, 2, false), "000009 000010");
	const char *nines[] = { "99_a.sql" };
	assert_string_equal(next1(&ctx, nines, 1, false), "100 101");
	assert_string_equal(next1(&ctx, NULL, 0, false), "1 2");
	assert_string_equal(next1(&ctx, NULL, 0, true), "20261125120000 20261125120001");
	const char *stamps[] = { "20260101000000_a.sql" };
	assert_string_equal(next1(&ctx, stamps, 1, false), "20261125120000 20261125120001");
	const char *future[] = { "20991231235959_a.sql" };
	assert_string_equal(next1(&ctx, future, 1, false), "20991231235960 20991231235961");
	mm_ctx_release(&ctx);
}

/* Liquibase validates per changeset: mkmig verify names the one edited, not its neighbours. */
static void test_liquibase_per_changeset(void **state)
{
	(void)state;
	struct mm_ctx ctx;
	mm_ctx_init(&ctx);
	const struct mm_layout *l = mm_layout_find("liquibase");
	assert_non_null(l);
	assert_non_null(l->diff);
	const char *orig = "--liquibase formatted sql\n\n--changeset mkmig:1-a\n--comment: one\nCREATE TABLE t (id int);\n"
	                   "--rollback DROP TABLE t;\n\n--changeset mkmig:2-b runInTransaction:false\nCREATE INDEX CONCURRENTLY t_i ON t (id);\n";
	const char *rec = l->checksum(&ctx.arena, "changes/x.sql", orig, strlen(orig));
	assert_non_null(strstr(rec, "liquibase-md5:mkmig:1-a=9:"));
	assert_non_null(strstr(rec, ",mkmig:2-b=9:"));
	const struct { const char *text, *want, *not_want; size_t rejected; } cases[] = {
		/* the second changeset's SQL edited */
		{ "--liquibase formatted sql\n\n--changeset mkmig:1-a\n--comment: one\nCREATE TABLE t (id int);\n--rollback DROP TABLE t;\n\n"
		  "--changeset mkmig:2-b runInTransaction:false\nCREATE INDEX CONCURRENTLY t_i ON t (id, id);\n",
		  "changeset mkmig:2-b: Liquibase rejects it", "mkmig:1-a", 1 },
		/* a rollback line and blanks only: Liquibase's v9 checksum leaves both out */
		{ "--liquibase formatted sql\n--changeset mkmig:1-a\n--comment: one\nCREATE  TABLE t (id int);\n--rollback DROP TABLE IF EXISTS t;\n"
		  "--changeset mkmig:2-b runInTransaction:false\nCREATE INDEX CONCURRENTLY t_i ON t (id);\n",
		  "checksums are unchanged", "rejects", 0 },
		/* an id changed: the old one is gone, the new one runs again */
		{ "--liquibase formatted sql\n--changeset mkmig:1-a\n--comment: one\nCREATE TABLE t (id int);\n"
		  "--changeset mkmig:2-c runInTransaction:false\nCREATE INDEX CONCURRENTLY t_i ON t (id);\n",
		  "changeset mkmig:2-c: new to Liquibase", "rejects", 0 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct mm_buf out = MM_BUF_INIT;
		const char *now = l->checksum(&ctx.arena, "changes/x.sql", cases[i].text, strlen(cases[i].text));
		assert_int_equal(l->diff(&ctx.arena, rec, now, &out), cases[i].rejected);
		if (!strstr(out.buf, cases[i].want) || strstr(out.buf, cases[i].not_want))
			fail_msg("case %zu: want '%s', not '%s', in:\n%s", i, cases[i].want, cases[i].not_want, out.buf);
		mm_buf_release(&out);
	}
	struct mm_buf out = MM_BUF_INIT;
	l->diff(&ctx.arena, rec, "liquibase-md5:mkmig:2-b=9:0", &out);
	assert_non_null(strstr(out.buf, "changeset mkmig:1-a: removed"));
	mm_buf_release(&out);
	mm_ctx_release(&ctx);
}

static const char *matches(const struct mm_directives *d, const char *line)
{
	return d->match(line, strlen(line));
}

/* formats.md §5 and §6: what each runner's line reader takes for a directive, and what it leaves
 * to the SQL. */
static void test_directives(void **state)
{
	(void)state;
	const struct mm_directives *lb = &mm_directives_liquibase, *g = &mm_directives_goose, *db = &mm_directives_dbmate;
	assert_string_equal(matches(lb, "-- rollback drop it"), "rollback");
	assert_string_equal(matches(lb, "  --ROLLBACK x"), "rollback");
	assert_string_equal(matches(lb, "--comment: x"), "comment");
	assert_string_equal(matches(lb, "\t-- changeset a:b"), "changeset");
	assert_string_equal(matches(lb, "--precondition-sql-check expectedResult:0 SELECT 1"), "precondition-");
	assert_string_equal(matches(lb, " /* Liquibase rollback"), "/* liquibase rollback");
	assert_null(matches(lb, "-- comments on the columns follow"));
	assert_null(matches(lb, "-- rollbacks are by hand"));
	assert_null(matches(lb, "a int, -- rollback: drop it"));
	assert_null(matches(lb, "/* rollback */"));
	assert_null(matches(lb, "/* liquibase is not used here */"));
	assert_string_equal(matches(g, "-- +goose Down"), "+goose");
	assert_string_equal(matches(g, "--+GOOSE StatementEnd"), "+goose");
	assert_null(matches(g, "  -- +goose Down")); /* goose wants it at the start of the line */
	assert_null(matches(g, "-- +gooseberry"));
	assert_string_equal(matches(db, "-- migrate:down"), "migrate:down");
	assert_string_equal(matches(db, "--migrate:up transaction:false"), "migrate:up");
	assert_null(matches(db, "-- migrate:upgrade notes"));
	assert_null(matches(db, " -- migrate:down"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_flyway_crc32),
		cmocka_unit_test(test_md5),
		cmocka_unit_test(test_slug),
		cmocka_unit_test(test_next_numbers),
		cmocka_unit_test(test_liquibase_per_changeset),
		cmocka_unit_test(test_directives),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
